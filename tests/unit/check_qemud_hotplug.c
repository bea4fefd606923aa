/*
 * Hotplug's pure parts: a device fragment read into a definition by the
 * strict parser (qemud/domain_fragment.c) and taken out again, the
 * command line builder's options for that one device
 * (mv_qemu_build_device), and those options as the QMP commands a running
 * QEMU takes (qemud/hotplug_json.c).  The live side (QEMU, the guest) is
 * tests/integration/qemud-hotplug.sh.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_def.h"
#include "domain_fragment.h"
#include "error_codes.h"
#include "hotplug_json.h"
#include "qemu_command.h"

static const char base_xml[] =
    "<domain type='qemu'><name>hp</name><memory>65536</memory><os><type>hvm</type></os><devices>"
    "<disk type='file'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk>"
    "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>"
    "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' "
    "function='0x0'/></source></hostdev>"
    "<memballoon model='none'/></devices></domain>";

static struct mv_dom_def *live_base(void)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *def = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_def_parse(base_xml, 0, &def, &code, &msg) == 0, "%s", msg ? msg : "?");
    ck_assert_msg(mv_dom_assign(def, &code, &msg) == 0, "%s", msg ? msg : "?");
    return def;
}

static int fragment(const char *xml, const struct mv_dom_def *base, unsigned int flags, struct mv_dom_def **out,
                    enum mv_dom_device_kind *kind, size_t *index, int *code, char **msg)
{
    return mv_dom_device_parse(xml, base, "hp", flags, out, kind, index, code, msg);
}

/* A disk goes in last, the others keep their aliases and addresses. */
START_TEST(test_fragment_into_live)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    enum mv_dom_device_kind kind;
    size_t index;
    int code = 0;

    ck_assert_int_eq(fragment("<disk type='file'><source file='/b.img'/><target dev='vdb' bus='virtio'/></disk>", base,
                              MV_DOM_PARSE_STATUS, &def, &kind, &index, &code, &msg), 0);
    ck_assert_int_eq(kind, MV_DOM_DEVICE_DISK);
    ck_assert_uint_eq(index, 1);
    ck_assert_uint_eq(def->devices.ndisks, 2);
    ck_assert_str_eq(def->devices.disks[1].target, "vdb");
    ck_assert_str_eq(def->devices.disks[0].alias, "vda");
    ck_assert_uint_eq(def->devices.disks[0].addr.slot, base->devices.disks[0].addr.slot);
    ck_assert_ptr_null(def->devices.disks[1].alias);
    ck_assert_int_eq(mv_dom_assign(def, &code, &msg), 0);
    ck_assert_str_eq(def->devices.disks[1].alias, "vdb");
    ck_assert_int_eq(def->devices.disks[1].addr.type, MV_DOM_ADDR_PCI);
    ck_assert_uint_ne(def->devices.disks[1].addr.slot, def->devices.disks[0].addr.slot);
}
END_TEST

/* The rules of a whole definition: a target twice, a MAC twice; an
 * element that is no device of ours; broken XML. */
START_TEST(test_fragment_refused)
{
    static const struct {
        const char *xml;
        int code;
        const char *words;
    } bad[] = {
        { "<disk type='file'><source file='/c.img'/><target dev='vda' bus='virtio'/></disk>", MV_ERR_XML_DETAIL, "vda" },
        { "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>", 0, "52:54:00:00:00:01" },
        { "<hostdev mode='subsystem' type='pci'/>", MV_ERR_CONFIG_UNSUPPORTED, "device <hostdev> cannot be attached" },
        { "<disk type='file'>", MV_ERR_XML_ERROR, "" },
        { "<disk type='file'><target dev='vdq'/><bogus/></disk>", 0, "bogus" },
    };
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        _cleanup_free_ char *msg = NULL;
        struct mv_dom_def *def = NULL;
        enum mv_dom_device_kind kind;
        size_t index;
        int code = 0;

        ck_assert_int_lt(fragment(bad[i].xml, base, 0, &def, &kind, &index, &code, &msg), 0);
        ck_assert_ptr_null(def);
        ck_assert_ptr_nonnull(msg);
        if (bad[i].code)
            ck_assert_int_eq(code, bad[i].code);
        ck_assert_msg(strstr(msg, bad[i].words), "%zu: %s", i, msg);
    }
}
END_TEST

/* A live attach keeps what the XML does not carry: the taps and the
 * hostdevs nodedevd detached (else destroy leaves both behind). */
START_TEST(test_fragment_keeps_runtime)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    enum mv_dom_device_kind kind;
    size_t index;
    int code = 0;

    ck_assert_uint_eq(base->devices.nhostdevs, 1);
    base->devices.nets[0].ifindex = 9;
    base->devices.hostdevs[0].detached = true;
    ck_assert_int_eq(fragment("<disk type='file'><source file='/b.img'/><target dev='vdb' bus='virtio'/></disk>", base,
                              MV_DOM_PARSE_STATUS, &def, &kind, &index, &code, &msg), 0);
    ck_assert_int_eq(def->devices.nets[0].ifindex, 9);
    ck_assert(def->devices.hostdevs[0].detached);
}
END_TEST

/* A DEVICE_DELETED is hotplug's only for a disk, interface or controller
 * of the live definition: a vCPU's ("vcpu1") is vcpu_live.c's. */
START_TEST(test_device_by_alias)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    enum mv_dom_device_kind kind = MV_DOM_DEVICE_CONTROLLER;
    size_t index = 99;

    ck_assert_int_eq(mv_dom_device_by_alias(base, "net0", &kind, &index), 0);
    ck_assert_int_eq(kind, MV_DOM_DEVICE_NET);
    ck_assert_uint_eq(index, 0);
    ck_assert_int_eq(mv_dom_device_by_alias(base, "vda", &kind, &index), 0);
    ck_assert_int_eq(kind, MV_DOM_DEVICE_DISK);
    ck_assert_int_eq(mv_dom_device_by_alias(base, "vcpu1", &kind, &index), -ENOENT);
    ck_assert_int_eq(mv_dom_device_by_alias(base, "/machine/peripheral/vcpu1/unplug", &kind, &index), -ENOENT);
    ck_assert_int_eq(mv_dom_device_by_alias(base, "hostdev0", &kind, &index), -ENOENT);
    ck_assert_int_eq(mv_dom_device_by_alias(NULL, "net0", &kind, &index), -ENOENT);
}
END_TEST

/* Alone (for detach): the device in a skeleton; out again by index. */
START_TEST(test_fragment_alone_and_removal)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    _cleanup_dom_def_ struct mv_dom_def *frag = NULL;
    _cleanup_dom_def_ struct mv_dom_def *without = NULL;
    _cleanup_free_ char *msg = NULL;
    enum mv_dom_device_kind kind;
    size_t index;
    int code = 0;

    ck_assert_int_eq(fragment("<controller type='scsi' index='2' model='virtio-scsi'/>", NULL, 0, &frag, &kind, &index,
                              &code, &msg), 0);
    ck_assert_int_eq(kind, MV_DOM_DEVICE_CONTROLLER);
    ck_assert_uint_eq(frag->devices.ncontrollers, 1);
    ck_assert_uint_eq(frag->devices.controllers[0].index, 2);
    ck_assert_str_eq(frag->name, "hp");

    base->devices.nets[0].ifindex = 7;      /* not in the XML: kept by alias */
    base->devices.hostdevs[0].detached = true;
    without = mv_dom_def_without_device(base, MV_DOM_DEVICE_DISK, 0, MV_DOM_PARSE_STATUS);
    ck_assert_ptr_nonnull(without);
    ck_assert_uint_eq(without->devices.ndisks, 0);
    ck_assert_uint_eq(without->devices.nnets, 1);
    ck_assert_str_eq(without->devices.nets[0].alias, "net0");
    ck_assert_int_eq(without->devices.nets[0].ifindex, 7);
    ck_assert(without->devices.hostdevs[0].detached);
    ck_assert_ptr_null(mv_dom_def_without_device(base, MV_DOM_DEVICE_DISK, 5, MV_DOM_PARSE_STATUS));
}
END_TEST

static char *json_of(const struct hotplug_qmp *q)
{
    return strdup(json_object_to_json_string_ext(q->args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The builder's options for the new disk, from the fdset, as QMP. */
START_TEST(test_disk_as_qmp)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *paths[2] = { NULL, "/dev/fdset/3" };
    struct mv_qemu_cmd_ctx ctx = { .disk_open_paths = paths, .ndisk_open_paths = 2 };
    static const char *const want[][3] = {
        { "blockdev-add", "{\"driver\":\"file\",\"filename\":\"/dev/fdset/3\",\"node-name\":\"vdb-storage\","
          "\"cache\":{\"direct\":true,\"no-flush\":false}}", "{\"node-name\":\"vdb-storage\"}" },
        { "blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"vdb-format\",\"file\":\"vdb-storage\","
          "\"cache\":{\"direct\":true,\"no-flush\":false}}", "{\"node-name\":\"vdb-format\"}" },
        { "device_add", NULL, NULL },
    };
    enum mv_dom_device_kind kind;
    size_t index;
    char **argv = NULL;
    int code = 0;

    ck_assert_int_eq(fragment("<disk type='file'><driver name='qemu' type='qcow2' cache='none'/>"
                              "<source file='/b,c.qcow2'/><target dev='vdb' bus='virtio'/></disk>",
                              base, MV_DOM_PARSE_STATUS, &def, &kind, &index, &code, &msg), 0);
    ck_assert_int_eq(mv_dom_assign(def, &code, &msg), 0);
    ck_assert_int_eq(mv_qemu_build_device(def, &ctx, MV_QEMU_DEV_DISK, index, &argv, &code, &msg), 0);
    ck_assert(argv[0] && argv[5] && !argv[6]);
    for (size_t i = 0; i < 3; i++) {
        struct hotplug_qmp q;
        _cleanup_free_ char *json = NULL;

        ck_assert_int_eq(hotplug_option_qmp(argv[2 * i], argv[2 * i + 1], &q), 0);
        ck_assert_str_eq(q.cmd, want[i][0]);
        json = json_of(&q);
        if (want[i][1]) {
            ck_assert_str_eq(json, want[i][1]);
            ck_assert_str_eq(q.undo_cmd, "blockdev-del");
            ck_assert_str_eq(json_object_to_json_string_ext(q.undo_args, JSON_C_TO_STRING_PLAIN), want[i][2]);
        } else {
            /* device_add reads its arguments as -device does: strings */
            ck_assert_msg(strstr(json, "\"driver\":\"virtio-blk-pci\"") && strstr(json, "\"drive\":\"vdb-format\"") &&
                          strstr(json, "\"id\":\"vdb\"") && strstr(json, "\"write-cache\":\"on\""), "%s", json);
            ck_assert_ptr_null(q.undo_cmd);
        }
        json_object_put(q.args);
        json_object_put(q.undo_args);
    }
    mv_strv_free(argv);
}
END_TEST

/* A tap passed by name, the netdev named after the NIC's alias. */
START_TEST(test_net_as_qmp)
{
    _cleanup_dom_def_ struct mv_dom_def *base = live_base();
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *json = NULL;
    const char *names[2] = { NULL, "fd-net1" };
    struct mv_qemu_cmd_ctx ctx = { .net_fd_names = names, .nnet_fd_names = 2 };
    enum mv_dom_device_kind kind;
    struct hotplug_qmp q;
    size_t index;
    char **argv = NULL;
    int code = 0;

    ck_assert_int_eq(fragment("<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>",
                              base, MV_DOM_PARSE_STATUS, &def, &kind, &index, &code, &msg), 0);
    ck_assert_int_eq(mv_dom_assign(def, &code, &msg), 0);
    ck_assert_str_eq(def->devices.nets[index].alias, "net1");
    ck_assert_int_eq(mv_qemu_build_device(def, &ctx, MV_QEMU_DEV_NET, index, &argv, &code, &msg), 0);
    ck_assert_str_eq(argv[0], "-netdev");
    ck_assert_int_eq(hotplug_option_qmp(argv[0], argv[1], &q), 0);
    ck_assert_str_eq(q.cmd, "netdev_add");
    json = json_of(&q);
    ck_assert_str_eq(json, "{\"type\":\"tap\",\"id\":\"hostnet1\",\"fd\":\"fd-net1\",\"vhost\":false}");
    ck_assert_str_eq(q.undo_cmd, "netdev_del");
    json_object_put(q.args);
    json_object_put(q.undo_args);
    ck_assert_int_eq(hotplug_option_qmp("-chardev", "x", &q), -ENOENT);
    ck_assert_int_eq(hotplug_option_qmp("-blockdev", "driver", &q), -EINVAL);
    mv_strv_free(argv);
}
END_TEST

static Suite *hotplug_suite(void)
{
    Suite *s = suite_create("hotplug");
    TCase *tc = tcase_create("hotplug");

    tcase_add_test(tc, test_fragment_into_live);
    tcase_add_test(tc, test_fragment_refused);
    tcase_add_test(tc, test_fragment_keeps_runtime);
    tcase_add_test(tc, test_device_by_alias);
    tcase_add_test(tc, test_fragment_alone_and_removal);
    tcase_add_test(tc, test_disk_as_qmp);
    tcase_add_test(tc, test_net_as_qmp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hotplug_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
