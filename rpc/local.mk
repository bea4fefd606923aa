# rpc/: the wire protocol (.x files compiled by rpcgen) and the shared
# server/client machinery.
RPC_X_FILES = rpc/wire_protocol.x rpc/remote_protocol.x rpc/keepalive_protocol.x
RPC_GENERATED = \
	rpc/wire_protocol.h rpc/wire_protocol.c \
	rpc/remote_protocol.h rpc/remote_protocol.c \
	rpc/keepalive_protocol.h rpc/keepalive_protocol.c
BUILT_SOURCES += $(RPC_GENERATED)
CLEANFILES += $(RPC_GENERATED)
EXTRA_DIST += $(RPC_X_FILES) rpc/README.md

# rpcgen names the header after its input, so run it from the source dir.
rpc/%_protocol.h: $(srcdir)/rpc/%_protocol.x
	$(AM_V_GEN)$(MKDIR_P) rpc && (cd $(srcdir)/rpc && $(RPCGEN) -h $*_protocol.x) > $@.tmp && mv $@.tmp $@
rpc/%_protocol.c: $(srcdir)/rpc/%_protocol.x
	$(AM_V_GEN)$(MKDIR_P) rpc && (cd $(srcdir)/rpc && $(RPCGEN) -c $*_protocol.x) > $@.tmp && mv $@.tmp $@

# generated codec, compiled with relaxed warnings
noinst_LTLIBRARIES += rpc/libmvxdr.la
nodist_rpc_libmvxdr_la_SOURCES = $(RPC_GENERATED)
rpc_libmvxdr_la_CFLAGS = $(RPCGEN_CFLAGS) $(SANITIZER_CFLAGS) $(TIRPC_CFLAGS)
rpc_libmvxdr_la_LIBADD = $(TIRPC_LIBS)

# framing, errors and the procedure table: shared by daemons and libmodvirt
noinst_LTLIBRARIES += rpc/libmvwire.la
rpc_libmvwire_la_SOURCES = \
	rpc/error_codes.h \
	rpc/error.c rpc/error.h \
	rpc/message.c rpc/message.h \
	rpc/proc_table.c rpc/proc_table.h \
	rpc/client.c rpc/client.h
rpc_libmvwire_la_LIBADD = rpc/libmvxdr.la common/libmvcommon.la -lpthread

# the daemon side: server, dispatch, workers, polkit and the daemon skeleton
noinst_LTLIBRARIES += rpc/libmvserver.la
rpc_libmvserver_la_SOURCES = \
	rpc/server.c rpc/server.h rpc/server_internal.h \
	rpc/server_client.c \
	rpc/dispatch.c \
	rpc/stream.c rpc/stream.h \
	rpc/conn_procs.c \
	rpc/worker_pool.c rpc/worker_pool.h \
	rpc/polkit.c rpc/polkit.h \
	rpc/daemon.c rpc/daemon.h \
	rpc/daemon_config.c rpc/daemon_config.h
rpc_libmvserver_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
rpc_libmvserver_la_LIBADD = rpc/libmvwire.la $(SYSTEMD_LIBS) -lpthread
