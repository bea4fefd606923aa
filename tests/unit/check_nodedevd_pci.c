/*
 * nodedevd/cap_pci.c and cap_drm.c with names: the fixtures mounted on
 * /sys (as check_nodedevd_fixtures does, which compares the whole XML
 * without pci.ids) and scanned with tests/data/pci_ids/pci.ids, for what
 * only the names show: a known product and vendor, an unknown product of
 * a known vendor (<product id='0x5409'/>), a quote escaped as libvirt
 * escapes it; and the capability filters the PCI and DRM devices answer.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "nodedev_fixture.h"
#include "pci_ids.h"
#include "scan.h"
#include "testutil.h"
#include "tree.h"

struct scanned {
    struct nodedev_pci_ids *ids;
    struct nodedev_tree *tree;
};

/* The fixtures, built once by the runner's process (unchecked fixture) so
 * that they are removed even when a test's process dies on a failure. */
static char *odd_sys, *gpu_sys;

static void build_fixtures(void)
{
    odd_sys = nodedev_fixture_build("pci-odd");
    gpu_sys = nodedev_fixture_build("gpu");
}

static void remove_fixtures(void)
{
    nodedev_fixture_remove(odd_sys);
    nodedev_fixture_remove(gpu_sys);
}

/* Mounts the tree SYSDIR of FIXTURE on /sys (this test's process only) and
 * scans it with the test's pci.ids. */
static void scan_fixture(const char *fixture, const char *sysdir, struct scanned *s)
{
    _cleanup_free_ char *ids = mv_test_data_path("pci_ids", "pci.ids");
    struct nodedev_read_ctx ctx = { 0 };
    int r;

    r = nodedev_fixture_enter(sysdir);
    ck_assert_msg(r == 0, "cannot mount fixture %s on /sys: %s", fixture, strerror(-r));
    ck_assert_int_eq(nodedev_pci_ids_load(ids, &s->ids), 0);
    ctx.pci_ids = s->ids;
    ck_assert_int_eq(nodedev_tree_new(&s->tree), 0);
    r = nodedev_scan(s->tree, &ctx, NULL, NULL);
    ck_assert_msg(r == 0, "scanning fixture %s: %s", fixture, strerror(-r));
}

static void scanned_free(struct scanned *s)
{
    nodedev_tree_free(s->tree);
    nodedev_pci_ids_free(s->ids);
}

/* Device NAME's XML holds the line LINE (indentation aside). */
static void assert_line(struct nodedev_tree *t, const char *name, const char *line)
{
    _cleanup_(nodedev_device_unrefp) struct nodedev_device *dev = nodedev_tree_find(t, name);
    _cleanup_free_ char *want = NULL;

    ck_assert_msg(dev != NULL, "no device %s", name);
    ck_assert(asprintf(&want, " %s\n", line) > 0);
    ck_assert_msg(strstr(dev->xml, want) != NULL, "%s has no '%s':\n%s", name, line, dev->xml);
}

START_TEST(test_names)
{
    struct scanned s = { 0 };

    scan_fixture("pci-odd", odd_sys, &s);
    assert_line(s.tree, "pci_0000_00_02_0", "<product id='0x1041'>Virtio 1.0 network device</product>");
    assert_line(s.tree, "pci_0000_00_02_0", "<vendor id='0x1af4'>Red Hat, Inc.</vendor>");
    assert_line(s.tree, "pci_0000_00_04_0", "<product id='0x10d3'>82574L Gigabit Network Connection</product>");
    assert_line(s.tree, "pci_0000_00_04_0", "<vendor id='0x8086'>Intel Corporation</vendor>");
    /* libvirt's virBufferEscapeString makes quotes entities in text too */
    assert_line(s.tree, "pci_0000_00_08_0", "<vendor id='0x1565'>Biostar Microtech Int&apos;l Corp</vendor>");
    assert_line(s.tree, "pci_0000_00_08_0", "<product id='0x5409'/>");
    /* a vendor pci.ids does not know */
    assert_line(s.tree, "pci_0000_00_07_0", "<vendor id='0x1180'/>");
    scanned_free(&s);
}
END_TEST

/* The devices each capability filter finds: PCI functions, DRM minors,
 * and nothing else from what cap_pci.c and cap_drm.c read. */
START_TEST(test_cap_filters)
{
    struct scanned s = { 0 };
    struct nodedev_device **devs = NULL;
    size_t n = 0;

    scan_fixture("gpu", gpu_sys, &s);
    ck_assert_int_eq(nodedev_tree_list(s.tree, 1u << NODEDEV_CAP_PCI, 0, &devs, &n), 0);
    ck_assert_int_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(devs[i]->name, "pci_", 4) == 0, "%s listed as pci", devs[i]->name);
        ck_assert_int_eq(devs[i]->cap_mask, 1u << NODEDEV_CAP_PCI);
        ck_assert(devs[i]->is_pci);
    }
    nodedev_list_free(devs, n);
    ck_assert_int_eq(nodedev_tree_list(s.tree, 1u << NODEDEV_CAP_DRM, 0, &devs, &n), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(devs[0]->name, "drm_card0");
    ck_assert_str_eq(devs[1]->name, "drm_renderD128");
    ck_assert_int_eq(devs[0]->cap_mask, 1u << NODEDEV_CAP_DRM);
    nodedev_list_free(devs, n);
    /* the facts detach and qemud use */
    {
        _cleanup_(nodedev_device_unrefp) struct nodedev_device *gpu = nodedev_tree_find(s.tree, "pci_0000_01_00_1");

        ck_assert_ptr_nonnull(gpu);
        ck_assert_uint_eq(gpu->pci.domain, 0);
        ck_assert_uint_eq(gpu->pci.bus, 1);
        ck_assert_uint_eq(gpu->pci.slot, 0);
        ck_assert_uint_eq(gpu->pci.function, 1);
    }
    scanned_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_pci");
    TCase *tc = tcase_create("pci");
    SRunner *sr;
    int n;

    if (!nodedev_fixture_possible()) {
        printf("1..0 # SKIP no mount namespaces here (needs root)\n");
        return 0;
    }
    if (getenv("CK_FORK") && strcmp(getenv("CK_FORK"), "no") == 0) {
        printf("Bail out! these tests need CK_FORK=yes: each mounts its fixture on /sys\n");
        return 1;
    }
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, build_fixtures, remove_fixtures);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_cap_filters);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
