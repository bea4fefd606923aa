/*
 * The confinement of a child (common/confine.c, confine_child.c) through
 * mv_process_spawn, with real programs: a /bin/sh script reports what it
 * sees from inside (its ids, capabilities, mount namespace, /dev, files),
 * and a real QEMU shows that the base layout is enough for it to start,
 * under -sandbox on, and answer QMP on a socket in a bound directory.
 * Needs root (mounts, setuid); skipped otherwise.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "confine.h"
#include "monotime.h"
#include "process.h"

#define GUEST_ID 4000123    /* no account has it */
#define QEMU "/usr/bin/qemu-system-x86_64"
#define IO_TIMEOUT_MS 20000
#define OUT_MAX 65536

/* A private 0700 temp dir (the guest uid cannot traverse it on the host)
 * with an empty "stage" directory for the new root. */
struct fixture {
    char dir[64], stage[96];
};

static void fixture_init(struct fixture *f)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/check-confine-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    ck_assert_int_eq(chmod(f->dir, 0700), 0);
    snprintf(f->stage, sizeof(f->stage), "%s/stage", f->dir);
    ck_assert_int_eq(mkdir(f->stage, 0755), 0);
}

/* Removes the fixture; the stage must be empty again (nothing leaked onto
 * the host: the child's mounts died with its namespace). */
static void fixture_clear(struct fixture *f, const char *const files[])
{
    char p[PATH_MAX];

    for (size_t i = 0; files && files[i]; i++) {
        snprintf(p, sizeof(p), "%s/%s", f->dir, files[i]);
        if (unlink(p) < 0)
            rmdir(p);
    }
    ck_assert_int_eq(rmdir(f->stage), 0);
    ck_assert_int_eq(rmdir(f->dir), 0);
}

static void confine_guest(struct mv_confine *c, const char *stage)
{
    ck_assert_int_eq(mv_confine_init(c, stage), 0);
    ck_assert_int_eq(mv_confine_add_base(c), 0);
    c->uid = GUEST_ID, c->gid = GUEST_ID;
    c->no_new_privs = true;
    c->nofile = 123;
    c->memlock = 64 * 1024;
}

/* Reads FD into BUF until NEEDLE appears (NULL: until EOF) or the timeout;
 * the length read. */
static size_t read_until(int fd, char *buf, size_t size, const char *needle)
{
    long long deadline = mv_now_ms() + IO_TIMEOUT_MS;
    size_t len = 0;

    buf[0] = '\0';
    while (len + 1 < size && !(needle && strstr(buf, needle))) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long long left = deadline - mv_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        if ((n = read(fd, buf + len, size - 1 - len)) <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return len;
}

/* Runs SCRIPT confined by C; its stdout and stderr in OUT; the wait status. */
static int run_confined(const struct mv_confine *c, const char *script, char *out, size_t size)
{
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    _cleanup_free_ char *msg = NULL;
    int fds[2], status = -1;
    pid_t pid;

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = fds[1], .stderr_fd = fds[1],
                                       .confine = c, .errmsg = &msg };
    int r = mv_process_spawn(argv, &o, &pid);

    close(fds[1]);
    ck_assert_msg(r == 0, "spawn: %s", msg ? msg : strerror(-r));
    read_until(fds[0], out, size, NULL);
    close(fds[0]);
    ck_assert_int_eq(mv_process_reap(pid, IO_TIMEOUT_MS, &status), 1);
    return status;
}

static void assert_has(const char *out, const char *needle)
{
    ck_assert_msg(strstr(out, needle), "'%s' not in:\n%s", needle, out);
}

START_TEST(test_identity_and_root)
{
    struct fixture f;
    struct mv_confine c;
    char out[OUT_MAX], ns[64], ns_line[96];
    ssize_t n;

    fixture_init(&f);
    confine_guest(&c, f.stage);
    int st = run_confined(&c, "cat /proc/self/status; echo NS=$(readlink /proc/self/ns/mnt);"
                          "echo DEV=$(ls -A /dev | tr '\\n' ' '); echo NOFILE=$(ulimit -n);"
                          "echo MEMLOCK=$(ulimit -l); echo ROOT=$(ls -A / | tr '\\n' ' ');"
                          "test -e /etc/shadow || echo NO-SHADOW; test -e /root || echo NO-ROOT;"
                          "echo PWD=$(pwd); echo ETC=$(ls -A /etc | tr '\\n' ' ');"
                          /* a pty, as QEMU's serial consoles open one: from the host's devpts */
                          "python3 -c 'import os; m, s = os.openpty(); print(\"PTY=\" + os.ttyname(s))'",
                          out, sizeof(out));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d:\n%s", st, out);
    assert_has(out, "Uid:\t4000123\t4000123\t4000123\t4000123\n");
    assert_has(out, "Gid:\t4000123\t4000123\t4000123\t4000123\n");
    assert_has(out, "Groups:\t \n");
    for (size_t i = 0; i < 5; i++) {
        static const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
        char want[64];

        snprintf(want, sizeof(want), "%s:\t0000000000000000\n", sets[i]);
        assert_has(out, want);
    }
    assert_has(out, "NoNewPrivs:\t1\n");
    ck_assert_int_gt(n = readlink("/proc/self/ns/mnt", ns, sizeof(ns) - 1), 0);
    ns[n] = '\0';
    snprintf(ns_line, sizeof(ns_line), "NS=%s\n", ns);
    ck_assert_msg(!strstr(out, ns_line), "same mount namespace as ours:\n%s", out);
    assert_has(out, "NS=mnt:[");
    assert_has(out, "DEV=full null ptmx pts random shm urandom zero\n");
    assert_has(out, "NOFILE=123\n");
    assert_has(out, "MEMLOCK=64\n");
    assert_has(out, "PTY=/dev/pts/");
    assert_has(out, "NO-SHADOW\n");
    assert_has(out, "NO-ROOT\n");
    assert_has(out, "PWD=/\n");
    assert_has(out, "ETC=ld.so.cache localtime\n");
    mv_confine_clear(&c);
    fixture_clear(&f, NULL);
}
END_TEST

static int make_file(const char *dir, const char *name, mode_t mode, const char *text)
{
    char p[PATH_MAX];
    int fd;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
    ck_assert_int_ge(fd = open(p, O_PATH | O_CLOEXEC), 3);
    return fd;
}

/* Files bound from O_PATH fds out of a dir the guest uid cannot traverse:
 * readable there, read-only when asked, and nothing else of the dir. */
START_TEST(test_bound_files)
{
    static const char *const files[] = { "secret", "rw", "other", NULL };
    struct fixture f;
    struct mv_confine c;
    char out[OUT_MAX], script[1024], p[PATH_MAX], text[64] = "";
    int secret, rw, other, fd;

    fixture_init(&f);
    secret = make_file(f.dir, "secret", 0644, "secret-data\n");
    rw = make_file(f.dir, "rw", 0666, "unchanged\n");
    other = make_file(f.dir, "other", 0644, "other\n");
    confine_guest(&c, f.stage);
    ck_assert_int_eq(mv_confine_add(&c, "/data/secret", NULL, secret, 0), 0);
    ck_assert_int_eq(mv_confine_add(&c, "/data/rw", NULL, rw, MV_CONFINE_RO), 0);
    snprintf(script, sizeof(script),
             "cat /data/secret; echo changed > /data/rw || echo WRITE-REFUSED;"
             "echo DATA=$(ls -A /data | tr '\\n' ' '); test -e %s || echo NO-TMPDIR", f.dir);
    int st = run_confined(&c, script, out, sizeof(out));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d:\n%s", st, out);
    assert_has(out, "secret-data\n");
    assert_has(out, "Read-only file system");
    assert_has(out, "WRITE-REFUSED\n");
    assert_has(out, "DATA=rw secret\n");
    assert_has(out, "NO-TMPDIR\n");
    snprintf(p, sizeof(p), "%s/rw", f.dir);
    ck_assert_int_ge(fd = open(p, O_RDONLY | O_CLOEXEC), 0);
    ck_assert_int_gt(read(fd, text, sizeof(text) - 1), 0);
    close(fd);
    ck_assert_str_eq(text, "unchanged\n");
    close(secret), close(rw), close(other);
    mv_confine_clear(&c);
    fixture_clear(&f, files);
}
END_TEST

/* A mount that cannot be made fails the spawn with the step and target. */
START_TEST(test_bad_src_fd)
{
    const char *argv[] = { "/bin/true", NULL };
    _cleanup_free_ char *msg = NULL;
    struct fixture f;
    struct mv_confine c;
    int bad = 900;  /* far above anything the spawn opens */
    pid_t pid = 0;

    ck_assert_int_eq(fcntl(bad, F_GETFD), -1);
    fixture_init(&f);
    confine_guest(&c, f.stage);
    ck_assert_int_eq(mv_confine_add(&c, "/data/bad", NULL, bad, 0), 0);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
                                       .confine = &c, .errmsg = &msg };
    ck_assert_int_eq(mv_process_spawn(argv, &o, &pid), -EBADF);
    ck_assert_int_eq(pid, 0);
    ck_assert_str_eq(msg, "cannot confine '/bin/true': open-tree of '/data/bad' failed: Bad file descriptor");
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);   /* reaped */
    mv_confine_clear(&c);
    fixture_clear(&f, NULL);
}
END_TEST

/* An fd 0..2 as a mount's source would be overwritten by the child's stdio. */
START_TEST(test_low_src_fd_refused)
{
    const char *argv[] = { "/bin/true", NULL };
    struct mv_confine c;
    pid_t pid;

    ck_assert_int_eq(mv_confine_init(&c, "/nonexistent"), 0);
    ck_assert_int_eq(mv_confine_add(&c, "/x", NULL, 1, 0), 0);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .confine = &c };
    ck_assert_int_eq(mv_process_spawn(argv, &o, &pid), -EINVAL);
    ck_assert_int_eq(mv_confine_add(&c, "relative", "/x", -1, 0), -EINVAL);
    mv_confine_clear(&c);
}
END_TEST

/* ---- a real QEMU ---- */

/* What the QEMU test saw, checked after QEMU is gone (a failed assertion
 * must not leave it running). */
struct qemu_seen {
    char err[4096], status[4096], greeting[1024], reply[1024], bye[1024];
    int exit_status;
};

static void read_proc_status(pid_t pid, char *buf, size_t size)
{
    char p[64];
    int fd;

    snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
    if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0) {
        read_until(fd, buf, size, NULL);
        close(fd);
    }
}

/* Talks QMP to the QEMU at SOCK: greeting, capabilities, quit. */
static void qmp_session(const char *sock, struct qemu_seen *s)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n", quit[] = "{\"execute\":\"quit\"}\n";

    if (strlen(sock) < sizeof(sa.sun_path))
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(s->greeting, sizeof(s->greeting), "connect: %s", strerror(errno));
    } else {
        read_until(fd, s->greeting, sizeof(s->greeting), "\n");
        if (write(fd, caps, strlen(caps)) == (ssize_t)strlen(caps))
            read_until(fd, s->reply, sizeof(s->reply), "\n");
        if (write(fd, quit, strlen(quit)) == (ssize_t)strlen(quit))
            read_until(fd, s->bye, sizeof(s->bye), NULL);     /* until QEMU closes it */
    }
    if (fd >= 0)
        close(fd);
}

static void run_qemu(const struct mv_confine *c, const char *dir, struct qemu_seen *s)
{
    char qmp[192], sock[128];
    const char *argv[] = { QEMU, "-machine", "none", "-nodefaults", "-display", "none",
                           "-sandbox", "on", "-qmp", qmp, NULL };
    _cleanup_free_ char *msg = NULL;
    int fds[2];
    pid_t pid;

    snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
    /* wait=on: QEMU says on stderr when it listens, the test's only signal */
    snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=on", sock);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = fds[1], .stderr_fd = fds[1],
                                       .confine = c, .errmsg = &msg };
    int r = mv_process_spawn(argv, &o, &pid);

    close(fds[1]);
    ck_assert_msg(r == 0, "spawn: %s", msg ? msg : strerror(-r));
    read_until(fds[0], s->err, sizeof(s->err), "waiting for connection");
    read_proc_status(pid, s->status, sizeof(s->status));
    if (strstr(s->err, "waiting for connection"))
        qmp_session(sock, s);
    if (mv_process_reap(pid, IO_TIMEOUT_MS, &s->exit_status) != 1) {
        mv_process_kill_reap(pid, IO_TIMEOUT_MS);
        s->exit_status = -1;
    }
    close(fds[0]);
}

START_TEST(test_qemu_qmp)
{
    static const char *const files[] = { "qemu/qmp.sock", "qemu", NULL };
    struct fixture f;
    struct mv_confine c;
    struct qemu_seen s = { .exit_status = -1 };
    char dir[96];
    int dfd;

    if (access(QEMU, X_OK) < 0) {
        fprintf(stderr, "check_confine: no %s, QEMU test skipped\n", QEMU);
        return;
    }
    fixture_init(&f);
    snprintf(dir, sizeof(dir), "%s/qemu", f.dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(chown(dir, GUEST_ID, GUEST_ID), 0);
    ck_assert_int_ge(dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), 3);
    confine_guest(&c, f.stage);
    c.nofile = 1024;
    ck_assert_int_eq(mv_confine_add(&c, dir, NULL, dfd, MV_CONFINE_DIR), 0);
    run_qemu(&c, dir, &s);
    close(dfd);
    mv_confine_clear(&c);
    ck_assert_msg(strstr(s.greeting, "\"QMP\""), "no greeting: %s\nQEMU said: %s", s.greeting, s.err);
    assert_has(s.reply, "\"return\"");
    ck_assert_msg(WIFEXITED(s.exit_status) && WEXITSTATUS(s.exit_status) == 0,
                  "QEMU status %d: %s", s.exit_status, s.err);
    assert_has(s.status, "Uid:\t4000123\t");
    assert_has(s.status, "CapEff:\t0000000000000000\n");
    assert_has(s.status, "NoNewPrivs:\t1\n");
    assert_has(s.status, "Seccomp:\t2\n");
    fixture_clear(&f, files);
}
END_TEST

static Suite *confine_suite(void)
{
    Suite *s = suite_create("confine");
    TCase *tc = tcase_create("spawn");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_low_src_fd_refused);
    if (geteuid() == 0) {
        tcase_add_test(tc, test_identity_and_root);
        tcase_add_test(tc, test_bound_files);
        tcase_add_test(tc, test_bad_src_fd);
        tcase_add_test(tc, test_qemu_qmp);
    } else {
        fprintf(stderr, "check_confine: not root, confinement tests skipped\n");
    }
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(confine_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
