# Storage XML: pool, volume and secret definitions, their parsers and
# formatters (no RPC, no I/O beyond libxml2), shared by modvirt-storaged,
# its parts' libraries and the unit tests.
noinst_LTLIBRARIES += storaged/libmvstorconf.la
storaged_libmvstorconf_la_SOURCES = \
	storaged/storxml_priv.h storaged/storxml_perms.c \
	storaged/pool_def.c storaged/pool_def.h storaged/pool_parse.c storaged/pool_format.c \
	storaged/vol_def.c storaged/vol_def.h storaged/vol_parse.c storaged/vol_format.c \
	storaged/secret_def.c storaged/secret_def.h storaged/secret_parse.c storaged/secret_format.c
storaged_libmvstorconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
storaged_libmvstorconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)

# Golden files: tests/storagexml/{pool,vol,secret}-NAME.xml -> NAME.out.xml,
# NAME-invalid.xml -> NAME-invalid.err
check_PROGRAMS += tests/unit/check_storaged_xml
UNIT_TESTS += tests/unit/check_storaged_xml
tests_unit_check_storaged_xml_SOURCES = tests/unit/check_storaged_xml.c
tests_unit_check_storaged_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/storaged
tests_unit_check_storaged_xml_LDADD = tests/unit/libmvtest.la storaged/libmvstorconf.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

# every expected output against libvirt's own schemas
UNIT_TESTS += tests/unit/storagexml-validate.sh
dist_check_SCRIPTS += tests/unit/storagexml-validate.sh
EXTRA_DIST += tests/storagexml
