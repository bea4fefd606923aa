# Secrets: objects, their files, procedures and events (storaged/README.md),
# a library modvirt-storaged links (daemon.mk) and the unit tests use.
noinst_LTLIBRARIES += storaged/libmvsecrets.la
storaged_libmvsecrets_la_SOURCES = \
	storaged/secret_obj.c storaged/secret_obj.h \
	storaged/secret_store.c storaged/secret_store.h \
	storaged/secret_events.c storaged/secret_events.h \
	storaged/secret_procs.c
storaged_libmvsecrets_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/storaged

# On disk and in the registry: kept, dropped, modes, leftovers.
check_PROGRAMS += tests/unit/check_storaged_secrets
UNIT_TESTS += tests/unit/check_storaged_secrets
tests_unit_check_storaged_secrets_SOURCES = tests/unit/check_storaged_secrets.c
tests_unit_check_storaged_secrets_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/storaged
tests_unit_check_storaged_secrets_LDADD = tests/unit/libmvtest.la storaged/libmvsecrets.la storaged/libmvstorconf.la \
	rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS) -lpthread
