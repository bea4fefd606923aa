/*
 * A network's dnsmasq process: start, find, stop, reload.  Its death is
 * watched by the driver (network_watch.c), not here.
 *
 * dnsmasq daemonizes itself (no --keep-in-foreground): the process we run
 * forks the daemon, which starts a session of its own and is parented by
 * init, so dnsmasq outlives a netd that dies or restarts, and netd finds it
 * again through the pid file.  dnsmasq's launcher exits only after the
 * daemon has finished starting (written its pid file, opened its sockets
 * and lease file, dropped to its user), with status 0, or with dnsmasq's
 * own message on stderr and a non-zero status when it failed.  Waiting for
 * the launcher (mv_process_run, a pidfd) is therefore the readiness event:
 * no polling of the pid file, and the error a user sees is dnsmasq's.
 *
 * A pid is trusted only while /proc/PID/cmdline names our NAME.conf, so a
 * stale pid file or a recycled pid never gets a signal from us; signals go
 * through a pidfd opened before that check, so the pid cannot be recycled
 * between the check and the kill.
 *
 * dnsmasq opens its lease file and pid file as root before dropping to its
 * user and keeps the lease file open, so those may stay root's.  The hosts
 * files it re-reads on SIGHUP as its user: they are 0644 in a 0755
 * directory.
 */
#define MV_LOG_MODULE "netd.dnsmasq"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "monotime.h"
#include "paths.h"
#include "process.h"

/* how long dnsmasq may take to start (it reads its lease file first) */
#define START_MS 20000
/* how long it may take to exit after SIGTERM, then after SIGKILL */
#define TERM_MS 5000
#define KILL_MS 5000
/* without pidfds (kernel < 5.3) a non-child's exit can only be polled */
#define POLL_INTERVAL_MS 10
#define CMDLINE_MAX (64 * 1024)
#define PIDFILE_MAX 64

const char *mv_dnsmasq_default_user(void)
{
    char buf[4096];
    struct passwd pw, *res = NULL;

    return getpwnam_r("dnsmasq", &pw, buf, sizeof(buf), &res) == 0 && res ? "dnsmasq" : "nobody";
}

static char *file_path(const struct mv_dnsmasq_paths *paths, const char *name, const char *suffix)
{
    char *p;

    return asprintf(&p, "%s/%s.%s", paths->dir, name, suffix) < 0 ? NULL : p;
}

static int pidfd_signal(int pidfd, pid_t pid, int sig)
{
    if (pidfd < 0)
        return kill(pid, sig) < 0 ? -errno : 0;
#ifdef SYS_pidfd_send_signal
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
#else
    return kill(pid, sig) < 0 ? -errno : 0;
#endif
}

/* True if PID is a live process started with --conf-file=CONF (a zombie's
 * cmdline is empty, so it does not count). */
static bool cmdline_has_conf(pid_t pid, const char *conf)
{
    _cleanup_free_ char *path = NULL, *cmd = NULL, *want = NULL;
    size_t len;

    if (asprintf(&path, "/proc/%d/cmdline", (int)pid) < 0 ||
        asprintf(&want, "--conf-file=%s", conf) < 0 ||
        mv_file_read_all(path, CMDLINE_MAX, &cmd, &len) < 0)
        return false;
    for (size_t off = 0; off < len; off += strlen(cmd + off) + 1)
        if (strcmp(cmd + off, want) == 0)
            return true;
    return false;
}

/* The pid in PATH, or 0 if there is none that parses. */
static pid_t read_pidfile(const char *path)
{
    _cleanup_free_ char *text = NULL;
    char *end;
    long v;

    if (mv_file_read_all(path, PIDFILE_MAX, &text, NULL) < 0)
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n') || v <= 1 || v > 0x3fffffff)
        return 0;
    return (pid_t)v;
}

pid_t mv_dnsmasq_find(const char *name, const struct mv_dnsmasq_paths *paths)
{
    _cleanup_free_ char *pidfile = file_path(paths, name, "pid");
    _cleanup_free_ char *conf = file_path(paths, name, "conf");
    pid_t pid;

    if (!pidfile || !conf)
        return 0;
    pid = read_pidfile(pidfile);
    return pid > 0 && cmdline_has_conf(pid, conf) ? pid : 0;
}

/* A pidfd for PID if it is network NAME's dnsmasq (-1 and errno ENOSYS
 * without pidfds: then the pid alone, checked just before use); -ESRCH if
 * it is not (any more). */
static int open_ours(pid_t pid, const char *conf, int *pidfd)
{
    *pidfd = mv_pidfd_open(pid);
    if (*pidfd < 0 && errno != ENOSYS)
        return -errno;
    if (!cmdline_has_conf(pid, conf)) {
        if (*pidfd >= 0)
            close(*pidfd);
        *pidfd = -1;
        return -ESRCH;
    }
    return 0;
}

/* Waits at most MS for PID (PIDFD, or -1) to exit: 1 gone, 0 still there. */
static int wait_exit(int pidfd, pid_t pid, const char *conf, int ms)
{
    long long deadline = mv_now_ms() + ms;

    for (;;) {
        long long left = deadline - mv_now_ms();
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        if (pidfd < 0 && !cmdline_has_conf(pid, conf))
            return 1;
        if (left <= 0)
            return 0;
        if (pidfd < 0)
            left = left < POLL_INTERVAL_MS ? left : POLL_INTERVAL_MS;
        if (poll(&p, pidfd < 0 ? 0 : 1, (int)left) > 0)
            return 1;
    }
}

/* Reaps PID if it is our child (a dnsmasq that did not daemonize, or one
 * started by a test that is its subreaper); a no-op otherwise. */
static void reap_if_child(int pidfd, pid_t pid)
{
    siginfo_t si;

    if (pidfd >= 0)
        (void)waitid(P_PIDFD, pidfd, &si, WEXITED | WNOHANG);
    else
        (void)waitpid(pid, NULL, WNOHANG);
}

/* SIGTERM, then SIGKILL if it lingers; 0 once PID is gone. */
static int terminate(pid_t pid, const char *conf)
{
    _cleanup_close_ int pidfd = -1;
    int r = open_ours(pid, conf, &pidfd);

    if (r == -ESRCH)
        return 0;               /* gone already, or not ours: nothing to stop */
    if (r < 0)
        return r;
    if ((r = pidfd_signal(pidfd, pid, SIGTERM)) < 0)
        return r == -ESRCH ? 0 : r;
    if (wait_exit(pidfd, pid, conf, TERM_MS) == 0) {
        (void)pidfd_signal(pidfd, pid, SIGKILL);
        if (wait_exit(pidfd, pid, conf, KILL_MS) == 0)
            return -ETIMEDOUT;
    }
    reap_if_child(pidfd, pid);
    return 0;
}

static void remove_files(const char *name, const struct mv_dnsmasq_paths *paths, bool keep_leases)
{
    static const char *const suffixes[] = { "conf", "pid", "hostsfile", "addnhosts", "leases" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(suffixes); i++) {
        _cleanup_free_ char *p = NULL;

        if (keep_leases && strcmp(suffixes[i], "leases") == 0)
            continue;
        if ((p = file_path(paths, name, suffixes[i])))
            (void)unlink(p);
    }
}

int mv_dnsmasq_stop(const char *name, pid_t pid, const struct mv_dnsmasq_paths *paths,
                    bool keep_leases)
{
    _cleanup_free_ char *conf = file_path(paths, name, "conf");
    int r = 0;

    if (!conf)
        return -ENOMEM;
    /* a pid that is not (any more) this network's dnsmasq: the pid file may
     * know a newer one */
    if (pid <= 0 || !cmdline_has_conf(pid, conf))
        pid = mv_dnsmasq_find(name, paths);
    if (pid > 0)
        r = terminate(pid, conf);
    if (r == 0)
        remove_files(name, paths, keep_leases);
    return r;
}

/* Writes TEXT to DIR/NAME.SUFFIX, readable by dnsmasq's user. */
static int write_file(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                      const char *suffix, const char *text, char **errmsg)
{
    _cleanup_free_ char *path = file_path(paths, def->name, suffix);
    int r;

    if (!path)
        return -ENOMEM;
    r = mv_file_write_atomic(path, text, strlen(text), 0644);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot write %s for network '%s': %s", path, def->name,
                             strerror(-r));
    return 0;
}

static int write_hosts_files(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                             char **errmsg)
{
    _cleanup_free_ char *hosts = NULL, *addn = NULL;
    int r;

    if ((r = mv_dnsmasq_hostsfile(def, &hosts, errmsg)) < 0 ||
        (r = mv_dnsmasq_addnhosts(def, &addn, errmsg)) < 0 ||
        (r = write_file(def, paths, "hostsfile", hosts, errmsg)) < 0 ||
        (r = write_file(def, paths, "addnhosts", addn, errmsg)) < 0)
        return r;
    return 0;
}

static int write_files(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                       char **errmsg)
{
    _cleanup_free_ char *conf = NULL;
    int r;

    if ((r = mv_dnsmasq_conf(def, paths, &conf, errmsg)) < 0 ||
        (r = write_hosts_files(def, paths, errmsg)) < 0 ||
        (r = write_file(def, paths, "conf", conf, errmsg)) < 0)
        return r;
    return 0;
}

/* 0 if USER (with its primary group) can read PATH, found by trying it
 * in a child that becomes USER: exact for modes, ACLs and every parent
 * directory.  dnsmasq re-reads its hosts files as USER on each SIGHUP, and
 * a file it cannot read there fails silently (it logs, and keeps the old
 * entries), so a directory it cannot reach is refused at start. */
static int check_user_reads(const char *user, const char *path, const char *net, char **errmsg)
{
    char buf[4096];
    struct passwd pw, *res = NULL;
    pid_t pid;
    int status;

    if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
        return mv_errmsg_set(errmsg, -ENOENT, "cannot start dnsmasq for network '%s': its user "
                             "'%s' does not exist", net, user);
    pid = fork();
    if (pid < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot start dnsmasq for network '%s': fork: %s",
                             net, strerror(errno));
    if (pid == 0) {
        /* raw syscalls: the child of a threaded daemon stays away from glibc's setxid */
        if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setgid, pw.pw_gid) < 0 ||
            syscall(SYS_setuid, pw.pw_uid) < 0)
            _exit(2);
        _exit(access(path, R_OK) == 0 ? 0 : 1);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return mv_errmsg_set(errmsg, -EACCES, "cannot start dnsmasq for network '%s': its user '%s' "
                         "cannot read %s, which it re-reads on each update (is a directory "
                         "above it not searchable by others?)", net, user, path);
}

/* Runs dnsmasq's launcher and waits for it: see the top of the file. */
/* dnsmasq lists the host's interfaces at startup and gives up ("failed to
 * find list of interfaces: No such device") if one vanishes meanwhile: a
 * guest's tap or another network's bridge going away at that moment.  A
 * race with the rest of the host, not a fault in the network: try again. */
#define LAUNCH_TRIES 3

static bool interfaces_raced(const char *msg)
{
    return msg && strstr(msg, "failed to find list of interfaces");
}

static int launch(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                  const char *conf, pid_t *pid, char **errmsg)
{
    _cleanup_free_ char *arg = NULL, *pidfile = file_path(paths, def->name, "pid");
    _cleanup_free_ char *msg = NULL;
    const char *argv[] = { paths->binary, NULL, NULL };
    struct mv_process_result res;
    struct mv_process_run_opts opts = { .timeout_ms = START_MS };
    pid_t stray;
    int r;

    if (!pidfile || asprintf(&arg, "--conf-file=%s", conf) < 0)
        return -ENOMEM;
    argv[1] = arg;
    for (int i = 0; i < LAUNCH_TRIES; i++) {
        free(msg);
        msg = NULL;
        r = mv_process_run(argv, &opts, &res, &msg);
        mv_process_result_clear(&res);
        if (r == 0 || !interfaces_raced(msg))
            break;
        mv_warn("network '%s': dnsmasq lost a race with an interface going away; starting it again",
                def->name);
    }
    if (r < 0) {
        /* a launcher killed at the deadline may leave a daemon half started */
        if ((stray = mv_dnsmasq_find(def->name, paths)) > 0)
            (void)terminate(stray, conf);
        return mv_errmsg_set(errmsg, r, "cannot start dnsmasq for network '%s': %s", def->name,
                             msg ? msg : strerror(-r));
    }
    *pid = read_pidfile(pidfile);
    if (*pid <= 0 || !cmdline_has_conf(*pid, conf))
        return mv_errmsg_set(errmsg, -ESRCH, "dnsmasq for network '%s' started but is not "
                             "running with %s (pid file %s)", def->name, conf, pidfile);
    return 0;
}

int mv_dnsmasq_start(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                     pid_t *pid, char **errmsg)
{
    struct mv_dnsmasq_paths p = *paths;
    _cleanup_free_ char *conf = file_path(paths, def->name, "conf");
    _cleanup_free_ char *pidfile = file_path(paths, def->name, "pid");
    _cleanup_free_ char *hosts = file_path(paths, def->name, "hostsfile");
    pid_t running;
    int r;

    if (!conf || !pidfile || !hosts)
        return -ENOMEM;
    if (!p.user)
        p.user = mv_dnsmasq_default_user();
    if ((running = mv_dnsmasq_find(def->name, &p)) > 0)
        return mv_errmsg_set(errmsg, -EEXIST, "dnsmasq for network '%s' is already running "
                             "(pid %d)", def->name, (int)running);
    /* dnsmasq's user re-reads the hosts files on SIGHUP: the directory must let it in */
    if ((r = mv_mkdir_p(p.dir, 0755)) < 0 || (r = mv_mkdir_p(p.logdir, 0755)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot create %s or %s for network '%s': %s", p.dir,
                             p.logdir, def->name, strerror(-r));
    (void)unlink(pidfile);      /* a stale one must not pass for the new daemon's */
    r = write_files(def, &p, errmsg);
    if (r == 0 && geteuid() == 0)       /* only root has a user to drop to */
        r = check_user_reads(p.user, hosts, def->name, errmsg);
    if (r == 0)
        r = launch(def, &p, conf, pid, errmsg);
    if (r < 0)
        remove_files(def->name, &p, true);
    return r;
}

int mv_dnsmasq_reload(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                      pid_t pid, char **errmsg)
{
    _cleanup_free_ char *conf = file_path(paths, def->name, "conf");
    _cleanup_close_ int pidfd = -1;
    int r;

    if (!conf)
        return -ENOMEM;
    if ((r = write_hosts_files(def, paths, errmsg)) < 0)
        return r;
    if ((r = open_ours(pid, conf, &pidfd)) < 0 || (r = pidfd_signal(pidfd, pid, SIGHUP)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot tell dnsmasq (pid %d) of network '%s' to "
                             "reload: %s", (int)pid, def->name,
                             r == -ESRCH ? "it is not running" : strerror(-r));
    return 0;
}
