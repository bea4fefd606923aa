/*
 * Domain XML parser and formatter against the golden files in
 * tests/domainxml: NAME.xml must format to NAME.out.xml and that output must
 * come back unchanged through another parse (idempotent); NAME-invalid.xml
 * must be refused with exactly the message in NAME-invalid.err.  NAME-status
 * inputs are parsed as a status file (MV_DOM_PARSE_STATUS) and formatted as
 * a running domain.  MV_REGENERATE=1 rewrites the expected files.
 * Schema validation of the outputs is tests/unit/domainxml-validate.sh.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_def.h"
#include "error_codes.h"
#include "file.h"
#include "golden.h"
#include "schema.h"
#include "testutil.h"

#define FIXTURES "domainxml"

/* Inputs found in tests/domainxml, without their .xml suffix. */
static char **golden_names;
static size_t ngolden;
static char **invalid_names;
static size_t ninvalid;

static bool is_status(const char *name)
{
    size_t len = strlen(name);

    return len > 7 && strcmp(name + len - 7, "-status") == 0;
}

/* Parses TEXT, which must succeed, and formats it back. */
static char *roundtrip(const char *what, const char *text, bool status)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_live_info live = { .id = 7 };
    char *out = NULL;
    int code = 0;
    int r;

    r = mv_dom_def_parse(text, status ? MV_DOM_PARSE_STATUS : 0, &def, &code, &msg);
    ck_assert_msg(r == 0, "%s: parse failed (%d, code %d): %s", what, r, code, msg ? msg : "(no message)");
    r = mv_dom_def_format(def, status ? &live : NULL, MV_DOM_FORMAT_SECURE, &out);
    ck_assert_msg(r == 0, "%s: format failed: %s", what, strerror(-r));
    return out;
}

/* roundtrip() as mv_test_golden_roundtrip() calls it: a NAME ending in
 * "-status" is a status file */
static char *roundtrip_named(const char *name, const char *text)
{
    return roundtrip(name, text, is_status(name));
}

START_TEST(test_golden)
{
    mv_test_golden_roundtrip(FIXTURES, golden_names[_i], roundtrip_named);
}
END_TEST

START_TEST(test_invalid)
{
    const char *name = invalid_names[_i];
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *line = NULL;
    struct mv_dom_def *def = (struct mv_dom_def *)0x1;
    int code = 0;
    int r;

    r = mv_dom_def_parse(input, 0, &def, &code, &msg);
    ck_assert_msg(r == -EINVAL, "%s: parse returned %d, not -EINVAL", name, r);
    ck_assert_ptr_eq(def, (struct mv_dom_def *)0x1);
    ck_assert_ptr_nonnull(msg);
    /* the code matches the kind of message */
    if (strncmp(msg, "unsupported configuration: ", 27) == 0)
        ck_assert_int_eq(code, MV_ERR_CONFIG_UNSUPPORTED);
    else if (strstr(msg, "XML error in domain definition:") == msg)
        ck_assert_int_eq(code, MV_ERR_XML_ERROR);
    else
        ck_assert_msg(strncmp(msg, "XML error: ", 11) == 0 &&
                      (code == MV_ERR_XML_DETAIL || code == MV_ERR_XML_ERROR),
                      "%s: code %d with message %s", name, code, msg);
    ck_assert(asprintf(&line, "%s\n", msg) > 0);
    mv_test_golden(FIXTURES, name, ".err", line);
}
END_TEST

/* ---- behaviour the golden files cannot show ---- */

static struct mv_dom_def *parse_ok(const char *xml, unsigned int flags)
{
    struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_def_parse(xml, flags, &def, &code, &msg) == 0, "parse failed: %s", msg);
    return def;
}

static char *format_ok(const struct mv_dom_def *def, const struct mv_dom_live_info *live, unsigned int flags)
{
    char *xml = NULL;

    ck_assert_int_eq(mv_dom_def_format(def, live, flags, &xml), 0);
    return xml;
}

#define DOM_HEAD "<domain type='kvm'><name>vm1</name><memory>1024</memory><os><type>hvm</type></os>"

START_TEST(test_generated_ids)
{
    static const char xml[] = DOM_HEAD
        "<devices><interface type='user'/><interface type='user'/></devices></domain>";
    _cleanup_dom_def_ struct mv_dom_def *a = parse_ok(xml, 0);
    _cleanup_dom_def_ struct mv_dom_def *b = parse_ok(xml, 0);
    _cleanup_free_ char *out = format_ok(a, NULL, 0);
    char uuid[MV_UUID_STRING_LEN];
    char mac[64];

    ck_assert(!mv_uuid_is_null(a->uuid));
    ck_assert_int_eq(a->uuid[6] >> 4, 4);                   /* version 4 */
    ck_assert_int_eq(a->uuid[8] & 0xc0, 0x80);              /* RFC 4122 variant */
    ck_assert_mem_ne(a->uuid, b->uuid, MV_UUID_LEN);
    ck_assert_uint_eq(a->devices.nnets, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(a->devices.nets[i].mac[0], 0x52);
        ck_assert_int_eq(a->devices.nets[i].mac[1], 0x54);
        ck_assert_int_eq(a->devices.nets[i].mac[2], 0x00);
    }
    ck_assert_mem_ne(a->devices.nets[0].mac, a->devices.nets[1].mac, 6);
    ck_assert_mem_ne(a->devices.nets[0].mac, b->devices.nets[0].mac, 6);
    /* both are written out, so the next parse keeps them */
    mv_uuid_format(a->uuid, uuid);
    ck_assert_ptr_nonnull(strstr(out, uuid));
    snprintf(mac, sizeof(mac), "<mac address=\"52:54:00:%02x:%02x:%02x\"/>", a->devices.nets[1].mac[3],
             a->devices.nets[1].mac[4], a->devices.nets[1].mac[5]);
    ck_assert_ptr_nonnull(strstr(out, mac));
}
END_TEST

START_TEST(test_struct_values)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "test-guest", ".xml");
    _cleanup_dom_def_ struct mv_dom_def *def = parse_ok(input, 0);
    const struct mv_dom_chr *serial;

    ck_assert_int_eq(def->virt, MV_DOM_VIRT_KVM);
    ck_assert_str_eq(def->name, "test-guest");
    ck_assert_uint_eq(def->memory_kib, 256 * 1024);
    ck_assert_uint_eq(def->current_memory_kib, 256 * 1024);
    ck_assert_uint_eq(def->vcpus, 1);
    ck_assert_uint_eq(def->vcpus_current, 1);
    ck_assert_str_eq(def->os.kernel, "/var/lib/modvirt/test/vmlinuz");
    ck_assert_int_eq(def->on_reboot, MV_DOM_LIFECYCLE_DESTROY);
    ck_assert_int_eq(def->on_crash, MV_DOM_LIFECYCLE_DEFAULT);
    ck_assert_uint_eq(def->devices.ndisks, 0);
    ck_assert_uint_eq(def->devices.nserials, 1);
    serial = &def->devices.serials[0];
    ck_assert_int_eq(serial->type, MV_DOM_CHR_PTY);
    ck_assert_ptr_null(serial->path);
    ck_assert_str_eq(serial->log_file, "/var/log/modvirt/qemu/test-guest-serial.log");
    ck_assert(serial->log_append);
    ck_assert_int_eq(serial->target_port, 0);
    ck_assert_int_eq(def->devices.consoles[0].target_port, 0);
    ck_assert_str_eq(def->devices.consoles[0].target_type, "serial");
}
END_TEST

START_TEST(test_defaults)
{
    static const char xml[] = DOM_HEAD
        "<devices><disk><source file='/a'/><target dev='hdc'/></disk>"
        "<disk device='cdrom'><target dev='sdb'/></disk>"
        "<controller type='usb'/><controller type='usb' index='0'/><controller type='pci'/>"
        "<serial type='null'/><channel type='unix'><target type='virtio'/></channel>"
        "<channel type='unix'><source path='/run/x.sock'/><target type='virtio'/></channel>"
        "<graphics type='vnc'/></devices></domain>";
    _cleanup_dom_def_ struct mv_dom_def *def = parse_ok(xml, 0);
    const struct mv_dom_devices *d = &def->devices;

    ck_assert_uint_eq(def->vcpus, 1);
    ck_assert_int_eq(d->disks[0].type, MV_DOM_DISK_FILE);
    ck_assert_int_eq(d->disks[0].device, MV_DOM_DISK_DEVICE_DISK);
    ck_assert_int_eq(d->disks[0].bus, MV_DOM_DISK_BUS_IDE);
    ck_assert_int_eq(d->disks[1].bus, MV_DOM_DISK_BUS_SATA);
    ck_assert_ptr_null(d->disks[1].source);
    /* an index left out takes the lowest free one of its type */
    ck_assert_uint_eq(d->controllers[0].index, 1);
    ck_assert_uint_eq(d->controllers[1].index, 0);
    ck_assert_uint_eq(d->controllers[2].index, 0);
    ck_assert_int_eq(d->serials[0].target_port, -1);
    /* unix without a path: QEMU listens on one the daemon picks */
    ck_assert(d->channels[0].unix_listen);
    ck_assert(!d->channels[1].unix_listen);
    ck_assert_int_eq(d->graphics[0].port, -1);
    ck_assert(d->graphics[0].autoport);
}
END_TEST

START_TEST(test_memory_units)
{
    static const struct {
        const char *unit;
        const char *value;
        unsigned long long kib;
    } cases[] = {
        { "b", "1", 1 },            /* rounded up */
        { "bytes", "2048", 2 },
        { "k", "7", 7 },
        { "KB", "1000", 977 },      /* 1000000 bytes */
        { "KiB", "5", 5 },
        { "M", "1", 1024 },
        { "MB", "1", 977 },
        { "MiB", "3", 3072 },
        { "G", "1", 1048576 },
        { "GB", "2", 1953125 },
        { "gib", "1", 1048576 },
        { "T", "1", 1073741824ULL },
        { "TB", "1", 976562500ULL },
        { "TiB", "2", 2147483648ULL },
        { NULL, "42", 42 },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_dom_def_ struct mv_dom_def *def = NULL;
        _cleanup_free_ char *unit = NULL;

        if (cases[i].unit)
            ck_assert(asprintf(&unit, " unit='%s'", cases[i].unit) > 0);
        ck_assert(asprintf(&xml, "<domain type='qemu'><name>m</name><memory%s>%s</memory>"
                                 "<os><type>hvm</type></os></domain>", unit ? unit : "", cases[i].value) > 0);
        def = parse_ok(xml, 0);
        ck_assert_msg(def->memory_kib == cases[i].kib, "%s %s: %llu KiB, expected %llu", cases[i].value,
                      cases[i].unit, def->memory_kib, cases[i].kib);
        ck_assert_uint_eq(def->current_memory_kib, cases[i].kib);
    }
}
END_TEST

START_TEST(test_secure_and_live)
{
    static const char xml[] = DOM_HEAD
        "<devices><graphics type='vnc' passwd='pw&amp;1'/></devices></domain>";
    _cleanup_dom_def_ struct mv_dom_def *def = parse_ok(xml, 0);
    struct mv_dom_live_info live = { .id = 12 };
    _cleanup_free_ char *plain = format_ok(def, NULL, 0);
    _cleanup_free_ char *secure = format_ok(def, &live, MV_DOM_FORMAT_SECURE);

    ck_assert_ptr_null(strstr(plain, "passwd"));
    ck_assert_ptr_null(strstr(plain, " id="));
    ck_assert_ptr_nonnull(strstr(secure, "passwd=\"pw&amp;1\""));
    ck_assert_ptr_nonnull(strstr(secure, "<domain type=\"kvm\" id=\"12\">"));
}
END_TEST

START_TEST(test_status_flag)
{
    static const char xml[] = DOM_HEAD
        "<devices><interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/>"
        "<target dev='vnet3'/></interface>"
        "<graphics type='vnc' port='5903' autoport='yes'/></devices></domain>";
    static const char pty[] = DOM_HEAD
        "<devices><serial type='pty'><source path='/dev/pts/4'/></serial></devices></domain>";
    _cleanup_dom_def_ struct mv_dom_def *config = parse_ok(xml, 0);
    _cleanup_dom_def_ struct mv_dom_def *status = parse_ok(xml, MV_DOM_PARSE_STATUS);
    _cleanup_dom_def_ struct mv_dom_def *live_pty = parse_ok(pty, MV_DOM_PARSE_STATUS);
    _cleanup_dom_def_ struct mv_dom_def *config_pty = parse_ok(pty, 0);

    /* a definition does not claim the tap or port a running guest had */
    ck_assert_ptr_null(config->devices.nets[0].ifname);
    ck_assert_int_eq(config->devices.graphics[0].port, -1);
    ck_assert_str_eq(status->devices.nets[0].ifname, "vnet3");
    ck_assert_int_eq(status->devices.graphics[0].port, 5903);
    ck_assert_str_eq(live_pty->devices.serials[0].path, "/dev/pts/4");
    /* a running guest's dumpxml defines: the pty is chosen again at start */
    ck_assert_ptr_null(config_pty->devices.serials[0].path);
}
END_TEST

/* A volume disk's resolved path: only the status file has it, a copy
 * keeps it, the live XML shows pool and volume (volume-status.out.xml). */
START_TEST(test_volume_path)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "volume-status", ".xml");
    _cleanup_dom_def_ struct mv_dom_def *status = parse_ok(input, MV_DOM_PARSE_STATUS);
    _cleanup_dom_def_ struct mv_dom_def *config = parse_ok(input, 0);
    _cleanup_dom_def_ struct mv_dom_def *copy = NULL;
    _cleanup_free_ char *file = NULL;
    _cleanup_free_ char *live = NULL;
    static const char path[] = "file=\"/var/lib/modvirt/images/root.qcow2\"";

    ck_assert_str_eq(status->devices.disks[0].source, "/var/lib/modvirt/images/root.qcow2");
    ck_assert_ptr_null(config->devices.disks[0].source);
    file = format_ok(status, NULL, MV_DOM_FORMAT_STATUS);
    live = format_ok(status, NULL, 0);
    ck_assert_ptr_nonnull(strstr(file, path));
    ck_assert_ptr_null(strstr(live, path));
    copy = mv_dom_def_copy(status);
    ck_assert_ptr_nonnull(copy);
    ck_assert_str_eq(copy->devices.disks[0].source, status->devices.disks[0].source);
    ck_assert_str_eq(copy->devices.disks[0].pool, "guests");
    ck_assert_str_eq(copy->devices.disks[0].volume, "root.qcow2");
}
END_TEST

START_TEST(test_copy)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "linux-guest", ".xml");
    _cleanup_dom_def_ struct mv_dom_def *def = parse_ok(input, 0);
    _cleanup_dom_def_ struct mv_dom_def *copy = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    /* live values survive a copy */
    def->devices.nets[0].ifname = (free(def->devices.nets[0].ifname), strdup("vnet0"));
    def->devices.graphics[0].port = 5900;
    copy = mv_dom_def_copy(def);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy->name, def->name);
    ck_assert_str_eq(copy->devices.nets[0].ifname, "vnet0");
    ck_assert_int_eq(copy->devices.graphics[0].port, 5900);
    ck_assert_str_eq(copy->devices.graphics[0].passwd, "s3cret");
    a = format_ok(def, NULL, MV_DOM_FORMAT_SECURE);
    b = format_ok(copy, NULL, MV_DOM_FORMAT_SECURE);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_errors_out_params)
{
    struct mv_dom_def *def = (struct mv_dom_def *)0x1;
    char *msg = NULL;
    int code = 0;

    ck_assert_int_eq(mv_dom_def_parse("<domain", 0, &def, &code, &msg), -EINVAL);
    ck_assert_int_eq(code, MV_ERR_XML_ERROR);
    ck_assert_ptr_eq(def, (struct mv_dom_def *)0x1);
    ck_assert_ptr_nonnull(strstr(msg, "XML error"));
    free(msg);
    msg = NULL;
    ck_assert_int_eq(mv_dom_def_parse("<network><name>n</name></network>", 0, &def, &code, &msg), -EINVAL);
    ck_assert_int_eq(code, MV_ERR_XML_ERROR);
    ck_assert_str_eq(msg, "XML error: expected <domain> as the root element, not <network>");
    free(msg);
}
END_TEST

/* Values a single domain cannot hold all at once (one watchdog, one <cpu>),
 * each formatted and checked against libvirt's schema here; validate.sh
 * covers the golden outputs. */
#define SCHEMA MV_TEST_SCHEMA_DIR "/domain.rng"
#define DOM_OPEN "<domain type='kvm'><name>vm1</name><memory>1024</memory>"

static const struct {
    const char *fmt;            /* one %s */
    const char *values[8];
} schema_cases[] = {
    { DOM_OPEN "<os><type>hvm</type></os><devices><watchdog model='ib700' action='%s'/></devices></domain>",
      { "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi" } },
    { DOM_OPEN "<os><type>hvm</type></os><cpu mode='%s'/></domain>",
      { "custom", "host-model", "host-passthrough", "maximum" } },
    { DOM_OPEN "<os><type>hvm</type></os><clock offset='%s'/></domain>", { "utc", "localtime" } },
    { DOM_OPEN "<os><type>hvm</type></os><on_poweroff>%1$s</on_poweroff><on_reboot>%1$s</on_reboot>"
      "<on_crash>%1$s</on_crash></domain>", { "destroy", "restart", "preserve" } },
    { DOM_OPEN "<os><type>hvm</type><loader type='%s'>/fw.bin</loader></os></domain>", { "rom", "pflash" } },
    { "<domain type='%s'><name>vm1</name><memory>1</memory><os><type>hvm</type></os></domain>",
      { "qemu", "kvm" } },
    { DOM_OPEN "<os><type>hvm</type></os><devices>%s</devices></domain>",
      { "<channel type='unix'><target type='virtio'/></channel>",
        "<graphics type='spice' autoport='no' port='5999' listen='0.0.0.0'/>",
        "<controller type='usb' index='0' ports='15'/>",
        "<interface type='network'><source network='default'/><target dev='tap0'/><boot order='3'/>"
        "<address type='pci' domain='0x0001' bus='0xff' slot='0x1f' function='0x7' multifunction='on'/>"
        "</interface>",
        "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/>"
        "<address type='drive' controller='99' bus='99' target='99' unit='99999'/></disk>" } },
};

START_TEST(test_schema_values)
{
    xmlRelaxNGPtr schema = mv_test_schema_load("domain");

    if (!schema)
        return;
    for (size_t i = 0; i < MV_ARRAY_SIZE(schema_cases); i++) {
        for (size_t j = 0; j < MV_ARRAY_SIZE(schema_cases[i].values) && schema_cases[i].values[j]; j++) {
            _cleanup_free_ char *xml = NULL;
            _cleanup_dom_def_ struct mv_dom_def *def = NULL;
            _cleanup_free_ char *out = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            ck_assert(asprintf(&xml, schema_cases[i].fmt, schema_cases[i].values[j]) > 0);
#pragma GCC diagnostic pop
            def = parse_ok(xml, 0);
            out = format_ok(def, NULL, MV_DOM_FORMAT_SECURE);
            ck_assert_msg(mv_test_schema_valid(schema, out), "case %zu value '%s' not valid against %s (libxml2 says "
                          "why above)", i, schema_cases[i].values[j], SCHEMA);
        }
    }
    xmlRelaxNGFree(schema);
}
END_TEST

/* ---- fixture discovery ---- */

static Suite *domainxml_suite(void)
{
    Suite *s = suite_create("qemud_domainxml");
    TCase *tc = tcase_create("golden");

    tcase_add_loop_test(tc, test_golden, 0, (int)ngolden);
    tcase_add_loop_test(tc, test_invalid, 0, (int)ninvalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_test(tc, test_generated_ids);
    tcase_add_test(tc, test_struct_values);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_memory_units);
    tcase_add_test(tc, test_secure_and_live);
    tcase_add_test(tc, test_status_flag);
    tcase_add_test(tc, test_volume_path);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_errors_out_params);
    tcase_add_test(tc, test_schema_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    /* a lost fixture directory must not pass as "nothing to test" */
    ngolden = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_VALID, 3, &golden_names);
    ninvalid = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_INVALID, 20, &invalid_names);
    sr = srunner_create(domainxml_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(golden_names);
    mv_test_golden_inputs_free(invalid_names);
    return n ? 1 : 0;
}
