/* Domain event registrations and delivery. */
#define MV_LOG_MODULE "qemud.events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_events.h"
#include "events.h"
#include "log.h"
#include "qemud.h"

/* VIR_DOMAIN_EVENT_ID_* */
enum { EVENT_ID_LIFECYCLE = 0, EVENT_ID_REBOOT = 1, EVENT_ID_DEVICE_REMOVED = 15, EVENT_ID_DEVICE_ADDED = 19,
       EVENT_ID_DEVICE_REMOVAL_FAILED = 22 };

int qemud_events_init(void)
{
    return mv_events_new("domain", &qemud.events);
}

static void fill_domain(mv_nonnull_domain *wire, const struct qemud_dom *dom, int id)
{
    wire->name = dom->name;         /* borrowed: encoded before we return */
    memcpy(wire->uuid, dom->uuid, MV_UUID_LEN);
    wire->id = id;
}

void qemud_event_lifecycle(const struct qemud_dom *dom, int id, int event, int detail)
{
    mv_domain_event_callback_lifecycle_msg msg = { .msg = { .event = event, .detail = detail } };

    fill_domain(&msg.msg.dom, dom, id);
    mv_debug("domain '%s': lifecycle event %d detail %d", dom->name, event, detail);
    mv_events_emit(qemud.events, EVENT_ID_LIFECYCLE, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                   (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg);
}

void qemud_event_reboot(const struct qemud_dom *dom, int id)
{
    mv_domain_event_callback_reboot_msg msg = { 0 };

    fill_domain(&msg.msg.dom, dom, id);
    mv_events_emit(qemud.events, EVENT_ID_REBOOT, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT,
                   (xdrproc_t)xdr_mv_domain_event_callback_reboot_msg, &msg);
}

void qemud_event_device_added(const struct qemud_dom *dom, int id, const char *alias)
{
    mv_domain_event_callback_device_added_msg msg = { .devAlias = (char *)alias };

    fill_domain(&msg.dom, dom, id);
    mv_debug("domain '%s': device '%s' added", dom->name, alias);
    mv_events_emit(qemud.events, EVENT_ID_DEVICE_ADDED, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_ADDED,
                   (xdrproc_t)xdr_mv_domain_event_callback_device_added_msg, &msg);
}

void qemud_event_device_removed(const struct qemud_dom *dom, int id, const char *alias)
{
    mv_domain_event_callback_device_removed_msg msg = { .msg = { .devAlias = (char *)alias } };

    fill_domain(&msg.msg.dom, dom, id);
    mv_debug("domain '%s': device '%s' removed", dom->name, alias);
    mv_events_emit(qemud.events, EVENT_ID_DEVICE_REMOVED, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
                   (xdrproc_t)xdr_mv_domain_event_callback_device_removed_msg, &msg);
}

void qemud_event_device_removal_failed(const struct qemud_dom *dom, int id, const char *alias)
{
    mv_domain_event_callback_device_removal_failed_msg msg = { .devAlias = (char *)alias };

    fill_domain(&msg.dom, dom, id);
    mv_debug("domain '%s': removal of device '%s' failed", dom->name, alias);
    mv_events_emit(qemud.events, EVENT_ID_DEVICE_REMOVAL_FAILED, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED,
                   (xdrproc_t)xdr_mv_domain_event_callback_device_removal_failed_msg, &msg);
}

void qemud_events_client_close(struct mv_client *client)
{
    if (qemud.events)
        mv_events_client_close(qemud.events, client);
}

void qemud_events_cleanup(void)
{
    mv_events_free(qemud.events);
    qemud.events = NULL;
}

/* ---- procedures ---- */

static int register_any(struct mv_call *call, mv_connect_domain_event_callback_register_any_args *args,
                        mv_connect_domain_event_callback_register_any_ret *ret)
{
    int r;

    if (args->eventID < 0 || args->eventID > MV_DOMAIN_EVENT_ID_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: unsupported event ID %d", args->eventID);
    r = mv_events_register_call(qemud.events, call, MV_FROM_QEMU, args->eventID, args->dom ? args->dom->uuid : NULL,
                                args->dom ? MV_UUID_LEN : 0);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int deregister_any(struct mv_call *call, mv_connect_domain_event_callback_deregister_any_args *args,
                          void *ret)
{
    return mv_events_deregister_call(qemud.events, call, MV_FROM_QEMU, args->callbackID,
                                     MV_EVENTS_REMOTE_IDS);
}

static const struct mv_dispatch_entry event_procs[] = {
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, register_any),
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, deregister_any),
};
const struct mv_dispatch_table qemud_event_table = { event_procs, MV_ARRAY_SIZE(event_procs) };
