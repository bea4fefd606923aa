#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "testutil.h"
#include "file.h"

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_common_file");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

/* A fresh subdirectory per test, so entry counts are exact. */
static char *test_dir(const char *name)
{
    char *d = NULL;

    ck_assert_int_gt(asprintf(&d, "%s/%s", tmpdir, name), 0);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    return d;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;

    ck_assert_int_gt(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void expect_content(const char *path, const char *want)
{
    _cleanup_free_ char *got = NULL;
    size_t len = 0;

    ck_assert_int_eq(mv_file_read_all(path, 1 << 20, &got, &len), 0);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(got, want);
}

START_TEST(test_write_new_and_replace)
{
    _cleanup_free_ char *dir = test_dir("replace");
    _cleanup_free_ char *path = path_in(dir, "state.xml");
    struct stat st;

    ck_assert_int_eq(mv_file_write_atomic(path, "first\n", 6, 0640), 0);
    expect_content(path, "first\n");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(mv_file_write_atomic(path, "second, longer\n", 15, 0600), 0);
    expect_content(path, "second, longer\n");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    /* shrinking works too: it is a new file, not an overwrite */
    ck_assert_int_eq(mv_file_write_atomic(path, "3", 1, 0600), 0);
    expect_content(path, "3");
    ck_assert_int_eq(mv_file_write_atomic(path, "", 0, 0600), 0);
    expect_content(path, "");
    /* no temp files left behind */
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(test_write_binary_and_large)
{
    _cleanup_free_ char *dir = test_dir("binary");
    _cleanup_free_ char *path = path_in(dir, "blob");
    size_t len = 3 * 1024 * 1024 + 17;
    _cleanup_free_ unsigned char *data = malloc(len);
    _cleanup_free_ char *back = NULL;
    size_t got = 0;

    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 9));
    data[5] = 0;
    ck_assert_int_eq(mv_file_write_atomic(path, data, len, 0644), 0);
    ck_assert_int_eq(mv_file_read_all(path, len, &back, &got), 0);
    ck_assert_uint_eq(got, len);
    ck_assert(memcmp(back, data, len) == 0);
    ck_assert_int_eq(back[len], '\0');
}
END_TEST

START_TEST(test_write_relative)
{
    _cleanup_free_ char *dir = test_dir("relative");
    char cwd[4096];

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(mv_file_write_atomic("plain", "x", 1, 0644), 0);
    expect_content("plain", "x");
    ck_assert_int_eq(count_entries("."), 1);
    ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_write_failures_leave_old_file)
{
    _cleanup_free_ char *dir = test_dir("failures");
    _cleanup_free_ char *path = path_in(dir, "keep");
    _cleanup_free_ char *subdir = path_in(dir, "adir");
    _cleanup_free_ char *missing = path_in(dir, "nodir/file");
    _cleanup_free_ char *big = malloc(100000);
    struct rlimit old, lim;

    ck_assert_int_eq(mv_file_write_atomic(path, "old content", 11, 0644), 0);

    /* rename over a directory fails: the temp file must go */
    ck_assert_int_eq(mkdir(subdir, 0755), 0);
    ck_assert_int_eq(mv_file_write_atomic(subdir, "x", 1, 0644), -EISDIR);
    ck_assert_int_eq(count_entries(dir), 2);
    ck_assert_int_eq(count_entries(subdir), 0);

    /* the directory does not exist */
    ck_assert_int_eq(mv_file_write_atomic(missing, "x", 1, 0644), -ENOENT);
    ck_assert_int_eq(count_entries(dir), 2);

    /* the write itself fails half way (file size limit): old file untouched */
    memset(big, 'n', 100000);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int r = mv_file_write_atomic(path, big, 100000, 0644);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    ck_assert_int_eq(r, -EFBIG);
    expect_content(path, "old content");
    ck_assert_int_eq(count_entries(dir), 2);

    /* bad paths */
    ck_assert_int_eq(mv_file_write_atomic("", "x", 1, 0644), -EINVAL);
    ck_assert_int_eq(mv_file_write_atomic(NULL, "x", 1, 0644), -EINVAL);
    _cleanup_free_ char *slash = path_in(dir, "keep/");
    ck_assert_int_eq(mv_file_write_atomic(slash, "x", 1, 0644), -EINVAL);
    expect_content(path, "old content");
}
END_TEST

START_TEST(test_read_all)
{
    _cleanup_free_ char *dir = test_dir("read_all");
    _cleanup_free_ char *path = path_in(dir, "f");
    _cleanup_free_ char *missing = path_in(dir, "missing");
    char *out = (char *)0x1;
    size_t len = 77;

    ck_assert_int_eq(mv_file_write_atomic(path, "0123456789", 10, 0644), 0);
    ck_assert_int_eq(mv_file_read_all(path, 10, &out, &len), 0);      /* exactly max */
    ck_assert_str_eq(out, "0123456789");
    ck_assert_uint_eq(len, 10);
    free(out);
    out = (char *)0x1;
    len = 77;
    ck_assert_int_eq(mv_file_read_all(path, 9, &out, &len), -EFBIG);
    ck_assert_int_eq(mv_file_read_all(path, 0, &out, &len), -EFBIG);
    ck_assert_int_eq(mv_file_read_all(missing, 100, &out, &len), -ENOENT);
    ck_assert_int_eq(mv_file_read_all(dir, 100, &out, &len), -EISDIR);
    ck_assert_ptr_eq(out, (char *)0x1);
    ck_assert_uint_eq(len, 77);
    /* LEN may be NULL */
    ck_assert_int_eq(mv_file_read_all(path, 100, &out, NULL), 0);
    ck_assert_str_eq(out, "0123456789");
    free(out);
    /* empty file */
    ck_assert_int_eq(mv_file_write_atomic(path, "", 0, 0644), 0);
    ck_assert_int_eq(mv_file_read_all(path, 0, &out, &len), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(len, 0);
    free(out);
}
END_TEST

START_TEST(test_read_all_proc)
{
    /* proc files report size 0: the reader must not trust st_size */
    _cleanup_free_ char *out = NULL;
    size_t len = 0;

    ck_assert_int_eq(mv_file_read_all("/proc/self/status", 1 << 20, &out, &len), 0);
    ck_assert_uint_gt(len, 100);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_ptr_nonnull(strstr(out, "Name:"));
    free(out);
    out = NULL;
    ck_assert_int_eq(mv_file_read_all("/proc/self/status", 10, &out, &len), -EFBIG);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_read_line)
{
    _cleanup_free_ char *dir = test_dir("read_line");
    _cleanup_free_ char *path = path_in(dir, "f");
    _cleanup_free_ char *big = malloc(MV_FILE_LINE_MAX + 10);
    char *out = NULL;

    ck_assert_int_eq(mv_file_write_atomic(path, "first\nsecond\n", 13, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_str_eq(out, "first");
    free(out);
    ck_assert_int_eq(mv_file_write_atomic(path, "no newline", 10, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_str_eq(out, "no newline");
    free(out);
    ck_assert_int_eq(mv_file_write_atomic(path, "\nsecond", 7, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(mv_file_write_atomic(path, "", 0, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_str_eq(out, "");
    free(out);

    /* a line of exactly the limit, then one byte more */
    memset(big, 'a', MV_FILE_LINE_MAX + 10);
    big[MV_FILE_LINE_MAX] = '\n';
    ck_assert_int_eq(mv_file_write_atomic(path, big, MV_FILE_LINE_MAX + 10, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_uint_eq(strlen(out), MV_FILE_LINE_MAX);
    free(out);
    big[MV_FILE_LINE_MAX] = 'a';
    big[MV_FILE_LINE_MAX + 1] = '\n';
    ck_assert_int_eq(mv_file_write_atomic(path, big, MV_FILE_LINE_MAX + 10, 0644), 0);
    out = (char *)0x1;
    ck_assert_int_eq(mv_file_read_line(path, &out), -EFBIG);
    /* a short first line is fine even if the file is huge */
    big[3] = '\n';
    ck_assert_int_eq(mv_file_write_atomic(path, big, MV_FILE_LINE_MAX + 10, 0644), 0);
    ck_assert_int_eq(mv_file_read_line(path, &out), 0);
    ck_assert_str_eq(out, "aaa");
    free(out);
    out = (char *)0x1;
    _cleanup_free_ char *missing = path_in(dir, "missing");
    ck_assert_int_eq(mv_file_read_line(missing, &out), -ENOENT);
    ck_assert_ptr_eq(out, (char *)0x1);
}
END_TEST

START_TEST(test_read_line_sysfs_like)
{
    _cleanup_free_ char *out = NULL;

    /* a single-line kernel file */
    ck_assert_int_eq(mv_file_read_line("/proc/sys/kernel/ostype", &out), 0);
    ck_assert_str_eq(out, "Linux");
}
END_TEST

static Suite *file_suite(void)
{
    Suite *s = suite_create("common_file");
    TCase *tc = tcase_create("file");

    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_write_new_and_replace);
    tcase_add_test(tc, test_write_binary_and_large);
    tcase_add_test(tc, test_write_relative);
    tcase_add_test(tc, test_write_failures_leave_old_file);
    tcase_add_test(tc, test_read_all);
    tcase_add_test(tc, test_read_all_proc);
    tcase_add_test(tc, test_read_line);
    tcase_add_test(tc, test_read_line_sysfs_like);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(file_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
