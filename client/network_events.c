/*
 * Network events: one subscription per connection to the lifecycle events
 * (defined, undefined, started, stopped) of all networks, registered with
 * CONNECT_NETWORK_EVENT_REGISTER_ANY on netd's connection.  Events are
 * NETWORK_EVENT_LIFECYCLE messages the RPC client hands to on_event() on
 * whichever thread reads; client/events.c holds the slot in the connection.
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
    struct mv_event_sub sub;    /* first: the slot holds this */
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
    struct mv_event_sub to;

    if (!mv_event_sub_target(conn, &conn->net_events, c, &to))
        return;
    if (proc != MV_PROC_NETWORK_EVENT_LIFECYCLE)
        mv_debug("ignoring event procedure %d", proc);
    else if (decode_lifecycle(msg, (modvirt_network_event_fn)to.fn, conn, to.opaque) < 0)
        mv_debug("dropping event %d: its body does not decode", proc);
}

void modvirt_network_events_free(modvirt_conn *conn)
{
    if (conn->net_events)
        mv_event_sub_close(conn, &conn->net_events, conn->net_events);
}

static int deregister(struct mv_network_events *ev, modvirt_error **err)
{
    mv_connect_network_event_deregister_any_args args = { .callbackID = ev->callback_id };

    if (ev->callback_id < 0)
        return 0;
    ev->callback_id = -1;
    return modvirt_rpc_call(ev->sub.rpc, MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY,
                            (xdrproc_t)xdr_mv_connect_network_event_deregister_any_args, &args,
                            NULL, NULL, err);
}

int modvirt_network_events_register(modvirt_conn *conn, modvirt_network_event_fn fn, void *opaque,
                                    modvirt_error **err)
{
    _cleanup_free_ struct mv_network_events *ev = calloc(1, sizeof(*ev));
    mv_connect_network_event_register_any_args args = { .eventID = LIFECYCLE, .net = NULL };
    mv_connect_network_event_register_any_ret ret = { 0 };
    struct mv_network_events *live;
    int r;

    if (!ev)
        return modvirt_error_nomem(err);
    ev->sub.fn = (void (*)(void))fn;
    ev->sub.opaque = opaque;
    ev->callback_id = -1;
    r = mv_event_sub_open(conn, &conn->net_events, &ev->sub, MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY,
                          on_event, "network", err);
    if (r < 0)
        return r;
    live = TAKE_PTR(ev);
    r = modvirt_rpc_call(live->sub.rpc, MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY,
                         (xdrproc_t)xdr_mv_connect_network_event_register_any_args, &args,
                         (xdrproc_t)xdr_mv_connect_network_event_register_any_ret, &ret, err);
    if (r < 0) {
        mv_event_sub_close(conn, &conn->net_events, &live->sub);
        return r;
    }
    live->callback_id = ret.callbackID;
    return 0;
}

int modvirt_network_events_deregister(modvirt_conn *conn, modvirt_error **err)
{
    struct mv_network_events *ev = (struct mv_network_events *)mv_event_sub_get(conn, &conn->net_events);
    int r;

    if (!ev)
        return 0;
    r = deregister(ev, err);
    mv_event_sub_close(conn, &conn->net_events, &ev->sub);
    return r;
}

int modvirt_network_events_fd(modvirt_conn *conn)
{
    return mv_event_sub_fd(conn, &conn->net_events);
}

int modvirt_network_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err)
{
    return mv_event_sub_process(conn, &conn->net_events, timeout_ms, "network", err);
}
