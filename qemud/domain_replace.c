/* Replacing a domain's definition (domain_replace.h). */
#define MV_LOG_MODULE "qemud.replace"
#include <errno.h>

#include "cleanup.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"

/* Whether NEXT may still replace the definition in *SLOT (DOM's lock held). */
static bool still_current(struct mv_dom_def *const *slot, const struct mv_dom_def *cur)
{
    return *slot && (!cur || *slot == cur);
}

static int gone(struct qemud_dom *dom, bool config, struct mv_err *err)
{
    if (config)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: the persistent definition of domain '%s' "
                          "changed or was removed while it was being modified", dom->name);
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                      "Requested operation is not valid: domain '%s' is not running", dom->name);
}

int qemud_dom_replace_def(struct qemud_dom *dom, bool config, struct mv_dom_def *cur, struct mv_dom_def *next,
                          struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *owned = next;
    struct mv_dom_def **slot = config ? &dom->def : &dom->live;
    bool ok;

    /* checked before saving too: a file written for a definition that is
     * gone would come back at the next daemon start */
    pthread_mutex_lock(&dom->lock);
    ok = still_current(slot, cur);
    pthread_mutex_unlock(&dom->lock);
    if (!ok)
        return gone(dom, config, err);
    if (config && qemud_store_save_config(owned, err) < 0)
        return -EIO;
    pthread_mutex_lock(&dom->lock);
    ok = still_current(slot, cur);
    if (ok) {
        mv_dom_def_free(*slot);
        *slot = TAKE_PTR(owned);
        if (config && qemud_dom_is_active(dom))
            dom->updated = true;
    }
    pthread_mutex_unlock(&dom->lock);
    if (!ok)
        return gone(dom, config, err);
    if (!config)
        qemud_process_save_status(dom);
    return 0;
}
