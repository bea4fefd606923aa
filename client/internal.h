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

/* Parses URI; -EINVAL with ERR (INVALID_ARG) naming what is wrong. */
int mv_uri_parse(const char *uri, struct mv_uri *out, struct mv_err *err);
void mv_uri_clear(struct mv_uri *u);

struct modvirt_conn {
    pthread_mutex_t lock;       /* guards opening the daemon connections */
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
};

/* Calls remote procedure PROC on the daemon that owns it, opening that
 * connection first if needed.  Returns as the public functions do. */
MV_HIDDEN int modvirt_conn_call(modvirt_conn *conn, int proc, xdrproc_t args_filter,
                                const void *args, xdrproc_t ret_filter, void *ret,
                                modvirt_error **err);

/* Hands E to the caller as *ERR (E is left empty); always returns R. */
MV_HIDDEN int modvirt_error_give(struct mv_err *e, modvirt_error **err, int r);
