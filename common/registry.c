/* Driver objects indexed by name, UUID and id. */
#include <assert.h>
#include <errno.h>
#include <libxml/hash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct mv_registry {
    pthread_mutex_t lock;
    const struct mv_obj_kind *kind;
    xmlHashTablePtr by_name, by_uuid, by_id;   /* values borrowed from objs[]; by_id: the active ones */
    struct mv_obj **objs;                      /* referenced, in order of addition */
    size_t n, cap;
    int next_id;
};

int mv_registry_new(const struct mv_obj_kind *kind, struct mv_registry **out)
{
    struct mv_registry *reg = calloc(1, sizeof(*reg));

    if (!reg)
        return -ENOMEM;
    pthread_mutex_init(&reg->lock, NULL);
    reg->kind = kind;
    reg->next_id = 1;
    reg->by_name = xmlHashCreate(64);
    reg->by_uuid = xmlHashCreate(64);
    reg->by_id = xmlHashCreate(64);
    if (!reg->by_name || !reg->by_uuid || !reg->by_id) {
        mv_registry_free(reg);
        return -ENOMEM;
    }
    *out = reg;
    return 0;
}

void mv_registry_free(struct mv_registry *reg)
{
    if (!reg)
        return;
    xmlHashFree(reg->by_name, NULL);
    xmlHashFree(reg->by_uuid, NULL);
    xmlHashFree(reg->by_id, NULL);
    mv_obj_list_free(reg->objs, reg->n);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

const struct mv_obj_kind *mv_registry_kind(const struct mv_registry *reg)
{
    return reg->kind;
}

static void id_key(int id, char buf[16])
{
    snprintf(buf, 16, "%d", id);
}

/* Drops OBJ's entry in the id index, if it is OBJ's; call with reg->lock held. */
static void remove_id_entry(struct mv_registry *reg, struct mv_obj *obj)
{
    char key[16];

    if (obj->id < 0)
        return;
    id_key(obj->id, key);
    if (xmlHashLookup(reg->by_id, BAD_CAST key) == obj)
        xmlHashRemoveEntry(reg->by_id, BAD_CAST key, NULL);
}

static struct mv_obj *ref_or_null(void *obj)
{
    return obj ? mv_obj_ref(obj) : NULL;
}

/* Inserts OBJ; call with the registry lock held. */
static int insert(struct mv_registry *reg, struct mv_obj *obj, struct mv_obj **existing)
{
    struct mv_obj *holder = xmlHashLookup(reg->by_name, BAD_CAST obj->name);

    if (!holder)
        holder = xmlHashLookup(reg->by_uuid, BAD_CAST obj->uuid_str);
    if (holder) {
        *existing = mv_obj_ref(holder);
        return -EEXIST;
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 64;
        struct mv_obj **v = realloc(reg->objs, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        reg->objs = v;
        reg->cap = cap;
    }
    if (xmlHashAddEntry(reg->by_name, BAD_CAST obj->name, obj) < 0)
        return -ENOMEM;
    if (xmlHashAddEntry(reg->by_uuid, BAD_CAST obj->uuid_str, obj) < 0) {
        xmlHashRemoveEntry(reg->by_name, BAD_CAST obj->name, NULL);
        return -ENOMEM;
    }
    reg->objs[reg->n++] = mv_obj_ref(obj);
    return 0;
}

int mv_registry_add(struct mv_registry *reg, struct mv_obj *obj, const char *job, struct mv_obj **existing)
{
    int r;

    assert(obj->kind == reg->kind && job);
    /* a fresh object: nobody else can hold its lock, and taking it before
     * the registry lock keeps the lock order */
    mv_obj_lock(obj);
    pthread_mutex_lock(&reg->lock);
    r = insert(reg, obj, existing);
    pthread_mutex_unlock(&reg->lock);
    if (r < 0) {
        mv_obj_unlock(obj);
        return r;
    }
    obj->job = job;
    obj->removed = false;
    return 0;
}

void mv_registry_remove(struct mv_registry *reg, struct mv_obj *obj)
{
    bool found = false;

    mv_obj_lock(obj);
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->n; i++) {
        if (reg->objs[i] != obj)
            continue;
        xmlHashRemoveEntry(reg->by_name, BAD_CAST obj->name, NULL);
        xmlHashRemoveEntry(reg->by_uuid, BAD_CAST obj->uuid_str, NULL);
        remove_id_entry(reg, obj);      /* by_id borrows objs[]'s reference too */
        memmove(&reg->objs[i], &reg->objs[i + 1], (reg->n - i - 1) * sizeof(*reg->objs));
        reg->n--;
        found = true;
        break;
    }
    pthread_mutex_unlock(&reg->lock);
    if (found) {
        obj->removed = true;
        /* waiters for the job learn at once that there is nothing to wait for */
        pthread_cond_broadcast(&obj->job_cond);
    }
    mv_obj_unlock(obj);
    if (found)
        mv_obj_unref(obj);
}

static struct mv_obj *find(struct mv_registry *reg, xmlHashTablePtr table, const char *key)
{
    struct mv_obj *obj;

    pthread_mutex_lock(&reg->lock);
    obj = ref_or_null(xmlHashLookup(table, BAD_CAST key));
    pthread_mutex_unlock(&reg->lock);
    return obj;
}

struct mv_obj *mv_registry_find_name(struct mv_registry *reg, const char *name)
{
    return find(reg, reg->by_name, name);
}

struct mv_obj *mv_registry_find_uuid(struct mv_registry *reg, const unsigned char uuid[MV_UUID_LEN])
{
    char key[MV_UUID_STRING_LEN];

    mv_uuid_format(uuid, key);
    return find(reg, reg->by_uuid, key);
}

struct mv_obj *mv_registry_find_id(struct mv_registry *reg, int id)
{
    char key[16];

    id_key(id, key);
    return find(reg, reg->by_id, key);
}

int mv_registry_list(struct mv_registry *reg, mv_registry_filter filter, void *opaque, struct mv_obj ***objs,
                     size_t *n)
{
    struct mv_obj **v;
    size_t count, kept = 0;

    pthread_mutex_lock(&reg->lock);
    count = reg->n;
    if (!(v = calloc(count ? count : 1, sizeof(*v)))) {
        pthread_mutex_unlock(&reg->lock);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        v[i] = mv_obj_ref(reg->objs[i]);
    pthread_mutex_unlock(&reg->lock);
    /* the filter may take object locks: outside the registry lock */
    for (size_t i = 0; i < count; i++) {
        if (!filter || filter(v[i], opaque))
            v[kept++] = v[i];
        else
            mv_obj_unref(v[i]);
    }
    *objs = v;
    *n = kept;
    return 0;
}

void mv_obj_list_free(struct mv_obj **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mv_obj_unref(objs[i]);
    free(objs);
}

size_t mv_registry_count(struct mv_registry *reg)
{
    size_t n;

    pthread_mutex_lock(&reg->lock);
    n = reg->n;
    pthread_mutex_unlock(&reg->lock);
    return n;
}

int mv_registry_assign_id(struct mv_registry *reg, struct mv_obj *obj, int id)
{
    char key[16];
    int r = 0;

    id_key(id, key);
    pthread_mutex_lock(&reg->lock);
    if (xmlHashLookup(reg->by_id, BAD_CAST key))
        r = -EEXIST;
    else if (xmlHashAddEntry(reg->by_id, BAD_CAST key, obj) < 0)
        r = -ENOMEM;
    if (r == 0) {
        obj->id = id;
        if (id >= reg->next_id)
            reg->next_id = id + 1;
    }
    pthread_mutex_unlock(&reg->lock);
    return r;
}

void mv_registry_release_id(struct mv_registry *reg, struct mv_obj *obj)
{
    if (obj->id < 0)
        return;
    pthread_mutex_lock(&reg->lock);
    remove_id_entry(reg, obj);
    pthread_mutex_unlock(&reg->lock);
    obj->id = -1;
}

int mv_registry_next_id(struct mv_registry *reg)
{
    int id;

    pthread_mutex_lock(&reg->lock);
    id = reg->next_id++;
    pthread_mutex_unlock(&reg->lock);
    return id;
}

void mv_registry_note_id(struct mv_registry *reg, int id)
{
    pthread_mutex_lock(&reg->lock);
    if (id >= reg->next_id)
        reg->next_id = id + 1;
    pthread_mutex_unlock(&reg->lock);
}

size_t mv_registry_count_active(struct mv_registry *reg)
{
    size_t n;

    pthread_mutex_lock(&reg->lock);
    n = (size_t)xmlHashSize(reg->by_id);
    pthread_mutex_unlock(&reg->lock);
    return n;
}
