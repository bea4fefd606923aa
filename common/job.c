/* One modifying job per object, with a bounded wait for the next one. */
#include <errno.h>
#include <time.h>

#include "errmsg.h"
#include "job.h"
#include "monotime.h"

int mv_job_begin_locked(struct mv_obj *obj, const char *job, int wait_ms, char **errmsg)
{
    struct timespec deadline;

    mv_deadline_after(&deadline, wait_ms < 0 ? 0 : wait_ms);
    for (;;) {
        int r;

        if (obj->removed)
            return mv_errmsg_set(errmsg, -ENOENT, "%s '%s' no longer exists", obj->kind->word, obj->name);
        if (!obj->job)
            break;
        r = wait_ms < 0 ? pthread_cond_wait(&obj->job_cond, &obj->lock)
                        : pthread_cond_timedwait(&obj->job_cond, &obj->lock, &deadline);
        if (r == ETIMEDOUT && obj->job && !obj->removed)
            return mv_errmsg_set(errmsg, -EBUSY, "Timed out during operation: %s '%s' is busy with job '%s'",
                                 obj->kind->word, obj->name, obj->job);
    }
    obj->job = job;
    return 0;
}

int mv_job_begin(struct mv_obj *obj, const char *job, int wait_ms, char **errmsg)
{
    int r;

    mv_obj_lock(obj);
    r = mv_job_begin_locked(obj, job, wait_ms, errmsg);
    mv_obj_unlock(obj);
    return r;
}

void mv_job_end_locked(struct mv_obj *obj)
{
    obj->job = NULL;
    /* broadcast: the job_cond also carries drivers' own waits (a monitor's EOF) */
    pthread_cond_broadcast(&obj->job_cond);
}

void mv_job_end(struct mv_obj *obj)
{
    mv_obj_lock(obj);
    mv_job_end_locked(obj);
    mv_obj_unlock(obj);
}
