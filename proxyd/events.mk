# proxyd's event callback ids (pure logic on packets): a library of its own
# so the unit test links it without the daemon; modvirt-proxyd links it too.
noinst_LTLIBRARIES += proxyd/libproxydevents.la
proxyd_libproxydevents_la_SOURCES = proxyd/events.c proxyd/events.h
proxyd_libproxydevents_la_LIBADD = rpc/libmvwire.la

check_PROGRAMS += tests/unit/check_proxyd_events
UNIT_TESTS += tests/unit/check_proxyd_events
tests_unit_check_proxyd_events_SOURCES = tests/unit/check_proxyd_events.c
tests_unit_check_proxyd_events_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_proxyd_events_LDADD = proxyd/libproxydevents.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS)
