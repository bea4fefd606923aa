/*
 * A modvirt_conn and its routing: each remote procedure belongs to a
 * subsystem (rpc/proc_table.c), each subsystem to a daemon (the table
 * below).  The daemon connections are opened on first use with the same
 * handshake a libvirt 9.0 client performs (wire-protocol.md 5.3-5.5).
 */
#define MV_LOG_MODULE "client.conn"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "log.h"
#include "remote_protocol.h"

#define DEFAULT_URI "qemu:///system"

/* CONNECT_CLOSE is a courtesy: never let a stuck daemon hold up close. */
#define CLOSE_TIMEOUT_MS 5000

struct route {
    enum mv_subsystem slot;     /* which connection: one per daemon */
    const char *daemon;         /* socket name: <rundir>/<daemon>-sock[-ro] */
    const char *uri;            /* what CONNECT_OPEN asks that daemon for */
};

/* One row per subsystem.  Connection-level calls go to qemud, the daemon a
 * qemu:///system connection is primarily about. */
static const struct route routes[MV_SUBSYS_COUNT] = {
    [MV_SUBSYS_CONNECT] = { MV_SUBSYS_QEMU, "qemud", "qemu:///system" },
    [MV_SUBSYS_QEMU] = { MV_SUBSYS_QEMU, "qemud", "qemu:///system" },
    [MV_SUBSYS_NETWORK] = { MV_SUBSYS_NETWORK, "netd", "network:///system" },
    [MV_SUBSYS_STORAGE] = { MV_SUBSYS_STORAGE, "storaged", "storage:///system" },
    [MV_SUBSYS_NODEDEV] = { MV_SUBSYS_NODEDEV, "nodedevd", "nodedev:///system" },
};

/* The route for procedure PROC of program PROG; with socket= everything
 * shares qemud's row (the daemon behind that socket does its own routing,
 * as virsh's ?socket=). */
static const struct route *route_for_prog(const modvirt_conn *conn, uint32_t prog, int proc)
{
    const struct mv_proc_info *info = mv_program_proc_lookup(prog, proc);

    /* a procedure this table does not know yet goes to the primary daemon,
     * which answers it or refuses it with "unknown procedure" */
    if (conn->uri.socket || !info)
        return &routes[MV_SUBSYS_QEMU];
    return &routes[info->subsystem];
}

static const struct route *route_for(const modvirt_conn *conn, int proc)
{
    return route_for_prog(conn, MV_REMOTE_PROGRAM, proc);
}

int modvirt_error_give(struct mv_err *e, modvirt_error **err, int r)
{
    modvirt_error *out;

    if (!err) {
        mv_err_clear(e);
        return r;
    }
    out = calloc(1, sizeof(*out));
    if (!out) {
        mv_err_clear(e);
        *err = NULL;
        return r;
    }
    out->code = e->code;
    out->domain = e->domain;
    out->message = e->message ? e->message : strdup("Unknown error");
    e->message = NULL;
    mv_err_clear(e);
    *err = out;
    return r;
}

int modvirt_error_set(modvirt_error **err, int r, int code, int domain, const char *fmt, ...)
{
    struct mv_err e = { .code = code, .domain = domain };
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&e.message, fmt, ap) < 0)
        e.message = NULL;
    va_end(ap);
    return modvirt_error_give(&e, err, r);
}

int modvirt_error_nomem(modvirt_error **err)
{
    return modvirt_error_set(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
}

void modvirt_error_free(modvirt_error *err)
{
    if (!err)
        return;
    free(err->message);
    free(err);
}

/* ---- the handshake ---- */

static int remote_call(struct mv_rpc_client *rpc, int proc, xdrproc_t af, const void *args,
                    xdrproc_t rf, void *ret, struct mv_err *e)
{
    return mv_rpc_client_call(rpc, MV_REMOTE_PROGRAM, proc, af, args, rf, ret, e);
}

/* AUTH_LIST, then the method the daemon names first (libvirt's rule). */
static int authenticate(struct mv_rpc_client *rpc, const char *path, struct mv_err *e)
{
    mv_auth_list_ret list = { 0 };
    mv_auth_polkit_ret polkit = { 0 };
    mv_auth_type method;
    int r = remote_call(rpc, MV_PROC_AUTH_LIST, NULL, NULL, (xdrproc_t)xdr_mv_auth_list_ret, &list, e);

    if (r < 0)
        return r;
    method = list.types.types_len ? list.types.types_val[0] : MV_AUTH_NONE;
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&list);
    switch (method) {
    case MV_AUTH_NONE:
        return 0;
    case MV_AUTH_POLKIT:
        r = remote_call(rpc, MV_PROC_AUTH_POLKIT, NULL, NULL, (xdrproc_t)xdr_mv_auth_polkit_ret,
                     &polkit, e);
        if (r == 0 && polkit.complete != 1)
            r = mv_err_set(e, MV_ERR_AUTH_FAILED, MV_FROM_REMOTE, "polkit authentication at "
                           "'%s' did not complete", path);
        return r;
    default:
        return mv_err_set(e, MV_ERR_AUTH_FAILED, MV_FROM_REMOTE, "'%s' asks for SASL "
                          "authentication, which libmodvirt does not support", path);
    }
}

static int connect_open(struct mv_rpc_client *rpc, const char *uri, bool readonly, struct mv_err *e)
{
    char *name = (char *)uri;
    mv_connect_open_args args = { .name = &name, .flags = readonly ? 1 : 0 };

    return remote_call(rpc, MV_PROC_CONNECT_OPEN, (xdrproc_t)xdr_mv_connect_open_args, &args,
                    NULL, NULL, e);
}

static char *socket_path(const modvirt_conn *conn, const struct route *rt)
{
    if (conn->uri.socket)
        return strdup(conn->uri.socket);
    return mv_paths_socket(&conn->paths, rt->daemon, conn->readonly);
}

/* Connects to RT's daemon and runs the handshake.  Every failure here means
 * "cannot connect" to the caller: -ENOTCONN, with the reason in E. */
static int sub_open(modvirt_conn *conn, const struct route *rt, struct mv_rpc_client **out,
                    struct mv_err *e)
{
    _cleanup_free_ char *path = socket_path(conn, rt);
    _cleanup_rpc_client_ struct mv_rpc_client *rpc = NULL;

    if (!path)
        return mv_err_set_errno(e, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
    mv_debug("opening %s on '%s'", rt->uri, path);
    if (mv_rpc_client_connect_unix(path, &rpc, e) < 0 ||
        authenticate(rpc, path, e) < 0 ||
        connect_open(rpc, rt->uri, conn->readonly, e) < 0)
        return -ENOTCONN;
    *out = TAKE_PTR(rpc);
    return 0;
}

/* Moves a dead connection out of the way so that the next call reconnects
 * (the daemon may have been restarted).  Without memory for the list the
 * dead one stays and calls keep failing with its error. */
static void sub_retire(modvirt_conn *conn, enum mv_subsystem slot)
{
    struct mv_rpc_client **n = reallocarray(conn->retired, conn->nretired + 1, sizeof(*n));

    if (!n)
        return;
    conn->retired = n;
    conn->retired[conn->nretired++] = TAKE_PTR(conn->rpc[slot]);
}

/* The connection for RT, opened now if this is its first use. */
static int sub_get(modvirt_conn *conn, const struct route *rt, struct mv_rpc_client **out,
                   struct mv_err *e)
{
    int r = 0;

    pthread_mutex_lock(&conn->lock);
    if (conn->rpc[rt->slot] && !mv_rpc_client_is_alive(conn->rpc[rt->slot]))
        sub_retire(conn, rt->slot);
    if (!conn->rpc[rt->slot])
        r = sub_open(conn, rt, &conn->rpc[rt->slot], e);
    *out = conn->rpc[rt->slot];
    pthread_mutex_unlock(&conn->lock);
    return r;
}

int modvirt_rpc_fail(struct mv_err *e, modvirt_error **err, int r)
{
    /* a broken connection is, to the caller, a daemon it cannot reach */
    if (r == -ECONNRESET)
        r = -ENOTCONN;
    return modvirt_error_give(e, err, r);
}

int modvirt_rpc_call(struct mv_rpc_client *rpc, int proc, xdrproc_t args_filter,
                     const void *args, xdrproc_t ret_filter, void *ret, modvirt_error **err)
{
    struct mv_err e = { 0 };
    int r = remote_call(rpc, proc, args_filter, args, ret_filter, ret, &e);

    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}

int modvirt_rpc_process(struct mv_rpc_client *rpc, int timeout_ms, modvirt_error **err)
{
    /* the RPC client does not read at all when given 0 ms: ask for the
     * shortest real wait instead, which returns at once if data is there */
    int r = mv_rpc_client_process(rpc, timeout_ms == 0 ? 1 : timeout_ms);

    if (r >= 0)
        return r;
    return modvirt_error_set(err, -ENOTCONN, MV_ERR_RPC, MV_FROM_RPC,
                             "the connection to the daemon was lost (%s)", strerror(-r));
}

int modvirt_conn_rpc(modvirt_conn *conn, int proc, struct mv_rpc_client **rpc, modvirt_error **err)
{
    struct mv_err e = { 0 };
    int r = sub_get(conn, route_for(conn, proc), rpc, &e);

    return r < 0 ? modvirt_error_give(&e, err, r) : 0;
}

int modvirt_conn_call(modvirt_conn *conn, int proc, xdrproc_t args_filter, const void *args,
                      xdrproc_t ret_filter, void *ret, modvirt_error **err)
{
    struct mv_rpc_client *rpc = NULL;
    int r = modvirt_conn_rpc(conn, proc, &rpc, err);

    return r < 0 ? r : modvirt_rpc_call(rpc, proc, args_filter, args, ret_filter, ret, err);
}

int modvirt_conn_call_prog(modvirt_conn *conn, uint32_t prog, int proc, xdrproc_t args_filter,
                           const void *args, xdrproc_t ret_filter, void *ret, modvirt_error **err)
{
    struct mv_rpc_client *rpc = NULL;
    struct mv_err e = { 0 };
    int r = sub_get(conn, route_for_prog(conn, prog, proc), &rpc, &e);

    if (r < 0)
        return modvirt_error_give(&e, err, r);
    r = mv_rpc_client_call(rpc, prog, proc, args_filter, args, ret_filter, ret, &e);
    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}

/* ---- open and close ---- */

static const char *default_uri(const char *uri)
{
    const char *env;

    if (uri)
        return uri;
    env = getenv("MODVIRT_DEFAULT_URI");
    return env && *env ? env : DEFAULT_URI;
}

modvirt_conn *modvirt_conn_open(const char *uri, unsigned int flags, modvirt_error **err)
{
    struct mv_err e = { 0 };
    modvirt_conn *conn;
    int r;

    if (flags & ~(unsigned int)MODVIRT_CONN_READONLY) {
        mv_err_set(&e, MV_ERR_INVALID_ARG, MV_FROM_REMOTE, "unsupported flags (0x%x) in "
                   "modvirt_conn_open", flags & ~(unsigned int)MODVIRT_CONN_READONLY);
        modvirt_error_give(&e, err, -EINVAL);
        return NULL;
    }
    conn = calloc(1, sizeof(*conn));
    if (!conn) {
        mv_err_set(&e, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
        modvirt_error_give(&e, err, -ENOMEM);
        return NULL;
    }
    pthread_mutex_init(&conn->lock, NULL);
    conn->readonly = flags & MODVIRT_CONN_READONLY;
    r = mv_uri_parse(default_uri(uri), &conn->uri, &e);
    if (r == 0 && !conn->uri.socket) {
        r = mv_paths_init(&conn->paths, conn->uri.root);
        if (r < 0)
            mv_err_set_errno(&e, r, MV_ERR_INVALID_ARG, MV_FROM_REMOTE,
                             "cannot use root '%s'", conn->uri.root ? conn->uri.root : "/");
    }
    if (r < 0) {
        modvirt_error_give(&e, err, r);
        modvirt_conn_close(conn);
        return NULL;
    }
    return conn;
}

void modvirt_conn_close(modvirt_conn *conn)
{
    if (!conn)
        return;
    modvirt_domain_events_free(conn);
    modvirt_network_events_free(conn);
    modvirt_node_device_events_free(conn);
    for (size_t i = 0; i < MV_ARRAY_SIZE(conn->rpc); i++) {
        struct mv_err e = { 0 };

        if (!conn->rpc[i])
            continue;
        /* the daemon closes its end after replying; failures change nothing */
        mv_rpc_client_call_timeout(conn->rpc[i], MV_REMOTE_PROGRAM, MV_PROC_CONNECT_CLOSE,
                                   NULL, NULL, NULL, NULL, CLOSE_TIMEOUT_MS, &e);
        mv_err_clear(&e);
        mv_rpc_client_free(conn->rpc[i]);
    }
    for (size_t i = 0; i < conn->nretired; i++)
        mv_rpc_client_free(conn->retired[i]);
    free(conn->retired);
    mv_uri_clear(&conn->uri);
    mv_paths_clear(&conn->paths);
    pthread_mutex_destroy(&conn->lock);
    free(conn);
}

const char *modvirt_conn_get_uri(modvirt_conn *conn)
{
    return conn->uri.uri;
}
