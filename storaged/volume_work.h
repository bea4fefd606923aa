/*
 * A volume's slow work, on its pool's thread (pool_queue.h): create,
 * clone, delete, wipe, resize.  Each piece checks that the pool is still
 * active when it runs, works on the pool's running definition as it was
 * when the call began, and publishes the volume's new state in the pool's
 * volume list itself (a result that comes after its caller gave up still
 * lands).  Volume calls do not take the pool's job: the pool's one thread
 * in flight already runs them one at a time, and a destroy runs on that
 * same thread, so none overlaps it.
 */
#pragma once

#include <stdint.h>

#include "error.h"
#include "pool_obj.h"
#include "vol_def.h"

struct stor_vol_op {
    struct mv_pool_def *pool_def;   /* the pool's running definition (copy) */
    struct mv_vol_def *vol;         /* create, clone: the new volume */
    char *name;                     /* the volume's name */
    char *path;                     /* its file (create: where it goes) */
    char *src;                      /* clone: the source volume's file */
    uint64_t capacity;              /* resize: the new capacity */
    unsigned int flags;             /* the call's flags */
    struct mv_pool_vol made;        /* create, clone: what was made (the caller reads it) */
};
void stor_vol_op_free(void *op);

/* Each returns 0 or -errno with ERR naming the pool, the volume and the cause. */
int stor_vol_create_work(struct stor_pool *pool, void *op, struct mv_err *err);
int stor_vol_clone_work(struct stor_pool *pool, void *op, struct mv_err *err);
int stor_vol_delete_work(struct stor_pool *pool, void *op, struct mv_err *err);
int stor_vol_wipe_work(struct stor_pool *pool, void *op, struct mv_err *err);
int stor_vol_resize_work(struct stor_pool *pool, void *op, struct mv_err *err);

/* VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA; VIR_STORAGE_VOL_RESIZE_ALLOCATE, _DELTA, _SHRINK */
enum { STOR_VOL_PREALLOC_METADATA = 1 };
enum { STOR_RESIZE_ALLOCATE = 1, STOR_RESIZE_DELTA = 2, STOR_RESIZE_SHRINK = 4 };
