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
