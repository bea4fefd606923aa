/*
 * Node device lifecycle and update events: registrations (optionally for
 * one device, keyed by its name) and their delivery through rpc/events.h,
 * and the one place that turns what the tree did (scan.h's changed
 * callback) into events.
 *
 * A registration for a name is accepted whether or not that device exists
 * (libvirt's daemon checks nothing either): a client may wait for a device
 * that is yet to appear, as virsh nodedev-event --device does.
 */
#define MV_LOG_MODULE "nodedevd.events"
#include <errno.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "mdev.h"
#include "nodedevd.h"
#include "rpc/events.h"

int nodedevd_events_init(void)
{
    return mv_events_new("node device", &nodedevd.events);
}

void nodedevd_events_cleanup(void)
{
    mv_events_free(nodedevd.events);
    nodedevd.events = NULL;
}

static const char *const lifecycle_names[] = { "created", "deleted", "defined", "undefined" };

void nodedevd_emit_lifecycle(const struct nodedev_device *dev, enum nodedev_event event)
{
    mv_node_device_event_lifecycle_msg msg = { .event = (int)event, .detail = 0 };

    if (!nodedevd.events)
        return;
    msg.dev.name = dev->name;       /* borrowed: encoded before we return */
    mv_debug("node device '%s': %s", dev->name,
             (unsigned int)event < MV_ARRAY_SIZE(lifecycle_names) ? lifecycle_names[event] : "?");
    mv_events_emit(nodedevd.events, NODEDEV_EVENT_ID_LIFECYCLE, dev->name, strlen(dev->name),
                   MV_PROC_NODE_DEVICE_EVENT_LIFECYCLE, (xdrproc_t)xdr_mv_node_device_event_lifecycle_msg, &msg);
}

void nodedevd_emit_update(const struct nodedev_device *dev)
{
    mv_node_device_event_update_msg msg = { 0 };

    if (!nodedevd.events)
        return;
    msg.dev.name = dev->name;
    mv_debug("node device '%s': updated", dev->name);
    mv_events_emit(nodedevd.events, NODEDEV_EVENT_ID_UPDATE, dev->name, strlen(dev->name),
                   MV_PROC_NODE_DEVICE_EVENT_UPDATE, (xdrproc_t)xdr_mv_node_device_event_update_msg, &msg);
}

/* What the tree did with DEV (a nodedev_put_result, or -1: removed) as
 * the event libvirt sends: created, updated or deleted.  An unchanged
 * device (a uevent that changed nothing we show) sends nothing. */
void nodedevd_device_changed(struct nodedev_device *dev, int result, void *opaque)
{
    (void)opaque;
    if (result < 0) {
        nodedevd_emit_lifecycle(dev, NODEDEV_EVENT_DELETED);
        /* a defined mdev that left sysfs stays listed, inactive */
        nodedevd_mdev_removed(dev);
    } else if (result == NODEDEV_PUT_CREATED)
        nodedevd_emit_lifecycle(dev, NODEDEV_EVENT_CREATED);
    else if (result == NODEDEV_PUT_UPDATED)
        nodedevd_emit_update(dev);
}

/* ---- procedures ---- */

static int register_any(struct mv_call *call, mv_connect_node_device_event_register_any_args *args,
                        mv_event_callback_ret *ret)
{
    const char *name = args->dev ? args->dev->name : NULL;
    int r;

    if (args->eventID != NODEDEV_EVENT_ID_LIFECYCLE && args->eventID != NODEDEV_EVENT_ID_UPDATE)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                             "invalid argument: unsupported node device event ID %d", args->eventID);
    if (name && strlen(name) > MV_EVENTS_KEY_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                             "invalid argument: a node device name of %zu bytes (at most %d)",
                             strlen(name), MV_EVENTS_KEY_MAX);
    r = mv_events_register_call(nodedevd.events, call, MV_FROM_NODEDEV, args->eventID, name,
                                name ? strlen(name) : 0);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int deregister_any(struct mv_call *call, mv_event_deregister_args *args, void *ret)
{
    (void)ret;
    return mv_events_deregister_call(nodedevd.events, call, MV_FROM_NODEDEV, args->callbackID,
                                     MV_EVENTS_REMOTE_IDS);
}

static const struct mv_dispatch_entry event_procs[] = {
    MV_HANDLER(CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY, register_any),
    MV_HANDLER(CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY, deregister_any),
};
const struct mv_dispatch_table nodedevd_event_table = MV_DISPATCH_TABLE(event_procs);
