/* Storage pool lifecycle and refresh event registrations and delivery. */
#define MV_LOG_MODULE "storaged.events"
#include <errno.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "pool_events.h"
#include "secret_store.h"
#include "storaged.h"

/* VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, _REFRESH */
enum { EVENT_ID_LIFECYCLE = 0, EVENT_ID_REFRESH = 1, EVENT_ID_LAST };

int stor_events_init(void)
{
    return mv_events_new("storage pool", &storaged.events);
}

void stor_events_cleanup(void)
{
    mv_events_free(storaged.events);
    storaged.events = NULL;
}

void stor_event_lifecycle(const struct stor_pool *pool, int event)
{
    mv_storage_pool_event_lifecycle_msg msg = { .event = event, .detail = 0 };

    msg.pool.name = pool->name;     /* borrowed: encoded before we return */
    memcpy(msg.pool.uuid, pool->uuid, MV_UUID_LEN);
    mv_debug("storage pool '%s': lifecycle event %d", pool->name, event);
    mv_events_emit(storaged.events, EVENT_ID_LIFECYCLE, pool->uuid, MV_UUID_LEN, MV_PROC_STORAGE_POOL_EVENT_LIFECYCLE,
                   (xdrproc_t)xdr_mv_storage_pool_event_lifecycle_msg, &msg);
}

void stor_event_refresh(const struct stor_pool *pool)
{
    mv_storage_pool_event_refresh_msg msg = { 0 };

    msg.pool.name = pool->name;
    memcpy(msg.pool.uuid, pool->uuid, MV_UUID_LEN);
    mv_debug("storage pool '%s': refresh event", pool->name);
    mv_events_emit(storaged.events, EVENT_ID_REFRESH, pool->uuid, MV_UUID_LEN, MV_PROC_STORAGE_POOL_EVENT_REFRESH,
                   (xdrproc_t)xdr_mv_storage_pool_event_refresh_msg, &msg);
}

void storaged_client_close(struct mv_client *client)
{
    if (storaged.events)
        mv_events_client_close(storaged.events, client);
    storaged_secrets_client_close(client);
}

/* ---- procedures ---- */

static int register_any(struct mv_call *call, mv_connect_storage_pool_event_register_any_args *args,
                        mv_event_callback_ret *ret)
{
    int r;

    if (args->eventID < 0 || args->eventID >= EVENT_ID_LAST)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: unsupported storage pool event ID %d", args->eventID);
    r = mv_events_register_call(storaged.events, call, MV_FROM_STORAGE, args->eventID,
                                args->pool ? args->pool->uuid : NULL, args->pool ? MV_UUID_LEN : 0);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int deregister_any(struct mv_call *call, mv_event_deregister_args *args, void *ret)
{
    return mv_events_deregister_call(storaged.events, call, MV_FROM_STORAGE, args->callbackID,
                                     MV_EVENTS_REMOTE_IDS);
}

static const struct mv_dispatch_entry event_procs[] = {
    MV_HANDLER(CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, register_any),
    MV_HANDLER(CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, deregister_any),
};
const struct mv_dispatch_table storaged_event_table = { event_procs, MV_ARRAY_SIZE(event_procs) };
