/*
 * The procedures of storaged's parts that have not landed yet, knowingly
 * not served ("unknown procedure", which libvirt clients report as "not
 * supported"), so the daemon starts meanwhile.  Each part's owner deletes
 * its entries here when its own table lands (storaged-plan: ststream owns
 * volume_stream.c, stsecret owns secret_procs.c).
 */
#include "storaged.h"

static const struct mv_dispatch_entry stream_pending[] = {
    MV_NOT_IMPLEMENTED(STORAGE_VOL_UPLOAD),
    MV_NOT_IMPLEMENTED(STORAGE_VOL_DOWNLOAD),
};
const struct mv_dispatch_table storaged_stream_table = { stream_pending, MV_ARRAY_SIZE(stream_pending) };

static const struct mv_dispatch_entry secret_pending[] = {
    MV_NOT_IMPLEMENTED(CONNECT_NUM_OF_SECRETS),
    MV_NOT_IMPLEMENTED(CONNECT_LIST_SECRETS),
    MV_NOT_IMPLEMENTED(CONNECT_LIST_ALL_SECRETS),
    MV_NOT_IMPLEMENTED(SECRET_LOOKUP_BY_UUID),
    MV_NOT_IMPLEMENTED(SECRET_LOOKUP_BY_USAGE),
    MV_NOT_IMPLEMENTED(SECRET_DEFINE_XML),
    MV_NOT_IMPLEMENTED(SECRET_GET_XML_DESC),
    MV_NOT_IMPLEMENTED(SECRET_SET_VALUE),
    MV_NOT_IMPLEMENTED(SECRET_GET_VALUE),
    MV_NOT_IMPLEMENTED(SECRET_UNDEFINE),
    MV_NOT_IMPLEMENTED(CONNECT_SECRET_EVENT_REGISTER_ANY),
    MV_NOT_IMPLEMENTED(CONNECT_SECRET_EVENT_DEREGISTER_ANY),
};
const struct mv_dispatch_table storaged_secret_table = { secret_pending, MV_ARRAY_SIZE(secret_pending) };
