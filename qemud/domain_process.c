/* Starting, stopping and re-attaching QEMU processes. */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_events.h"
#include "domain_fs.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "cputune.h"
#include "hostdev_pci.h"
#include "seclabel.h"
#include "domain_task.h"
#include "file.h"
#include "firmware.h"
#include "host_facts.h"
#include "host_memory.h"
#include "host_sysinfo.h"
#include "log.h"
#include "monotime.h"
#include "disk_secret.h"
#include "display_ports.h"
#include "network_port.h"
#include "storage_volume.h"
#include "proc_stat.h"
#include "process.h"
#include "qemu_command.h"
#include "qemud.h"
#include "sidecar.h"
#include "tap.h"
#include "tpm.h"

/* QEMU output quoted in a failed start's error */
#define LOG_TAIL_MAX 1024
#define MONITOR_OPEN_TIMEOUT_MS 30000
#define EXIT_WAIT_AFTER_KILL_MS 5000
/* how long a stop waits for the monitor to read QEMU's last words */
#define MONITOR_DRAIN_MS 1000
/* re-attach: tries to open the monitor of a QEMU found running, each this long */
#define REATTACH_MONITOR_TRIES 2
#define REATTACH_MONITOR_TIMEOUT_MS 5000
/* how often a QEMU without a pidfd is looked at while waiting for its exit */
#define EXIT_POLL_MS 20

/* Whether the process PID of a run we did not start (re-attached) is gone:
 * a zombie (its parent reaps it), missing, or its pid now names another
 * process (STARTTIME differs). */
static bool pid_gone(pid_t pid, unsigned long long starttime)
{
    struct qemud_proc_stat st;

    return qemud_proc_stat_read(pid, &st) < 0 || st.starttime != starttime ||
           st.state == 'Z' || st.state == 'X';
}

/* Reaps our child DOM->pid if it exited within MS: true once it is reaped.
 * From then on DOM's pid may name another process (even another child of
 * ours), so own_child is cleared and it is never waited for or signalled
 * as ours again. */
static bool reap_own(struct qemud_dom *dom, int ms)
{
    int r = mv_process_reap(dom->pid, ms, NULL);

    if (r == 0)
        return false;
    if (r < 0)      /* -ECHILD: someone reaped it; it is gone all the same */
        mv_warn("domain '%s': cannot reap QEMU (pid %d): %s", dom->name, (int)dom->pid, strerror(-r));
    pthread_mutex_lock(&dom->lock);
    dom->own_child = false;
    pthread_mutex_unlock(&dom->lock);
    return true;
}

/* True once DOM's QEMU exited, waiting at most MS.  Our own child is also
 * reaped, at once: until then it is a zombie that still answers kill -0 and
 * holds its pid.  Another's QEMU (re-attached) is watched on its pidfd or,
 * when pidfd_open failed, by polling the pid, never by sleeping the whole MS.
 * Call with the job held (pid, pidfd and starttime do not change). */
static bool wait_exit(struct qemud_dom *dom, int ms)
{
    struct pollfd p = { .fd = dom->pidfd, .events = POLLIN };
    long long deadline = mv_now_ms() + ms;
    int r;

    if (dom->own_child)
        return reap_own(dom, ms);
    if (dom->pidfd >= 0) {
        do
            r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
    }
    for (;;) {
        if (pid_gone(dom->pid, dom->starttime))
            return true;
        if (mv_now_ms() >= deadline)
            return false;
        poll(NULL, 0, EXIT_POLL_MS);
    }
}

/* Sends SIG to DOM's QEMU, never to a process that took its pid: our own
 * unreaped child cannot have lost it; another's QEMU is signalled through
 * its pidfd, or after checking its start time.  Call with the job held. */
static void signal_qemu(struct qemud_dom *dom, int sig)
{
    if (dom->own_child)
        kill(dom->pid, sig);
    else if (dom->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, dom->pidfd, sig, NULL, 0);
    else if (!pid_gone(dom->pid, dom->starttime))
        kill(dom->pid, sig);
}

static void *reap_thread(void *opaque)
{
    pid_t pid = (pid_t)(intptr_t)opaque;

    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* Our child PID outlived the bounded waits of a stop (stuck in the kernel
 * after SIGKILL): a thread of its own waits for it, so that it is reaped
 * whenever it does exit instead of staying a zombie until we exit. */
static void reap_later(const char *name, pid_t pid)
{
    pthread_attr_t attr;
    pthread_t thread;
    int r;

    mv_error("domain '%s': QEMU (pid %d) did not exit within %d ms of SIGKILL; reaping it when it does",
             name, (int)pid, EXIT_WAIT_AFTER_KILL_MS);
    if ((r = pthread_attr_init(&attr)) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&thread, &attr, reap_thread, (void *)(intptr_t)pid);
        pthread_attr_destroy(&attr);
    }
    if (r != 0)
        mv_error("domain '%s': no thread to reap QEMU (pid %d): %s", name, (int)pid, strerror(r));
}

/* ---- the log file ---- */

static int open_log(const char *name, off_t *start)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    int fd;

    if (!path)
        return -ENOMEM;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    *start = lseek(fd, 0, SEEK_END);
    return fd;
}

static void log_command(int fd, char *const *argv)
{
    char stamp[64];
    time_t now = time(NULL);
    struct tm tm;

    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S%z", gmtime_r(&now, &tm));
    dprintf(fd, "%s: starting up\n", stamp);
    for (size_t i = 0; argv[i]; i++)
        dprintf(fd, "%s%s", argv[i], argv[i + 1] ? " \\\n" : "\n");
}

/* QEMU's words since START, trimmed to the last LOG_TAIL_MAX bytes. */
static char *log_tail(const char *name, off_t start)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char *from, *end;

    if (!path || mv_file_read_all(path, 16 * 1024 * 1024, &text, &len) < 0 || (size_t)start > len)
        return strdup("(no output)");
    from = text + start;
    /* skip our own header: the command line ends at the first line without " \" */
    for (char *nl; (nl = strchr(from, '\n'));) {
        bool continued = nl > from && nl[-1] == '\\';
        from = nl + 1;
        if (!continued && strncmp(from, "-", 1) != 0)
            break;
    }
    end = text + len;
    while (end > from && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    if ((size_t)(end - from) > LOG_TAIL_MAX)
        from = end - LOG_TAIL_MAX;
    return end > from ? strndup(from, (size_t)(end - from)) : strdup("(no output)");
}

/* ---- spawning ---- */

static const char *const qemu_env[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", NULL };

/* Runs ARGV in a session of its own with stdout/stderr on LOGFD and the fds
 * in KEEP inherited at their numbers; every other fd of the daemon is closed
 * in QEMU (mv_process_spawn).  The calling thread's CPU affinity is widened
 * to every CPU for the moment: QEMU and its vCPU threads inherit it, and a
 * daemon pinned to one CPU (by an admin or a benchmark) must not pin its
 * guests too. */
static int spawn(char *const *argv, int logfd, const int *keep, size_t nkeep, pid_t *pid)
{
    struct mv_process_spawn_opts opts = {
        .env = qemu_env, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd,
        .keep_fds = keep, .nkeep = nkeep, .new_session = true,
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

/* ---- interfaces ---- */

/* The taps first (the guest's link goes down), then the network ports. */
static void release_interfaces(const struct mv_dom_def *live)
{
    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];

        /* by the ifindex it had: a concurrent start may have reused the name */
        if (net->type != MV_DOM_NET_USER && net->ifname && net->ifindex > 0)
            mv_tap_delete(net->ifname, net->ifindex);
    }
    if (qemud_net_ports_needed(live))
        qemud_net_ports_unplug(qemud.paths, live);
    qemud_display_release(live);
}

static void close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Creates a tap per bridge or network interface (on the bridge of the port
 * netd gave it); FDS[i] is -1 for the others. */
static int create_taps(const char *name, struct mv_dom_def *live, int *fds, struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.nnets; i++) {
        struct mv_dom_net *net = &live->devices.nets[i];
        _cleanup_free_ char *msg = NULL;
        char *ifname = NULL;
        int fd, ifindex = 0;

        fds[i] = -1;
        if (net->type == MV_DOM_NET_USER)
            continue;
        fd = mv_tap_create(net->ifname ? net->ifname : "vnet%d", net->mac,
                           net->type == MV_DOM_NET_NETWORK ? net->bridge : net->source, &ifname, &ifindex, &msg);
        if (fd < 0)
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: cannot start domain '%s': %s", name,
                              msg ? msg : strerror(-fd));
        free(net->ifname);
        net->ifname = ifname;
        net->ifindex = ifindex;
        fds[i] = fd;
    }
    return 0;
}

/* ---- what QEMU chose: pty paths, the VNC port (SPICE: display_ports.c) ---- */

static void fill_pty(struct mv_dom_chr *chrs, size_t n, const char *prefix, json_object *list)
{
    for (size_t i = 0; i < n; i++) {
        char label[32];

        if (chrs[i].type != MV_DOM_CHR_PTY)
            continue;
        snprintf(label, sizeof(label), "char%s%zu", prefix, i);
        for (size_t j = 0; j < json_object_array_length(list); j++) {
            json_object *e = json_object_array_get_idx(list, j), *l, *f;
            const char *fn;

            if (!json_object_object_get_ex(e, "label", &l) || strcmp(json_object_get_string(l), label) != 0 ||
                !json_object_object_get_ex(e, "filename", &f))
                continue;
            fn = json_object_get_string(f);
            if (strncmp(fn, "pty:", 4) == 0) {
                free(chrs[i].path);
                chrs[i].path = strdup(fn + 4);
            }
        }
    }
}

static int query_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    json_object *chardevs = NULL;
    int r;

    if ((r = qemud_monitor_command(dom, "query-chardev", NULL, &chardevs, err)) < 0)
        return r;
    fill_pty(live->devices.serials, live->devices.nserials, "serial", chardevs);
    fill_pty(live->devices.consoles, live->devices.nconsoles, "console", chardevs);
    /* a console of target type serial is serial 0's device: the <serial>'s,
     * or, with no <serial> (virt-install --graphics none writes a lone
     * <console type='pty'/>), the serial 0 QEMU made for the console */
    if (live->devices.nconsoles && live->devices.nserials && !live->devices.consoles[0].path &&
        live->devices.serials[0].path)
        live->devices.consoles[0].path = strdup(live->devices.serials[0].path);
    if (live->devices.nconsoles && !live->devices.nserials && !live->devices.consoles[0].path)
        fill_pty(live->devices.consoles, 1, "serial", chardevs);
    json_object_put(chardevs);
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &live->devices.graphics[i];
        json_object *vnc = NULL, *svc;

        if (g->type != MV_DOM_GRAPHICS_VNC || !g->autoport)
            continue;
        if ((r = qemud_monitor_command(dom, "query-vnc", NULL, &vnc, err)) < 0)
            return r;
        if (json_object_object_get_ex(vnc, "service", &svc))
            g->port = atoi(json_object_get_string(svc));
        json_object_put(vnc);
    }
    return qemud_display_runtime(dom, live, err);
}

/* ---- start ---- */

/* Whether KVM can run LIVE's guest; the probe is slow, so it is only
 * waited for when the domain asks for KVM. */
static bool kvm_usable_for(const struct mv_dom_def *live)
{
    const struct qemud_host_facts *facts;
    const char *msg = NULL;

    if (live->virt != MV_DOM_VIRT_KVM)
        return false;
    facts = qemud_host_facts_get(&msg);
    return facts && facts->kvm_usable;
}

void qemud_process_save_status(struct qemud_dom *dom)
{
    _cleanup_free_ char *xml = qemud_store_status_xml(dom);     /* formats outside dom->lock */

    if (xml)
        qemud_store_write_status(dom->name, xml);
}

/* Undoes a start that got as far as dom->pid (0: not spawned).  Every wait
 * is bounded: the job is held, and a QEMU stuck in the kernel (D state)
 * must not hold it forever. */
static void abort_start(struct qemud_dom *dom, struct mv_dom_def *live)
{
    struct mv_dom_def *shown;

    qemud_monitor_close(dom);
    if (dom->pid > 0 && dom->own_child) {
        kill(dom->pid, SIGKILL);
        if (!wait_exit(dom, EXIT_WAIT_AFTER_KILL_MS))
            reap_later(dom->name, dom->pid);
    }
    qemud_sidecars_stop(&dom->sidecars, dom->name);
    release_interfaces(live);
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
    qemud_registry_release_id(dom);
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTOFF, QEMUD_SHUTOFF_FAILED);
    pthread_mutex_unlock(&dom->lock);
    if (shown != live)      /* the snapshot shown during the start (the caller frees LIVE) */
        mv_dom_def_free(shown);
    if (dom->monitor_path)
        unlink(dom->monitor_path);
}

/* What the sidecars of one start give the command line (freed after it). */
struct sidecar_sockets {
    char *tpm;
};

static void sidecar_sockets_clear(struct sidecar_sockets *s)
{
    free(s->tpm);
}

/* The processes LIVE needs beside QEMU (sidecar.h), into dom->sidecars,
 * each listening before QEMU starts: a part that needs one starts it here
 * and hands its socket path to the command line (virtiofsd: FSS, which
 * names them before; swtpm: SOCKETS).  Stopped by abort_start() if the
 * start fails later. */
static int start_sidecars(struct qemud_dom *dom, struct mv_dom_def *live, const struct qemud_fs_sockets *fss,
                          int logfd, struct sidecar_sockets *sockets, struct mv_err *err)
{
    const struct qemud_tpm_dirs tpm_dirs = { .statedir = qemud.paths->statedir, .rundir = qemud.rundir };
    int r = qemud_fs_start_virtiofsd(&dom->sidecars, dom->name, live, fss, logfd, err);

    if (r < 0)
        return r;
    return qemud_tpm_start(&dom->sidecars, dom->name, dom->uuid_str, live, &tpm_dirs, logfd, &sockets->tpm, err);
}

#define UUID_CHARS (MV_UUID_STRING_LEN - 1)

/* PATH is a socket path assign_channel_paths() gives (RUNDIR/UUID.channelN.sock),
 * whichever domain it was for: the live XML of another guest shows it, and
 * defined again it must not make two guests listen on one socket. */
static bool is_daemon_channel_path(const char *path)
{
    size_t n = strlen(qemud.rundir);
    unsigned int idx;
    int end = 0;

    return strncmp(path, qemud.rundir, n) == 0 && path[n] == '/' && strlen(path + n + 1) > UUID_CHARS &&
           sscanf(path + n + 1 + UUID_CHARS, ".channel%u.sock%n", &idx, &end) == 1 && end > 0 &&
           path[n + 1 + UUID_CHARS + end] == '\0';
}

/* Unix channels the user gave no path get one in the run directory, as the
 * command line needs a socket path for QEMU to listen on. */
static int assign_channel_paths(struct qemud_dom *dom, struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.nchannels; i++) {
        struct mv_dom_chr *ch = &live->devices.channels[i];

        if (ch->type != MV_DOM_CHR_UNIX || (ch->path && !is_daemon_channel_path(ch->path)))
            continue;
        free(ch->path);
        if (asprintf(&ch->path, "%s/%s.channel%zu.sock", qemud.rundir, dom->uuid_str, i) < 0) {
            ch->path = NULL;
            return -ENOMEM;
        }
    }
    return 0;
}

/* What the host offers the guest's memory right now (free huge pages
 * change), and the directory file-backed RAM goes to: QEMU creates and at
 * once unlinks its file there, so nothing is left to clean up. */
static int memory_facts(const struct mv_dom_def *live, struct mv_host_memory *mem, char **ramdir,
                        struct mv_err *err)
{
    int r = mv_host_memory_read(NULL, mem);

    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot read the host's NUMA nodes and huge pages");
    if (live->memory_backing.source != MV_DOM_MEM_SOURCE_FILE)
        return 0;
    if (asprintf(ramdir, "%s/qemu/ram", qemud.paths->statedir) < 0) {
        *ramdir = NULL;
        return -ENOMEM;
    }
    if ((r = mv_mkdir_p(*ramdir, 0700)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create '%s' for the memory of domain '%s'", *ramdir, live->name);
    return 0;
}

/* What the command line needs to know of the host for <cputune> and
 * <seclabel>: the online CPUs (*CPUS, malloc'd) and the LSMs. */
static int host_tuning_facts(const struct mv_dom_def *live, struct mv_qemu_cmd_ctx *ctx, char **cpus,
                             struct mv_err *err)
{
    const struct mv_dom_cputune *t = &live->cputune;

    qemud_host_lsms(&ctx->host_selinux, &ctx->host_apparmor);
    if (!t->nvcpupins && !t->niothreadpins && !t->emulatorpin.n)
        return 0;
    if (!(*cpus = qemud_host_cpus_online()))
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read the host's online "
                                "CPUs to check the <cputune> of domain '%s'", live->name);
    ctx->host_cpus_online = *cpus;
    return 0;
}

/* LIVE's firmware resolved (firmware='efi' chosen from the descriptors,
 * which name canonical machine types) and its variable store created; a
 * store created stays when the start fails later, as the user's would. */
static int prepare_firmware(struct mv_dom_def *live, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    const char *why = NULL, *machine = live->os.machine;
    const struct qemud_host_facts *facts = qemud_host_facts_get(&why);
    int code = MV_ERR_INTERNAL_ERROR, r, i;

    if (!machine && facts)
        machine = facts->qemu.default_machine;
    if (machine && facts && (i = mv_qemu_caps_find_machine(&facts->qemu, machine)) >= 0)
        machine = facts->qemu.machines[i];
    r = mv_firmware_prepare(live, machine ? machine : "pc", qemud.paths->statedir, &code, &msg);
    if (r < 0)
        mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot prepare the firmware");
    return r;
}

static int spawn_domain(struct qemud_dom *dom, struct mv_dom_def *live, pid_t *pid, off_t *log_start,
                        struct qemud_disk_secrets *secrets, struct mv_err *err)
{
    _cleanup_free_ char *host_cpus = NULL;
    _cleanup_free_ int *fds = calloc(live->devices.nnets + 1, sizeof(int));
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_close_ int logfd = -1;
    _cleanup_(mv_dom_sysinfo_clear) struct mv_dom_sysinfo host_sysinfo = { 0 };
    struct mv_qemu_cmd_ctx ctx = { .emulator = qemud.emulator, .monitor_path = dom->monitor_path };
    _cleanup_(mv_host_memory_clear) struct mv_host_memory mem = { 0 };
    _cleanup_free_ char *ramdir = NULL;
    _cleanup_(qemud_fs_sockets_clear) struct qemud_fs_sockets fss = { 0 };
    _cleanup_(sidecar_sockets_clear) struct sidecar_sockets sockets = { 0 };
    int r, code = MV_ERR_INTERNAL_ERROR;

    if (!fds || assign_channel_paths(dom, live) < 0)
        return -ENOMEM;
    /* the firmware first: its store is the only thing it leaves, and kept */
    if ((r = prepare_firmware(live, err)) < 0)
        return r;
    if ((r = qemud_display_prepare(qemud.rundir, dom->uuid_str, dom->name, live, err)) < 0)
        return r;
    /* none known: the command line refuses <smbios mode='host'> by name */
    if (live->os.smbios == MV_DOM_SMBIOS_HOST && mv_host_sysinfo_read(NULL, &host_sysinfo) == 0)
        ctx.host_sysinfo = &host_sysinfo;
    /* the aliases and addresses the live XML shows are the command line's */
    if ((r = mv_dom_assign(live, &code, &msg)) < 0) {
        mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot assign device addresses");
        return r;
    }
    for (size_t i = 0; i < live->devices.nnets; i++)
        fds[i] = -1;
    ctx.kvm_usable = kvm_usable_for(live);
    ctx.accel_cpu_features = qemud_host_accel_cpu_features(ctx.kvm_usable);
    /* host devices and host facts before anything is set up: they change
     * nothing, so a missing piece leaves nothing to undo */
    if ((r = qemud_hostdevs_check(live, err)) < 0 || (r = host_tuning_facts(live, &ctx, &host_cpus, err)) < 0)
        goto out;
    if ((r = qemud_seclabels_live(live)) < 0)
        goto out;
    /* the shared directories and volumes first: one that is not there
     * leaves nothing to undo; then the passphrases of encrypted disks (a volume's resolved
     * path among them); ports before taps: a port names the bridge its tap
     * goes on */
    if ((r = qemud_fs_check_sources(dom->name, live, err)) < 0 ||
        (qemud_disk_volumes_needed(live) && (r = qemud_disk_volumes_resolve(qemud.paths, live, err)) < 0) ||
        (r = qemud_disk_secrets_fetch(qemud.paths, qemud.rundir, dom->uuid_str, live, secrets, err)) < 0 ||
        (qemud_net_ports_needed(live) && (r = qemud_net_ports_plug(qemud.paths, live, err)) < 0) ||
        (r = create_taps(dom->name, live, fds, err)) < 0)
        goto out;
    ctx.net_fds = fds;
    ctx.nnet_fds = live->devices.nnets;
    ctx.disk_secret_files = (const char *const *)secrets->files;
    ctx.ndisk_secret_files = secrets->n;
    if ((r = memory_facts(live, &mem, &ramdir, err)) < 0)
        goto out;
    ctx.host_nodes = mem.nodes;
    ctx.nhost_nodes = mem.nnodes;
    ctx.hugepages = mem.pages;
    ctx.nhugepages = mem.npages;
    ctx.memory_dir = ramdir;
    if ((logfd = open_log(dom->name, log_start)) < 0) {
        r = mv_err_set_errno(err, logfd, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot open the log file of domain '%s'", dom->name);
        goto out;
    }
    if ((r = qemud_fs_sockets_init(&fss, qemud.rundir, dom->uuid_str, live)) < 0)
        goto out;
    ctx.fs_sockets = (const char *const *)fss.paths;
    ctx.nfs_sockets = fss.n;
    if ((r = start_sidecars(dom, live, &fss, logfd, &sockets, err)) < 0)
        goto out;
    ctx.tpm_socket = sockets.tpm;
    if ((r = mv_qemu_build_argv(live, &ctx, &argv, &code, &msg)) < 0) {
        mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot build the QEMU command line");
        goto out;
    }
    *log_start = lseek(logfd, 0, SEEK_END);     /* QEMU's words start after the sidecars' */
    log_command(logfd, argv);
    unlink(dom->monitor_path);
    if ((r = spawn(argv, logfd, fds, live->devices.nnets, pid)) < 0)
        mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot run '%s' for domain '%s'",
                         argv[0], dom->name);
out:
    close_fds(fds, live->devices.nnets);   /* QEMU has its own copies now */
    return r;
}

static void announce_start(struct qemud_dom *dom, bool paused)
{
    int id;

    pthread_mutex_lock(&dom->lock);
    id = dom->id;
    dom->starting = false;
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_STARTED, QEMUD_DETAIL_STARTED_BOOTED);
    if (paused)
        qemud_event_lifecycle(dom, id, QEMUD_EVENT_SUSPENDED, QEMUD_DETAIL_SUSPENDED_PAUSED);
}

int qemud_process_start(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown,
                        bool paused, struct mv_err *err)
{
    struct qemud_proc_stat stat;
    struct qemud_disk_secrets secrets = { 0 };
    pid_t pid = 0;
    off_t log_start = 0;
    struct mv_dom_def *old;
    int r, pidfd;

    /* published definitions are immutable (readers format them unlocked):
     * while LIVE gets its taps, paths and ports, readers see SHOWN */
    if (!dom->monitor_path && !(dom->monitor_path = qemud_store_monitor_path(dom->uuid_str))) {
        mv_dom_def_free(shown);
        mv_dom_def_free(live);
        return -ENOMEM;
    }
    pthread_mutex_lock(&dom->lock);
    old = dom->live;
    dom->live = shown;
    dom->run_gen++;
    dom->starting = true;
    dom->shutdown_requested = dom->shutdown_seen = dom->fake_reboot = dom->pause_requested = false;
    pthread_mutex_unlock(&dom->lock);
    if (old != live)
        mv_dom_def_free(old);

    if ((r = spawn_domain(dom, live, &pid, &log_start, &secrets, err)) < 0)
        goto fail;
    pidfd = mv_pidfd_open(pid);       /* our unreaped child: cannot name another process */
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
    if (r < 0) {
        mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "cannot give domain '%s' an id",
                         dom->name);
        goto fail;
    }

    r = qemud_monitor_open(dom, MONITOR_OPEN_TIMEOUT_MS, err);
    /* QEMU read its -object secret files before its monitor answered */
    qemud_disk_secrets_remove(&secrets);
    if (r < 0) {
        if (r == -ESRCH) {
            _cleanup_free_ char *tail = log_tail(dom->name, log_start);

            mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                       "internal error: QEMU exited while starting domain '%s': %s", dom->name, tail);
        }
        goto fail;
    }
    if ((r = query_runtime(dom, live, err)) < 0 || (r = qemud_cputune_apply(dom, live, err)) < 0)
        goto fail;
    pthread_mutex_lock(&dom->lock);
    dom->live = live;       /* complete now, and never changed again */
    pthread_mutex_unlock(&dom->lock);
    mv_dom_def_free(shown);
    /* on disk before the guest runs: a daemon dying now can still re-attach */
    qemud_process_save_status(dom);
    if (!paused && (r = qemud_monitor_command(dom, "cont", NULL, NULL, err)) < 0)
        goto fail;
    if (paused) {
        pthread_mutex_lock(&dom->lock);
        qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, QEMUD_PAUSED_USER);
        pthread_mutex_unlock(&dom->lock);
    }
    qemud_process_save_status(dom);
    mv_info("domain '%s' started (pid %d)", dom->name, (int)pid);
    announce_start(dom, paused);
    return 0;

fail:
    qemud_disk_secrets_remove(&secrets);
    mv_info("domain '%s' failed to start: %s", dom->name, err->message ? err->message : strerror(-r));
    abort_start(dom, live);
    mv_dom_def_free(live);
    return r < 0 ? r : -EIO;
}

/* ---- stop ---- */

/* A transient domain leaves no TPM state behind unless it asked to keep it
 * (persistent_state='yes', or an `undefine --keep-tpm` while it ran), as
 * in libvirt. */
static void forget_transient(struct qemud_dom *dom, const struct mv_dom_def *live)
{
    if (qemud_tpm_state_goes(live, dom->undefine_flags))
        qemud_tpm_remove_state(qemud.paths->statedir, dom->uuid_str, dom->name);
}

/* Everything after the process is gone: monitor, taps, files, id, state;
 * then the STOPPED event, and a transient domain leaves the registry. */
static void cleanup_stopped(struct qemud_dom *dom, int reason, int detail)
{
    struct mv_dom_def *live;
    int id;
    bool transient;

    qemud_monitor_close(dom);
    /* callers waited for the exit, which reaped our own child: one still
     * unreaped survived SIGKILL, and must not be forgotten */
    if (dom->own_child && dom->pid > 0 && !reap_own(dom, 0))
        reap_later(dom->name, dom->pid);
    pthread_mutex_lock(&dom->lock);
    live = dom->live;
    dom->live = NULL;
    id = dom->id;
    qemud_registry_release_id(dom);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    dom->pidfd = -1;
    dom->pid = 0;
    dom->own_child = false;
    dom->fake_reboot = dom->stopping = false;
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTOFF, reason);
    transient = !dom->def;
    dom->updated = false;
    pthread_mutex_unlock(&dom->lock);

    qemud_sidecars_stop(&dom->sidecars, dom->name);
    release_interfaces(live);
    if (transient)
        forget_transient(dom, live);
    mv_dom_def_free(live);
    qemud_store_delete_status(dom->name);
    if (dom->monitor_path)
        unlink(dom->monitor_path);
    mv_info("domain '%s' stopped", dom->name);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_STOPPED, detail);
    if (transient)
        qemud_registry_remove(dom);
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

    signal_qemu(dom, SIGTERM);
    if (!wait_exit(dom, (int)qemud.destroy_grace_ms)) {
        if (graceful) {
            pthread_mutex_lock(&dom->lock);
            dom->stopping = false;
            pthread_mutex_unlock(&dom->lock);
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: QEMU of domain '%s' (pid %d) did not exit within %u ms of SIGTERM",
                              dom->name, (int)pid, qemud.destroy_grace_ms);
        }
        mv_info("domain '%s': QEMU (pid %d) ignored SIGTERM, sending SIGKILL", dom->name, (int)pid);
        signal_qemu(dom, SIGKILL);
        if (!wait_exit(dom, EXIT_WAIT_AFTER_KILL_MS)) {
            /* like libvirt: not destroyed while the process lives; its
             * exit still ends the domain (the monitor's EOF or the watch) */
            pthread_mutex_lock(&dom->lock);
            dom->stopping = false;
            pthread_mutex_unlock(&dom->lock);
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: QEMU of domain '%s' (pid %d) did not exit within %d ms of SIGKILL",
                              dom->name, (int)pid, EXIT_WAIT_AFTER_KILL_MS);
        }
    }
    qemud_monitor_wait_eof(dom, MONITOR_DRAIN_MS);
    cleanup_stopped(dom, QEMUD_SHUTOFF_DESTROYED, QEMUD_DETAIL_STOPPED_DESTROYED);
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
        if (!wait_exit(dom, (int)qemud.destroy_grace_ms)) {
            mv_warn("domain '%s': QEMU closed its monitor but did not exit; killing it", dom->name);
            signal_qemu(dom, SIGKILL);
            wait_exit(dom, EXIT_WAIT_AFTER_KILL_MS);        /* else cleanup_stopped reaps it later */
        }
        /* the process watch can fire before the monitor read QEMU's last
         * words: its SHUTDOWN event decides shutdown or crash */
        qemud_monitor_wait_eof(dom, MONITOR_DRAIN_MS);
        pthread_mutex_lock(&dom->lock);
        shutdown = dom->shutdown_seen;
        pthread_mutex_unlock(&dom->lock);
        cleanup_stopped(dom, shutdown ? QEMUD_SHUTOFF_SHUTDOWN : QEMUD_SHUTOFF_CRASHED,
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

/* ---- re-attach ---- */

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

static bool same_process(const struct qemud_status *st)
{
    struct qemud_proc_stat now;

    return qemud_proc_stat_read(st->pid, &now) == 0 && now.starttime == st->starttime;
}

static void cleanup_gone(struct qemud_dom *dom, struct qemud_status *st)
{
    mv_info("domain '%s': QEMU (pid %d) exited while the daemon was away; cleaning up",
            dom->name, (int)st->pid);
    /* its sidecars may outlive it (a virtiofsd whose peer went away is
     * gone, an swtpm need not be): adopted, then stopped */
    qemud_sidecars_adopt(&st->sidecars, dom->name);
    qemud_sidecars_stop(&st->sidecars, dom->name);
    if (!dom->def)
        forget_transient(dom, st->live);
    release_interfaces(st->live);
    qemud_store_delete_status(dom->name);
    unlink(st->monitor_path);
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

/* A re-attached guest's taps back on their bridges: a bridge deleted and
 * made anew while qemud was away (its network restarted) lost them. */
static void reattach_taps(const char *name, const struct mv_dom_def *live)
{
    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];
        const char *bridge = net->type == MV_DOM_NET_NETWORK ? net->bridge : net->source;
        _cleanup_free_ char *msg = NULL;
        int r;

        if (net->type == MV_DOM_NET_USER || !net->ifname || net->ifindex <= 0 || !bridge)
            continue;
        r = mv_tap_reattach(net->ifname, net->ifindex, bridge, &msg);
        if (r > 0)
            mv_info("domain '%s': tap '%s' put back on bridge '%s'", name, net->ifname, bridge);
        else if (r < 0)
            mv_warn("domain '%s': %s", name, msg ? msg : strerror(-r));
    }
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
    reattach_taps(dom->name, dom->live);

    for (int i = 0; i < REATTACH_MONITOR_TRIES && r < 0; i++) {
        mv_err_clear(&err);
        r = qemud_monitor_open(dom, REATTACH_MONITOR_TIMEOUT_MS, &err);
        if (r < 0 && wait_exit(dom, 0)) {    /* it exited meanwhile */
            mv_err_clear(&err);
            cleanup_stopped(dom, QEMUD_SHUTOFF_CRASHED, QEMUD_DETAIL_STOPPED_FAILED);
            qemud_job_end(dom);
            return;
        }
    }
    if (r == 0) {
        sync_run_state(dom);
        qemud_process_save_status(dom);
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

int qemud_process_reattach(struct qemud_dom *dom, struct qemud_status *st)
{
    struct mv_err err = { 0 };
    uint64_t gen;
    int pidfd = -1, r;

    qemud_registry_note_id(st->id);     /* ids are not reused, not even a gone guest's */
    if (same_process(st) && (pidfd = mv_pidfd_open(st->pid)) < 0)
        mv_warn("domain '%s': no pidfd for QEMU (pid %d): %s; its exit is polled for",
                dom->name, (int)st->pid, strerror(errno));
    pthread_mutex_lock(&dom->lock);
    dom->pid = st->pid;
    dom->pidfd = pidfd;
    dom->starttime = st->starttime;
    dom->own_child = false;
    pthread_mutex_unlock(&dom->lock);
    if (!same_process(st) || wait_exit(dom, 0)) {   /* a zombie nobody reaped yet is gone too */
        pthread_mutex_lock(&dom->lock);
        if (dom->pidfd >= 0)
            close(dom->pidfd);
        dom->pidfd = -1;
        dom->pid = 0;
        pthread_mutex_unlock(&dom->lock);
        cleanup_gone(dom, st);
        return 0;
    }
    /* nobody else knows DOM yet: the job is free, and callers that come
     * after READY wait for the monitor instead of seeing a half-adopted run */
    qemud_job_begin(dom, "reattach", 0, &err);
    pthread_mutex_lock(&dom->lock);
    dom->live = TAKE_PTR(st->live);
    dom->monitor_path = TAKE_PTR(st->monitor_path);
    dom->sidecars = st->sidecars;
    st->sidecars = (struct qemud_sidecars){ 0 };
    gen = ++dom->run_gen;
    r = adopt_id(dom, st->id);
    qemud_dom_set_state(dom, st->state, st->reason);
    pthread_mutex_unlock(&dom->lock);
    if (r < 0) {
        /* without an id it cannot be active; the QEMU, its taps and its
         * status file are left as they are for the next daemon start */
        mv_error("domain '%s': cannot register QEMU (pid %d): %s; not adopted",
                 dom->name, (int)dom->pid, strerror(-r));
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
        return 0;
    }
    if (qemud_sidecars_adopt(&dom->sidecars, dom->name) > 0)
        mv_warn("domain '%s': runs without a sidecar that exited while the daemon was away", dom->name);
    if (dom->pidfd >= 0 && (r = watch_exit(dom, gen)) < 0)
        mv_warn("domain '%s': cannot watch QEMU (pid %d): %s", dom->name, (int)dom->pid, strerror(-r));
    if (qemud_task_push(reattach_monitor, dom, gen) < 0)
        qemud_job_end(dom);
    return 1;
}
