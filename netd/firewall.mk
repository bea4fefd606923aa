# netd/firewall.mk: the firewall part (netd/firewall.h): rules text from a
# definition, applied and inspected through libnftables (never the nft
# program), listings read with json-c.
noinst_LTLIBRARIES += netd/libmvfirewall.la
netd_libmvfirewall_la_SOURCES = \
	netd/firewall.h netd/firewall_rules.c netd/firewall.c netd/firewall_legacy.c
netd_libmvfirewall_la_CFLAGS = $(AM_CFLAGS) $(NFTABLES_CFLAGS) $(JSONC_CFLAGS)
netd_libmvfirewall_la_LIBADD = netd/libmvnetconf.la common/libmvcommon.la \
	$(NFTABLES_LIBS) $(JSONC_LIBS)

# Golden rulesets: tests/firewall/NAME.xml -> NAME.nft, NAME-invalid.xml ->
# NAME-invalid.err (MV_REGENERATE=1 rewrites them),
# each also checked by the kernel with `nft -c` in a private network
# namespace (root only; skipped without).
check_PROGRAMS += tests/unit/check_netd_firewall_rules
UNIT_TESTS += tests/unit/check_netd_firewall_rules
tests_unit_check_netd_firewall_rules_SOURCES = tests/unit/check_netd_firewall_rules.c
tests_unit_check_netd_firewall_rules_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_firewall_rules_LDADD = tests/unit/libmvtest.la netd/libmvfirewall.la netd/libmvnetconf.la \
	common/libmvcommon.la $(CHECK_LIBS)
EXTRA_DIST += tests/firewall

# Needs root: each test runs in its own network namespace (CLONE_NEWNET),
# nftables state being per namespace; without the privileges it skips.
check_PROGRAMS += tests/unit/check_netd_firewall
UNIT_TESTS += tests/unit/check_netd_firewall
tests_unit_check_netd_firewall_SOURCES = tests/unit/check_netd_firewall.c
tests_unit_check_netd_firewall_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(NFTABLES_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_firewall_LDADD = tests/unit/libmvtest.la netd/libmvfirewall.la netd/libmvnetconf.la \
	common/libmvcommon.la $(CHECK_LIBS) $(NFTABLES_LIBS) $(JSONC_LIBS)

# Real traffic through the rules: guest, host and outside namespaces joined
# by veths, UDP between them (root only; skipped without).
check_PROGRAMS += tests/unit/check_netd_firewall_traffic
UNIT_TESTS += tests/unit/check_netd_firewall_traffic
tests_unit_check_netd_firewall_traffic_SOURCES = tests/unit/check_netd_firewall_traffic.c
tests_unit_check_netd_firewall_traffic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_firewall_traffic_LDADD = tests/unit/libmvtest.la netd/libmvfirewall.la netd/libmvnetconf.la \
	common/libmvcommon.la $(CHECK_LIBS)
