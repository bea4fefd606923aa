/*
 * Sidecars (qemud/sidecar.c) with real children: this test program runs
 * itself as the sidecar (--listen, --exit, --never), so that the child's
 * behaviour is exact: it listens on its socket, exits before listening, or
 * never listens, and ignores SIGTERM when asked.
 *
 * What the kernel gives only by chance (a /proc read failing for want of
 * fds, a pidfd_open racing the process's exit) is injected: the test links
 * with --wrap for qemud_proc_stat_read and mv_pidfd_open, which fail as
 * told for one pid and otherwise call the real ones.
 */
#include "config.h"

#include <check.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error_codes.h"
#include "file.h"
#include "monotime.h"
#include "proc_stat.h"
#include "process.h"
#include "sidecar.h"
#include "testutil.h"
#include "xml.h"

static char self[PATH_MAX];
static char dir[PATH_MAX];
static char sock[PATH_MAX + 16];
static char logpath[PATH_MAX + 16];

/* ---- injected failures ---- */

int __real_qemud_proc_stat_read(pid_t pid, struct qemud_proc_stat *st);
int __real_mv_pidfd_open(pid_t pid);
int __wrap_qemud_proc_stat_read(pid_t pid, struct qemud_proc_stat *st);
int __wrap_mv_pidfd_open(pid_t pid);

static pid_t fail_pid;          /* the pid the failures below are for (-1: every pid) */
static int stat_fails;          /* -errno /proc/PID/stat reads give; 0: real */
static int stat_real_first;     /* ... after this many real reads */
static int pidfd_fails;         /* errno pidfd_open gives; 0: real */

int __wrap_qemud_proc_stat_read(pid_t pid, struct qemud_proc_stat *st)
{
    if (stat_fails && (fail_pid == -1 || pid == fail_pid) && stat_real_first-- <= 0)
        return stat_fails;
    return __real_qemud_proc_stat_read(pid, st);
}

int __wrap_mv_pidfd_open(pid_t pid)
{
    if (pidfd_fails && (fail_pid == -1 || pid == fail_pid)) {
        errno = pidfd_fails;
        return -1;
    }
    return __real_mv_pidfd_open(pid);
}

/* ---- the child's side ---- */

static int child_listen(const char *path, bool ignore_term)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (ignore_term)
        signal(SIGTERM, SIG_IGN);
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0)
        return 2;
    fprintf(stderr, "listening on %s\n", path);
    for (;;)
        pause();
}

static int child_main(int argc, char **argv)
{
    if (strcmp(argv[1], "--listen") == 0 && argc >= 3)
        return child_listen(argv[2], argc == 4);
    if (strcmp(argv[1], "--exit") == 0) {
        fprintf(stderr, "first line\nsidecar: cannot open the state: Permission denied\n");
        return 3;
    }
    for (;;)            /* --never */
        pause();
}

/* ---- the test's side ---- */

static void setup(void)
{
    fail_pid = 0;
    stat_fails = pidfd_fails = stat_real_first = 0;
    mv_test_mkdtemp(dir, sizeof(dir), "sidecar");
    snprintf(sock, sizeof(sock), "%s/s.sock", dir);
    snprintf(logpath, sizeof(logpath), "%s/dom.log", dir);
}

static void teardown(void)
{
    mv_test_rmtree(dir);
}

static void assert_no_children(void)
{
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

/* Waits (bounded) until PID is reaped: no /proc/PID, or another process. */
static bool reaped_within(pid_t pid, unsigned long long starttime, int ms)
{
    long long deadline = mv_now_ms() + ms;
    struct qemud_proc_stat st;

    while (qemud_proc_stat_read(pid, &st) == 0 && st.starttime == starttime) {
        if (mv_now_ms() > deadline)
            return false;
        poll(NULL, 0, 5);
    }
    return true;
}

static int start(struct qemud_sidecars *set, const char *mode, bool ignore_term, int ready_ms, int logfd,
                 struct mv_err *err)
{
    const char *argv[] = { self, mode, sock, ignore_term ? "ignore-term" : NULL, NULL };
    struct qemud_sidecar_spec spec = {
        .id = "tpm0", .argv = argv, .socket_path = sock, .ready_ms = ready_ms, .log_fd = logfd,
    };

    return qemud_sidecar_start(set, "guest", &spec, err);
}

START_TEST(test_start_ready_stop)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };
    _cleanup_close_ int logfd = qemud_sidecar_open_log(logpath);
    _cleanup_free_ char *log = NULL;
    struct stat st;
    size_t len;

    ck_assert_int_ge(logfd, 0);
    ck_assert_int_eq(start(&set, "--listen", false, 0, logfd, &err), 0);
    ck_assert_uint_eq(set.n, 1);
    ck_assert_str_eq(set.v[0].id, "tpm0");
    ck_assert_ptr_nonnull(qemud_sidecars_find(&set, "tpm0"));
    ck_assert(qemud_sidecar_alive(&set.v[0]));
    ck_assert_int_eq(stat(sock, &st), 0);           /* listening, so it is there */
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_uint_gt(set.v[0].starttime, 0);
    qemud_sidecars_stop(&set, "guest");
    ck_assert_uint_eq(set.n, 0);
    ck_assert_int_eq(stat(sock, &st), -1);          /* the socket file went with it */
    assert_no_children();
    ck_assert_int_eq(mv_file_read_all(logpath, 65536, &log, &len), 0);
    ck_assert_ptr_nonnull(strstr(log, "listening on"));    /* its stderr is in the log */
}
END_TEST

START_TEST(test_exit_before_ready)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };
    _cleanup_close_ int logfd = qemud_sidecar_open_log(logpath);

    /* stale file: removed, never taken for the socket */
    close(open(sock, O_WRONLY | O_CREAT, 0600));
    /* the exit is the point, not the deadline: 20 s (the case has 30), so a loaded
     * host's slow exec of this very program cannot turn it into a timeout */
    ck_assert_int_lt(start(&set, "--exit", false, 20000, logfd, &err), 0);
    ck_assert_uint_eq(set.n, 0);
    ck_assert_msg(strstr(err.message, "domain 'guest'"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "exited with status 3"), "%s", err.message);
    ck_assert_msg(strstr(err.message, ": sidecar: cannot open the state: Permission denied"), "%s", err.message);
    ck_assert_int_eq(access(sock, F_OK), -1);
    assert_no_children();
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_deadline)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };

    ck_assert_int_lt(start(&set, "--never", false, 200, -1, &err), 0);
    ck_assert_uint_eq(set.n, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "did not listen within 200 ms"));
    assert_no_children();               /* killed and reaped before the start returned */
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_sigterm_ignored)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };

    ck_assert_int_eq(start(&set, "--listen", true, 0, -1, &err), 0);
    qemud_sidecars_stop(&set, "guest");     /* SIGKILL after the grace period */
    assert_no_children();
}
END_TEST

/* A sidecar that dies on its own is reaped at once, not left a zombie. */
START_TEST(test_reaped_at_once)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };
    pid_t pid;

    ck_assert_int_eq(start(&set, "--listen", false, 0, -1, &err), 0);
    pid = set.v[0].pid;
    kill(pid, SIGKILL);
    ck_assert(reaped_within(pid, set.v[0].starttime, 10000));
    ck_assert(!qemud_sidecar_alive(&set.v[0]));
    qemud_sidecars_stop(&set, "guest");
    assert_no_children();
}
END_TEST

/* What a restarted daemon does: reads the status back and adopts the
 * sidecar that still runs (here our child, spawned without a reaper, as
 * the next daemon sees one: through its pidfd). */
START_TEST(test_status_roundtrip_adopt)
{
    const char *argv[] = { self, "--listen", sock, NULL };
    struct mv_process_spawn_opts opts = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    struct qemud_sidecars set = { 0 }, back = { 0 };
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    struct qemud_proc_stat st;
    struct qemud_sidecar sc = { .id = strdup("fs0"), .prog = strdup(self), .socket_path = strdup(sock), .pidfd = -1 };
    struct qemud_sidecar gone = { .id = strdup("fs1"), .prog = strdup(self), .pidfd = -1 };
    int status;

    ck_assert_int_eq(mv_process_spawn(argv, &opts, &sc.pid), 0);
    ck_assert_int_eq(qemud_proc_stat_read(sc.pid, &st), 0);
    sc.starttime = st.starttime;
    gone.pid = sc.pid;
    gone.starttime = st.starttime + 1;          /* its pid now names another process */
    set.v = calloc(2, sizeof(*set.v));
    set.v[0] = sc;
    set.v[1] = gone;
    set.n = 2;

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    xmlTextWriterStartElement(w.writer, BAD_CAST "domstatus");
    ck_assert_int_eq(qemud_sidecars_format(&set, w.writer), 0);
    xmlTextWriterEndElement(w.writer);
    ck_assert_int_eq(mv_xml_writer_finish(&w, &xml), 0);
    ck_assert_ptr_nonnull(strstr(xml, "<sidecar id=\"fs0\""));
    qemud_sidecars_clear(&set);

    ck_assert_int_eq(mv_xml_parse(xml, "status", &doc, &msg), 0);
    ck_assert_int_eq(mv_xpath_context_new(doc, &ctx), 0);
    ck_assert_int_eq(qemud_sidecars_parse(ctx, &back, &msg), 0);
    ck_assert_uint_eq(back.n, 2);
    ck_assert_uint_eq(qemud_sidecars_adopt(&back, "guest"), 1);
    ck_assert_uint_eq(back.n, 1);
    ck_assert_str_eq(back.v[0].id, "fs0");
    ck_assert_str_eq(back.v[0].socket_path, sock);
    ck_assert(qemud_sidecar_alive(&back.v[0]));
    qemud_sidecars_stop(&back, "guest");
    /* the adopted one is not our child as far as sidecar.c knows: its real
     * parent (PID 1 in the daemon's case, this test here) reaps it */
    ck_assert_int_eq(waitpid(sc.pid, &status, 0), sc.pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    ck_assert_int_eq(access(sock, F_OK), -1);
}
END_TEST

/* SET as read back by a restarted daemon: one sidecar listening on SOCK,
 * our child (not reaped by sidecar.c: its real parent here is the test,
 * PID 1 in the daemon's case).  Returns its pid. */
static pid_t recorded_listener(struct qemud_sidecars *set)
{
    const char *argv[] = { self, "--listen", sock, NULL };
    struct mv_process_spawn_opts opts = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    struct qemud_sidecar sc = { .id = strdup("fs0"), .prog = strdup(self), .socket_path = strdup(sock), .pidfd = -1 };
    struct qemud_proc_stat st;
    long long deadline = mv_now_ms() + 10000;

    ck_assert_int_eq(mv_process_spawn(argv, &opts, &sc.pid), 0);
    ck_assert_int_eq(qemud_proc_stat_read(sc.pid, &st), 0);
    sc.starttime = st.starttime;
    while (access(sock, F_OK) < 0) {        /* bound before the tests look for it */
        ck_assert_msg(mv_now_ms() < deadline, "the child did not bind %s", sock);
        poll(NULL, 0, 5);
    }
    set->v = calloc(1, sizeof(*set->v));
    set->v[0] = sc;
    set->n = 1;
    return sc.pid;
}

/* The test reaps PID, which sidecar.c signalled (or must not have). */
static int reap_status(pid_t pid, bool kill_first)
{
    int status = 0;

    if (kill_first)
        kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

/* pidfd_open says ESRCH: the process exited between /proc's look and the
 * pidfd; it is gone, its entry dropped and its socket removed. */
START_TEST(test_adopt_pidfd_esrch)
{
    struct qemud_sidecars set = { 0 };
    pid_t pid = recorded_listener(&set);

    fail_pid = pid;
    pidfd_fails = ESRCH;
    ck_assert_uint_eq(qemud_sidecars_adopt(&set, "guest"), 1);
    ck_assert_uint_eq(set.n, 0);
    ck_assert_int_eq(access(sock, F_OK), -1);
    qemud_sidecars_clear(&set);
    reap_status(pid, true);
}
END_TEST

/* pidfd_open fails otherwise (EMFILE): nothing is known gone, so it is
 * kept and stopped through /proc (the polling path): SIGTERM after a look
 * that it is the same process, its exit seen as a zombie. */
START_TEST(test_adopt_pidfd_emfile)
{
    struct qemud_sidecars set = { 0 };
    pid_t pid = recorded_listener(&set);
    int status;

    fail_pid = pid;
    pidfd_fails = EMFILE;
    ck_assert_uint_eq(qemud_sidecars_adopt(&set, "guest"), 0);
    ck_assert_uint_eq(set.n, 1);
    ck_assert_int_eq(set.v[0].pidfd, -1);
    ck_assert(qemud_sidecar_alive(&set.v[0]));
    ck_assert_int_eq(access(sock, F_OK), 0);
    qemud_sidecars_stop(&set, "guest");
    status = reap_status(pid, false);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    ck_assert_int_eq(access(sock, F_OK), -1);
}
END_TEST

/* /proc/PID/stat cannot be read (out of fds): a running sidecar is not
 * dropped, its socket stays; a stop cannot tell it from another process,
 * so it neither signals it nor removes its socket. */
START_TEST(test_adopt_proc_unreadable)
{
    struct qemud_sidecars set = { 0 };
    pid_t pid = recorded_listener(&set);
    struct qemud_proc_stat st;

    fail_pid = pid;
    stat_fails = -EMFILE;
    ck_assert_uint_eq(qemud_sidecars_adopt(&set, "guest"), 0);
    ck_assert_uint_eq(set.n, 1);
    ck_assert_int_eq(access(sock, F_OK), 0);
    ck_assert(qemud_sidecar_alive(&set.v[0]));      /* not known gone */
    qemud_sidecars_stop(&set, "guest");
    ck_assert_uint_eq(set.n, 0);
    ck_assert_int_eq(access(sock, F_OK), 0);
    stat_fails = 0;
    ck_assert_int_eq(qemud_proc_stat_read(pid, &st), 0);
    ck_assert_int_ne(st.state, 'Z');                /* never signalled */
    reap_status(pid, true);
}
END_TEST

/* /proc fails only after the pidfd opened: the pidfd might name a process
 * that took the pid, so it is closed; the sidecar is kept, its socket too. */
START_TEST(test_adopt_proc_unreadable_after_pidfd)
{
    struct qemud_sidecars set = { 0 };
    pid_t pid = recorded_listener(&set);

    fail_pid = pid;
    stat_fails = -EMFILE;
    stat_real_first = 1;            /* the look before the pidfd succeeds */
    ck_assert_uint_eq(qemud_sidecars_adopt(&set, "guest"), 0);
    ck_assert_uint_eq(set.n, 1);
    ck_assert_int_eq(set.v[0].pidfd, -1);
    ck_assert_int_eq(access(sock, F_OK), 0);
    qemud_sidecars_clear(&set);
    reap_status(pid, true);
}
END_TEST

/* A start time that cannot be read at start fails the start: the child is
 * killed and reaped, nothing is recorded (a restarted daemon could never
 * adopt it). */
START_TEST(test_start_without_starttime)
{
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };

    fail_pid = -1;
    stat_fails = -EMFILE;
    ck_assert_int_lt(start(&set, "--listen", false, 0, -1, &err), 0);
    ck_assert_uint_eq(set.n, 0);
    ck_assert_msg(strstr(err.message, "cannot read the start time of '") && strstr(err.message, "domain 'guest'"),
                  "%s", err.message);
    assert_no_children();
    mv_err_clear(&err);
}
END_TEST

/* What SET->recorded saw each time it was called. */
struct seen {
    size_t calls;
    size_t n[4];
    pid_t pid[4];
    unsigned long long starttime[4];
    bool listening[4];
};

static struct qemud_sidecars *seen_set;

static void on_recorded(void *opaque)
{
    struct seen *s = opaque;

    if (s->calls < 4) {
        s->n[s->calls] = seen_set->n;
        s->pid[s->calls] = seen_set->n ? seen_set->v[0].pid : 0;
        s->starttime[s->calls] = seen_set->n ? seen_set->v[0].starttime : 0;
        s->listening[s->calls] = access(sock, F_OK) == 0;
    }
    s->calls++;
}

/* The status file hook: told as soon as the sidecar runs (with its pid and
 * start time, before its socket listens), and again when its start failed
 * and took it out. */
START_TEST(test_recorded_before_ready)
{
    struct seen seen = { 0 };
    struct qemud_sidecars set = { .recorded = on_recorded, .opaque = &seen };
    struct mv_err err = { 0 };

    seen_set = &set;
    ck_assert_int_lt(start(&set, "--never", false, 200, -1, &err), 0);
    ck_assert_uint_eq(seen.calls, 2);
    ck_assert_uint_eq(seen.n[0], 1);
    ck_assert_int_gt(seen.pid[0], 0);
    ck_assert_uint_gt(seen.starttime[0], 0);
    ck_assert(!seen.listening[0]);
    ck_assert_uint_eq(seen.n[1], 0);
    assert_no_children();
    mv_err_clear(&err);

    seen = (struct seen){ 0 };
    ck_assert_int_eq(start(&set, "--listen", false, 0, -1, &err), 0);
    ck_assert_uint_eq(seen.calls, 1);
    ck_assert_uint_eq(seen.n[0], 1);
    ck_assert_int_eq(seen.pid[0], set.v[0].pid);
    qemud_sidecars_stop(&set, "guest");
    ck_assert_uint_eq(seen.calls, 1);               /* a stop records nothing: the caller does */
    assert_no_children();
}
END_TEST

/* A socket in a 100-character run directory is too long for sun_path:
 * refused by name before anything runs (not the sidecar's bind error). */
START_TEST(test_socket_path_too_long)
{
    char rundir[PATH_MAX], longsock[PATH_MAX + 64];
    const char *argv[] = { self, "--listen", longsock, NULL };
    struct qemud_sidecar_spec spec = { .id = "fs0", .argv = argv, .socket_path = longsock, .log_fd = -1 };
    struct qemud_sidecars set = { 0 };
    struct mv_err err = { 0 };
    size_t n = (size_t)snprintf(rundir, sizeof(rundir), "%s/", dir);

    if (n < 100) {                      /* a longer TMPDIR is too long already */
        memset(rundir + n, 'r', 100 - n);
        rundir[100] = '\0';
    }
    snprintf(longsock, sizeof(longsock), "%s/11111111-2222-4333-8444-555555555600.fs0.sock", rundir);
    ck_assert_int_lt(qemud_sidecar_start(&set, "guest", &spec, &err), 0);
    ck_assert_int_eq(err.code, MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "socket of sidecar 'fs0' of domain 'guest'"), "%s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, longsock));
    ck_assert_ptr_nonnull(strstr(err.message, "longer than a Unix socket path may be"));
    ck_assert_uint_eq(set.n, 0);
    assert_no_children();
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_parse_damaged)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    _cleanup_free_ char *msg = NULL;
    struct qemud_sidecars set = { 0 };

    ck_assert_int_eq(mv_xml_parse("<domstatus><sidecar id='a' prog='/x' pid='0' starttime='1'/></domstatus>", "status",
                                  &doc, &msg), 0);
    ck_assert_int_eq(mv_xpath_context_new(doc, &ctx), 0);
    ck_assert_int_eq(qemud_sidecars_parse(ctx, &set, &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "<sidecar> 1"));
    ck_assert_uint_eq(set.n, 0);
}
END_TEST

/* finalread11 #9: the one "same process?" answer, QEMU's and the
 * sidecars': a child is SAME while it runs, GONE as a zombie and once
 * reaped, another start time is GONE, and a /proc read that fails for want
 * of fds (real, not injected) is UNKNOWN, not GONE. */
START_TEST(test_proc_presence)
{
    struct qemud_proc_stat st;
    struct rlimit old, low;
    int fds[2], why, n = 0, held[64];
    siginfo_t info;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char c;

        close(fds[1]);
        _exit(read(fds[0], &c, 1) < 0);
    }
    close(fds[0]);
    ck_assert_int_eq(__real_qemud_proc_stat_read(pid, &st), 0);
    ck_assert_int_eq(qemud_proc_presence(pid, st.starttime, &why), QEMUD_PRESENCE_SAME);
    ck_assert_int_eq(qemud_proc_presence(pid, st.starttime + 1, &why), QEMUD_PRESENCE_GONE);

    /* out of fds: /proc cannot be read, which says nothing of the child */
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 16;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    while (n < (int)MV_ARRAY_SIZE(held) && (held[n] = dup(0)) >= 0)
        n++;
    ck_assert_int_eq(errno, EMFILE);
    ck_assert_int_eq(qemud_proc_presence(pid, st.starttime, &why), QEMUD_PRESENCE_UNKNOWN);
    ck_assert_int_eq(why, -EMFILE);
    while (n > 0)
        close(held[--n]);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);

    close(fds[1]);                                  /* the child exits: a zombie until reaped */
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
    ck_assert_int_eq(qemud_proc_presence(pid, st.starttime, &why), QEMUD_PRESENCE_GONE);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert_int_eq(qemud_proc_presence(pid, st.starttime, &why), QEMUD_PRESENCE_GONE);
    ck_assert_int_eq(why, -ESRCH);
}
END_TEST

static Suite *sidecar_suite(void)
{
    Suite *s = suite_create("qemud_sidecar");
    TCase *tc = tcase_create("sidecar");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_start_ready_stop);
    tcase_add_test(tc, test_exit_before_ready);
    tcase_add_test(tc, test_deadline);
    tcase_add_test(tc, test_sigterm_ignored);
    tcase_add_test(tc, test_reaped_at_once);
    tcase_add_test(tc, test_status_roundtrip_adopt);
    tcase_add_test(tc, test_adopt_pidfd_esrch);
    tcase_add_test(tc, test_adopt_pidfd_emfile);
    tcase_add_test(tc, test_adopt_proc_unreadable);
    tcase_add_test(tc, test_adopt_proc_unreadable_after_pidfd);
    tcase_add_test(tc, test_start_without_starttime);
    tcase_add_test(tc, test_recorded_before_ready);
    tcase_add_test(tc, test_parse_damaged);
    tcase_add_test(tc, test_socket_path_too_long);
    tcase_add_test(tc, test_proc_presence);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    SRunner *sr;
    ssize_t n;
    int failed;

    if (argc >= 2 && strncmp(argv[1], "--", 2) == 0)
        return child_main(argc, argv);
    if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
        return 99;
    self[n] = '\0';
    sr = srunner_create(sidecar_suite());
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
