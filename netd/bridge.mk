# The host side of a network: see netd/bridge.h.  Bridges, addresses and
# routes over rtnetlink (common/libmvnetlink), forwarding through /proc/sys.
noinst_LTLIBRARIES += netd/libmvbridge.la
netd_libmvbridge_la_SOURCES = netd/bridge.c netd/bridge.h
netd_libmvbridge_la_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)
netd_libmvbridge_la_LIBADD = common/libmvnetlink.la netd/libmvnetconf.la common/libmvcommon.la

# Needs root: each test runs in its own network namespace (CLONE_NEWNET);
# without the privileges the suite reports that and runs nothing.
check_PROGRAMS += tests/unit/check_netd_bridge
UNIT_TESTS += tests/unit/check_netd_bridge
tests_unit_check_netd_bridge_SOURCES = tests/unit/check_netd_bridge.c
tests_unit_check_netd_bridge_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBNL_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_bridge_LDADD = tests/unit/libmvtest.la netd/libmvbridge.la common/libmvnetlink.la \
	netd/libmvnetconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBNL_LIBS)
