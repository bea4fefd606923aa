/*
 * Pool procedures that change nothing: lookups, lists, info, XML, volume
 * names, capabilities.  They run inline on the RPC loop and read what the
 * pool has published under its lock (pool_obj.h): never its job, never its
 * thread, never its files, so a stuck pool answers them at once.
 */
#define MV_LOG_MODULE "storaged.procs"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "pool_obj.h"
#include "storaged.h"

/* VIR_CONNECT_LIST_STORAGE_POOLS_*: state groups, then one bit per type
 * from DIR (1 << 6) to ISCSI_DIRECT (1 << 19) */
enum {
    LIST_INACTIVE = 1, LIST_ACTIVE = 2, LIST_PERSISTENT = 4, LIST_TRANSIENT = 8,
    LIST_AUTOSTART = 16, LIST_NO_AUTOSTART = 32,
    LIST_DIR = 1 << 6, LIST_FS = 1 << 7, LIST_NETFS = 1 << 8, LIST_LOGICAL = 1 << 9,
};
#define LIST_ALL_FLAGS ((1u << 20) - 1)
#define LIST_TYPE_FLAGS (LIST_ALL_FLAGS & ~0x3fu)
/* VIR_STORAGE_XML_INACTIVE */
#define XML_INACTIVE 1u

/* ---- listing ---- */

static bool group_ok(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    unsigned int g = flags & (yes | no);

    return g == 0 || g == (yes | no) || (value ? (g & yes) : (g & no));
}

static unsigned int type_flag(int type)
{
    static const unsigned int bits[MV_POOL_TYPE_LAST] = {
        [MV_POOL_DIR] = LIST_DIR, [MV_POOL_FS] = LIST_FS, [MV_POOL_LOGICAL] = LIST_LOGICAL,
        [MV_POOL_NETFS] = LIST_NETFS,
    };

    return type >= 0 && type < MV_POOL_TYPE_LAST ? bits[type] : 0;
}

static bool list_wants(struct stor_pool *pool, unsigned int flags)
{
    const struct mv_pool_def *cur;
    bool want;

    pthread_mutex_lock(&pool->lock);
    cur = stor_pool_current(pool);
    want = cur && group_ok(flags, LIST_ACTIVE, LIST_INACTIVE, pool->active) &&
           group_ok(flags, LIST_PERSISTENT, LIST_TRANSIENT, pool->def != NULL) &&
           group_ok(flags, LIST_AUTOSTART, LIST_NO_AUTOSTART, pool->autostart) &&
           (!(flags & LIST_TYPE_FLAGS) || (flags & type_flag(cur->type)));
    pthread_mutex_unlock(&pool->lock);
    return want;
}

static int too_many(struct mv_call *call, size_t n)
{
    return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many storage pools: %zu > %d", n,
                         MV_STORAGE_POOL_LIST_MAX);
}

static int list_all(struct mv_call *call, mv_connect_list_all_storage_pools_args *args,
                    mv_connect_list_all_storage_pools_ret *ret)
{
    struct stor_pool **pools = NULL;
    size_t n = 0, count = 0;
    int r;

    if (args->flags & ~LIST_ALL_FLAGS)
        return storaged_bad_flags(call, args->flags & ~LIST_ALL_FLAGS, "virConnectListAllStoragePools");
    if ((r = stor_registry_list(&pools, &n)) < 0)
        return r;
    if (n > MV_STORAGE_POOL_LIST_MAX) {
        stor_pool_list_free(pools, n);
        return too_many(call, n);
    }
    if (args->need_results && !(ret->pools.pools_val = calloc(n ? n : 1, sizeof(mv_nonnull_storage_pool)))) {
        stor_pool_list_free(pools, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        if (!list_wants(pools[i], args->flags))
            continue;
        if (args->need_results && (r = stor_pool_to_wire(pools[i], &ret->pools.pools_val[count])) < 0)
            break;
        count++;
    }
    ret->pools.pools_len = args->need_results ? (unsigned int)count : 0;
    ret->ret = (unsigned int)count;
    stor_pool_list_free(pools, n);
    return r;
}

/* The legacy lists: active pools, or inactive persistent ones (DEFINED). */
static int count_pools(bool defined, int *num)
{
    unsigned int flags = defined ? LIST_INACTIVE | LIST_PERSISTENT : LIST_ACTIVE;
    struct stor_pool **pools = NULL;
    size_t n = 0;
    int r, count = 0;

    if ((r = stor_registry_list(&pools, &n)) < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        count += list_wants(pools[i], flags);
    stor_pool_list_free(pools, n);
    *num = count;
    return 0;
}

static int list_names(struct mv_call *call, bool defined, int maxnames, mv_names_ret *ret)
{
    unsigned int flags = defined ? LIST_INACTIVE | LIST_PERSISTENT : LIST_ACTIVE;
    struct stor_pool **pools = NULL;
    size_t n = 0, count = 0;
    int r;

    if (maxnames < 0 || maxnames > MV_STORAGE_POOL_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "maxnames %d out of range 0..%d", maxnames,
                             MV_STORAGE_POOL_LIST_MAX);
    if ((r = stor_registry_list(&pools, &n)) < 0)
        return r;
    if (!(ret->names.names_val = calloc(n ? n : 1, sizeof(char *)))) {
        stor_pool_list_free(pools, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && count < (size_t)maxnames; i++) {
        if (!list_wants(pools[i], flags))
            continue;
        if (!(ret->names.names_val[count] = strdup(pools[i]->name))) {
            r = -ENOMEM;
            break;
        }
        count++;
    }
    ret->names.names_len = (unsigned int)count;
    stor_pool_list_free(pools, n);
    return r;
}

static int num_active(struct mv_call *call, void *args, mv_num_ret *ret)
{
    return count_pools(false, &ret->num);
}

static int list_active(struct mv_call *call, mv_maxnames_args *args, mv_names_ret *ret)
{
    return list_names(call, false, args->maxnames, ret);
}

static int num_defined(struct mv_call *call, void *args, mv_num_ret *ret)
{
    return count_pools(true, &ret->num);
}

static int list_defined(struct mv_call *call, mv_maxnames_args *args, mv_names_ret *ret)
{
    return list_names(call, true, args->maxnames, ret);
}

/* ---- lookups ---- */

static int not_found(struct mv_call *call, const char *what, const char *value)
{
    return mv_call_error(call, MV_ERR_NO_STORAGE_POOL, MV_FROM_STORAGE,
                         "Storage pool not found: no storage pool with matching %s '%s'", what, value);
}

/* POOL (taken) as the reply, if callers may see it; else NOT FOUND. */
static int answer(struct mv_call *call, struct stor_pool *pool, const char *what, const char *value,
                  mv_storage_pool_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *p = pool;
    bool visible = false;

    if (p) {
        pthread_mutex_lock(&p->lock);
        visible = stor_pool_visible(p);
        pthread_mutex_unlock(&p->lock);
    }
    if (!visible)
        return not_found(call, what, value);
    return stor_pool_to_wire(p, &ret->pool);
}

static int lookup_by_name(struct mv_call *call, mv_storage_pool_lookup_by_name_args *args, mv_storage_pool_ret *ret)
{
    return answer(call, stor_registry_find_name(args->name), "name", args->name, ret);
}

static int lookup_by_uuid(struct mv_call *call, mv_storage_pool_lookup_by_uuid_args *args, mv_storage_pool_ret *ret)
{
    char uuid[MV_UUID_STRING_LEN];

    mv_uuid_format((const unsigned char *)args->uuid, uuid);
    return answer(call, stor_registry_find_uuid((const unsigned char *)args->uuid), "uuid", uuid, ret);
}

static int lookup_by_volume(struct mv_call *call, mv_storage_vol_args *args, mv_storage_pool_ret *ret)
{
    return answer(call, stor_registry_find_name(args->vol.pool), "name", args->vol.pool, ret);
}

/* TARGET without trailing slashes equals PATH without them. */
static bool same_path(const char *target, const char *path)
{
    size_t lt = strlen(target), lp = strlen(path);

    while (lt > 1 && target[lt - 1] == '/')
        lt--;
    while (lp > 1 && path[lp - 1] == '/')
        lp--;
    return lt == lp && strncmp(target, path, lt) == 0;
}

static int lookup_by_target_path(struct mv_call *call, mv_storage_pool_lookup_by_target_path_args *args,
                                 mv_storage_pool_ret *ret)
{
    struct stor_pool **pools = NULL, *found = NULL;
    size_t n = 0;
    int r;

    if ((r = stor_registry_list(&pools, &n)) < 0)
        return r;
    for (size_t i = 0; i < n && !found; i++) {
        const struct mv_pool_def *cur;

        pthread_mutex_lock(&pools[i]->lock);
        cur = stor_pool_current(pools[i]);
        if (cur && cur->target_path && same_path(cur->target_path, args->path))
            found = stor_pool_ref(pools[i]);
        pthread_mutex_unlock(&pools[i]->lock);
    }
    stor_pool_list_free(pools, n);
    return answer(call, found, "target path", args->path, ret);
}

/* ---- one pool's facts ---- */

static int get_info(struct mv_call *call, mv_storage_pool_args *args, mv_storage_pool_get_info_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, &args->pool);
    enum { STATE_INACTIVE = 0, STATE_RUNNING = 2 };

    if (!pool)
        return -EIO;
    pthread_mutex_lock(&pool->lock);
    ret->state = pool->active ? STATE_RUNNING : STATE_INACTIVE;
    if (pool->active) {
        ret->capacity = pool->usage.capacity;
        ret->allocation = pool->usage.allocation;
        ret->available = pool->usage.available;
    }
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

static int get_xml_desc(struct mv_call *call, mv_storage_pool_flags_args *args, mv_xml_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = NULL;
    const struct mv_pool_def *def;
    struct mv_pool_sizes sizes;

    if (args->flags & ~XML_INACTIVE)
        return storaged_bad_flags(call, args->flags & ~XML_INACTIVE, "virStoragePoolGetXMLDesc");
    if (!(pool = stor_pool_from_wire(call, &args->pool)))
        return -EIO;
    pthread_mutex_lock(&pool->lock);
    def = (args->flags & XML_INACTIVE) && pool->def ? pool->def : stor_pool_current(pool);
    sizes = (struct mv_pool_sizes){ pool->usage.capacity, pool->usage.allocation, pool->usage.available };
    ret->xml = def ? mv_pool_def_format(def, pool->active ? &sizes : NULL) : NULL;
    pthread_mutex_unlock(&pool->lock);
    return ret->xml ? 0 : -ENOMEM;
}

static int get_autostart(struct mv_call *call, mv_storage_pool_args *args, mv_storage_pool_get_autostart_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, &args->pool);

    if (!pool)
        return -EIO;
    pthread_mutex_lock(&pool->lock);
    ret->autostart = pool->autostart;
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

static int is_active(struct mv_call *call, mv_storage_pool_args *args, mv_storage_pool_is_active_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, &args->pool);

    if (!pool)
        return -EIO;
    pthread_mutex_lock(&pool->lock);
    ret->active = pool->active;
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

static int is_persistent(struct mv_call *call, mv_storage_pool_args *args, mv_storage_pool_is_persistent_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, &args->pool);

    if (!pool)
        return -EIO;
    pthread_mutex_lock(&pool->lock);
    ret->persistent = pool->def != NULL;
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

/* ---- its volumes ---- */

/* The volume list of the pool WIRE names, referenced; NULL with the
 * call's error (no such pool, or inactive). */
static struct stor_vols *pool_vols(struct mv_call *call, const mv_nonnull_storage_pool *wire, struct stor_pool **out)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, wire);
    struct stor_vols *vols = NULL;
    struct mv_err err = { 0 };
    bool active;

    if (!pool)
        return NULL;
    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    vols = stor_pool_vols(pool);
    pthread_mutex_unlock(&pool->lock);
    if (active && !vols && !(vols = stor_vols_new(NULL, 0))) {    /* being re-adopted: none yet */
        mv_call_error(call, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
        return NULL;
    }
    if (!active) {
        stor_vols_unref(vols);
        stor_error_inactive(&err, pool);
        stor_call_fail(call, &err);
        return NULL;
    }
    if (out)
        *out = TAKE_PTR(pool);
    return vols;
}

static int num_of_volumes(struct mv_call *call, mv_storage_pool_args *args, mv_num_ret *ret)
{
    struct stor_vols *vols = pool_vols(call, &args->pool, NULL);

    if (!vols)
        return -EIO;
    ret->num = (int)vols->n;
    stor_vols_unref(vols);
    return 0;
}

static int list_volumes(struct mv_call *call, mv_storage_pool_list_volumes_args *args,
                        mv_storage_pool_list_volumes_ret *ret)
{
    struct stor_vols *vols;
    size_t count = 0;
    int r = 0;

    if (args->maxnames < 0 || args->maxnames > MV_STORAGE_VOL_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "maxnames %d out of range 0..%d", args->maxnames,
                             MV_STORAGE_VOL_LIST_MAX);
    if (!(vols = pool_vols(call, &args->pool, NULL)))
        return -EIO;
    if (!(ret->names.names_val = calloc(vols->n ? vols->n : 1, sizeof(char *))))
        r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < vols->n && count < (size_t)args->maxnames; i++, count++)
        if (!(ret->names.names_val[count] = strdup(vols->v[i].name)))
            r = -ENOMEM;
    ret->names.names_len = (unsigned int)count;
    stor_vols_unref(vols);
    return r;
}

static int list_all_volumes(struct mv_call *call, mv_storage_pool_list_all_volumes_args *args,
                            mv_storage_pool_list_all_volumes_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = NULL;
    struct stor_vols *vols;
    int r = 0;

    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virStoragePoolListAllVolumes");
    if (!(vols = pool_vols(call, &args->pool, &pool)))
        return -EIO;
    if (vols->n > MV_STORAGE_VOL_LIST_MAX) {
        stor_vols_unref(vols);
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many storage volumes: %zu > %d", vols->n,
                             MV_STORAGE_VOL_LIST_MAX);
    }
    if (args->need_results) {
        if (!(ret->vols.vols_val = calloc(vols->n ? vols->n : 1, sizeof(mv_nonnull_storage_vol))))
            r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < vols->n; i++, ret->vols.vols_len++)
            r = stor_vol_to_wire(pool->name, &vols->v[i], &ret->vols.vols_val[i]);
    }
    ret->ret = (unsigned int)vols->n;
    stor_vols_unref(vols);
    return r;
}

/* ---- the host's ---- */

static int find_sources(struct mv_call *call, mv_connect_find_storage_pool_sources_args *args, mv_xml_ret *ret)
{
    if (mv_pool_type_from_string(args->type) < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: unknown storage pool type '%s'", args->type);
    return mv_call_error(call, MV_ERR_NO_SUPPORT, MV_FROM_STORAGE,
                         "this function is not supported by the connection driver: storaged does not search the "
                         "host for sources of '%s' pools; give the source in the pool's XML", args->type);
}

/* What storaged runs: each pool type and the volume formats it makes. */
static const char capabilities_xml[] =
    "<storagepoolCapabilities>\n"
    "  <pool type='dir' supported='yes'>\n"
    "    <volOptions>\n"
    "      <defaultFormat type='raw'/>\n"
    "      <enum name='targetFormatType'>\n"
    "        <value>raw</value>\n"
    "        <value>qcow2</value>\n"
    "      </enum>\n"
    "    </volOptions>\n"
    "  </pool>\n"
    "  <pool type='fs' supported='yes'>\n"
    "    <poolOptions>\n"
    "      <defaultFormat type='auto'/>\n"
    "      <enum name='sourceFormatType'>\n"
    "        <value>auto</value>\n"
    "        <value>ext2</value>\n"
    "        <value>ext3</value>\n"
    "        <value>ext4</value>\n"
    "        <value>xfs</value>\n"
    "      </enum>\n"
    "    </poolOptions>\n"
    "    <volOptions>\n"
    "      <defaultFormat type='raw'/>\n"
    "      <enum name='targetFormatType'>\n"
    "        <value>raw</value>\n"
    "        <value>qcow2</value>\n"
    "      </enum>\n"
    "    </volOptions>\n"
    "  </pool>\n"
    "  <pool type='netfs' supported='yes'>\n"
    "    <poolOptions>\n"
    "      <defaultFormat type='auto'/>\n"
    "      <enum name='sourceFormatType'>\n"
    "        <value>auto</value>\n"
    "        <value>nfs</value>\n"
    "      </enum>\n"
    "    </poolOptions>\n"
    "    <volOptions>\n"
    "      <defaultFormat type='raw'/>\n"
    "      <enum name='targetFormatType'>\n"
    "        <value>raw</value>\n"
    "        <value>qcow2</value>\n"
    "      </enum>\n"
    "    </volOptions>\n"
    "  </pool>\n"
    "  <pool type='logical' supported='yes'>\n"
    "    <poolOptions>\n"
    "      <defaultFormat type='lvm2'/>\n"
    "      <enum name='sourceFormatType'>\n"
    "        <value>lvm2</value>\n"
    "      </enum>\n"
    "    </poolOptions>\n"
    "  </pool>\n"
    "</storagepoolCapabilities>\n";

static int get_capabilities(struct mv_call *call, mv_connect_get_storage_pool_capabilities_args *args,
                            mv_connect_get_storage_pool_capabilities_ret *ret)
{
    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virConnectGetStoragePoolCapabilities");
    return (ret->capabilities = strdup(capabilities_xml)) ? 0 : -ENOMEM;
}

static const struct mv_dispatch_entry pool_procs[] = {
    MV_HANDLER(CONNECT_LIST_ALL_STORAGE_POOLS, list_all),
    MV_HANDLER(CONNECT_NUM_OF_STORAGE_POOLS, num_active),
    MV_HANDLER(CONNECT_LIST_STORAGE_POOLS, list_active),
    MV_HANDLER(CONNECT_NUM_OF_DEFINED_STORAGE_POOLS, num_defined),
    MV_HANDLER(CONNECT_LIST_DEFINED_STORAGE_POOLS, list_defined),
    MV_HANDLER(STORAGE_POOL_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(STORAGE_POOL_LOOKUP_BY_UUID, lookup_by_uuid),
    MV_HANDLER(STORAGE_POOL_LOOKUP_BY_VOLUME, lookup_by_volume),
    MV_HANDLER(STORAGE_POOL_LOOKUP_BY_TARGET_PATH, lookup_by_target_path),
    MV_HANDLER(STORAGE_POOL_GET_INFO, get_info),
    MV_HANDLER(STORAGE_POOL_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(STORAGE_POOL_GET_AUTOSTART, get_autostart),
    MV_HANDLER(STORAGE_POOL_IS_ACTIVE, is_active),
    MV_HANDLER(STORAGE_POOL_IS_PERSISTENT, is_persistent),
    MV_HANDLER(STORAGE_POOL_NUM_OF_VOLUMES, num_of_volumes),
    MV_HANDLER(STORAGE_POOL_LIST_VOLUMES, list_volumes),
    MV_HANDLER(STORAGE_POOL_LIST_ALL_VOLUMES, list_all_volumes),
    MV_HANDLER(CONNECT_FIND_STORAGE_POOL_SOURCES, find_sources),
    MV_HANDLER(CONNECT_GET_STORAGE_POOL_CAPABILITIES, get_capabilities),
};
const struct mv_dispatch_table storaged_pool_table = { pool_procs, MV_ARRAY_SIZE(pool_procs) };
