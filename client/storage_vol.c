/*
 * Storage volume handles and what they do: lookups (in a pool, by key, by
 * path), the listing of a pool, create (from XML, or from another volume:
 * vol-clone), delete, wipe, resize, info, XML and path.  Each is one remote
 * procedure, routed to modvirt-storaged by client/conn.c; transfers are in
 * storage_stream.c.
 */
#define MV_LOG_MODULE "client.storage"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

/* ---- handles ---- */

modvirt_storage_vol *modvirt_storage_vol_from_wire(modvirt_conn *conn, mv_nonnull_storage_vol *w)
{
    modvirt_storage_vol *vol = calloc(1, sizeof(*vol));

    if (!vol)
        return NULL;
    vol->conn = conn;
    vol->pool = TAKE_PTR(w->pool);
    vol->name = TAKE_PTR(w->name);
    vol->key = TAKE_PTR(w->key);
    return vol;
}

mv_nonnull_storage_vol modvirt_storage_vol_to_wire(const modvirt_storage_vol *vol)
{
    return (mv_nonnull_storage_vol){ .pool = vol->pool, .name = vol->name, .key = vol->key };
}

void modvirt_storage_vol_free(modvirt_storage_vol *vol)
{
    if (!vol)
        return;
    free(vol->pool);
    free(vol->name);
    free(vol->key);
    free(vol);
}

const char *modvirt_storage_vol_get_name(const modvirt_storage_vol *vol)
{
    return vol->name;
}

const char *modvirt_storage_vol_get_key(const modvirt_storage_vol *vol)
{
    return vol->key;
}

const char *modvirt_storage_vol_get_pool_name(const modvirt_storage_vol *vol)
{
    return vol->pool;
}

/* Hands the volume of a reply out as a new handle; frees the reply. */
static int give_vol(modvirt_conn *conn, mv_storage_vol_ret *ret, modvirt_storage_vol **vol,
                    modvirt_error **err)
{
    modvirt_storage_vol *v = modvirt_storage_vol_from_wire(conn, &ret->vol);

    xdr_free((xdrproc_t)xdr_mv_storage_vol_ret, (char *)ret);
    if (!v)
        return modvirt_error_nomem(err);
    *vol = v;
    return 0;
}

/* Calls PROC whose arguments are VOL and FLAGS. */
static int vol_call_flags(modvirt_storage_vol *vol, int proc, unsigned int flags,
                          xdrproc_t ret_filter, void *ret, modvirt_error **err)
{
    mv_storage_vol_flags_args args = { .vol = modvirt_storage_vol_to_wire(vol), .flags = flags };

    return modvirt_conn_call(vol->conn, proc, (xdrproc_t)xdr_mv_storage_vol_flags_args, &args,
                             ret_filter, ret, err);
}

static int vol_call(modvirt_storage_vol *vol, int proc, xdrproc_t ret_filter, void *ret,
                    modvirt_error **err)
{
    mv_storage_vol_args args = { .vol = modvirt_storage_vol_to_wire(vol) };

    return modvirt_conn_call(vol->conn, proc, (xdrproc_t)xdr_mv_storage_vol_args, &args,
                             ret_filter, ret, err);
}

/* ---- lookups ---- */

int modvirt_storage_vol_lookup_by_name(modvirt_storage_pool *pool, const char *name,
                                       modvirt_storage_vol **vol, modvirt_error **err)
{
    mv_storage_vol_lookup_by_name_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .name = (char *)name,
    };
    mv_storage_vol_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(pool->conn, MV_PROC_STORAGE_VOL_LOOKUP_BY_NAME,
                          (xdrproc_t)xdr_mv_storage_vol_lookup_by_name_args, &args,
                          (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);
    return r < 0 ? r : give_vol(pool->conn, &ret, vol, err);
}

int modvirt_storage_vol_lookup_by_key(modvirt_conn *conn, const char *key,
                                      modvirt_storage_vol **vol, modvirt_error **err)
{
    mv_storage_vol_lookup_by_key_args args = { .key = (char *)key };
    mv_storage_vol_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_STORAGE_VOL_LOOKUP_BY_KEY,
                          (xdrproc_t)xdr_mv_storage_vol_lookup_by_key_args, &args,
                          (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);
    return r < 0 ? r : give_vol(conn, &ret, vol, err);
}

int modvirt_storage_vol_lookup_by_path(modvirt_conn *conn, const char *path,
                                       modvirt_storage_vol **vol, modvirt_error **err)
{
    mv_storage_vol_lookup_by_path_args args = { .path = (char *)path };
    mv_storage_vol_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_STORAGE_VOL_LOOKUP_BY_PATH,
                          (xdrproc_t)xdr_mv_storage_vol_lookup_by_path_args, &args,
                          (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);
    return r < 0 ? r : give_vol(conn, &ret, vol, err);
}

/* ---- create and change ---- */

int modvirt_storage_vol_create_xml(modvirt_storage_pool *pool, const char *xml, unsigned int flags,
                                   modvirt_storage_vol **vol, modvirt_error **err)
{
    mv_storage_vol_create_xml_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .xml = (char *)xml, .flags = flags,
    };
    mv_storage_vol_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(pool->conn, MV_PROC_STORAGE_VOL_CREATE_XML,
                          (xdrproc_t)xdr_mv_storage_vol_create_xml_args, &args,
                          (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);
    return r < 0 ? r : give_vol(pool->conn, &ret, vol, err);
}

int modvirt_storage_vol_create_xml_from(modvirt_storage_pool *pool, const char *xml,
                                        modvirt_storage_vol *from, unsigned int flags,
                                        modvirt_storage_vol **vol, modvirt_error **err)
{
    mv_storage_vol_create_xml_from_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .xml = (char *)xml,
        .clonevol = modvirt_storage_vol_to_wire(from), .flags = flags,
    };
    mv_storage_vol_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(pool->conn, MV_PROC_STORAGE_VOL_CREATE_XML_FROM,
                          (xdrproc_t)xdr_mv_storage_vol_create_xml_from_args, &args,
                          (xdrproc_t)xdr_mv_storage_vol_ret, &ret, err);
    return r < 0 ? r : give_vol(pool->conn, &ret, vol, err);
}

int modvirt_storage_vol_delete(modvirt_storage_vol *vol, unsigned int flags, modvirt_error **err)
{
    return vol_call_flags(vol, MV_PROC_STORAGE_VOL_DELETE, flags, NULL, NULL, err);
}

int modvirt_storage_vol_wipe(modvirt_storage_vol *vol, unsigned int flags, modvirt_error **err)
{
    return vol_call_flags(vol, MV_PROC_STORAGE_VOL_WIPE, flags, NULL, NULL, err);
}

int modvirt_storage_vol_resize(modvirt_storage_vol *vol, uint64_t capacity, unsigned int flags,
                               modvirt_error **err)
{
    mv_storage_vol_resize_args args = {
        .vol = modvirt_storage_vol_to_wire(vol), .capacity = capacity, .flags = flags,
    };

    return modvirt_conn_call(vol->conn, MV_PROC_STORAGE_VOL_RESIZE,
                             (xdrproc_t)xdr_mv_storage_vol_resize_args, &args, NULL, NULL, err);
}

/* ---- queries ---- */

int modvirt_storage_vol_get_info(modvirt_storage_vol *vol, modvirt_storage_vol_info *info,
                                 modvirt_error **err)
{
    mv_storage_vol_get_info_ret ret = { 0 };
    int r = vol_call(vol, MV_PROC_STORAGE_VOL_GET_INFO,
                     (xdrproc_t)xdr_mv_storage_vol_get_info_ret, &ret, err);

    if (r == 0)
        *info = (modvirt_storage_vol_info){ .type = ret.type, .capacity = ret.capacity,
                                            .allocation = ret.allocation };
    return r;
}

int modvirt_storage_vol_get_xml(modvirt_storage_vol *vol, char **xml, modvirt_error **err)
{
    mv_xml_ret ret = { 0 };
    int r = vol_call_flags(vol, MV_PROC_STORAGE_VOL_GET_XML_DESC, 0, (xdrproc_t)xdr_mv_xml_ret,
                           &ret, err);

    if (r == 0)
        *xml = TAKE_PTR(ret.xml);
    return r;
}

int modvirt_storage_vol_get_path(modvirt_storage_vol *vol, char **path, modvirt_error **err)
{
    mv_storage_vol_get_path_ret ret = { 0 };
    int r = vol_call(vol, MV_PROC_STORAGE_VOL_GET_PATH,
                     (xdrproc_t)xdr_mv_storage_vol_get_path_ret, &ret, err);

    if (r == 0)
        *path = TAKE_PTR(ret.name);
    return r;
}

const char *modvirt_storage_vol_type_name(int type)
{
    static const char *const names[] = {
        [MODVIRT_VOL_FILE] = "file", [MODVIRT_VOL_BLOCK] = "block", [MODVIRT_VOL_DIR] = "dir",
        [MODVIRT_VOL_NETWORK] = "network", [MODVIRT_VOL_NETDIR] = "netdir",
        [MODVIRT_VOL_PLOOP] = "ploop",
    };

    return type >= 0 && (size_t)type < MV_ARRAY_SIZE(names) ? names[type] : "unknown";
}

/* ---- the listing of a pool ---- */

void modvirt_storage_vol_list_free(modvirt_storage_vol **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        modvirt_storage_vol_free(list[i]);
    free(list);
}

/* Handles for the N volumes of a reply, strings moved out; NULL without memory. */
static modvirt_storage_vol **list_from_wire(modvirt_conn *conn, mv_nonnull_storage_vol *w, size_t n)
{
    modvirt_storage_vol **list = calloc(n, sizeof(*list));

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(list[i] = modvirt_storage_vol_from_wire(conn, &w[i]))) {
            modvirt_storage_vol_list_free(list, i);
            return NULL;
        }
    return list;
}

int modvirt_storage_pool_list_all_volumes(modvirt_storage_pool *pool, modvirt_storage_vol ***vols,
                                          size_t *n, modvirt_error **err)
{
    mv_storage_pool_list_all_volumes_args args = {
        .pool = modvirt_storage_pool_to_wire(pool), .need_results = 1,
    };
    mv_storage_pool_list_all_volumes_ret ret;
    modvirt_storage_vol **out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(pool->conn, MV_PROC_STORAGE_POOL_LIST_ALL_VOLUMES,
                          (xdrproc_t)xdr_mv_storage_pool_list_all_volumes_args, &args,
                          (xdrproc_t)xdr_mv_storage_pool_list_all_volumes_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.vols.vols_len;
    if (count && !(out = list_from_wire(pool->conn, ret.vols.vols_val, count)))
        r = modvirt_error_nomem(err);
    xdr_free((xdrproc_t)xdr_mv_storage_pool_list_all_volumes_ret, (char *)&ret);
    if (r < 0)
        return r;
    *vols = out;
    *n = count;
    return 0;
}
