/* A volume's slow work on its pool's thread (see volume_work.h). */
#define MV_LOG_MODULE "storaged.volume"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "pool_start.h"
#include "secret_obj.h"
#include "storaged.h"
#include "volume_work.h"

void stor_vol_op_free(void *p)
{
    struct stor_vol_op *op = p;

    if (!op)
        return;
    mv_pool_def_free(op->pool_def);
    mv_vol_def_free(op->vol);
    free(op->name);
    free(op->path);
    free(op->src);
    free(op->made.name);
    free(op->made.path);
    mv_volfile_info_clear(&op->made.info);
    free(op);
}

/* 0 if POOL is still active (a destroy may have run before us on its thread). */
static int check_active(struct stor_pool *pool, struct mv_err *err)
{
    bool active;

    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    pthread_mutex_unlock(&pool->lock);
    return active ? 0 : stor_error_inactive(err, pool);
}

static int vol_error(struct mv_err *err, int r, char *msg, const struct stor_pool *pool, const char *name,
                     const char *what)
{
    _cleanup_free_ char *m = msg;

    if (r == -ETIMEDOUT)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE, "Timed out during operation: %s",
                   m ? m : "the volume's helper did not finish");
    else if (m)
        mv_err_set(err, storaged_code_of(m, MV_ERR_OPERATION_FAILED), MV_FROM_STORAGE, "%s", m);
    else
        mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                         "operation failed: cannot %s volume '%s' in storage pool '%s'", what, name, pool->name);
    return r < 0 ? r : -EIO;
}

/* Puts VOL (NULL: drops NAME) into POOL's list; adjusts the usage by
 * DELTA bytes allocated, so info stays near the truth until a refresh. */
static void publish(struct stor_pool *pool, const struct mv_pool_vol *vol, const char *name, int64_t delta)
{
    struct stor_vols *next, *old = NULL;

    pthread_mutex_lock(&pool->lock);
    if (pool->active && (next = stor_vols_with(pool->vols, vol, name))) {
        old = pool->vols;
        pool->vols = next;
        if (delta > 0) {
            pool->usage.allocation += (uint64_t)delta;
            pool->usage.available -= pool->usage.available < (uint64_t)delta ? pool->usage.available : (uint64_t)delta;
        } else if (delta < 0) {
            uint64_t d = (uint64_t)-delta;

            pool->usage.allocation -= pool->usage.allocation < d ? pool->usage.allocation : d;
            pool->usage.available += d;
        }
    } else if (pool->active) {
        mv_error("storage pool '%s': out of memory updating volume '%s' (a refresh will show it)", pool->name, name);
    }
    pthread_mutex_unlock(&pool->lock);
    stor_vols_unref(old);
}

/* The allocation POOL's list has for NAME, 0 if none. */
static uint64_t listed_allocation(struct stor_pool *pool, const char *name)
{
    const struct mv_pool_vol *v;
    uint64_t a = 0;

    pthread_mutex_lock(&pool->lock);
    if ((v = stor_vols_find(pool->vols, name)))
        a = v->info.allocation;
    pthread_mutex_unlock(&pool->lock);
    return a;
}

/* Reads what is at OP's path now into OP->made and publishes it. */
static int inspect_publish(struct stor_pool *pool, struct stor_vol_op *op, struct mv_err *err)
{
    uint64_t before = listed_allocation(pool, op->name);
    char *msg = NULL;
    int r;

    mv_volfile_info_clear(&op->made.info);
    free(op->made.name);
    free(op->made.path);
    op->made = (struct mv_pool_vol){ 0 };
    if (!(op->made.name = strdup(op->name)) || !(op->made.path = strdup(op->path)))
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    if ((r = mv_volfile_inspect(op->path, &op->made.info, &msg)) < 0)
        return vol_error(err, r, msg, pool, op->name, "inspect");
    publish(pool, &op->made, op->name, (int64_t)op->made.info.allocation - (int64_t)before);
    return 0;
}

/* ---- create and clone ---- */

static int spec_of(const struct mv_vol_def *vol, struct mv_volfile_spec *spec, const char *pool, struct mv_err *err)
{
    int f = vol->format ? mv_volfile_format_from_string(vol->format) : MV_VOLFILE_RAW;

    if (f < 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_STORAGE,
                          "unsupported configuration: volume '%s' in storage pool '%s': format '%s' (storaged "
                          "makes raw and qcow2)", vol->name, pool, vol->format);
    *spec = (struct mv_volfile_spec){
        .format = f, .capacity = vol->capacity, .prealloc = MV_VOLFILE_PREALLOC_OFF,
        .mode = vol->perms.mode >= 0 ? (mode_t)vol->perms.mode : 0600,
        .uid = vol->perms.owner >= 0 ? (uid_t)vol->perms.owner : (uid_t)-1,
        .gid = vol->perms.group >= 0 ? (gid_t)vol->perms.group : (gid_t)-1,
        .backing = vol->backing_path, .compat = vol->compat, .cluster_size = vol->cluster_size,
        .lazy_refcounts = vol->lazy_refcounts,
    };
    if (vol->has_allocation && vol->allocation >= vol->capacity && vol->capacity > 0)
        spec->prealloc = MV_VOLFILE_PREALLOC_FULL;
    return 0;
}

/* The longest backing chain storaged follows (qemu's own limit is larger;
 * a deeper chain is refused rather than half checked). */
#define CHAIN_MAX 16

/* FILE, a backing file recorded in the image in DIR, as an absolute path. */
static char *chain_path(const char *dir, const char *file)
{
    char *p = NULL;

    if (file[0] == '/')
        return strdup(file);
    return asprintf(&p, "%s/%s", dir, file) < 0 ? NULL : p;
}

static int outside(struct mv_err *err, const char *vol, const char *file, const char *real)
{
    return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                      "invalid argument: volume '%s': backing chain file '%s'%s%s%s is not in any active storage "
                      "pool; storaged lets a volume read only files a pool holds", vol, file,
                      real ? " (really '" : "", real ? real : "", real ? "')" : "");
}

/* Every file of the chain from PATH down (PATH itself included) lies, with
 * symbolic links resolved, inside an active pool: a volume made on it (or
 * cloned from it) reads no file a pool does not hold.  Runs on the pool's
 * thread: resolving touches the files.  0, or -errno with ERR. */
static int check_chain(const char *vol, const char *path, struct mv_err *err)
{
    _cleanup_free_ char *cur = strdup(path);

    for (int depth = 0; cur; depth++) {
        _cleanup_free_ char *real = realpath(cur, NULL), *msg = NULL;
        struct mv_volfile_info info = { 0 };
        struct stor_pool *holder;
        char *next;

        if (depth == CHAIN_MAX)
            return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                              "invalid argument: volume '%s': the backing chain of '%s' is deeper than %d files",
                              vol, path, CHAIN_MAX);
        if (!real)
            return mv_err_set_errno(err, -errno, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                                    "invalid argument: volume '%s': backing chain file '%s'", vol, cur);
        if (!(holder = stor_find_pool_containing(real)))
            return outside(err, vol, cur, strcmp(real, cur) ? real : NULL);
        stor_pool_unref(holder);
        if (mv_volfile_inspect(real, &info, &msg) < 0)
            return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_STORAGE, "invalid argument: volume '%s': %s", vol,
                              msg ? msg : "cannot read its backing chain");
        *strrchr(real, '/') = '\0';
        next = info.backing ? chain_path(real[0] ? real : "/", info.backing) : NULL;
        mv_volfile_info_clear(&info);
        free(cur);
        cur = next;
    }
    return 0;
}

/* The backing file's format: as the XML says, else as the file says. */
static int backing_format(struct stor_pool *pool, const struct mv_vol_def *vol, struct mv_volfile_spec *spec,
                          struct mv_err *err)
{
    struct mv_volfile_info info = { 0 };
    char *msg = NULL;
    int r, f;

    if (!vol->backing_path)
        return 0;
    if ((r = check_chain(vol->name, vol->backing_path, err)) < 0)
        return r;
    if (vol->backing_format) {
        if ((f = mv_volfile_format_from_string(vol->backing_format)) < 0)
            return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_STORAGE,
                              "unsupported configuration: volume '%s': backing store format '%s' (storaged reads "
                              "raw and qcow2)", vol->name, vol->backing_format);
        spec->backing_format = f;
        return 0;
    }
    if ((r = mv_volfile_inspect(vol->backing_path, &info, &msg)) < 0)
        return vol_error(err, r, msg, pool, vol->name, "read the backing store of");
    spec->backing_format = info.format;
    mv_volfile_info_clear(&info);
    return 0;
}

/* VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA: qcow2's metadata written
 * up front; a raw file has none, so the flag is refused for it. */
static int prealloc_flag(const struct stor_vol_op *op, struct mv_volfile_spec *spec, struct mv_err *err)
{
    if (!(op->flags & STOR_VOL_PREALLOC_METADATA))
        return 0;
    if (spec->format != MV_VOLFILE_QCOW2)
        return mv_err_set(err, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_STORAGE,
                          "argument unsupported: volume '%s': metadata preallocation is for qcow2 volumes only",
                          op->name);
    if (spec->prealloc == MV_VOLFILE_PREALLOC_OFF)
        spec->prealloc = MV_VOLFILE_PREALLOC_METADATA;
    return 0;
}

/* The passphrase of encrypted VOL: its secret's value (*KEY, wiped and
 * freed by the caller with storaged_secret_value_free). */
static int luks_key(struct stor_pool *pool, const struct mv_vol_def *vol, unsigned char **key, size_t *len,
                    struct mv_err *err)
{
    char s[MV_UUID_STRING_LEN];
    int r = storaged_secret_value_copy(vol->secret_uuid, key, len);

    if (r == 0)
        return 0;
    mv_uuid_format(vol->secret_uuid, s);
    if (r == -ENOENT)
        return mv_err_set(err, MV_ERR_NO_SECRET, MV_FROM_STORAGE,
                          "Secret not found: volume '%s' in storage pool '%s': no secret with matching uuid '%s'",
                          vol->name, pool->name, s);
    if (r == -ENODATA)
        return mv_err_set(err, MV_ERR_NO_SECRET, MV_FROM_STORAGE,
                          "Secret not found: volume '%s' in storage pool '%s': secret '%s' does not have a value",
                          vol->name, pool->name, s);
    return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
}

int stor_vol_create_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct stor_vol_op *op = p;
    const struct mv_pool_backend *b = stor_backend(op->pool_def, err);
    struct mv_volfile_spec spec;
    unsigned char *key = NULL;
    size_t key_len = 0;
    char *msg = NULL;
    int r;

    if (!b || (r = check_active(pool, err)) < 0)
        return -EIO;
    if ((r = spec_of(op->vol, &spec, pool->name, err)) < 0 || (r = backing_format(pool, op->vol, &spec, err)) < 0)
        return r;
    if ((r = prealloc_flag(op, &spec, err)) < 0)
        return r;
    if (!b->vol_create)
        return mv_err_set(err, MV_ERR_NO_SUPPORT, MV_FROM_STORAGE,
                          "this function is not supported by the connection driver: storage pool '%s' makes no "
                          "volumes", pool->name);
    if (op->vol->encrypted && (r = luks_key(pool, op->vol, &key, &key_len, err)) < 0)
        return r;
    spec.luks_key = key;
    spec.luks_key_len = key_len;
    r = b->vol_create(op->pool_def, op->vol, op->path, &spec, &msg);
    storaged_secret_value_free(key, key_len);
    if (r < 0)
        return vol_error(err, r, msg, pool, op->name, "create");
    mv_info("storage pool '%s': volume '%s' created", pool->name, op->name);
    return inspect_publish(pool, op, err);
}

int stor_vol_clone_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct stor_vol_op *op = p;
    struct mv_volfile_info src = { 0 };
    struct mv_volfile_spec spec;
    char *msg = NULL;
    int r;

    if ((r = check_active(pool, err)) < 0 || (r = spec_of(op->vol, &spec, pool->name, err)) < 0 ||
        (r = backing_format(pool, op->vol, &spec, err)) < 0)
        return r;
    /* the clone flattens the source's chain: every file of it is read */
    if ((r = check_chain(op->name, op->src, err)) < 0)
        return r;
    if ((r = mv_volfile_inspect(op->src, &src, &msg)) < 0)
        return vol_error(err, r, msg, pool, op->name, "read the source of");
    /* a clone is at least as large as its source: nothing is cut off */
    if (spec.capacity < src.capacity)
        spec.capacity = src.capacity;
    mv_volfile_info_clear(&src);
    if ((r = prealloc_flag(op, &spec, err)) < 0)
        return r;
    if ((r = mv_volfile_clone(op->src, op->path, &spec, (int)storaged.copy_timeout_ms, NULL, NULL, &msg)) < 0)
        return vol_error(err, r, msg, pool, op->name, "clone");
    mv_info("storage pool '%s': volume '%s' cloned from '%s'", pool->name, op->name, op->src);
    return inspect_publish(pool, op, err);
}

/* ---- delete, wipe, resize ---- */

int stor_vol_delete_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct stor_vol_op *op = p;
    const struct mv_pool_backend *b = stor_backend(op->pool_def, err);
    uint64_t before = listed_allocation(pool, op->name);
    char *msg = NULL;
    int r;

    if (!b || (r = check_active(pool, err)) < 0)
        return -EIO;
    /* VIR_STORAGE_VOL_DELETE_ZEROED: its data zeroed before it goes */
    if ((op->flags & 1) && (r = mv_volfile_wipe(op->path, (int)storaged.copy_timeout_ms, &msg)) < 0)
        return vol_error(err, r, msg, pool, op->name, "wipe");
    r = b->vol_delete ? b->vol_delete(op->pool_def, op->path, &msg) : mv_volfile_delete(op->path, &msg);
    if (r < 0)
        return vol_error(err, r, msg, pool, op->name, "delete");
    mv_info("storage pool '%s': volume '%s' deleted", pool->name, op->name);
    publish(pool, NULL, op->name, -(int64_t)before);
    return 0;
}

int stor_vol_wipe_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct stor_vol_op *op = p;
    char *msg = NULL;
    int r;

    if ((r = check_active(pool, err)) < 0)
        return r;
    if ((r = mv_volfile_wipe(op->path, (int)storaged.copy_timeout_ms, &msg)) < 0)
        return vol_error(err, r, msg, pool, op->name, "wipe");
    mv_info("storage pool '%s': volume '%s' wiped", pool->name, op->name);
    return inspect_publish(pool, op, err);
}

int stor_vol_resize_work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct stor_vol_op *op = p;
    const struct mv_pool_backend *b = stor_backend(op->pool_def, err);
    bool shrink = op->flags & STOR_RESIZE_SHRINK, allocate = op->flags & STOR_RESIZE_ALLOCATE;
    unsigned int timeout = allocate ? storaged.copy_timeout_ms : storaged.pool_timeout_ms;
    char *msg = NULL;
    int r;

    if (!b || (r = check_active(pool, err)) < 0)
        return -EIO;
    r = b->vol_resize ? b->vol_resize(op->pool_def, op->path, op->capacity, shrink, allocate, &msg)
                      : mv_volfile_resize(op->path, op->capacity, shrink, allocate, (int)timeout, &msg);
    if (r < 0)
        return vol_error(err, r, msg, pool, op->name, "resize");
    mv_info("storage pool '%s': volume '%s' resized to %llu bytes", pool->name, op->name,
            (unsigned long long)op->capacity);
    return inspect_publish(pool, op, err);
}
