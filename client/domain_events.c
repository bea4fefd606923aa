/*
 * Domain events: one subscription per connection to the lifecycle (0) and
 * reboot (1) events of all domains, registered with the callback form of
 * the protocol (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, wire-protocol.md
 * 6.1) on the daemon connection that serves domains.  Events are MESSAGE
 * packets the RPC client hands to on_event() on whichever thread reads;
 * client/events.c holds the slot in the connection.
 */
#define MV_LOG_MODULE "client.events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "log.h"
#include "remote_protocol.h"

static const int event_ids[] = { MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE, MODVIRT_DOMAIN_EVENT_ID_REBOOT };

struct mv_domain_events {
    struct mv_event_sub sub;            /* first: the slot holds this */
    int callback_id[MV_ARRAY_SIZE(event_ids)];  /* the daemon's ids; -1 if not registered */
};

/* ---- decoding ---- */

static void ref_from_wire(modvirt_domain_ref *ref, const mv_nonnull_domain *w)
{
    ref->name = w->name;
    memcpy(ref->uuid, w->uuid, sizeof(ref->uuid));
    ref->id = w->id;
    ref->state = -1;
    ref->reason = -1;
}

static int decode_lifecycle(const struct mv_msg *msg, modvirt_domain_event_fn fn,
                            modvirt_conn *conn, void *opaque)
{
    mv_domain_event_callback_lifecycle_msg m;
    modvirt_domain_event ev = { .event_id = MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE };

    memset(&m, 0, sizeof(m));
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &m) < 0)
        return -EBADMSG;
    ref_from_wire(&ev.dom, &m.msg.dom);
    ev.type = m.msg.event;
    ev.detail = m.msg.detail;
    fn(conn, &ev, opaque);
    xdr_free((xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, (char *)&m);
    return 0;
}

static int decode_reboot(const struct mv_msg *msg, modvirt_domain_event_fn fn,
                         modvirt_conn *conn, void *opaque)
{
    mv_domain_event_callback_reboot_msg m;
    modvirt_domain_event ev = { .event_id = MODVIRT_DOMAIN_EVENT_ID_REBOOT };

    memset(&m, 0, sizeof(m));
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_domain_event_callback_reboot_msg, &m) < 0)
        return -EBADMSG;
    ref_from_wire(&ev.dom, &m.msg.dom);
    fn(conn, &ev, opaque);
    xdr_free((xdrproc_t)xdr_mv_domain_event_callback_reboot_msg, (char *)&m);
    return 0;
}

/* The RPC client's event handler.  The procedure says which event it is;
 * the callbackID need not be checked against ours, since the connection
 * has only our one registration per event, and an event may arrive
 * together with the reply that tells us the id. */
static void on_event(struct mv_rpc_client *c, int proc, const struct mv_msg *msg, void *opaque)
{
    modvirt_conn *conn = opaque;
    struct mv_event_sub to;
    modvirt_domain_event_fn fn;
    int r = 0;

    if (!mv_event_sub_target(conn, &conn->events, c, &to))
        return;
    fn = (modvirt_domain_event_fn)to.fn;
    if (proc == MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE)
        r = decode_lifecycle(msg, fn, conn, to.opaque);
    else if (proc == MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT)
        r = decode_reboot(msg, fn, conn, to.opaque);
    else
        mv_debug("ignoring event procedure %d", proc);
    if (r < 0)
        mv_debug("dropping event %d: its body does not decode", proc);
}

/* ---- registration ---- */

static int register_one(struct mv_rpc_client *rpc, int event_id, int *callback_id,
                        modvirt_error **err)
{
    mv_connect_domain_event_callback_register_any_args args = { .eventID = event_id, .dom = NULL };
    mv_connect_domain_event_callback_register_any_ret ret = { 0 };
    int r = modvirt_rpc_call(rpc, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
                             (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args,
                             &args,
                             (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_ret,
                             &ret, err);

    if (r == 0)
        *callback_id = ret.callbackID;
    return r;
}

/* Tells the daemon to drop EV's registrations; the first failure wins. */
static int deregister_all(struct mv_domain_events *ev, modvirt_error **err)
{
    int result = 0;

    for (size_t i = 0; i < MV_ARRAY_SIZE(ev->callback_id); i++) {
        mv_connect_domain_event_callback_deregister_any_args args = {
            .callbackID = ev->callback_id[i],
        };
        int r;

        if (ev->callback_id[i] < 0)
            continue;
        r = modvirt_rpc_call(ev->sub.rpc, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
                             (xdrproc_t)xdr_mv_connect_domain_event_callback_deregister_any_args,
                             &args, NULL, NULL, result < 0 ? NULL : err);
        ev->callback_id[i] = -1;
        if (r < 0 && result == 0)
            result = r;
    }
    return result;
}

void modvirt_domain_events_free(modvirt_conn *conn)
{
    if (conn->events)
        mv_event_sub_close(conn, &conn->events, conn->events);
}

int modvirt_domain_events_register(modvirt_conn *conn, modvirt_domain_event_fn fn, void *opaque,
                                   modvirt_error **err)
{
    _cleanup_free_ struct mv_domain_events *ev = calloc(1, sizeof(*ev));
    struct mv_domain_events *live;
    int r;

    if (!ev)
        return modvirt_error_nomem(err);
    ev->sub.fn = (void (*)(void))fn;
    ev->sub.opaque = opaque;
    for (size_t i = 0; i < MV_ARRAY_SIZE(ev->callback_id); i++)
        ev->callback_id[i] = -1;
    r = mv_event_sub_open(conn, &conn->events, &ev->sub, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
                          on_event, "domain", err);
    if (r < 0)
        return r;
    live = TAKE_PTR(ev);
    for (size_t i = 0; i < MV_ARRAY_SIZE(event_ids); i++) {
        r = register_one(live->sub.rpc, event_ids[i], &live->callback_id[i], err);
        if (r < 0) {
            deregister_all(live, NULL);
            mv_event_sub_close(conn, &conn->events, &live->sub);
            return r;
        }
    }
    return 0;
}

int modvirt_domain_events_deregister(modvirt_conn *conn, modvirt_error **err)
{
    struct mv_domain_events *ev = (struct mv_domain_events *)mv_event_sub_get(conn, &conn->events);
    int r;

    if (!ev)
        return 0;
    r = deregister_all(ev, err);
    mv_event_sub_close(conn, &conn->events, &ev->sub);
    return r;
}

int modvirt_domain_events_fd(modvirt_conn *conn)
{
    return mv_event_sub_fd(conn, &conn->events);
}

int modvirt_domain_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err)
{
    return mv_event_sub_process(conn, &conn->events, timeout_ms, "domain", err);
}
