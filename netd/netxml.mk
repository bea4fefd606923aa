# Network XML: the definition struct, addresses, parser and formatter (no RPC,
# no I/O beyond libxml2), shared by modvirt-netd and the unit tests.
noinst_LTLIBRARIES += netd/libmvnetconf.la
netd_libmvnetconf_la_SOURCES = \
	netd/net_addr.c netd/net_addr.h \
	netd/network_def.c netd/network_def.h
netd_libmvnetconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
netd_libmvnetconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)
