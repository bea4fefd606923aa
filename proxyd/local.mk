# modvirt-proxyd: libvirt's legacy sockets, every call forwarded to its daemon.
sbin_PROGRAMS += proxyd/modvirt-proxyd
proxyd_modvirt_proxyd_SOURCES = \
	proxyd/proxyd.h \
	proxyd/main.c \
	proxyd/session.c proxyd/session.h \
	proxyd/upstream.c proxyd/upstream.h \
	proxyd/session_events.c proxyd/session_events.h \
	proxyd/stream_relay.c
proxyd_modvirt_proxyd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/proxyd
proxyd_modvirt_proxyd_LDADD = proxyd/libproxydevents.la rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	$(SYSTEMD_LIBS) -lpthread
EXTRA_DIST += proxyd/README.md

# a leg against a fake daemon: handshake, held calls, serials, death
UNIT_TESTS += tests/unit/check_proxyd_upstream
check_PROGRAMS += tests/unit/check_proxyd_upstream
tests_unit_check_proxyd_upstream_SOURCES = tests/unit/check_proxyd_upstream.c $(RPC_HARNESS) proxyd/upstream.c
tests_unit_check_proxyd_upstream_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/proxyd
tests_unit_check_proxyd_upstream_LDADD = rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS)

# a session end to end in one thread: the proxy's server, a raw client, fake
# daemons; its lifecycle paths (closes, dying legs, streams, holds)
UNIT_TESTS += tests/unit/check_proxyd_session
check_PROGRAMS += tests/unit/check_proxyd_session
tests_unit_check_proxyd_session_SOURCES = tests/unit/check_proxyd_session.c $(RPC_HARNESS) \
	proxyd/session.c proxyd/upstream.c proxyd/session_events.c proxyd/stream_relay.c
tests_unit_check_proxyd_session_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) -I$(top_srcdir)/proxyd
tests_unit_check_proxyd_session_LDFLAGS = -Wl,--wrap=mv_msg_error_packet
tests_unit_check_proxyd_session_LDADD = proxyd/libproxydevents.la rpc/libmvserver.la rpc/libmvwire.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) -lpthread
