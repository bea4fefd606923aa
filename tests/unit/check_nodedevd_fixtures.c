/*
 * Every fixture of tests/nodedev/fixtures.list, scanned as nodedevd scans
 * /sys: the fake tree is built by mkfixture.sh and mounted on /sys in the
 * test's own mount namespace, so sd-device and the capability readers run
 * unchanged.  Each device's XML must equal tests/nodedevxml/FIXTURE/NAME.xml
 * and the names with their parents tests/nodedevxml/FIXTURE/list.txt;
 * MV_REGEN=1 (or MV_REGENERATE=1) rewrites them, dropping the XML of
 * devices that are gone.  Each device's XML must also be valid against
 * libvirt's nodedev.rng when it is installed.  Vendor and product names come
 * from tests/nodedev/pci.ids and usb.ids, not the machine's lists.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "format.h"
#include "golden.h"
#include "nodedev_fixture.h"
#include "pci_ids.h"
#include "scan.h"
#include "schema.h"
#include "testutil.h"

static char **fixtures;
/* Their trees, and two more host-basic trees that test_rescan and
 * test_computer change, built by the runner's process (unchecked fixture)
 * so that they are removed even when a test's process dies on a failure. */
static char **fixture_dirs;
static char *rescan_dir, *computer_dir;

static void build_fixtures(void)
{
    size_t n = 0;

    while (fixtures[n])
        n++;
    fixture_dirs = calloc(n + 1, sizeof(*fixture_dirs));
    ck_assert_ptr_nonnull(fixture_dirs);
    for (size_t i = 0; i < n; i++)
        fixture_dirs[i] = nodedev_fixture_build(fixtures[i]);
    rescan_dir = nodedev_fixture_build("host-basic");
    computer_dir = nodedev_fixture_build("host-basic");
}

static void remove_fixtures(void)
{
    for (size_t i = 0; fixture_dirs && fixture_dirs[i]; i++)
        nodedev_fixture_remove(fixture_dirs[i]);
    free(fixture_dirs);
    nodedev_fixture_remove(rescan_dir);
    nodedev_fixture_remove(computer_dir);
}

/* tests/nodedev/pci.ids: names that do not depend on the machine's list */
static struct nodedev_pci_ids *fixture_pci_ids(void)
{
    _cleanup_free_ char *path = mv_test_golden_path("nodedev", "pci.ids", "");
    struct nodedev_pci_ids *ids = NULL;

    ck_assert_msg(nodedev_pci_ids_load(path, &ids) == 0, "cannot load %s", path);
    return ids;
}

/* "name parent" a line, sorted by name ("computer" alone) */
static char *list_text(struct nodedev_device **devs, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s%s\n", devs[i]->name, devs[i]->parent ? " " : "",
                devs[i]->parent ? devs[i]->parent : "");
    fclose(f);
    return text;
}

static bool listed(struct nodedev_device **devs, size_t n, const char *file)
{
    size_t l = strlen(file);

    if (l < 5 || strcmp(file + l - 4, ".xml") != 0)
        return true;    /* list.txt and others: not a device's */
    for (size_t i = 0; i < n; i++)
        if (strlen(devs[i]->name) == l - 4 && strncmp(devs[i]->name, file, l - 4) == 0)
            return true;
    return false;
}

/* Regenerating: the golden directory holds exactly the devices found. */
static void drop_stale(const char *gdir, struct nodedev_device **devs, size_t n)
{
    DIR *d = opendir(gdir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && !listed(devs, n, e->d_name)) {
            _cleanup_free_ char *p = NULL;

            ck_assert(asprintf(&p, "%s/%s", gdir, e->d_name) > 0);
            unlink(p);
        }
    closedir(d);
}

/* Compares TEXT with GDIR/FILE (or writes it); appends FILE to BAD, and
 * the output to FIXTURE-FILE.actual here, when they differ. */
static void compare(const char *fixture, const char *gdir, const char *file, const char *text, FILE *bad)
{
    _cleanup_free_ char *path = NULL, *expected = NULL, *actual = NULL;

    ck_assert(asprintf(&path, "%s/%s", gdir, file) > 0);
    if (mv_test_regenerate()) {
        ck_assert_msg(mv_file_write_atomic(path, text, strlen(text), 0644) == 0, "cannot write %s", path);
        return;
    }
    if (mv_file_read_all(path, 1 << 20, &expected, NULL) == 0 && strcmp(expected, text) == 0)
        return;
    ck_assert(asprintf(&actual, "%s-%s", fixture, file) > 0);
    fprintf(bad, " %s (%s)", file, mv_test_write_actual(actual, ".actual", text));
}

static void check_devices(const char *fixture, struct nodedev_device **devs, size_t n, FILE *bad)
{
    _cleanup_free_ char *gdir = mv_test_golden_path("nodedevxml", fixture, "");
    _cleanup_free_ char *list = list_text(devs, n);
    xmlRelaxNGPtr schema = mv_test_schema_load("nodedev");

    if (mv_test_regenerate()) {
        _cleanup_free_ char *top = mv_test_golden_path("nodedevxml", "", "");

        ck_assert_msg((mkdir(top, 0755) == 0 || errno == EEXIST) && (mkdir(gdir, 0755) == 0 || errno == EEXIST),
                      "cannot make %s", gdir);
        drop_stale(gdir, devs, n);
    }
    compare(fixture, gdir, "list.txt", list, bad);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *file = NULL;

        ck_assert(asprintf(&file, "%s.xml", devs[i]->name) > 0);
        compare(fixture, gdir, file, devs[i]->xml, bad);
        if (schema && !mv_test_schema_valid(schema, devs[i]->xml))
            fprintf(bad, " %s (not valid against nodedev.rng)", file);
    }
    if (schema)
        xmlRelaxNGFree(schema);
}

START_TEST(test_fixture)
{
    const char *fixture = fixtures[_i];
    const char *sysdir = fixture_dirs[_i];
    struct nodedev_pci_ids *ids = fixture_pci_ids();
    _cleanup_free_ char *usb_ids = mv_test_golden_path("nodedev", "usb.ids", "");
    struct nodedev_read_ctx ctx = { .pci_ids = ids, .usb_ids_path = usb_ids };
    struct nodedev_tree *tree = NULL;
    struct nodedev_device **devs = NULL;
    _cleanup_free_ char *bad = NULL;
    size_t n = 0, badlen = 0;
    FILE *badf = open_memstream(&bad, &badlen);
    int r;

    ck_assert_ptr_nonnull(badf);
    r = nodedev_fixture_enter(sysdir);
    ck_assert_msg(r == 0, "cannot mount fixture %s on /sys: %s", fixture, strerror(-r));
    ck_assert_int_eq(nodedev_tree_new(&tree), 0);
    r = nodedev_scan(tree, &ctx, NULL, NULL);
    ck_assert_msg(r == 0, "scanning fixture %s: %s", fixture, strerror(-r));
    ck_assert_int_eq(nodedev_tree_list(tree, 0, 0, &devs, &n), 0);
    check_devices(fixture, devs, n, badf);
    fclose(badf);
    nodedev_list_free(devs, n);
    nodedev_tree_free(tree);
    nodedev_pci_ids_free(ids);
    ck_assert_msg(badlen == 0, "fixture %s: tests/nodedevxml/%s/ differs:%s; diff them, or rerun with "
                  "MV_REGEN=1 if the change is intended", fixture, fixture, bad);
}
END_TEST

/* What the changed callback saw: "+name" created, "~name" updated,
 * "-name" removed, space-separated. */
struct seen {
    char text[8192];
    size_t len;
    unsigned int created, updated, removed;
};

static void on_changed(struct nodedev_device *dev, int result, void *opaque)
{
    struct seen *s = opaque;
    char sign = result == NODEDEV_PUT_CREATED ? '+' : result == NODEDEV_PUT_UPDATED ? '~' : '-';

    ck_assert(result == NODEDEV_PUT_CREATED || result == NODEDEV_PUT_UPDATED || result == -1);
    s->created += result == NODEDEV_PUT_CREATED;
    s->updated += result == NODEDEV_PUT_UPDATED;
    s->removed += result == -1;
    s->len += snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s%c%s", s->len ? " " : "", sign, dev->name);
    ck_assert_uint_lt(s->len, sizeof(s->text));
}

static void seen_reset(struct seen *s)
{
    memset(s, 0, sizeof(*s));
}

/* The number of devices of TREE whose path is DIR or below it. */
static size_t count_below(struct nodedev_tree *tree, const char *dir)
{
    struct nodedev_device **devs = NULL;
    size_t n = 0, k = 0, l = strlen(dir);

    ck_assert_int_eq(nodedev_tree_list(tree, 0, 0, &devs, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (devs[i]->syspath && strncmp(devs[i]->syspath, dir, l) == 0 &&
            (devs[i]->syspath[l] == '\0' || devs[i]->syspath[l] == '/'))
            k++;
    nodedev_list_free(devs, n);
    return k;
}

static void put_by_hand(struct nodedev_tree *tree, const char *name, const char *syspath)
{
    struct nodedev_device *dev = nodedev_device_new(name);

    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(nodedev_set_str(&dev->syspath, syspath), 0);
    ck_assert_int_eq(nodedev_tree_put(tree, dev), NODEDEV_PUT_CREATED);
}

/* Scans again after changes to the tree: only what changed is reported.
 * Written to hold whichever capability readers exist: the devices they
 * list are counted, not named. */
START_TEST(test_rescan)
{
    const char *eth0 = "/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0";
    const char *virtio1 = "/sys/devices/pci0000:00/0000:00:02.0/virtio1";
    const char *sysdir = rescan_dir;
    struct nodedev_read_ctx ctx = { 0 };
    struct nodedev_tree *tree = NULL;
    struct seen seen;
    size_t n, gone;
    FILE *f;

    ck_assert_int_eq(nodedev_fixture_enter(sysdir), 0);
    ck_assert_int_eq(nodedev_tree_new(&tree), 0);

    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan(tree, &ctx, on_changed, &seen), 0);
    n = nodedev_tree_count(tree);
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_eq(seen.created, n);
    ck_assert_uint_eq(seen.updated + seen.removed, 0);
    ck_assert_msg(strncmp(seen.text, "+computer", 9) == 0, "computer first: %s", seen.text);

    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan(tree, &ctx, on_changed, &seen), 0);
    ck_assert_str_eq(seen.text, "");

    /* DMI says another product: the computer is updated, nothing else */
    f = fopen("/sys/devices/virtual/dmi/id/product_name", "we");
    ck_assert_ptr_nonnull(f);
    fputs("Other PC\n", f);
    fclose(f);
    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan(tree, &ctx, on_changed, &seen), 0);
    ck_assert_str_eq(seen.text, "~computer");

    /* eth0 unplugged: whatever was listed there is removed */
    gone = count_below(tree, eth0);
    ck_assert_int_eq(unlink("/sys/class/net/eth0"), 0);
    mv_test_rmtree(eth0);
    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan(tree, &ctx, on_changed, &seen), 0);
    ck_assert_uint_eq(seen.removed, gone);
    ck_assert_uint_eq(seen.created + seen.updated, 0);
    ck_assert_uint_eq(nodedev_tree_count(tree), n - gone);

    /* a uevent for a path that is gone removes the device that was there */
    put_by_hand(tree, "by_hand_gone", "/sys/devices/pci0000:00/0000:00:09.0");
    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan_one(tree, &ctx, "/sys/devices/pci0000:00/0000:00:09.0", on_changed, &seen), 0);
    ck_assert_str_eq(seen.text, "-by_hand_gone");
    /* and for a device no reader lists (a virtio bus device) too */
    put_by_hand(tree, "by_hand_virtio", virtio1);
    seen_reset(&seen);
    ck_assert_int_eq(nodedev_scan_one(tree, &ctx, virtio1, on_changed, &seen), 0);
    ck_assert_str_eq(seen.text, "-by_hand_virtio");
    /* nothing there, nothing in the tree: nothing happens */
    ck_assert_int_eq(nodedev_scan_one(tree, &ctx, "/sys/devices/nothing", on_changed, &seen), 0);
    ck_assert_str_eq(seen.text, "-by_hand_virtio");
    /* every listed device read again is unchanged */
    {
        struct nodedev_device **devs = NULL;
        size_t k = 0;

        ck_assert_int_eq(nodedev_tree_list(tree, 0, 0, &devs, &k), 0);
        seen_reset(&seen);
        for (size_t i = 0; i < k; i++)
            if (devs[i]->syspath)
                ck_assert_int_eq(nodedev_scan_one(tree, &ctx, devs[i]->syspath, on_changed, &seen), 0);
        nodedev_list_free(devs, k);
        ck_assert_str_eq(seen.text, "");
    }
    nodedev_tree_free(tree);
}
END_TEST

static void write_attr(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static char *computer_xml(void)
{
    struct nodedev_device *dev = NULL;
    char *xml = NULL;

    ck_assert_int_eq(nodedev_read_computer(&dev), 0);
    ck_assert_int_eq(nodedev_format(dev, &xml), 0);
    nodedev_device_unref(dev);
    return xml;
}

/* DMI text as libvirt keeps it, and the computer without DMI exactly as
 * libvirt 9.0 prints it on a machine without (this VM) */
START_TEST(test_computer)
{
    const char *sysdir = computer_dir;
    char *xml;

    ck_assert_int_eq(nodedev_fixture_enter(sysdir), 0);
    /* control characters dropped; an empty value or one that is not UTF-8
     * is no value; a UUID of one repeated digit is no UUID */
    write_attr("/sys/devices/virtual/dmi/id/product_name", "\001Odd\tPC\n");
    write_attr("/sys/devices/virtual/dmi/id/sys_vendor", "\n");
    write_attr("/sys/devices/virtual/dmi/id/product_version", "caf\xe9\n");
    write_attr("/sys/devices/virtual/dmi/id/product_serial", "S<1>&\n");
    write_attr("/sys/devices/virtual/dmi/id/product_uuid", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
    unlink("/sys/devices/virtual/dmi/id/bios_vendor");
    unlink("/sys/devices/virtual/dmi/id/bios_version");
    xml = computer_xml();
    ck_assert_str_eq(xml, "<device>\n  <name>computer</name>\n  <capability type='system'>\n"
                          "    <product>OddPC</product>\n    <hardware>\n      <serial>S&lt;1&gt;&amp;</serial>\n"
                          "      <uuid>00000000-0000-0000-0000-000000000000</uuid>\n    </hardware>\n"
                          "    <firmware>\n      <release_date>04/01/2014</release_date>\n    </firmware>\n"
                          "  </capability>\n</device>\n");
    free(xml);

    /* no DMI at all */
    ck_assert_int_eq(unlink("/sys/class/dmi/id"), 0);
    mv_test_rmtree("/sys/devices/virtual/dmi");
    xml = computer_xml();
    ck_assert_str_eq(xml, "<device>\n  <name>computer</name>\n  <capability type='system'>\n"
                          "    <hardware>\n      <uuid>00000000-0000-0000-0000-000000000000</uuid>\n"
                          "    </hardware>\n    <firmware>\n    </firmware>\n  </capability>\n</device>\n");
    free(xml);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_fixtures");
    TCase *tc = tcase_create("fixtures");
    const char *regen = getenv("MV_REGEN");
    SRunner *sr;
    size_t nfix = 0;
    int n;

    if (!nodedev_fixture_possible()) {
        printf("1..0 # SKIP no mount namespaces here (needs root)\n");
        return 0;
    }
    if (getenv("CK_FORK") && strcmp(getenv("CK_FORK"), "no") == 0) {
        printf("Bail out! these tests need CK_FORK=yes: each mounts its fixture on /sys\n");
        return 1;
    }
    /* the brief's switch, and golden.h's */
    if (regen && strcmp(regen, "1") == 0)
        setenv("MV_REGENERATE", "1", 1);
    fixtures = nodedev_fixture_list();
    while (fixtures[nfix])
        nfix++;
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, build_fixtures, remove_fixtures);
    tcase_add_loop_test(tc, test_fixture, 0, (int)nfix);
    tcase_add_test(tc, test_rescan);
    tcase_add_test(tc, test_computer);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_strv_free(fixtures);
    return n ? 1 : 0;
}
