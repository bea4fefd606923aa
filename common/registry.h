/*
 * A registry of driver objects of one kind, owned by the driver: indexes by
 * name, UUID and (for kinds that run, like domains) id, a list in order of
 * addition, and ids that grow and are not reused while the daemon runs.
 *
 * The registry holds one reference per object.  Its lock is a leaf: it is
 * taken with an object's lock held (ids), never the other way round.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "object.h"

struct mv_registry;

/* A registry for objects of KIND.  0 or -ENOMEM. */
int mv_registry_new(const struct mv_obj_kind *kind, struct mv_registry **out);
/* Drops the registry's references; NULL is fine. */
void mv_registry_free(struct mv_registry *reg);
MV_DEFINE_CLEANUP(struct mv_registry, mv_registry_free)

const struct mv_obj_kind *mv_registry_kind(const struct mv_registry *reg);

/* Adds OBJ (fresh from mv_obj_init, the caller keeps its reference) and
 * returns 0 with OBJ LOCKED AND ITS JOB TAKEN as JOB: nobody can look at it
 * before its creator has filled it in (then mv_obj_unlock), nor start work
 * on it before its creator's mv_job_end, and a creator that fails removes it
 * again with no one having acted on it.  -EEXIST if the name or the UUID is
 * taken (*EXISTING, referenced, is the holder); -ENOMEM. */
int mv_registry_add(struct mv_registry *reg, struct mv_obj *obj, const char *job, struct mv_obj **existing);
/* Removes OBJ from every index, its id's included (no-op if not there), and
 * marks it removed, so a job waiting on it fails with -ENOENT.  Call without
 * OBJ's lock; usually with its job. */
void mv_registry_remove(struct mv_registry *reg, struct mv_obj *obj);

/* Lookups return a reference or NULL. */
struct mv_obj *mv_registry_find_name(struct mv_registry *reg, const char *name);
struct mv_obj *mv_registry_find_uuid(struct mv_registry *reg, const unsigned char uuid[MV_UUID_LEN]);
struct mv_obj *mv_registry_find_id(struct mv_registry *reg, int id);

/* Decides whether an object goes into a list; called without any lock. */
typedef bool (*mv_registry_filter)(struct mv_obj *obj, void *opaque);

/* Referenced objects (FILTER NULL: all), in order of addition; free with
 * mv_obj_list_free.  0 or -ENOMEM. */
int mv_registry_list(struct mv_registry *reg, mv_registry_filter filter, void *opaque, struct mv_obj ***objs,
                     size_t *n);
void mv_obj_list_free(struct mv_obj **objs, size_t n);
size_t mv_registry_count(struct mv_registry *reg);

/* Indexes OBJ under ID and sets obj->id; call with OBJ's lock held.
 * 0 or -EEXIST (another object has that id), -ENOMEM. */
int mv_registry_assign_id(struct mv_registry *reg, struct mv_obj *obj, int id);
/* Drops OBJ's id (obj->id = -1); call with OBJ's lock held. */
void mv_registry_release_id(struct mv_registry *reg, struct mv_obj *obj);
/* The next fresh id. */
int mv_registry_next_id(struct mv_registry *reg);
/* Makes later ids start above ID (objects re-attached at start keep theirs). */
void mv_registry_note_id(struct mv_registry *reg, int id);
/* How many objects have an id (are active). */
size_t mv_registry_count_active(struct mv_registry *reg);
