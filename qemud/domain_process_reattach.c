/* Re-attaching, at daemon start, to the QEMU a status file describes:
 * adopted with its sidecars when it still runs, cleaned up after when it
 * is gone, and stopped when the daemon died before its start finished. */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "display_ports.h"
#include "hostdev_claims.h"
#include "domain_dir.h"
#include "domain_events.h"
#include "guest_cgroup.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_process_priv.h"
#include "domain_store.h"
#include "domain_task.h"
#include "log.h"
#include "network_port.h"
#include "proc_stat.h"
#include "process.h"
#include "qemud.h"
#include "sidecar.h"

/* tries to open the monitor of a QEMU found running, each this long */
#define REATTACH_MONITOR_TRIES 2
#define REATTACH_MONITOR_TIMEOUT_MS 5000

/* A QEMU found at daemon start is watched on the RPC loop through its
 * pidfd: if its monitor cannot be opened (QEMU hung or stopped), nothing
 * else would ever notice that it exited. */
struct exit_watch {
    struct qemud_dom *dom;          /* referenced */
    uint64_t gen;
};

static void exit_watch_free(void *opaque)
{
    struct exit_watch *w = opaque;

    qemud_dom_unref(w->dom);
    free(w);
}

static int on_adopted_exit(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct exit_watch *w = opaque;

    /* a stale run (stopped, restarted) makes qemud_process_exited a no-op */
    qemud_task_push(qemud_process_exited, w->dom, w->gen);
    /* drops the loop's reference: the source (and W) go once we return */
    sd_event_source_set_floating(s, false);
    return 0;
}

static int watch_exit(struct qemud_dom *dom, uint64_t gen)
{
    _cleanup_close_ int fd = fcntl(dom->pidfd, F_DUPFD_CLOEXEC, 3);
    struct exit_watch *w;
    sd_event_source *src = NULL;
    int r;

    if (fd < 0)
        return -errno;
    if (!(w = malloc(sizeof(*w))))
        return -ENOMEM;
    *w = (struct exit_watch){ .dom = qemud_dom_ref(dom), .gen = gen };
    r = sd_event_add_io(qemud.event, &src, fd, EPOLLIN, on_adopted_exit, w);
    if (r < 0) {
        exit_watch_free(w);
        return r;
    }
    TAKE_FD(fd);
    sd_event_source_set_io_fd_own(src, true);
    sd_event_source_set_destroy_callback(src, exit_watch_free);
    sd_event_source_set_floating(src, true);
    sd_event_source_unref(src);
    return 0;
}

/* What a run that is over left: its sidecars (adopted, then stopped: a
 * virtiofsd whose peer went away is gone, an swtpm need not be), a
 * transient domain's TPM state, taps, ports, managed hostdevs, status
 * file, monitor socket and the domain's directory. */
static void cleanup_gone(struct qemud_dom *dom, struct qemud_status *st)
{
    qemud_sidecars_adopt(&st->sidecars, dom->name);
    qemud_sidecars_stop(&st->sidecars, dom->name);
    if (!dom->def)
        qemud_process_forget_transient(dom, st->live);
    qemud_process_release_interfaces(st->live);
    qemud_process_release_hostdevs(dom->name, st->live, false);
    qemud_process_release_isolation(dom->name, &st->iso, false);
    qemud_store_delete_status(dom->name);
    unlink(st->monitor_path);       /* an older daemon's path is outside the directory */
    qemud_domain_dir_remove(dom->uuid_str);
    qemud_guest_cgroup_remove(dom->uuid_str);      /* derived from the UUID: nothing recorded */
}

/* ST's QEMU once a pidfd was opened on its pid: the pidfd is that
 * process only if the pid still names it now (it cannot have been reused
 * while the process lived).  Otherwise the pidfd is closed. */
static enum qemud_presence pidfd_checked(const struct qemud_status *st, int *pidfd, int *why)
{
    enum qemud_presence p = qemud_proc_presence(st->pid, st->starttime, why);

    if (p != QEMUD_PRESENCE_SAME && *pidfd >= 0) {
        close(*pidfd);
        *pidfd = -1;
    }
    return p;
}

/* DOM takes ST's QEMU as another daemon's process (pidfd, start time):
 * true if it still runs, or if /proc cannot tell (out of fds or memory:
 * logged, and its exit is polled for), as a wrong "gone" would clean up
 * after a running guest.  A zombie nobody reaped yet is gone. */
static bool take_pid(struct qemud_dom *dom, const struct qemud_status *st)
{
    int pidfd = -1, why;
    enum qemud_presence p = qemud_proc_presence(st->pid, st->starttime, &why);

    if (p == QEMUD_PRESENCE_SAME) {
        if ((pidfd = mv_pidfd_open(st->pid)) < 0)
            mv_warn("domain '%s': no pidfd for QEMU (pid %d): %s; its exit is polled for",
                    dom->name, (int)st->pid, strerror(errno));
        p = pidfd_checked(st, &pidfd, &why);
    }
    if (p == QEMUD_PRESENCE_UNKNOWN)
        mv_warn("domain '%s': cannot tell whether QEMU (pid %d) still runs (/proc/%d/stat: %s); "
                "kept as running, its exit is polled for", dom->name, (int)st->pid, (int)st->pid, strerror(-why));
    pthread_mutex_lock(&dom->lock);
    dom->pid = st->pid;
    dom->pidfd = pidfd;
    dom->starttime = st->starttime;
    dom->own_child = false;
    pthread_mutex_unlock(&dom->lock);
    return p != QEMUD_PRESENCE_GONE;
}

static void forget_pid(struct qemud_dom *dom)
{
    pthread_mutex_lock(&dom->lock);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    dom->pidfd = -1;
    dom->pid = 0;
    pthread_mutex_unlock(&dom->lock);
}

/* The daemon died while starting DOM (ST is marked starting): the caller
 * got no answer and the run never completed, so nothing of it is adopted;
 * as libvirt does with an interrupted start, what it left is stopped:
 * QEMU if it runs (SIGKILL: its guest never ran), the sidecars it
 * recorded as soon as each ran, taps and ports. */
static void end_interrupted_start(struct qemud_dom *dom, struct qemud_status *st)
{
    mv_warn("domain '%s': the daemon stopped while starting it; stopping what that start left "
            "(QEMU pid %d, %zu sidecars)", dom->name, (int)st->pid, st->sidecars.n);
    if (st->pid > 0 && take_pid(dom, st)) {
        qemud_qemu_signal(dom, SIGKILL);
        if (!qemud_qemu_wait_exit(dom, QEMUD_QEMU_KILL_WAIT_MS))
            mv_error("domain '%s': QEMU (pid %d) of the interrupted start did not exit within %d ms of SIGKILL",
                     dom->name, (int)st->pid, QEMUD_QEMU_KILL_WAIT_MS);
    }
    forget_pid(dom);
    cleanup_gone(dom, st);
}

/* The guest may have been paused or resumed while we were away. */
static void sync_run_state(struct qemud_dom *dom)
{
    struct mv_err err = { 0 };
    json_object *status = NULL, *running;

    if (qemud_monitor_command(dom, "query-status", NULL, &status, &err) < 0) {
        mv_warn("domain '%s': %s", dom->name, err.message);
        mv_err_clear(&err);
        return;
    }
    if (json_object_object_get_ex(status, "running", &running)) {
        pthread_mutex_lock(&dom->lock);
        if (json_object_get_boolean(running) && dom->state == QEMUD_STATE_PAUSED)
            qemud_dom_set_state(dom, QEMUD_STATE_RUNNING, 0);
        else if (!json_object_get_boolean(running) && dom->state == QEMUD_STATE_RUNNING)
            qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, 0);
        pthread_mutex_unlock(&dom->lock);
    }
    json_object_put(status);
}

/* Task, with the "reattach" job taken by qemud_process_reattach(): tells
 * netd the guest's ports still exist (qemud_net_ports_reclaim), puts its
 * taps back on their bridges if need be, then opens the monitor of an
 * adopted QEMU, a few times, while it lives.  A QEMU that
 * never answers stays adopted without a monitor: its exit is watched, and
 * the next command that needs the monitor tries again. */
static void reattach_monitor(struct qemud_dom *dom, uint64_t gen)
{
    struct mv_err err = { 0 };
    int r = -EIO;

    /* the live definition is only replaced with the job, which we hold */
    if (qemud_net_ports_needed(dom->live))
        qemud_net_ports_reclaim(qemud.paths, dom->live);
    qemud_process_reattach_taps(dom->name, dom->live);

    for (int i = 0; i < REATTACH_MONITOR_TRIES && r < 0; i++) {
        mv_err_clear(&err);
        r = qemud_monitor_open(dom, REATTACH_MONITOR_TIMEOUT_MS, &err);
        if (r < 0 && qemud_qemu_wait_exit(dom, 0)) {    /* it exited meanwhile */
            mv_err_clear(&err);
            qemud_process_cleanup_stopped(dom, QEMUD_SHUTOFF_CRASHED, QEMUD_DETAIL_STOPPED_FAILED);
            qemud_job_end(dom);
            return;
        }
    }
    if (r == 0) {
        sync_run_state(dom);
        qemud_process_save_status(dom);
        qemud_agent_open(dom, true);
        mv_info("domain '%s': re-attached to QEMU (pid %d)", dom->name, (int)dom->pid);
    } else {
        mv_error("domain '%s': cannot re-attach to QEMU (pid %d): %s; leaving it running without "
                 "a monitor (retried on the next command)", dom->name, (int)dom->pid,
                 err.message ? err.message : "QEMU did not answer");
    }
    mv_err_clear(&err);
    qemud_job_end(dom);
}

/* DOM's id from its status file, or a fresh one if that is taken (two
 * status files claiming one id): a guest without an id gets no events. */
static int adopt_id(struct qemud_dom *dom, int id)
{
    int r = qemud_registry_assign_id(dom, id);

    if (r == -EEXIST) {
        int fresh = qemud_registry_next_id();

        mv_warn("domain '%s': id %d of its status file is taken; it gets id %d", dom->name, id, fresh);
        r = qemud_registry_assign_id(dom, fresh);
    }
    return r;
}

/* Without an id DOM cannot be active: not adopted, and its QEMU, taps,
 * sidecars and status file are left as they are for the next daemon start. */
static void not_registered(struct qemud_dom *dom, int r)
{
    mv_error("domain '%s': cannot register QEMU (pid %d): %s; not adopted", dom->name, (int)dom->pid, strerror(-r));
    pthread_mutex_lock(&dom->lock);
    mv_dom_def_free(dom->live);
    dom->live = NULL;
    qemud_sidecars_clear(&dom->sidecars);   /* left running with their QEMU */
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    dom->pidfd = -1;
    dom->pid = 0;
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTOFF, QEMUD_SHUTOFF_FAILED);
    pthread_mutex_unlock(&dom->lock);
    qemud_job_end(dom);
}

/* DOM takes over ST's run (definition, monitor, sidecars, id, state) under
 * the "reattach" job; *GEN is the new run's generation. */
static int take_run(struct qemud_dom *dom, struct qemud_status *st, uint64_t *gen)
{
    struct mv_err err = { 0 };
    int r;

    /* nobody else knows DOM yet: the job is free, and callers that come
     * after READY wait for the monitor instead of seeing a half-adopted run */
    qemud_job_begin(dom, "reattach", 0, &err);
    pthread_mutex_lock(&dom->lock);
    dom->live = TAKE_PTR(st->live);
    dom->monitor_path = TAKE_PTR(st->monitor_path);
    dom->sidecars = st->sidecars;
    st->sidecars = (struct qemud_sidecars){ 0 };
    dom->iso = st->iso;
    st->iso = (struct qemud_isolation){ 0 };
    *gen = ++dom->run_gen;
    r = adopt_id(dom, st->id);
    qemud_dom_set_state(dom, st->state, st->reason);
    pthread_mutex_unlock(&dom->lock);
    return r;
}

int qemud_process_reattach(struct qemud_dom *dom, struct qemud_status *st)
{
    uint64_t gen;
    int r;

    qemud_registry_note_id(st->id);     /* ids are not reused, not even a gone guest's */
    /* an undefine while it ran: its stop (or the cleanup below) honours it */
    pthread_mutex_lock(&dom->lock);
    dom->undefine_flags = st->undefine_flags;
    pthread_mutex_unlock(&dom->lock);
    if (st->starting) {
        end_interrupted_start(dom, st);
        return 0;
    }
    if (!take_pid(dom, st)) {
        mv_info("domain '%s': QEMU (pid %d) exited while the daemon was away; cleaning up", dom->name, (int)st->pid);
        forget_pid(dom);
        cleanup_gone(dom, st);
        return 0;
    }
    if ((r = take_run(dom, st, &gen)) < 0) {
        not_registered(dom, r);
        return 0;
    }
    qemud_display_reserve_running(dom->live);
    qemud_hostdevs_claim_running(dom->live);
    if (dom->iso.id.set)
        (void)qemud_process_readopt_isolation(dom);
    if (qemud_sidecars_adopt(&dom->sidecars, dom->name) > 0)
        mv_warn("domain '%s': runs without a sidecar that exited while the daemon was away", dom->name);
    if (dom->pidfd >= 0 && (r = watch_exit(dom, gen)) < 0)
        mv_warn("domain '%s': cannot watch QEMU (pid %d): %s", dom->name, (int)dom->pid, strerror(-r));
    if (qemud_task_push(reattach_monitor, dom, gen) < 0)
        qemud_job_end(dom);
    return 1;
}
