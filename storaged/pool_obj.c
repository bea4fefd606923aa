/* Pool objects, their volume lists and lookups on the driver core's object base and registry. */
#define MV_LOG_MODULE "storaged.pool"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "job.h"
#include "log.h"
#include "monotime.h"
#include "pool_obj.h"
#include "registry.h"
#include "storaged.h"

/* ---- volume lists ---- */

static int vol_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mv_pool_vol *)a)->name, ((const struct mv_pool_vol *)b)->name);
}

struct stor_vols *stor_vols_new(struct mv_pool_vol *v, size_t n)
{
    struct stor_vols *vols = calloc(1, sizeof(*vols));

    if (!vols) {
        mv_pool_vols_free(v, n);
        return NULL;
    }
    if (n)
        qsort(v, n, sizeof(*v), vol_cmp);
    atomic_init(&vols->refs, 1);
    vols->v = v;
    vols->n = n;
    return vols;
}

struct stor_vols *stor_vols_ref(struct stor_vols *vols)
{
    if (vols)
        atomic_fetch_add(&vols->refs, 1);
    return vols;
}

void stor_vols_unref(struct stor_vols *vols)
{
    if (!vols || atomic_fetch_sub(&vols->refs, 1) != 1)
        return;
    mv_pool_vols_free(vols->v, vols->n);
    free(vols);
}

const struct mv_pool_vol *stor_vols_find(const struct stor_vols *vols, const char *name)
{
    struct mv_pool_vol key = { .name = (char *)name };

    if (!vols || !vols->n)
        return NULL;
    return bsearch(&key, vols->v, vols->n, sizeof(key), vol_cmp);
}

int stor_pool_vol_copy(const struct mv_pool_vol *src, struct mv_pool_vol *dst)
{
    *dst = (struct mv_pool_vol){ .info = src->info };
    dst->info.backing = NULL;
    dst->info.compat = NULL;
    if (!(dst->name = strdup(src->name)) || !(dst->path = strdup(src->path)) ||
        (src->info.backing && !(dst->info.backing = strdup(src->info.backing))) ||
        (src->info.compat && !(dst->info.compat = strdup(src->info.compat)))) {
        free(dst->name);
        free(dst->path);
        mv_volfile_info_clear(&dst->info);
        return -ENOMEM;
    }
    return 0;
}

struct stor_vols *stor_vols_with(const struct stor_vols *vols, const struct mv_pool_vol *vol, const char *name)
{
    size_t n = vols ? vols->n : 0, k = 0;
    struct mv_pool_vol *v = calloc(n + 1, sizeof(*v));

    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(vols->v[i].name, name) == 0)
            continue;
        if (stor_pool_vol_copy(&vols->v[i], &v[k]) < 0)
            goto oom;
        k++;
    }
    if (vol) {
        if (stor_pool_vol_copy(vol, &v[k]) < 0)
            goto oom;
        k++;
    }
    return stor_vols_new(v, k);
oom:
    mv_pool_vols_free(v, k);
    return NULL;
}

/* ---- pools ---- */

static void pool_dispose(struct mv_obj *obj)
{
    struct stor_pool *pool = stor_pool_of(obj);

    mv_pool_def_free(pool->def);
    mv_pool_def_free(pool->live);
    stor_vols_unref(pool->vols);
    free(pool->starting_target);
    pthread_cond_destroy(&pool->queue_cond);
    mv_obj_fini(&pool->obj);
    free(pool);
}

const struct mv_obj_kind stor_pool_kind = { .word = "storage pool", .dispose = pool_dispose };

struct stor_pool *stor_pool_ref(struct stor_pool *pool)
{
    mv_obj_ref(&pool->obj);
    return pool;
}

void stor_pool_unref(struct stor_pool *pool)
{
    if (pool)
        mv_obj_unref(&pool->obj);
}

const struct mv_pool_def *stor_pool_current(const struct stor_pool *pool)
{
    return pool->active && pool->live ? pool->live : pool->def;
}

bool stor_pool_visible(const struct stor_pool *pool)
{
    return pool->def || pool->live;
}

struct stor_vols *stor_pool_vols(struct stor_pool *pool)
{
    return stor_vols_ref(pool->vols);
}

void stor_pool_set_vols(struct stor_pool *pool, struct stor_vols *vols, const struct mv_pool_usage *usage)
{
    struct stor_vols *old;

    pthread_mutex_lock(&pool->lock);
    old = pool->vols;
    pool->vols = vols;
    if (usage)
        pool->usage = *usage;
    pthread_mutex_unlock(&pool->lock);
    stor_vols_unref(old);
}

/* ---- registry ---- */

int stor_registry_init(void)
{
    return mv_registry_new(&stor_pool_kind, &storaged.pools);
}

void stor_registry_cleanup(void)
{
    mv_registry_free(storaged.pools);
    storaged.pools = NULL;
}

static struct stor_pool *pool_or_null(struct mv_obj *obj)
{
    return obj ? stor_pool_of(obj) : NULL;
}

int stor_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                      struct stor_pool **ret, struct stor_pool **existing)
{
    _cleanup_pool_unref_ struct stor_pool *pool = calloc(1, sizeof(*pool));
    struct mv_obj *holder = NULL;
    int r;

    if (!pool)
        return -ENOMEM;
    /* the queue's waits use monotonic deadlines (pool_queue.c) */
    if ((r = mv_cond_init_monotonic(&pool->queue_cond)) < 0) {
        free(TAKE_PTR(pool));
        return r;
    }
    if ((r = mv_obj_init(&pool->obj, &stor_pool_kind, name, uuid)) < 0) {
        pthread_cond_destroy(&pool->queue_cond);
        free(TAKE_PTR(pool));
        return r;
    }
    if ((r = mv_registry_add(storaged.pools, &pool->obj, job, &holder)) < 0) {
        if (r == -EEXIST)
            *existing = stor_pool_of(holder);
        return r;
    }
    *ret = TAKE_PTR(pool);
    return 0;
}

void stor_registry_remove(struct stor_pool *pool)
{
    mv_registry_remove(storaged.pools, &pool->obj);
}

struct stor_pool *stor_registry_find_name(const char *name)
{
    return pool_or_null(mv_registry_find_name(storaged.pools, name));
}

struct stor_pool *stor_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN])
{
    return pool_or_null(mv_registry_find_uuid(storaged.pools, uuid));
}

static bool visible_filter(struct mv_obj *obj, void *opaque)
{
    struct stor_pool *pool = stor_pool_of(obj);
    bool v;

    pthread_mutex_lock(&pool->lock);
    v = stor_pool_visible(pool);
    pthread_mutex_unlock(&pool->lock);
    return v;
}

static int list_with(mv_registry_filter filter, struct stor_pool ***pools, size_t *n)
{
    _cleanup_free_ struct mv_obj **objs = NULL;
    struct stor_pool **v;
    size_t count = 0;
    int r;

    *pools = NULL;
    *n = 0;
    if (!storaged.pools)        /* the driver never started (--help) */
        return 0;
    if ((r = mv_registry_list(storaged.pools, filter, NULL, &objs, &count)) < 0)
        return r;
    if (!(v = calloc(count ? count : 1, sizeof(*v)))) {
        mv_obj_list_free(TAKE_PTR(objs), count);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        v[i] = stor_pool_of(objs[i]);       /* the references move over */
    *pools = v;
    *n = count;
    return 0;
}

int stor_registry_list(struct stor_pool ***pools, size_t *n)
{
    return list_with(visible_filter, pools, n);
}

int stor_registry_list_any(struct stor_pool ***pools, size_t *n)
{
    return list_with(NULL, pools, n);
}

void stor_pool_list_free(struct stor_pool **pools, size_t n)
{
    for (size_t i = 0; i < n; i++)
        stor_pool_unref(pools[i]);
    free(pools);
}

/* ---- the volume index ---- */

bool stor_path_within(const char *a, const char *b)
{
    size_t lb = strlen(b);

    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    if (strncmp(a, b, lb) != 0)
        return false;
    return a[lb] == '\0' || a[lb] == '/' || (lb == 1 && b[0] == '/');
}

/* If PATH is TARGET/NAME (one component), NAME; else NULL. */
static const char *name_under(const char *path, const char *target)
{
    size_t lt = strlen(target);
    const char *rest;

    while (lt > 1 && target[lt - 1] == '/')
        lt--;
    if (strncmp(path, target, lt) != 0 || path[lt] != '/')
        return NULL;
    rest = path + lt + 1;
    return *rest && !strchr(rest, '/') ? rest : NULL;
}

struct stor_pool *stor_find_vol_by_path(const char *path, char **name)
{
    struct stor_pool **pools = NULL, *found = NULL;
    size_t n = 0;

    *name = NULL;
    if (stor_registry_list(&pools, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n && !found; i++) {
        struct stor_pool *p = pools[i];
        const char *vname;

        pthread_mutex_lock(&p->lock);
        if (p->active && p->live && p->live->target_path && (vname = name_under(path, p->live->target_path))) {
            const struct mv_pool_vol *vol = stor_vols_find(p->vols, vname);

            if (vol && strcmp(vol->path, path) == 0 && (*name = strdup(vname)))
                found = stor_pool_ref(p);
        }
        pthread_mutex_unlock(&p->lock);
    }
    stor_pool_list_free(pools, n);
    return found;
}

struct stor_pool *stor_find_pool_containing(const char *path)
{
    struct stor_pool **pools = NULL, *found = NULL;
    size_t n = 0;

    if (stor_registry_list(&pools, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n && !found; i++) {
        struct stor_pool *p = pools[i];

        pthread_mutex_lock(&p->lock);
        if (p->active && p->live && p->live->target_path && stor_path_within(path, p->live->target_path))
            found = stor_pool_ref(p);
        pthread_mutex_unlock(&p->lock);
    }
    stor_pool_list_free(pools, n);
    return found;
}

/* ---- calls ---- */

struct stor_pool *stor_pool_from_wire(struct mv_call *call, const mv_nonnull_storage_pool *wire)
{
    struct stor_pool *pool = stor_registry_find_uuid((const unsigned char *)wire->uuid);
    char uuid[MV_UUID_STRING_LEN];
    bool visible = false;

    if (pool) {
        pthread_mutex_lock(&pool->lock);
        visible = stor_pool_visible(pool);
        pthread_mutex_unlock(&pool->lock);
    }
    if (!visible) {
        stor_pool_unref(pool);
        mv_uuid_format((const unsigned char *)wire->uuid, uuid);
        mv_call_error(call, MV_ERR_NO_STORAGE_POOL, MV_FROM_STORAGE,
                      "Storage pool not found: no storage pool with matching uuid '%s' (%s)", uuid,
                      wire->name ? wire->name : "");
        return NULL;
    }
    return pool;
}

int stor_pool_to_wire(const struct stor_pool *pool, mv_nonnull_storage_pool *wire)
{
    if (!(wire->name = strdup(pool->name)))
        return -ENOMEM;
    memcpy(wire->uuid, pool->uuid, MV_UUID_LEN);
    return 0;
}

int stor_vol_to_wire(const char *pool, const struct mv_pool_vol *vol, mv_nonnull_storage_vol *wire)
{
    if (!(wire->pool = strdup(pool)) || !(wire->name = strdup(vol->name)) || !(wire->key = strdup(vol->path)))
        return -ENOMEM;     /* the reply's free releases what was set */
    return 0;
}

int stor_job_begin(struct stor_pool *pool, const char *job, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_job_begin(&pool->obj, job, (int)storaged.job_wait_ms, &msg);

    if (r == -EBUSY)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE, "%s",
                   msg ? msg : "Timed out during operation: storage pool is busy");
    else if (r == -ENOENT)      /* undefined (or a transient one stopped) while we waited */
        mv_err_set(err, MV_ERR_NO_STORAGE_POOL, MV_FROM_STORAGE,
                   "Storage pool not found: no storage pool with matching uuid '%s' (%s)", pool->uuid_str,
                   pool->name);
    else if (r < 0)
        mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_STORAGE,
                         "internal error: cannot begin job '%s' on storage pool '%s'", job, pool->name);
    return r;
}

void stor_job_end(struct stor_pool *pool)
{
    mv_job_end(&pool->obj);
}

int stor_call_fail(struct mv_call *call, struct mv_err *err)
{
    int r = mv_call_error(call, err->code ? err->code : MV_ERR_INTERNAL_ERROR,
                          err->domain ? err->domain : MV_FROM_STORAGE, "%s",
                          err->message ? err->message : "internal error");

    mv_err_clear(err);
    return r;
}

int stor_error_active(struct mv_err *err, const struct stor_pool *pool)
{
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                      "Requested operation is not valid: storage pool '%s' is already active", pool->name);
}

int stor_error_inactive(struct mv_err *err, const struct stor_pool *pool)
{
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                      "Requested operation is not valid: storage pool '%s' is not active", pool->name);
}
