/*
 * Storage pool handles and what they do: lookups (virsh's UUID, then name
 * order), listings, define, build, start, destroy, delete, undefine,
 * refresh, info, XML and autostart.  Each is one remote procedure, routed
 * to modvirt-storaged by client/conn.c.  Volumes are in storage_vol.c.
 */
#define MV_LOG_MODULE "client.storage"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"
#include "uuid.h"

/* ---- handles ---- */

/* A new handle for the wire pool W, moving its name out; NULL without memory. */
static modvirt_storage_pool *pool_from_wire(modvirt_conn *conn, mv_nonnull_storage_pool *w)
{
    modvirt_storage_pool *pool = calloc(1, sizeof(*pool));

    if (!pool)
        return NULL;
    pool->conn = conn;
    pool->name = TAKE_PTR(w->name);
    memcpy(pool->uuid, w->uuid, sizeof(pool->uuid));
    return pool;
}

mv_nonnull_storage_pool modvirt_storage_pool_to_wire(const modvirt_storage_pool *pool)
{
    mv_nonnull_storage_pool w = { .name = pool->name };

    memcpy(w.uuid, pool->uuid, sizeof(w.uuid));
    return w;
}

void modvirt_storage_pool_free(modvirt_storage_pool *pool)
{
    if (!pool)
        return;
    free(pool->name);
    free(pool);
}

const char *modvirt_storage_pool_get_name(const modvirt_storage_pool *pool)
{
    return pool->name;
}

const unsigned char *modvirt_storage_pool_get_uuid(const modvirt_storage_pool *pool)
{
    return pool->uuid;
}

const char *modvirt_storage_pool_get_uuid_string(const modvirt_storage_pool *pool, char buf[37])
{
    mv_uuid_format(pool->uuid, buf);
    return buf;
}

/* Hands the pool of a reply out as a new handle; frees the reply. */
static int give_pool(modvirt_conn *conn, mv_nonnull_storage_pool *w, modvirt_storage_pool **pool,
                     modvirt_error **err)
{
    modvirt_storage_pool *p = pool_from_wire(conn, w);

    xdr_free((xdrproc_t)xdr_mv_nonnull_storage_pool, (char *)w);
    if (!p)
        return modvirt_error_nomem(err);
    *pool = p;
    return 0;
}

int modvirt_storage_pool_call(modvirt_storage_pool *pool, int proc, xdrproc_t ret_filter,
                              void *ret, modvirt_error **err)
{
    mv_storage_pool_args args = { .pool = modvirt_storage_pool_to_wire(pool) };

    return modvirt_conn_call(pool->conn, proc, (xdrproc_t)xdr_mv_storage_pool_args, &args,
                             ret_filter, ret, err);
}

int modvirt_storage_pool_call_flags(modvirt_storage_pool *pool, int proc, unsigned int flags,
                                    modvirt_error **err)
{
    mv_storage_pool_flags_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .flags = flags,
    };

    return modvirt_conn_call(pool->conn, proc, (xdrproc_t)xdr_mv_storage_pool_flags_args, &args,
                             NULL, NULL, err);
}

/* ---- lookups ---- */

int modvirt_storage_pool_lookup_by_name(modvirt_conn *conn, const char *name,
                                        modvirt_storage_pool **pool, modvirt_error **err)
{
    mv_storage_pool_lookup_by_name_args args = { .name = (char *)name };
    mv_storage_pool_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_STORAGE_POOL_LOOKUP_BY_NAME,
                          (xdrproc_t)xdr_mv_storage_pool_lookup_by_name_args, &args,
                          (xdrproc_t)xdr_mv_storage_pool_ret, &ret, err);
    return r < 0 ? r : give_pool(conn, &ret.pool, pool, err);
}

int modvirt_storage_pool_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                        modvirt_storage_pool **pool, modvirt_error **err)
{
    mv_storage_pool_lookup_by_uuid_args args;
    mv_storage_pool_ret ret;
    int r;

    memcpy(args.uuid, uuid, sizeof(args.uuid));
    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_STORAGE_POOL_LOOKUP_BY_UUID,
                          (xdrproc_t)xdr_mv_storage_pool_lookup_by_uuid_args, &args,
                          (xdrproc_t)xdr_mv_storage_pool_ret, &ret, err);
    return r < 0 ? r : give_pool(conn, &ret.pool, pool, err);
}

int modvirt_storage_pool_lookup(modvirt_conn *conn, const char *key, modvirt_storage_pool **pool,
                                modvirt_error **err)
{
    modvirt_error *e = NULL;
    unsigned char uuid[16];
    int r;

    if (!key || !*key)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                                 "invalid argument: empty pool name or UUID");
    /* a name may look like a UUID: only "no such pool" moves on */
    if (mv_uuid_parse(key, uuid) == 0) {
        r = modvirt_storage_pool_lookup_by_uuid(conn, uuid, pool, &e);
        if (r == 0 || r != -EIO || !e || e->code != MV_ERR_NO_STORAGE_POOL)
            goto out;
        modvirt_error_free(e);
        e = NULL;
    }
    r = modvirt_storage_pool_lookup_by_name(conn, key, pool, &e);
out:
    if (r < 0 && err)
        *err = e;
    else
        modvirt_error_free(e);
    return r;
}

/* ---- define and the lifecycle ---- */

int modvirt_storage_pool_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                                    modvirt_storage_pool **pool, modvirt_error **err)
{
    mv_xml_flags_args args = { .xml = (char *)xml, .flags = flags };
    mv_storage_pool_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_STORAGE_POOL_DEFINE_XML, (xdrproc_t)xdr_mv_xml_flags_args,
                          &args, (xdrproc_t)xdr_mv_storage_pool_ret, &ret, err);
    return r < 0 ? r : give_pool(conn, &ret.pool, pool, err);
}

int modvirt_storage_pool_build(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_call_flags(pool, MV_PROC_STORAGE_POOL_BUILD, flags, err);
}

int modvirt_storage_pool_start(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_call_flags(pool, MV_PROC_STORAGE_POOL_CREATE, flags, err);
}

int modvirt_storage_pool_destroy(modvirt_storage_pool *pool, modvirt_error **err)
{
    return modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_DESTROY, NULL, NULL, err);
}

int modvirt_storage_pool_delete(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_call_flags(pool, MV_PROC_STORAGE_POOL_DELETE, flags, err);
}

int modvirt_storage_pool_undefine(modvirt_storage_pool *pool, modvirt_error **err)
{
    return modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_UNDEFINE, NULL, NULL, err);
}

int modvirt_storage_pool_refresh(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_call_flags(pool, MV_PROC_STORAGE_POOL_REFRESH, flags, err);
}

/* ---- queries ---- */

int modvirt_storage_pool_get_info(modvirt_storage_pool *pool, modvirt_storage_pool_info *info,
                                  modvirt_error **err)
{
    mv_storage_pool_get_info_ret ret = { 0 };
    int r = modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_GET_INFO,
                                      (xdrproc_t)xdr_mv_storage_pool_get_info_ret, &ret, err);

    if (r == 0)
        *info = (modvirt_storage_pool_info){ .state = ret.state, .capacity = ret.capacity,
                                             .allocation = ret.allocation,
                                             .available = ret.available };
    return r;
}

int modvirt_storage_pool_get_xml(modvirt_storage_pool *pool, unsigned int flags, char **xml,
                                 modvirt_error **err)
{
    mv_storage_pool_flags_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .flags = flags,
    };
    mv_xml_ret ret = { 0 };
    int r = modvirt_conn_call(pool->conn, MV_PROC_STORAGE_POOL_GET_XML_DESC,
                              (xdrproc_t)xdr_mv_storage_pool_flags_args, &args,
                              (xdrproc_t)xdr_mv_xml_ret, &ret, err);

    if (r == 0)
        *xml = TAKE_PTR(ret.xml);
    return r;
}

int modvirt_storage_pool_get_autostart(modvirt_storage_pool *pool, int *autostart,
                                       modvirt_error **err)
{
    mv_storage_pool_get_autostart_ret ret = { 0 };
    int r = modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_GET_AUTOSTART,
                                      (xdrproc_t)xdr_mv_storage_pool_get_autostart_ret, &ret, err);

    if (r == 0)
        *autostart = ret.autostart != 0;
    return r;
}

int modvirt_storage_pool_set_autostart(modvirt_storage_pool *pool, int autostart,
                                       modvirt_error **err)
{
    mv_storage_pool_set_autostart_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .autostart = autostart ? 1 : 0,
    };

    return modvirt_conn_call(pool->conn, MV_PROC_STORAGE_POOL_SET_AUTOSTART,
                             (xdrproc_t)xdr_mv_storage_pool_set_autostart_args, &args, NULL, NULL,
                             err);
}

int modvirt_storage_pool_is_active(modvirt_storage_pool *pool, int *active, modvirt_error **err)
{
    mv_storage_pool_is_active_ret ret = { 0 };
    int r = modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_IS_ACTIVE,
                                      (xdrproc_t)xdr_mv_storage_pool_is_active_ret, &ret, err);

    if (r == 0)
        *active = ret.active != 0;
    return r;
}

int modvirt_storage_pool_is_persistent(modvirt_storage_pool *pool, int *persistent,
                                       modvirt_error **err)
{
    mv_storage_pool_is_persistent_ret ret = { 0 };
    int r = modvirt_storage_pool_call(pool, MV_PROC_STORAGE_POOL_IS_PERSISTENT,
                                      (xdrproc_t)xdr_mv_storage_pool_is_persistent_ret, &ret, err);

    if (r == 0)
        *persistent = ret.persistent != 0;
    return r;
}

const char *modvirt_storage_pool_state_name(int state)
{
    static const char *const names[] = {
        [MODVIRT_POOL_INACTIVE] = "inactive", [MODVIRT_POOL_BUILDING] = "building",
        [MODVIRT_POOL_RUNNING] = "running", [MODVIRT_POOL_DEGRADED] = "degraded",
        [MODVIRT_POOL_INACCESSIBLE] = "inaccessible",
    };

    return state >= 0 && (size_t)state < MV_ARRAY_SIZE(names) ? names[state] : "unknown";
}

/* ---- listings ---- */

void modvirt_storage_pool_list_free(modvirt_storage_pool **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        modvirt_storage_pool_free(list[i]);
    free(list);
}

/* Handles for the N pools of a reply, their names moved out; NULL without
 * memory (the reply still owns whatever was not moved). */
static modvirt_storage_pool **list_from_wire(modvirt_conn *conn, mv_nonnull_storage_pool *w,
                                             size_t n)
{
    modvirt_storage_pool **list = calloc(n, sizeof(*list));

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(list[i] = pool_from_wire(conn, &w[i]))) {
            modvirt_storage_pool_list_free(list, i);
            return NULL;
        }
    return list;
}

int modvirt_conn_list_all_storage_pools(modvirt_conn *conn, unsigned int flags,
                                        modvirt_storage_pool ***pools, size_t *n,
                                        modvirt_error **err)
{
    mv_connect_list_all_storage_pools_args args = { .need_results = 1, .flags = flags };
    mv_connect_list_all_storage_pools_ret ret;
    modvirt_storage_pool **out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_LIST_ALL_STORAGE_POOLS,
                          (xdrproc_t)xdr_mv_connect_list_all_storage_pools_args, &args,
                          (xdrproc_t)xdr_mv_connect_list_all_storage_pools_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.pools.pools_len;
    if (count && !(out = list_from_wire(conn, ret.pools.pools_val, count)))
        r = modvirt_error_nomem(err);
    /* names moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_connect_list_all_storage_pools_ret, (char *)&ret);
    if (r < 0)
        return r;
    *pools = out;
    *n = count;
    return 0;
}
