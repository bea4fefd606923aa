/* Volumes of modvirt-storaged's pools, over storaged's socket (storage_volume.h). */
#define MV_LOG_MODULE "qemud.volume"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "peer_conn.h"
#include "remote_protocol.h"
#include "storage_volume.h"
#include "xml.h"

/* One call to storaged: lookups are answered inline; this only ends a
 * storaged that stopped answering. */
#define STORAGED_CALL_TIMEOUT_MS 60000

#define STORAGED_PEER(p) { .paths = (p), .daemon = "storaged", .uri = "storage:///system", \
                           .timeout_ms = STORAGED_CALL_TIMEOUT_MS }

/* What a volume disk resolves to. */
struct resolved {
    char *path;
    enum mv_dom_disk_format format;
};

bool qemud_disk_volumes_needed(const struct mv_dom_def *def)
{
    for (size_t i = 0; i < def->devices.ndisks; i++)
        if (def->devices.disks[i].type == MV_DOM_DISK_VOLUME)
            return true;
    return false;
}

/* Says which domain, pool and volume a failure of the connection itself
 * was about; storaged's own answers stay as they are. */
static int conn_context(struct mv_err *err, int r, const char *dom, const struct mv_dom_disk *d)
{
    _cleanup_free_ char *msg = err->message ? strdup(err->message) : NULL;

    if (err->domain != MV_FROM_RPC || !msg)
        return r;
    mv_err_set(err, err->code, err->domain,
               "cannot reach modvirt-storaged for volume '%s' of pool '%s' of domain '%s': %s", d->volume,
               d->pool, dom, msg);
    return r;
}

/* STORAGE_POOL_LOOKUP_BY_NAME and STORAGE_POOL_IS_ACTIVE: *POOL (xdr_free
 * it) for the running pool of D. */
static int active_pool(struct qemud_peer *p, const struct mv_dom_disk *d, mv_nonnull_storage_pool *pool,
                       struct mv_err *err)
{
    mv_storage_pool_lookup_by_name_args args = { .name = d->pool };
    mv_storage_pool_ret ret = { 0 };
    mv_storage_pool_is_active_ret active = { 0 };
    mv_storage_pool_args pargs;
    int r;

    if ((r = qemud_peer_open(p, err)) < 0 ||
        (r = qemud_peer_call(p, MV_PROC_STORAGE_POOL_LOOKUP_BY_NAME,
                             (xdrproc_t)xdr_mv_storage_pool_lookup_by_name_args, &args,
                             (xdrproc_t)xdr_mv_storage_pool_ret, &ret, err)) < 0)
        return r;
    pargs.pool = ret.pool;
    r = qemud_peer_call(p, MV_PROC_STORAGE_POOL_IS_ACTIVE, (xdrproc_t)xdr_mv_storage_pool_args, &pargs,
                        (xdrproc_t)xdr_mv_storage_pool_is_active_ret, &active, err);
    if (r == 0 && !active.active)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                       "Requested operation is not valid: storage pool '%s' containing volume '%s' is not active",
                       d->pool, d->volume);
    if (r < 0) {
        xdr_free((xdrproc_t)xdr_mv_storage_pool_ret, (char *)&ret);
        return r;
    }
    *pool = ret.pool;
    return 0;
}

/* STORAGE_VOL_LOOKUP_BY_NAME: *VOL (xdr_free it); storaged's "no such
 * volume" is said again with the pool's name in it. */
static int lookup_volume(struct qemud_peer *p, const struct mv_dom_disk *d, mv_nonnull_storage_pool *pool,
                         mv_nonnull_storage_vol *vol, struct mv_err *err)
{
    mv_storage_vol_lookup_by_name_args args = { .pool = *pool, .name = d->volume };
    mv_storage_vol_ret ret = { 0 };
    int r = qemud_peer_call(p, MV_PROC_STORAGE_VOL_LOOKUP_BY_NAME,
                            (xdrproc_t)xdr_mv_storage_vol_lookup_by_name_args, &args,
                            (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);

    if (r < 0 && err->code == MV_ERR_NO_STORAGE_VOL)
        return mv_err_set(err, MV_ERR_NO_STORAGE_VOL, MV_FROM_STORAGE,
                          "Storage volume not found: no storage volume with matching name '%s' in pool '%s'",
                          d->volume, d->pool);
    if (r == 0)
        *vol = ret.vol;
    return r;
}

/* The disk format of volume XML (<volume type='file'> with <target><format
 * type=>); only file volumes in raw or qcow2 can back a disk here. */
static int volume_format(const struct mv_dom_disk *d, const char *xml, enum mv_dom_disk_format *format,
                         struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL, *type = NULL, *fmt = NULL;
    xmlXPathContextPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    int r = mv_xml_parse(xml, "storage volume", &doc, &msg);

    if (r == 0 && (r = mv_xpath_context_new(doc, &ctx)) == 0) {
        type = mv_xpath_string(ctx, "string(/volume/@type)");
        fmt = mv_xpath_string(ctx, "string(/volume/target/format/@type)");
    }
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                "cannot read the XML of volume '%s' of pool '%s': %s", d->volume, d->pool,
                                msg ? msg : "out of memory");
    if (type && strcmp(type, "file") != 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: volume '%s' of pool '%s' is of type '%s'; only file "
                          "volumes can back a disk", d->volume, d->pool, type);
    if (!fmt || strcmp(fmt, "raw") == 0)
        *format = MV_DOM_DISK_FORMAT_RAW;
    else if (strcmp(fmt, "qcow2") == 0)
        *format = MV_DOM_DISK_FORMAT_QCOW2;
    else
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: volume '%s' of pool '%s' has format '%s'; a disk "
                          "can be raw or qcow2", d->volume, d->pool, fmt);
    return 0;
}

/* STORAGE_VOL_GET_PATH and STORAGE_VOL_GET_XML_DESC of VOL into OUT. */
static int volume_facts(struct qemud_peer *p, const struct mv_dom_disk *d, mv_nonnull_storage_vol *vol,
                        struct resolved *out, struct mv_err *err)
{
    mv_storage_vol_args args = { .vol = *vol };
    mv_storage_vol_flags_args xargs = { .vol = *vol, .flags = 0 };
    mv_storage_vol_get_path_ret path = { 0 };
    mv_xml_ret xml = { 0 };
    int r = qemud_peer_call(p, MV_PROC_STORAGE_VOL_GET_PATH, (xdrproc_t)xdr_mv_storage_vol_args, &args,
                            (xdrproc_t)xdr_mv_storage_vol_get_path_ret, &path, err);

    if (r == 0)
        r = qemud_peer_call(p, MV_PROC_STORAGE_VOL_GET_XML_DESC, (xdrproc_t)xdr_mv_storage_vol_flags_args,
                            &xargs, (xdrproc_t)xdr_mv_xml_ret, &xml, err);
    if (r == 0)
        r = volume_format(d, xml.xml, &out->format, err);
    if (r == 0)
        out->path = TAKE_PTR(path.name);
    xdr_free((xdrproc_t)xdr_mv_storage_vol_get_path_ret, (char *)&path);
    xdr_free((xdrproc_t)xdr_mv_xml_ret, (char *)&xml);
    return r;
}

static int resolve_one(struct qemud_peer *p, const char *dom, const struct mv_dom_disk *d, struct resolved *out,
                       struct mv_err *err)
{
    mv_nonnull_storage_pool pool = { 0 };
    mv_nonnull_storage_vol vol = { 0 };
    int r = active_pool(p, d, &pool, err);

    if (r == 0 && (r = lookup_volume(p, d, &pool, &vol, err)) == 0)
        r = volume_facts(p, d, &vol, out, err);
    xdr_free((xdrproc_t)xdr_mv_nonnull_storage_pool, (char *)&pool);
    xdr_free((xdrproc_t)xdr_mv_nonnull_storage_vol, (char *)&vol);
    return r < 0 ? conn_context(err, r, dom, d) : 0;
}

int qemud_disk_volumes_resolve(const struct mv_paths *paths, struct mv_dom_def *live, struct mv_err *err)
{
    struct qemud_peer p = STORAGED_PEER(paths);
    size_t n = live->devices.ndisks;
    _cleanup_free_ struct resolved *got = calloc(n ? n : 1, sizeof(*got));
    int r = got ? 0 : mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");

    /* all resolved before any is written: a failure leaves LIVE as it was */
    for (size_t i = 0; i < n && r == 0; i++)
        if (live->devices.disks[i].type == MV_DOM_DISK_VOLUME)
            r = resolve_one(&p, live->name, &live->devices.disks[i], &got[i], err);
    qemud_peer_close(&p);
    for (size_t i = 0; got && i < n; i++) {
        struct mv_dom_disk *d = &live->devices.disks[i];

        if (r == 0 && got[i].path) {
            free(d->source);
            d->source = TAKE_PTR(got[i].path);
            if (d->format == MV_DOM_DISK_FORMAT_DEFAULT)
                d->format = got[i].format;
            mv_info("domain '%s' disk '%s': volume '%s' of pool '%s' is %s", live->name, d->target,
                        d->volume, d->pool, d->source);
        }
        free(got[i].path);
    }
    return r;
}
