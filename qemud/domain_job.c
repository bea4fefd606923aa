/* Domain jobs: the core's jobs with libvirt's error codes. */
#define MV_LOG_MODULE "qemud.job"
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domain_job.h"
#include "job.h"
#include "log.h"

int qemud_job_begin(struct qemud_dom *dom, const char *job, int wait_ms, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_job_begin(&dom->obj, job, wait_ms, &msg);

    if (r == -EBUSY) {
        mv_debug("job '%s' on domain '%s' gave up waiting: %s", job, dom->name, msg ? msg : "busy");
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU, "%s",
                   msg ? msg : "Timed out during operation: domain is busy");
    } else if (r == -ENOENT) {
        /* undefined (or a transient domain stopped) while we waited */
        mv_err_set(err, MV_ERR_NO_DOMAIN, MV_FROM_QEMU, "Domain not found: no domain with matching uuid '%s' (%s)",
                   dom->uuid_str, dom->name);
    }
    return r;
}

void qemud_job_end(struct qemud_dom *dom)
{
    mv_job_end(&dom->obj);
}
