/*
 * A run's isolation (guest_isolation.h): the guest's identity, its own
 * directory handed to it, and the grants on the host files it needs, each
 * recorded in the status file before it takes effect; all of it taken back
 * when the run ends, or by the clean-up after a daemon restart finds the
 * run ended.
 */
#define MV_LOG_MODULE "qemud.isolation"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_dir.h"
#include "domain_process_priv.h"
#include "guest_files.h"
#include "guest_identity.h"
#include "guest_sandbox.h"
#include "log.h"

/* DOM's identity for this run, published under its lock (the status file
 * formats it). */
static int take_identity(struct qemud_dom *dom, struct mv_err *err)
{
    struct qemud_guest_id id = { 0 };
    int r = qemud_guest_id_acquire(dom->name, &id, err);

    if (r < 0)
        return r;
    pthread_mutex_lock(&dom->lock);
    dom->iso.id = id;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

int qemud_process_isolate(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    struct qemud_isolation *iso = &dom->iso;
    int r;

    if (!qemud_guest_ids_isolated())
        return 0;
    if ((r = take_identity(dom, err)) < 0)
        return r;
    if ((r = qemud_domain_dir_chown(dom->uuid_str, iso->id.uid, iso->id.gid)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot hand the run directory of domain '%s' to uid %u", dom->name,
                                (unsigned)iso->id.uid);
    return qemud_guest_files_collect(dom->name, live, iso, err);
}

int qemud_process_grant(struct qemud_dom *dom, struct mv_err *err)
{
    return dom->iso.id.set ? qemud_guest_files_grant(dom->name, &dom->iso, err) : 0;
}

int qemud_process_hand_over(const struct qemud_dom *dom, const char *path, struct mv_err *err)
{
    if (!dom->iso.id.set || !path)
        return 0;
    if (lchown(path, dom->iso.id.uid, dom->iso.id.gid) < 0)     /* never through a link */
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot hand '%s' to the guest of domain '%s'", path, dom->name);
    return 0;
}

int qemud_process_confine(const struct qemud_dom *dom, const char *emulator, const struct mv_dom_def *live, bool kvm,
                          struct mv_confine *c, struct mv_err *err)
{
    _cleanup_free_ char *domdir = NULL;

    if (!dom->iso.id.set)
        return 0;
    if (!(domdir = qemud_domain_dir(dom->uuid_str)))
        return -ENOMEM;
    return qemud_guest_sandbox_build(dom->name, emulator, live, kvm, &dom->iso, domdir, c, err);
}

void qemud_process_close_grant_fds(struct qemud_isolation *iso)
{
    for (size_t i = 0; i < iso->ngrants; i++)
        if (iso->grants[i].fd >= 0)
            close(TAKE_FD(iso->grants[i].fd));
}

void qemud_process_release_isolation(const char *name, struct qemud_isolation *iso, bool lingering)
{
    if (iso->ngrants)
        qemud_guest_files_revoke(name, iso);
    /* a uid given to the next guest while this QEMU lives would let that
     * guest reach it (signals, /proc/PID/root): held until the restart */
    if (lingering && iso->id.set)
        mv_warn("domain '%s': its guest uid %u stays held until the daemon restarts: its QEMU has not exited",
                name, (unsigned)iso->id.uid);
    else
        qemud_guest_id_release(&iso->id);
    qemud_isolation_clear(iso);
    iso->id = (struct qemud_guest_id){ 0 };
}

int qemud_process_readopt_isolation(struct qemud_dom *dom)
{
    int r = qemud_guest_id_reserve(dom->name, &dom->iso.id);

    if (r < 0)
        mv_warn("domain '%s': its guest uid %u is held by another running domain", dom->name,
                (unsigned)dom->iso.id.uid);
    return r;
}
