/*
 * Pools as storaged holds them: a reference-counted object per pool with
 * its persistent and running definitions, state, usage and volumes, in a
 * registry by name and UUID (common/object.h, registry.h, job.h).
 *
 * Locking: pool->lock guards the fields below for short, non-blocking
 * work.  Calls that change a pool hold its job; the slow part of their
 * work runs on the pool's own thread (pool_queue.h), never under the lock.
 * Definitions and volume lists are immutable once published: a writer
 * swaps the pointer under the lock, a reader takes a reference (volume
 * lists) or formats/copies (definitions) under the lock, so inline calls
 * on the RPC loop never wait for a pool's job or its thread.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "error.h"
#include "object.h"
#include "pool_def.h"
#include "server.h"

/* A pool's volumes as its last refresh (or create, delete) left them:
 * sorted by name, never changed once published. */
struct stor_vols {
    atomic_int refs;
    struct mv_pool_vol *v;
    size_t n;
};
struct stor_vols *stor_vols_ref(struct stor_vols *vols);
void stor_vols_unref(struct stor_vols *vols);       /* NULL is fine */
/* Takes V[0..N) (sorts them); NULL on out of memory (V freed). */
struct stor_vols *stor_vols_new(struct mv_pool_vol *v, size_t n);
/* The volume NAME in VOLS, or NULL. */
const struct mv_pool_vol *stor_vols_find(const struct stor_vols *vols, const char *name);
/* A copy of VOLS with VOL added (replacing one of the same name) or, VOL
 * NULL, without NAME.  NULL on out of memory. */
struct stor_vols *stor_vols_with(const struct stor_vols *vols, const struct mv_pool_vol *vol, const char *name);
int stor_pool_vol_copy(const struct mv_pool_vol *src, struct mv_pool_vol *dst);

struct stor_op;     /* pool_queue.c */

struct stor_pool {
    /* refs, lock, job_cond, name, uuid, uuid_str, id, job, removed */
    MV_OBJ_EMBED;

    struct mv_pool_def *def;        /* persistent definition; NULL if transient */
    struct mv_pool_def *live;       /* the definition it runs; NULL while inactive */
    bool active;
    bool autostart;
    struct mv_pool_usage usage;     /* as of the last refresh */
    struct stor_vols *vols;         /* NULL while inactive */
    /* pool_queue.c: the one piece of slow work in flight on the pool's
     * thread, NULL if none; what it is and since when, for the busy error */
    struct stor_op *in_flight;
    pthread_cond_t queue_cond;      /* in_flight finished */
    unsigned int calls;             /* calls admitted by stor_queue_enter() and not left */
    /* The target a create is starting the pool on, before it has a running
     * definition: taken for the other pools' target checks meanwhile
     * (pool_life_procs.c), so no lock is held through the start. */
    char *starting_target;
};

extern const struct mv_obj_kind stor_pool_kind;

static inline struct stor_pool *stor_pool_of(struct mv_obj *obj) { return (struct stor_pool *)obj; }
struct stor_pool *stor_pool_ref(struct stor_pool *pool);
void stor_pool_unref(struct stor_pool *pool);   /* NULL is fine */
MV_DEFINE_CLEANUP(struct stor_pool, stor_pool_unref)
#define _cleanup_pool_unref_ _cleanup_(stor_pool_unrefp)

/* The definition clients see: running if active, else persistent.  Call
 * with pool->lock held. */
const struct mv_pool_def *stor_pool_current(const struct stor_pool *pool);
/* A pool being defined or created has no definition yet: not there for
 * callers.  Call with pool->lock held. */
bool stor_pool_visible(const struct stor_pool *pool);
/* Under pool->lock: a reference to the volume list (NULL if inactive). */
struct stor_vols *stor_pool_vols(struct stor_pool *pool);
/* Publishes VOLS (taken) and USAGE as POOL's (lock taken here). */
void stor_pool_set_vols(struct stor_pool *pool, struct stor_vols *vols, const struct mv_pool_usage *usage);

/* ---- the registry (storaged.pools) ---- */

int stor_registry_init(void);
void stor_registry_cleanup(void);
/* As mv_registry_add(): 0 with *RET referenced, LOCKED AND WITH ITS JOB
 * TAKEN; -EEXIST with *EXISTING (referenced); -ENOMEM. */
int stor_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                      struct stor_pool **ret, struct stor_pool **existing);
void stor_registry_remove(struct stor_pool *pool);
struct stor_pool *stor_registry_find_name(const char *name);
struct stor_pool *stor_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN]);
/* A referenced snapshot of every visible pool in order of definition;
 * _any: also those being defined or created (no definition yet). */
int stor_registry_list(struct stor_pool ***pools, size_t *n);
int stor_registry_list_any(struct stor_pool ***pools, size_t *n);
void stor_pool_list_free(struct stor_pool **pools, size_t n);

/* ---- the volume index ---- */

/* The active pool holding the volume whose path (the key, for the file
 * and logical pools storaged runs) is PATH, and that volume's name.  The
 * pools' targets are the index: a volume's path is its pool's target and
 * its name, so this compares strings and never touches the filesystem
 * (a stuck pool's files are never stat()ed on the RPC loop). */
struct stor_pool *stor_find_vol_by_path(const char *path, char **name);
/* The active pool whose target directory contains PATH (or is PATH). */
struct stor_pool *stor_find_pool_containing(const char *path);
/* True if A is B or below it (path strings, clean and absolute). */
bool stor_path_within(const char *a, const char *b);

/* ---- calls ---- */

/* The pool a call names (by UUID, libvirt's rule), referenced; NULL with
 * "Storage pool not found: no storage pool with matching uuid 'U' (NAME)". */
struct stor_pool *stor_pool_from_wire(struct mv_call *call, const mv_nonnull_storage_pool *wire);
int stor_pool_to_wire(const struct stor_pool *pool, mv_nonnull_storage_pool *wire);
/* Volume VOL of pool POOL as the wire names it (pool name, name, key = path). */
int stor_vol_to_wire(const char *pool, const struct mv_pool_vol *vol, mv_nonnull_storage_vol *wire);

/* POOL's job for JOB, waiting storaged.job_wait_ms: 0, or -errno with ERR
 * set (busy: OPERATION_TIMEOUT; removed meanwhile: NO_STORAGE_POOL). */
int stor_job_begin(struct stor_pool *pool, const char *job, struct mv_err *err);
void stor_job_end(struct stor_pool *pool);
/* Hands ERR to CALL (and clears it); returns -EIO. */
int stor_call_fail(struct mv_call *call, struct mv_err *err);

/* The errors every procedure uses (code 55, domain 18). */
int stor_error_active(struct mv_err *err, const struct stor_pool *pool);
int stor_error_inactive(struct mv_err *err, const struct stor_pool *pool);
