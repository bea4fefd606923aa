/*
 * A pool's slow work (see pool_start.h).  Each *_work function runs on the
 * pool's thread; the stor_pool_* wrappers hand it to the queue and wait.
 */
#define MV_LOG_MODULE "storaged.start"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "pool_events.h"
#include "pool_queue.h"
#include "pool_start.h"
#include "pool_store.h"
#include "registry.h"
#include "storaged.h"

const struct mv_pool_backend *stor_backend(const struct mv_pool_def *def, struct mv_err *err)
{
    const struct mv_pool_backend *b = mv_pool_backend_for(def->type);

    if (!b)
        mv_err_set(err, MV_ERR_NO_SUPPORT, MV_FROM_STORAGE,
                   "this function is not supported by the connection driver: storage pool '%s': no backend for "
                   "type '%s'", def->name, mv_pool_type_to_string(def->type));
    return b;
}

int stor_backend_error(struct mv_err *err, int r, char *msg, const char *pool, const char *what)
{
    _cleanup_free_ char *m = msg;

    if (r == -ETIMEDOUT)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE, "Timed out during operation: %s",
                   m ? m : "storage pool did not answer");
    else if (m)
        mv_err_set(err, storaged_code_of(m, MV_ERR_OPERATION_FAILED), MV_FROM_STORAGE, "%s", m);
    else
        mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                         "operation failed: cannot %s storage pool '%s'", what, pool);
    return r < 0 ? r : -EIO;
}

/* ---- build ---- */

struct build_arg {
    struct mv_pool_def *def;
    unsigned int flags;
};

static void build_arg_free(void *p)
{
    struct build_arg *a = p;

    mv_pool_def_free(a->def);
    free(a);
}

static int build_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct build_arg *a = p;
    const struct mv_pool_backend *b = stor_backend(a->def, err);
    char *msg = NULL;
    int r;

    if (!b)
        return -ENOTSUP;
    if (!b->build)
        return 0;               /* nothing to build (netfs mounts what is there) */
    if ((r = b->build(a->def, a->flags, &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "build");
    mv_info("storage pool '%s' built", pool->name);
    stor_event_lifecycle(pool, STOR_EVENT_CREATED);
    return 0;
}

int stor_pool_build(struct stor_pool *pool, const struct mv_pool_def *def, unsigned int flags, struct mv_err *err)
{
    struct build_arg *a = calloc(1, sizeof(*a));
    int r;

    if (!a || !(a->def = mv_pool_def_copy(def))) {
        free(a);
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    }
    a->flags = flags;
    r = stor_queue_run(pool, "build", build_work, a, build_arg_free, storaged.pool_timeout_ms, err);
    if (r != -ETIMEDOUT)
        build_arg_free(a);
    return r;
}

/* ---- refresh ---- */

/* Reads DEF's volumes and usage and publishes them on POOL. */
static int refresh_into(struct stor_pool *pool, const struct mv_pool_def *def, const struct mv_pool_backend *b,
                        struct mv_err *err)
{
    struct mv_pool_usage usage = { 0 };
    struct mv_pool_vol *v = NULL;
    struct stor_vols *vols;
    char *msg = NULL;
    size_t n = 0;
    int r;

    if ((r = b->refresh(def, &v, &n, &usage, &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "refresh");
    if (!(vols = stor_vols_new(v, n)))
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    stor_pool_set_vols(pool, vols, &usage);
    return 0;
}

static int refresh_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct mv_pool_def *def = p;
    const struct mv_pool_backend *b = stor_backend(def, err);
    int r;

    if (!b)
        return -ENOTSUP;
    if ((r = refresh_into(pool, def, b, err)) < 0)
        return r;
    stor_event_refresh(pool);
    return 0;
}

static void def_free(void *p)
{
    mv_pool_def_free(p);
}

/* Runs FN on the pool's thread with a copy of its live definition, so the
 * work needs no pool lock; WHAT names the work. An inactive pool is an
 * error. After a timeout the copy belongs to the work, which frees it. */
static int run_on_live(struct stor_pool *pool, const char *what, stor_op_fn fn, struct mv_err *err)
{
    struct mv_pool_def *live = NULL;
    bool active;
    int r;

    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    if (active && pool->live)
        live = mv_pool_def_copy(pool->live);
    pthread_mutex_unlock(&pool->lock);
    if (!active)
        return stor_error_inactive(err, pool);
    if (!live)
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    r = stor_queue_run(pool, what, fn, live, def_free, storaged.pool_timeout_ms, err);
    if (r != -ETIMEDOUT)
        mv_pool_def_free(live);
    return r;
}

int stor_pool_refresh(struct stor_pool *pool, struct mv_err *err)
{
    return run_on_live(pool, "refresh", refresh_work, err);
}

/* ---- start ---- */

struct start_arg {
    struct mv_pool_def *def;        /* moved into the pool on success */
    unsigned int build_flags;
};

static void start_arg_free(void *p)
{
    struct start_arg *a = p;

    mv_pool_def_free(a->def);
    free(a);
}

/* VIR_STORAGE_POOL_CREATE_WITH_BUILD, _OVERWRITE, _NO_OVERWRITE to the
 * matching VIR_STORAGE_POOL_BUILD_* (0 NEW, 8 OVERWRITE, 4 NO_OVERWRITE). */
static unsigned int build_flags_of(unsigned int create_flags)
{
    if (create_flags & 2)
        return 8;
    if (create_flags & 4)
        return 4;
    return 0;
}

/* Makes POOL active with *LIVE (taken on success): status first, so a
 * storaged killed right after finds the pool it had started. */
static int make_active(struct stor_pool *pool, struct mv_pool_def **live, struct mv_err *err)
{
    struct mv_pool_def *old;
    int r;

    if ((r = stor_store_write_status(*live, err)) < 0)
        return r;
    pthread_mutex_lock(&pool->lock);
    old = pool->live;
    pool->live = TAKE_PTR(*live);
    pool->active = true;
    pthread_mutex_unlock(&pool->lock);
    mv_pool_def_free(old);
    return 0;
}

/* A create's pool that never started was never seen: it goes (its caller
 * may have given up waiting, so the start removes it itself). */
static void drop_if_unseen(struct stor_pool *pool)
{
    bool unseen;

    pthread_mutex_lock(&pool->lock);
    unseen = !pool->def && !pool->active;
    pthread_mutex_unlock(&pool->lock);
    if (unseen)
        stor_registry_remove(pool);
}

/* A start that failed after the backend started DEF: undone, so nothing
 * stays mounted for a pool that is not active. */
static void undo_start(struct stor_pool *pool, const struct mv_pool_def *def, const struct mv_pool_backend *b)
{
    _cleanup_free_ char *msg = NULL;

    stor_pool_set_vols(pool, NULL, &(struct mv_pool_usage){ 0 });
    if (b->stop && b->stop(def, &msg) < 0)
        mv_error("storage pool '%s': cannot undo its failed start: %s", pool->name, msg ? msg : "failed");
}

static int start_steps(struct stor_pool *pool, struct start_arg *a, const struct mv_pool_backend *b,
                       struct mv_err *err)
{
    char *msg = NULL;
    int r;

    if ((a->build_flags & 7) && b->build && (r = b->build(a->def, build_flags_of(a->build_flags), &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "build");
    /* the backend undoes its own failed start */
    if (b->start && (r = b->start(a->def, &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "start");
    if ((r = refresh_into(pool, a->def, b, err)) < 0 || (r = make_active(pool, &a->def, err)) < 0) {
        undo_start(pool, a->def, b);
        return r;
    }
    return 0;
}

static int start_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct start_arg *a = p;
    const struct mv_pool_backend *b = stor_backend(a->def, err);
    int r = b ? start_steps(pool, a, b, err) : -ENOTSUP;

    if (r < 0) {
        drop_if_unseen(pool);
        return r;
    }
    mv_info("storage pool '%s' started", pool->name);
    stor_event_lifecycle(pool, STOR_EVENT_STARTED);
    return 0;
}

int stor_pool_start(struct stor_pool *pool, struct mv_pool_def *def, unsigned int build_flags, struct mv_err *err)
{
    struct start_arg *a = calloc(1, sizeof(*a));
    int r;

    if (!a) {
        mv_pool_def_free(def);
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    }
    *a = (struct start_arg){ .def = def, .build_flags = build_flags };
    r = stor_queue_run(pool, "start", start_work, a, start_arg_free, storaged.pool_timeout_ms, err);
    if (r != -ETIMEDOUT)
        start_arg_free(a);
    return r;
}

/* ---- stop ---- */

/* Inactive from here on: the running definition, volumes and status go;
 * a transient pool leaves the registry. */
static void make_inactive(struct stor_pool *pool)
{
    struct mv_pool_def *live;
    struct stor_vols *vols;
    bool transient;

    stor_store_delete_status(pool->name);
    pthread_mutex_lock(&pool->lock);
    live = TAKE_PTR(pool->live);
    vols = TAKE_PTR(pool->vols);
    pool->active = false;
    pool->usage = (struct mv_pool_usage){ 0 };
    transient = !pool->def;
    pthread_mutex_unlock(&pool->lock);
    mv_pool_def_free(live);
    stor_vols_unref(vols);
    if (transient)
        stor_registry_remove(pool);
}

static int stop_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct mv_pool_def *live = p;
    const struct mv_pool_backend *b = stor_backend(live, err);
    char *msg = NULL;
    int r;

    if (!b)
        return -ENOTSUP;
    if (b->stop && (r = b->stop(live, &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "stop");
    /* the event before a transient pool leaves: its name is free after */
    mv_info("storage pool '%s' stopped", pool->name);
    stor_event_lifecycle(pool, STOR_EVENT_STOPPED);
    make_inactive(pool);
    return 0;
}

int stor_pool_stop(struct stor_pool *pool, struct mv_err *err)
{
    return run_on_live(pool, "destroy", stop_work, err);
}

/* ---- delete ---- */

static int delete_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct build_arg *a = p;
    const struct mv_pool_backend *b = stor_backend(a->def, err);
    char *msg = NULL;
    int r;

    if (!b)
        return -ENOTSUP;
    if (!b->delete_pool)
        return mv_err_set(err, MV_ERR_NO_SUPPORT, MV_FROM_STORAGE,
                          "this function is not supported by the connection driver: storage pool '%s' of type "
                          "'%s' has no storage to delete", pool->name, mv_pool_type_to_string(a->def->type));
    if ((r = b->delete_pool(a->def, a->flags, &msg)) < 0)
        return stor_backend_error(err, r, msg, pool->name, "delete");
    mv_info("storage pool '%s' deleted", pool->name);
    stor_event_lifecycle(pool, STOR_EVENT_DELETED);
    return 0;
}

int stor_pool_delete(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    struct build_arg *a = calloc(1, sizeof(*a));
    bool active;
    int r;

    if (!a)
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    if (!active && pool->def)
        a->def = mv_pool_def_copy(pool->def);
    pthread_mutex_unlock(&pool->lock);
    if (active || !a->def) {
        free(a);
        return active ? stor_error_active(err, pool) : mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    }
    a->flags = flags;
    r = stor_queue_run(pool, "delete", delete_work, a, build_arg_free, storaged.pool_timeout_ms, err);
    if (r != -ETIMEDOUT)
        build_arg_free(a);
    return r;
}

/* ---- re-adoption ---- */

static int readopt_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct mv_pool_def *live = pool->live;      /* set before the work, stable under the job */
    const struct mv_pool_backend *b = stor_backend(live, err);

    if (!b)
        return -ENOTSUP;
    if (b->is_started && !b->is_started(live))
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                          "operation failed: storage pool '%s' is no longer started", pool->name);
    return refresh_into(pool, live, b, err);
}

void stor_pool_readopt(struct stor_pool *pool, struct mv_pool_def *live)
{
    struct mv_err err = { 0 };
    int r;

    /* active meanwhile, with no volumes yet: callers see the pool as it
     * was, and its job keeps changes off until the backend has answered */
    pthread_mutex_lock(&pool->lock);
    mv_pool_def_free(pool->live);
    pool->live = live;
    pool->active = true;
    pthread_mutex_unlock(&pool->lock);
    r = stor_queue_run(pool, "re-adopt", readopt_work, NULL, NULL, storaged.pool_timeout_ms, &err);
    if (r == 0) {
        mv_info("storage pool '%s' re-adopted", pool->name);
    } else if (r == -ETIMEDOUT) {
        mv_warn("storage pool '%s' kept as active: %s", pool->name, err.message ? err.message : "timed out");
    } else {
        mv_warn("storage pool '%s' is inactive: %s", pool->name, err.message ? err.message : "failed");
        make_inactive(pool);
    }
    mv_err_clear(&err);
}
