/*
 * The host capabilities and sysinfo XML validated against libvirt's own
 * RelaxNG schemas (libvirt-clients installs them): the fixture hosts, and
 * this very host with its real QEMU and KVM probes.  Without the schemas the
 * whole program is a TAP skip.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "cleanup.h"
#include "testutil.h"
#include "host_capabilities.h"
#include "host_node.h"
#include "sysfs.h"
#include "host_sysinfo.h"
#include "kvm_probe.h"
#include "qemu_probe.h"

#define SCHEMA_DIR "/usr/share/libvirt/schemas"
#define REAL_QEMU "/usr/bin/qemu-system-x86_64"

static char *data_path(const char *name)
{
    return mv_test_data_path("host", name);
}

static char *data_text(const char *name)
{
    _cleanup_free_ char *path = data_path(name);
    char *text = NULL;

    ck_assert_int_eq(mv_sysfs_read(NULL, path, &text), 0);
    return text;
}

/* 0 if XML is valid, else the libxml2 validation result; libxml2 prints why on stderr. */
static int validate_r(xmlRelaxNGParserCtxtPtr pctxt, const char *xml, const char *what)
{
    xmlRelaxNGPtr schema;
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlDocPtr doc;
    int r;

    ck_assert_ptr_nonnull(pctxt);
    schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    ck_assert_msg(schema != NULL, "libvirt schema does not compile");
    doc = xmlReadMemory(xml, (int)strlen(xml), what, NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "%s is not well-formed XML", what);
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    r = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlFreeDoc(doc);
    xmlRelaxNGFree(schema);
    return r;
}

static void validate(xmlRelaxNGParserCtxtPtr pctxt, const char *xml, const char *what)
{
    ck_assert_msg(validate_r(pctxt, xml, what) == 0,
                  "%s does not validate against libvirt's schema:\n%s", what, xml);
}

static void validate_capabilities(const char *xml, const char *what)
{
    validate(xmlRelaxNGNewParserCtxt(SCHEMA_DIR "/capability.rng"), xml, what);
}

/* libvirt has no schema of its own for the host sysinfo: it is the domain's <sysinfo> grammar. */
static void validate_sysinfo(const char *xml, const char *what)
{
    static const char wrapper[] =
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0'>"
        "<include href='" SCHEMA_DIR "/domaincommon.rng'/>"
        "<start><ref name='sysinfo'/></start>"
        "</grammar>";

    validate(xmlRelaxNGNewMemParserCtxt(wrapper, (int)strlen(wrapper)), xml, what);
}

static void fixed_qemu_caps(struct mv_qemu_caps *caps)
{
    _cleanup_free_ char *version = data_text("qemu-7.2-version.txt");
    _cleanup_free_ char *machines = data_text("qemu-7.2-machine-help.txt");
    _cleanup_free_ char *qmp = data_text("qemu-7.2-qmp-query-machines.txt");

    ck_assert_int_eq(mv_qemu_parse_version(version, &caps->version), 0);
    ck_assert_int_eq(mv_qemu_parse_machines(machines, caps), 0);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(qmp, caps), 0);
    caps->binary = strdup(REAL_QEMU);
    caps->max_cpus_default = MV_QEMU_MAX_CPUS_DEFAULT;
}

static void check_fixture(const char *tree, bool kvm, const char *uuid)
{
    _cleanup_free_ char *root = data_path(tree);
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu = { 0 };
    _cleanup_free_ char *xml = NULL;
    struct mv_node_info node;
    struct mv_host_caps_input in = { .node = &node, .qemu = &qemu, .kvm_usable = kvm,
                                     .host_uuid = uuid, .sysroot = root };

    fixed_qemu_caps(&qemu);
    ck_assert_int_eq(mv_node_get_info(root, &node), 0);
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), 0);
    validate_capabilities(xml, tree);
}

START_TEST(test_schema_numa)
{
    check_fixture("numa2", true, "4c4c4544-0051-3010-8057-b7c04f4e3732");
}
END_TEST

START_TEST(test_schema_flat)
{
    check_fixture("simple", false, NULL);
}
END_TEST

START_TEST(test_schema_golden_files)
{
    _cleanup_free_ char *a = data_text("numa2-capabilities.xml");
    _cleanup_free_ char *b = data_text("simple-capabilities.xml");
    _cleanup_free_ char *c = data_text("numa2-sysinfo.xml");

    validate_capabilities(a, "numa2-capabilities.xml");
    validate_capabilities(b, "simple-capabilities.xml");
    validate_sysinfo(c, "numa2-sysinfo.xml");
}
END_TEST

/* the validation itself has teeth: libvirt wants die_id with socket_id */
START_TEST(test_schema_rejects)
{
    static const char bad[] =
        "<capabilities><host><cpu><arch>x86_64</arch></cpu><topology><cells num='1'>"
        "<cell id='0'><cpus num='1'><cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus>"
        "</cell></cells></topology></host></capabilities>";

    ck_assert_int_ne(validate_r(xmlRelaxNGNewParserCtxt(SCHEMA_DIR "/capability.rng"), bad, "bad"), 0);
}
END_TEST

/* This host, probed for real, as modvirt-qemud will report it. */
START_TEST(test_schema_this_host)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu = { 0 };
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *reason = NULL;
    _cleanup_free_ char *xml = NULL;
    struct mv_node_info node;
    struct mv_host_caps_input in = { .node = &node, .host_uuid = "00000000-0000-4000-8000-000000000001" };

    ck_assert_int_eq(mv_node_get_info(NULL, &node), 0);
    if (access(REAL_QEMU, X_OK) == 0) {
        ck_assert_msg(mv_qemu_probe(REAL_QEMU, &qemu, &err) == 0, "%s", err);
        in.qemu = &qemu;
    }
    in.kvm_usable = mv_kvm_probe(NULL, &reason) == 1;
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), 0);
    validate_capabilities(xml, "this host");
}
END_TEST

START_TEST(test_schema_sysinfo_fixture)
{
    _cleanup_free_ char *root = data_path("numa2");
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_host_sysinfo_format(root, &xml, &err), 0);
    validate_sysinfo(xml, "numa2 sysinfo");
}
END_TEST

int main(void)
{
    SRunner *sr;
    Suite *s;
    TCase *tc;
    int n;

    if (access(SCHEMA_DIR "/capability.rng", R_OK) < 0 ||
        access(SCHEMA_DIR "/domaincommon.rng", R_OK) < 0) {
        printf("1..0 # SKIP libvirt's RelaxNG schemas are not in " SCHEMA_DIR
               " (Debian package libvirt-clients; tools/install-deps installs it)\n");
        return 0;
    }
    s = suite_create("qemud_caps_schema");
    tc = tcase_create("schema");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema_numa);
    tcase_add_test(tc, test_schema_flat);
    tcase_add_test(tc, test_schema_golden_files);
    tcase_add_test(tc, test_schema_rejects);
    tcase_add_test(tc, test_schema_this_host);
    tcase_add_test(tc, test_schema_sysinfo_fixture);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
