/*
 * The RPC server every modvirt daemon runs: unix listeners on sd-event,
 * per-client framing, the fixed check order (auth, read-only rule, handler)
 * and a worker pool for handlers that may block.  See rpc/README.md for the
 * threading model.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "message.h"
#include "proc_handlers.h"
#include "proc_table.h"
#include "remote_protocol.h"

struct mv_server;
struct mv_client;
struct mv_call;

/* One handler in a daemon's table.  A handler fills RET (zeroed, freed by the
 * server after encoding) from ARGS, with the types the procedure's annotation
 * in remote_protocol.x gives it (proc_handlers.h).  Returns 0, or <0 with an
 * error set through mv_call_error(); a bare -errno without one becomes an
 * internal error naming the procedure.  Where it runs (MV_PROC_INLINE: on the
 * event loop) and how its arguments decode are the procedure's facts
 * (proc_table.h), not the entry's. */
struct mv_dispatch_entry {
    int proc;
    bool not_implemented;
    union mv_handler fn;
    uint32_t prog;          /* the procedure's program (MV_REMOTE_PROGRAM, MV_QEMU_PROGRAM) */
};

/* The entry for procedure NAME (DOMAIN_GET_INFO) of the remote program
 * served by FN: the compiler checks FN against the procedure's argument and
 * reply types. */
#define MV_HANDLER(NAME, FN) \
    { .prog = MV_REMOTE_PROGRAM, .proc = MV_PROC_##NAME, .fn = { .NAME = (FN) } }
/* Procedure NAME of the daemon's subsystem is knowingly not served: clients
 * get "unknown procedure: N", which libvirt turns into "not supported". */
#define MV_NOT_IMPLEMENTED(NAME) \
    { .prog = MV_REMOTE_PROGRAM, .proc = MV_PROC_##NAME, .not_implemented = true }
/* The same for procedure NAME of another program P (QEMU: the QEMU program,
 * MV_QEMU_PROC_NAME, whose union member is QEMU_NAME).  A server serves a
 * program other than the remote one when its tables hold an entry of it
 * (a forwarder: every program); calls of any other program are refused
 * with "Cannot find program". */
#define MV_PROG_HANDLER(P, NAME, FN) \
    { .prog = MV_##P##_PROGRAM, .proc = MV_##P##_PROC_##NAME, .fn = { .P##_##NAME = (FN) } }
#define MV_PROG_NOT_IMPLEMENTED(P, NAME) \
    { .prog = MV_##P##_PROGRAM, .proc = MV_##P##_PROC_##NAME, .not_implemented = true }
#define MV_QEMU_HANDLER(NAME, FN) MV_PROG_HANDLER(QEMU, NAME, FN)
#define MV_QEMU_NOT_IMPLEMENTED(NAME) MV_PROG_NOT_IMPLEMENTED(QEMU, NAME)

/* A group of handlers, typically one per source file. */
struct mv_dispatch_table {
    const struct mv_dispatch_entry *entries;
    size_t n;
};

#define MV_DISPATCH_TABLE(ENTRIES) { ENTRIES, sizeof(ENTRIES) / sizeof((ENTRIES)[0]) }

/* Access policy of one listening socket. */
enum mv_auth_method { MV_AUTH_METHOD_NONE, MV_AUTH_METHOD_POLKIT, MV_AUTH_METHOD_SASL };

struct mv_tls_context;

struct mv_listen_opts {
    bool readonly;                  /* connections may only call read-only procedures */
    enum mv_auth_method auth;
    const char *polkit_action;      /* with MV_AUTH_METHOD_POLKIT */
    /* A TCP socket: its clients are remote (no SO_PEERCRED; their identity
     * is a certificate DN or a SASL user name), count as anonymous until
     * authenticated, and TLS (when set: referenced by the listener) comes
     * first on each connection. */
    bool remote;
    struct mv_tls_context *tls;
};

/*
 * A proxy's hook (modvirt-proxyd): the server answers the connection-level
 * procedures itself (conn_procs.c) and hands every other CALL, once it
 * passed the checks 1-5 (program, status, authentication, read-only rule,
 * CONNECT_OPEN), as the raw packet to CALL.  Each such call counts as in
 * flight (max_client_requests) until mv_client_forward_reply() ends it.
 * Everything here runs on the event loop thread.
 */
struct mv_forwarder {
    /* REQ is taken; INFO is its procedure's facts (never connect-level). */
    void (*call)(struct mv_client *c, struct mv_msg *req, const struct mv_proc_info *info);
    /* A STREAM or STREAM_HOLE packet for no local stream (taken). */
    void (*stream_packet)(struct mv_client *c, struct mv_msg *m);
    /* C's unread output fell below the backlog limit after
     * mv_client_output_full() said it was full; may be NULL. */
    void (*drained)(struct mv_client *c);
    /* True once C's identity went out with forwarded calls and can no
     * longer change: CONNECT_SET_IDENTITY is then refused (accepting it
     * would report a downgrade that is not applied).  May be NULL. */
    bool (*identity_used)(struct mv_client *c);
};

/* The daemon-specific part of a server. */
struct mv_server_driver {
    const char *name;               /* "qemud": logs and socket names */
    const char *type;               /* CONNECT_GET_TYPE answer, e.g. "QEMU" */
    const char *uri;                /* canonical URI, e.g. "qemu:///system" */
    const char *const *uri_schemes; /* CONNECT_OPEN accepts these schemes (NULL-terminated) */
    /* The subsystem the daemon serves: each of its procedures, of every
     * program, needs an entry in TABLES, a handler or MV_NOT_IMPLEMENTED,
     * or the server refuses to start.  MV_SUBSYS_CONNECT: none required
     * (test servers). */
    enum mv_subsystem subsystem;
    const struct mv_dispatch_table *const *tables;  /* NULL-terminated */
    /* CONNECT_SUPPORTS_FEATURE answer for FEATURE (0/1). */
    int (*supports_feature)(int feature);
    /* Called when a connection is opened / closed; may be NULL. */
    int (*client_open)(struct mv_call *call);
    void (*client_close)(struct mv_client *client);
    /* True while work other than client calls is under way (running guests):
     * the idle timeout waits for it.  May be NULL. */
    bool (*busy)(void);
    /* Set for a proxy: see struct mv_forwarder.  NULL for a daemon. */
    const struct mv_forwarder *forwarder;
};

struct mv_server_config {
    unsigned int max_clients;           /* at the limit, listeners stop accepting */
    unsigned int rw_reserve;            /* of max_clients, slots only the rw socket may use */
    unsigned int max_workers;
    unsigned int max_client_requests;   /* calls in flight per client */
    unsigned int keepalive_interval;    /* seconds; 0 disables */
    unsigned int keepalive_count;
    unsigned int packet_timeout;        /* seconds a packet may take to arrive whole; 0 = no limit */
    unsigned int idle_timeout;          /* seconds; 0 = never exit when idle */
    /* remote clients not yet authenticated (TLS handshake or SASL under
     * way): at the limit the TCP listeners stop accepting; 0 = no limit */
    unsigned int max_anonymous_clients;
    unsigned int tls_handshake_timeout; /* seconds a TLS handshake may take; 0 = 10 */
};

/* Creates a server on EVENT (referenced).  -errno on failure. */
int mv_server_new(sd_event *event, const struct mv_server_driver *driver,
                  const struct mv_server_config *cfg, struct mv_server **ret);
/* Stops accepting, closes every client, joins the workers, frees. NULL ok. */
void mv_server_free(struct mv_server *srv);
/* Serves an already listening unix socket FD (takes ownership). */
int mv_server_add_listener(struct mv_server *srv, int fd, const struct mv_listen_opts *opts);
/* Creates, binds and serves a unix socket at PATH with MODE and GID (-1 keeps
 * the group).  A stale socket file is replaced; a live one is -EADDRINUSE. */
int mv_server_listen_unix(struct mv_server *srv, const char *path, mode_t mode, gid_t gid,
                          const struct mv_listen_opts *opts);
/* Serves TCP port PORT on every address ADDR resolves to (NULL: all),
 * with OPTS (opts->remote is implied).  -errno; *errmsg names the address. */
int mv_server_listen_tcp(struct mv_server *srv, const char *addr, const char *port,
                         const struct mv_listen_opts *opts, char **errmsg);
/* New TLS connections use CTX from now on (the listeners drop their
 * reference to the old one); connected clients keep their sessions. */
void mv_server_set_tls(struct mv_server *srv, struct mv_tls_context *ctx);
/* Number of connected clients. */
unsigned int mv_server_nclients(const struct mv_server *srv);
/* Re-evaluates the idle timeout, e.g. after the driver's busy() changed. */
void mv_server_update_idle(struct mv_server *srv);

/* ---- inside a handler ---- */

/* Who a connection's calls are for: the socket peer's SO_PEERCRED, or
 * what a root peer forwarded with CONNECT_SET_IDENTITY (then FORWARDED is
 * set and PID names a process that is NOT at the other end of the socket:
 * never grant anything because of what that process is). */
struct mv_identity {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    uint64_t start_time;        /* PID's start time (/proc/PID/stat field 22), read at accept or forwarded; 0: unknown */
    bool readonly;
    bool forwarded;
    /* A remote client (or one a root peer forwarded as such): no unix ids
     * (uid and gid are (uid_t)-1, pid 0); the certificate's DN and/or the
     * SASL user name say who it is.  Owned by the connection. */
    bool remote;
    const char *x509_dname;
    const char *sasl_user;
};

const struct mv_identity *mv_call_identity(const struct mv_call *call);
struct mv_client *mv_call_client(struct mv_call *call);
int mv_call_proc(const struct mv_call *call);
/* Records the call's error (replacing an earlier one); returns -EIO. */
int mv_call_error(struct mv_call *call, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Driver data of a client (set in client_open, freed by client_close). */
void *mv_client_get_data(struct mv_client *client);
void mv_client_set_data(struct mv_client *client, void *data);
/* Sends an encoded asynchronous MESSAGE packet M (an event; taken, also on
 * failure) to CLIENT; any thread.  Events count in the client's backlog: a
 * client that leaves them unread past MV_CLIENT_EVENT_BACKLOG_MAX is
 * dropped.  Drivers send events through mv_events_emit() (events.h). */
int mv_client_send_msg(struct mv_client *client, struct mv_msg *m);
/* True once CLIENT's connection is closed (any thread); a registry that
 * checks it under its lock cannot miss the client's close hook. */
bool mv_client_closed(struct mv_client *client);
/* Reference counting for clients kept beyond a call (event registrations). */
struct mv_client *mv_client_ref(struct mv_client *client);
void mv_client_unref(struct mv_client *client);

/* ---- a forwarder's side (event loop thread only) ---- */

/* The identity of CLIENT: SO_PEERCRED, read-only by socket or open flag. */
const struct mv_identity *mv_client_identity(const struct mv_client *client);
/* A number naming CLIENT in logs. */
unsigned long mv_client_id(const struct mv_client *client);
/* The reply REPLY (taken; its header is the client's) ends one forwarded
 * call: a request slot frees and the client is read again if it waited for
 * one.  Counts in the client's backlog like any reply.  NULL (no reply
 * could be made, not even an error) closes the client rather than leave it
 * waiting. */
void mv_client_forward_reply(struct mv_client *client, struct mv_msg *reply);
/* A packet that ends no call (taken): stream data, a hole, an event
 * MESSAGE.  Events count in the event backlog: a client that leaves them
 * unread past MV_CLIENT_EVENT_BACKLOG_MAX is closed (the driver's
 * client_close runs inside this call).  Returns false if CLIENT is closed. */
bool mv_client_forward_packet(struct mv_client *client, struct mv_msg *m);
/* True while CLIENT's unread output is at the backlog limit: stop feeding
 * it; the forwarder's drained() is called once it fell below again. */
bool mv_client_output_full(struct mv_client *client);
/* HOLD true: CLIENT's socket is not read (its calls wait in the kernel's
 * buffer) until it is called again with false.  Keepalive does not count
 * the silence of a client held this way. */
void mv_client_hold_input(struct mv_client *client, bool hold);
