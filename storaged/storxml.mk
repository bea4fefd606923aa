# Storage XML: pool, volume and secret definitions, their parsers and
# formatters (no RPC, no I/O beyond libxml2), shared by modvirt-storaged,
# its parts' libraries and the unit tests.
noinst_LTLIBRARIES += storaged/libmvstorconf.la
storaged_libmvstorconf_la_SOURCES = \
	storaged/storxml_priv.h \
	storaged/pool_def.c storaged/pool_def.h \
	storaged/vol_def.c storaged/vol_def.h \
	storaged/secret_def.c storaged/secret_def.h
storaged_libmvstorconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
storaged_libmvstorconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)
