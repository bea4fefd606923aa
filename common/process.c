/*
 * Running helper programs (see process.h).
 *
 * fork() rather than posix_spawn(): the child must close every fd except a
 * caller-given set that stays at its numbers (QEMU's tap fds), which
 * posix_spawn's file actions cannot say.  Between fork() and execve() the
 * child only makes async-signal-safe calls: everything it needs (argv, envp,
 * the sorted list of fds to keep) is prepared before the fork.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "monotime.h"
#include "process.h"

/* the most fds a caller may keep (QEMU: one per interface, plus a few) */
#define KEEP_MAX 256
/* how often a child is polled for when the kernel has no pidfd */
#define POLL_INTERVAL_MS 10
/* after SIGKILL: how long we wait for the kernel to finish the child off */
#define KILL_REAP_MS 5000
#define STDOUT_DEFAULT_MAX (1u << 20)

static const char *const default_env[] = { "LC_ALL=C", MV_PROCESS_PATH, "HOME=/", NULL };

int mv_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* ---- the child, from fork() to execve() ---- */

/* What a child that failed before execve() writes to the report pipe (one
 * write below PIPE_BUF: atomic, so the parent reads it whole). */
struct child_report {
    int err;
    char step[32];                  /* "execve" or the confinement step */
    char what[512];                 /* the step's target (a mount's path), "" if none */
};

/* What the child needs, prepared before the fork. */
struct child_plan {
    const char *const *argv, *const *envp;
    int stdio[3];                   /* sources for 0, 1, 2 (>= 3) */
    int keep[KEEP_MAX + 1];         /* sorted, >= 3: the caller's fds and the report pipe */
    size_t nkeep;
    int report_fd;                  /* CLOEXEC: carries a child_report back */
    bool new_session;
    const struct mv_confine *confine;
    int fd_limit;                   /* for the close() loop when close_range() is missing */
};

/* Closes every fd >= 3 not in the sorted KEEP list. */
static void child_close_others(const struct child_plan *p)
{
    unsigned int from = 3;

    for (size_t i = 0; i <= p->nkeep; i++) {
        unsigned int to = i < p->nkeep ? (unsigned int)p->keep[i] : UINT_MAX;

        if (to > from) {
            if (syscall(SYS_close_range, from, to - 1, 0) < 0) {
                int last = to == UINT_MAX ? p->fd_limit : (int)to;

                for (int fd = (int)from; fd < last; fd++)
                    close(fd);
            }
        }
        if (to == UINT_MAX)
            break;
        from = to + 1;
    }
}

/* Copies S into DST[SIZE], cut to fit (strlcpy is not in every libc). */
static void copy_cut(char *dst, size_t size, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n >= size)
        n = size - 1;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

static _Noreturn void child_fail(const struct child_plan *p, const char *step, const char *what)
{
    struct child_report rep = { .err = errno };

    copy_cut(rep.step, sizeof(rep.step), step);
    copy_cut(rep.what, sizeof(rep.what), what);
    (void)!write(p->report_fd, &rep, sizeof(rep));
    _exit(127);
}

static _Noreturn void child_exec(const struct child_plan *p)
{
    const char *step = NULL, *what = NULL;
    sigset_t none;

    /* the daemon ignores SIGPIPE and blocks signals in its threads: ignored
     * dispositions and the mask survive execve(), so reset both */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (p->new_session ? setsid() < 0 : setpgid(0, 0) < 0)
        child_fail(p, "setsid", NULL);
    for (int i = 0; i < 3; i++)
        if (dup2(p->stdio[i], i) < 0)
            child_fail(p, "dup2", NULL);
    for (size_t i = 0; i < p->nkeep; i++)
        if (p->keep[i] != p->report_fd && fcntl(p->keep[i], F_SETFD, 0) < 0)
            child_fail(p, "keep-fd", NULL);
    /* before the other fds are closed: the mounts' src_fds and the
     * cgroup.procs fd are among them */
    if (p->confine && (step = mv_confine_apply(p->confine, &what)))
        child_fail(p, step, what);
    child_close_others(p);
    execve(p->argv[0], (char *const *)p->argv, (char *const *)p->envp);
    child_fail(p, "execve", NULL);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Moves FD to a number >= 3 (a copy, CLOEXEC) when it is 0, 1 or 2, so that
 * the child's dup2() onto 0..2 cannot overwrite another source first. */
static int high_fd(int fd, int *copy)
{
    if (fd >= 3)
        return fd;
    *copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return *copy;
}

/* The -errno of a child's REP, and the message naming its step. */
static int report_failure(const char *const argv[], const struct child_report *rep, char **errmsg)
{
    _cleanup_free_ char *q = mv_errmsg_quote(argv[0], strlen(argv[0]), MV_ERRMSG_QUOTE_MAX);
    _cleanup_free_ char *w = NULL;
    int r = -(rep->err ? rep->err : EIO);

    if (strcmp(rep->step, "execve") == 0)
        return mv_errmsg_set(errmsg, r, "cannot run '%s': %s", q, strerror(-r));
    if (!rep->what[0])
        return mv_errmsg_set(errmsg, r, "cannot start '%s': %s failed: %s", q, rep->step, strerror(-r));
    w = mv_errmsg_quote(rep->what, strnlen(rep->what, sizeof(rep->what)), PATH_MAX);
    return mv_errmsg_set(errmsg, r, "cannot confine '%s': %s of '%s' failed: %s",
                         q, rep->step, w ? w : "?", strerror(-r));
}

/* A confinement's src_fds and cgroup.procs fd must survive the child's
 * dup2() onto 0..2. */
static bool confine_fds_ok(const struct mv_confine *c)
{
    if (c && c->cgroup_procs_fd >= 0 && c->cgroup_procs_fd < 3)
        return false;
    for (size_t i = 0; c && i < c->nmounts; i++)
        if (c->mounts[i].src_fd >= 0 && c->mounts[i].src_fd < 3)
            return false;
    return true;
}

int mv_process_spawn(const char *const argv[], const struct mv_process_spawn_opts *opts, pid_t *pid)
{
    _cleanup_close_ int devnull = -1, rep_r = -1, rep_w = -1;
    int copies[3] = { -1, -1, -1 }, src[3], fds[2], r = 0;
    struct child_plan plan = { .argv = argv, .envp = opts->env ? opts->env : default_env,
                               .new_session = opts->new_session, .confine = opts->confine };
    struct child_report rep = { 0 };
    struct rlimit rl;
    ssize_t n;
    pid_t child = -1;

    if (opts->errmsg)
        *opts->errmsg = NULL;
    if (!argv || !argv[0] || argv[0][0] != '/' || opts->nkeep > KEEP_MAX || !confine_fds_ok(opts->confine))
        return -EINVAL;
    src[0] = opts->stdin_fd, src[1] = opts->stdout_fd, src[2] = opts->stderr_fd;
    for (int i = 0; i < 3; i++) {
        if (src[i] < 0) {
            if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
                return -errno;
            src[i] = devnull;
        }
    }
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    rep_r = fds[0], rep_w = fds[1];
    for (int i = 0; i < 3 && r == 0; i++)
        if ((plan.stdio[i] = high_fd(src[i], &copies[i])) < 0)
            r = -errno;
    for (size_t i = 0; i < opts->nkeep && r == 0; i++) {
        if (opts->keep_fds[i] < 0)
            continue;
        if (opts->keep_fds[i] < 3)
            r = -EINVAL;
        plan.keep[plan.nkeep++] = opts->keep_fds[i];
    }
    plan.keep[plan.nkeep++] = plan.report_fd = rep_w;
    qsort(plan.keep, plan.nkeep, sizeof(int), cmp_int);
    plan.fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;

    if (r == 0) {
        child = fork();
        if (child < 0)
            r = -errno;
        else if (child == 0)
            child_exec(&plan);
    }
    for (int i = 0; i < 3; i++)
        if (copies[i] >= 0)
            close(copies[i]);
    if (r < 0)
        return mv_errmsg_set(opts->errmsg, r, "cannot start '%s': %s", argv[0], strerror(-r));

    close(TAKE_FD(rep_w));
    do
        n = read(rep_r, &rep, sizeof(rep));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(rep)) {
        mv_process_reap(child, KILL_REAP_MS, NULL);   /* it _exit()s at once */
        return report_failure(argv, &rep, opts->errmsg);
    }
    *pid = child;
    return 0;
}

/* ---- waiting ---- */

int mv_process_reap(pid_t pid, int ms, int *status)
{
    _cleanup_close_ int pidfd = mv_pidfd_open(pid);
    long long deadline = mv_now_ms() + (ms > 0 ? ms : 0);
    int st;

    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        long long left;

        if (w == pid) {
            if (status)
                *status = st;
            return 1;
        }
        if (w < 0 && errno != EINTR)
            return -errno;
        left = deadline - mv_now_ms();
        if (left <= 0)
            return 0;
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };

            if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
                return -errno;
        } else {
            poll(NULL, 0, left < POLL_INTERVAL_MS ? (int)left : POLL_INTERVAL_MS);
        }
    }
}

int mv_process_kill_reap(pid_t pid, int ms)
{
    if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
        return -errno;
    return mv_process_reap(pid, ms, NULL);
}

/* Whether a process of the group PGID other than PID (its leader, a zombie
 * we have not reaped) has not finished exiting: it may still hold a pipe,
 * a port or a mount.  Members in state Z or X are done (their reaper, PID 1,
 * collects them); /proc lists every process of our pid namespace. */
static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

static bool group_member_running(pid_t pgid)
{
    _cleanup_(closedirp) DIR *proc = opendir("/proc");
    struct dirent *e;

    if (!proc)
        return false;
    while ((e = readdir(proc))) {
        char path[300], buf[512], *p, state;
        _cleanup_close_ int fd = -1;
        ssize_t n;
        long pgrp;

        if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == pgid)
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
            continue;       /* gone meanwhile */
        buf[n] = '\0';
        /* "pid (comm) state ppid pgrp ...": comm may hold ')' and spaces */
        if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %c %*d %ld", &state, &pgrp) != 2)
            continue;
        if (pgrp == pgid && state != 'Z' && state != 'X')
            return true;
    }
    return false;
}

/* Kills the process group of our child PID (its leader) and reaps PID.
 * SIGKILL is only queued by kill(): a member dies when it next runs, which
 * on a loaded host (or with much memory to free) can take a while.  So the
 * leader is waited for without reaping it (a zombie keeps its pid, and so
 * the group id, from being reused), then the other members, then it is
 * reaped: when this returns, every process of the group has exited, unless
 * one is stuck in the kernel for longer than MS. */
static void kill_group_reap(pid_t pid, int ms)
{
    _cleanup_close_ int pidfd = mv_pidfd_open(pid);    /* unreaped: it is PID */
    long long deadline = mv_now_ms() + ms;
    siginfo_t info;

    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);     /* in case it left its group */
    for (;;) {
        long long left = deadline - mv_now_ms();

        info.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
            return;         /* not our child: nothing to reap */
        if (info.si_pid == pid || left <= 0)
            break;
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };

            poll(&p, 1, (int)left);
        } else {
            poll(NULL, 0, POLL_INTERVAL_MS);
        }
    }
    while (group_member_running(pid) && mv_now_ms() < deadline)
        poll(NULL, 0, POLL_INTERVAL_MS);
    mv_process_reap(pid, (int)(deadline > mv_now_ms() ? deadline - mv_now_ms() : 0), NULL);
}

/* ---- running to completion ---- */

void mv_process_result_clear(struct mv_process_result *res)
{
    if (!res)
        return;
    free(res->out);
    *res = (struct mv_process_result){ 0 };
}

const char *mv_process_last_line(struct mv_process_result *res)
{
    char *end = res->err + strlen(res->err), *start;

    while (end > res->err && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    *end = '\0';
    start = memrchr(res->err, '\n', (size_t)(end - res->err));
    return start ? start + 1 : res->err;
}

/* The pipes of one run, parent side. */
struct run_io {
    int out, err, in;               /* -1 once closed */
    const char *input;
    size_t input_len, input_off;
    size_t stdout_max;
    char *buf;
    size_t len, cap;
    char *err_buf;                  /* res->err */
    size_t err_len;
    void (*on_stdout)(const char *chunk, size_t len, void *opaque);
    void *opaque;
};

static void io_close(struct run_io *io)
{
    if (io->out >= 0)
        close(io->out);
    if (io->err >= 0)
        close(io->err);
    if (io->in >= 0)
        close(io->in);
    io->out = io->err = io->in = -1;
}

/* Reads what stdout has; -EFBIG past the cap, -ENOMEM. */
static int read_out(struct run_io *io)
{
    ssize_t n;

    if (io->cap - io->len < 4096) {
        size_t ncap = io->cap ? io->cap * 2 : 16384;
        char *nbuf;

        if (ncap > io->stdout_max + 2)
            ncap = io->stdout_max + 2;
        if (ncap <= io->len + 1)
            return -EFBIG;
        if (!(nbuf = realloc(io->buf, ncap)))
            return -ENOMEM;
        io->buf = nbuf;
        io->cap = ncap;
    }
    n = read(io->out, io->buf + io->len, io->cap - io->len - 1);
    if (n > 0) {
        if (io->on_stdout)
            io->on_stdout(io->buf + io->len, (size_t)n, io->opaque);
        io->len += (size_t)n;
        return io->len > io->stdout_max ? -EFBIG : 1;
    }
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(io->out);
        io->out = -1;
    }
    return 0;
}

/* Reads what stderr has, keeping only its last MV_PROCESS_STDERR_KEEP bytes. */
static int read_err(struct run_io *io)
{
    char tmp[4096];
    ssize_t n = read(io->err, tmp, sizeof(tmp));
    size_t take, drop;

    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(io->err);
            io->err = -1;
        }
        return 0;
    }
    take = (size_t)n > MV_PROCESS_STDERR_KEEP ? MV_PROCESS_STDERR_KEEP : (size_t)n;
    if (io->err_len + take > MV_PROCESS_STDERR_KEEP) {
        drop = io->err_len + take - MV_PROCESS_STDERR_KEEP;
        memmove(io->err_buf, io->err_buf + drop, io->err_len - drop);
        io->err_len -= drop;
    }
    memcpy(io->err_buf + io->err_len, tmp + (size_t)n - take, take);
    io->err_len += take;
    io->err_buf[io->err_len] = '\0';
    return 1;
}

static void write_in(struct run_io *io)
{
    ssize_t w = send(io->in, io->input + io->input_off, io->input_len - io->input_off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);

    if (w > 0)
        io->input_off += (size_t)w;
    if ((w < 0 && errno != EAGAIN && errno != EINTR) || io->input_off == io->input_len) {
        close(io->in);      /* EOF on the child's stdin */
        io->in = -1;
    }
}

/* After the child exited: what is already in the pipes, without waiting for
 * a grandchild (a daemonizing tool) that may hold them open. */
static int drain(struct run_io *io)
{
    int r;

    while (io->out >= 0 && (r = read_out(io)) != 0)
        if (r < 0)
            return r;
    while (io->err >= 0 && read_err(io) > 0)
        ;
    return 0;
}

/* Serves the pipes until the child exits; 0 with *STATUS, or -errno (the
 * caller kills). */
static int run_loop(struct run_io *io, pid_t pid, int pidfd, long long deadline, int *status)
{
    for (;;) {
        struct pollfd pfd[4] = {
            { .fd = io->out, .events = POLLIN }, { .fd = io->err, .events = POLLIN },
            { .fd = io->in, .events = POLLOUT }, { .fd = pidfd, .events = POLLIN },
        };
        long long left = deadline - mv_now_ms();
        pid_t w;
        int r;

        if (left <= 0)
            return -ETIMEDOUT;
        if (pidfd < 0 && left > POLL_INTERVAL_MS)
            left = POLL_INTERVAL_MS;
        if (poll(pfd, 4, (int)left) < 0 && errno != EINTR)
            return -errno;
        if (io->in >= 0 && (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP)))
            write_in(io);
        if (io->out >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && (r = read_out(io)) < 0)
            return r;
        if (io->err >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
            read_err(io);
        if (pidfd >= 0 && !(pfd[3].revents & POLLIN))
            continue;
        w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return drain(io);
        if (w < 0 && errno != EINTR)
            return -errno;
    }
}

/* The message of a child that ran and failed (or -errno R of the run). */
static int describe(const char *const argv[], const struct mv_process_run_opts *opts,
                    struct mv_process_result *res, int r, char **errmsg)
{
    _cleanup_free_ char *q = NULL;
    const char *line, *sep;

    if (r == 0 && WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0)
        return 0;
    q = mv_errmsg_quote(argv[0], strlen(argv[0]), MV_ERRMSG_QUOTE_MAX);
    line = mv_process_last_line(res);
    sep = *line ? ": " : "";
    if (r == -ETIMEDOUT)
        return mv_errmsg_set(errmsg, r, "'%s' did not finish within %d ms and was killed%s%s",
                             q, opts->timeout_ms, sep, line);
    if (r == -EFBIG)
        return mv_errmsg_set(errmsg, r, "'%s' wrote more than %zu bytes of output and was killed",
                             q, opts->stdout_max ? opts->stdout_max : STDOUT_DEFAULT_MAX);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot run '%s': %s", q, strerror(-r));
    if (WIFSIGNALED(res->status))
        return mv_errmsg_set(errmsg, -EIO, "'%s' was killed by signal %d%s%s",
                             q, WTERMSIG(res->status), sep, line);
    return mv_errmsg_set(errmsg, -EIO, "'%s' exited with status %d%s%s", q,
                         WIFEXITED(res->status) ? WEXITSTATUS(res->status) : -1, sep, line);
}

/* Opens the parent's ends and the child's stdio for a run. */
static int open_pipes(struct run_io *io, const struct mv_process_run_opts *opts, int child[3])
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    io->out = fds[0], child[1] = fds[1];
    /* the child's ends must block: only the parent's are non-blocking */
    if (fcntl(child[1], F_SETFL, 0) < 0 || pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    io->err = fds[0], child[2] = fds[1];
    if (fcntl(child[2], F_SETFL, 0) < 0)
        return -errno;
    if (opts->input) {
        /* a socket, not a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE here */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            return -errno;
        io->in = fds[0], child[0] = fds[1];
        io->input = opts->input;
        io->input_len = strlen(opts->input);
        if (io->input_len == 0) {
            close(io->in);
            io->in = -1;
        }
    }
    return 0;
}

int mv_process_run(const char *const argv[], const struct mv_process_run_opts *opts,
                   struct mv_process_result *res, char **errmsg)
{
    struct run_io io = { .out = -1, .err = -1, .in = -1, .err_buf = res->err,
                         .stdout_max = opts->stdout_max ? opts->stdout_max : STDOUT_DEFAULT_MAX,
                         .on_stdout = opts->on_stdout, .opaque = opts->opaque };
    int child[3] = { -1, -1, -1 }, r, pidfd = -1;
    struct mv_process_spawn_opts so = { .env = opts->env, .keep_fds = opts->keep_fds,
                                        .nkeep = opts->nkeep };
    long long deadline = mv_now_ms() + opts->timeout_ms;
    pid_t pid = 0;

    *res = (struct mv_process_result){ 0 };
    if (!argv || !argv[0] || opts->timeout_ms <= 0)
        return -EINVAL;
    r = open_pipes(&io, opts, child);
    if (r == 0) {
        so.stdin_fd = child[0], so.stdout_fd = child[1], so.stderr_fd = child[2];
        r = mv_process_spawn(argv, &so, &pid);
    }
    for (int i = 0; i < 3; i++)
        if (child[i] >= 0)
            close(child[i]);
    if (r == 0) {
        pidfd = mv_pidfd_open(pid);    /* our unreaped child: cannot be another process */
        r = run_loop(&io, pid, pidfd, deadline, &res->status);
        if (pidfd >= 0)
            close(pidfd);
        if (r < 0)
            kill_group_reap(pid, KILL_REAP_MS);     /* grandchildren too */
        else
            res->exited = true;
    }
    io_close(&io);
    if (r == 0 && !io.buf && !(io.buf = calloc(1, 1)))
        r = -ENOMEM;
    if (io.buf)
        io.buf[io.len] = '\0';
    res->out = io.buf;
    res->out_len = io.len;
    return describe(argv, opts, res, r, errmsg);
}
