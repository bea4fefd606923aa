/* Private structures of the RPC server, shared by its source files only. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include "sasl.h"
#include "server.h"
#include "tls.h"
#include "transport.h"
#include "worker_pool.h"

struct mv_stream;

/* Replies a client has not read yet; beyond this we stop reading its calls
 * until it catches up, so a peer that never reads cannot grow our memory.
 * Stream output honours it too (mv_stream_send returns -EAGAIN). */
#define MV_CLIENT_TX_BACKLOG_MAX (4u * 1024 * 1024)
/* Event bytes a client has not read yet.  Events do not wait for the client
 * (they are produced whether it reads or not), so past this the client is
 * dropped: it registered and stopped reading, and would grow us without
 * bound otherwise. */
#define MV_CLIENT_EVENT_BACKLOG_MAX (1u * 1024 * 1024)
/* Largest packet a client may send before it has authenticated and opened
 * the connection: what comes before (AUTH_*, feature probes, CONNECT_OPEN)
 * is a few hundred bytes, and anyone may connect. */
#define MV_CLIENT_PREAUTH_PACKET_MAX (64u * 1024)
/* Bytes held in partly received packets across all clients.  Past it, a
 * client whose packet needs a bigger buffer waits (its socket is not read)
 * until others complete or are dropped; one packet of the protocol maximum
 * still fits beside a few small ones. */
#define MV_SERVER_RX_PENDING_MAX (MV_MESSAGE_MAX + 16u * 1024 * 1024)

struct mv_listener {
    struct mv_server *srv;
    int fd;
    sd_event_source *io;
    bool accepting;                     /* io is enabled */
    struct mv_listen_opts opts;         /* opts.tls is referenced */
    char *polkit_action;
    struct mv_listener *next;
};

struct mv_client {
    atomic_int refs;
    struct mv_server *srv;              /* borrowed: the server outlives its clients */
    unsigned long id;
    int fd;
    sd_event_source *io;
    sd_event_source *keepalive;
    struct mv_frame_reader reader;
    size_t rx_held;                     /* reader buffer counted in srv->rx_pending */
    sd_event_source *packet_timer;      /* armed while a packet is partly received */
    struct mv_msg *tx_head, *tx_tail;   /* event loop thread only */
    size_t tx_bytes;                    /* bytes waiting in the tx queue */
    size_t tx_event_bytes;              /* of which events (MV_CLIENT_EVENT_BACKLOG_MAX) */
    struct mv_identity ident;           /* replaced by CONNECT_SET_IDENTITY (loop thread, no calls in flight) */
    uid_t peer_uid;                     /* SO_PEERCRED: never replaced */
    const struct mv_listener *listener; /* borrowed: freed after every client and call */
    atomic_bool authenticated;          /* set by AUTH_POLKIT on a worker */
    bool opened;
    bool closing;                       /* close once the tx queue is flushed */
    atomic_bool closed;
    unsigned int inflight;              /* calls handed to workers */
    bool keepalive_on;
    unsigned int keepalive_missed;
    uint64_t last_rx_usec;
    void *data;                         /* driver's, see mv_client_set_data */
    struct mv_stream *streams;          /* live streams; event loop thread only */
    bool stream_held;                   /* a stream holds a packet its sink cannot take yet:
                                         * reading stops until it is taken (stream.c) */
    bool fwd_held;                      /* the forwarder holds reading (mv_client_hold_input) */
    bool fwd_want_drained;              /* tell the forwarder when the backlog drained */
    /* ---- remote clients (server_remote.c) ---- */
    struct mv_transport transport;      /* TLS or a SASL layer; ops NULL: the bare socket */
    struct mv_tls_session *tls_hs;      /* the TLS handshake under way (then transport is unset) */
    bool tls_confirm;                   /* the confirmation byte is still to be sent */
    sd_event_source *auth_timer;        /* closes a remote client not authenticated in time */
    sd_event_source *pending_src;       /* reads what the layer holds decoded (epoll cannot see it) */
    bool anonymous;                     /* counted in srv->nanonymous */
    struct mv_sasl_session *sasl;       /* created by AUTH_SASL_INIT */
    unsigned int sasl_failures;         /* failed exchanges on this connection */
    bool sasl_layer_next;               /* the next packet queued is the last SASL reply */
    struct mv_msg *sasl_layer_after;    /* that packet: the layer starts once it is written */
    char *peer_addr;                    /* "IP;PORT" of a remote peer (SASL and logs) */
    char *local_addr;
    char *x509_dname;                   /* ident.x509_dname points here */
    char *sasl_user;                    /* ident.sasl_user points here */
    struct mv_client *prev, *next;
};

/* One call from receipt to reply; owned by whoever runs it. */
struct mv_call {
    struct mv_client *client;           /* referenced */
    struct mv_msg *req;
    const struct mv_proc_info *info;    /* the procedure's facts */
    const struct mv_dispatch_entry *entry;
    void *args;
    void *ret;
    struct mv_err err;
    struct mv_stream *stream;           /* opened by the handler, live once the reply is OK */
};

/* What a packet posted from another thread is. */
enum mv_out_kind {
    MV_OUT_REPLY,       /* ends a call (frees a request slot); NULL: no reply could be made */
    MV_OUT_EVENT,       /* an asynchronous MESSAGE, counted in the event backlog */
};

/* A packet produced off the event loop, waiting to be queued on its client. */
struct mv_outgoing {
    struct mv_client *client;           /* referenced */
    struct mv_msg *msg;
    enum mv_out_kind kind;
    struct mv_outgoing *next;
};

/* Highest procedure number a handler may have (443 in libvirt 9.x). */
#define MV_PROC_NUMBER_MAX 1024

struct mv_server {
    sd_event *event;
    /* handlers by program (mv_program_index) and procedure number:
     * connection-level, then the driver's */
    const struct mv_dispatch_entry *handlers[MV_PROGRAMS_MAX][MV_PROC_NUMBER_MAX];
    /* the programs served here: the remote one, those the tables name, and
     * every program for a forwarder */
    bool serves[MV_PROGRAMS_MAX];
    const struct mv_server_driver *driver;
    struct mv_server_config cfg;
    struct mv_listener *listeners;
    struct mv_client *clients;
    unsigned int nclients;
    unsigned int nclients_ro;           /* of which came through a read-only listener */
    unsigned int nanonymous;            /* remote clients not yet authenticated */
    size_t rx_pending;                  /* see MV_SERVER_RX_PENDING_MAX; loop thread */
    unsigned long next_client_id;
    struct mv_worker_pool *workers;
    /* completions from workers and events from any thread */
    pthread_mutex_t out_lock;
    struct mv_outgoing *out_head, *out_tail;
    int out_efd;
    sd_event_source *out_src;
    sd_event_source *idle_timer;
};

/* server_client.c */
int mv_client_accept(struct mv_server *srv, struct mv_listener *l, int fd);
void mv_client_close(struct mv_client *c, const char *reason);
void mv_client_queue_tx(struct mv_client *c, struct mv_msg *msg);
/* Queues an event; drops C (logged) when its unread events overflow. */
void mv_client_queue_event(struct mv_client *c, struct mv_msg *msg);
/* A call of C got no reply (none could be encoded): C is closed, so the
 * peer sees the connection end instead of waiting forever. */
void mv_client_reply_lost(struct mv_client *c, const char *why);
void mv_client_update_events(struct mv_client *c);
void mv_client_start_keepalive(struct mv_client *c);
void mv_client_handle_keepalive(struct mv_client *c, const struct mv_msg *msg);

/* server_client.c: I/O for any transport */
int mv_client_write_msg(struct mv_client *c, struct mv_msg *m);
/* server_remote.c */
/* Sets up C, accepted on remote listener L: its addresses, anonymity, the
 * TLS handshake if L has TLS, the deadline for authenticating. */
int mv_client_remote_init(struct mv_client *c, const struct mv_listener *l);
/* C's socket is ready: advances a TLS handshake or sends the confirmation
 * byte.  1 = that is done (RPC may go on), 0 = still under way, <0 = C
 * must be closed (the reason was logged). */
int mv_client_remote_io(struct mv_client *c);
/* C authenticated: it no longer counts as anonymous, its deadline ends. */
void mv_client_remote_authenticated(struct mv_client *c);
/* The last SASL reply was written: C switches to the SASL layer. */
void mv_client_remote_layer_on(struct mv_client *c);
/* Releases what server_remote.c holds for C (at close). */
void mv_client_remote_close(struct mv_client *c);
/* For rpc/conn_sasl.c (also declared in conn_sasl.h) */
bool mv_client_auth_is_sasl(const struct mv_client *c);
struct mv_sasl_session **mv_client_sasl_slot(struct mv_client *c);
int mv_client_sasl_info(struct mv_client *c, struct mv_sasl_conn_info *info);
int mv_client_set_sasl_user(struct mv_client *c, const char *user);
void mv_client_start_sasl_layer(struct mv_client *c);
void mv_client_sasl_failed(struct mv_client *c);
/* True while L may not accept because of the anonymous-client limit. */
bool mv_server_anonymous_full(const struct mv_server *srv, const struct mv_listener *l);

/* server.c */
void mv_server_post(struct mv_server *srv, struct mv_client *c, struct mv_msg *msg,
                    enum mv_out_kind kind);
void mv_server_client_gone(struct mv_server *srv, struct mv_client *c);
/* Enables each listener while a client may be accepted through it. */
void mv_server_update_listeners(struct mv_server *srv);
/* Clients waiting for the pending-packet budget may go on. */
void mv_server_rx_released(struct mv_server *srv);

/* dispatch.c */
void mv_dispatch_packet(struct mv_client *c, struct mv_msg *msg);
void mv_dispatch_run(void *call);
/* Frees a call that never ran (shutdown). */
void mv_dispatch_drop(void *call);
/* conn_procs.c: the connection-level procedures every server answers */
extern const struct mv_dispatch_table mv_conn_procs_table;

/* stream.c (event loop thread) */
/* A STREAM or STREAM_HOLE packet from C (taken). */
void mv_stream_dispatch(struct mv_client *c, struct mv_msg *msg);
/* The call that opened a stream is answered: with REPLY OK (REPLIED_OK) the
 * stream goes live, otherwise it is released.  No-op without a stream. */
void mv_stream_call_done(struct mv_call *call, bool replied_ok);
/* C's backlog is below MV_CLIENT_TX_BACKLOG_MAX: wake blocked streams. */
void mv_stream_client_drained(struct mv_client *c);
/* C is closed: every stream of it ends and is released. */
void mv_stream_client_gone(struct mv_client *c);
