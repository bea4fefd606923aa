/*
 * The assign pass (qemud/domain_address.c) against golden files in
 * tests/domainlive: NAME.xml, a configuration, becomes NAME.out.xml, the live
 * XML of a running domain (aliases, addresses, implicit controllers).  That
 * live XML, defined again (parsed as a configuration, as virsh define
 * does), assigned and formatted, gives itself back, and its QEMU command
 * line is the one of the original: dumpxml -> define -> start runs the
 * same machine.  MV_REGENERATE=1 rewrites the expected files.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_def.h"
#include "error_codes.h"
#include "golden.h"
#include "qemu_command.h"
#include "schema.h"
#include "testutil.h"

#define FIXTURES "domainlive"
#define NET_FDS 8

static char **cases;
static size_t ncases;

static struct mv_dom_def *parse_ok(const char *what, const char *xml, unsigned int flags)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *def = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_def_parse(xml, flags, &def, &code, &msg) == 0, "%s: parse failed: %s", what,
                  msg ? msg : "?");
    return def;
}

static void assign_ok(const char *what, struct mv_dom_def *def)
{
    _cleanup_free_ char *msg = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_assign(def, &code, &msg) == 0, "%s: assign failed: %s", what, msg ? msg : "?");
}

static char *format_live(const struct mv_dom_def *def)
{
    struct mv_dom_live_info live = { .id = 3 };
    char *xml = NULL;

    ck_assert_int_eq(mv_dom_def_format(def, &live, 0, &xml), 0);
    return xml;
}

/* The command line, one argument a line. */
static char *argv_text(const char *what, const struct mv_dom_def *def)
{
    static const int fds[NET_FDS] = { 40, 41, 42, 43, 44, 45, 46, 47 };
    struct mv_qemu_cmd_ctx ctx = { .emulator = "/usr/bin/qemu-system-x86_64", .monitor_path = "/run/m.sock",
                                   .net_fds = fds, .nnet_fds = NET_FDS };
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *msg = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    int code = 0;

    ck_assert_msg(mv_qemu_build_argv(def, &ctx, &argv, &code, &msg) == 0, "%s: refused: %s", what,
                  msg ? msg : "?");
    f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    for (char **a = argv; *a; a++)
        fprintf(f, "%s\n", *a);
    fclose(f);
    return text;
}

/* The ports the daemon would choose for autoport displays, VNC and SPICE
 * alike (display_ports.c): the command line takes them as given. */
static void choose_ports(struct mv_dom_def *live)
{
    int next = 5900;

    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &live->devices.graphics[i];

        if (g->autoport && g->port <= 0)
            g->port = next++;
    }
}

/* A start of XML: the live XML it shows, and its command line. */
static char *start(const char *what, const char *xml, char **args)
{
    _cleanup_dom_def_ struct mv_dom_def *live = parse_ok(what, xml, 0);

    assign_ok(what, live);
    choose_ports(live);
    *args = argv_text(what, live);
    return format_live(live);
}

START_TEST(test_golden)
{
    const char *name = cases[_i];
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *args = NULL;
    _cleanup_free_ char *args_again = NULL;
    _cleanup_free_ char *live = start(name, input, &args);
    _cleanup_free_ char *again = NULL;
    xmlRelaxNGPtr schema = mv_test_schema_load("domain");      /* freed below */

    mv_test_golden(FIXTURES, name, ".out.xml", live);
    if (schema)
        ck_assert_msg(mv_test_schema_valid(schema, live), "%s: the live XML is not valid against domain.rng "
                      "(libxml2 says why above)", name);
    /* dumpxml -> define -> start */
    again = start(name, live, &args_again);
    ck_assert_msg(strcmp(live, again) == 0, "%s: the live XML defined again starts differently (written to %s)",
                  name, mv_test_write_actual(name, ".again.xml", again));
    ck_assert_msg(strcmp(args, args_again) == 0, "%s: the live XML defined again has another command line "
                  "(written to %s)", name, mv_test_write_actual(name, ".again.args", args_again));
    if (schema)
        xmlRelaxNGFree(schema);
}
END_TEST

/* A configuration keeps user aliases only; a status file keeps all. */
START_TEST(test_alias_inactive_rule)
{
    static const char xml[] =
        "<domain type='qemu'><name>a</name><memory>65536</memory><os><type>hvm</type></os><devices>"
        "<disk type='file'><source file='/a.img'/><target dev='vda'/><alias name='virtio-disk0'/></disk>"
        "<disk type='file'><source file='/b.img'/><target dev='vdb'/><alias name='ua-data'/></disk>"
        "</devices></domain>";
    _cleanup_dom_def_ struct mv_dom_def *config = parse_ok("config", xml, 0);
    _cleanup_dom_def_ struct mv_dom_def *status = parse_ok("status", xml, MV_DOM_PARSE_STATUS);

    ck_assert_ptr_null(config->devices.disks[0].alias);
    ck_assert_str_eq(config->devices.disks[1].alias, "ua-data");
    ck_assert_str_eq(status->devices.disks[0].alias, "virtio-disk0");
    assign_ok("config", config);
    ck_assert_str_eq(config->devices.disks[0].alias, "vda");
    ck_assert_str_eq(config->devices.disks[1].alias, "ua-data");
}
END_TEST

/* A user alias must be able to name a QEMU device. */
START_TEST(test_user_alias_refused)
{
    static const char *const bad[] = { "ua-", "ua-a b", "ua-a,b", "ua-x.y" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_free_ char *msg = NULL;
        struct mv_dom_def *def = NULL;
        int code = 0;

        ck_assert(asprintf(&xml, "<domain type='qemu'><name>a</name><memory>65536</memory><os><type>hvm</type>"
                           "</os><devices><rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                           "<alias name='%s'/></rng></devices></domain>", bad[i]) > 0);
        ck_assert_int_lt(mv_dom_def_parse(xml, 0, &def, &code, &msg), 0);
        ck_assert_int_eq(code, MV_ERR_XML_DETAIL);
        ck_assert_msg(strstr(msg, "alias") && strstr(msg, "name"), "%s: %s", bad[i], msg);
    }
}
END_TEST

/* Full root bus: the pass names the device that found no slot. */
START_TEST(test_no_slot_left)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    FILE *f;
    size_t len = 0;
    int code = 0;

    f = open_memstream(&xml, &len);
    ck_assert_ptr_nonnull(f);
    fputs("<domain type='qemu'><name>a</name><memory>65536</memory><os><type>hvm</type></os><devices>", f);
    for (int i = 0; i < 31; i++)
        fprintf(f, "<interface type='user'><model type='virtio'/></interface>");
    fputs("<memballoon model='none'/></devices></domain>", f);
    fclose(f);
    def = parse_ok("full", xml, 0);
    ck_assert_int_lt(mv_dom_assign(def, &code, &msg), 0);
    ck_assert_int_eq(code, MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_str_eq(msg, "unsupported configuration: interface 30: no free slot left on the root PCI bus");
}
END_TEST

/* Defined, a domain keeps its addresses (no aliases): a disk added later
 * takes a free slot and the interface stays where the guest knows it. */
START_TEST(test_define_keeps_slots)
{
    static const char xml[] =
        "<domain type='qemu'><name>a</name><memory>65536</memory><os><type>hvm</type></os><devices>"
        "<interface type='user'><mac address='52:54:00:00:00:09'/><model type='virtio'/></interface>"
        "</devices></domain>";
    static const char disk[] = "<disk type='file'><source file='/a.img'/><target dev='vda'/></disk>";
    _cleanup_dom_def_ struct mv_dom_def *def = parse_ok("define", xml, 0);
    _cleanup_dom_def_ struct mv_dom_def *edited = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *config = NULL;
    _cleanup_free_ char *added = NULL;
    const char *at;
    int code = 0;

    ck_assert_int_eq(mv_dom_assign_addresses(def, &code, &msg), 0);
    ck_assert_ptr_null(def->devices.nets[0].alias);
    ck_assert_int_eq(def->devices.nets[0].addr.type, MV_DOM_ADDR_PCI);
    ck_assert_uint_eq(def->devices.nets[0].addr.slot, 2);
    ck_assert_int_eq(mv_dom_def_format(def, NULL, 0, &config), 0);
    ck_assert_ptr_null(strstr(config, "<alias"));
    /* virt-xml --add-device: the disk comes first in the command line */
    at = strstr(config, "<interface");
    ck_assert_ptr_nonnull(at);
    ck_assert(asprintf(&added, "%.*s%s%s", (int)(at - config), config, disk, at) > 0);
    edited = parse_ok("edited", added, 0);
    assign_ok("edited", edited);
    ck_assert_uint_eq(edited->devices.nets[0].addr.slot, 2);
    ck_assert_uint_eq(edited->devices.disks[0].addr.slot, 4);     /* 3: the balloon defined with it */
}
END_TEST

static Suite *address_suite(void)
{
    Suite *s = suite_create("qemud_domain_address");
    TCase *tc = tcase_create("golden");

    tcase_add_loop_test(tc, test_golden, 0, (int)ncases);
    tcase_add_test(tc, test_alias_inactive_rule);
    tcase_add_test(tc, test_user_alias_refused);
    tcase_add_test(tc, test_no_slot_left);
    tcase_add_test(tc, test_define_keeps_slots);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    ncases = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_VALID, 3, &cases);
    sr = srunner_create(address_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(cases);
    return n ? 1 : 0;
}
