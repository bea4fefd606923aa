/*
 * Network events: one subscription per connection to the lifecycle events
 * (defined, undefined, started, stopped) of all networks, registered with
 * CONNECT_NETWORK_EVENT_REGISTER_ANY on netd's connection.  Events are
 * NETWORK_EVENT_LIFECYCLE messages the RPC client hands to on_event() on
 * whichever thread reads.  The shape follows domain_events.c; the two stay
 * apart because each lives on its own daemon connection.
 */
#define MV_LOG_MODULE "client.events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "log.h"
#include "remote_protocol.h"

/* VIR_NETWORK_EVENT_ID_LIFECYCLE, the only network event libvirt 9.0 has */
#define LIFECYCLE 0

struct mv_network_events {
    modvirt_network_event_fn fn;
    void *opaque;
    struct mv_rpc_client *rpc;  /* where the registration lives */
    int callback_id;            /* the daemon's id; -1 if not registered */
};

static int decode_lifecycle(const struct mv_msg *msg, modvirt_network_event_fn fn,
                            modvirt_conn *conn, void *opaque)
{
    mv_network_event_lifecycle_msg m;
    modvirt_network_event ev = { 0 };

    memset(&m, 0, sizeof(m));
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_network_event_lifecycle_msg, &m) < 0)
        return -EBADMSG;
    ev.name = m.net.name;
    memcpy(ev.uuid, m.net.uuid, sizeof(ev.uuid));
    ev.type = m.event;
    ev.detail = m.detail;
    fn(conn, &ev, opaque);
    xdr_free((xdrproc_t)xdr_mv_network_event_lifecycle_msg, (char *)&m);
    return 0;
}

/* The RPC client's event handler.  The connection carries only our one
 * registration, so the callbackID need not be matched (an event may even
 * come with the reply that tells us the id). */
static void on_event(struct mv_rpc_client *c, int proc, const struct mv_msg *msg, void *opaque)
{
    modvirt_conn *conn = opaque;
    modvirt_network_event_fn fn = NULL;
    void *fn_opaque = NULL;

    pthread_mutex_lock(&conn->lock);
    if (conn->net_events && conn->net_events->rpc == c) {
        fn = conn->net_events->fn;
        fn_opaque = conn->net_events->opaque;
    }
    pthread_mutex_unlock(&conn->lock);
    if (!fn)
        return;
    if (proc != MV_PROC_NETWORK_EVENT_LIFECYCLE)
        mv_debug("ignoring event procedure %d", proc);
    else if (decode_lifecycle(msg, fn, conn, fn_opaque) < 0)
        mv_debug("dropping event %d: its body does not decode", proc);
}

/* Takes EV off CONN (and its handler off the RPC client) and frees it. */
static void events_drop(modvirt_conn *conn, struct mv_network_events *ev)
{
    pthread_mutex_lock(&conn->lock);
    if (conn->net_events == ev)
        conn->net_events = NULL;
    pthread_mutex_unlock(&conn->lock);
    mv_rpc_client_set_event_handler(ev->rpc, NULL, NULL);
    free(ev);
}

void modvirt_network_events_free(modvirt_conn *conn)
{
    if (conn->net_events)
        events_drop(conn, conn->net_events);
}

static int deregister(struct mv_network_events *ev, modvirt_error **err)
{
    mv_connect_network_event_deregister_any_args args = { .callbackID = ev->callback_id };

    if (ev->callback_id < 0)
        return 0;
    ev->callback_id = -1;
    return modvirt_rpc_call(ev->rpc, MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY,
                            (xdrproc_t)xdr_mv_connect_network_event_deregister_any_args, &args,
                            NULL, NULL, err);
}

static int claim(modvirt_conn *conn, struct mv_network_events *ev, modvirt_error **err)
{
    int r = 0;

    pthread_mutex_lock(&conn->lock);
    if (conn->net_events)
        r = -EBUSY;
    else
        conn->net_events = ev;
    pthread_mutex_unlock(&conn->lock);
    if (r < 0)
        return modvirt_error_set(err, r, MV_ERR_OPERATION_INVALID, MV_FROM_REMOTE,
                                 "network events are already registered on this connection");
    return 0;
}

int modvirt_network_events_register(modvirt_conn *conn, modvirt_network_event_fn fn, void *opaque,
                                    modvirt_error **err)
{
    _cleanup_free_ struct mv_network_events *ev = calloc(1, sizeof(*ev));
    mv_connect_network_event_register_any_args args = { .eventID = LIFECYCLE, .net = NULL };
    mv_connect_network_event_register_any_ret ret = { 0 };
    struct mv_network_events *live;
    int r;

    if (!fn)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_REMOTE,
                                 "invalid argument: no event callback");
    if (!ev)
        return modvirt_error_nomem(err);
    ev->fn = fn;
    ev->opaque = opaque;
    ev->callback_id = -1;
    r = modvirt_conn_rpc(conn, MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, &ev->rpc, err);
    if (r < 0 || (r = claim(conn, ev, err)) < 0)
        return r;
    live = TAKE_PTR(ev);
    /* the handler goes first: an event may follow the registration's reply at once */
    mv_rpc_client_set_event_handler(live->rpc, on_event, conn);
    r = modvirt_rpc_call(live->rpc, MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY,
                         (xdrproc_t)xdr_mv_connect_network_event_register_any_args, &args,
                         (xdrproc_t)xdr_mv_connect_network_event_register_any_ret, &ret, err);
    if (r < 0) {
        events_drop(conn, live);
        return r;
    }
    live->callback_id = ret.callbackID;
    return 0;
}

int modvirt_network_events_deregister(modvirt_conn *conn, modvirt_error **err)
{
    struct mv_network_events *ev;
    int r;

    pthread_mutex_lock(&conn->lock);
    ev = conn->net_events;
    pthread_mutex_unlock(&conn->lock);
    if (!ev)
        return 0;
    r = deregister(ev, err);
    events_drop(conn, ev);
    return r;
}

int modvirt_network_events_fd(modvirt_conn *conn)
{
    int fd = -1;

    pthread_mutex_lock(&conn->lock);
    if (conn->net_events)
        fd = mv_rpc_client_fd(conn->net_events->rpc);
    pthread_mutex_unlock(&conn->lock);
    return fd;
}

int modvirt_network_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err)
{
    struct mv_rpc_client *rpc = NULL;

    pthread_mutex_lock(&conn->lock);
    if (conn->net_events)
        rpc = conn->net_events->rpc;
    pthread_mutex_unlock(&conn->lock);
    if (!rpc)
        return modvirt_error_set(err, -EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_REMOTE,
                                 "no network events are registered on this connection");
    return modvirt_rpc_process(rpc, timeout_ms, err);
}
