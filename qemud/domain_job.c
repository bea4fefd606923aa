/* One modifying job per domain, with a bounded wait for the next one. */
#define MV_LOG_MODULE "qemud.job"
#include <errno.h>
#include <time.h>

#include "domain_job.h"
#include "log.h"
#include "monotime.h"

int qemud_job_begin(struct qemud_dom *dom, const char *job, int wait_ms, struct mv_err *err)
{
    struct timespec deadline;

    mv_deadline_after(&deadline, wait_ms < 0 ? 0 : wait_ms);
    pthread_mutex_lock(&dom->lock);
    while (dom->job) {
        int r = wait_ms < 0 ? pthread_cond_wait(&dom->job_cond, &dom->lock)
                            : pthread_cond_timedwait(&dom->job_cond, &dom->lock, &deadline);
        if (r == ETIMEDOUT && dom->job) {
            const char *holder = dom->job;

            pthread_mutex_unlock(&dom->lock);
            mv_debug("job '%s' on domain '%s' gave up waiting for job '%s'", job, dom->name, holder);
            mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                       "Timed out during operation: domain '%s' is busy with job '%s'", dom->name, holder);
            return -EBUSY;
        }
    }
    dom->job = job;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

void qemud_job_end(struct qemud_dom *dom)
{
    pthread_mutex_lock(&dom->lock);
    dom->job = NULL;
    pthread_cond_signal(&dom->job_cond);
    pthread_mutex_unlock(&dom->lock);
}
