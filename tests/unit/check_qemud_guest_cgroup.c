/*
 * guest_cgroup.c on the host's real cgroup2 hierarchy: a child spawned
 * with the group's cgroup.procs fd (mv_confine.cgroup_procs_fd) is in the
 * group before it executes, per its own /proc/self/cgroup; a group that is
 * gone fails the spawn at step "cgroup"; memory.max and pids.max are
 * written only where the hierarchy offers those controllers; removal; the
 * sweep of a group no domain keeps; no hierarchy, no group.  Group names
 * are unique per test process (parallel runs share the hierarchy).  The
 * CPU limits of the tuning calls run on a fake tree on every host.
 * Skipped without a writable cgroup2 hierarchy (or without root).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "confine.h"
#include "guest_cgroup.h"
#include "process.h"
#include "testutil.h"

#define WAIT_MS 20000
#define GIB (1024ULL * 1024)    /* in KiB */

/* A UUID-like name no other test process uses: its pid and a serial. */
static void unique_name(char name[64])
{
    static unsigned serial;

    snprintf(name, 64, "00000000-0000-4000-8000-%06x%06x", (unsigned)getpid() & 0xffffff, ++serial);
}

static bool have_hierarchy(void)
{
    qemud_guest_cgroup_init(NULL, NULL);
    if (!qemud_guest_cgroup_parent()) {
        fprintf(stderr, "SKIP: no writable cgroup2 hierarchy\n");
        return false;
    }
    return true;
}

static void group_dir(const char *name, char path[PATH_MAX])
{
    ck_assert_int_lt(snprintf(path, PATH_MAX, "%s/%s", qemud_guest_cgroup_parent(), name), PATH_MAX);
}

static bool exists(const char *dir, const char *file)
{
    char p[PATH_MAX];

    ck_assert_int_lt(snprintf(p, sizeof(p), "%s/%s", dir, file), (int)sizeof(p));
    return access(p, F_OK) == 0;
}

static unsigned long long read_num(const char *dir, const char *file)
{
    char p[PATH_MAX], buf[64] = "";
    FILE *f;

    ck_assert_int_lt(snprintf(p, sizeof(p), "%s/%s", dir, file), (int)sizeof(p));
    ck_assert_ptr_nonnull(f = fopen(p, "re"));
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    return strtoull(buf, NULL, 10);
}

/* Whether CONTROLLER is offered to modvirt's children (the parent's subtree_control). */
static bool enabled(const char *controller)
{
    char buf[256] = "";
    FILE *f;
    char p[PATH_MAX];

    ck_assert_int_lt(snprintf(p, sizeof(p), "%s/cgroup.subtree_control", qemud_guest_cgroup_parent()),
                     (int)sizeof(p));
    if (!(f = fopen(p, "re")))
        return false;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    return strstr(buf, controller) != NULL;
}

/* Runs /bin/sh printing its own /proc/self/cgroup, joined through FD;
 * 0 with its output in OUT, or the spawn's -errno with its message. */
static int run_in(int fd, char *out, size_t size, char **msg)
{
    const char *argv[] = { "/bin/sh", "-c", "cat /proc/self/cgroup", NULL };
    _cleanup_(mv_confine_clear) struct mv_confine c;
    int pipefd[2], status = -1, r;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    ck_assert_int_eq(mv_confine_init(&c, NULL), 0);
    c.cgroup_procs_fd = fd;
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    struct mv_process_spawn_opts o = { .stdin_fd = -1, .stdout_fd = pipefd[1], .stderr_fd = pipefd[1],
                                       .confine = &c, .errmsg = msg };
    r = mv_process_spawn(argv, &o, &pid);
    close(pipefd[1]);
    while (r == 0 && len + 1 < size && (n = read(pipefd[0], out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(pipefd[0]);
    if (r == 0) {
        ck_assert_int_eq(mv_process_reap(pid, WAIT_MS, &status), 1);
        ck_assert_int_eq(status, 0);
    }
    return r;
}

START_TEST(test_join_and_remove)
{
    char name[64], dir[PATH_MAX], out[4096], line[128];
    _cleanup_free_ char *msg = NULL;
    const char *failed = NULL;
    int fd = -1;

    if (!have_hierarchy())
        return;
    unique_name(name);
    group_dir(name, dir);
    ck_assert_int_eq(qemud_guest_cgroup_create(name, GIB, 2, &fd, &failed), 0);
    ck_assert_int_ge(fd, 3);
    ck_assert_int_eq(run_in(fd, out, sizeof(out), &msg), 0);
    snprintf(line, sizeof(line), "0::/modvirt/%s\n", name);
    ck_assert_msg(strstr(out, line), "'%s' not in the child's /proc/self/cgroup:\n%s", line, out);
    close(fd);
    /* the child exited: its group goes */
    qemud_guest_cgroup_remove(name);
    ck_assert_int_eq(access(dir, F_OK), -1);
    ck_assert_int_eq(errno, ENOENT);
    qemud_guest_cgroup_remove(name);     /* absent: fine */
}
END_TEST

/* A group removed before the child joins: the spawn fails at "cgroup",
 * the program never runs. */
START_TEST(test_join_fails)
{
    char name[64], out[4096];
    _cleanup_free_ char *msg = NULL;
    const char *failed = NULL;
    int fd = -1;

    if (!have_hierarchy())
        return;
    unique_name(name);
    ck_assert_int_eq(qemud_guest_cgroup_create(name, GIB, 1, &fd, &failed), 0);
    qemud_guest_cgroup_remove(name);
    ck_assert_int_lt(run_in(fd, out, sizeof(out), &msg), 0);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "cgroup failed"), "message: %s", msg);
    close(fd);
}
END_TEST

START_TEST(test_limits)
{
    char name[64], dir[PATH_MAX];
    const char *failed = NULL;
    int fd = -1;

    if (!have_hierarchy())
        return;
    unique_name(name);
    group_dir(name, dir);
    ck_assert_int_eq(qemud_guest_cgroup_create(name, 2 * GIB, 3, &fd, &failed), 0);
    close(fd);
    if (enabled("memory"))
        ck_assert_uint_eq(read_num(dir, "memory.max"), (2 * GIB + 512 * 1024) * 1024);
    else {
        ck_assert(!exists(dir, "memory.max"));
        fprintf(stderr, "SKIP (part): the hierarchy offers no memory controller: memory.max not checked\n");
    }
    if (enabled("pids"))
        ck_assert_uint_eq(read_num(dir, "pids.max"), 256 + 4 * 3);
    else {
        ck_assert(!exists(dir, "pids.max"));
        fprintf(stderr, "SKIP (part): the hierarchy offers no pids controller: pids.max not checked\n");
    }
    qemud_guest_cgroup_remove(name);
    ck_assert(access(dir, F_OK) < 0);
}
END_TEST

static char kept[64];

static bool keep_one(const char *name)
{
    /* other tests' groups (parallel runs) are none of this test's business */
    return strcmp(name, kept) == 0 || strncmp(name, kept, strlen(kept) - 6) != 0;
}

START_TEST(test_sweep)
{
    char orphan[64], dir_kept[PATH_MAX], dir_orphan[PATH_MAX];
    const char *failed = NULL;
    int fd = -1;

    if (!have_hierarchy())
        return;
    unique_name(kept);
    unique_name(orphan);
    group_dir(kept, dir_kept);
    group_dir(orphan, dir_orphan);
    ck_assert_int_eq(qemud_guest_cgroup_create(kept, GIB, 1, &fd, &failed), 0);
    close(fd);
    ck_assert_int_eq(qemud_guest_cgroup_create(orphan, GIB, 1, &fd, &failed), 0);
    close(fd);
    qemud_guest_cgroup_sweep(keep_one);
    ck_assert_int_eq(access(dir_kept, F_OK), 0);
    ck_assert(access(dir_orphan, F_OK) < 0);
    qemud_guest_cgroup_remove(kept);
    ck_assert(access(dir_kept, F_OK) < 0);
}
END_TEST

START_TEST(test_bad_name)
{
    const char *failed = NULL;
    int fd = 7;

    if (!have_hierarchy())
        return;
    ck_assert_int_eq(qemud_guest_cgroup_create("a/b", GIB, 1, &fd, &failed), -EINVAL);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(qemud_guest_cgroup_create("..", GIB, 1, &fd, &failed), -EINVAL);
}
END_TEST

/* A --root instance's parent group goes at daemon exit once no guest's
 * group is left in it, and stays while one is. */
START_TEST(test_instance_parent_done)
{
    char root[256], name[64], parent[PATH_MAX];
    const char *failed = NULL;
    int fd = -1;

    if (!have_hierarchy())
        return;
    mv_test_mkdtemp(root, sizeof(root), "mv-cgroup-inst");
    qemud_guest_cgroup_init(NULL, root);
    ck_assert_ptr_nonnull(qemud_guest_cgroup_parent());
    ck_assert_int_lt(snprintf(parent, sizeof(parent), "%s", qemud_guest_cgroup_parent()), PATH_MAX);
    ck_assert_ptr_nonnull(strstr(parent, "/modvirt-"));
    unique_name(name);
    ck_assert_int_eq(qemud_guest_cgroup_create(name, GIB, 1, &fd, &failed), 0);
    close(fd);
    qemud_guest_cgroup_done();                  /* a guest's group is left: kept */
    ck_assert_int_eq(access(parent, F_OK), 0);
    qemud_guest_cgroup_init(NULL, root);
    qemud_guest_cgroup_remove(name);
    qemud_guest_cgroup_done();
    ck_assert(access(parent, F_OK) < 0);
    ck_assert_ptr_null(qemud_guest_cgroup_parent());
    mv_test_rmtree(root);
}
END_TEST

/* A host whose mounts list no cgroup2: nothing is created, no error. */
START_TEST(test_no_hierarchy)
{
    char dir[256], mounts[300];
    const char *failed = NULL;
    int fd = 7;
    FILE *f;

    mv_test_mkdtemp(dir, sizeof(dir), "mv-cgroup");
    snprintf(mounts, sizeof(mounts), "%s/mounts", dir);
    ck_assert_ptr_nonnull(f = fopen(mounts, "w"));
    fputs("tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n", f);
    ck_assert_int_eq(fclose(f), 0);
    qemud_guest_cgroup_init(mounts, NULL);
    ck_assert_ptr_null(qemud_guest_cgroup_parent());
    ck_assert_int_eq(qemud_guest_cgroup_create("00000000-0000-4000-8000-000000000001", GIB, 1, &fd, &failed), 0);
    ck_assert_int_eq(fd, -1);
    qemud_guest_cgroup_remove("00000000-0000-4000-8000-000000000001");
    mv_test_rmtree(dir);
}
END_TEST

static void put(const char *dir, const char *file, const char *text)
{
    char p[PATH_MAX];
    FILE *f;

    ck_assert_int_lt(snprintf(p, sizeof(p), "%s/%s", dir, file), (int)sizeof(p));
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The first line of DIR/FILE, via the module's own reader for the group NAME. */
static const char *get(const char *name, const char *file)
{
    static char buf[128];

    ck_assert_int_eq(qemud_guest_cgroup_read(name, file, buf, sizeof(buf)), 0);
    return buf;
}

/* The tuning calls' CPU limits on a fake cgroup2 tree (a plain directory
 * listed as cgroup2 in a fake mounts file), since few test hosts give the
 * cpu controller to a v2 group: which controllers the guests get,
 * cpu.weight, cpu.max as quota x vCPUs over period with the half not given
 * kept, unlimited, a group without the files, names that are not one
 * component. */
START_TEST(test_cpu_limits_fake_tree)
{
    char dir[256], mounts[300], root[300], parent[400], group[500];
    const char *name = "00000000-0000-4000-8000-0000000000c9", *failed = NULL;
    FILE *f;

    mv_test_mkdtemp(dir, sizeof(dir), "mv-cgroup-cpu");
    snprintf(root, sizeof(root), "%s/cg", dir);
    snprintf(mounts, sizeof(mounts), "%s/mounts", dir);
    snprintf(parent, sizeof(parent), "%s/modvirt", root);
    snprintf(group, sizeof(group), "%s/%s", parent, name);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_int_eq(mkdir(parent, 0755), 0);
    put(root, "cgroup.controllers", "cpu cpuset memory pids\n");
    put(root, "cgroup.subtree_control", "");
    put(parent, "cgroup.subtree_control", "");
    ck_assert_ptr_nonnull(f = fopen(mounts, "w"));
    fprintf(f, "cgroup2 %s cgroup2 rw 0 0\n", root);
    ck_assert_int_eq(fclose(f), 0);
    qemud_guest_cgroup_init(mounts, NULL);
    ck_assert_str_eq(qemud_guest_cgroup_parent(), parent);
    /* what the kernel shows once the controllers are enabled below "modvirt" */
    put(parent, "cgroup.subtree_control", "cpu cpuset memory pids\n");
    ck_assert(qemud_guest_cgroup_offers("cpu"));
    ck_assert(qemud_guest_cgroup_offers("cpuset"));
    ck_assert(!qemud_guest_cgroup_offers("hugetlb"));

    ck_assert(!qemud_guest_cgroup_has_cpu(name));     /* no group yet */
    ck_assert_int_eq(mkdir(group, 0755), 0);
    put(group, "cpu.weight", "100\n");
    put(group, "cpu.max", "max 100000\n");
    ck_assert(qemud_guest_cgroup_has_cpu(name));
    ck_assert_int_eq(qemud_guest_cgroup_set_cpu(name, 512, 0, 0, 2, &failed), 0);
    ck_assert_str_eq(get(name, "cpu.weight"), "512");
    ck_assert_str_eq(get(name, "cpu.max"), "max 100000");     /* untouched */
    ck_assert_int_eq(qemud_guest_cgroup_set_cpu(name, 0, 0, 50000, 2, &failed), 0);
    ck_assert_str_eq(get(name, "cpu.max"), "100000 100000");  /* 2 vCPUs x 50 ms */
    ck_assert_int_eq(qemud_guest_cgroup_set_cpu(name, 0, 200000, 0, 2, &failed), 0);
    ck_assert_str_eq(get(name, "cpu.max"), "100000 200000");  /* the quota kept */
    ck_assert_int_eq(qemud_guest_cgroup_set_cpu(name, 0, 0, -1, 2, &failed), 0);
    ck_assert_str_eq(get(name, "cpu.max"), "max 200000");     /* the period kept */
    ck_assert_str_eq(get(name, "cpu.weight"), "512");

    ck_assert_int_eq(qemud_guest_cgroup_write(name, "cpuset.mems", "0"), -ENOENT);
    put(group, "cpuset.mems", "");
    ck_assert_int_eq(qemud_guest_cgroup_write(name, "cpuset.mems", "0"), 0);
    ck_assert_str_eq(get(name, "cpuset.mems"), "0");
    ck_assert(qemud_guest_cgroup_has(name, "cpuset.mems"));

    /* a group without cpu.max: no cpu controller, and the write names the file */
    {
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s/cpu.max", group);
        ck_assert_int_eq(unlink(p), 0);
    }
    ck_assert(!qemud_guest_cgroup_has_cpu(name));
    ck_assert_int_eq(qemud_guest_cgroup_set_cpu(name, 0, 0, 1000, 1, &failed), -ENOENT);
    ck_assert_str_eq(failed, "cpu.max");
    ck_assert_int_eq(qemud_guest_cgroup_write("../x", "cpu.max", "max"), -EINVAL);
    ck_assert_int_eq(qemud_guest_cgroup_write(name, "cpu.weight", "7"), 0);
    ck_assert_str_eq(get(name, "cpu.weight"), "7");
    qemud_guest_cgroup_done();      /* "modvirt" is not empty: kept, and forgotten */
    ck_assert_ptr_null(qemud_guest_cgroup_parent());
    mv_test_rmtree(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_guest_cgroup");
    TCase *tc = tcase_create("cgroup");
    SRunner *sr;
    int n;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_join_and_remove);
    tcase_add_test(tc, test_join_fails);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_sweep);
    tcase_add_test(tc, test_bad_name);
    tcase_add_test(tc, test_no_hierarchy);
    tcase_add_test(tc, test_instance_parent_done);
    tcase_add_test(tc, test_cpu_limits_fake_tree);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
