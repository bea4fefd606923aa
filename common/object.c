/* The reference-counted base of driver objects. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"
#include "object.h"

int mv_obj_init(struct mv_obj *obj, const struct mv_obj_kind *kind, const char *name,
                const unsigned char uuid[MV_UUID_LEN])
{
    int r;

    assert(obj && kind && kind->dispose && name && uuid);
    if (!(obj->name = strdup(name)))
        return -ENOMEM;
    /* job waits use monotonic deadlines (job.c) */
    if ((r = mv_cond_init_monotonic(&obj->job_cond)) < 0) {
        free(obj->name);
        obj->name = NULL;
        return r;
    }
    pthread_mutex_init(&obj->lock, NULL);
    atomic_init(&obj->refs, 1);
    obj->kind = kind;
    memcpy(obj->uuid, uuid, MV_UUID_LEN);
    mv_uuid_format(uuid, obj->uuid_str);
    obj->id = -1;
    return 0;
}

void mv_obj_fini(struct mv_obj *obj)
{
    free(obj->name);
    obj->name = NULL;
    pthread_cond_destroy(&obj->job_cond);
    pthread_mutex_destroy(&obj->lock);
}

struct mv_obj *mv_obj_ref(struct mv_obj *obj)
{
    atomic_fetch_add(&obj->refs, 1);
    return obj;
}

void mv_obj_unref(struct mv_obj *obj)
{
    if (!obj || atomic_fetch_sub(&obj->refs, 1) != 1)
        return;
    obj->kind->dispose(obj);
}
