/* Calls on one domain (domain_call.h); apart from domain_job.c, which the
 * object unit tests link without the RPC side. */
#define MV_LOG_MODULE "qemud.call"
#include <errno.h>

#include "cleanup.h"
#include "domain_call.h"
#include "domain_job.h"
#include "domain_wire.h"
#include "qemud.h"

int qemud_with_job(struct mv_call *call, const mv_nonnull_domain *wire, const char *job, qemud_job_fn fn,
                   unsigned int flags, void *opaque)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, wire);
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if (qemud_job_begin(dom, job, (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    r = fn(call, dom, flags, opaque);
    qemud_job_end(dom);
    return r;
}

int qemud_affect(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, bool both_ok, bool *live,
                 bool *config)
{
    bool active, persistent;

    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    persistent = dom->def != NULL;
    pthread_mutex_unlock(&dom->lock);
    if (!both_ok && (flags & QEMUD_AFFECT_LIVE) && (flags & QEMUD_AFFECT_CONFIG))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'live' and 'config' are mutually exclusive");
    *live = (flags & QEMUD_AFFECT_LIVE) || (!(flags & QEMUD_AFFECT_CONFIG) && active);
    *config = (flags & QEMUD_AFFECT_CONFIG) || (!(flags & QEMUD_AFFECT_LIVE) && !active);
    if (*live && !active)
        return qemud_error_not_running(call, dom);
    if (*config && !persistent)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: transient domain '%s' has no persistent config",
                             dom->name);
    return 0;
}
