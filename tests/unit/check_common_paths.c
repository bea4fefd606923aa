#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "testutil.h"
#include "paths.h"

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_common_paths");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

START_TEST(test_system)
{
    struct mv_paths p = { 0 };
    _cleanup_free_ char *sock = NULL;
    _cleanup_free_ char *sock_ro = NULL;
    _cleanup_free_ char *conf = NULL;

    ck_assert_int_eq(mv_paths_init(&p, NULL), 0);
    ck_assert_ptr_null(p.root);
    ck_assert_str_eq(p.confdir, SYSCONFDIR "/modvirt");
    ck_assert_str_eq(p.rundir, RUNSTATEDIR "/modvirt");
    ck_assert_str_eq(p.statedir, LOCALSTATEDIR "/lib/modvirt");
    ck_assert_str_eq(p.logdir, LOCALSTATEDIR "/log/modvirt");
    sock = mv_paths_socket(&p, "qemud", false);
    sock_ro = mv_paths_socket(&p, "qemud", true);
    conf = mv_paths_config_file(&p, "qemud");
    ck_assert_str_eq(sock, RUNSTATEDIR "/modvirt/qemud-sock");
    ck_assert_str_eq(sock_ro, RUNSTATEDIR "/modvirt/qemud-sock-ro");
    ck_assert_str_eq(conf, SYSCONFDIR "/modvirt/modvirt-qemud.conf");
    mv_paths_clear(&p);
    ck_assert_ptr_null(p.confdir);
    ck_assert_ptr_null(p.rundir);
    mv_paths_clear(&p);                 /* twice is fine */
}
END_TEST

START_TEST(test_root)
{
    struct mv_paths p = { 0 };
    _cleanup_free_ char *sock = NULL;
    _cleanup_free_ char *conf = NULL;

    ck_assert_int_eq(mv_paths_init(&p, "/tmp/r"), 0);
    ck_assert_str_eq(p.root, "/tmp/r");
    ck_assert_str_eq(p.confdir, "/tmp/r/etc/modvirt");
    ck_assert_str_eq(p.rundir, "/tmp/r/run/modvirt");
    ck_assert_str_eq(p.statedir, "/tmp/r/var/lib/modvirt");
    ck_assert_str_eq(p.logdir, "/tmp/r/var/log/modvirt");
    sock = mv_paths_socket(&p, "networkd", true);
    conf = mv_paths_config_file(&p, "networkd");
    ck_assert_str_eq(sock, "/tmp/r/run/modvirt/networkd-sock-ro");
    ck_assert_str_eq(conf, "/tmp/r/etc/modvirt/modvirt-networkd.conf");
    mv_paths_clear(&p);

    ck_assert_int_eq(mv_paths_init(&p, "/tmp/r///"), 0);
    ck_assert_str_eq(p.root, "/tmp/r");
    ck_assert_str_eq(p.rundir, "/tmp/r/run/modvirt");
    mv_paths_clear(&p);

    ck_assert_int_eq(mv_paths_init(&p, "/"), 0);
    ck_assert_str_eq(p.root, "/");
    ck_assert_str_eq(p.confdir, "/etc/modvirt");
    ck_assert_str_eq(p.logdir, "/var/log/modvirt");
    mv_paths_clear(&p);

    ck_assert_int_eq(mv_paths_init(&p, "////"), 0);
    ck_assert_str_eq(p.root, "/");
    ck_assert_str_eq(p.statedir, "/var/lib/modvirt");
    mv_paths_clear(&p);
}
END_TEST

START_TEST(test_bad_root)
{
    struct mv_paths p = { .root = (char *)0x1 };

    ck_assert_int_eq(mv_paths_init(&p, "relative/dir"), -EINVAL);
    ck_assert_int_eq(mv_paths_init(&p, ""), -EINVAL);
    ck_assert_int_eq(mv_paths_init(&p, "./x"), -EINVAL);
    /* untouched on failure */
    ck_assert_ptr_eq(p.root, (char *)0x1);
    ck_assert_ptr_null(p.confdir);
}
END_TEST

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(test_mkdir_p)
{
    _cleanup_free_ char *deep = NULL;
    _cleanup_free_ char *mid = NULL;
    _cleanup_free_ char *file = NULL;
    _cleanup_free_ char *under_file = NULL;
    _cleanup_free_ char *slashes = NULL;
    struct stat st;
    FILE *f;

    umask(022);
    ck_assert_int_gt(asprintf(&deep, "%s/a/b/c", tmpdir), 0);
    ck_assert_int_gt(asprintf(&mid, "%s/a/b", tmpdir), 0);
    ck_assert(!is_dir(mid));
    ck_assert_int_eq(mv_mkdir_p(deep, 0700), 0);
    ck_assert(is_dir(deep));
    ck_assert_int_eq(stat(deep, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    /* existing directories are fine, all or in part */
    ck_assert_int_eq(mv_mkdir_p(deep, 0700), 0);
    ck_assert_int_eq(mv_mkdir_p(mid, 0700), 0);
    ck_assert_int_eq(mv_mkdir_p("/", 0755), 0);
    ck_assert_int_eq(mv_mkdir_p(tmpdir, 0755), 0);
    /* doubled and trailing slashes */
    ck_assert_int_gt(asprintf(&slashes, "%s//x//y/", tmpdir), 0);
    ck_assert_int_eq(mv_mkdir_p(slashes, 0755), 0);
    ck_assert(is_dir(slashes));

    ck_assert_int_gt(asprintf(&file, "%s/a/file", tmpdir), 0);
    f = fopen(file, "we");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(mv_mkdir_p(file, 0755), -ENOTDIR);
    ck_assert_int_gt(asprintf(&under_file, "%s/a/file/sub", tmpdir), 0);
    ck_assert_int_eq(mv_mkdir_p(under_file, 0755), -ENOTDIR);
    ck_assert_int_eq(mv_mkdir_p("", 0755), -EINVAL);
}
END_TEST

START_TEST(test_mkdir_p_relative)
{
    char cwd[4096];

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(tmpdir), 0);
    ck_assert_int_eq(mv_mkdir_p("rel/one", 0755), 0);
    ck_assert(is_dir("rel/one"));
    ck_assert_int_eq(mv_mkdir_p("z", 0755), 0);
    ck_assert(is_dir("z"));
    ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("common_paths");
    TCase *tc = tcase_create("paths");
    TCase *tm = tcase_create("mkdir");

    tcase_add_test(tc, test_system);
    tcase_add_test(tc, test_root);
    tcase_add_test(tc, test_bad_root);
    suite_add_tcase(s, tc);
    tcase_add_unchecked_fixture(tm, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tm, test_mkdir_p);
    tcase_add_test(tm, test_mkdir_p_relative);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paths_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
