/*
 * The driver's life: settings, the store, events, loading definitions and
 * status files, re-adopting pools that were active when storaged stopped,
 * and autostart once per boot.  Pools outlive storaged: nothing is
 * unmounted or stopped when it exits.
 */
#define MV_LOG_MODULE "storaged"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "job.h"
#include "log.h"
#include "pool_events.h"
#include "pool_obj.h"
#include "pool_queue.h"
#include "pool_start.h"
#include "pool_store.h"
#include "secret_store.h"
#include "storaged.h"
#include "store.h"
#include "vol_file.h"
#include "worker_pool.h"

#define TASK_THREADS 2
/* seconds: a pool's slow work (mount, refresh, qemu-img create) */
#define POOL_TIMEOUT_S 30
/* seconds: work that moves a volume's data (clone, wipe, preallocation) */
#define COPY_TIMEOUT_S 3600
/* seconds: a call waiting for another call's job on the same pool */
#define JOB_WAIT_S 30

struct storaged_driver storaged;

int storaged_bad_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                  "invalid argument: unsupported flags (0x%x) in function %s", flags, api);
    return -EINVAL;
}

int storaged_code_of(const char *msg, int fallback)
{
    static const struct { const char *prefix; int code; } kinds[] = {
        { "unsupported configuration:", MV_ERR_CONFIG_UNSUPPORTED },
        { "Requested operation is not valid:", MV_ERR_OPERATION_INVALID },
        { "invalid argument:", MV_ERR_INVALID_ARG },
        { "operation failed:", MV_ERR_OPERATION_FAILED },
        { "internal error:", MV_ERR_INTERNAL_ERROR },
        { "XML error", MV_ERR_XML_ERROR },
        { "Timed out during operation:", MV_ERR_OPERATION_TIMEOUT },
        { "Operation not supported:", MV_ERR_OPERATION_UNSUPPORTED },
    };

    for (size_t i = 0; msg && i < MV_ARRAY_SIZE(kinds); i++)
        if (strncmp(msg, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
            return kinds[i].code;
    return fallback;
}

/* ---- tasks: re-adoption and autostart, one per pool ---- */

struct task {
    struct stor_pool *pool;         /* referenced */
    struct mv_pool_def *live;       /* its status file's definition, or NULL */
    bool autostart;
};

static void task_drop(void *job)
{
    struct task *t = job;

    stor_pool_unref(t->pool);
    mv_pool_def_free(t->live);
    free(t);
}

static void autostart_one(struct stor_pool *pool)
{
    struct mv_pool_def *def = NULL;
    struct mv_err err = { 0 };

    pthread_mutex_lock(&pool->lock);
    if (!pool->active && pool->def && pool->autostart && !(def = mv_pool_def_copy(pool->def)))
        mv_error("cannot autostart storage pool '%s': out of memory", pool->name);
    pthread_mutex_unlock(&pool->lock);
    if (def && stor_pool_start(pool, def, 0, &err) < 0)
        mv_error("cannot autostart storage pool '%s': %s", pool->name, err.message ? err.message : "failed");
    mv_err_clear(&err);
}

/* The pool's job is held from the moment it was loaded (load_*), so
 * callers wait for its re-adoption instead of acting on a pool whose
 * state the backend has not confirmed. */
static void task_run(void *job)
{
    struct task *t = job;

    if (t->live)
        stor_pool_readopt(t->pool, TAKE_PTR(t->live));
    if (t->autostart)
        autostart_one(t->pool);
    stor_job_end(t->pool);
    task_drop(t);
}

/* ---- init ---- */

static int read_seconds(const mv_conf *conf, const char *key, long long def, long long max, unsigned int *ms,
                        char **errmsg)
{
    long long s = def;
    int r;

    if ((r = mv_conf_get_int(conf, key, 1, max, &s, errmsg)) < 0)
        return r;
    *ms = (unsigned int)s * 1000u;
    return 0;
}

/* qemu_img: an absolute path, handed to the volume files (vol_file.h)
 * before any volume is touched */
static int read_qemu_img(const mv_conf *conf, char **errmsg)
{
    int r;

    if ((r = mv_conf_get_string(conf, "qemu_img", &storaged.qemu_img, errmsg)) < 0 || !storaged.qemu_img)
        return r;
    if (storaged.qemu_img[0] != '/')
        return mv_errmsg_set(errmsg, -EINVAL, "qemu_img = '%s': the path must be absolute", storaged.qemu_img);
    mv_volfile_set_qemu_img(storaged.qemu_img);
    return 0;
}

static int read_settings(const mv_conf *conf, char **errmsg)
{
    int r;

    if ((r = read_seconds(conf, "pool_timeout", POOL_TIMEOUT_S, 3600, &storaged.pool_timeout_ms, errmsg)) < 0 ||
        (r = read_seconds(conf, "copy_timeout", COPY_TIMEOUT_S, 86400, &storaged.copy_timeout_ms, errmsg)) < 0 ||
        (r = read_seconds(conf, "job_wait_timeout", JOB_WAIT_S, 3600, &storaged.job_wait_ms, errmsg)) < 0 ||
        (r = read_qemu_img(conf, errmsg)) < 0)
        return r;
    return 0;
}

int storaged_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    int r;

    storaged.paths = ctx->paths;
    storaged.event = ctx->event;
    if ((r = read_settings(conf, errmsg)) < 0 || (r = stor_store_init(ctx->paths)) < 0)
        return r;
    if ((r = stor_registry_init()) < 0 || (r = stor_events_init()) < 0 ||
        (r = mv_worker_pool_new(TASK_THREADS, task_run, &storaged.tasks)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot set up the storage driver: %s", strerror(-r));
    /* secrets: their own registry, files and events (secret_store.h) */
    return storaged_secrets_init(ctx->paths, errmsg);
}

/* ---- loading ---- */

/* Adds a pool for DEF (persistent if PERSISTENT, else only running):
 * returns it referenced with its job held, or NULL (logged). */
static struct stor_pool *add_loaded(struct mv_pool_def *def, const char *path)
{
    _cleanup_pool_unref_ struct stor_pool *holder = NULL;
    struct stor_pool *pool = NULL;

    if (stor_registry_add(def->name, def->uuid, "load", &pool, &holder) < 0) {
        mv_error("ignoring '%s': the name or uuid of storage pool '%s' is taken", path, def->name);
        return NULL;
    }
    return pool;        /* locked */
}

static void load_definition(const char *name, const char *path, void *opaque)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_pool_def *def = NULL;
    struct stor_pool *pool;

    if (stor_store_read(path, &def, &msg) < 0) {
        mv_error("ignoring %s", msg ? msg : path);
        return;
    }
    if (strcmp(def->name, name) != 0) {
        mv_error("ignoring '%s': it defines storage pool '%s'", path, def->name);
        mv_pool_def_free(def);
        return;
    }
    if (!(pool = add_loaded(def, path))) {
        mv_pool_def_free(def);
        return;
    }
    pool->def = def;
    pool->autostart = mv_store_get_autostart(storaged.store, name);
    pthread_mutex_unlock(&pool->lock);
    stor_job_end(pool);
    stor_pool_unref(pool);
}

/* Queues POOL's re-adoption of LIVE (taken) and its autostart, with its
 * job held until the task has run. */
static void queue_task(struct stor_pool *pool, struct mv_pool_def *live, bool autostart)
{
    struct task *t = calloc(1, sizeof(*t));

    if (!t) {
        mv_error("storage pool '%s': cannot queue its re-adoption: out of memory", pool->name);
        mv_pool_def_free(live);
        stor_job_end(pool);
        return;
    }
    *t = (struct task){ .pool = stor_pool_ref(pool), .live = live, .autostart = autostart };
    if (mv_worker_pool_push(storaged.tasks, t) < 0) {
        stor_job_end(pool);
        task_drop(t);
    }
}

static void load_status(const char *name, const char *path, void *opaque)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_pool_unref_ struct stor_pool *pool = NULL;
    struct mv_pool_def *live = NULL;
    bool autostart = *(bool *)opaque;

    if (stor_store_read(path, &live, &msg) < 0) {
        mv_error("ignoring status file %s", msg ? msg : path);
        return;
    }
    if ((pool = stor_registry_find_uuid(live->uuid))) {
        if (mv_job_begin(&pool->obj, "re-adopt", -1, NULL) < 0) {
            mv_pool_def_free(live);
            return;
        }
    } else {
        if (!(pool = add_loaded(live, path))) {      /* a transient pool */
            mv_pool_def_free(live);
            return;
        }
        pthread_mutex_unlock(&pool->lock);
    }
    queue_task(pool, live, autostart && pool->autostart);
}

/* Pools with no status file: only autostart to do. */
static void autostart_rest(void)
{
    struct stor_pool **pools = NULL;
    size_t n = 0;

    if (stor_registry_list(&pools, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        bool want;

        pthread_mutex_lock(&pools[i]->lock);
        want = pools[i]->autostart && !pools[i]->active && !pools[i]->live;
        pthread_mutex_unlock(&pools[i]->lock);
        if (want && mv_job_begin(&pools[i]->obj, "autostart", -1, NULL) == 0)
            queue_task(pools[i], NULL, true);
    }
    stor_pool_list_free(pools, n);
}

int storaged_driver_start(struct mv_daemon_ctx *ctx)
{
    /* once per host boot (the store keeps the marker in the run directory) */
    bool autostart = mv_store_autostart_due(storaged.store);

    mv_store_each_config(storaged.store, load_definition, NULL);
    mv_store_each_status(storaged.store, load_status, &autostart);
    if (autostart)
        autostart_rest();
    return 0;
}

bool storaged_driver_busy(void)
{
    return stor_queue_any_in_flight();
}

/* Pools stay as they are.  Work still in flight on a pool's thread (a
 * stuck mount) keeps references to the store and the events: those are
 * then left for the process's exit rather than freed under it. */
void storaged_driver_cleanup(void)
{
    mv_worker_pool_free(storaged.tasks, task_drop);
    storaged_secrets_cleanup();
    if (stor_queue_any_in_flight()) {
        mv_warn("exiting with storage pool work still in flight");
        return;
    }
    stor_events_cleanup();
    stor_registry_cleanup();
    stor_store_cleanup();
    free(storaged.qemu_img);
    memset(&storaged, 0, sizeof(storaged));
}
