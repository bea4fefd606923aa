# Network XML: the definition struct, addresses, parser and formatter (no RPC,
# no I/O beyond libxml2), shared by modvirt-netd and the unit tests.
noinst_LTLIBRARIES += netd/libmvnetconf.la
netd_libmvnetconf_la_SOURCES = \
	netd/net_addr.c netd/net_addr.h \
	netd/net_mac.c netd/net_mac.h \
	netd/network_def.c netd/network_def.h \
	netd/network_copy.c \
	netd/network_parse.c netd/network_parse_priv.h \
	netd/network_parse_ip.c \
	netd/network_format.c \
	netd/network_update.c \
	netd/port_def.c netd/port_def.h
netd_libmvnetconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
netd_libmvnetconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)

# Golden files: tests/networkxml/NAME.xml -> NAME.out.xml, NAME-invalid.xml -> .err
check_PROGRAMS += tests/unit/check_netd_networkxml
UNIT_TESTS += tests/unit/check_netd_networkxml
tests_unit_check_netd_networkxml_SOURCES = tests/unit/check_netd_networkxml.c
tests_unit_check_netd_networkxml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_networkxml_LDADD = tests/unit/libmvtest.la netd/libmvnetconf.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

# every expected output against libvirt's own RelaxNG schema (the script
# lives outside tests/networkxml, as domainxml-validate.sh does)
UNIT_TESTS += tests/unit/networkxml-validate.sh
dist_check_SCRIPTS += tests/unit/networkxml-validate.sh
EXTRA_DIST += tests/networkxml

check_PROGRAMS += tests/unit/check_netd_update
UNIT_TESTS += tests/unit/check_netd_update
tests_unit_check_netd_update_SOURCES = tests/unit/check_netd_update.c
tests_unit_check_netd_update_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_update_LDADD = netd/libmvnetconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/check_netd_port_xml
UNIT_TESTS += tests/unit/check_netd_port_xml
tests_unit_check_netd_port_xml_SOURCES = tests/unit/check_netd_port_xml.c
tests_unit_check_netd_port_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_port_xml_LDADD = netd/libmvnetconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/check_netd_addr
UNIT_TESTS += tests/unit/check_netd_addr
tests_unit_check_netd_addr_SOURCES = tests/unit/check_netd_addr.c
tests_unit_check_netd_addr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/netd
tests_unit_check_netd_addr_LDADD = netd/libmvnetconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)
