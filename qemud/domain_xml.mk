# Domain XML: the definition struct, its parser and formatter (no RPC, no I/O
# beyond libxml2), shared by modvirt-qemud and the unit tests.
noinst_LTLIBRARIES += qemud/libmvdomainconf.la
qemud_libmvdomainconf_la_SOURCES = \
	qemud/domain_def.c qemud/domain_def.h
qemud_libmvdomainconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
qemud_libmvdomainconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)
