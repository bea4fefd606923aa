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

# lib-core: the model without sysfs (tree, naming, format)
check_PROGRAMS += tests/unit/check_nodedevd_tree
UNIT_TESTS += tests/unit/check_nodedevd_tree
tests_unit_check_nodedevd_tree_SOURCES = tests/unit/check_nodedevd_tree.c
tests_unit_check_nodedevd_tree_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_tree_LDADD = nodedevd/libmvnodedev.la common/libmvcommon.la $(CHECK_LIBS) \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS)

# lib-core: every fixture of tests/nodedev/fixtures.list scanned on /sys
# in the test's own mount namespace (needs root; skips without), compared
# with tests/nodedevxml/FIXTURE/ (MV_REGEN=1 rewrites them)
check_PROGRAMS += tests/unit/check_nodedevd_fixtures
UNIT_TESTS += tests/unit/check_nodedevd_fixtures
tests_unit_check_nodedevd_fixtures_SOURCES = tests/unit/check_nodedevd_fixtures.c \
	tests/unit/nodedev_fixture.c tests/unit/nodedev_fixture.h
tests_unit_check_nodedevd_fixtures_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_fixtures_LDADD = tests/unit/libmvtest.la nodedevd/libmvnodedev.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS)
EXTRA_DIST += tests/nodedev tests/nodedevxml

# blockdev: what the net, storage, scsi and usb readers share
nodedevd_libmvnodedev_la_SOURCES += nodedevd/sysattr.c nodedevd/sysattr.h \
	nodedevd/usb_ids.c nodedevd/usb_ids.h

# blockdev: the net capability on real veth links, each test in
# namespaces of its own (needs root; skips without)
check_PROGRAMS += tests/unit/check_nodedevd_net
UNIT_TESTS += tests/unit/check_nodedevd_net
tests_unit_check_nodedevd_net_SOURCES = tests/unit/check_nodedevd_net.c
tests_unit_check_nodedevd_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_net_LDADD = tests/unit/libmvtest.la nodedevd/libmvnodedev.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS)

# the kernel's uevent messages, parsed (events helper: uevent.c reads them)
nodedevd_libmvnodedev_la_SOURCES += nodedevd/uevent_msg.c nodedevd/uevent_msg.h
check_PROGRAMS += tests/unit/check_nodedevd_uevent
UNIT_TESTS += tests/unit/check_nodedevd_uevent
tests_unit_check_nodedevd_uevent_SOURCES = tests/unit/check_nodedevd_uevent.c
tests_unit_check_nodedevd_uevent_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_uevent_LDADD = nodedevd/libmvnodedev.la common/libmvcommon.la $(CHECK_LIBS) \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS)

# mdev: the <device> XML of a mediated device (CREATE_XML, DEFINE_XML, the
# store); check_nodedevd_mdev: its parser and format, a parent's mdev types,
# mdev names
nodedevd_libmvnodedev_la_SOURCES += nodedevd/mdev_def.c nodedevd/mdev_def.h
check_PROGRAMS += tests/unit/check_nodedevd_mdev
UNIT_TESTS += tests/unit/check_nodedevd_mdev
tests_unit_check_nodedevd_mdev_SOURCES = tests/unit/check_nodedevd_mdev.c
tests_unit_check_nodedevd_mdev_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_mdev_LDADD = tests/unit/libmvtest.la nodedevd/libmvnodedev.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS)
