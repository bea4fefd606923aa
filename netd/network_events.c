/* Network lifecycle event registrations and delivery. */
#define MV_LOG_MODULE "netd.events"
#include <errno.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "netd.h"
#include "network_events.h"

/* VIR_NETWORK_EVENT_ID_LIFECYCLE, the only one */
enum { EVENT_ID_LIFECYCLE = 0 };

int netd_events_init(void)
{
    return mv_events_new("network", &netd.events);
}

void netd_events_cleanup(void)
{
    mv_events_free(netd.events);
    netd.events = NULL;
}

void netd_event_lifecycle(const struct netd_net *net, int event)
{
    mv_network_event_lifecycle_msg msg = { .event = event, .detail = 0 };

    msg.net.name = net->name;       /* borrowed: encoded before we return */
    memcpy(msg.net.uuid, net->uuid, MV_UUID_LEN);
    mv_debug("network '%s': lifecycle event %d", net->name, event);
    mv_events_emit(netd.events, EVENT_ID_LIFECYCLE, net->uuid, MV_UUID_LEN, MV_PROC_NETWORK_EVENT_LIFECYCLE,
                   (xdrproc_t)xdr_mv_network_event_lifecycle_msg, &msg);
}

void netd_client_close(struct mv_client *client)
{
    if (netd.events)
        mv_events_client_close(netd.events, client);
}

/* ---- procedures ---- */

static int register_any(struct mv_call *call, mv_connect_network_event_register_any_args *args,
                        mv_connect_network_event_register_any_ret *ret)
{
    int r;

    if (args->eventID != EVENT_ID_LIFECYCLE)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                             "internal error: unsupported network event ID %d", args->eventID);
    r = mv_events_register_call(netd.events, call, MV_FROM_NETWORK, args->eventID, args->net ? args->net->uuid : NULL,
                                args->net ? MV_UUID_LEN : 0);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int deregister_any(struct mv_call *call, mv_connect_network_event_deregister_any_args *args, void *ret)
{
    return mv_events_deregister_call(netd.events, call, MV_FROM_NETWORK, args->callbackID,
                                     MV_EVENTS_REMOTE_IDS);
}

static const struct mv_dispatch_entry event_procs[] = {
    MV_HANDLER(CONNECT_NETWORK_EVENT_REGISTER_ANY, register_any),
    MV_HANDLER(CONNECT_NETWORK_EVENT_DEREGISTER_ANY, deregister_any),
};
const struct mv_dispatch_table netd_event_table = { event_procs, MV_ARRAY_SIZE(event_procs) };
