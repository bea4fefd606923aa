/* common/sysfs.c: reading /proc and /sys under a root, kernel id lists. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "sysfs.h"
#include "testutil.h"


START_TEST(test_idlist)
{
    _cleanup_free_ int *ids = NULL;
    int n = -1;

    ck_assert_int_eq(mv_sysfs_parse_idlist("0-3,8,10-11\n", &ids, &n), 0);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[3], 3);
    ck_assert_int_eq(ids[4], 8);
    ck_assert_int_eq(ids[6], 11);
    free(TAKE_PTR(ids));

    ck_assert_int_eq(mv_sysfs_parse_idlist("5,1,1-2", &ids, &n), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[2], 5);
    free(TAKE_PTR(ids));

    ck_assert_int_eq(mv_sysfs_parse_idlist("\n", &ids, &n), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(ids);
    ck_assert_int_eq(mv_sysfs_parse_idlist("", &ids, &n), 0);
    ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_idlist_invalid)
{
    static const char *const bad[] = {
        "0-x", "3-1", "1,,2", "-1", " 1", "1 ", "0-", "1\n2\n", "a", ",", "1-2-3",
    };
    int *ids = (int *)0x1;
    int n = 42;

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++)
        ck_assert_msg(mv_sysfs_parse_idlist(bad[i], &ids, &n) == -EINVAL, "'%s' accepted", bad[i]);
    ck_assert_int_eq(mv_sysfs_parse_idlist("8192", &ids, &n), -ERANGE);
    ck_assert_int_eq(mv_sysfs_parse_idlist("0-99999999999999999999", &ids, &n), -EINVAL);
    /* out params untouched on failure */
    ck_assert_ptr_eq(ids, (int *)0x1);
    ck_assert_int_eq(n, 42);
}
END_TEST

START_TEST(test_find_values)
{
    unsigned long long v = 0;

    ck_assert_int_eq(mv_sysfs_find_ull("A: 1\nMemTotal:   77 kB\n", NULL, "MemTotal", &v), 0);
    ck_assert_uint_eq(v, 77);
    ck_assert_int_eq(mv_sysfs_find_ull("Node 1 MemFree: 9 kB\n", "Node 1 ", "MemFree", &v), 0);
    ck_assert_uint_eq(v, 9);
    ck_assert_int_eq(mv_sysfs_find_ull("Node 1 MemFree: 9 kB\n", "Node 2 ", "MemFree", &v), -ENOENT);
    /* a key is a whole word before ':' */
    ck_assert_int_eq(mv_sysfs_find_ull("MemTotalX: 5\n", NULL, "MemTotal", &v), -ENOENT);
    ck_assert_int_eq(mv_sysfs_find_ull("MemTotal: x\n", NULL, "MemTotal", &v), -EINVAL);
}
END_TEST

START_TEST(test_read_helpers)
{
    _cleanup_free_ char *root = mv_test_data_path("host", "numa2");
    _cleanup_free_ char *line = NULL;
    unsigned long long v;

    ck_assert_int_eq(mv_sysfs_read_ullf(root, &v, "/sys/devices/system/cpu/cpu%d/topology/core_id", 3), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(mv_sysfs_read_ullf(root, &v, "/sys/devices/system/cpu/online"), -EINVAL);
    ck_assert_int_eq(mv_sysfs_read_ullf(root, &v, "/nonexistent"), -ENOENT);
    ck_assert_int_eq(mv_sysfs_read_linef(root, &line, "/sys/class/dmi/id/bios_vendor"), 0);
    ck_assert_str_eq(line, "American Megatrends Inc.");
    ck_assert_int_eq(mv_sysfs_existsf(root, "/sys/devices/system/node/node%d", 2), 1);
    ck_assert_int_eq(mv_sysfs_existsf(root, "/sys/devices/system/node/node%d", 3), 0);
}
END_TEST

/* the root is a plain prefix; NULL and "" are the real "/" */
START_TEST(test_paths)
{
    _cleanup_free_ char *a = mv_sysfs_path(NULL, "/proc/meminfo");
    _cleanup_free_ char *b = mv_sysfs_path("", "/proc/meminfo");
    _cleanup_free_ char *c = mv_sysfs_path("/tmp/x", "/sys/devices");
    _cleanup_free_ char *text = NULL;

    ck_assert_str_eq(a, "/proc/meminfo");
    ck_assert_str_eq(b, "/proc/meminfo");
    ck_assert_str_eq(c, "/tmp/x/sys/devices");
    ck_assert_int_eq(mv_sysfs_read(NULL, "/proc/self/stat", &text), 0);
    ck_assert_ptr_nonnull(text);
}
END_TEST

/* a link's last component: a driver's name, an IOMMU group's number */
START_TEST(test_link_name)
{
    char dir[] = "/tmp/check_sysfs_link.XXXXXX", path[256], name[8];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/driver", dir);
    ck_assert_int_eq(symlink("../../../bus/pci/drivers/e1000e", path), 0);
    ck_assert_int_eq(mv_sysfs_link_name(path, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "e1000e");
    ck_assert_int_eq(mv_sysfs_link_name(path, name, 6), -ENAMETOOLONG);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(symlink("17", path), 0);
    ck_assert_int_eq(mv_sysfs_link_name(path, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "17");
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(symlink("groups/", path), 0);
    ck_assert_int_eq(mv_sysfs_link_name(path, name, sizeof(name)), -EINVAL);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mv_sysfs_link_name(path, name, sizeof(name)), -ENOENT);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* an attribute written whole; never a link, never created */
START_TEST(test_write)
{
    char dir[] = "/tmp/check_sysfs_write.XXXXXX", path[256], link[256];
    _cleanup_free_ char *text = NULL;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/driver_override", dir);
    snprintf(link, sizeof(link), "%s/unbind", dir);
    ck_assert_int_eq(mv_sysfs_write(path, "vfio-pci"), -ENOENT);
    ck_assert_int_eq(mv_sysfs_read(NULL, path, &text), -ENOENT);
    ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
    ck_assert_int_eq(mv_sysfs_write(path, "a longer value"), 0);
    ck_assert_int_eq(mv_sysfs_write(path, "vfio-pci"), 0);
    ck_assert_int_eq(mv_sysfs_read(NULL, path, &text), 0);
    ck_assert_str_eq(text, "vfio-pci");
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(mv_sysfs_write(link, "x"), -ELOOP);
    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common_sysfs");
    TCase *tc = tcase_create("sysfs");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_idlist);
    tcase_add_test(tc, test_idlist_invalid);
    tcase_add_test(tc, test_find_values);
    tcase_add_test(tc, test_read_helpers);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_link_name);
    tcase_add_test(tc, test_write);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
