/*
 * Node device events: one subscription per connection to the lifecycle
 * (created, deleted, defined, undefined) and update events of all devices,
 * registered with CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY on nodedevd's
 * connection, once per event id (libvirt registers each id separately).
 * Events are NODE_DEVICE_EVENT_LIFECYCLE / _UPDATE messages the RPC client
 * hands to on_event() on whichever thread reads; client/events.c holds the
 * slot in the connection.
 */
#define MV_LOG_MODULE "client.events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "log.h"
#include "remote_protocol.h"

#define NIDS 2      /* LIFECYCLE and UPDATE */

struct mv_nodedev_events {
    struct mv_event_sub sub;    /* first: the slot holds this */
    int callback_id[NIDS];      /* the daemon's ids; -1 if not registered */
};

static int decode_lifecycle(const struct mv_msg *msg, modvirt_node_device_event *ev,
                            modvirt_node_device_event_fn fn, modvirt_conn *conn, void *opaque)
{
    mv_node_device_event_lifecycle_msg m;

    memset(&m, 0, sizeof(m));
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_node_device_event_lifecycle_msg, &m) < 0)
        return -EBADMSG;
    ev->event_id = MODVIRT_NODE_DEVICE_EVENT_ID_LIFECYCLE;
    ev->name = m.dev.name;
    ev->type = m.event;
    ev->detail = m.detail;
    fn(conn, ev, opaque);
    xdr_free((xdrproc_t)xdr_mv_node_device_event_lifecycle_msg, (char *)&m);
    return 0;
}

static int decode_update(const struct mv_msg *msg, modvirt_node_device_event *ev,
                         modvirt_node_device_event_fn fn, modvirt_conn *conn, void *opaque)
{
    mv_node_device_event_update_msg m;

    memset(&m, 0, sizeof(m));
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_node_device_event_update_msg, &m) < 0)
        return -EBADMSG;
    ev->event_id = MODVIRT_NODE_DEVICE_EVENT_ID_UPDATE;
    ev->name = m.dev.name;
    fn(conn, ev, opaque);
    xdr_free((xdrproc_t)xdr_mv_node_device_event_update_msg, (char *)&m);
    return 0;
}

/* The RPC client's event handler.  The connection carries only our
 * registrations, so callback ids need not be matched. */
static void on_event(struct mv_rpc_client *c, int proc, const struct mv_msg *msg, void *opaque)
{
    modvirt_conn *conn = opaque;
    modvirt_node_device_event ev = { 0 };
    struct mv_event_sub to;
    int r;

    if (!mv_event_sub_target(conn, &conn->nodedev_events, c, &to))
        return;
    if (proc == MV_PROC_NODE_DEVICE_EVENT_LIFECYCLE)
        r = decode_lifecycle(msg, &ev, (modvirt_node_device_event_fn)to.fn, conn, to.opaque);
    else if (proc == MV_PROC_NODE_DEVICE_EVENT_UPDATE)
        r = decode_update(msg, &ev, (modvirt_node_device_event_fn)to.fn, conn, to.opaque);
    else {
        mv_debug("ignoring event procedure %d", proc);
        return;
    }
    if (r < 0)
        mv_debug("dropping event %d: its body does not decode", proc);
}

void modvirt_node_device_events_free(modvirt_conn *conn)
{
    if (conn->nodedev_events)
        mv_event_sub_close(conn, &conn->nodedev_events, conn->nodedev_events);
}

/* Drops every registration of EV on the daemon; the first error is kept. */
static int deregister(struct mv_nodedev_events *ev, modvirt_error **err)
{
    int r = 0;

    for (int i = 0; i < NIDS; i++) {
        mv_event_deregister_args args = { .callbackID = ev->callback_id[i] };
        modvirt_error *e = NULL;
        int q;

        if (ev->callback_id[i] < 0)
            continue;
        ev->callback_id[i] = -1;
        q = modvirt_rpc_call(ev->sub.rpc, MV_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY,
                             (xdrproc_t)xdr_mv_event_deregister_args, &args, NULL, NULL, &e);
        if (q < 0 && r == 0) {
            r = q;
            if (err)
                *err = TAKE_PTR(e);
        }
        modvirt_error_free(e);
    }
    return r;
}

/* Registers event id ID for every device. */
static int register_id(struct mv_nodedev_events *ev, int id, modvirt_error **err)
{
    mv_connect_node_device_event_register_any_args args = { .eventID = id, .dev = NULL };
    mv_event_callback_ret ret = { 0 };
    int r = modvirt_rpc_call(ev->sub.rpc, MV_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY,
                             (xdrproc_t)xdr_mv_connect_node_device_event_register_any_args, &args,
                             (xdrproc_t)xdr_mv_event_callback_ret, &ret, err);

    if (r == 0)
        ev->callback_id[id] = ret.callbackID;
    return r;
}

int modvirt_node_device_events_register(modvirt_conn *conn, modvirt_node_device_event_fn fn,
                                        void *opaque, modvirt_error **err)
{
    _cleanup_free_ struct mv_nodedev_events *ev = calloc(1, sizeof(*ev));
    struct mv_nodedev_events *live;
    int r;

    if (!ev)
        return modvirt_error_nomem(err);
    ev->sub.fn = (void (*)(void))fn;
    ev->sub.opaque = opaque;
    for (int i = 0; i < NIDS; i++)
        ev->callback_id[i] = -1;
    r = mv_event_sub_open(conn, &conn->nodedev_events, &ev->sub,
                          MV_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY, on_event, "node device", err);
    if (r < 0)
        return r;
    live = TAKE_PTR(ev);
    for (int i = 0; i < NIDS && r == 0; i++)
        r = register_id(live, i, err);
    if (r < 0) {
        /* the half made subscription goes; the first error is the one to tell */
        deregister(live, NULL);
        mv_event_sub_close(conn, &conn->nodedev_events, &live->sub);
    }
    return r;
}

int modvirt_node_device_events_deregister(modvirt_conn *conn, modvirt_error **err)
{
    struct mv_nodedev_events *ev =
        (struct mv_nodedev_events *)mv_event_sub_get(conn, &conn->nodedev_events);
    int r;

    if (!ev)
        return 0;
    r = deregister(ev, err);
    mv_event_sub_close(conn, &conn->nodedev_events, &ev->sub);
    return r;
}

int modvirt_node_device_events_fd(modvirt_conn *conn)
{
    return mv_event_sub_fd(conn, &conn->nodedev_events);
}

int modvirt_node_device_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err)
{
    return mv_event_sub_process(conn, &conn->nodedev_events, timeout_ms, "node device", err);
}
