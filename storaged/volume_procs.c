/*
 * Volume procedures (STORAGE_VOL_* but upload and download): lookups,
 * info, XML and path inline from the pool's published volume list; create,
 * clone, delete, wipe and resize on the pool's thread (volume_work.h).
 */
#define MV_LOG_MODULE "storaged.procs"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "pool_obj.h"
#include "pool_queue.h"
#include "pool_start.h"
#include "storaged.h"
#include "validate.h"
#include "volume_work.h"

/* virErrorNumber VIR_ERR_STORAGE_VOL_EXIST */
#define ERR_STORAGE_VOL_EXIST 90
/* VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA, _REFLINK, _VALIDATE */
#define CREATE_FLAGS 7u
#define CREATE_REFLINK 2u
/* VIR_STORAGE_VOL_DELETE_ZEROED, _WITH_SNAPSHOTS */
#define DELETE_FLAGS 3u
/* VIR_STORAGE_VOL_GET_PHYSICAL */
#define INFO_PHYSICAL 1u
/* VIR_STORAGE_VOL_WIPE_ALG_ZERO */
#define WIPE_ALG_ZERO 0u

/* ---- finding a volume ---- */

/* A volume found: its pool (referenced) and a copy of what the pool lists. */
struct found {
    struct stor_pool *pool;
    struct stor_vols *vols;         /* referenced: VOL points into it */
    const struct mv_pool_vol *vol;
    enum mv_pool_type type;
};

static void found_clear(struct found *f)
{
    stor_pool_unref(f->pool);
    stor_vols_unref(f->vols);
    *f = (struct found){ 0 };
}

static int vol_not_found(struct mv_call *call, const char *how, const char *value)
{
    return mv_call_error(call, MV_ERR_NO_STORAGE_VOL, MV_FROM_STORAGE,
                         "Storage volume not found: no storage vol with matching %s '%s'", how, value);
}

/* Volume NAME of POOL (taken) into F; -EIO with the call's error. */
static int find_in(struct mv_call *call, struct stor_pool *pool, const char *name, struct found *f)
{
    struct mv_err err = { 0 };
    bool active;

    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    f->vols = stor_pool_vols(pool);
    f->type = pool->live ? pool->live->type : MV_POOL_DIR;
    pthread_mutex_unlock(&pool->lock);
    f->pool = pool;
    if (!active) {
        stor_error_inactive(&err, pool);
        found_clear(f);
        return stor_call_fail(call, &err);
    }
    if (!(f->vol = stor_vols_find(f->vols, name))) {
        found_clear(f);
        return vol_not_found(call, "name", name);
    }
    return 0;
}

/* The volume a call names: (pool name, volume name), libvirt's rule. */
static int find_wire(struct mv_call *call, const mv_nonnull_storage_vol *wire, struct found *f)
{
    struct stor_pool *pool = stor_registry_find_name(wire->pool);

    if (!pool)
        return mv_call_error(call, MV_ERR_NO_STORAGE_POOL, MV_FROM_STORAGE,
                             "Storage pool not found: no storage pool with matching name '%s'", wire->pool);
    return find_in(call, pool, wire->name, f);
}

/* PATH without "//" runs and trailing slashes (libvirt's sanitizing of a
 * path a client gives), never touching the filesystem. */
static char *sanitize(const char *path)
{
    char *s = malloc(strlen(path) + 1), *o = s;

    if (!s)
        return NULL;
    for (const char *p = path; *p; p++)
        if (!(*p == '/' && o > s && o[-1] == '/'))
            *o++ = *p;
    while (o > s + 1 && o[-1] == '/')
        o--;
    *o = '\0';
    return s;
}

static int find_path(struct mv_call *call, const char *path, const char *how, struct found *f)
{
    _cleanup_free_ char *clean = sanitize(path), *name = NULL;
    struct stor_pool *pool;

    if (!clean)
        return -ENOMEM;
    if (!(pool = stor_find_vol_by_path(clean, &name)))
        return vol_not_found(call, how, path);
    return find_in(call, pool, name, f);
}

static int answer(struct found *f, mv_nonnull_storage_vol *wire)
{
    int r = stor_vol_to_wire(f->pool->name, f->vol, wire);

    found_clear(f);
    return r;
}

static int lookup_by_name(struct mv_call *call, mv_storage_vol_lookup_by_name_args *args, mv_storage_vol_ret *ret)
{
    struct stor_pool *pool = stor_pool_from_wire(call, &args->pool);
    struct found f = { 0 };

    if (!pool || find_in(call, pool, args->name, &f) < 0)
        return -EIO;
    return answer(&f, &ret->vol);
}

static int lookup_by_key(struct mv_call *call, mv_storage_vol_lookup_by_key_args *args, mv_storage_vol_ret *ret)
{
    struct found f = { 0 };

    if (find_path(call, args->key, "key", &f) < 0)
        return -EIO;
    return answer(&f, &ret->vol);
}

static int lookup_by_path(struct mv_call *call, mv_storage_vol_lookup_by_path_args *args, mv_storage_vol_ret *ret)
{
    struct found f = { 0 };

    if (find_path(call, args->path, "path", &f) < 0)
        return -EIO;
    return answer(&f, &ret->vol);
}

/* ---- what a volume is (from the list: no file is touched) ---- */

static void info_of(const struct found *f, bool physical, mv_storage_vol_get_info_ret *ret)
{
    ret->type = f->type == MV_POOL_LOGICAL ? MV_VOL_BLOCK : MV_VOL_FILE;
    ret->capacity = f->vol->info.capacity;
    ret->allocation = physical ? f->vol->info.physical : f->vol->info.allocation;
}

static int get_info(struct mv_call *call, mv_storage_vol_args *args, mv_storage_vol_get_info_ret *ret)
{
    struct found f = { 0 };

    if (find_wire(call, &args->vol, &f) < 0)
        return -EIO;
    info_of(&f, false, ret);
    found_clear(&f);
    return 0;
}

static int get_info_flags(struct mv_call *call, mv_storage_vol_flags_args *args, mv_storage_vol_get_info_ret *ret)
{
    struct found f = { 0 };

    if (args->flags & ~INFO_PHYSICAL)
        return storaged_bad_flags(call, args->flags & ~INFO_PHYSICAL, "virStorageVolGetInfoFlags");
    if (find_wire(call, &args->vol, &f) < 0)
        return -EIO;
    info_of(&f, args->flags & INFO_PHYSICAL, ret);
    found_clear(&f);
    return 0;
}

static int get_path(struct mv_call *call, mv_storage_vol_args *args, mv_storage_vol_get_path_ret *ret)
{
    struct found f = { 0 };

    if (find_wire(call, &args->vol, &f) < 0)
        return -EIO;
    ret->name = strdup(f.vol->path);
    found_clear(&f);
    return ret->name ? 0 : -ENOMEM;
}

/* The XML of volume F: its definition as the file says it is. */
static char *format_vol(const struct found *f)
{
    const struct mv_volfile_info *i = &f->vol->info;
    struct mv_vol_def def = {
        .name = f->vol->name, .type = f->type == MV_POOL_LOGICAL ? MV_VOL_BLOCK : MV_VOL_FILE,
        .capacity = i->capacity, .allocation = i->allocation, .has_allocation = true,
        .format = (char *)(i->format == MV_VOLFILE_UNKNOWN ? NULL : mv_volfile_format_to_string(i->format)),
        .perms = { .mode = -1, .owner = -1, .group = -1 },
        .compat = i->compat, .cluster_size = i->cluster_size, .lazy_refcounts = i->lazy_refcounts,
        .encrypted = i->encrypted, .backing_path = i->backing,
        .backing_format = (char *)(i->backing ? mv_volfile_format_to_string(i->backing_format) : NULL),
    };
    struct mv_vol_live live = { .key = f->vol->path, .path = f->vol->path, .capacity = i->capacity,
                                .allocation = i->allocation, .physical = i->physical };

    return mv_vol_def_format(&def, &live);
}

static int get_xml_desc(struct mv_call *call, mv_storage_vol_flags_args *args, mv_xml_ret *ret)
{
    struct found f = { 0 };

    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virStorageVolGetXMLDesc");
    if (find_wire(call, &args->vol, &f) < 0)
        return -EIO;
    ret->xml = format_vol(&f);
    found_clear(&f);
    return ret->xml ? 0 : -ENOMEM;
}

/* ---- work on the pool's thread ---- */

/* A new op for the pool F names (or POOL): its running definition copied. */
static struct stor_vol_op *op_new(struct stor_pool *pool, const char *name)
{
    struct stor_vol_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->live)
        op->pool_def = mv_pool_def_copy(pool->live);
    pthread_mutex_unlock(&pool->lock);
    if (!op->pool_def || !(op->name = strdup(name))) {
        stor_vol_op_free(op);
        return NULL;
    }
    return op;
}

/* Runs FN on POOL's thread with OP (taken).  TIMEOUT: the pool's or the copy one. */
static int run(struct mv_call *call, struct stor_pool *pool, const char *what, stor_op_fn fn,
               struct stor_vol_op *op, unsigned int timeout, struct mv_pool_vol *made)
{
    struct mv_err err = { 0 };
    int r;

    if (stor_queue_enter(pool, &err) < 0) {
        stor_vol_op_free(op);
        return stor_call_fail(call, &err);
    }
    r = stor_queue_run(pool, what, fn, op, stor_vol_op_free, timeout, &err);
    stor_queue_leave(pool);
    if (r == -ETIMEDOUT)
        return stor_call_fail(call, &err);
    if (r < 0) {
        stor_vol_op_free(op);
        return err.code ? stor_call_fail(call, &err) : r;
    }
    if (made)
        *made = op->made, op->made = (struct mv_pool_vol){ 0 };
    stor_vol_op_free(op);
    return 0;
}

/* The call's volume on its pool's thread: delete, wipe, resize. */
static int run_on(struct mv_call *call, const mv_nonnull_storage_vol *wire, const char *what, stor_op_fn fn,
                  unsigned int flags, uint64_t capacity, unsigned int timeout)
{
    struct found f = { 0 };
    struct stor_vol_op *op;
    struct stor_pool *pool;

    if (find_wire(call, wire, &f) < 0)
        return -EIO;
    pool = stor_pool_ref(f.pool);
    if (!(op = op_new(pool, f.vol->name)) || !(op->path = strdup(f.vol->path))) {
        stor_vol_op_free(op);
        found_clear(&f);
        stor_pool_unref(pool);
        return -ENOMEM;
    }
    op->flags = flags;
    op->capacity = capacity;
    found_clear(&f);
    int r = run(call, pool, what, fn, op, timeout, NULL);

    stor_pool_unref(pool);
    return r;
}

static int vol_delete(struct mv_call *call, mv_storage_vol_flags_args *args, void *ret)
{
    if (args->flags & ~DELETE_FLAGS)
        return storaged_bad_flags(call, args->flags & ~DELETE_FLAGS, "virStorageVolDelete");
    return run_on(call, &args->vol, "vol-delete", stor_vol_delete_work, args->flags, 0,
                  args->flags & 1 ? storaged.copy_timeout_ms : storaged.pool_timeout_ms);
}

static int vol_wipe(struct mv_call *call, mv_storage_vol_flags_args *args, void *ret)
{
    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virStorageVolWipe");
    return run_on(call, &args->vol, "vol-wipe", stor_vol_wipe_work, 0, 0, storaged.copy_timeout_ms);
}

static int vol_wipe_pattern(struct mv_call *call, mv_storage_vol_wipe_pattern_args *args, void *ret)
{
    if (args->flags)
        return storaged_bad_flags(call, args->flags, "virStorageVolWipePattern");
    if (args->algorithm != WIPE_ALG_ZERO)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_STORAGE,
                             "argument unsupported: wipe algorithm %u of volume '%s': storaged wipes with zeros "
                             "only (algorithm 0, zero)", args->algorithm, args->vol.name);
    return run_on(call, &args->vol, "vol-wipe", stor_vol_wipe_work, 0, 0, storaged.copy_timeout_ms);
}

/* The capacity a resize asks for, from the current one; -EINVAL with the call's error. */
static int new_capacity(struct mv_call *call, const char *name, uint64_t cur, uint64_t arg, unsigned int flags,
                        uint64_t *out)
{
    bool delta = flags & STOR_RESIZE_DELTA, shrink = flags & STOR_RESIZE_SHRINK;

    if (delta && shrink) {
        if (arg > cur)
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                                 "invalid argument: volume '%s': cannot shrink by %llu bytes, more than its "
                                 "capacity of %llu bytes", name, (unsigned long long)arg, (unsigned long long)cur);
        *out = cur - arg;
    } else if (delta) {
        if (arg > UINT64_MAX - cur)
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                                 "invalid argument: volume '%s': growing %llu bytes by %llu overflows", name,
                                 (unsigned long long)cur, (unsigned long long)arg);
        *out = cur + arg;
    } else {
        *out = arg;
    }
    if (*out < cur && !shrink)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: volume '%s': %llu bytes is less than its capacity of %llu bytes; "
                             "shrinking needs the shrink flag", name, (unsigned long long)*out,
                             (unsigned long long)cur);
    if (*out > cur && shrink && !delta)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: volume '%s': %llu bytes is more than its capacity of %llu bytes, "
                             "but the shrink flag was given", name, (unsigned long long)*out, (unsigned long long)cur);
    if (*out == 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: volume '%s': a capacity of 0 bytes", name);
    return 0;
}

static int vol_resize(struct mv_call *call, mv_storage_vol_resize_args *args, void *ret)
{
    unsigned int all = STOR_RESIZE_ALLOCATE | STOR_RESIZE_DELTA | STOR_RESIZE_SHRINK;
    struct found f = { 0 };
    uint64_t cap = 0;
    int r;

    if (args->flags & ~all)
        return storaged_bad_flags(call, args->flags & ~all, "virStorageVolResize");
    if (find_wire(call, &args->vol, &f) < 0)
        return -EIO;
    r = new_capacity(call, f.vol->name, f.vol->info.capacity, args->capacity, args->flags, &cap);
    found_clear(&f);
    if (r < 0)
        return r;
    return run_on(call, &args->vol, "vol-resize", stor_vol_resize_work, args->flags, cap,
                  args->flags & STOR_RESIZE_ALLOCATE ? storaged.copy_timeout_ms : storaged.pool_timeout_ms);
}

/* ---- create ---- */

/* The volume XML for POOL, checked: a plain file name, not taken, a
 * backing store inside some pool.  A CLONE is a whole copy, its source's
 * chain flattened into it: virsh vol-clone hands back the source's own
 * <backingStore>, which the copy does not use, so it is dropped.  0 or
 * -EIO with the call's error. */
static int parse_new(struct mv_call *call, struct stor_pool *pool, const char *xml, bool clone,
                     struct mv_vol_def **vol)
{
    _cleanup_free_ char *msg = NULL;
    struct found f = { 0 };
    struct stor_pool *holder;
    bool exists;

    if (mv_vol_def_parse(xml, pool->name, vol, &msg) < 0)
        return mv_call_error(call, storaged_code_of(msg, MV_ERR_XML_ERROR), MV_FROM_STORAGE, "%s",
                             msg ? msg : "XML error: cannot parse the volume");
    if (mv_validate_path_component("storage volume", (*vol)->name, &msg) < 0)
        return mv_call_error(call, MV_ERR_XML_ERROR, MV_FROM_STORAGE, "XML error: %s", msg ? msg : "invalid name");
    /* a clone's passphrase would be the source's: qemu-img convert cannot
     * reuse it, and a copy under a new key is not what vol-clone promises */
    if ((*vol)->encrypted && clone)
        return mv_call_error(call, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_STORAGE,
                             "unsupported configuration: volume '%s': storaged does not clone into an encrypted "
                             "volume", (*vol)->name);
    pthread_mutex_lock(&pool->lock);
    f.vols = stor_pool_vols(pool);
    pthread_mutex_unlock(&pool->lock);
    exists = stor_vols_find(f.vols, (*vol)->name) != NULL;
    stor_vols_unref(f.vols);
    if (exists)
        return mv_call_error(call, ERR_STORAGE_VOL_EXIST, MV_FROM_STORAGE,
                             "storage volume '%s' exists already in storage pool '%s'", (*vol)->name, pool->name);
    if (clone) {
        free(TAKE_PTR((*vol)->backing_path));
        free(TAKE_PTR((*vol)->backing_format));
    }
    if (!(*vol)->backing_path)
        return 0;
    if (!mv_path_is_absolute_clean((*vol)->backing_path) || !(holder = stor_find_pool_containing((*vol)->backing_path)))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                             "invalid argument: volume '%s': backing store '%s' is not in any active storage pool; "
                             "storaged lets a volume read only files a pool holds", (*vol)->name,
                             (*vol)->backing_path);
    stor_pool_unref(holder);
    return 0;
}

/* POOL as a call names it, active; NULL with the call's error. */
static struct stor_pool *active_pool(struct mv_call *call, const mv_nonnull_storage_pool *wire)
{
    struct stor_pool *pool = stor_pool_from_wire(call, wire);
    struct mv_err err = { 0 };
    bool active;

    if (!pool)
        return NULL;
    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    pthread_mutex_unlock(&pool->lock);
    if (!active) {
        stor_error_inactive(&err, pool);
        stor_call_fail(call, &err);
        stor_pool_unref(pool);
        return NULL;
    }
    return pool;
}

/* The op that makes VOL (taken) in POOL: where its file goes. */
static struct stor_vol_op *create_op(struct mv_call *call, struct stor_pool *pool, struct mv_vol_def **vol,
                                     unsigned int flags)
{
    const struct mv_pool_backend *b;
    struct stor_vol_op *op = op_new(pool, (*vol)->name);
    struct mv_err err = { 0 };

    if (!op) {
        mv_call_error(call, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
        return NULL;
    }
    if (!(b = stor_backend(op->pool_def, &err)) || !b->vol_path || !(op->path = b->vol_path(op->pool_def, (*vol)->name))) {
        if (!err.code)
            mv_err_set(&err, MV_ERR_INTERNAL_ERROR, MV_FROM_STORAGE,
                       "internal error: storage pool '%s': no path for volume '%s'", pool->name, (*vol)->name);
        stor_call_fail(call, &err);
        stor_vol_op_free(op);
        return NULL;
    }
    op->vol = TAKE_PTR(*vol);
    op->flags = flags;
    return op;
}

static int check_vol_create_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    if (flags & ~CREATE_FLAGS)
        return storaged_bad_flags(call, flags & ~CREATE_FLAGS, api);
    if (flags & CREATE_REFLINK)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_STORAGE,
                             "argument unsupported: reflink copies are not supported by storaged (%s)", api);
    return 0;
}

static int vol_create_xml(struct mv_call *call, mv_storage_vol_create_xml_args *args, mv_storage_vol_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = NULL;
    _cleanup_vol_def_ struct mv_vol_def *vol = NULL;
    struct mv_pool_vol made = { 0 };
    struct stor_vol_op *op;
    unsigned int timeout;
    int r;

    if ((r = check_vol_create_flags(call, args->flags, "virStorageVolCreateXML")) < 0)
        return r;
    if (!(pool = active_pool(call, &args->pool)) || parse_new(call, pool, args->xml, false, &vol) < 0)
        return -EIO;
    timeout = vol->has_allocation && vol->allocation >= vol->capacity ? storaged.copy_timeout_ms
                                                                      : storaged.pool_timeout_ms;
    if (!(op = create_op(call, pool, &vol, args->flags)))
        return -EIO;
    if ((r = run(call, pool, "vol-create", stor_vol_create_work, op, timeout, &made)) < 0)
        return r;
    r = stor_vol_to_wire(pool->name, &made, &ret->vol);
    free(made.name);
    free(made.path);
    mv_volfile_info_clear(&made.info);
    return r;
}

static int vol_create_xml_from(struct mv_call *call, mv_storage_vol_create_xml_from_args *args,
                               mv_storage_vol_ret *ret)
{
    _cleanup_pool_unref_ struct stor_pool *pool = NULL;
    _cleanup_vol_def_ struct mv_vol_def *vol = NULL;
    struct mv_pool_vol made = { 0 };
    struct found src = { 0 };
    struct stor_vol_op *op;
    int r;

    if ((r = check_vol_create_flags(call, args->flags, "virStorageVolCreateXMLFrom")) < 0)
        return r;
    if (!(pool = active_pool(call, &args->pool)) || parse_new(call, pool, args->xml, true, &vol) < 0 ||
        find_wire(call, &args->clonevol, &src) < 0)
        return -EIO;
    if (!(op = create_op(call, pool, &vol, args->flags))) {
        found_clear(&src);
        return -EIO;
    }
    op->src = strdup(src.vol->path);
    found_clear(&src);
    if (!op->src) {
        stor_vol_op_free(op);
        return -ENOMEM;
    }
    if ((r = run(call, pool, "vol-clone", stor_vol_clone_work, op, storaged.copy_timeout_ms, &made)) < 0)
        return r;
    r = stor_vol_to_wire(pool->name, &made, &ret->vol);
    free(made.name);
    free(made.path);
    mv_volfile_info_clear(&made.info);
    return r;
}

static const struct mv_dispatch_entry volume_procs[] = {
    MV_HANDLER(STORAGE_VOL_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(STORAGE_VOL_LOOKUP_BY_KEY, lookup_by_key),
    MV_HANDLER(STORAGE_VOL_LOOKUP_BY_PATH, lookup_by_path),
    MV_HANDLER(STORAGE_VOL_GET_INFO, get_info),
    MV_HANDLER(STORAGE_VOL_GET_INFO_FLAGS, get_info_flags),
    MV_HANDLER(STORAGE_VOL_GET_PATH, get_path),
    MV_HANDLER(STORAGE_VOL_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(STORAGE_VOL_CREATE_XML, vol_create_xml),
    MV_HANDLER(STORAGE_VOL_CREATE_XML_FROM, vol_create_xml_from),
    MV_HANDLER(STORAGE_VOL_DELETE, vol_delete),
    MV_HANDLER(STORAGE_VOL_WIPE, vol_wipe),
    MV_HANDLER(STORAGE_VOL_WIPE_PATTERN, vol_wipe_pattern),
    MV_HANDLER(STORAGE_VOL_RESIZE, vol_resize),
};
const struct mv_dispatch_table storaged_volume_table = { volume_procs, MV_ARRAY_SIZE(volume_procs) };
