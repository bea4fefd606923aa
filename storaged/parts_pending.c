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

