/*
 * libmodvirt internals shared by its files.  Nothing here is exported: the
 * library's symbol list is '^modvirt_', so internal functions that carry the
 * prefix are marked hidden.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "modvirt.h"
#include "paths.h"
#include "rpc/client.h"
#include "rpc/error.h"
#include "rpc/proc_table.h"

#define MV_HIDDEN __attribute__((visibility("hidden")))

/* A parsed connection URI (client/uri.c). */
struct mv_uri {
    char *uri;          /* as given */
    char *socket;       /* socket=PATH, or NULL */
    char *root;         /* root=DIR, or NULL */
};

/* A typed parameter of a reply into OUT, its strings moved out of P (so the
 * reply's free no longer owns them): domain statistics and guest info. */
void mv_stat_take(mv_typed_param *p, modvirt_stat *out);

/* Parses URI; -EINVAL with ERR (INVALID_ARG) naming what is wrong. */
int mv_uri_parse(const char *uri, struct mv_uri *out, struct mv_err *err);
void mv_uri_clear(struct mv_uri *u);

/* An event registration of a connection (client/events.c): the first
 * member of the domain one (client/domain_events.c) and the network one
 * (client/network_events.c), whose own parts follow it in the same block. */
struct mv_event_sub {
    void (*fn)(void);           /* the application's callback, cast back by its kind */
    void *opaque;
    struct mv_rpc_client *rpc;  /* where the registrations live */
};

struct modvirt_conn {
    pthread_mutex_t lock;       /* guards opening the daemon connections and EVENTS */
    struct mv_uri uri;
    bool readonly;
    struct mv_paths paths;
    /* one per daemon, indexed by the subsystem that names it in the route
     * table (the CONNECT row shares QEMU's); NULL until first used */
    struct mv_rpc_client *rpc[MV_SUBSYS_COUNT];
    /* connections that died and were replaced; other threads may still be
     * returning from calls on them, so they are only freed on close */
    struct mv_rpc_client **retired;
    size_t nretired;
    struct mv_event_sub *events;        /* domain events; NULL until registered */
    struct mv_event_sub *net_events;    /* network events; NULL until registered */
    struct mv_event_sub *nodedev_events; /* node device events; NULL until registered */
};

/* A domain handle: what the wire calls a nonnull domain, plus its connection. */
struct modvirt_domain {
    modvirt_conn *conn;         /* borrowed: the caller keeps it open */
    char *name;
    unsigned char uuid[16];
    int id;                     /* as last seen: -1 while inactive */
};

/* A network handle: what the wire calls a nonnull network, plus its connection. */
struct modvirt_network {
    modvirt_conn *conn;         /* borrowed: the caller keeps it open */
    char *name;
    unsigned char uuid[16];
};

/* A storage pool handle: the wire's nonnull pool, plus its connection. */
struct modvirt_storage_pool {
    modvirt_conn *conn;         /* borrowed: the caller keeps it open */
    char *name;
    unsigned char uuid[16];
};

/* A volume handle: the wire's nonnull volume, plus its connection. */
struct modvirt_storage_vol {
    modvirt_conn *conn;         /* borrowed: the caller keeps it open */
    char *pool;
    char *name;
    char *key;
};

/* Calls remote procedure PROC on the daemon that owns it, opening that
 * connection first if needed.  Returns as the public functions do. */
MV_HIDDEN int modvirt_conn_call(modvirt_conn *conn, int proc, xdrproc_t args_filter,
                                const void *args, xdrproc_t ret_filter, void *ret,
                                modvirt_error **err);

/* The same for procedure PROC of program PROG (MV_QEMU_PROGRAM), routed
 * by its subsystem. */
MV_HIDDEN int modvirt_conn_call_prog(modvirt_conn *conn, uint32_t prog, int proc, xdrproc_t args_filter,
                                     const void *args, xdrproc_t ret_filter, void *ret,
                                     modvirt_error **err);

/* Hands E to the caller as *ERR (E is left empty); always returns R. */
MV_HIDDEN int modvirt_error_give(struct mv_err *e, modvirt_error **err, int r);

/* Sets *ERR to a new error (CODE, DOMAIN, formatted message); returns R. */
MV_HIDDEN int modvirt_error_set(modvirt_error **err, int r, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The daemon connection that serves PROC, opened now if needed.  *RPC stays
 * valid until CONN is closed, even after it dies and a later call replaces
 * it.  Returns as the public functions do. */
MV_HIDDEN int modvirt_conn_rpc(modvirt_conn *conn, int proc, struct mv_rpc_client **rpc,
                               modvirt_error **err);

/* Calls PROC on that very connection (no reconnect): for calls whose effect
 * lives on one connection, such as event registrations and streams. */
MV_HIDDEN int modvirt_rpc_call(struct mv_rpc_client *rpc, int proc, xdrproc_t args_filter,
                               const void *args, xdrproc_t ret_filter, void *ret,
                               modvirt_error **err);

/* Maps an RPC failure R with E to what the public functions return: a lost
 * connection is -ENOTCONN to the caller.  Hands E over as *ERR. */
MV_HIDDEN int modvirt_rpc_fail(struct mv_err *e, modvirt_error **err, int r);

/* A new handle for the wire domain W, moving its name out (W->name becomes
 * NULL); NULL without memory. */
MV_HIDDEN modvirt_domain *modvirt_domain_from_wire(modvirt_conn *conn, mv_nonnull_domain *w);

/* The wire form of DOM; borrows DOM's name. */
MV_HIDDEN mv_nonnull_domain modvirt_domain_to_wire(const modvirt_domain *dom);

/* Calls PROC whose arguments are just DOM (mv_domain_args). */
MV_HIDDEN int modvirt_domain_call(modvirt_domain *dom, int proc, xdrproc_t ret_filter, void *ret,
                                  modvirt_error **err);

/* Calls PROC whose arguments are DOM and FLAGS (mv_domain_flags_args). */
MV_HIDDEN int modvirt_domain_call_flags(modvirt_domain *dom, int proc, unsigned int flags,
                                        xdrproc_t ret_filter, void *ret, modvirt_error **err);

/* -ENOMEM with an "out of memory" error. */
MV_HIDDEN int modvirt_error_nomem(modvirt_error **err);

/* Reads from RPC and delivers what arrived, for up to TIMEOUT_MS (< 0:
 * forever); the number of events delivered, or -ENOTCONN once it is dead. */
MV_HIDDEN int modvirt_rpc_process(struct mv_rpc_client *rpc, int timeout_ms, modvirt_error **err);

/* Takes *SLOT of CONN for SUB (whose FN and OPAQUE are set) and sends the
 * events of the daemon connection that serves PROC to HANDLER, with CONN as
 * its opaque; -EBUSY, naming WHAT ("domain"), if *SLOT is taken.  On an
 * error SUB stays the caller's. */
MV_HIDDEN int mv_event_sub_open(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_event_sub *sub,
                                int proc, mv_rpc_event_fn handler, const char *what, modvirt_error **err);
/* Takes SUB off *SLOT and its handler off its connection, and frees it. */
MV_HIDDEN void mv_event_sub_close(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_event_sub *sub);
/* What *SLOT holds now. */
MV_HIDDEN struct mv_event_sub *mv_event_sub_get(modvirt_conn *conn, struct mv_event_sub **slot);
/* Copies *SLOT to OUT if the registration there lives on C: a handler's
 * view of whom to call, taken under the lock. */
MV_HIDDEN bool mv_event_sub_target(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_rpc_client *c,
                                   struct mv_event_sub *out);
/* The fd of *SLOT's connection, -1 if nothing is registered. */
MV_HIDDEN int mv_event_sub_fd(modvirt_conn *conn, struct mv_event_sub **slot);
/* modvirt_rpc_process() on *SLOT's connection; -EINVAL naming WHAT if
 * nothing is registered. */
MV_HIDDEN int mv_event_sub_process(modvirt_conn *conn, struct mv_event_sub **slot, int timeout_ms,
                                   const char *what, modvirt_error **err);

/* Drops the event registration state of CONN without telling the daemon
 * (closing the connection drops the registrations there). */
MV_HIDDEN void modvirt_domain_events_free(modvirt_conn *conn);

/* The wire form of NET; borrows NET's name (client/network.c). */
MV_HIDDEN mv_nonnull_network modvirt_network_to_wire(const modvirt_network *net);

/* Calls PROC whose arguments are just NET (mv_network_args). */
MV_HIDDEN int modvirt_network_call(modvirt_network *net, int proc, xdrproc_t ret_filter,
                                   void *ret, modvirt_error **err);

/* Drops the network event registration of CONN without telling the daemon. */
MV_HIDDEN void modvirt_network_events_free(modvirt_conn *conn);

/* Drops the node device event registration of CONN without telling the
 * daemon (client/nodedev_events.c). */
MV_HIDDEN void modvirt_node_device_events_free(modvirt_conn *conn);

/* The wire forms of POOL and VOL; they borrow the handle's strings
 * (client/storage_pool.c, client/storage_vol.c). */
MV_HIDDEN mv_nonnull_storage_pool modvirt_storage_pool_to_wire(const modvirt_storage_pool *pool);
MV_HIDDEN mv_nonnull_storage_vol modvirt_storage_vol_to_wire(const modvirt_storage_vol *vol);
/* Calls PROC whose arguments are just POOL / POOL and FLAGS. */
MV_HIDDEN int modvirt_storage_pool_call(modvirt_storage_pool *pool, int proc, xdrproc_t ret_filter,
                                        void *ret, modvirt_error **err);
MV_HIDDEN int modvirt_storage_pool_call_flags(modvirt_storage_pool *pool, int proc, unsigned int flags,
                                              modvirt_error **err);
/* A new volume handle from a wire volume, moving its strings out; NULL without memory. */
MV_HIDDEN modvirt_storage_vol *modvirt_storage_vol_from_wire(modvirt_conn *conn, mv_nonnull_storage_vol *w);
