# netd/dnsmasq.mk: dnsmasq for a network (see netd/dnsmasq.h): its
# configuration (pure, golden-tested), its process and its lease file.
noinst_LTLIBRARIES += netd/libmvdnsmasq.la
netd_libmvdnsmasq_la_SOURCES = netd/dnsmasq.h \
	netd/dnsmasq_conf.c netd/dnsmasq.c netd/dnsmasq_leases.c
netd_libmvdnsmasq_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/netd
netd_libmvdnsmasq_la_LIBADD = netd/libmvnetconf.la common/libmvprocess.la common/libmvcommon.la \
	$(SYSTEMD_LIBS)

# tests/dnsmasqconf/NAME.xml -> NAME.conf (+ .hostsfile, .addnhosts) goldens, each also
# checked with dnsmasq --test; the lease file parser on recorded files.
check_PROGRAMS += tests/unit/check_netd_dnsmasqconf tests/unit/check_netd_dnsmasq_leases
UNIT_TESTS += tests/unit/check_netd_dnsmasqconf tests/unit/check_netd_dnsmasq_leases
tests_unit_check_netd_dnsmasqconf_SOURCES = tests/unit/check_netd_dnsmasqconf.c
tests_unit_check_netd_dnsmasqconf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_dnsmasqconf_LDADD = tests/unit/libmvtest.la netd/libmvdnsmasq.la netd/libmvnetconf.la \
	$(CHECK_LIBS)
tests_unit_check_netd_dnsmasq_leases_SOURCES = tests/unit/check_netd_dnsmasq_leases.c
tests_unit_check_netd_dnsmasq_leases_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_dnsmasq_leases_LDADD = tests/unit/libmvtest.la netd/libmvdnsmasq.la \
	$(CHECK_LIBS)

# start/stop/find/reload with a real dnsmasq on a bridge and a real
# DHCP client (busybox udhcpc), in network namespaces the test creates
check_PROGRAMS += tests/unit/check_netd_dnsmasq
UNIT_TESTS += tests/unit/check_netd_dnsmasq
tests_unit_check_netd_dnsmasq_SOURCES = tests/unit/check_netd_dnsmasq.c
tests_unit_check_netd_dnsmasq_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_dnsmasq_LDADD = tests/unit/libmvtest.la netd/libmvdnsmasq.la \
	common/libmvprocess.la common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS)

EXTRA_DIST += tests/dnsmasqconf tests/data/dnsmasq-leases
