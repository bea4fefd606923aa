/* Sidecar processes of a domain: start with a listening socket, reap, stop, re-attach. */
#define MV_LOG_MODULE "qemud.sidecar"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "monotime.h"
#include "proc_stat.h"
#include "xml.h"
#include "process.h"
#include "sidecar.h"

/* how long a SIGKILLed sidecar is waited for before its thread is left to reap it */
#define KILL_WAIT_MS 5000
/* between bind() and listen() no inotify event comes: looked at this often */
#define READY_POLL_MS 10
/* an adopted sidecar without a pidfd is looked at this often while waiting for its exit */
#define EXIT_POLL_MS 20
/* the sidecar's last words quoted in a failed start's error */
#define LOG_QUOTE_MAX 512

/* ---- our own child: a thread reaps it the moment it exits ---- */

struct qemud_sidecar_child {
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* signalled once reaped */
    pid_t pid;
    bool reaped;
    int status;                     /* waitpid() status once reaped */
    int refs;                       /* the sidecar's and the thread's */
    char *label;                    /* "'swtpm' (pid N) of domain 'D'" for the thread's log line */
};

static void child_unref(struct qemud_sidecar_child *c)
{
    bool last;

    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    last = --c->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->label);
    free(c);
}

/* Waits for the exit without reaping (WNOWAIT), then reaps under the lock:
 * a signaller holding the lock either sees REAPED or signals a process
 * whose pid cannot have been reused yet. */
static void *reaper_main(void *opaque)
{
    struct qemud_sidecar_child *c = opaque;
    siginfo_t si;
    int status = 0;

    while (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&c->lock);
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    c->reaped = true;
    c->status = status;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (WIFSIGNALED(status))
        mv_info("sidecar %s was killed by signal %d", c->label, WTERMSIG(status));
    else
        mv_info("sidecar %s exited with status %d", c->label, WEXITSTATUS(status));
    child_unref(c);
    return NULL;
}

static struct qemud_sidecar_child *child_watch(pid_t pid, const char *prog, const char *domname)
{
    struct qemud_sidecar_child *c = calloc(1, sizeof(*c));
    pthread_condattr_t ca;
    pthread_attr_t attr;
    pthread_t thread;
    int r;

    if (!c || asprintf(&c->label, "'%s' (pid %d) of domain '%s'", prog, (int)pid, domname) < 0) {
        free(c);
        return NULL;
    }
    c->pid = pid;
    c->refs = 2;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    if ((r = pthread_attr_init(&attr)) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&thread, &attr, reaper_main, c);
        pthread_attr_destroy(&attr);
    }
    if (r != 0) {
        c->refs = 1;
        child_unref(c);
        return NULL;
    }
    return c;
}

static void child_signal(struct qemud_sidecar_child *c, int sig)
{
    pthread_mutex_lock(&c->lock);
    if (!c->reaped)
        kill(c->pid, sig);
    pthread_mutex_unlock(&c->lock);
}

/* True once reaped, waiting at most MS. */
static bool child_wait(struct qemud_sidecar_child *c, int ms)
{
    struct timespec until;
    bool reaped;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    while (!c->reaped && pthread_cond_timedwait(&c->cond, &c->lock, &until) != ETIMEDOUT)
        ;
    reaped = c->reaped;
    pthread_mutex_unlock(&c->lock);
    return reaped;
}

/* ---- an adopted sidecar (after a daemon restart): not our child ---- */

/* True once the adopted SC is known gone, waiting at most MS.  Without a
 * pidfd /proc is polled; a look that cannot tell counts as "still runs":
 * a wrong "gone" would drop a running process and unlink its socket. */
static bool adopted_wait(struct qemud_sidecar *sc, int ms)
{
    long long deadline = mv_now_ms() + ms;
    struct pollfd p = { .fd = sc->pidfd, .events = POLLIN };
    int r, why;

    if (sc->pidfd >= 0) {
        do
            r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
    }
    for (;;) {
        if (qemud_proc_presence(sc->pid, sc->starttime, &why) == QEMUD_PRESENCE_GONE)
            return true;
        if (mv_now_ms() >= deadline)
            return false;
        poll(NULL, 0, EXIT_POLL_MS);
    }
}

/* Signals the adopted SC, never a process that took its pid: through the
 * pidfd, or after /proc confirmed it is the same process. */
static void adopted_signal(struct qemud_sidecar *sc, int sig)
{
    int why;

    if (sc->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, sc->pidfd, sig, NULL, 0);
    else if (qemud_proc_presence(sc->pid, sc->starttime, &why) == QEMUD_PRESENCE_SAME)
        kill(sc->pid, sig);
}

/* ---- either kind ---- */

static void sc_signal(struct qemud_sidecar *sc, int sig)
{
    if (sc->child)
        child_signal(sc->child, sig);
    else
        adopted_signal(sc, sig);
}

static bool sc_wait(struct qemud_sidecar *sc, int ms)
{
    return sc->child ? child_wait(sc->child, ms) : adopted_wait(sc, ms);
}

bool qemud_sidecar_alive(struct qemud_sidecar *sc)
{
    return !sc_wait(sc, 0);
}

static void sc_free(struct qemud_sidecar *sc)
{
    child_unref(sc->child);
    if (sc->pidfd >= 0)
        close(sc->pidfd);
    free(sc->id);
    free(sc->prog);
    free(sc->socket_path);
    memset(sc, 0, sizeof(*sc));
    sc->pidfd = -1;
}

/* Whether an adopted SC without a pidfd cannot be told from another
 * process right now (logged): it can then be neither signalled nor waited
 * for, and its socket may still be in use. */
static bool cannot_tell(struct qemud_sidecar *sc, const char *domname, const char *what)
{
    int why;

    if (sc->child || sc->pidfd >= 0 || qemud_proc_presence(sc->pid, sc->starttime, &why) != QEMUD_PRESENCE_UNKNOWN)
        return false;
    mv_error("domain '%s': cannot tell whether sidecar '%s' (pid %d) still runs: cannot read /proc/%d/stat: %s; "
             "%s", domname, sc->prog, (int)sc->pid, (int)sc->pid, strerror(-why), what);
    return true;
}

/* SIGTERM, SIGKILL after the grace period; removes the socket once it is gone. */
static void sc_stop(struct qemud_sidecar *sc, const char *domname)
{
    if (cannot_tell(sc, domname, "not stopped, its socket left"))
        return;
    if (!sc_wait(sc, 0)) {
        sc_signal(sc, SIGTERM);
        if (!sc_wait(sc, QEMUD_SIDECAR_TERM_MS)) {
            mv_info("domain '%s': sidecar '%s' (pid %d) ignored SIGTERM, sending SIGKILL", domname, sc->prog,
                    (int)sc->pid);
            sc_signal(sc, SIGKILL);
            if (!sc_wait(sc, KILL_WAIT_MS))
                mv_error("domain '%s': sidecar '%s' (pid %d) did not exit within %d ms of SIGKILL%s", domname,
                         sc->prog, (int)sc->pid, KILL_WAIT_MS, sc->child ? "; reaping it when it does" : "");
        }
    }
    if (sc->socket_path)
        unlink(sc->socket_path);
}

/* ---- readiness: the socket listens ---- */

/* Whether a listening Unix socket is bound to PATH: /proc/net/unix lists
 * it with the __SO_ACCEPTCON flag (0x10000) once listen() was called. */
static bool socket_listens(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/unix", "re");
    char line[PATH_MAX + 128];

    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        unsigned long flags;
        int off = 0;

        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%*x: %*x %*x %lx %*x %*x %*u %n", &flags, &off) < 1 || off == 0)
            continue;
        if ((flags & 0x10000) && strcmp(line + off, path) == 0)
            return true;
    }
    return false;
}

/* Waits until SPEC's socket listens, the child exits, or the deadline:
 * 0, -ECHILD (exited) or -ETIMEDOUT.  Woken by inotify when the socket
 * file appears, and looks again every READY_POLL_MS for listen(). */
static int wait_ready(struct qemud_sidecar_child *c, const char *path, int ms)
{
    _cleanup_free_ char *dir = strdup(path);
    _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    long long deadline = mv_now_ms() + ms;

    if (dir && in >= 0)
        inotify_add_watch(in, dirname(dir), IN_CREATE | IN_MOVED_TO | IN_ATTRIB);
    for (;;) {
        long long left = deadline - mv_now_ms();
        struct pollfd p = { .fd = in, .events = POLLIN };
        char buf[4096];

        if (socket_listens(path))
            return 0;
        if (child_wait(c, 0))
            return -ECHILD;
        if (left <= 0)
            return -ETIMEDOUT;
        if (poll(&p, in >= 0 ? 1 : 0, (int)(left < READY_POLL_MS ? left : READY_POLL_MS)) > 0)
            while (read(in, buf, sizeof(buf)) > 0)
                ;
    }
}

/* The last non-empty line LOG_FD got since START, or NULL.  The log is
 * open for writing only: it is read through a second open of the file. */
static char *log_last_line(int log_fd, off_t start)
{
    char buf[LOG_QUOTE_MAX + 1], path[64];
    off_t end = log_fd >= 0 ? lseek(log_fd, 0, SEEK_END) : -1;
    _cleanup_close_ int fd = -1;
    off_t from;
    ssize_t n;
    char *nl;

    if (start < 0 || end <= start)
        return NULL;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", log_fd);
    from = end - start > LOG_QUOTE_MAX ? end - LOG_QUOTE_MAX : start;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = pread(fd, buf, (size_t)(end - from), from)) <= 0)
        return NULL;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    nl = strrchr(buf, '\n');
    return n > 0 ? strdup(nl ? nl + 1 : buf) : NULL;
}

static int start_failed(struct qemud_sidecar_child *c, int r, const char *domname,
                        const struct qemud_sidecar_spec *spec, off_t log_start, struct mv_err *err)
{
    _cleanup_free_ char *said = NULL;
    char why[128];

    if (r == -ETIMEDOUT) {
        child_signal(c, SIGKILL);
        if (!child_wait(c, KILL_WAIT_MS))
            mv_error("domain '%s': sidecar %s did not exit after SIGKILL; reaping it when it does", domname,
                     spec->argv[0]);
        snprintf(why, sizeof(why), "did not listen within %d ms", spec->ready_ms ? spec->ready_ms : QEMUD_SIDECAR_READY_MS);
    } else if (WIFSIGNALED(c->status)) {
        snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(c->status));
    } else {
        snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(c->status));
    }
    said = log_last_line(spec->log_fd, log_start);
    if (spec->socket_path)
        unlink(spec->socket_path);
    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                      "operation failed: cannot start domain '%s': '%s' %s before listening on '%s'%s%s", domname,
                      spec->argv[0], why, spec->socket_path, said ? ": " : "", said ? said : "");
}

static int set_add(struct qemud_sidecars *set, struct qemud_sidecar *sc)
{
    struct qemud_sidecar *v = realloc(set->v, (set->n + 1) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    set->v = v;
    set->v[set->n++] = *sc;
    return 0;
}

static void set_recorded(struct qemud_sidecars *set)
{
    if (set->recorded)
        set->recorded(set->opaque);
}

/* SC's start time, read while it is still our child: without it a
 * restarted daemon could never tell it from a process that took its pid,
 * and would leave it running forever, so it is killed now instead (an
 * unreaped child's /proc entry is there: only a host short of fds or
 * memory fails).  On failure SC is freed. */
static int read_starttime(struct qemud_sidecar *sc, const char *domname, struct mv_err *err)
{
    struct qemud_proc_stat st;
    int r;

    if ((r = qemud_proc_stat_read(sc->pid, &st)) < 0) {
        child_signal(sc->child, SIGKILL);
        if (!child_wait(sc->child, KILL_WAIT_MS))
            mv_error("domain '%s': sidecar %s did not exit after SIGKILL; reaping it when it does", domname,
                     sc->prog);
        r = mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read the start time of '%s' for domain '%s'", sc->prog, domname);
        sc_free(sc);
        return r;
    }
    sc->starttime = st.starttime;
    return 0;
}

/* Runs SPEC as our child into SC (names copied, reaper thread, start
 * time).  On failure nothing runs and SC is freed. */
static int spawn_child(struct qemud_sidecar *sc, const char *domname, const struct qemud_sidecar_spec *spec,
                       struct mv_err *err)
{
    struct mv_process_spawn_opts opts = {
        .stdin_fd = -1, .stdout_fd = spec->log_fd, .stderr_fd = spec->log_fd,
        .keep_fds = spec->keep_fds, .nkeep = spec->nkeep, .new_session = true,
    };
    int r;

    if (!(sc->id = strdup(spec->id)) || !(sc->prog = strdup(spec->argv[0])) ||
        (spec->socket_path && !(sc->socket_path = strdup(spec->socket_path)))) {
        sc_free(sc);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot start '%s' for domain '%s'", spec->argv[0], domname);
    }
    if ((r = mv_process_spawn(spec->argv, &opts, &sc->pid)) < 0) {
        sc_free(sc);
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot run '%s' for domain '%s'",
                                spec->argv[0], domname);
    }
    if (!(sc->child = child_watch(sc->pid, spec->argv[0], domname))) {
        kill(sc->pid, SIGKILL);
        mv_process_reap(sc->pid, KILL_WAIT_MS, NULL);
        sc_free(sc);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot watch '%s' of domain '%s'", spec->argv[0], domname);
    }
    return read_starttime(sc, domname, err);
}

int qemud_sidecar_start(struct qemud_sidecars *set, const char *domname, const struct qemud_sidecar_spec *spec,
                        struct mv_err *err)
{
    struct qemud_sidecar sc = { .pidfd = -1 };
    off_t log_start = spec->log_fd >= 0 ? lseek(spec->log_fd, 0, SEEK_END) : -1;
    int r;

    /* said here, naming it: the sidecar's own bind error would not */
    if (spec->socket_path && !mv_unix_path_fits(spec->socket_path))
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: the socket of sidecar '%s' of domain '%s' ('%s', %zu "
                          "bytes) is longer than a Unix socket path may be", spec->id, domname,
                          spec->socket_path, strlen(spec->socket_path));
    if (spec->socket_path)
        unlink(spec->socket_path);      /* a stale file would look like a socket that is there */
    if ((r = spawn_child(&sc, domname, spec, err)) < 0)
        return r;
    if (set_add(set, &sc) < 0) {
        sc_stop(&sc, domname);
        sc_free(&sc);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot start '%s' for domain '%s'", spec->argv[0], domname);
    }
    /* recorded while it starts: waiting for its socket takes up to
     * ready_ms, and a daemon killed meanwhile must find it on restart */
    set_recorded(set);
    if (spec->socket_path &&
        (r = wait_ready(set->v[set->n - 1].child, spec->socket_path,
                        spec->ready_ms ? spec->ready_ms : QEMUD_SIDECAR_READY_MS)) < 0) {
        r = start_failed(set->v[set->n - 1].child, r, domname, spec, log_start, err);
        sc_free(&set->v[--set->n]);
        if (set->n == 0) {              /* as a caller left it: nothing to free */
            free(set->v);
            set->v = NULL;
        }
        set_recorded(set);
        return r;
    }
    mv_info("domain '%s': sidecar '%s' started (pid %d)", domname, spec->argv[0], (int)sc.pid);
    return 0;
}

struct qemud_sidecar *qemud_sidecars_find(struct qemud_sidecars *set, const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->v[i].id, id) == 0)
            return &set->v[i];
    return NULL;
}

void qemud_sidecars_stop(struct qemud_sidecars *set, const char *domname)
{
    for (size_t i = set->n; i-- > 0;) {
        sc_stop(&set->v[i], domname);
        sc_free(&set->v[i]);
    }
    free(set->v);
    set->v = NULL;
    set->n = 0;
}

void qemud_sidecars_clear(struct qemud_sidecars *set)
{
    for (size_t i = 0; i < set->n; i++)
        sc_free(&set->v[i]);
    free(set->v);
    set->v = NULL;
    set->n = 0;
}

/* ---- the status file ---- */

int qemud_sidecars_format(const struct qemud_sidecars *set, xmlTextWriterPtr w)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct qemud_sidecar *sc = &set->v[i];

        if (xmlTextWriterStartElement(w, BAD_CAST "sidecar") < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST sc->id) < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "prog", BAD_CAST sc->prog) < 0 ||
            xmlTextWriterWriteFormatAttribute(w, BAD_CAST "pid", "%d", (int)sc->pid) < 0 ||
            xmlTextWriterWriteFormatAttribute(w, BAD_CAST "starttime", "%llu", sc->starttime) < 0 ||
            (sc->socket_path && xmlTextWriterWriteAttribute(w, BAD_CAST "socket", BAD_CAST sc->socket_path) < 0) ||
            xmlTextWriterEndElement(w) < 0 || xmlTextWriterWriteString(w, BAD_CAST "\n") < 0)
            return -ENOMEM;
    }
    return 0;
}

static int parse_one(xmlNodePtr node, struct qemud_sidecar *sc)
{
    _cleanup_free_ char *pid = (char *)xmlGetProp(node, BAD_CAST "pid");
    _cleanup_free_ char *start = (char *)xmlGetProp(node, BAD_CAST "starttime");
    char *end;
    long long p;

    sc->id = (char *)xmlGetProp(node, BAD_CAST "id");
    sc->prog = (char *)xmlGetProp(node, BAD_CAST "prog");
    sc->socket_path = (char *)xmlGetProp(node, BAD_CAST "socket");
    if (!sc->id || !sc->prog || !pid || !start)
        return -EINVAL;
    errno = 0;
    p = strtoll(pid, &end, 10);
    if (errno || *end || p <= 0 || p > INT_MAX)
        return -EINVAL;
    sc->pid = (pid_t)p;
    sc->starttime = strtoull(start, &end, 10);
    return errno || *end ? -EINVAL : 0;
}

int qemud_sidecars_parse(xmlXPathContextPtr ctx, struct qemud_sidecars *set, char **errmsg)
{
    _cleanup_free_ xmlNodePtr *nodes = NULL;
    int n = mv_xpath_nodes(ctx, "/domstatus/sidecar", &nodes);

    for (int i = 0; i < n; i++) {
        struct qemud_sidecar sc = { .pidfd = -1 };

        if (parse_one(nodes[i], &sc) < 0 || set_add(set, &sc) < 0) {
            sc_free(&sc);
            qemud_sidecars_clear(set);
            return mv_errmsg_set(errmsg, -EINVAL, "<sidecar> %d: missing or invalid id/prog/pid/starttime", i + 1);
        }
    }
    return n < 0 ? mv_errmsg_set(errmsg, -EINVAL, "cannot read the <sidecar> elements") : 0;
}

/* Opens SC's pidfd after /proc found it running.  False only when it is
 * known gone: the pidfd says ESRCH (it exited between the two looks), or
 * a look after the pidfd finds another process (the pid was reused in
 * between, so the pidfd names that one). */
static bool adopt_pidfd(struct qemud_sidecar *sc, const char *domname)
{
    int why;

    if ((sc->pidfd = mv_pidfd_open(sc->pid)) < 0) {
        if (errno == ESRCH)
            return false;
        /* no pidfd says nothing about the process (ENOSYS: an old kernel;
         * EMFILE: out of fds): kept, its exit polled for through /proc */
        mv_warn("domain '%s': no pidfd for sidecar '%s' (pid %d): %s; its exit is polled for", domname, sc->prog,
                (int)sc->pid, strerror(errno));
        return true;
    }
    switch (qemud_proc_presence(sc->pid, sc->starttime, &why)) {
    case QEMUD_PRESENCE_GONE:
        return false;
    case QEMUD_PRESENCE_UNKNOWN:
        /* the pidfd may name a process that took the pid: not used */
        close(sc->pidfd);
        sc->pidfd = -1;
        cannot_tell(sc, domname, "kept recorded");
        return true;
    default:
        return true;
    }
}

/* Whether SC (read from the status file) may still run: only one known
 * gone is dropped; one that cannot be told from another process is kept
 * with its socket, so that nothing deletes what a running sidecar uses. */
static bool adopt_one(struct qemud_sidecar *sc, const char *domname)
{
    int why;

    switch (qemud_proc_presence(sc->pid, sc->starttime, &why)) {
    case QEMUD_PRESENCE_GONE:
        return false;
    case QEMUD_PRESENCE_UNKNOWN:
        cannot_tell(sc, domname, "kept recorded");
        return true;
    default:
        if (!adopt_pidfd(sc, domname))
            return false;
        mv_info("domain '%s': sidecar '%s' (pid %d) adopted", domname, sc->prog, (int)sc->pid);
        return true;
    }
}

size_t qemud_sidecars_adopt(struct qemud_sidecars *set, const char *domname)
{
    size_t kept = 0, dropped = 0;

    for (size_t i = 0; i < set->n; i++) {
        struct qemud_sidecar *sc = &set->v[i];

        if (adopt_one(sc, domname)) {
            set->v[kept++] = *sc;
            continue;
        }
        mv_warn("domain '%s': sidecar '%s' (pid %d) exited while the daemon was away", domname, sc->prog,
                (int)sc->pid);
        if (sc->socket_path)
            unlink(sc->socket_path);
        sc_free(sc);
        dropped++;
    }
    set->n = kept;
    return dropped;
}

int qemud_sidecar_open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

    return fd < 0 ? -errno : fd;
}
