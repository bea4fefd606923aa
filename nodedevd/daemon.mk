# modvirt-nodedevd itself: main, the driver, its procedures, uevents, PCI
# detach/reattach and mdevs.  What a device is and how it is read from sysfs
# is libmvnodedev (lib.mk).
sbin_PROGRAMS += nodedevd/modvirt-nodedevd
nodedevd_modvirt_nodedevd_SOURCES = \
	nodedevd/nodedevd.h \
	nodedevd/main.c \
	nodedevd/driver.c \
	nodedevd/device_procs.c \
	nodedevd/events.c nodedevd/events.h \
	nodedevd/uevent.c nodedevd/uevent.h \
	nodedevd/detach_procs.c \
	nodedevd/pci_detach.c nodedevd/pci_detach.h \
	nodedevd/mdev.c nodedevd/mdev.h \
	nodedevd/mdev_procs.c
nodedevd_modvirt_nodedevd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/nodedevd
nodedevd_modvirt_nodedevd_LDADD = nodedevd/libmvnodedev.la \
	rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS) -lpthread
# detach: what of the host uses a PCI function (owner: detach)
nodedevd_modvirt_nodedevd_SOURCES += nodedevd/pci_host_use.c nodedevd/pci_host_use.h

EXTRA_DIST += nodedevd/README.md
