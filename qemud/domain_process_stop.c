/* The end of a run: destroy (SIGTERM, SIGKILL after the grace period),
 * QEMU exiting on its own, and the clean-up after its process is gone;
 * and the reset that ends a reboot. */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "domain_dir.h"
#include "domain_events.h"
#include "guest_cgroup.h"
#include "hostdev_managed.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_process_priv.h"
#include "domain_store.h"
#include "domain_task.h"
#include "log.h"
#include "qemud.h"
#include "sidecar.h"
#include "snapshot_store.h"
#include "tpm.h"

/* A transient domain leaves no TPM state behind unless it asked to keep it
 * (persistent_state='yes', or an `undefine --keep-tpm` while it ran), as
 * in libvirt. */
void qemud_process_forget_transient(struct qemud_dom *dom, const struct mv_dom_def *live)
{
    if (qemud_tpm_state_goes(live, dom->undefine_flags))
        qemud_tpm_remove_state(qemud.paths->statedir, dom->uuid_str, dom->name);
}

void qemud_process_release_hostdevs(const char *name, const struct mv_dom_def *live, bool lingering)
{
    if (!qemud_hostdevs_managed(live))
        return;
    if (lingering) {
        mv_warn("domain '%s': QEMU has not exited: its managed host PCI devices stay on vfio-pci "
                "(virsh nodedev-reattach gives them back)", name);
        return;
    }
    qemud_hostdevs_reattach(qemud.paths, live);
}

/* DOM's run ends in its object: no monitor, pid, id or live definition;
 * shut off for REASON.  Returns the live definition (to release) and the
 * id the STOPPED event names; *TRANSIENT if DOM goes with its run,
 * *LINGERING if its QEMU has not exited yet. */
static struct mv_dom_def *end_run(struct qemud_dom *dom, int reason, int *id, bool *transient, bool *lingering)
{
    struct mv_dom_def *live;

    qemud_agent_close(dom);
    qemud_monitor_close(dom);
    /* callers waited for the exit, which reaped our own child: one still
     * unreaped survived SIGKILL, and must not be forgotten */
    *lingering = dom->own_child && dom->pid > 0 && !qemud_qemu_reap_own(dom, 0);
    if (*lingering)
        qemud_qemu_reap_later(dom->name, dom->pid);
    pthread_mutex_lock(&dom->lock);
    live = dom->live;
    dom->live = NULL;
    *id = dom->id;
    qemud_registry_release_id(dom);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    dom->pidfd = -1;
    dom->pid = 0;
    dom->own_child = false;
    dom->fake_reboot = dom->stopping = false;
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTOFF, reason);
    *transient = !dom->def;
    dom->updated = false;
    pthread_mutex_unlock(&dom->lock);
    return live;
}

/* A transient domain's snapshot metadata goes with it: its store is keyed
 * by name, and a new domain of that name must not inherit it. */
static void forget_snapshots(struct qemud_dom *dom)
{
    struct mv_err e = { 0 };

    if (qemud_snap_store_remove_all(dom->name, &e) < 0)
        mv_warn("transient domain '%s' stopped: its snapshot metadata stays: %s", dom->name, e.message);
    mv_err_clear(&e);
}

/* Everything after the process is gone: monitor, taps, files, id, state;
 * then the STOPPED event, and a transient domain leaves the registry. */
void qemud_process_cleanup_stopped(struct qemud_dom *dom, int reason, int detail)
{
    bool transient, lingering;
    int id;
    struct mv_dom_def *live = end_run(dom, reason, &id, &transient, &lingering);

    qemud_sidecars_stop(&dom->sidecars, dom->name);
    qemud_process_release_interfaces(live);
    qemud_process_release_hostdevs(dom->name, live, lingering);
    qemud_process_release_isolation(dom->name, &dom->iso, lingering);
    if (transient)
        qemud_process_forget_transient(dom, live);
    mv_dom_def_free(live);
    qemud_store_delete_status(dom->name);
    if (dom->monitor_path)
        unlink(dom->monitor_path);     /* an older daemon's path is outside the directory */
    qemud_domain_dir_remove(dom->uuid_str);     /* QEMU and its sidecars are gone */
    qemud_guest_cgroup_remove(dom->uuid_str);
    mv_info("domain '%s' stopped", dom->name);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_STOPPED, detail);
    if (transient) {
        forget_snapshots(dom);
        qemud_registry_remove(dom);
    }
}

/* A destroy that gives up while QEMU still runs: like libvirt, the domain
 * is not destroyed while its process lives, and its exit still ends it
 * (the monitor's EOF or the watch). */
static int still_running(struct qemud_dom *dom, pid_t pid, const char *signame, int ms, struct mv_err *err)
{
    pthread_mutex_lock(&dom->lock);
    dom->stopping = false;
    pthread_mutex_unlock(&dom->lock);
    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                      "operation failed: QEMU of domain '%s' (pid %d) did not exit within %d ms of %s", dom->name,
                      (int)pid, ms, signame);
}

int qemud_process_destroy(struct qemud_dom *dom, bool graceful, struct mv_err *err)
{
    pid_t pid;

    pthread_mutex_lock(&dom->lock);
    if (!qemud_dom_is_active(dom)) {
        pthread_mutex_unlock(&dom->lock);
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' is not running", dom->name);
    }
    dom->stopping = true;
    pid = dom->pid;
    pthread_mutex_unlock(&dom->lock);

    qemud_qemu_signal(dom, SIGTERM);
    if (!qemud_qemu_wait_exit(dom, (int)qemud.destroy_grace_ms)) {
        if (graceful)
            return still_running(dom, pid, "SIGTERM", (int)qemud.destroy_grace_ms, err);
        mv_info("domain '%s': QEMU (pid %d) ignored SIGTERM, sending SIGKILL", dom->name, (int)pid);
        qemud_qemu_signal(dom, SIGKILL);
        if (!qemud_qemu_wait_exit(dom, QEMUD_QEMU_KILL_WAIT_MS))
            return still_running(dom, pid, "SIGKILL", QEMUD_QEMU_KILL_WAIT_MS, err);
    }
    qemud_monitor_wait_eof(dom, QEMUD_MONITOR_DRAIN_MS);
    qemud_process_cleanup_stopped(dom, QEMUD_SHUTOFF_DESTROYED, QEMUD_DETAIL_STOPPED_DESTROYED);
    return 0;
}

void qemud_process_exited(struct qemud_dom *dom, uint64_t gen)
{
    struct mv_err err = { 0 };
    bool current, shutdown;

    if (qemud_job_begin(dom, "stop", -1, &err) < 0) {
        mv_err_clear(&err);     /* removed meanwhile: nothing left to do */
        return;
    }
    pthread_mutex_lock(&dom->lock);
    current = dom->run_gen == gen && qemud_dom_is_active(dom) && !dom->stopping;
    pthread_mutex_unlock(&dom->lock);
    if (current) {
        /* the monitor closes a moment before the process is gone */
        if (!qemud_qemu_wait_exit(dom, (int)qemud.destroy_grace_ms)) {
            mv_warn("domain '%s': QEMU closed its monitor but did not exit; killing it", dom->name);
            qemud_qemu_signal(dom, SIGKILL);
            qemud_qemu_wait_exit(dom, QEMUD_QEMU_KILL_WAIT_MS);        /* else qemud_process_cleanup_stopped reaps it later */
        }
        /* the process watch can fire before the monitor read QEMU's last
         * words: its SHUTDOWN event decides shutdown or crash */
        qemud_monitor_wait_eof(dom, QEMUD_MONITOR_DRAIN_MS);
        pthread_mutex_lock(&dom->lock);
        shutdown = dom->shutdown_seen;
        pthread_mutex_unlock(&dom->lock);
        qemud_process_cleanup_stopped(dom, shutdown ? QEMUD_SHUTOFF_SHUTDOWN : QEMUD_SHUTOFF_CRASHED,
                        shutdown ? QEMUD_DETAIL_STOPPED_SHUTDOWN : QEMUD_DETAIL_STOPPED_FAILED);
    }
    qemud_job_end(dom);
}

void qemud_process_finish_reboot(struct qemud_dom *dom, uint64_t gen)
{
    struct mv_err err = { 0 };
    bool current;

    if (qemud_job_begin(dom, "reboot", -1, &err) < 0) {
        mv_err_clear(&err);     /* removed meanwhile: nothing left to do */
        return;
    }
    pthread_mutex_lock(&dom->lock);
    current = dom->run_gen == gen && qemud_dom_is_active(dom) && dom->fake_reboot;
    pthread_mutex_unlock(&dom->lock);
    if (current) {
        if (qemud_monitor_command(dom, "system_reset", NULL, NULL, &err) < 0 ||
            qemud_monitor_command(dom, "set-action", qemud_monitor_shutdown_action("poweroff"), NULL, &err) < 0 ||
            qemud_monitor_command(dom, "cont", NULL, NULL, &err) < 0)
            mv_error("domain '%s': cannot finish the reboot: %s", dom->name, err.message);
        pthread_mutex_lock(&dom->lock);
        dom->fake_reboot = false;
        pthread_mutex_unlock(&dom->lock);
    }
    mv_err_clear(&err);
    qemud_job_end(dom);
}
