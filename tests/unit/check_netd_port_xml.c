/*
 * Network port XML (port_def.c): what qemud sends and netd answers, parsed
 * strictly and formatted back, the answers valid against libvirt's
 * networkport.rng.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "cleanup.h"
#include "port_def.h"

#define SCHEMA "/usr/share/libvirt/schemas/networkport.rng"

static const char full[] =
    "<networkport>\n"
    "  <uuid>5d3a2b5c-7e0b-4d4e-9a55-1f1f1f1f1f1f</uuid>\n"
    "  <owner>\n"
    "    <name>vm1</name>\n"
    "    <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
    "  </owner>\n"
    "  <mac address=\"52:54:00:12:34:56\"/>\n"
    "  <plug type=\"network\" bridge=\"virbr0\"/>\n"
    "</networkport>\n";

static struct mv_port_def *parse_ok(const char *xml)
{
    struct mv_port_def *def = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_msg(mv_port_def_parse(xml, &def, &msg) == 0, "parse failed: %s", msg);
    return def;
}

static void schema_check(const char *xml)
{
    xmlRelaxNGParserCtxtPtr pctxt;
    xmlRelaxNGPtr schema;
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlDocPtr doc;
    int r;

    if (access(SCHEMA, R_OK) != 0) {
        fprintf(stderr, "# %s missing, schema check skipped\n", SCHEMA);
        return;
    }
    pctxt = xmlRelaxNGNewParserCtxt(SCHEMA);
    schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    ck_assert_ptr_nonnull(schema);
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    doc = xmlReadMemory(xml, (int)strlen(xml), "port.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    r = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlRelaxNGFree(schema);
    ck_assert_msg(r == 0, "not valid against %s:\n%s", SCHEMA, xml);
}

START_TEST(test_roundtrip)
{
    _cleanup_port_def_ struct mv_port_def *def = parse_ok(full);
    _cleanup_free_ char *out = mv_port_def_format(def);

    ck_assert(def->has_uuid);
    ck_assert_str_eq(def->owner_name, "vm1");
    ck_assert_str_eq(def->mac, "52:54:00:12:34:56");
    ck_assert_int_eq(def->plug, MV_PORT_PLUG_NETWORK);
    ck_assert_str_eq(def->bridge, "virbr0");
    ck_assert_str_eq(out, full);
    schema_check(out);
}
END_TEST

/* qemud's request: no uuid, no plug; netd fills both in */
START_TEST(test_request_then_answer)
{
    static const char req[] = "<networkport><owner><uuid>C7A5FDBD-EDAF-9455-926A-D65C16DB1809</uuid>"
                              "<name>vm1</name></owner><mac address='52:54:00:AB:CD:EF'/></networkport>";
    _cleanup_port_def_ struct mv_port_def *def = parse_ok(req);
    _cleanup_free_ char *request = mv_port_def_format(def);
    _cleanup_free_ char *answer = NULL;

    ck_assert(!def->has_uuid);
    ck_assert_int_eq(def->plug, MV_PORT_PLUG_NONE);
    ck_assert_ptr_null(strstr(request, "<uuid>00000000"));
    ck_assert_ptr_null(strstr(request, "<plug"));
    ck_assert_ptr_nonnull(strstr(request, "52:54:00:ab:cd:ef"));
    ck_assert_int_eq(mv_uuid_generate(def->uuid), 0);
    def->has_uuid = true;
    def->plug = MV_PORT_PLUG_BRIDGE;
    def->bridge = strdup("br0");
    answer = mv_port_def_format(def);
    ck_assert_ptr_nonnull(strstr(answer, "<plug type=\"bridge\" bridge=\"br0\"/>"));
    schema_check(answer);
}
END_TEST

START_TEST(test_invalid)
{
    static const struct {
        const char *xml, *msg;
    } cases[] = {
        { "<networkport", "XML error in network port: line 1: " },
        { "<network/>", "XML error: expected <networkport> as the root element, not <network>" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='52:54:00:00:00:01'/><bandwidth/></networkport>",
          "unsupported configuration: unknown element <bandwidth> in network port of domain 'vm1'" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='52:54:00:00:00:01'/><plug type='direct' dev='eth0' mode='vepa'/></networkport>",
          "unsupported configuration: unknown attribute 'dev' of <plug> in network port of domain 'vm1'" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='52:54:00:00:00:01'/><plug type='direct'/></networkport>",
          "unsupported configuration: <plug type='direct'> is not supported (only network and bridge) in network "
          "port of domain 'vm1'" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='52:54:00:00:00:01'/><plug type='network' bridge='br/0'/></networkport>",
          "XML error: invalid interface name 'br/0' in <plug bridge=...> in network port of domain 'vm1'" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='01:00:5e:00:00:01'/></networkport>",
          "XML error: invalid value '01:00:5e:00:00:01' of <mac address=...> in network port of domain 'vm1'" },
        { "<networkport><owner><name>vm1</name></owner><mac address='52:54:00:00:00:01'/></networkport>",
          "XML error: missing <owner><uuid> in network port of domain 'vm1'" },
        { "<networkport><owner><name>../x</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "<mac address='52:54:00:00:00:01'/></networkport>",
          "XML error: invalid domain name '../x': names must not contain '/' in network port of domain '../x'" },
        { "<networkport><mac address='52:54:00:00:00:01'/></networkport>", "XML error: missing <owner>" },
        { "<networkport><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
          "</networkport>", "XML error: missing <mac> in network port of domain 'vm1'" },
        { "<networkport><uuid>x</uuid><owner><name>vm1</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
          "</owner><mac address='52:54:00:00:00:01'/></networkport>",
          "XML error: invalid value 'x' of <uuid> in network port of domain 'vm1'" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mv_port_def *def = (struct mv_port_def *)0x1;
        _cleanup_free_ char *msg = NULL;

        ck_assert_int_eq(mv_port_def_parse(cases[i].xml, &def, &msg), -EINVAL);
        ck_assert_ptr_eq(def, (struct mv_port_def *)0x1);
        ck_assert_ptr_nonnull(msg);
        ck_assert_msg(strncmp(msg, cases[i].msg, strlen(cases[i].msg)) == 0 &&
                      (i == 0 || strlen(msg) == strlen(cases[i].msg)),
                      "case %zu: expected\n  %s\ngot\n  %s", i, cases[i].msg, msg);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netd_port_xml");
    TCase *tc = tcase_create("port");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_request_then_answer);
    tcase_add_test(tc, test_invalid);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
