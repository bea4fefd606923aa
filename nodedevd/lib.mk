# libmvnodedev: what a host device is (device, tree), how it is read from
# sysfs through sd-device (read, scan, one file per capability family) and
# how it is written (format): no RPC, so unit tests link it whole.
noinst_LTLIBRARIES += nodedevd/libmvnodedev.la
nodedevd_libmvnodedev_la_SOURCES = \
	nodedevd/device.c nodedevd/device.h \
	nodedevd/tree.c nodedevd/tree.h \
	nodedevd/read.c nodedevd/read.h nodedevd/caps.h \
	nodedevd/scan.c nodedevd/scan.h \
	nodedevd/format.c nodedevd/format.h \
	nodedevd/cap_system.c \
	nodedevd/cap_pci.c nodedevd/pci_ids.c nodedevd/pci_ids.h \
	nodedevd/cap_drm.c \
	nodedevd/cap_net.c \
	nodedevd/cap_storage.c \
	nodedevd/cap_scsi.c \
	nodedevd/cap_usb.c \
	nodedevd/cap_mdev.c
nodedevd_libmvnodedev_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/nodedevd
nodedevd_libmvnodedev_la_LIBADD = common/libmvcommon.la $(SYSTEMD_LIBS) $(LIBXML_LIBS)
