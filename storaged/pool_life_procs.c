/*
 * Pool procedures that change something: define, create (transient),
 * build, start, destroy, delete, undefine, refresh and autostart.  Each
 * holds the pool's job; the slow part runs on the pool's own thread
 * (pool_start.h, pool_queue.h), so a stuck pool fails its own calls with a
 * timeout and never holds up another pool's.
 */
#define MV_LOG_MODULE "storaged.procs"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "log.h"
#include "pool_events.h"
#include "pool_obj.h"
#include "pool_queue.h"
#include "pool_start.h"
#include "pool_store.h"
#include "storaged.h"
#include "validate.h"

/* VIR_STORAGE_POOL_DEFINE_VALIDATE: the parser always refuses what it
 * cannot honour, so validating is what it does anyway */
#define DEFINE_VALIDATE 1u
/* VIR_STORAGE_POOL_CREATE_WITH_BUILD, _OVERWRITE, _NO_OVERWRITE */
#define CREATE_FLAGS 7u
/* VIR_STORAGE_POOL_BUILD_NEW 0, REPAIR 1, RESIZE 2, NO_OVERWRITE 4, OVERWRITE 8 */
#define BUILD_FLAGS 15u
/* VIR_STORAGE_POOL_DELETE_ZEROED */
#define DELETE_FLAGS 1u
/* how often define retries when the holder of its name went away while it waited */
#define OBTAIN_RETRIES 8

/* Held from the check of a definition's target against the other pools'
 * until it is published, so two defines cannot nest their targets. */
static pthread_mutex_t define_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse(struct mv_call *call, const char *xml, struct mv_pool_def **def)
{
    _cleanup_free_ char *msg = NULL;

    if (mv_pool_def_parse(xml, def, &msg) < 0)
        return mv_call_error(call, storaged_code_of(msg, MV_ERR_XML_ERROR), MV_FROM_STORAGE, "%s",
                             msg ? msg : "XML error: cannot parse the storage pool");
    /* the name becomes a file name: refuse what the store cannot hold */
    if (mv_validate_name("storage pool", (*def)->name, &msg) < 0) {
        mv_pool_def_free(TAKE_PTR(*def));
        return mv_call_error(call, MV_ERR_XML_ERROR, MV_FROM_STORAGE, "XML error: %s", msg ? msg : "invalid name");
    }
    return 0;
}

/* ---- targets: no pool inside another ---- */

static int target_conflict(struct mv_err *err, const struct mv_pool_def *def, const char *other_name,
                           const char *other)
{
    const char *how = strcmp(def->target_path, other) == 0 ? "is the target" :
                      stor_path_within(def->target_path, other) ? "is inside the target" : "contains the target";

    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                      "operation failed: storage pool '%s': target '%s' %s '%s' of storage pool '%s'", def->name,
                      def->target_path, how, other, other_name);
}

static bool nested(const char *a, const char *b)
{
    return a && b && (stor_path_within(a, b) || stor_path_within(b, a));
}

/* 0 if DEF's target neither holds nor lies in another pool's (running or
 * persistent); else -EEXIST with ERR.  Call with define_lock held. */
static int check_target(const struct mv_pool_def *def, struct mv_err *err)
{
    struct stor_pool **pools = NULL;
    size_t n = 0;
    int r;

    if (!def->target_path)
        return 0;
    if ((r = stor_registry_list_any(&pools, &n)) < 0)
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    for (size_t i = 0; i < n && r == 0; i++) {
        struct stor_pool *p = pools[i];

        if (memcmp(p->uuid, def->uuid, MV_UUID_LEN) == 0)
            continue;           /* its own older definition */
        pthread_mutex_lock(&p->lock);
        if (p->live && nested(def->target_path, p->live->target_path))
            r = target_conflict(err, def, p->name, p->live->target_path);
        else if (p->def && nested(def->target_path, p->def->target_path))
            r = target_conflict(err, def, p->name, p->def->target_path);
        else if (nested(def->target_path, p->starting_target))
            r = target_conflict(err, def, p->name, p->starting_target);
        pthread_mutex_unlock(&p->lock);
    }
    stor_pool_list_free(pools, n);
    return r < 0 ? -EEXIST : 0;
}

/* ---- the object a definition names ---- */

static int conflict(struct mv_call *call, const struct stor_pool *holder, const struct mv_pool_def *def)
{
    char uuid[MV_UUID_STRING_LEN];

    if (strcmp(holder->name, def->name) == 0)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                             "operation failed: storage pool '%s' already exists with uuid %s", holder->name,
                             holder->uuid_str);
    mv_uuid_format(def->uuid, uuid);
    return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                         "operation failed: storage pool '%s' is already defined with uuid %s", holder->name, uuid);
}

/* The pool for DEF with its job held as JOB: an existing one with the same
 * name and UUID, or a new one (*ADDED) that callers do not see until it
 * has a definition.  0 with *OUT referenced, or -errno with the call's
 * error set. */
static int obtain(struct mv_call *call, const struct mv_pool_def *def, const char *job, struct stor_pool **out,
                  bool *added)
{
    struct mv_err err = { 0 };
    int r;

    for (int tries = 0;; tries++) {
        _cleanup_pool_unref_ struct stor_pool *holder = NULL;
        struct stor_pool *pool = NULL;

        r = stor_registry_add(def->name, def->uuid, job, &pool, &holder);
        if (r == 0) {
            pthread_mutex_unlock(&pool->lock);
            *out = pool;
            *added = true;
            return 0;
        }
        if (r != -EEXIST)
            return r;
        if (strcmp(holder->name, def->name) != 0 || memcmp(holder->uuid, def->uuid, MV_UUID_LEN) != 0)
            return conflict(call, holder, def);
        r = stor_job_begin(holder, job, &err);
        if (r == -ENOENT && tries < OBTAIN_RETRIES) {
            mv_err_clear(&err);     /* removed while we waited: add it afresh */
            continue;
        }
        if (r < 0)
            return stor_call_fail(call, &err);
        *out = TAKE_PTR(holder);
        *added = false;
        return 0;
    }
}

/* Ends the job obtain() took; a pool it added for a call that failed goes again. */
static void release(struct stor_pool *pool, bool drop)
{
    if (drop)
        stor_registry_remove(pool);
    stor_job_end(pool);
    stor_pool_unref(pool);
}

/* ---- define ---- */

/* Saves DEF (taken on success) as POOL's persistent definition. */
static int define_store(struct stor_pool *pool, struct mv_pool_def **def, bool *updated, struct mv_err *err)
{
    struct mv_pool_def *old;
    int r;

    pthread_mutex_lock(&define_lock);
    if ((r = check_target(*def, err)) == 0 && (r = stor_store_save_config(*def, err)) == 0) {
        pthread_mutex_lock(&pool->lock);
        old = pool->def;
        *updated = old != NULL;
        pool->def = TAKE_PTR(*def);
        pthread_mutex_unlock(&pool->lock);
        mv_pool_def_free(old);
    }
    pthread_mutex_unlock(&define_lock);
    return r;
}

static int define_xml(struct mv_call *call, mv_xml_flags_args *args, mv_storage_pool_ret *ret)
{
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    struct mv_err err = { 0 };
    struct stor_pool *pool;
    bool added, updated = false;
    int r;

    if (args->flags & ~DEFINE_VALIDATE)
        return storaged_bad_flags(call, args->flags & ~DEFINE_VALIDATE, "virStoragePoolDefineXML");
    if ((r = parse(call, args->xml, &def)) < 0 || (r = obtain(call, def, "define", &pool, &added)) < 0)
        return r;
    if ((r = define_store(pool, &def, &updated, &err)) < 0) {
        release(pool, added);
        return err.code ? stor_call_fail(call, &err) : r;
    }
    mv_info("storage pool '%s' %s", pool->name, updated ? "updated" : "defined");
    stor_event_lifecycle(pool, STOR_EVENT_DEFINED);
    r = stor_pool_to_wire(pool, &ret->pool);
    release(pool, false);
    return r;
}

/* ---- create: a transient pool, or a defined one with this definition ---- */

static int check_create_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    if (flags & ~CREATE_FLAGS)
        return storaged_bad_flags(call, flags & ~CREATE_FLAGS, api);
    if ((flags & 2) && (flags & 4))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: overwrite and no-overwrite flags are mutually exclusive in %s", api);
    return 0;
}

/* POOL's claim on TARGET while a create starts it (NULL: the claim ends). */
static int claim_target(struct stor_pool *pool, const char *target)
{
    char *copy = target ? strdup(target) : NULL;

    if (target && !copy)
        return -ENOMEM;
    pthread_mutex_lock(&pool->lock);
    free(pool->starting_target);
    pool->starting_target = copy;
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

static int create_start(struct stor_pool *pool, struct mv_pool_def **def, unsigned int flags, struct mv_err *err)
{
    int r;

    pthread_mutex_lock(&pool->lock);
    r = pool->active ? -EEXIST : 0;
    pthread_mutex_unlock(&pool->lock);
    if (r < 0)
        return stor_error_active(err, pool);
    /* checked and claimed under the lock; the start, which may take up
     * to pool_timeout, runs without it: other defines and creates see the
     * claim instead of waiting for the lock */
    pthread_mutex_lock(&define_lock);
    if ((r = check_target(*def, err)) == 0)
        r = claim_target(pool, (*def)->target_path);
    pthread_mutex_unlock(&define_lock);
    if (r < 0)
        return r == -ENOMEM ? mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory") : r;
    r = stor_pool_start(pool, TAKE_PTR(*def), flags, err);
    claim_target(pool, NULL);      /* running now (or failed): the claim has done its work */
    return r;
}

static int create_xml(struct mv_call *call, mv_xml_flags_args *args, mv_storage_pool_ret *ret)
{
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    struct mv_err err = { 0 };
    struct stor_pool *pool;
    bool added;
    int r;

    if ((r = check_create_flags(call, args->flags, "virStoragePoolCreateXML")) < 0 ||
        (r = parse(call, args->xml, &def)) < 0 || (r = obtain(call, def, "start", &pool, &added)) < 0)
        return r;
    if ((r = create_start(pool, &def, args->flags, &err)) < 0) {
        /* timed out: the start goes on, and drops the pool itself if it fails */
        release(pool, added && r != -ETIMEDOUT);
        return err.code ? stor_call_fail(call, &err) : r;
    }
    r = stor_pool_to_wire(pool, &ret->pool);
    release(pool, false);
    return r;
}

/* ---- the rest: on an existing pool, with its job ---- */

typedef int (*job_fn)(struct stor_pool *pool, unsigned int flags, struct mv_err *err);

static int with_job(struct mv_call *call, const mv_nonnull_storage_pool *wire, const char *job, job_fn fn,
                    unsigned int flags)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_pool_from_wire(call, wire);
    struct mv_err err = { 0 };
    int r;

    if (!pool)
        return -EIO;
    if (stor_queue_enter(pool, &err) < 0)
        return stor_call_fail(call, &err);
    if (stor_job_begin(pool, job, &err) < 0) {
        stor_queue_leave(pool);
        return stor_call_fail(call, &err);
    }
    r = fn(pool, flags, &err);
    stor_job_end(pool);
    stor_queue_leave(pool);
    if (r < 0 && err.code)
        return stor_call_fail(call, &err);
    return r;
}

/* The persistent definition of inactive POOL, copied; NULL with ERR. */
static struct mv_pool_def *inactive_def(struct stor_pool *pool, struct mv_err *err)
{
    struct mv_pool_def *def = NULL;
    bool active;

    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    if (!active && pool->def)
        def = mv_pool_def_copy(pool->def);
    pthread_mutex_unlock(&pool->lock);
    if (active)
        stor_error_active(err, pool);
    else if (!def)
        mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    return def;
}

static int do_start(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    struct mv_pool_def *def = inactive_def(pool, err);

    return def ? stor_pool_start(pool, def, flags, err) : -EIO;
}

static int start(struct mv_call *call, mv_storage_pool_flags_args *args, void *ret)
{
    int r = check_create_flags(call, args->flags, "virStoragePoolCreate");

    return r < 0 ? r : with_job(call, &args->pool, "start", do_start, args->flags);
}

static int do_build(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    _cleanup_pool_def_ struct mv_pool_def *def = inactive_def(pool, err);

    return def ? stor_pool_build(pool, def, flags, err) : -EIO;
}

static int build(struct mv_call *call, mv_storage_pool_flags_args *args, void *ret)
{
    if (args->flags & ~BUILD_FLAGS)
        return storaged_bad_flags(call, args->flags & ~BUILD_FLAGS, "virStoragePoolBuild");
    if ((args->flags & 4) && (args->flags & 8))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: overwrite and no-overwrite flags are mutually exclusive in "
                             "virStoragePoolBuild");
    return with_job(call, &args->pool, "build", do_build, args->flags);
}

static int do_destroy(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    return stor_pool_stop(pool, err);
}

static int destroy(struct mv_call *call, mv_storage_pool_args *args, void *ret)
{
    return with_job(call, &args->pool, "destroy", do_destroy, 0);
}

static int do_delete(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    return stor_pool_delete(pool, flags, err);
}

static int delete(struct mv_call *call, mv_storage_pool_flags_args *args, void *ret)
{
    if (args->flags & ~DELETE_FLAGS)
        return storaged_bad_flags(call, args->flags & ~DELETE_FLAGS, "virStoragePoolDelete");
    return with_job(call, &args->pool, "delete", do_delete, args->flags);
}

static int do_refresh(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    return stor_pool_refresh(pool, err);
}

static int refresh(struct mv_call *call, mv_storage_pool_flags_args *args, void *ret)
{
    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virStoragePoolRefresh");
    return with_job(call, &args->pool, "refresh", do_refresh, 0);
}

static int do_undefine(struct stor_pool *pool, unsigned int flags, struct mv_err *err)
{
    struct mv_pool_def *old;
    bool active;
    int r;

    pthread_mutex_lock(&pool->lock);
    old = pool->def;
    active = pool->active;
    pthread_mutex_unlock(&pool->lock);
    if (!old)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                          "Requested operation is not valid: cannot undefine transient storage pool '%s'", pool->name);
    if (active)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                          "Requested operation is not valid: storage pool '%s' is still active", pool->name);
    if ((r = stor_queue_check_idle(pool, err)) < 0 || (r = stor_store_delete_config(pool->name, err)) < 0)
        return r;
    pthread_mutex_lock(&pool->lock);
    pool->def = NULL;
    pool->autostart = false;
    pthread_mutex_unlock(&pool->lock);
    mv_pool_def_free(old);
    mv_info("storage pool '%s' undefined", pool->name);
    /* the event before the removal: a define of the name waiting for our
     * job must not send its DEFINED before our UNDEFINED */
    stor_event_lifecycle(pool, STOR_EVENT_UNDEFINED);
    stor_registry_remove(pool);
    return 0;
}

static int undefine(struct mv_call *call, mv_storage_pool_args *args, void *ret)
{
    return with_job(call, &args->pool, "undefine", do_undefine, 0);
}

static int do_set_autostart(struct stor_pool *pool, unsigned int on, struct mv_err *err)
{
    bool persistent;
    int r;

    pthread_mutex_lock(&pool->lock);
    persistent = pool->def != NULL;
    pthread_mutex_unlock(&pool->lock);
    if (!persistent)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                          "Requested operation is not valid: cannot set autostart for transient storage pool '%s'",
                          pool->name);
    if ((r = stor_store_set_autostart(pool->name, on != 0, err)) < 0)
        return r;
    pthread_mutex_lock(&pool->lock);
    pool->autostart = on != 0;
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

static int set_autostart(struct mv_call *call, mv_storage_pool_set_autostart_args *args, void *ret)
{
    return with_job(call, &args->pool, "autostart", do_set_autostart, args->autostart != 0);
}

static const struct mv_dispatch_entry life_procs[] = {
    MV_HANDLER(STORAGE_POOL_DEFINE_XML, define_xml),
    MV_HANDLER(STORAGE_POOL_CREATE_XML, create_xml),
    MV_HANDLER(STORAGE_POOL_CREATE, start),
    MV_HANDLER(STORAGE_POOL_BUILD, build),
    MV_HANDLER(STORAGE_POOL_DESTROY, destroy),
    MV_HANDLER(STORAGE_POOL_DELETE, delete),
    MV_HANDLER(STORAGE_POOL_REFRESH, refresh),
    MV_HANDLER(STORAGE_POOL_UNDEFINE, undefine),
    MV_HANDLER(STORAGE_POOL_SET_AUTOSTART, set_autostart),
};
const struct mv_dispatch_table storaged_pool_life_table = { life_procs, MV_ARRAY_SIZE(life_procs) };
