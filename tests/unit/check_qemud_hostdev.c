/*
 * qemud_hostdev_pci_check() on fake /sys and /dev trees: VFIO is missing on
 * test hosts, so each missing piece (VFIO, the device, its driver, its
 * IOMMU group) is laid out in a temp directory, and the error must name it.
 * And the claims of running domains on host functions (hostdev_claims.c).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostdev_claims.h"
#include "hostdev_pci.h"
#include "testutil.h"

#define DEV "sys/bus/pci/devices/0000:06:02.1"

static char root[256];
static const struct mv_dom_hostdev h = { .domain = 0, .bus = 6, .slot = 2, .function = 1,
                                         .managed = MV_TRISTATE_YES };

static void at(const char *rel, char *out, size_t size)
{
    ck_assert_int_lt(snprintf(out, size, "%s/%s", root, rel), (int)size);
}

static void make_dir(const char *rel)
{
    char path[512], *p;

    at(rel, path, sizeof(path));
    for (p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void make_file(const char *rel)
{
    char path[512];
    int fd;

    at(rel, path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void make_link(const char *target, const char *rel)
{
    char path[512];

    at(rel, path, sizeof(path));
    unlink(path);
    ck_assert_int_eq(symlink(target, path), 0);
}

/* The check's verdict; *MSG is its message (or "" when it passed). */
static int check(char **msg)
{
    struct mv_err err = { 0 };
    int r = qemud_hostdev_pci_check(root, "vm-hd", &h, &err);

    *msg = strdup(err.message ? err.message : "");
    mv_err_clear(&err);
    return r;
}

static void setup(void)
{
    mv_test_mkdtemp(root, sizeof(root), "mv-hostdev");
}

static void teardown(void)
{
    mv_test_rmtree(root);
}

static void expect_refused(const char *fragment)
{
    char *msg = NULL;

    ck_assert_int_lt(check(&msg), 0);
    ck_assert_msg(strstr(msg, fragment), "'%s' does not say '%s'", msg, fragment);
    ck_assert_msg(strstr(msg, "domain 'vm-hd': host PCI device 0000:06:02.1"), "'%s' does not name the domain and "
                  "the device", msg);
    free(msg);
}

START_TEST(test_steps)
{
    char *msg = NULL;

    expect_refused("VFIO is not available");
    expect_refused("/dev/vfio/vfio is missing");
    make_dir("dev/vfio");
    make_file("dev/vfio/vfio");
    expect_refused("/dev/vfio/vfio is missing or is not a character device");
    make_link("/dev/null", "dev/vfio/vfio");     /* a character device, as VFIO's is */
    expect_refused("does not exist");
    make_dir(DEV);
    expect_refused("is not bound to any driver; bind it to vfio-pci");
    make_link("../../../bus/pci/drivers/e1000e", DEV "/driver");
    expect_refused("is bound to driver 'e1000e', not vfio-pci, although modvirt-nodedevd detached it");
    make_link("../../../bus/pci/drivers/vfio-pci", DEV "/driver");
    expect_refused("has no IOMMU group");
    make_link("../../../kernel/iommu_groups/7", DEV "/iommu_group");
    expect_refused("/dev/vfio/7 is missing");
    make_file("dev/vfio/7");
    ck_assert_int_eq(check(&msg), 0);
    ck_assert_str_eq(msg, "");
    free(msg);
}
END_TEST

START_TEST(test_unmanaged_other_driver)
{
    struct mv_dom_hostdev u = h;
    struct mv_err err = { 0 };

    u.managed = MV_TRISTATE_NO;
    make_dir("dev/vfio");
    make_link("/dev/null", "dev/vfio/vfio");
    make_dir(DEV);
    make_link("../../../bus/pci/drivers/nvme", DEV "/driver");
    ck_assert_int_lt(qemud_hostdev_pci_check(root, "vm-hd", &u, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "bound to driver 'nvme', not vfio-pci (managed='no'"));
    mv_err_clear(&err);
}
END_TEST

/* a domain with hostdev H (and its own uuid byte) */
static struct mv_dom_def *claimer(const char *name, unsigned char id, struct mv_dom_hostdev *hd)
{
    static struct mv_dom_def defs[3];
    struct mv_dom_def *d = &defs[id];

    *d = (struct mv_dom_def){ .name = (char *)name };
    d->uuid[0] = id;
    d->devices.hostdevs = hd;
    d->devices.nhostdevs = 1;
    return d;
}

/* one function, one running domain: the second start is refused by name
 * and claims nothing; after the first releases it, the second gets it */
START_TEST(test_claims)
{
    struct mv_dom_hostdev a = h, b = h, other = h;
    struct mv_dom_def *da = claimer("vm-a", 1, &a), *db = claimer("vm-b", 2, &b);
    struct mv_err err = { 0 };

    other.function = 2;
    ck_assert_int_eq(qemud_hostdevs_claim(da, &err), 0);
    ck_assert_int_eq(qemud_hostdevs_claim(db, &err), -EBUSY);
    ck_assert_str_eq(err.message, "Requested operation is not valid: domain 'vm-b': host PCI device "
                     "0000:06:02.1 is in use by domain 'vm-a'");
    mv_err_clear(&err);
    ck_assert_int_eq(qemud_hostdevs_claim(claimer("vm-c", 0, &other), &err), 0);
    qemud_hostdevs_release(da);
    ck_assert_int_eq(qemud_hostdevs_claim(db, &err), 0);
    qemud_hostdevs_claim_running(da);           /* a clash is logged, not fatal */
    ck_assert_int_eq(qemud_hostdevs_claim(da, &err), -EBUSY);
    mv_err_clear(&err);
    qemud_hostdevs_release(db);
    qemud_hostdevs_release(claimer("vm-c", 0, &other));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_hostdev");
    TCase *tc = tcase_create("sysfs");
    SRunner *sr;
    int n;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_steps);
    tcase_add_test(tc, test_unmanaged_other_driver);
    tcase_add_test(tc, test_claims);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
