/*
 * The base every driver object embeds (a domain, a network, a pool...):
 * a reference count, a lock, name, UUID, optional id and the object's job.
 *
 * A driver struct starts with MV_OBJ_EMBED, which lays out a struct mv_obj
 * (reached as x->obj by the core) whose fields the driver also reads by
 * their own names (x->name, x->lock).
 *
 * Locking: obj->lock guards id, job, removed and every field the driver
 * adds, and is only held for short, non-blocking work.  Slow work holds the
 * job instead (job.h).  Lock order: obj->lock before a registry's lock.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cleanup.h"
#include "uuid.h"

struct mv_obj;

/* What kind of object a registry holds; static, one per driver object type. */
struct mv_obj_kind {
    const char *word;                       /* "domain": used in messages */
    void (*dispose)(struct mv_obj *obj);    /* frees the embedding struct (after mv_obj_fini) */
};

#define MV_OBJ_FIELDS \
    atomic_int refs; \
    pthread_mutex_t lock; \
    pthread_cond_t job_cond;            /* broadcast when the job ends; drivers may wait on it */ \
    const struct mv_obj_kind *kind; \
    char *name;                         /* immutable */ \
    unsigned char uuid[MV_UUID_LEN];    /* immutable */ \
    char uuid_str[MV_UUID_STRING_LEN];  /* immutable */ \
    int id;                             /* -1: none (inactive) */ \
    const char *job;                    /* running modifying job, NULL = none */ \
    bool removed                        /* left its registry: jobs can no longer start */

struct mv_obj {
    MV_OBJ_FIELDS;
};

/* Put first in a driver struct: the base as ->obj and its fields by name. */
#define MV_OBJ_EMBED union { struct mv_obj obj; struct { MV_OBJ_FIELDS; }; }

/* Initialises OBJ (zeroed memory) with one reference.  0 or -errno. */
int mv_obj_init(struct mv_obj *obj, const struct mv_obj_kind *kind, const char *name,
                const unsigned char uuid[MV_UUID_LEN]);
/* Releases what mv_obj_init() set up; for the kind's dispose. */
void mv_obj_fini(struct mv_obj *obj);

struct mv_obj *mv_obj_ref(struct mv_obj *obj);
/* Drops a reference; the last one calls kind->dispose.  NULL is fine. */
void mv_obj_unref(struct mv_obj *obj);

static inline void mv_obj_lock(struct mv_obj *obj) { pthread_mutex_lock(&obj->lock); }
static inline void mv_obj_unlock(struct mv_obj *obj) { pthread_mutex_unlock(&obj->lock); }
