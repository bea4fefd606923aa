/*
 * nodedevd's device model without sysfs: the device object and its
 * capabilities, the tree (put / update / remove, parent resolution,
 * lookups, list filters and order), libvirt's naming rule and the
 * document format.c writes for a device with hand-made capabilities.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"
#include "read.h"
#include "tree.h"

/* A capability whose data is a string, written as <capability type='T'><v>S</v>. */
struct test_cap {
    const char *type;
    char *text;
};

static int freed;

static void test_cap_format(struct mv_xml_out *o, const void *data)
{
    const struct test_cap *c = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", c->type);
    mv_xml_out_text_elem(o, "v", c->text);
    mv_xml_out_end(o);
}

static void test_cap_free(void *data)
{
    struct test_cap *c = data;

    free(c->text);
    free(c);
    freed++;
}

static const struct nodedev_cap_ops test_ops = { test_cap_format, test_cap_free };

static void add_cap(struct nodedev_device *dev, enum nodedev_cap_type t, const char *text)
{
    struct test_cap *c = calloc(1, sizeof(*c));

    ck_assert_ptr_nonnull(c);
    c->type = nodedev_cap_name(t);
    c->text = strdup(text);
    ck_assert_int_eq(nodedev_device_add_cap(dev, t, &test_ops, c), 0);
}

/* A device NAME at SYSPATH (may be NULL) with one capability T. */
static struct nodedev_device *mkdev(const char *name, const char *syspath, enum nodedev_cap_type t, const char *text)
{
    struct nodedev_device *dev = nodedev_device_new(name);

    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(nodedev_set_str(&dev->syspath, syspath), 0);
    add_cap(dev, t, text);
    return dev;
}

static struct nodedev_tree *mktree(void)
{
    struct nodedev_tree *t = NULL;

    ck_assert_int_eq(nodedev_tree_new(&t), 0);
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("computer", NULL, NODEDEV_CAP_SYSTEM, "host")),
                     NODEDEV_PUT_CREATED);
    return t;
}

static const char *parent_of(struct nodedev_tree *t, const char *name)
{
    static char buf[128];
    _cleanup_nodedev_ struct nodedev_device *d = nodedev_tree_find(t, name);

    ck_assert_msg(d != NULL, "no device %s", name);
    snprintf(buf, sizeof(buf), "%s", d->parent ? d->parent : "(none)");
    return buf;
}

START_TEST(test_cap_names)
{
    ck_assert_str_eq(nodedev_cap_name(NODEDEV_CAP_SYSTEM), "system");
    ck_assert_str_eq(nodedev_cap_name(NODEDEV_CAP_USB_INTERFACE), "usb");
    ck_assert_str_eq(nodedev_cap_name(NODEDEV_CAP_MDEV_TYPES), "mdev_types");
    ck_assert_str_eq(nodedev_cap_name(NODEDEV_CAP_VPD), "vpd");
    ck_assert_ptr_null(nodedev_cap_name(NODEDEV_CAP_LAST));
    ck_assert_int_eq(nodedev_cap_from_name("scsi_generic"), NODEDEV_CAP_SCSI_GENERIC);
    ck_assert_int_eq(nodedev_cap_from_name("storage"), NODEDEV_CAP_STORAGE);
    ck_assert_int_eq(nodedev_cap_from_name("nope"), -1);
    ck_assert_int_eq(nodedev_cap_from_name(""), -1);
    ck_assert_int_eq(nodedev_cap_from_name(NULL), -1);
    for (int i = 0; i < NODEDEV_CAP_LAST; i++)
        ck_assert_int_eq(nodedev_cap_from_name(nodedev_cap_name(i)), i);
}
END_TEST

START_TEST(test_device_caps)
{
    struct nodedev_device *dev = nodedev_device_new("pci_0000_00_02_0");

    freed = 0;
    ck_assert_ptr_nonnull(dev);
    ck_assert(dev->active);
    ck_assert(!dev->persistent);
    add_cap(dev, NODEDEV_CAP_PCI, "a");
    ck_assert_int_eq(nodedev_device_add_subcap(dev, NODEDEV_CAP_MDEV_TYPES), 0);
    ck_assert_int_eq(dev->ncaps, 2);
    ck_assert_uint_eq(dev->cap_mask, (1u << NODEDEV_CAP_PCI) | (1u << NODEDEV_CAP_MDEV_TYPES));
    ck_assert_ptr_null(dev->caps[1].ops);
    /* a bad type is refused and its data freed all the same */
    {
        struct test_cap *c = calloc(1, sizeof(*c));

        c->text = strdup("x");
        ck_assert_int_lt(nodedev_device_add_cap(dev, NODEDEV_CAP_LAST, &test_ops, c), 0);
        ck_assert_int_eq(freed, 1);
    }
    nodedev_device_ref(dev);
    nodedev_device_unref(dev);
    ck_assert_int_eq(freed, 1);
    nodedev_device_unref(dev);
    ck_assert_int_eq(freed, 2);
    nodedev_device_unref(NULL);
}
END_TEST

START_TEST(test_make_name)
{
    _cleanup_free_ char *pci = nodedev_make_name("pci", "0000:00:1f.2", NULL);
    _cleanup_free_ char *net = nodedev_make_name("net", "eth0", "52:54:00:12:34:56");
    _cleanup_free_ char *usb = nodedev_make_name("usb", "1-1:1.0", NULL);
    _cleanup_free_ char *scsi = nodedev_make_name("scsi", "host0", NULL);
    _cleanup_free_ char *odd = nodedev_make_name("net", "br-x.5\xc3\xa9", NULL);

    ck_assert_str_eq(pci, "pci_0000_00_1f_2");
    ck_assert_str_eq(net, "net_eth0_52_54_00_12_34_56");
    ck_assert_str_eq(usb, "usb_1_1_1_0");
    ck_assert_str_eq(scsi, "scsi_host0");
    /* every byte that is not an ASCII letter or digit, UTF-8 included */
    ck_assert_str_eq(odd, "net_br_x_5__");
}
END_TEST

START_TEST(test_parents)
{
    struct nodedev_tree *t = mktree();

    /* put in path order, as the scan does */
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("pci_0000_00_02_0", "/sys/devices/pci0000:00/0000:00:02.0",
                                               NODEDEV_CAP_PCI, "p")), NODEDEV_PUT_CREATED);
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("block_vda", "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda",
                                               NODEDEV_CAP_STORAGE, "d")), NODEDEV_PUT_CREATED);
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("net_lo_00", "/sys/devices/virtual/net/lo",
                                               NODEDEV_CAP_NET, "n")), NODEDEV_PUT_CREATED);
    /* a parent given by the reader stays */
    {
        struct nodedev_device *m = mkdev("mdev_x", NULL, NODEDEV_CAP_MDEV, "m");

        ck_assert_int_eq(nodedev_set_str(&m->parent, "pci_0000_00_02_0"), 0);
        ck_assert_int_eq(nodedev_tree_put(t, m), NODEDEV_PUT_CREATED);
    }
    ck_assert_str_eq(parent_of(t, "computer"), "(none)");
    ck_assert_str_eq(parent_of(t, "pci_0000_00_02_0"), "computer");
    /* the nearest ancestor in the tree: virtio1 and block/ are not in it */
    ck_assert_str_eq(parent_of(t, "block_vda"), "pci_0000_00_02_0");
    ck_assert_str_eq(parent_of(t, "net_lo_00"), "computer");
    ck_assert_str_eq(parent_of(t, "mdev_x"), "pci_0000_00_02_0");
    /* a path that only shares a prefix of characters is no child */
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("pci_0000_00_02_00", "/sys/devices/pci0000:00/0000:00:02.00",
                                               NODEDEV_CAP_PCI, "p")), NODEDEV_PUT_CREATED);
    ck_assert_str_eq(parent_of(t, "pci_0000_00_02_00"), "computer");
    ck_assert_uint_eq(nodedev_tree_count(t), 6);
    nodedev_tree_free(t);
}
END_TEST

START_TEST(test_put_update_remove)
{
    struct nodedev_tree *t = mktree();
    const char *path = "/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0";
    struct nodedev_device *d;

    ck_assert_int_eq(nodedev_tree_put(t, mkdev("net_eth0_aa", path, NODEDEV_CAP_NET, "up")), NODEDEV_PUT_CREATED);
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("net_eth0_aa", path, NODEDEV_CAP_NET, "up")), NODEDEV_PUT_UNCHANGED);
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("net_eth0_aa", path, NODEDEV_CAP_NET, "down")), NODEDEV_PUT_UPDATED);
    d = nodedev_tree_find(t, "net_eth0_aa");
    ck_assert_ptr_nonnull(strstr(d->xml, "<v>down</v>"));
    nodedev_device_unref(d);
    /* the same sysfs device under a new name replaces the old one */
    ck_assert_int_eq(nodedev_tree_put(t, mkdev("net_eth0_bb", path, NODEDEV_CAP_NET, "up")), NODEDEV_PUT_CREATED);
    ck_assert_ptr_null(nodedev_tree_find(t, "net_eth0_aa"));
    d = nodedev_tree_find_syspath(t, path);
    ck_assert_str_eq(d->name, "net_eth0_bb");
    nodedev_device_unref(d);
    ck_assert_uint_eq(nodedev_tree_count(t), 2);

    /* a reference outlives the removal */
    d = nodedev_tree_find(t, "net_eth0_bb");
    nodedev_device_unref(nodedev_tree_remove_syspath(t, path));
    ck_assert_str_eq(d->name, "net_eth0_bb");
    ck_assert_ptr_nonnull(d->xml);
    nodedev_device_unref(d);
    ck_assert_ptr_null(nodedev_tree_find_syspath(t, path));
    ck_assert_ptr_null(nodedev_tree_remove(t, "net_eth0_bb"));
    ck_assert_ptr_null(nodedev_tree_remove_syspath(t, "/sys/nowhere"));
    d = nodedev_tree_remove(t, "computer");
    ck_assert_str_eq(d->name, "computer");
    nodedev_device_unref(d);
    ck_assert_uint_eq(nodedev_tree_count(t), 0);
    ck_assert_ptr_null(nodedev_tree_find(t, "computer"));
    ck_assert_ptr_null(nodedev_tree_find(t, NULL));
    nodedev_tree_free(t);
}
END_TEST

static void expect_list(struct nodedev_tree *t, unsigned int caps, unsigned int flags, const char *names)
{
    struct nodedev_device **v = NULL;
    char buf[512] = "";
    size_t n = 0;

    ck_assert_int_eq(nodedev_tree_list(t, caps, flags, &v, &n), 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, v[i]->name);
    }
    nodedev_list_free(v, n);
    ck_assert_str_eq(buf, names);
}

START_TEST(test_list)
{
    struct nodedev_tree *t = mktree();
    struct nodedev_device *m, *fc;

    /* put out of name order: the list is sorted all the same */
    ck_assert_int_ge(nodedev_tree_put(t, mkdev("scsi_host1", "/sys/devices/h1", NODEDEV_CAP_SCSI_HOST, "h")), 0);
    ck_assert_int_ge(nodedev_tree_put(t, mkdev("pci_0000_00_03_0", "/sys/devices/p3", NODEDEV_CAP_PCI, "p")), 0);
    ck_assert_int_ge(nodedev_tree_put(t, mkdev("net_eth0", "/sys/devices/p3/net/eth0", NODEDEV_CAP_NET, "n")), 0);
    ck_assert_int_ge(nodedev_tree_put(t, mkdev("pci_0000_00_01_0", "/sys/devices/p1", NODEDEV_CAP_PCI, "p")), 0);
    m = mkdev("mdev_1", NULL, NODEDEV_CAP_MDEV, "m");
    m->active = false;
    m->persistent = true;
    ck_assert_int_ge(nodedev_tree_put(t, m), 0);
    fc = mkdev("scsi_host2", "/sys/devices/h2", NODEDEV_CAP_SCSI_HOST, "h");
    ck_assert_int_eq(nodedev_device_add_subcap(fc, NODEDEV_CAP_FC_HOST), 0);
    ck_assert_int_eq(nodedev_set_str(&fc->wwnn, "20000000c9831b4b"), 0);
    ck_assert_int_eq(nodedev_set_str(&fc->wwpn, "10000000c9831b4b"), 0);
    ck_assert_int_ge(nodedev_tree_put(t, fc), 0);

    expect_list(t, 0, 0, "computer mdev_1 net_eth0 pci_0000_00_01_0 pci_0000_00_03_0 scsi_host1 scsi_host2");
    expect_list(t, 1u << NODEDEV_CAP_PCI, 0, "pci_0000_00_01_0 pci_0000_00_03_0");
    expect_list(t, (1u << NODEDEV_CAP_NET) | (1u << NODEDEV_CAP_SYSTEM), 0, "computer net_eth0");
    expect_list(t, 1u << NODEDEV_CAP_FC_HOST, 0, "scsi_host2");
    expect_list(t, 1u << NODEDEV_CAP_USB_DEV, 0, "");
    expect_list(t, 0, NODEDEV_LIST_INACTIVE, "mdev_1");
    expect_list(t, 1u << NODEDEV_CAP_MDEV, NODEDEV_LIST_ACTIVE, "");
    expect_list(t, 1u << NODEDEV_CAP_MDEV, NODEDEV_LIST_ACTIVE | NODEDEV_LIST_INACTIVE, "mdev_1");
    expect_list(t, NODEDEV_LIST_ACTIVE | (1u << NODEDEV_CAP_SCSI_HOST), NODEDEV_LIST_ACTIVE,
                "scsi_host1 scsi_host2");
    /* parents: net_eth0 under pci 03, by its path */
    ck_assert_str_eq(parent_of(t, "net_eth0"), "pci_0000_00_03_0");

    {
        _cleanup_nodedev_ struct nodedev_device *w = nodedev_tree_find_wwn(t, "20000000c9831b4b",
                                                                          "10000000c9831b4b");
        ck_assert_ptr_nonnull(w);
        ck_assert_str_eq(w->name, "scsi_host2");
        ck_assert_ptr_null(nodedev_tree_find_wwn(t, "20000000c9831b4b", "0"));
        ck_assert_ptr_null(nodedev_tree_find_wwn(t, NULL, NULL));
    }
    nodedev_tree_free(t);
}
END_TEST

START_TEST(test_format)
{
    struct nodedev_device *dev = mkdev("block_vda", "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda",
                                       NODEDEV_CAP_STORAGE, "a<b&'c\"");
    _cleanup_free_ char *xml = NULL;
    const char *expected =
        "<device>\n"
        "  <name>block_vda</name>\n"
        "  <path>/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda</path>\n"
        "  <devnode type='dev'>/dev/vda</devnode>\n"
        "  <devnode type='link'>/dev/disk/by-path/virtio-pci-0000:00:02.0</devnode>\n"
        "  <devnode type='link'>/dev/disk/by-uuid/x</devnode>\n"
        "  <parent>pci_0000_00_02_0</parent>\n"
        "  <driver>\n"
        "    <name>virtio_blk</name>\n"
        "  </driver>\n"
        "  <capability type='storage'>\n"
        "    <v>a&lt;b&amp;'c&quot;</v>\n"
        "  </capability>\n"
        "  <capability type='drm'>\n"
        "    <v>second</v>\n"
        "  </capability>\n"
        "</device>\n";

    ck_assert_int_eq(nodedev_set_str(&dev->devnode, "/dev/vda"), 0);
    dev->devlinks = calloc(3, sizeof(char *));
    dev->devlinks[0] = strdup("/dev/disk/by-path/virtio-pci-0000:00:02.0");
    dev->devlinks[1] = strdup("/dev/disk/by-uuid/x");
    ck_assert_int_eq(nodedev_set_str(&dev->parent, "pci_0000_00_02_0"), 0);
    ck_assert_int_eq(nodedev_set_str(&dev->driver, "virtio_blk"), 0);
    add_cap(dev, NODEDEV_CAP_DRM, "second");
    ck_assert_int_eq(nodedev_device_add_subcap(dev, NODEDEV_CAP_MDEV_TYPES), 0);
    ck_assert_int_eq(nodedev_format(dev, &xml), 0);
    ck_assert_str_eq(xml, expected);
    nodedev_device_unref(dev);
}
END_TEST

START_TEST(test_format_minimal)
{
    struct nodedev_device *dev = mkdev("computer", NULL, NODEDEV_CAP_SYSTEM, "x");
    _cleanup_free_ char *xml = NULL;

    ck_assert_int_eq(nodedev_format(dev, &xml), 0);
    ck_assert_str_eq(xml, "<device>\n  <name>computer</name>\n  <capability type='system'>\n"
                          "    <v>x</v>\n  </capability>\n</device>\n");
    nodedev_device_unref(dev);
}
END_TEST

/* libxml2 does not escape ' in a '-quoted attribute: such a value makes
 * the document fall back to " quotes rather than break */
static void quote_format(struct mv_xml_out *o, const void *data)
{
    (void)data;
    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "it's");
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops quote_ops = { quote_format, NULL };

START_TEST(test_format_quote)
{
    struct nodedev_device *dev = nodedev_device_new("x");
    _cleanup_free_ char *xml = NULL;

    ck_assert_int_eq(nodedev_device_add_cap(dev, NODEDEV_CAP_PCI, &quote_ops, NULL), 0);
    ck_assert_int_eq(nodedev_format(dev, &xml), 0);
    ck_assert_str_eq(xml, "<device>\n  <name>x</name>\n  <capability type=\"it's\"/>\n</device>\n");
    nodedev_device_unref(dev);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_tree");
    TCase *tc = tcase_create("tree");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_cap_names);
    tcase_add_test(tc, test_device_caps);
    tcase_add_test(tc, test_make_name);
    tcase_add_test(tc, test_parents);
    tcase_add_test(tc, test_put_update_remove);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_format_minimal);
    tcase_add_test(tc, test_format_quote);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
