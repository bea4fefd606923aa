# common/: small shared pieces linked into every daemon, libmodvirt and the CLI.
noinst_LTLIBRARIES += common/libmvcommon.la
common_libmvcommon_la_SOURCES = \
	common/cleanup.h common/hex.h \
	common/log.c common/log.h \
	common/strv.c \
	common/errmsg.c common/errmsg.h \
	common/utf8.c common/utf8.h \
	common/file.c common/file.h \
	common/sysfs.c common/sysfs.h \
	common/conf.c common/conf.h \
	common/paths.c common/paths.h \
	common/monotime.c common/monotime.h \
	common/uuid.c common/uuid.h \
	common/uri.c common/uri.h \
	common/validate.c common/validate.h \
	common/xml.c common/xml.h \
	common/object.c common/object.h \
	common/registry.c common/registry.h \
	common/job.c common/job.h \
	common/store.c common/store.h
common_libmvcommon_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
common_libmvcommon_la_LIBADD = $(LIBXML_LIBS) -lpthread

# Unit tests: one Check program per topic.
COMMON_CHECKS = \
	tests/unit/check_common_conf \
	tests/unit/check_common_log \
	tests/unit/check_common_uri \
	tests/unit/check_common_paths \
	tests/unit/check_common_uuid \
	tests/unit/check_common_file \
	tests/unit/check_common_sysfs \
	tests/unit/check_common_validate \
	tests/unit/check_common_xml \
	tests/unit/check_common_registry \
	tests/unit/check_common_store
check_PROGRAMS += $(COMMON_CHECKS)
UNIT_TESTS += $(COMMON_CHECKS)

tests_unit_check_common_conf_SOURCES = tests/unit/check_common_conf.c
tests_unit_check_common_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_conf_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_sysfs_SOURCES = tests/unit/check_common_sysfs.c
tests_unit_check_common_sysfs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_sysfs_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_paths_SOURCES = tests/unit/check_common_paths.c
tests_unit_check_common_paths_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_paths_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_uuid_SOURCES = tests/unit/check_common_uuid.c
tests_unit_check_common_uuid_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_uuid_LDADD = common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_file_SOURCES = tests/unit/check_common_file.c
tests_unit_check_common_file_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_file_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_validate_SOURCES = tests/unit/check_common_validate.c
tests_unit_check_common_validate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_validate_LDADD = common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_xml_SOURCES = tests/unit/check_common_xml.c
tests_unit_check_common_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_xml_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

# Strict XML: the rule-table walk every object's XML parser uses
common_libmvcommon_la_SOURCES += common/xml_strict.c common/xml_strict.h

check_PROGRAMS += tests/unit/check_common_xml_strict
UNIT_TESTS += tests/unit/check_common_xml_strict
tests_unit_check_common_xml_strict_SOURCES = tests/unit/check_common_xml_strict.c
tests_unit_check_common_xml_strict_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_xml_strict_LDADD = common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)
EXTRA_DIST += common/README.md

# Formatting object XML: the sticky-failure writer every formatter uses
common_libmvcommon_la_SOURCES += common/xml_format.c common/xml_format.h

tests_unit_check_common_log_SOURCES = tests/unit/check_common_log.c
tests_unit_check_common_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_common_log_LDADD = common/libmvcommon.la $(CHECK_LIBS)

tests_unit_check_common_uri_SOURCES = tests/unit/check_common_uri.c
tests_unit_check_common_uri_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_common_uri_LDADD = common/libmvcommon.la $(CHECK_LIBS)

# common/libmvprocess.la: running helper programs (see common/process.h);
# a library of its own so that clients linking libmvcommon do not carry it.
noinst_LTLIBRARIES += common/libmvprocess.la
common_libmvprocess_la_SOURCES = common/process.c common/process.h \
	common/confine.c common/confine_child.c common/confine.h
common_libmvprocess_la_LIBADD = common/libmvcommon.la

check_PROGRAMS += tests/unit/check_common_process
UNIT_TESTS += tests/unit/check_common_process
tests_unit_check_common_process_SOURCES = tests/unit/check_common_process.c
tests_unit_check_common_process_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_common_process_LDADD = common/libmvprocess.la common/libmvcommon.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_confine
UNIT_TESTS += tests/unit/check_confine
tests_unit_check_confine_SOURCES = tests/unit/check_confine.c
tests_unit_check_confine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_confine_LDADD = common/libmvprocess.la common/libmvcommon.la $(CHECK_LIBS)

# common/libmvnetlink.la: host links, addresses and routes over rtnetlink (see
# common/netlink.h); its own library so that only daemons link libnl.
noinst_LTLIBRARIES += common/libmvnetlink.la
common_libmvnetlink_la_SOURCES = common/netlink.c common/netlink.h common/netlink_internal.h \
	common/netlink_route.c
common_libmvnetlink_la_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)
common_libmvnetlink_la_LIBADD = common/libmvcommon.la $(LIBNL_LIBS)

tests_unit_check_common_registry_SOURCES = tests/unit/check_common_registry.c
tests_unit_check_common_registry_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_registry_LDADD = common/libmvcommon.la $(CHECK_LIBS) -lpthread

tests_unit_check_common_store_SOURCES = tests/unit/check_common_store.c
tests_unit_check_common_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_check_common_store_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)
