# rpc/: the wire protocol (.x files compiled by rpcgen) and the shared
# server/client machinery.
RPC_X_FILES = rpc/wire_protocol.x rpc/remote_protocol.x rpc/qemu_protocol.x rpc/keepalive_protocol.x
RPC_GENERATED = \
	rpc/wire_protocol.h rpc/wire_protocol.c \
	rpc/remote_protocol.h rpc/remote_protocol.c \
	rpc/qemu_protocol.h rpc/qemu_protocol.c \
	rpc/keepalive_protocol.h rpc/keepalive_protocol.c
BUILT_SOURCES += $(RPC_GENERATED)
CLEANFILES += $(RPC_GENERATED)
EXTRA_DIST += $(RPC_X_FILES) rpc/README.md

# Each procedure's facts are annotated once in its program's .x (the remote
# program, then the qemu program, read together: the second uses the first's
# types); the tables, the typed handler union and the dispatch switch are
# generated from them.
RPC_PROC_X = $(srcdir)/rpc/remote_protocol.x $(srcdir)/rpc/qemu_protocol.x
RPC_PROC_GENERATED = rpc/proc_facts.c rpc/proc_handlers.h rpc/proc_invoke.c
BUILT_SOURCES += $(RPC_PROC_GENERATED)
CLEANFILES += $(RPC_PROC_GENERATED)
EXTRA_DIST += rpc/gen-procs.awk
RPC_GEN_PROCS = $(MKDIR_P) rpc && $(AWK) -f $(srcdir)/rpc/gen-procs.awk
rpc/proc_facts.c: $(RPC_PROC_X) $(srcdir)/rpc/gen-procs.awk
	$(AM_V_GEN)$(RPC_GEN_PROCS) -v what=facts $(RPC_PROC_X) > $@.tmp \
	  && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }
rpc/proc_handlers.h: $(RPC_PROC_X) $(srcdir)/rpc/gen-procs.awk
	$(AM_V_GEN)$(RPC_GEN_PROCS) -v what=handlers $(RPC_PROC_X) > $@.tmp \
	  && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }
rpc/proc_invoke.c: $(RPC_PROC_X) $(srcdir)/rpc/gen-procs.awk
	$(AM_V_GEN)$(RPC_GEN_PROCS) -v what=invoke $(RPC_PROC_X) > $@.tmp \
	  && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

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
	rpc/transport.c rpc/transport.h \
	rpc/proc_table.c rpc/proc_table.h \
	rpc/client.c rpc/client.h
nodist_rpc_libmvwire_la_SOURCES = rpc/proc_facts.c
rpc_libmvwire_la_LIBADD = rpc/libmvxdr.la common/libmvcommon.la -lpthread

# the daemon side: server, dispatch, workers, polkit and the daemon skeleton
noinst_LTLIBRARIES += rpc/libmvserver.la
rpc_libmvserver_la_SOURCES = \
	rpc/server.c rpc/server.h rpc/server_internal.h \
	rpc/server_client.c \
	rpc/server_remote.c \
	rpc/dispatch.c \
	rpc/stream.c rpc/stream.h \
	rpc/conn_procs.c \
	rpc/identity.c rpc/identity.h \
	rpc/worker_pool.c rpc/worker_pool.h \
	rpc/events.c rpc/events.h \
	rpc/polkit.c rpc/polkit.h \
	rpc/daemon.c rpc/daemon.h \
	rpc/daemon_config.c rpc/daemon_config.h \
	rpc/daemon_remote.c rpc/daemon_remote.h \
	rpc/tls.c rpc/tls.h \
	rpc/sasl.c rpc/sasl.h \
	rpc/conn_sasl.c rpc/conn_sasl.h
nodist_rpc_libmvserver_la_SOURCES = rpc/proc_handlers.h rpc/proc_invoke.c
rpc_libmvserver_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(GNUTLS_CFLAGS) $(SASL_CFLAGS)
rpc_libmvserver_la_LIBADD = rpc/libmvwire.la $(SYSTEMD_LIBS) $(GNUTLS_LIBS) $(SASL_LIBS) -lpthread
