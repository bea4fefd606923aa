/*
 * The QMP client against the real QEMU (-machine none, or pc with TCG for the
 * run-state events) and against a fake QMP server in the test for what QEMU
 * never sends: oversized lines, malformed JSON, bad handshakes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "qmp.h"
#include "testutil.h"

/* generous: the suite also runs under ASan, on loaded machines */
#define LONG_MS 10000
/* the command timeout for the hung-QEMU test */
#define HUNG_MS 500
#define QMP_MAX_MESSAGE (16u * 1024 * 1024)

static char tmpdir[256];
static struct mv_qmp_loop *loop;

static void setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_qemud_qmp");
    ck_assert_int_eq(mv_qmp_loop_start(&loop), 0);
}

static void teardown(void)
{
    mv_qmp_loop_stop(loop);
    loop = NULL;
    mv_test_rmtree(tmpdir);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- child processes ---- */

struct proc {
    pid_t pid;
    int pidfd;
    char path[300];             /* its QMP socket */
};

static const char *qemu_binary(void)
{
    const char *b = getenv("MV_TEST_QEMU");

    return b ? b : MV_QEMU_BINARY;
}

/* fork+exec rather than posix_spawn: PR_SET_PDEATHSIG kills the child (even a
 * SIGSTOPped QEMU) when a failing test's process dies. */
static void spawn(struct proc *p, char *const argv[], bool quiet)
{
    pid_t parent = getpid();

    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        /* stdout carries TAP */
        dup2(null, 1);
        if (quiet)
            dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    ck_assert_int_ge(p->pidfd, 0);
}

/* QEMU, paused (-S), with its QMP socket at TMPDIR/NAME.sock. */
static void qemu_start(struct proc *p, const char *name, const char *machine, bool quiet)
{
    char chardev[400];
    bool tcg = strcmp(machine, "none") != 0;
    char *argv[] = {
        (char *)qemu_binary(), "-machine", (char *)machine,
        "-nodefaults", "-no-user-config", "-display", "none", "-S",
        "-chardev", chardev, "-mon", "chardev=mon,mode=control",
        tcg ? "-accel" : NULL, "tcg", NULL,
    };

    ck_assert_int_lt(snprintf(p->path, sizeof(p->path), "%s/%s.sock", tmpdir, name), (int)sizeof(p->path));
    snprintf(chardev, sizeof(chardev), "socket,id=mon,path=%s,server=on,wait=off", p->path);
    spawn(p, argv, quiet);
}

static int proc_reap(struct proc *p)
{
    int status = -1;

    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    close(p->pidfd);
    p->pid = 0;
    p->pidfd = -1;
    return status;
}

static void proc_kill(struct proc *p)
{
    kill(p->pid, SIGKILL);
    proc_reap(p);
}

/* ---- callbacks that record what they saw ---- */

struct rec {
    pthread_mutex_t lock;
    int seq;
    char events[32][32];
    int event_seq[32];
    int nevents;
    int closed;
    int closed_seq;
    size_t big_len;             /* length of data.s of the BIG event */
    bool close_in_event;        /* mv_qmp_close from the event callback */
    bool close_in_closed;       /* ... from the closed callback */
    bool close_returned;
};

static void rec_event(struct mv_qmp *mon, const char *name, json_object *data, void *opaque)
{
    struct rec *r = opaque;
    json_object *s;
    bool close;

    pthread_mutex_lock(&r->lock);
    if (r->nevents < 32) {
        snprintf(r->events[r->nevents], sizeof(r->events[0]), "%s", name);
        r->event_seq[r->nevents++] = ++r->seq;
    }
    if (strcmp(name, "BIG") == 0 && data && json_object_object_get_ex(data, "s", &s))
        r->big_len = strlen(json_object_get_string(s));
    close = r->close_in_event;
    pthread_mutex_unlock(&r->lock);
    if (close) {
        mv_qmp_close(mon);
        pthread_mutex_lock(&r->lock);
        r->close_returned = true;
        pthread_mutex_unlock(&r->lock);
    }
}

static void rec_closed(struct mv_qmp *mon, void *opaque)
{
    struct rec *r = opaque;
    bool close;

    pthread_mutex_lock(&r->lock);
    r->closed++;
    r->closed_seq = ++r->seq;
    close = r->close_in_closed;
    pthread_mutex_unlock(&r->lock);
    if (close) {
        mv_qmp_close(mon);
        pthread_mutex_lock(&r->lock);
        r->close_returned = true;
        pthread_mutex_unlock(&r->lock);
    }
}

static const struct mv_qmp_callbacks rec_cb = { .event = rec_event, .closed = rec_closed };

#define REC_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

/* Sequence number of the first event NAME, 0 if none yet. */
static int rec_event_seq(struct rec *r, const char *name)
{
    int seq = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->nevents && !seq; i++)
        if (strcmp(r->events[i], name) == 0)
            seq = r->event_seq[i];
    pthread_mutex_unlock(&r->lock);
    return seq;
}

static int rec_closed_count(struct rec *r)
{
    int n;

    pthread_mutex_lock(&r->lock);
    n = r->closed;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static bool rec_get_close_returned(struct rec *r)
{
    bool b;

    pthread_mutex_lock(&r->lock);
    b = r->close_returned;
    pthread_mutex_unlock(&r->lock);
    return b;
}

static bool wait_event(struct rec *r, const char *name)
{
    for (int64_t end = now_ms() + LONG_MS; now_ms() < end; sleep_ms(5))
        if (rec_event_seq(r, name))
            return true;
    return false;
}

static bool wait_closed(struct rec *r)
{
    for (int64_t end = now_ms() + LONG_MS; now_ms() < end; sleep_ms(5))
        if (rec_closed_count(r))
            return true;
    return false;
}

static bool wait_close_returned(struct rec *r)
{
    for (int64_t end = now_ms() + LONG_MS; now_ms() < end; sleep_ms(5))
        if (rec_get_close_returned(r))
            return true;
    return false;
}

/* ---- helpers over replies ---- */

static struct mv_qmp *open_ok(struct proc *p, struct rec *r)
{
    _cleanup_free_ char *err = NULL;
    struct mv_qmp *mon = NULL;
    int rc = mv_qmp_open(loop, p->path, p->pidfd, LONG_MS, &rec_cb, r, &mon, &err);

    ck_assert_msg(rc == 0, "mv_qmp_open: %s: %s", strerror(-rc), err ? err : "");
    ck_assert_ptr_nonnull(mon);
    return mon;
}

static const char *member_string(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* "prelaunch" / "paused" / "running" from query-status, malloc'd. */
static char *query_status(struct mv_qmp *mon)
{
    json_object *reply = NULL;
    const char *st;
    char *ret;

    ck_assert_int_eq(mv_qmp_command(mon, "query-status", NULL, LONG_MS, &reply, NULL), 0);
    st = member_string(reply, "status");
    ck_assert_ptr_nonnull(st);
    ret = strdup(st);
    json_object_put(reply);
    return ret;
}

static bool is_version_reply(json_object *reply)
{
    json_object *qemu, *major;

    return reply && json_object_object_get_ex(reply, "qemu", &qemu) &&
           json_object_object_get_ex(qemu, "major", &major) &&
           json_object_is_type(major, json_type_int) && json_object_get_int(major) >= 2 &&
           !json_object_object_get_ex(reply, "status", NULL);
}

static void unix_listen(int fd, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
}

/* ---- a fake QMP server for what QEMU never sends ---- */

enum fake_mode {
    FAKE_SILENT,                /* accepts, says nothing */
    FAKE_BAD_GREETING,
    FAKE_CAPS_ERROR,
    FAKE_HUGE_LINE,             /* > 16 MiB without a newline */
    FAKE_MALFORMED,
    FAKE_BIG_EVENT,             /* a 4 MiB event, then a small one */
    FAKE_EARLY_EVENT,           /* an event in the same write as the capabilities answer */
    FAKE_ANSWER,                /* answers every command with an empty return */
    FAKE_HANG,                  /* counts the commands it reads, never answers (a hung QEMU) */
    FAKE_AGENT,                 /* a guest agent: no greeting; fake_agent() answers */
};

#define BIG_EVENT_LEN (4u * 1024 * 1024)

struct fake {
    enum fake_mode mode;
    char path[300];
    int lfd;
    pthread_t thread;
    size_t sent;                /* bytes sent after the handshake */
    bool peer_closed;           /* the client hung up (the server never does first) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int commands;               /* read after the handshake (FAKE_ANSWER, FAKE_HANG) */
    bool flushed;               /* FAKE_AGENT: a line came with a 0xFF before it */
};

static bool send_all(int fd, const char *buf, size_t len, size_t *sent)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
        if (sent)
            *sent += (size_t)n;
    }
    return true;
}

/* Reads the qmp_capabilities command and returns its id. */
static int64_t read_caps_id(int fd)
{
    char buf[4096];
    size_t len = 0;
    json_object *cmd, *id;
    int64_t ret = -1;

    while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    buf[len] = 0;
    cmd = json_tokener_parse(buf);
    if (cmd && strcmp(member_string(cmd, "execute") ? member_string(cmd, "execute") : "",
                      "qmp_capabilities") == 0 && json_object_object_get_ex(cmd, "id", &id))
        ret = json_object_get_int64(id);
    json_object_put(cmd);
    return ret;
}

/* FAKE_ANSWER / FAKE_HANG: one command per line, counted; answered or not. */
static void fake_commands(struct fake *f, int fd)
{
    char buf[4096];
    size_t len = 0;

    for (;;) {
        char *nl;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = 0;
        while ((nl = memchr(buf, '\n', len))) {
            json_object *cmd, *id;
            char line[128];

            *nl = 0;
            cmd = json_tokener_parse(buf);
            if (f->mode == FAKE_ANSWER && cmd && json_object_object_get_ex(cmd, "id", &id)) {
                snprintf(line, sizeof(line), "{\"return\": {}, \"id\": %lld}\r\n",
                         (long long)json_object_get_int64(id));
                send_all(fd, line, strlen(line), NULL);
            }
            json_object_put(cmd);
            pthread_mutex_lock(&f->lock);
            f->commands++;
            pthread_cond_broadcast(&f->cond);
            pthread_mutex_unlock(&f->lock);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
        if (len == sizeof(buf) - 1)
            return;
    }
}

/* FAKE_AGENT: one command per line (a leading 0xFF noted and dropped).
 * guest-sync-delimited: a torn line, then the sentinel and the answer
 * without an id (an agent that echoes none); mv-garbage: a line that is
 * not JSON, then {"return": 7}; guest-shutdown: nothing (it never
 * answers); mv-ids: an id-less error (a parse complaint), then the answer
 * with the command's id. */
static void fake_agent(struct fake *f, int fd)
{
    char buf[4096];
    size_t len = 0;

    for (;;) {
        char *nl;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = 0;
        while ((nl = memchr(buf, '\n', len))) {
            char *start = buf, line[256];
            json_object *cmd, *args, *id;
            const char *ex;

            *nl = 0;
            if ((unsigned char)*start == 0xFF) {
                f->flushed = true;
                start++;
            }
            cmd = json_tokener_parse(start);
            ex = cmd ? member_string(cmd, "execute") : NULL;
            line[0] = 0;
            if (ex && strcmp(ex, "guest-sync-delimited") == 0 && json_object_object_get_ex(cmd, "arguments", &args) &&
                json_object_object_get_ex(args, "id", &id))
                snprintf(line, sizeof(line), "{\"return\": \"torn\xff{\"return\": %lld}\n",
                         (long long)json_object_get_int64(id));
            else if (ex && strcmp(ex, "mv-garbage") == 0)
                snprintf(line, sizeof(line), "not json at all\n{\"return\": 7}\n");
            else if (ex && strcmp(ex, "mv-ids") == 0 && json_object_object_get_ex(cmd, "id", &id))
                snprintf(line, sizeof(line), "{\"error\": {\"class\": \"GenericError\", \"desc\": \"stray\"}}\n"
                         "{\"return\": 9, \"id\": %lld}\n", (long long)json_object_get_int64(id));
            if (line[0])
                send_all(fd, line, strlen(line), NULL);
            json_object_put(cmd);
            pthread_mutex_lock(&f->lock);
            f->commands++;
            pthread_cond_broadcast(&f->cond);
            pthread_mutex_unlock(&f->lock);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
        if (len == sizeof(buf) - 1)
            return;
    }
}

static void fake_serve(struct fake *f, int fd)
{
    static const char greeting[] = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
    char line[256];
    int64_t id;

    if (f->mode == FAKE_SILENT)
        return;
    if (f->mode == FAKE_AGENT) {
        fake_agent(f, fd);
        return;
    }
    if (f->mode == FAKE_BAD_GREETING) {
        send_all(fd, "{\"hello\": 1}\r\n", 14, NULL);
        return;
    }
    if (!send_all(fd, greeting, strlen(greeting), NULL) || (id = read_caps_id(fd)) < 0)
        return;
    if (f->mode == FAKE_CAPS_ERROR) {
        snprintf(line, sizeof(line),
                 "{\"id\": %lld, \"error\": {\"class\": \"GenericError\", \"desc\": \"mv caps refused\"}}\r\n",
                 (long long)id);
        send_all(fd, line, strlen(line), NULL);
        return;
    }
    snprintf(line, sizeof(line), "{\"return\": {}, \"id\": %lld}\r\n%s", (long long)id,
             f->mode == FAKE_EARLY_EVENT ? "{\"event\": \"EARLY\"}\r\n" : "");
    if (!send_all(fd, line, strlen(line), NULL))
        return;
    if (f->mode == FAKE_MALFORMED) {
        send_all(fd, "{\"event\": oops}\r\n", 17, &f->sent);
    } else if (f->mode == FAKE_HUGE_LINE) {
        static char chunk[64 * 1024];

        memset(chunk, 'x', sizeof(chunk));
        send_all(fd, "{\"event\": \"X\", \"data\": {\"s\": \"", 30, &f->sent);
        while (f->sent < 2 * QMP_MAX_MESSAGE && send_all(fd, chunk, sizeof(chunk), &f->sent))
            ;
    } else if (f->mode == FAKE_BIG_EVENT) {
        char *big = malloc(BIG_EVENT_LEN + 64);
        int n;

        ck_assert_ptr_nonnull(big);
        n = sprintf(big, "{\"event\": \"BIG\", \"data\": {\"s\": \"");
        memset(big + n, 'y', BIG_EVENT_LEN);
        strcpy(big + n + BIG_EVENT_LEN, "\"}}\r\n{\"event\": \"AFTER\"}\r\n");
        send_all(fd, big, strlen(big), &f->sent);
        free(big);
    } else if (f->mode == FAKE_ANSWER || f->mode == FAKE_HANG) {
        fake_commands(f, fd);
    }
}

static void *fake_thread(void *opaque)
{
    struct fake *f = opaque;
    int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
    char buf[256];

    if (fd < 0)
        return NULL;
    fake_serve(f, fd);
    /* keep the connection until the client drops it */
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    f->peer_closed = true;
    close(fd);
    return NULL;
}

static void fake_start_named(struct fake *f, enum fake_mode mode, const char *name)
{
    memset(f, 0, sizeof(*f));
    f->mode = mode;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    snprintf(f->path, sizeof(f->path), "%s/%s.sock", tmpdir, name);
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(f->lfd, 0);
    unix_listen(f->lfd, f->path);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_thread, f), 0);
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
    fake_start_named(f, mode, "fake");
}

/* Waits (bounded) until the fake has read N commands after the handshake. */
static bool fake_wait_commands(struct fake *f, int n)
{
    struct timespec until;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LONG_MS / 1000;
    pthread_mutex_lock(&f->lock);
    while (f->commands < n && pthread_cond_timedwait(&f->cond, &f->lock, &until) == 0)
        ;
    ok = f->commands >= n;
    pthread_mutex_unlock(&f->lock);
    return ok;
}

static void fake_join(struct fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->lfd);
}

static struct mv_qmp *fake_open(struct fake *f, struct rec *r)
{
    _cleanup_free_ char *err = NULL;
    struct mv_qmp *mon = NULL;
    int rc = mv_qmp_open(loop, f->path, -1, LONG_MS, &rec_cb, r, &mon, &err);

    ck_assert_msg(rc == 0, "mv_qmp_open: %s: %s", strerror(-rc), err ? err : "");
    return mon;
}

/* ---- a witness: proof that the monitor thread has moved on ---- */

/*
 * Two command round trips on WITNESS, a second monitor of the same loop.  The
 * loop serves every ready socket each turn, so once the second answer is in,
 * every event that was ready before the first command (a hangup, an EOF, a
 * late line) has been handled: a callback that was going to run, has.  This
 * replaces "sleep and see that nothing happened".
 */
static void loop_barrier(struct mv_qmp *witness)
{
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(mv_qmp_command(witness, "mv-barrier", NULL, LONG_MS, NULL, NULL), 0);
}

/* ---- against the real QEMU ---- */

START_TEST(test_status_version_errors)
{
    struct rec r = REC_INIT, rw = REC_INIT;
    struct fake w;
    struct mv_qmp *witness;
    struct proc q;
    struct mv_qmp *mon;
    json_object *reply = NULL, *args;
    char *err = NULL;
    _cleanup_free_ char *st = NULL;

    qemu_start(&q, "a", "none", false);
    mon = open_ok(&q, &r);

    st = query_status(mon);
    ck_assert_msg(strcmp(st, "prelaunch") == 0 || strcmp(st, "paused") == 0, "status %s", st);

    ck_assert_int_eq(mv_qmp_command(mon, "query-version", NULL, LONG_MS, &reply, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert(is_version_reply(reply));
    json_object_put(reply);

    /* REPLY may be NULL */
    ck_assert_int_eq(mv_qmp_command(mon, "query-status", NULL, LONG_MS, NULL, NULL), 0);

    /* an unknown command: QEMU's desc, REPLY untouched */
    reply = (json_object *)0x1;
    ck_assert_int_eq(mv_qmp_command(mon, "mv-no-such-command", NULL, LONG_MS, &reply, &err), -EREMOTEIO);
    ck_assert_ptr_eq(reply, (json_object *)0x1);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "mv-no-such-command") && strstr(err, "not been found"), "desc: %s", err);
    free(err);
    err = NULL;

    /* arguments reach QEMU: an unexpected one is refused by name */
    args = json_object_new_object();
    json_object_object_add(args, "mv-bogus", json_object_new_int(1));
    ck_assert_int_eq(mv_qmp_command(mon, "query-status", args, LONG_MS, NULL, &err), -EREMOTEIO);
    ck_assert_msg(err && strstr(err, "mv-bogus"), "desc: %s", err ? err : "(null)");
    free(err);
    err = NULL;

    /* and valid ones are used: HMP echoes through QMP */
    args = json_object_new_object();
    json_object_object_add(args, "command-line", json_object_new_string("info version"));
    ck_assert_int_eq(mv_qmp_command(mon, "human-monitor-command", args, LONG_MS, &reply, NULL), 0);
    ck_assert(json_object_is_type(reply, json_type_string));
    ck_assert_int_gt(strlen(json_object_get_string(reply)), 0);
    json_object_put(reply);

    /* no callback after mv_qmp_close returns, even when QEMU dies right after:
     * QEMU's end is closed once it is reaped, and the loop has moved past that */
    fake_start_named(&w, FAKE_ANSWER, "witness");
    witness = fake_open(&w, &rw);
    mv_qmp_close(mon);
    proc_kill(&q);
    loop_barrier(witness);
    ck_assert_int_eq(rec_closed_count(&r), 0);
    mv_qmp_close(witness);
    fake_join(&w);
}
END_TEST

START_TEST(test_stop_cont_events)
{
    struct rec r = REC_INIT;
    struct proc q;
    struct mv_qmp *mon;
    _cleanup_free_ char *st = NULL;

    qemu_start(&q, "pc", "pc", false);
    mon = open_ok(&q, &r);
    ck_assert_int_eq(mv_qmp_command(mon, "cont", NULL, LONG_MS, NULL, NULL), 0);
    ck_assert(wait_event(&r, "RESUME"));
    ck_assert_int_eq(mv_qmp_command(mon, "stop", NULL, LONG_MS, NULL, NULL), 0);
    ck_assert(wait_event(&r, "STOP"));
    ck_assert_int_lt(rec_event_seq(&r, "RESUME"), rec_event_seq(&r, "STOP"));
    st = query_status(mon);
    ck_assert_str_eq(st, "paused");
    mv_qmp_close(mon);
    proc_kill(&q);
}
END_TEST

START_TEST(test_quit)
{
    struct rec r = REC_INIT, rw = REC_INIT;
    struct proc q;
    struct fake w;
    struct mv_qmp *mon, *witness;
    int rc, status;

    qemu_start(&q, "a", "none", false);
    mon = open_ok(&q, &r);
    fake_start_named(&w, FAKE_ANSWER, "witness");
    witness = fake_open(&w, &rw);
    /* QEMU may close the socket before or after its answer */
    rc = mv_qmp_command(mon, "quit", NULL, LONG_MS, NULL, NULL);
    ck_assert_msg(rc == 0 || rc == -ECONNRESET, "quit: %s", strerror(-rc));
    ck_assert(wait_closed(&r));
    ck_assert_int_gt(rec_event_seq(&r, "SHUTDOWN"), 0);
    ck_assert_int_lt(rec_event_seq(&r, "SHUTDOWN"), r.closed_seq);
    ck_assert_int_eq(mv_qmp_command(mon, "query-status", NULL, LONG_MS, NULL, NULL), -ECONNRESET);
    status = proc_reap(&q);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* once: not again for the hangup that follows the EOF */
    loop_barrier(witness);
    ck_assert_int_eq(rec_closed_count(&r), 1);
    mv_qmp_close(mon);
    mv_qmp_close(witness);
    fake_join(&w);
}
END_TEST

START_TEST(test_sigkill)
{
    struct rec r = REC_INIT;
    struct proc q;
    struct mv_qmp *mon;

    qemu_start(&q, "a", "none", false);
    mon = open_ok(&q, &r);
    proc_kill(&q);
    ck_assert(wait_closed(&r));
    ck_assert_int_eq(mv_qmp_command(mon, "query-status", NULL, LONG_MS, NULL, NULL), -ECONNRESET);
    ck_assert_int_eq(rec_closed_count(&r), 1);
    mv_qmp_close(mon);
}
END_TEST

struct timed_cmd {
    struct mv_qmp *mon;
    const char *cmd;
    int timeout_ms;
    int r;
    int64_t elapsed_ms;
    bool done;
    pthread_mutex_t lock;
};

static void *timed_cmd_thread(void *opaque)
{
    struct timed_cmd *t = opaque;
    int64_t start = now_ms();
    int r = mv_qmp_command(t->mon, t->cmd, NULL, t->timeout_ms, NULL, NULL);

    pthread_mutex_lock(&t->lock);
    t->r = r;
    t->elapsed_ms = now_ms() - start;
    t->done = true;
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static bool timed_cmd_done(struct timed_cmd *t)
{
    bool d;

    pthread_mutex_lock(&t->lock);
    d = t->done;
    pthread_mutex_unlock(&t->lock);
    return d;
}

START_TEST(test_hung_qemu_does_not_block_others)
{
    struct rec ra = REC_INIT, rb = REC_INIT, rh = REC_INIT;
    struct proc a, b;
    struct fake h;
    struct mv_qmp *ma, *mb;
    struct timed_cmd t = { .cmd = "query-status", .timeout_ms = HUNG_MS,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
    json_object *reply = NULL;
    pthread_t th;
    int64_t start, elapsed;
    bool hung_done_when_b_answered;
    _cleanup_free_ char *st = NULL;

    /* 1: a monitor whose peer read a command and hangs (as a stopped QEMU
     * would) does not delay another monitor's answers */
    fake_start_named(&h, FAKE_HANG, "hung");
    qemu_start(&b, "b", "none", false);
    t.mon = fake_open(&h, &rh);
    mb = open_ok(&b, &rb);
    ck_assert_int_eq(pthread_create(&th, NULL, timed_cmd_thread, &t), 0);
    ck_assert(fake_wait_commands(&h, 1));          /* the command is out, unanswered */
    start = now_ms();
    ck_assert_int_eq(mv_qmp_command(mb, "query-status", NULL, LONG_MS, NULL, NULL), 0);
    elapsed = now_ms() - start;
    hung_done_when_b_answered = timed_cmd_done(&t);
    ck_assert_msg(elapsed < HUNG_MS, "B answered after %lld ms", (long long)elapsed);
    ck_assert(!hung_done_when_b_answered);
    pthread_join(th, NULL);
    ck_assert_int_eq(t.r, -ETIMEDOUT);
    ck_assert_int_ge(t.elapsed_ms, HUNG_MS - 10);
    ck_assert_int_lt(t.elapsed_ms, HUNG_MS + LONG_MS / 2);
    mv_qmp_close(t.mon);
    fake_join(&h);

    /* 2: a stopped QEMU times out; once it runs again it answers the
     * abandoned command first, and that answer must be dropped */
    qemu_start(&a, "a", "none", false);
    ma = open_ok(&a, &ra);
    t = (struct timed_cmd){ .mon = ma, .cmd = "query-status", .timeout_ms = HUNG_MS,
                            .lock = PTHREAD_MUTEX_INITIALIZER };
    ck_assert_int_eq(kill(a.pid, SIGSTOP), 0);
    timed_cmd_thread(&t);
    ck_assert_int_eq(t.r, -ETIMEDOUT);
    ck_assert_int_eq(kill(a.pid, SIGCONT), 0);
    ck_assert_int_eq(mv_qmp_command(ma, "query-version", NULL, LONG_MS, &reply, NULL), 0);
    ck_assert_msg(is_version_reply(reply), "got %s", json_object_to_json_string(reply));
    json_object_put(reply);
    st = query_status(ma);
    ck_assert_str_eq(st, "prelaunch");
    ck_assert_int_eq(rec_closed_count(&ra), 0);

    mv_qmp_close(ma);
    mv_qmp_close(mb);
    proc_kill(&a);
    proc_kill(&b);
}
END_TEST

START_TEST(test_close_wakes_waiter)
{
    struct rec r = REC_INIT;
    struct fake h;
    struct timed_cmd t = { .cmd = "query-status", .timeout_ms = LONG_MS,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t th;

    fake_start_named(&h, FAKE_HANG, "hung");
    t.mon = fake_open(&h, &r);
    ck_assert_int_eq(pthread_create(&th, NULL, timed_cmd_thread, &t), 0);
    ck_assert(fake_wait_commands(&h, 1));          /* the caller is waiting for its answer */
    ck_assert(!timed_cmd_done(&t));
    mv_qmp_close(t.mon);
    pthread_join(th, NULL);
    ck_assert_int_eq(t.r, -ECONNRESET);
    ck_assert_int_lt(t.elapsed_ms, LONG_MS / 2);
    ck_assert_int_eq(rec_closed_count(&r), 0);
    fake_join(&h);
}
END_TEST

START_TEST(test_stop_wakes_waiter)
{
    struct rec r = REC_INIT;
    struct fake h;
    struct timed_cmd t = { .cmd = "query-status", .timeout_ms = LONG_MS,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t th;

    fake_start_named(&h, FAKE_HANG, "hung");
    t.mon = fake_open(&h, &r);
    ck_assert_int_eq(pthread_create(&th, NULL, timed_cmd_thread, &t), 0);
    ck_assert(fake_wait_commands(&h, 1));          /* the caller is waiting for its answer */
    ck_assert(!timed_cmd_done(&t));
    /* frees the monitor and the loop while the command waits (ASan checks) */
    mv_qmp_loop_stop(loop);
    loop = NULL;
    pthread_join(th, NULL);
    ck_assert_int_eq(t.r, -ECONNRESET);
    ck_assert_int_lt(t.elapsed_ms, LONG_MS / 2);
    fake_join(&h);
}
END_TEST

#define NTHREADS 8
#define NCMDS 40

struct hammer {
    struct mv_qmp *mon;
    int ok;
};

static void *hammer_thread(void *opaque)
{
    struct hammer *h = opaque;

    for (int i = 0; i < NCMDS; i++) {
        json_object *reply = NULL;
        bool version = i % 2;
        int r = mv_qmp_command(h->mon, version ? "query-version" : "query-status", NULL, LONG_MS,
                               &reply, NULL);

        /* each caller gets the answer to its own command */
        if (r == 0 && (version ? is_version_reply(reply) : member_string(reply, "status") != NULL))
            h->ok++;
        json_object_put(reply);
    }
    return NULL;
}

START_TEST(test_concurrent_commands)
{
    struct rec r = REC_INIT;
    struct proc q;
    struct hammer h[NTHREADS];
    pthread_t th[NTHREADS];
    struct mv_qmp *mon;

    qemu_start(&q, "a", "none", false);
    mon = open_ok(&q, &r);
    for (int i = 0; i < NTHREADS; i++) {
        h[i] = (struct hammer){ .mon = mon };
        ck_assert_int_eq(pthread_create(&th[i], NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(h[i].ok, NCMDS);
    }
    mv_qmp_close(mon);
    proc_kill(&q);
}
END_TEST

START_TEST(test_close_in_closed_callback)
{
    struct rec r = REC_INIT;
    struct proc q;

    r.close_in_closed = true;
    qemu_start(&q, "a", "none", false);
    open_ok(&q, &r);
    proc_kill(&q);
    ck_assert(wait_close_returned(&r));
    ck_assert_int_eq(rec_closed_count(&r), 1);
}
END_TEST

START_TEST(test_close_in_event_callback)
{
    struct rec r = REC_INIT, rw = REC_INIT;
    struct proc q;
    struct fake w;
    struct mv_qmp *mon, *witness;
    int rc;

    r.close_in_event = true;
    qemu_start(&q, "a", "none", false);
    mon = open_ok(&q, &r);
    fake_start_named(&w, FAKE_ANSWER, "witness");
    witness = fake_open(&w, &rw);
    /* SHUTDOWN comes before quit's answer; closing there fails the command */
    rc = mv_qmp_command(mon, "quit", NULL, LONG_MS, NULL, NULL);
    ck_assert_msg(rc == 0 || rc == -ECONNRESET, "quit: %s", strerror(-rc));
    ck_assert(wait_close_returned(&r));
    proc_reap(&q);
    loop_barrier(witness);
    /* closed by its owner: no closed callback, not even for the EOF after it */
    ck_assert_int_eq(rec_closed_count(&r), 0);
    mv_qmp_close(witness);
    fake_join(&w);
}
END_TEST

START_TEST(test_monitors_left_open_at_stop)
{
    struct rec r = REC_INIT;
    struct proc a, b;

    qemu_start(&a, "a", "none", false);
    qemu_start(&b, "b", "none", false);
    open_ok(&a, &r);
    open_ok(&b, &r);
    /* teardown's mv_qmp_loop_stop frees both (ASan checks) */
    mv_qmp_loop_stop(loop);
    loop = NULL;
    ck_assert_int_eq(rec_closed_count(&r), 0);
    proc_kill(&a);
    proc_kill(&b);
}
END_TEST

/* ---- opening ---- */

START_TEST(test_open_path_never_appears)
{
    char *sleep_argv[] = { "/bin/sleep", "60", NULL };
    struct proc s;
    struct mv_qmp *mon = (struct mv_qmp *)0x1;
    char path[300];
    char *err = NULL;
    int64_t start, elapsed;

    snprintf(path, sizeof(path), "%s/never.sock", tmpdir);
    /* a live process: its pidfd stays quiet */
    spawn(&s, sleep_argv, false);
    start = now_ms();
    ck_assert_int_eq(mv_qmp_open(loop, path, s.pidfd, 300, &rec_cb, NULL, &mon, &err), -ETIMEDOUT);
    elapsed = now_ms() - start;
    ck_assert_int_ge(elapsed, 290);
    ck_assert_int_lt(elapsed, LONG_MS / 2);
    ck_assert_ptr_eq(mon, (struct mv_qmp *)0x1);
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    /* and without a pidfd */
    ck_assert_int_eq(mv_qmp_open(loop, path, -1, 100, &rec_cb, NULL, &mon, &err), -ETIMEDOUT);
    free(err);
    proc_kill(&s);
}
END_TEST

START_TEST(test_open_process_exits)
{
    struct proc q;
    struct mv_qmp *mon = (struct mv_qmp *)0x1;
    char *err = NULL;
    int64_t start;

    /* QEMU refuses the machine type and exits before creating its socket */
    qemu_start(&q, "a", "mv-no-such-machine", true);
    start = now_ms();
    ck_assert_int_eq(mv_qmp_open(loop, q.path, q.pidfd, LONG_MS, &rec_cb, NULL, &mon, &err), -ESRCH);
    ck_assert_int_lt(now_ms() - start, LONG_MS / 2);
    ck_assert_ptr_eq(mon, (struct mv_qmp *)0x1);
    free(err);
    proc_reap(&q);
}
END_TEST

/* A child that listens on PATH, accepts once and exits without a greeting. */
static void spawn_dying_listener(struct proc *p, const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    unix_listen(fd, path);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        accept(fd, NULL, NULL);
        _exit(0);
    }
    close(fd);
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    ck_assert_int_ge(p->pidfd, 0);
}

START_TEST(test_open_process_exits_during_handshake)
{
    struct proc p;
    struct mv_qmp *mon = NULL;
    char *err = NULL;
    char path[300];

    snprintf(path, sizeof(path), "%s/dying.sock", tmpdir);
    spawn_dying_listener(&p, path);
    ck_assert_int_eq(mv_qmp_open(loop, path, p.pidfd, LONG_MS, &rec_cb, NULL, &mon, &err), -ESRCH);
    free(err);
    proc_reap(&p);
}
END_TEST

START_TEST(test_fake_huge_line)
{
    struct rec r = REC_INIT;
    struct fake f;
    struct mv_qmp *mon;

    fake_start(&f, FAKE_HUGE_LINE);
    mon = fake_open(&f, &r);
    ck_assert(wait_closed(&r));
    ck_assert_int_eq(mv_qmp_command(mon, "query-status", NULL, LONG_MS, NULL, NULL), -ECONNRESET);
    fake_join(&f);
    /* the client read past the limit, then gave up; the server never hung up first */
    ck_assert_uint_gt(f.sent, QMP_MAX_MESSAGE);
    ck_assert_uint_lt(f.sent, 2 * QMP_MAX_MESSAGE);
    ck_assert(f.peer_closed);
    ck_assert_int_eq(r.nevents, 0);
    mv_qmp_close(mon);
}
END_TEST

START_TEST(test_fake_malformed_json)
{
    struct rec r = REC_INIT;
    struct fake f;
    struct mv_qmp *mon;

    fake_start(&f, FAKE_MALFORMED);
    mon = fake_open(&f, &r);
    ck_assert(wait_closed(&r));
    mv_qmp_close(mon);
    fake_join(&f);
    ck_assert(f.peer_closed);
    ck_assert_int_eq(r.nevents, 0);
}
END_TEST

START_TEST(test_fake_big_event)
{
    struct rec r = REC_INIT;
    struct fake f;
    struct mv_qmp *mon;

    fake_start(&f, FAKE_BIG_EVENT);
    mon = fake_open(&f, &r);
    ck_assert(wait_event(&r, "AFTER"));
    ck_assert_int_lt(rec_event_seq(&r, "BIG"), rec_event_seq(&r, "AFTER"));
    pthread_mutex_lock(&r.lock);
    ck_assert_uint_eq(r.big_len, BIG_EVENT_LEN);
    pthread_mutex_unlock(&r.lock);
    ck_assert_int_eq(rec_closed_count(&r), 0);
    mv_qmp_close(mon);
    fake_join(&f);
}
END_TEST

/* the client reads the event with the answer but holds it until open returns */
START_TEST(test_fake_event_with_caps_answer)
{
    struct rec r = REC_INIT;
    struct fake f;
    struct mv_qmp *mon;

    fake_start(&f, FAKE_EARLY_EVENT);
    mon = fake_open(&f, &r);
    ck_assert(wait_event(&r, "EARLY"));
    mv_qmp_close(mon);
    fake_join(&f);
}
END_TEST

START_TEST(test_fake_bad_handshakes)
{
    struct mv_qmp *mon = (struct mv_qmp *)0x1;
    struct rec r = REC_INIT;
    struct fake f;
    char *err = NULL;

    fake_start(&f, FAKE_BAD_GREETING);
    ck_assert_int_eq(mv_qmp_open(loop, f.path, -1, LONG_MS, &rec_cb, &r, &mon, &err), -EPROTO);
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    fake_join(&f);
    unlink(f.path);

    fake_start(&f, FAKE_CAPS_ERROR);
    ck_assert_int_eq(mv_qmp_open(loop, f.path, -1, LONG_MS, &rec_cb, &r, &mon, &err), -EREMOTEIO);
    ck_assert_msg(err && strstr(err, "mv caps refused"), "%s", err ? err : "(null)");
    free(err);
    err = NULL;
    fake_join(&f);
    unlink(f.path);

    /* connected, but no greeting within the timeout */
    fake_start(&f, FAKE_SILENT);
    ck_assert_int_eq(mv_qmp_open(loop, f.path, -1, 300, &rec_cb, &r, &mon, &err), -ETIMEDOUT);
    free(err);
    fake_join(&f);

    ck_assert_ptr_eq(mon, (struct mv_qmp *)0x1);
    ck_assert_int_eq(rec_closed_count(&r), 0);
}
END_TEST

/* The guest agent's framing (MV_QMP_OPEN_AGENT): no greeting, the 0xFF
 * sentinel, answers without ids in order, junk lines survived, commands
 * that never answer; and once the agent is seen to echo ids, an id-less
 * line answers nothing of ours. */
START_TEST(test_fake_agent)
{
    _cleanup_free_ char *err = NULL;
    struct rec r = REC_INIT;
    struct mv_qmp *mon = NULL;
    json_object *reply = NULL, *args = json_object_new_object();
    struct fake f;
    int rc;

    fake_start(&f, FAKE_AGENT);
    rc = mv_qmp_open_flags(loop, f.path, -1, LONG_MS, MV_QMP_OPEN_AGENT, &rec_cb, &r, &mon, &err);
    ck_assert_msg(rc == 0, "open: %s: %s", strerror(-rc), err ? err : "");

    json_object_object_add(args, "id", json_object_new_int64(42));
    ck_assert_int_eq(mv_qmp_command_flags(mon, "guest-sync-delimited", args, LONG_MS, MV_QMP_CMD_FLUSH, &reply, NULL),
                     0);
    ck_assert_int_eq(json_object_get_int64(reply), 42);    /* the torn line before 0xFF was dropped */
    json_object_put(reply);
    reply = NULL;
    ck_assert(f.flushed);

    ck_assert_int_eq(mv_qmp_command(mon, "mv-garbage", NULL, LONG_MS, &reply, NULL), 0);
    ck_assert_int_eq(json_object_get_int64(reply), 7);     /* the line that is not JSON was not fatal */
    json_object_put(reply);
    reply = NULL;

    ck_assert_int_eq(mv_qmp_command_flags(mon, "guest-shutdown", NULL, LONG_MS, MV_QMP_CMD_NO_REPLY, &reply, NULL), 0);
    ck_assert_ptr_null(reply);
    ck_assert(fake_wait_commands(&f, 3));                   /* it was sent */

    /* no id seen yet: the id-less error answers in order; its own answer,
     * with the id, comes later (dropped) and shows that ids are echoed */
    ck_assert_int_eq(mv_qmp_command(mon, "mv-ids", NULL, LONG_MS, &reply, NULL), -EREMOTEIO);
    ck_assert_int_eq(mv_qmp_command(mon, "mv-ids", NULL, LONG_MS, &reply, NULL), 0);
    ck_assert_int_eq(json_object_get_int64(reply), 9);     /* now the id-less error answered nothing */
    json_object_put(reply);

    ck_assert_int_eq(rec_closed_count(&r), 0);
    mv_qmp_close(mon);
    fake_join(&f);
}
END_TEST

/* The daemon shutting down while an agent call waits forever: the owner
 * aborts the monitor, the waiter wakes and later commands fail at once,
 * and the monitor is still there to be closed by its last user. */
START_TEST(test_fake_agent_abort_wakes_blocked_call)
{
    _cleanup_free_ char *err = NULL;
    struct rec r = REC_INIT;
    struct fake f;
    struct timed_cmd t = { .cmd = "mv-never-answered", .timeout_ms = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t th;
    int rc;

    fake_start(&f, FAKE_AGENT);
    rc = mv_qmp_open_flags(loop, f.path, -1, LONG_MS, MV_QMP_OPEN_AGENT, &rec_cb, &r, &t.mon, &err);
    ck_assert_msg(rc == 0, "open: %s: %s", strerror(-rc), err ? err : "");
    ck_assert_int_eq(pthread_create(&th, NULL, timed_cmd_thread, &t), 0);
    ck_assert(fake_wait_commands(&f, 1));          /* the agent has it and will never answer */
    ck_assert(!timed_cmd_done(&t));
    mv_qmp_abort(t.mon);
    pthread_join(th, NULL);
    ck_assert_int_eq(t.r, -ECONNRESET);
    ck_assert_int_eq(mv_qmp_command(t.mon, "guest-ping", NULL, -1, NULL, NULL), -ECONNRESET);
    mv_qmp_abort(t.mon);                            /* twice is harmless */
    mv_qmp_close(t.mon);                            /* the last user frees it (ASan checks) */
    ck_assert_int_eq(rec_closed_count(&r), 1);       /* the owner was told, once */
    fake_join(&f);
}
END_TEST

static Suite *qmp_suite(bool have_qemu)
{
    Suite *s = suite_create("qemud_qmp");
    TCase *tq = tcase_create("qemu");
    TCase *to = tcase_create("open");
    TCase *tf = tcase_create("fake");

    if (have_qemu) {
        tcase_add_checked_fixture(tq, setup, teardown);
        tcase_set_timeout(tq, 60);
        tcase_add_test(tq, test_status_version_errors);
        tcase_add_test(tq, test_stop_cont_events);
        tcase_add_test(tq, test_quit);
        tcase_add_test(tq, test_sigkill);
        tcase_add_test(tq, test_hung_qemu_does_not_block_others);
        tcase_add_test(tq, test_close_wakes_waiter);
        tcase_add_test(tq, test_stop_wakes_waiter);
        tcase_add_test(tq, test_concurrent_commands);
        tcase_add_test(tq, test_close_in_closed_callback);
        tcase_add_test(tq, test_close_in_event_callback);
        tcase_add_test(tq, test_monitors_left_open_at_stop);
        tcase_add_test(tq, test_open_process_exits);
        suite_add_tcase(s, tq);
    }
    tcase_add_checked_fixture(to, setup, teardown);
    tcase_set_timeout(to, 60);
    tcase_add_test(to, test_open_path_never_appears);
    tcase_add_test(to, test_open_process_exits_during_handshake);
    suite_add_tcase(s, to);
    tcase_add_checked_fixture(tf, setup, teardown);
    tcase_set_timeout(tf, 60);
    tcase_add_test(tf, test_fake_huge_line);
    tcase_add_test(tf, test_fake_malformed_json);
    tcase_add_test(tf, test_fake_big_event);
    tcase_add_test(tf, test_fake_event_with_caps_answer);
    tcase_add_test(tf, test_fake_bad_handshakes);
    tcase_add_test(tf, test_fake_agent);
    tcase_add_test(tf, test_fake_agent_abort_wakes_blocked_call);
    suite_add_tcase(s, tf);
    return s;
}

int main(void)
{
    bool have_qemu = access(qemu_binary(), X_OK) == 0;
    SRunner *sr;
    int n;

    if (!have_qemu)
        printf("# %s is missing: the tests against the real QEMU are skipped\n", qemu_binary());
    sr = srunner_create(qmp_suite(have_qemu));
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
