# common/: small shared pieces linked into every daemon, libmodvirt and the CLI.
noinst_LTLIBRARIES += common/libmvcommon.la
common_libmvcommon_la_SOURCES = \
	common/cleanup.h \
	common/log.c common/log.h \
	common/strv.c
common_libmvcommon_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
common_libmvcommon_la_LIBADD = $(LIBXML_LIBS) -lpthread
