# tap: see qemud/tap.h.  Tap devices for type='bridge' interfaces, created
# with /dev/net/tun and configured over rtnetlink (common/netlink.h).
noinst_LTLIBRARIES += qemud/libmvtap.la
qemud_libmvtap_la_SOURCES = qemud/tap.c qemud/tap.h
qemud_libmvtap_la_LIBADD = common/libmvnetlink.la common/libmvcommon.la

# Needs root: each test runs in its own network namespace (CLONE_NEWNET).
# Without the privileges only the name checks run.
check_PROGRAMS += tests/unit/check_qemud_tap
UNIT_TESTS += tests/unit/check_qemud_tap
tests_unit_check_qemud_tap_SOURCES = tests/unit/check_qemud_tap.c
tests_unit_check_qemud_tap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBNL_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_tap_LDADD = tests/unit/libmvtest.la qemud/libmvtap.la common/libmvnetlink.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBNL_LIBS)
