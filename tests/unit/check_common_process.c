/*
 * The process runner (common/process.c) with real programs: /bin/sh scripts
 * stand in for qemu-img, dnsmasq and friends.  What the child saw (its fds,
 * its environment, its signal dispositions) is read from inside the child.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "monotime.h"
#include "process.h"

#define SH "/bin/sh"

static int run_sh(const char *script, const char *input, int timeout_ms, size_t max,
                  struct mv_process_result *res, char **errmsg)
{
    const char *argv[] = { SH, "-c", script, NULL };
    struct mv_process_run_opts o = { .input = input, .timeout_ms = timeout_ms, .stdout_max = max };

    return mv_process_run(argv, &o, res, errmsg);
}

/* No child of ours is left unreaped (none is a zombie waiting for us). */
static void assert_no_children(void)
{
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

START_TEST(test_success)
{
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(run_sh("echo hello; echo noise >&2", NULL, 10000, 0, &res, &msg), 0);
    ck_assert(res.exited);
    ck_assert_str_eq(res.out, "hello\n");
    ck_assert_uint_eq(res.out_len, 6);
    ck_assert_str_eq(res.err, "noise\n");
    ck_assert_ptr_null(msg);
    mv_process_result_clear(&res);
    assert_no_children();
}
END_TEST

START_TEST(test_exit_status_and_message)
{
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;
    int r = run_sh("echo partial; echo 'first line' >&2; echo 'tool: Could not open x' >&2; exit 3",
                   NULL, 10000, 0, &res, &msg);

    ck_assert_int_eq(r, -EIO);
    ck_assert(res.exited);
    ck_assert(WIFEXITED(res.status));
    ck_assert_int_eq(WEXITSTATUS(res.status), 3);
    ck_assert_str_eq(res.out, "partial\n");
    ck_assert_str_eq(msg, "'/bin/sh' exited with status 3: tool: Could not open x");
    mv_process_result_clear(&res);
    assert_no_children();
}
END_TEST

START_TEST(test_input)
{
    const char *argv[] = { "/bin/cat", NULL };
    struct mv_process_run_opts o = { .input = "line one\nline two\n", .timeout_ms = 10000 };
    struct mv_process_result res;

    ck_assert_int_eq(mv_process_run(argv, &o, &res, NULL), 0);
    ck_assert_str_eq(res.out, "line one\nline two\n");
    mv_process_result_clear(&res);
}
END_TEST

START_TEST(test_exec_failure)
{
    const char *argv[] = { "/nonexistent/qemu-img", "info", NULL };
    const char *rel[] = { "sh", NULL };
    struct mv_process_run_opts o = { .timeout_ms = 10000 };
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_process_run(argv, &o, &res, &msg), -ENOENT);
    ck_assert(!res.exited);
    ck_assert_str_eq(msg, "cannot run '/nonexistent/qemu-img': No such file or directory");
    mv_process_result_clear(&res);
    /* no PATH search: argv[0] must be absolute */
    ck_assert_int_eq(mv_process_run(rel, &o, &res, NULL), -EINVAL);
    mv_process_result_clear(&res);
    assert_no_children();
}
END_TEST

/* 100 MB on stdout with a 64 KiB cap: killed early, memory bounded. */
START_TEST(test_stdout_capped)
{
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;
    long long t0 = mv_now_ms();
    int r = run_sh("head -c 100000000 /dev/zero", NULL, 60000, 65536, &res, &msg);

    ck_assert_int_eq(r, -EFBIG);
    ck_assert_uint_le(res.out_len, 65536 + 1);
    ck_assert_str_eq(msg, "'/bin/sh' wrote more than 65536 bytes of output and was killed");
    ck_assert_msg(mv_now_ms() - t0 < 30000, "the runner read on instead of killing");
    mv_process_result_clear(&res);
    assert_no_children();
}
END_TEST

/* A megabyte of stderr: only its end is kept, and that end is the message. */
START_TEST(test_stderr_tail)
{
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;
    int r = run_sh("head -c 1000000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'last words' >&2; exit 1",
                   NULL, 60000, 0, &res, &msg);

    ck_assert_int_eq(r, -EIO);
    ck_assert_uint_le(strlen(res.err), MV_PROCESS_STDERR_KEEP);
    ck_assert_str_eq(msg, "'/bin/sh' exited with status 1: last words");
    mv_process_result_clear(&res);
}
END_TEST

/* Mode of this program as the grandchild of test_timeout_kills: holds
 * HOG_MB of touched memory in small pages, which takes a killed process
 * a while to free before it is a zombie, then waits to be killed. */
#define HOG_MB 512
static int hog(void)
{
    size_t len = (size_t)HOG_MB << 20;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED)
        return 1;
    madvise(m, len, MADV_NOHUGEPAGE);   /* huge pages would be freed at once */
    memset(m, 1, len);
    for (;;)
        pause();
}

/* State letter of PID from /proc, or 0 if it is gone. */
static char proc_state(long pid)
{
    char path[64], state = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "re")))
        return 0;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
        state = '?';
    fclose(f);
    return state;
}

/* The timeout kills the child and its process group (a grandchild holding
 * the pipes open too), and reaps the child before returning.  The runner's
 * promise is that the whole group has exited by then, however slowly a
 * killed grandchild dies: the grandchild (this program, holding much memory)
 * is dead, a zombie for PID 1 at most, the moment mv_process_run returns. */
START_TEST(test_timeout_kills)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *argv[] = { SH, "-c", "\"$0\" --hog & echo $!; echo 'still working' >&2; wait", self, NULL };
    struct mv_process_run_opts o = { .timeout_ms = 2000 };
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;
    long long t0 = mv_now_ms();
    long grandchild;
    char state;
    int r;

    ck_assert_int_gt(n, 0);
    self[n] = '\0';
    r = mv_process_run(argv, &o, &res, &msg);
    state = 0;
    ck_assert_int_eq(r, -ETIMEDOUT);
    grandchild = res.out ? strtol(res.out, NULL, 10) : 0;
    if (grandchild > 1)
        state = proc_state(grandchild);     /* at once: no grace for the runner */
    ck_assert_msg(mv_now_ms() - t0 < 15000, "the timeout did not end the run");
    ck_assert_str_eq(msg, "'/bin/sh' did not finish within 2000 ms and was killed: still working");
    assert_no_children();
    ck_assert_msg(grandchild > 1, "no grandchild pid on stdout: '%s'", res.out);
    ck_assert_msg(state == 0 || state == 'Z' || state == 'X',
                  "grandchild %ld still in state %c when the run returned", grandchild, state);
    mv_process_result_clear(&res);
}
END_TEST

/* fds without O_CLOEXEC (a socket, a file) do not reach the child: ls sees
 * 0, 1, 2 and its own directory fd (3, the lowest free number). */
START_TEST(test_fds_not_inherited)
{
    struct mv_process_result res;
    int sv[2], leak = open("/dev/null", O_RDONLY);

    ck_assert_int_ge(leak, 3);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(run_sh("exec ls /proc/self/fd", NULL, 10000, 0, &res, NULL), 0);
    ck_assert_str_eq(res.out, "0\n1\n2\n3\n");
    mv_process_result_clear(&res);
    close(leak);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Spawns SCRIPT with OPTS (stdout to a pipe) and returns what it printed. */
static void spawn_read(const char *script, struct mv_process_spawn_opts *o, pid_t *pid, char *buf, size_t size)
{
    const char *argv[] = { SH, "-c", script, NULL };
    ssize_t n, got = 0;
    int out[2], status;

    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    o->stdout_fd = out[1];
    ck_assert_int_eq(mv_process_spawn(argv, o, pid), 0);
    close(out[1]);
    while ((n = read(out[0], buf + got, size - 1 - (size_t)got)) > 0)
        got += n;
    buf[got] = '\0';
    close(out[0]);
    ck_assert_int_eq(mv_process_reap(*pid, 10000, &status), 1);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The fds a caller keeps stay at their numbers (QEMU's taps); every other
 * one is closed; new_session gives the child a session of its own. */
START_TEST(test_spawn_keeps_fds)
{
    char buf[256], expected[64];
    int keep[2], leak = open("/dev/null", O_RDONLY);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stderr_fd = -1, .keep_fds = keep, .nkeep = 2,
                                       .new_session = true };
    pid_t pid;

    keep[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    keep[1] = -1;
    ck_assert_int_gt(keep[0], 3);
    spawn_read("exec ls /proc/self/fd", &o, &pid, buf, sizeof(buf));
    snprintf(expected, sizeof(expected), "0\n1\n2\n3\n%d\n", keep[0]);
    ck_assert_str_eq(buf, expected);
    spawn_read("exec cut -d' ' -f6 /proc/self/stat", &o, &pid, buf, sizeof(buf));
    snprintf(expected, sizeof(expected), "%d\n", (int)pid);
    ck_assert_str_eq(buf, expected);
    close(keep[0]);
    close(leak);
}
END_TEST

START_TEST(test_env_minimal)
{
    const char *argv[] = { "/usr/bin/env", NULL };
    const char *env[] = { "LC_ALL=C", "TMPDIR=/var/tmp", NULL };
    struct mv_process_run_opts o = { .timeout_ms = 10000 };
    struct mv_process_result res;

    setenv("MV_TEST_SECRET", "leaked", 1);
    ck_assert_int_eq(mv_process_run(argv, &o, &res, NULL), 0);
    ck_assert_str_eq(res.out, "LC_ALL=C\n" MV_PROCESS_PATH "\nHOME=/\n");
    mv_process_result_clear(&res);
    o.env = env;
    ck_assert_int_eq(mv_process_run(argv, &o, &res, NULL), 0);
    ck_assert_str_eq(res.out, "LC_ALL=C\nTMPDIR=/var/tmp\n");
    mv_process_result_clear(&res);
}
END_TEST

/* A daemon ignores SIGPIPE and SIGTERM or blocks signals in its threads;
 * the child must start with the defaults (ignored dispositions and the
 * signal mask survive execve()). */
START_TEST(test_signals_reset)
{
    struct mv_process_result res;
    _cleanup_free_ char *msg = NULL;
    sigset_t block;

    signal(SIGTERM, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    ck_assert_int_eq(run_sh("kill -TERM $$; echo survived", NULL, 10000, 0, &res, &msg), -EIO);
    ck_assert(WIFSIGNALED(res.status));
    ck_assert_int_eq(WTERMSIG(res.status), SIGTERM);
    ck_assert_str_eq(msg, "'/bin/sh' was killed by signal 15");
    mv_process_result_clear(&res);
    ck_assert_int_eq(run_sh("kill -INT $$; echo survived", NULL, 10000, 0, &res, NULL), -EIO);
    ck_assert_int_eq(WTERMSIG(res.status), SIGINT);
    mv_process_result_clear(&res);
}
END_TEST

/* A tool that daemonizes (dnsmasq) leaves a grandchild holding the pipes:
 * the run ends when the tool itself exits, not at the timeout.  The
 * grandchild outlives the timeout (10 s), so a run that waited for it
 * fails: no clock needed.  It says its pid on stderr, to be killed. */
START_TEST(test_daemonizing_tool)
{
    struct mv_process_result res;
    int r = run_sh("(sleep 120 & echo $! >&2) ; echo started", NULL, 10000, 0, &res, NULL);
    long grandchild = strtol(res.err, NULL, 10);

    if (grandchild > 0)
        kill((pid_t)grandchild, SIGKILL);
    ck_assert_msg(r == 0, "the run waited for the grandchild: %d", r);
    ck_assert_str_eq(res.out, "started\n");
    ck_assert_int_gt(grandchild, 0);
    mv_process_result_clear(&res);
}
END_TEST

START_TEST(test_reap_bounded)
{
    const char *argv[] = { SH, "-c", "sleep 30", NULL };
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    pid_t pid;

    ck_assert_int_eq(mv_process_spawn(argv, &o, &pid), 0);
    ck_assert_int_eq(mv_process_reap(pid, 100, NULL), 0);       /* still running */
    ck_assert_int_eq(mv_process_kill_reap(pid, 10000), 1);
    assert_no_children();
}
END_TEST


struct chunks { int calls; size_t bytes; };

static void count_chunk(const char *chunk, size_t len, void *opaque)
{
    struct chunks *c = opaque;

    ck_assert_ptr_nonnull(chunk);
    c->calls++, c->bytes += len;
}

/* on_stdout sees every byte as it comes (qemu-img -p), and RES still gets it all */
START_TEST(test_run_on_stdout)
{
    const char *argv[] = { SH, "-c", "printf 'a\r'; printf 'bb\r'; printf 'ccc\n'", NULL };
    struct chunks c = { 0 };
    struct mv_process_run_opts o = { .timeout_ms = 10000, .on_stdout = count_chunk, .opaque = &c };
    struct mv_process_result res;

    ck_assert_int_eq(mv_process_run(argv, &o, &res, NULL), 0);
    ck_assert_int_ge(c.calls, 1);
    ck_assert_uint_eq(c.bytes, 9);
    ck_assert_str_eq(res.out, "a\rbb\rccc\n");
    mv_process_result_clear(&res);
}
END_TEST

/* keep_fds: a memfd (a key) reaches the child at its number, nothing else does */
START_TEST(test_run_keeps_fds)
{
    _cleanup_close_ int mfd = memfd_create("key", 0);
    char script[128];
    const char *argv[] = { SH, "-c", script, NULL };
    struct mv_process_run_opts o = { .timeout_ms = 10000, .keep_fds = &mfd, .nkeep = 1 };
    struct mv_process_result res;

    ck_assert_int_ge(mfd, 0);
    ck_assert_int_eq(write(mfd, "s3cret", 6), 6);
    snprintf(script, sizeof(script), "cat /proc/self/fd/%d", mfd);
    ck_assert_int_eq(mv_process_run(argv, &o, &res, NULL), 0);
    ck_assert_str_eq(res.out, "s3cret");
    mv_process_result_clear(&res);
}
END_TEST

static Suite *process_suite(void)
{
    Suite *s = suite_create("common_process");
    TCase *tc = tcase_create("run");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_success);
    tcase_add_test(tc, test_exit_status_and_message);
    tcase_add_test(tc, test_input);
    tcase_add_test(tc, test_exec_failure);
    tcase_add_test(tc, test_stdout_capped);
    tcase_add_test(tc, test_stderr_tail);
    tcase_add_test(tc, test_timeout_kills);
    tcase_add_test(tc, test_fds_not_inherited);
    tcase_add_test(tc, test_spawn_keeps_fds);
    tcase_add_test(tc, test_env_minimal);
    tcase_add_test(tc, test_signals_reset);
    tcase_add_test(tc, test_daemonizing_tool);
    tcase_add_test(tc, test_reap_bounded);
    tcase_add_test(tc, test_run_on_stdout);
    tcase_add_test(tc, test_run_keeps_fds);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    SRunner *sr;
    int n;

    if (argc == 2 && strcmp(argv[1], "--hog") == 0)
        return hog();
    sr = srunner_create(process_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
