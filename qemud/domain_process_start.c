/*
 * Starting a domain, in an order that leaves nothing behind when a step
 * fails and nothing unrecorded when the daemon dies meanwhile:
 *   1. the live definition completed and the host's facts read (nothing runs);
 *   2. what the host lends the guest: shared directories checked, managed
 *      PCI hostdevs (given to vfio-pci by nodedevd), volumes, disk
 *      passphrases, network ports, taps;
 *   3. the command line built: a configuration QEMU cannot run is refused
 *      here, before any process starts;
 *   4. the sidecars (swtpm, virtiofsd) started, each written to the status
 *      file (marked starting) as soon as it runs;
 *   5. QEMU spawned, its pid written there too; then its monitor, what it
 *      chose, the CPU pinning, and the complete status before the guest runs.
 * A daemon killed between 4 and 5's end finds a status file marked
 * starting at its next start, and stops what it names
 * (domain_process_reattach.c).
 */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "confine.h"
#include "cputune.h"
#include "disk_secret.h"
#include "guest_cgroup.h"
#include "domain_dir.h"
#include "domain_events.h"
#include "domain_fs.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_process_priv.h"
#include "domain_store.h"
#include "file.h"
#include "hostdev_managed.h"
#include "hostdev_pci.h"
#include "log.h"
#include "network_port.h"
#include "proc_stat.h"
#include "process.h"
#include "qemud.h"
#include "seclabel.h"
#include "sidecar.h"
#include "storage_volume.h"
#include "tpm.h"

#define MONITOR_OPEN_TIMEOUT_MS 30000

static const char *const qemu_env[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", NULL };

/* What one start holds until QEMU's monitor answers. */
struct start {
    struct qemud_dom *dom;
    struct mv_dom_def *live;        /* being filled in; readers see the shown copy */
    struct mv_qemu_cmd_ctx ctx;     /* points into the fields below */
    struct qemud_start_host host;
    struct qemud_disk_secrets secrets;
    struct qemud_fs_sockets fss;
    char *tpm_socket;
    int *net_fds;                   /* per interface: its tap, or -1 */
    char **argv;
    int logfd;
    off_t log_start;                /* where QEMU's own words begin in the log */
    int record_error;               /* a status write failed: the start must not go on */
    const struct qemud_incoming *in;    /* a restore: QEMU's state comes from here */
};

static void start_clear(struct start *s)
{
    for (size_t i = 0; s->net_fds && i < s->live->devices.nnets; i++)
        if (s->net_fds[i] >= 0)
            close(s->net_fds[i]);
    free(s->net_fds);
    qemud_disk_secrets_remove(&s->secrets);
    qemud_start_host_clear(&s->host);
    qemud_fs_sockets_clear(&s->fss);
    free(s->tpm_socket);
    mv_strv_free(s->argv);
    if (s->logfd >= 0)
        close(s->logfd);
}

/* Runs ARGV in a session of its own with stdout/stderr on LOGFD and the fds
 * in KEEP inherited at their numbers; every other fd of the daemon is closed
 * in QEMU (mv_process_spawn).  The calling thread's CPU affinity is widened
 * to every CPU for the moment: QEMU and its vCPU threads inherit it, and a
 * daemon pinned to one CPU (by an admin or a benchmark) must not pin its
 * guests too. */
static int spawn(char *const *argv, int logfd, const int *keep, size_t nkeep, const struct mv_confine *confine,
                 pid_t *pid, char **errmsg)
{
    struct mv_process_spawn_opts opts = {
        .env = qemu_env, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd,
        .keep_fds = keep, .nkeep = nkeep, .new_session = true, .confine = confine, .errmsg = errmsg,
    };
    cpu_set_t saved, all;
    bool restore = sched_getaffinity(0, sizeof(saved), &saved) == 0;
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    int r;

    CPU_ZERO(&all);
    for (long i = 0; i < ncpus && i < CPU_SETSIZE; i++)
        CPU_SET(i, &all);
    if (restore)
        sched_setaffinity(0, sizeof(all), &all);
    r = mv_process_spawn((const char *const *)argv, &opts, pid);
    if (restore)
        sched_setaffinity(0, sizeof(saved), &saved);
    return r;
}

/* The status file of an unfinished start (starting="yes", with S's live
 * definition: its taps and ports): what a daemon killed from now on needs
 * to stop what the start left.  Called from the sidecar set as soon as a
 * sidecar runs, and once QEMU has a pid. */
static void record_starting(void *opaque)
{
    struct start *s = opaque;
    _cleanup_free_ char *xml = qemud_store_status_xml(s->dom, s->live);
    int r = xml ? qemud_store_write_status(s->dom->name, xml) : -ENOMEM;

    if (r < 0 && !s->record_error)
        s->record_error = r;
}

/* A start whose status file could not be written must not go on: what it
 * runs would be lost to a daemon restart. */
static int check_recorded(const struct start *s, struct mv_err *err)
{
    if (!s->record_error)
        return 0;
    return mv_err_set_errno(err, s->record_error, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                            "cannot write the status file of domain '%s' while starting it", s->dom->name);
}

/* The managed hostdevs given to vfio-pci by nodedevd (hostdev_managed.h),
 * recorded in the status file first: a daemon killed from then on gives
 * them back; then checked as unmanaged ones were (group, /dev/vfio). */
static int detach_hostdevs(struct start *s, struct mv_err *err)
{
    int r;

    if (!qemud_hostdevs_managed(s->live))
        return 0;
    qemud_hostdevs_mark(s->live);
    record_starting(s);
    if ((r = check_recorded(s, err)) < 0 || (r = qemud_hostdevs_detach(qemud.paths, s->live, err)) < 0)
        return r;
    return qemud_hostdevs_check(s->live, true, err);
}

/* Step 2: what the host lends the guest.  The shared directories first:
 * one that is not there leaves nothing to undo; then the managed hostdevs,
 * the volumes, the passphrases of encrypted disks (a volume's resolved
 * path among them); ports before taps: a port names the bridge its tap
 * goes on. */
static int lend_host_resources(struct start *s, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    struct mv_dom_def *live = s->live;
    int r;

    if ((r = qemud_fs_check_sources(dom->name, live, err)) < 0 || (r = detach_hostdevs(s, err)) < 0 ||
        (qemud_disk_volumes_needed(live) && (r = qemud_disk_volumes_resolve(qemud.paths, live, err)) < 0) ||
        (r = qemud_disk_secrets_fetch(qemud.paths, qemud.rundir, dom->uuid_str, live, &s->secrets, err)) < 0 ||
        (qemud_net_ports_needed(live) && (r = qemud_net_ports_plug(qemud.paths, live, err)) < 0) ||
        (r = qemud_process_create_taps(dom->name, live, s->net_fds, err)) < 0)
        return r;
    s->ctx.net_fds = s->net_fds;
    s->ctx.nnet_fds = live->devices.nnets;
    s->ctx.disk_secret_files = (const char *const *)s->secrets.files;
    s->ctx.ndisk_secret_files = s->secrets.n;
    return 0;
}

/* One socket the daemon picked for DOMNAME's WHAT NAME, refused when it
 * is too long for a Unix socket: here, before anything runs, rather than
 * as the bind error of whichever process gets it. */
static int check_socket(const char *domname, const char *what, const char *name, const char *path,
                        struct mv_err *err)
{
    if (!path || mv_unix_path_fits(path))
        return 0;
    return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                      "unsupported configuration: the socket of %s '%s' of domain '%s' ('%s', %zu bytes) is "
                      "longer than a Unix socket path may be (use a shorter run directory)", what, name, domname,
                      path, strlen(path));
}

/* Every socket path in the domain's directory a start uses: QEMU's monitor,
 * virtiofsd's per share, swtpm's, and the SPICE sockets (picked by
 * display_ports.c; a path the user gave was checked at define). */
static int check_socket_paths(const struct start *s, struct mv_err *err)
{
    const struct mv_dom_def *live = s->live;
    const char *name = s->dom->name;
    char idx[32];
    int r;

    if ((r = check_socket(name, "the monitor", "QEMU", s->dom->monitor_path, err)) < 0 ||
        (r = check_socket(name, "the TPM", "tpm0", s->tpm_socket, err)) < 0)
        return r;
    for (size_t i = 0; i < s->fss.n && i < live->devices.nfilesystems; i++)
        if ((r = check_socket(name, "filesystem", live->devices.filesystems[i].target, s->fss.paths[i], err)) < 0)
            return r;
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &live->devices.graphics[i];

        snprintf(idx, sizeof(idx), "%s%zu", g->type == MV_DOM_GRAPHICS_SPICE ? "spice" : "vnc", i);
        if (g->listen_type == MV_DOM_LISTEN_SOCKET &&
            (r = check_socket(name, "graphics", idx, g->socket, err)) < 0)
            return r;
    }
    return 0;
}

/* Step 3: the command line, with the sockets the sidecars will listen on
 * named before they run (virtiofsd's per share, swtpm's per domain). */
static int build_command(struct start *s, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    _cleanup_free_ char *msg = NULL;
    int r, code = MV_ERR_INTERNAL_ERROR;

    if ((r = qemud_fs_sockets_init(&s->fss, qemud.rundir, dom->uuid_str, s->live)) < 0)
        return r;
    s->ctx.fs_sockets = (const char *const *)s->fss.paths;
    s->ctx.nfs_sockets = s->fss.n;
    if (qemud_tpm_emulated(s->live) && !(s->tpm_socket = qemud_tpm_socket_path(qemud.rundir, dom->uuid_str)))
        return -ENOMEM;
    s->ctx.tpm_socket = s->tpm_socket;
    if ((r = check_socket_paths(s, err)) < 0)
        return r;
    if ((r = mv_qemu_build_argv(s->live, &s->ctx, &s->argv, &code, &msg)) < 0)
        return mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot build the QEMU command line");
    return 0;
}

/* Step 3b: the guest's identity, its run directory (with the passphrase
 * files lent in step 2) and its access to the host files it needs
 * (domain_process_isolation.c), recorded before any takes effect; the live
 * labels name it. */
static int isolate(struct start *s, struct mv_err *err)
{
    int r;

    if ((r = qemud_process_isolate(s->dom, s->live, err)) < 0)
        return r;
    record_starting(s);
    if ((r = check_recorded(s, err)) < 0 || (r = qemud_process_grant(s->dom, err)) < 0)
        return r;
    return qemud_seclabels_live(s->live, &s->dom->iso.id);
}

/* Step 4: the processes LIVE needs beside QEMU (sidecar.h), into
 * dom->sidecars, each listening before QEMU starts and each in the status
 * file as soon as it runs; their sockets handed to the guest's identity.
 * Stopped by abort_start() if the start fails. */
static int start_sidecars(struct start *s, struct mv_err *err)
{
    const struct qemud_tpm_dirs tpm_dirs = { .statedir = qemud.paths->statedir };
    struct qemud_dom *dom = s->dom;
    int r;

    if ((r = qemud_fs_start_virtiofsd(&dom->sidecars, dom->name, s->live, &s->fss, s->logfd, err)) < 0 ||
        (r = check_recorded(s, err)) < 0 ||
        (r = qemud_tpm_start(&dom->sidecars, dom->name, dom->uuid_str, s->live, &tpm_dirs, s->logfd, s->tpm_socket,
                             err)) < 0 ||
        (r = check_recorded(s, err)) < 0 || (r = qemud_process_hand_over(dom, s->tpm_socket, err)) < 0)
        return r;
    for (size_t i = 0; i < s->fss.n; i++)
        if (s->fss.paths[i] && (r = qemud_process_hand_over(dom, s->fss.paths[i], err)) < 0)
            return r;
    return 0;
}

/* The guest's cgroup (guest_cgroup.h), its limits from LIVE, and its
 * cgroup.procs opened into *FD for QEMU to join before it executes; -1
 * without a writable cgroup2 hierarchy.  Removed by whatever ends the run. */
static int open_cgroup(const struct start *s, int *fd, struct mv_err *err)
{
    const struct mv_dom_def *live = s->live;
    unsigned long long kib = live->max_memory_kib > live->memory_kib ? live->max_memory_kib : live->memory_kib;
    const char *failed;
    int r = qemud_guest_cgroup_create(s->dom->uuid_str, kib, live->vcpus, fd, &failed);

    /* <cputune> CPU limits (the command line refused them without a cpu controller) */
    if (r >= 0 && *fd >= 0 && (live->cputune.shares || live->cputune.period || live->cputune.quota))
        r = qemud_guest_cgroup_set_cpu(s->dom->uuid_str, live->cputune.shares, live->cputune.period, live->cputune.quota,
                              live->vcpus_current, &failed);
    if (r < 0) {
        if (*fd >= 0) {
            close(*fd);
            *fd = -1;
            qemud_guest_cgroup_remove(s->dom->uuid_str);
        }
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot set up %s of the cgroup '%s/%s' of domain '%s'", failed,
                                qemud_guest_cgroup_parent(), s->dom->uuid_str, s->dom->name);
    }
    return 0;
}

/* Step 5's beginning: QEMU runs from here, our child, in its cgroup and
 * confined (guest_sandbox.h) unless it runs as root; the taps' and the
 * grants' fds are closed after (QEMU has its own copies, its root its bind
 * mounts). */
static int spawn_qemu(struct start *s, pid_t *pid, struct mv_err *err)
{
    _cleanup_(mv_confine_clear) struct mv_confine confine = { 0 };
    _cleanup_close_ int procs = -1;
    _cleanup_free_ char *why = NULL;
    bool confined = s->dom->iso.id.set;
    int r;

    if (confined && (r = qemud_process_confine(s->dom, s->argv[0], s->live, s->ctx.kvm_usable, &confine, err)) < 0)
        return r;
    if (!confined && (r = mv_confine_init(&confine, NULL)) < 0)
        return r;
    if ((r = open_cgroup(s, &procs, err)) < 0)
        return r;
    confine.cgroup_procs_fd = procs;
    s->log_start = lseek(s->logfd, 0, SEEK_END);    /* QEMU's words start after the sidecars' */
    qemud_qemu_log_command(s->logfd, s->argv);
    unlink(s->dom->monitor_path);
    r = spawn(s->argv, s->logfd, s->net_fds, s->live->devices.nnets, confined || procs >= 0 ? &confine : NULL, pid,
              &why);
    if (r < 0)
        mv_err_set(err, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot start domain '%s': %s", s->dom->name,
                   why ? why : strerror(-r));
    qemud_process_close_grant_fds(&s->dom->iso);
    for (size_t i = 0; i < s->live->devices.nnets; i++)
        if (s->net_fds[i] >= 0)
            close(TAKE_FD(s->net_fds[i]));
    return r;
}

/* Steps 1 to 5's spawn: on failure, what ran or was set up is for
 * abort_start() (dom->sidecars, LIVE's taps and ports). */
static int launch(struct start *s, pid_t *pid, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    int r;

    if (!(s->net_fds = malloc((s->live->devices.nnets + 1) * sizeof(int))))
        return -ENOMEM;
    for (size_t i = 0; i < s->live->devices.nnets; i++)
        s->net_fds[i] = -1;
    s->ctx = (struct mv_qemu_cmd_ctx){ .emulator = qemud.emulator, .monitor_path = dom->monitor_path,
                                       .incoming_defer = s->in != NULL };
    /* the domain's directory before any path in it is handed out (abort_start removes it) */
    if ((r = qemud_domain_dir_create(dom->uuid_str)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the directory '%s/%s.d' of domain '%s'", qemud.rundir,
                                dom->uuid_str, dom->name);
    /* host devices and host facts before anything is set up: they change
     * nothing, so a missing piece leaves nothing to undo */
    if ((r = qemud_process_prepare_def(dom, s->live, err)) < 0 ||
        (r = qemud_process_host_facts(s->live, &s->host, &s->ctx, err)) < 0 ||
        (r = lend_host_resources(s, err)) < 0 || (r = build_command(s, err)) < 0)
        return r;
    if ((s->logfd = qemud_qemu_log_open(dom->name, &s->log_start)) < 0)
        return mv_err_set_errno(err, s->logfd, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot open the log file of domain '%s'", dom->name);
    if ((r = isolate(s, err)) < 0 || (r = start_sidecars(s, err)) < 0)
        return r;
    return spawn_qemu(s, pid, err);
}

/* QEMU (PID) becomes the domain's run: its pidfd, start time and an id;
 * then it is recorded (still starting) before its monitor is waited for. */
static int take_child(struct start *s, pid_t pid, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    int pidfd = mv_pidfd_open(pid);     /* our unreaped child: cannot name another process */
    struct qemud_proc_stat stat;
    int r;

    if (pidfd < 0)
        mv_warn("domain '%s': no pidfd for QEMU (pid %d): %s; its exit is polled for",
                dom->name, (int)pid, strerror(errno));
    pthread_mutex_lock(&dom->lock);
    dom->pid = pid;
    dom->pidfd = pidfd;
    dom->own_child = true;
    if (qemud_proc_stat_read(pid, &stat) == 0)
        dom->starttime = stat.starttime;
    r = qemud_registry_assign_id(dom, qemud_registry_next_id());
    if (r == 0)
        qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, QEMUD_PAUSED_STARTING_UP);
    pthread_mutex_unlock(&dom->lock);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "cannot give domain '%s' an id",
                                dom->name);
    record_starting(s);
    return check_recorded(s, err);
}

/* QEMU's monitor answers, or QEMU's own last words explain why not. */
static int await_monitor(struct start *s, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    int r = qemud_monitor_open(dom, MONITOR_OPEN_TIMEOUT_MS, err);

    /* QEMU read its -object secret files before its monitor answered */
    qemud_disk_secrets_remove(&s->secrets);
    if (r == -ESRCH) {
        _cleanup_free_ char *tail = qemud_qemu_log_tail(dom->name, s->log_start);

        mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: QEMU exited while starting domain '%s': %s",
                   dom->name, tail);
    }
    return r;
}

/* The monitor answers: what QEMU chose goes into LIVE, which is published
 * and recorded complete before the guest runs (a daemon dying now
 * re-attaches), then the guest resumes unless PAUSED. */
static int complete_start(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown, bool paused,
                          const struct qemud_incoming *in, struct mv_err *err)
{
    int r;

    if ((r = qemud_process_query_runtime(dom, live, err)) < 0 || (r = qemud_cputune_apply(dom, live, err)) < 0)
        return r;
    if (in && (r = in->load(dom, in->opaque, err)) < 0)
        return r;
    pthread_mutex_lock(&dom->lock);
    dom->live = live;       /* complete now, and never changed again */
    pthread_mutex_unlock(&dom->lock);
    mv_dom_def_free(shown);
    qemud_process_save_status(dom);
    if (!paused && (r = qemud_monitor_command(dom, "cont", NULL, NULL, err)) < 0)
        return r;
    if (paused) {
        pthread_mutex_lock(&dom->lock);
        qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, QEMUD_PAUSED_USER);
        pthread_mutex_unlock(&dom->lock);
    }
    qemud_process_save_status(dom);
    return 0;
}

/* Undoes a start that got as far as dom->pid (0: not spawned).  Every wait
 * is bounded: the job is held, and a QEMU stuck in the kernel (D state)
 * must not hold it forever. */
static void abort_start(struct qemud_dom *dom, struct mv_dom_def *live)
{
    struct mv_dom_def *shown;

    bool lingering = false;

    qemud_monitor_close(dom);
    if (dom->pid > 0 && dom->own_child) {
        kill(dom->pid, SIGKILL);
        if ((lingering = !qemud_qemu_wait_exit(dom, QEMUD_QEMU_KILL_WAIT_MS)))
            qemud_qemu_reap_later(dom->name, dom->pid);
    }
    qemud_sidecars_stop(&dom->sidecars, dom->name);
    qemud_process_release_interfaces(live);
    qemud_process_release_hostdevs(dom->name, live, lingering);
    qemud_process_release_isolation(dom->name, &dom->iso, lingering);
    qemud_store_delete_status(dom->name);
    pthread_mutex_lock(&dom->lock);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    dom->pidfd = -1;
    dom->pid = 0;
    dom->own_child = false;
    shown = dom->live;
    dom->live = NULL;
    dom->starting = false;
    dom->restoring = false;
    qemud_registry_release_id(dom);
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTOFF, QEMUD_SHUTOFF_FAILED);
    pthread_mutex_unlock(&dom->lock);
    if (shown != live)      /* the snapshot shown during the start (the caller frees LIVE) */
        mv_dom_def_free(shown);
    if (dom->monitor_path)
        unlink(dom->monitor_path);     /* an older daemon's path is outside the directory */
    qemud_domain_dir_remove(dom->uuid_str);
    qemud_guest_cgroup_remove(dom->uuid_str);      /* QEMU is gone (or the warning says why not) */
}

static void announce_start(struct qemud_dom *dom, bool paused)
{
    bool restored;
    int id;

    pthread_mutex_lock(&dom->lock);
    id = dom->id;
    dom->starting = false;
    restored = dom->restoring;
    dom->restoring = false;
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_STARTED,
                          restored ? QEMUD_DETAIL_STARTED_RESTORED : QEMUD_DETAIL_STARTED_BOOTED);
    if (paused)
        qemud_event_lifecycle(dom, id, QEMUD_EVENT_SUSPENDED, QEMUD_DETAIL_SUSPENDED_PAUSED);
}

/* Readers see SHOWN while LIVE is filled in (published definitions are
 * immutable: readers format them unlocked); a new run generation. */
static int begin_start(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown, bool restoring)
{
    struct mv_dom_def *old;
    char *monitor;

    /* always today's path: a run adopted from an older daemon kept its own */
    if (!(monitor = qemud_store_monitor_path(dom->uuid_str)))
        return -ENOMEM;
    pthread_mutex_lock(&dom->lock);
    free(dom->monitor_path);
    dom->monitor_path = monitor;
    old = dom->live;
    dom->live = shown;
    dom->run_gen++;
    dom->starting = true;
    dom->restoring = restoring;
    dom->shutdown_requested = dom->shutdown_seen = dom->fake_reboot = dom->pause_requested = false;
    pthread_mutex_unlock(&dom->lock);
    if (old != live)
        mv_dom_def_free(old);
    return 0;
}

/* Up to QEMU's monitor answering; S holds what is freed after. */
static int run_until_monitor(struct start *s, struct mv_err *err)
{
    pid_t pid = 0;
    int r;

    if ((r = launch(s, &pid, err)) < 0 || (r = take_child(s, pid, err)) < 0)
        return r;
    return await_monitor(s, err);
}

int qemud_process_start(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown,
                        bool paused, struct mv_err *err)
{
    return qemud_process_start_incoming(dom, live, shown, paused, NULL, err);
}

int qemud_process_start_incoming(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown,
                                 bool paused, const struct qemud_incoming *in, struct mv_err *err)
{
    struct start s = { .dom = dom, .live = live, .logfd = -1, .in = in };
    int r;

    if (begin_start(dom, live, shown, in != NULL) < 0) {
        mv_dom_def_free(shown);
        mv_dom_def_free(live);
        return -ENOMEM;
    }
    dom->sidecars.recorded = record_starting;
    dom->sidecars.opaque = &s;
    r = run_until_monitor(&s, err);
    dom->sidecars.recorded = NULL;
    dom->sidecars.opaque = NULL;
    start_clear(&s);
    if (r == 0)
        r = complete_start(dom, live, shown, paused, in, err);
    if (r < 0) {
        mv_info("domain '%s' failed to start: %s", dom->name, err->message ? err->message : strerror(-r));
        abort_start(dom, live);
        mv_dom_def_free(live);
        return r;
    }
    mv_info("domain '%s' started (pid %d)", dom->name, (int)dom->pid);
    qemud_agent_open(dom, false);
    announce_start(dom, paused);
    return 0;
}
