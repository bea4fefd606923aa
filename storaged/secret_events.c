/* Secret event registrations and delivery (secret_events.h). */
#define MV_LOG_MODULE "storaged.secret"
#include <string.h>

#include "error_codes.h"
#include "events.h"
#include "log.h"
#include "secret_events.h"

/* VIR_SECRET_EVENT_ID_* */
enum { EVENT_ID_LIFECYCLE = 0, EVENT_ID_VALUE_CHANGED = 1 };

void storaged_secret_to_wire_borrowed(const struct storaged_secret *sec, mv_nonnull_secret *out)
{
    memcpy(out->uuid, sec->uuid, MV_UUID_LEN);
    out->usageType = (int)sec->def->usage;
    /* a secret without usage has an empty usage id on the wire */
    out->usageID = sec->def->usage_id ? sec->def->usage_id : (char *)"";
}

void storaged_secret_event_lifecycle(const struct storaged_secret *sec, int event)
{
    mv_secret_event_lifecycle_msg msg = { .event = event, .detail = 0 };

    storaged_secret_to_wire_borrowed(sec, &msg.secret);
    mv_debug("secret '%s': lifecycle event %d", sec->uuid_str, event);
    mv_events_emit(storaged_secrets.events, EVENT_ID_LIFECYCLE, sec->uuid, MV_UUID_LEN,
                   MV_PROC_SECRET_EVENT_LIFECYCLE, (xdrproc_t)xdr_mv_secret_event_lifecycle_msg, &msg);
}

void storaged_secret_event_value_changed(const struct storaged_secret *sec)
{
    mv_secret_event_value_changed_msg msg = { 0 };

    storaged_secret_to_wire_borrowed(sec, &msg.secret);
    mv_debug("secret '%s': value changed", sec->uuid_str);
    mv_events_emit(storaged_secrets.events, EVENT_ID_VALUE_CHANGED, sec->uuid, MV_UUID_LEN,
                   MV_PROC_SECRET_EVENT_VALUE_CHANGED, (xdrproc_t)xdr_mv_secret_event_value_changed_msg, &msg);
}

int storaged_secret_event_register(struct mv_call *call, mv_connect_secret_event_register_any_args *args,
                                   mv_event_callback_ret *ret)
{
    int r;

    if (args->eventID != EVENT_ID_LIFECYCLE && args->eventID != EVENT_ID_VALUE_CHANGED)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_SECRET,
                             "internal error: unsupported secret event ID %d", args->eventID);
    r = mv_events_register_call(storaged_secrets.events, call, MV_FROM_SECRET, args->eventID,
                                args->secret ? args->secret->uuid : NULL, args->secret ? MV_UUID_LEN : 0);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

int storaged_secret_event_deregister(struct mv_call *call, mv_event_deregister_args *args, void *ret)
{
    return mv_events_deregister_call(storaged_secrets.events, call, MV_FROM_SECRET, args->callbackID,
                                     MV_EVENTS_REMOTE_IDS);
}
