/*
 * Network XML parser and formatter against the golden files in
 * tests/networkxml: NAME.xml must format to NAME.out.xml and that output
 * must come back unchanged through another parse (idempotent);
 * NAME-invalid.xml must be refused with exactly the message in
 * NAME-invalid.err.  MV_REGENERATE=1 rewrites the expected files.  Schema
 * validation of the outputs is tests/unit/networkxml-validate.sh.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "network_def.h"
#include "file.h"
#include "golden.h"
#include "schema.h"
#include "testutil.h"

#define FIXTURES "networkxml"

/* Inputs found in tests/networkxml, without their .xml suffix. */
static char **golden_names;
static size_t ngolden;
static char **invalid_names;
static size_t ninvalid;

/* Parses TEXT, which must succeed, and formats it back. */
static char *roundtrip(const char *what, const char *text)
{
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    char *out;
    int r;

    r = mv_net_def_parse(text, &def, &msg);
    ck_assert_msg(r == 0, "%s: parse failed (%d): %s", what, r, msg ? msg : "(no message)");
    out = mv_net_def_format(def, 0);
    ck_assert_msg(out != NULL, "%s: format failed", what);
    return out;
}

START_TEST(test_golden)
{
    mv_test_golden_roundtrip(FIXTURES, golden_names[_i], roundtrip);
}
END_TEST

START_TEST(test_invalid)
{
    const char *name = invalid_names[_i];
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *line = NULL;
    struct mv_net_def *def = (struct mv_net_def *)0x1;
    int r;

    r = mv_net_def_parse(input, &def, &msg);
    ck_assert_msg(r == -EINVAL, "%s: parse returned %d, not -EINVAL", name, r);
    ck_assert_ptr_eq(def, (struct mv_net_def *)0x1);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strncmp(msg, "unsupported configuration: ", 27) == 0 || strncmp(msg, "XML error", 9) == 0,
                  "%s: message without a libvirt prefix: %s", name, msg);
    ck_assert(asprintf(&line, "%s\n", msg) > 0);
    mv_test_golden(FIXTURES, name, ".err", line);
}
END_TEST

/* ---- behaviour the golden files cannot show ---- */

static struct mv_net_def *parse_ok(const char *xml)
{
    struct mv_net_def *def = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_msg(mv_net_def_parse(xml, &def, &msg) == 0, "parse failed: %s", msg);
    return def;
}

START_TEST(test_generated_ids)
{
    static const char xml[] = "<network><name>n1</name><ip address='10.0.0.1' prefix='24'/></network>";
    static const char bridged[] = "<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>";
    _cleanup_net_def_ struct mv_net_def *a = parse_ok(xml);
    _cleanup_net_def_ struct mv_net_def *b = parse_ok(xml);
    _cleanup_net_def_ struct mv_net_def *c = parse_ok(bridged);
    _cleanup_free_ char *out = mv_net_def_format(a, 0);
    char uuid[MV_UUID_STRING_LEN];
    char mac[64];

    ck_assert(!mv_uuid_is_null(a->uuid));
    ck_assert_int_eq(a->uuid[6] >> 4, 4);                   /* version 4 */
    ck_assert_mem_ne(a->uuid, b->uuid, MV_UUID_LEN);
    ck_assert_ptr_nonnull(a->mac);
    ck_assert_int_eq(strncmp(a->mac, "52:54:00:", 9), 0);
    ck_assert_str_ne(a->mac, b->mac);
    /* a host bridge's MAC is not ours to set */
    ck_assert_ptr_null(c->mac);
    /* the bridge name is the driver's to pick */
    ck_assert_ptr_null(a->bridge.name);
    ck_assert_int_eq(a->forward.mode, MV_NET_FWD_NONE);
    /* both are written out, so the next parse keeps them */
    mv_uuid_format(a->uuid, uuid);
    ck_assert_ptr_nonnull(strstr(out, uuid));
    snprintf(mac, sizeof(mac), "<mac address=\"%s\"/>", a->mac);
    ck_assert_ptr_nonnull(strstr(out, mac));
}
END_TEST

START_TEST(test_struct_values)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "nat-full", ".xml");
    _cleanup_net_def_ struct mv_net_def *def = parse_ok(input);
    const struct mv_net_ip *v4, *v6;

    ck_assert_int_eq(def->forward.mode, MV_NET_FWD_NAT);
    ck_assert_str_eq(def->forward.dev, "eth0");
    ck_assert_uint_eq(def->forward.nat.port_start, 1024);
    ck_assert_uint_eq(def->forward.nat.port_end, 65535);
    ck_assert_str_eq(def->bridge.name, "virbr7");
    v4 = mv_net_def_ip(def, AF_INET);
    v6 = mv_net_def_ip(def, AF_INET6);
    ck_assert_ptr_nonnull(v4);
    ck_assert_ptr_nonnull(v6);
    ck_assert_uint_eq(v4->prefix, 24);
    ck_assert(v4->netmask_given);
    ck_assert_uint_eq(v6->prefix, 64);
    ck_assert(mv_net_def_wants_dnsmasq(def));
    ck_assert_uint_eq(v4->nranges, 1);
    ck_assert_int_eq(mv_net_lease_seconds(&v4->ranges[0].lease), 3600);
    ck_assert_str_eq(v4->hosts[0].mac, "52:54:00:aa:bb:01");   /* lower-cased */
}
END_TEST

START_TEST(test_defaults)
{
    static const char xml[] = "<network><name>d</name><forward/><ip address='172.16.3.1'/>"
                              "<ip address='fd00:1::1'/><dns/></network>";
    _cleanup_net_def_ struct mv_net_def *def = parse_ok(xml);
    _cleanup_free_ char *out = mv_net_def_format(def, 3);

    /* <forward/> is NAT; classful and /64 prefixes when none is given */
    ck_assert_int_eq(def->forward.mode, MV_NET_FWD_NAT);
    ck_assert_uint_eq(def->ips[0].prefix, 16);
    ck_assert_uint_eq(def->ips[1].prefix, 64);
    ck_assert_int_eq(def->bridge.stp, MV_NET_UNSET);
    ck_assert_ptr_nonnull(strstr(out, "<network connections=\"3\">"));
    ck_assert_ptr_nonnull(strstr(out, "<bridge stp=\"on\" delay=\"0\"/>"));
    ck_assert_ptr_null(strstr(out, "<dns"));
}
END_TEST

START_TEST(test_copy)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "nat-full", ".xml");
    _cleanup_net_def_ struct mv_net_def *def = parse_ok(input);
    _cleanup_net_def_ struct mv_net_def *copy = mv_net_def_copy(def);
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy->name, def->name);
    ck_assert_ptr_ne(copy->ips, def->ips);
    ck_assert_ptr_ne(copy->ips[1].hosts[0].mac, def->ips[1].hosts[0].mac);
    ck_assert_str_eq(copy->ips[1].hosts[0].mac, def->ips[1].hosts[0].mac);
    ck_assert_ptr_ne(copy->dns.hosts[0].hostnames[0], def->dns.hosts[0].hostnames[0]);
    a = mv_net_def_format(def, 0);
    b = mv_net_def_format(copy, 0);
    ck_assert_str_eq(a, b);
    /* the copy is independent */
    mv_net_def_free(TAKE_PTR(def));
    free(b);
    b = mv_net_def_format(copy, 0);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_errors_out_params)
{
    struct mv_net_def *def = (struct mv_net_def *)0x1;
    char *msg = NULL;

    ck_assert_int_eq(mv_net_def_parse("<network", &def, &msg), -EINVAL);
    ck_assert_ptr_eq(def, (struct mv_net_def *)0x1);
    ck_assert_ptr_nonnull(strstr(msg, "XML error"));
    free(msg);
    msg = NULL;
    ck_assert_int_eq(mv_net_def_parse("<domain><name>n</name></domain>", &def, &msg), -EINVAL);
    ck_assert_str_eq(msg, "XML error: expected <network> as the root element, not <domain>");
    free(msg);
}
END_TEST

/* Values one network cannot hold all at once, each formatted and checked
 * against libvirt's schema here; networkxml-validate.sh covers the golden
 * outputs. */
#define SCHEMA MV_TEST_SCHEMA_DIR "/network.rng"

static const char *const schema_cases[] = {
    "<network><name>a</name><forward mode='route'/><ip address='10.1.0.1' prefix='16'/></network>",
    "<network><name>a</name><forward mode='open'/><ip address='10.1.0.1' netmask='255.255.0.0'/></network>",
    "<network><name>a</name><forward mode='bridge'/><bridge name='br-lan'/></network>",
    "<network><name>a</name><bridge name='virbr9' stp='off' delay='5'/><mtu size='9000'/></network>",
    "<network><name>a</name><dns enable='no'/><ip address='10.2.0.1' prefix='24'><dhcp/></ip></network>",
    "<network><name>a</name><domain name='x.test' localOnly='no'/><ip family='ipv6' address='fd00::1' "
    "prefix='64' localPtr='yes'><dhcp><range start='fd00::10' end='fd00::ff'><lease expiry='0'/></range>"
    "<host id='00:03:00:01:52:54:00:00:00:20' name='h6' ip='fd00::20'/></dhcp></ip></network>",
};

START_TEST(test_schema_values)
{
    xmlRelaxNGPtr schema = mv_test_schema_load("network");

    if (!schema)
        return;
    for (size_t i = 0; i < MV_ARRAY_SIZE(schema_cases); i++) {
        _cleanup_net_def_ struct mv_net_def *def = parse_ok(schema_cases[i]);
        _cleanup_free_ char *out = mv_net_def_format(def, 0);

        ck_assert_ptr_nonnull(out);
        ck_assert_msg(mv_test_schema_valid(schema, out), "case %zu not valid against %s (libxml2 says why above):\n%s", i,
                      SCHEMA, out);
    }
    xmlRelaxNGFree(schema);
}
END_TEST

/* ---- fixture discovery ---- */

/* <network> with N static DHCP hosts on 10.0.0.0/8 (one more, a copy of
 * host DUP's MAC, if DUP >= 0) */
static char *many_hosts(size_t n, long dup)
{
    char *xml = malloc(n * 80 + 512), *p = xml;

    ck_assert_ptr_nonnull(xml);
    p += sprintf(p, "<network><name>n1</name><ip address='10.0.0.1' prefix='8'><dhcp>");
    for (size_t i = 256; i < n + 256; i++)
        p += sprintf(p, "<host mac='52:54:00:%02zx:%02zx:%02zx' name='h%zu' ip='10.%zu.%zu.%zu'/>", (i >> 16) & 255,
                     (i >> 8) & 255, i & 255, i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    if (dup >= 0)
        p += sprintf(p, "<host mac='52:54:00:%02lx:%02lx:%02lx' ip='10.200.0.1'/>", ((dup + 256) >> 16) & 255,
                     ((dup + 256) >> 8) & 255, (dup + 256) & 255);
    stpcpy(p, "</dhcp></ip></network>");
    return xml;
}

/* AddressSanitizer's realloc always copies: the host list, grown by one
 * for each host, then costs time quadratic in their number */
#ifdef __SANITIZE_ADDRESS__
#define MANY_HOSTS 6000
#else
#define MANY_HOSTS 60000
#endif

START_TEST(test_many_hosts)
{
    _cleanup_free_ char *xml = many_hosts(MANY_HOSTS, -1), *dup = many_hosts(MANY_HOSTS, MANY_HOSTS - 1000);
    _cleanup_free_ char *msg = NULL;
    struct mv_net_def *def = NULL;

    /* each host is checked against the others through an index, not a scan
     * (60000 took over 20 s with the scan): bench/ measures that, this the
     * answers at that size */
    def = parse_ok(xml);
    ck_assert_uint_eq(def->ips[0].nhosts, MANY_HOSTS);
    mv_net_def_free(def);
    def = NULL;
    ck_assert_int_eq(mv_net_def_parse(dup, &def, &msg), -EINVAL);
    ck_assert_str_eq(msg, MANY_HOSTS == 60000
                              ? "XML error: there is already a DHCP host with mac '52:54:00:00:e7:78' in network 'n1'"
                              : "XML error: there is already a DHCP host with mac '52:54:00:00:14:88' in network 'n1'");
}
END_TEST

/* <network> with N <ip> elements, 10.0.K.1/24 each */
static char *many_ips(size_t n)
{
    char *xml = malloc(n * 48 + 128), *p = xml;

    ck_assert_ptr_nonnull(xml);
    p += sprintf(p, "<network><name>n1</name>");
    for (size_t i = 1; i <= n; i++)
        p += sprintf(p, "<ip address='10.%zu.%zu.1' prefix='24'/>", i >> 8, i & 255);
    stpcpy(p, "</network>");
    return xml;
}

START_TEST(test_many_ips)
{
    _cleanup_free_ char *ok = many_ips(256), *flood = many_ips(30000);
    _cleanup_free_ char *msg = NULL;
    struct mv_net_def *def = parse_ok(ok);

    ck_assert_uint_eq(def->nips, 256);
    mv_net_def_free(def);
    def = NULL;
    /* refused by count before every pair of subnets is compared (30000
     * took 17 s) */
    ck_assert_int_eq(mv_net_def_parse(flood, &def, &msg), -EINVAL);
    ck_assert_str_eq(msg, "XML error: more than 256 <ip> elements in network 'n1'");
}
END_TEST

static Suite *networkxml_suite(void)
{
    Suite *s = suite_create("netd_networkxml");
    TCase *tc = tcase_create("golden");

    tcase_add_loop_test(tc, test_golden, 0, (int)ngolden);
    tcase_add_loop_test(tc, test_invalid, 0, (int)ninvalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_test(tc, test_generated_ids);
    tcase_add_test(tc, test_struct_values);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_errors_out_params);
    tcase_add_test(tc, test_schema_values);
    tcase_add_test(tc, test_many_hosts);
    tcase_add_test(tc, test_many_ips);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    /* a lost fixture directory must not pass as "nothing to test" */
    ngolden = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_VALID, 10, &golden_names);
    ninvalid = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_INVALID, 25, &invalid_names);
    sr = srunner_create(networkxml_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(golden_names);
    mv_test_golden_inputs_free(invalid_names);
    return n ? 1 : 0;
}
