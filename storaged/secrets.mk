# Secrets: objects, their files, procedures and events (storaged/README.md),
# a library modvirt-storaged links (daemon.mk) and the unit tests use.
noinst_LTLIBRARIES += storaged/libmvsecrets.la
storaged_libmvsecrets_la_SOURCES = \
	storaged/secret_obj.c storaged/secret_obj.h \
	storaged/secret_store.c storaged/secret_store.h \
	storaged/secret_events.c storaged/secret_events.h \
	storaged/secret_procs.c
storaged_libmvsecrets_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/storaged
