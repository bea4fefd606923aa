/*
 * mv_net_def_update(): NETWORK_UPDATE's dhcp host and dns host sections on
 * a parsed definition, the result checked through the formatter (what
 * net-dumpxml would show) and the original left untouched.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "network_def.h"

static const char base_xml[] =
    "<network><name>n1</name><uuid>11111111-2222-4333-8444-555555555555</uuid>"
    "<mac address='52:54:00:00:00:01'/>"
    "<dns><host ip='192.168.1.5'><hostname>db</hostname><hostname>db.lan</hostname></host></dns>"
    "<ip address='192.168.1.1' prefix='24'><dhcp><range start='192.168.1.100' end='192.168.1.199'/>"
    "<host mac='52:54:00:00:00:10' name='web' ip='192.168.1.10'/></dhcp></ip>"
    "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp>"
    "<host id='00:03:00:01:52:54:00:00:00:20' name='web6' ip='fd00::20'/></dhcp></ip>"
    "</network>";

static struct mv_net_def *base;
static char *base_out;

static void setup(void)
{
    _cleanup_free_ char *msg = NULL;

    ck_assert_msg(mv_net_def_parse(base_xml, &base, &msg) == 0, "%s", msg);
    base_out = mv_net_def_format(base, 0);
    ck_assert_ptr_nonnull(base_out);
}

static void teardown(void)
{
    /* every update leaves the definition it started from alone */
    _cleanup_free_ char *now = mv_net_def_format(base, 0);

    ck_assert_str_eq(now, base_out);
    mv_net_def_free(base);
    free(base_out);
}

/* Applies the update, which must succeed, and returns the new XML. */
static char *update_ok(unsigned int cmd, unsigned int section, int parent, const char *xml)
{
    _cleanup_net_def_ struct mv_net_def *out = NULL;
    _cleanup_free_ char *msg = NULL;
    int r = mv_net_def_update(base, cmd, section, parent, xml, &out, &msg);

    ck_assert_msg(r == 0, "update failed (%d): %s", r, msg ? msg : "(no message)");
    return mv_net_def_format(out, 0);
}

/* Applies the update, which must fail with ERR and the message WANT. */
static void update_err(unsigned int cmd, unsigned int section, int parent, const char *xml, int err,
                       const char *want)
{
    struct mv_net_def *out = (struct mv_net_def *)0x1;
    _cleanup_free_ char *msg = NULL;
    int r = mv_net_def_update(base, cmd, section, parent, xml, &out, &msg);

    ck_assert_int_eq(r, err);
    ck_assert_ptr_eq(out, (struct mv_net_def *)0x1);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(msg, want);
}

/* Position of NEEDLE in HAY, failing if absent. */
static size_t at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);

    ck_assert_msg(p != NULL, "'%s' not in\n%s", needle, hay);
    return (size_t)(p - hay);
}

#define DHCP MV_NET_SECTION_IP_DHCP_HOST
#define DNS MV_NET_SECTION_DNS_HOST

START_TEST(test_dhcp_add)
{
    _cleanup_free_ char *last = update_ok(MV_NET_UPDATE_ADD_LAST, DHCP, -1,
                                          "<host mac='52:54:00:00:00:AA' name='new' ip='192.168.1.11'/>");
    _cleanup_free_ char *first = update_ok(MV_NET_UPDATE_ADD_FIRST, DHCP, 0,
                                           "<host mac='52:54:00:00:00:ab' ip='192.168.1.12'/>");

    ck_assert_uint_gt(at(last, "<host mac=\"52:54:00:00:00:aa\" name=\"new\" ip=\"192.168.1.11\"/>"),
                      at(last, "name=\"web\""));
    ck_assert_uint_lt(at(first, "<host mac=\"52:54:00:00:00:ab\" ip=\"192.168.1.12\"/>"),
                      at(first, "name=\"web\""));
}
END_TEST

START_TEST(test_dhcp_add_duplicates)
{
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host mac='52:54:00:00:00:10' ip='192.168.1.50'/>", -EEXIST,
               "Requested operation is not valid: there is already a DHCP host with mac '52:54:00:00:00:10' in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host mac='52:54:00:00:00:11' ip='192.168.1.10'/>", -EEXIST,
               "Requested operation is not valid: there is already a DHCP host with ip '192.168.1.10' in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_FIRST, DHCP, -1, "<host mac='52:54:00:00:00:11' name='WEB' ip='192.168.1.51'/>",
               -EEXIST, "Requested operation is not valid: there is already a DHCP host with name 'WEB' in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host mac='52:54:00:00:00:11' ip='10.0.0.1'/>", -EINVAL,
               "XML error: static DHCP host IP 10.0.0.1 is not within network 192.168.1.1/24 in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host mac='52:54:00:00:00:11'/>", -EINVAL,
               "XML error: missing attribute 'ip' of <host> in network 'n1'");
}
END_TEST

START_TEST(test_dhcp_modify)
{
    _cleanup_free_ char *out = update_ok(MV_NET_UPDATE_MODIFY, DHCP, -1,
                                         "<host mac='52:54:00:00:00:10' name='web' ip='192.168.1.20'/>");

    at(out, "<host mac=\"52:54:00:00:00:10\" name=\"web\" ip=\"192.168.1.20\"/>");
    ck_assert_ptr_null(strstr(out, "ip=\"192.168.1.10\""));
    update_err(MV_NET_UPDATE_MODIFY, DHCP, -1, "<host mac='52:54:00:00:00:99' ip='192.168.1.20'/>", -ENOENT,
               "Requested operation is not valid: couldn't locate an existing dhcp host entry with mac "
               "'52:54:00:00:00:99' in network 'n1'");
}
END_TEST

START_TEST(test_dhcp_modify_clash)
{
    static const char add[] = "<host mac='52:54:00:00:00:11' name='other' ip='192.168.1.11'/>";
    _cleanup_net_def_ struct mv_net_def *two = NULL;
    _cleanup_net_def_ struct mv_net_def *out = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_net_def_update(base, MV_NET_UPDATE_ADD_LAST, DHCP, -1, add, &two, &msg), 0);
    /* modifying web onto other's address is refused */
    ck_assert_int_eq(mv_net_def_update(two, MV_NET_UPDATE_MODIFY, DHCP, -1,
                                       "<host mac='52:54:00:00:00:10' ip='192.168.1.11'/>", &out, &msg), -EEXIST);
    ck_assert_str_eq(msg, "Requested operation is not valid: there is already a DHCP host with ip '192.168.1.11' in network 'n1'");
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_dhcp_delete)
{
    _cleanup_free_ char *by_mac = update_ok(MV_NET_UPDATE_DELETE, DHCP, -1, "<host mac='52:54:00:00:00:10'/>");
    _cleanup_free_ char *by_name = update_ok(MV_NET_UPDATE_DELETE, DHCP, -1, "<host name='web'/>");

    ck_assert_ptr_null(strstr(by_mac, "name=\"web\""));
    ck_assert_ptr_null(strstr(by_name, "name=\"web\""));
    /* the range and the <dhcp> stay */
    at(by_mac, "<range start=\"192.168.1.100\"");
    /* every attribute given must match */
    update_err(MV_NET_UPDATE_DELETE, DHCP, -1, "<host mac='52:54:00:00:00:10' ip='192.168.1.99'/>", -ENOENT,
               "Requested operation is not valid: couldn't locate a matching dhcp host entry in network 'n1'");
}
END_TEST

START_TEST(test_dhcp_ipv6)
{
    _cleanup_free_ char *mod = update_ok(MV_NET_UPDATE_MODIFY, DHCP, 1,
                                         "<host id='00:03:00:01:52:54:00:00:00:20' name='web6' ip='fd00::21'/>");
    _cleanup_free_ char *del = update_ok(MV_NET_UPDATE_DELETE, DHCP, 1,
                                         "<host id='00:03:00:01:52:54:00:00:00:20'/>");

    at(mod, "ip=\"fd00::21\"");
    ck_assert_ptr_null(strstr(del, "web6"));
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, 1, "<host mac='52:54:00:00:00:11' ip='fd00::5'/>", -EINVAL,
               "XML error: <host mac=...> is for IPv4 hosts; an IPv6 host is matched by id= (its DUID) in "
               "network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, 2, "<host mac='52:54:00:00:00:11' ip='192.168.1.5'/>", -ENOENT,
               "Requested operation is not valid: couldn't update dhcp host entry - no <ip> element at index 2 "
               "in network 'n1'");
}
END_TEST

START_TEST(test_dhcp_first_ip_without_dhcp)
{
    static const char xml[] = "<network><name>n2</name><ip address='10.0.0.1' prefix='24'/></network>";
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    _cleanup_net_def_ struct mv_net_def *out = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *text = NULL;

    ck_assert_int_eq(mv_net_def_parse(xml, &def, &msg), 0);
    ck_assert_int_eq(mv_net_def_update(def, MV_NET_UPDATE_ADD_LAST, DHCP, -1,
                                       "<host mac='52:54:00:00:00:11' ip='10.0.0.5'/>", &out, &msg), 0);
    text = mv_net_def_format(out, 0);
    at(text, "<dhcp>\n      <host mac=\"52:54:00:00:00:11\" ip=\"10.0.0.5\"/>\n    </dhcp>");
    ck_assert(!def->ips[0].has_dhcp);
}
END_TEST

START_TEST(test_dns_host)
{
    _cleanup_free_ char *add = update_ok(MV_NET_UPDATE_ADD_FIRST, DNS, -1,
                                         "<host ip='192.168.1.6'><hostname>cache</hostname></host>");
    _cleanup_free_ char *del_ip = update_ok(MV_NET_UPDATE_DELETE, DNS, -1, "<host ip='192.168.1.5'/>");
    _cleanup_free_ char *del_name = update_ok(MV_NET_UPDATE_DELETE, DNS, -1,
                                              "<host><hostname>db.lan</hostname></host>");
    _cleanup_free_ char *mod = update_ok(MV_NET_UPDATE_MODIFY, DNS, -1,
                                         "<host ip='192.168.1.5'><hostname>pg</hostname></host>");

    ck_assert_uint_lt(at(add, "<hostname>cache</hostname>"), at(add, "<hostname>db</hostname>"));
    ck_assert_ptr_null(strstr(del_ip, "<dns>"));
    ck_assert_ptr_null(strstr(del_name, "db.lan"));
    at(mod, "<host ip=\"192.168.1.5\">\n      <hostname>pg</hostname>\n    </host>");
    ck_assert_ptr_null(strstr(mod, "db.lan"));
}
END_TEST

START_TEST(test_dns_host_errors)
{
    update_err(MV_NET_UPDATE_ADD_LAST, DNS, -1, "<host ip='192.168.1.5'><hostname>x</hostname></host>", -EEXIST,
               "Requested operation is not valid: there is already at least one DNS HOST record with a matching "
               "field in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DNS, -1, "<host ip='192.168.1.7'><hostname>DB</hostname></host>", -EEXIST,
               "Requested operation is not valid: there is already at least one DNS HOST record with a matching "
               "field in network 'n1'");
    update_err(MV_NET_UPDATE_DELETE, DNS, -1, "<host ip='192.168.1.99'/>", -ENOENT,
               "Requested operation is not valid: couldn't locate a matching DNS HOST record in network 'n1'");
    update_err(MV_NET_UPDATE_MODIFY, DNS, -1, "<host ip='192.168.1.99'><hostname>x</hostname></host>", -ENOENT,
               "Requested operation is not valid: couldn't locate a DNS HOST record with ip '192.168.1.99' in "
               "network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DNS, -1, "<host ip='192.168.1.8'/>", -EINVAL,
               "XML error: <dns><host> needs at least one <hostname> in network 'n1'");
    update_err(MV_NET_UPDATE_DELETE, DNS, -1, "<host/>", -EINVAL,
               "XML error: <host> needs ip= or a <hostname> in network 'n1'");
}
END_TEST

START_TEST(test_refusals)
{
    update_err(MV_NET_UPDATE_ADD_LAST, MV_NET_SECTION_DNS_TXT, -1, "<txt name='a' value='b'/>", -EOPNOTSUPP,
               "unsupported configuration: can't update 'dns-txt' section (only ip-dhcp-host and dns-host are "
               "supported) in network 'n1'");
    update_err(MV_NET_UPDATE_MODIFY, MV_NET_SECTION_BRIDGE, -1, "<bridge name='x'/>", -EOPNOTSUPP,
               "unsupported configuration: can't update 'bridge' section (only ip-dhcp-host and dns-host are "
               "supported) in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, 99, -1, "<host/>", -EINVAL,
               "invalid argument: unknown network update section 99 in network 'n1'");
    update_err(MV_NET_UPDATE_NONE, DHCP, -1, "<host/>", -EINVAL,
               "invalid argument: unknown network update command 0 in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<range start='192.168.1.2' end='192.168.1.3'/>", -EINVAL,
               "XML error: expected <host> as the root element, not <range> in network 'n1'");
    update_err(MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host mac='52:54:00:00:00:11' ip='192.168.1.5' foo='1'/>",
               -EINVAL, "unsupported configuration: unknown attribute 'foo' of <host> in network 'n1'");
}
END_TEST

START_TEST(test_broken_fragment)
{
    struct mv_net_def *out = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_net_def_update(base, MV_NET_UPDATE_ADD_LAST, DHCP, -1, "<host", &out, &msg), -EINVAL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(strncmp(msg, "XML error in network update: ", 29), 0);
}
END_TEST

START_TEST(test_bridge_mode)
{
    static const char xml[] = "<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>";
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    struct mv_net_def *out = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_net_def_parse(xml, &def, &msg), 0);
    ck_assert_int_eq(mv_net_def_update(def, MV_NET_UPDATE_ADD_LAST, DHCP, -1,
                                       "<host mac='52:54:00:00:00:11' ip='10.0.0.5'/>", &out, &msg), -ENOENT);
    ck_assert_str_eq(msg, "Requested operation is not valid: couldn't update dhcp host entry - no <ip> element "
                     "found in network 'b'");
    free(msg);
    msg = NULL;
    ck_assert_int_eq(mv_net_def_update(def, MV_NET_UPDATE_ADD_LAST, DNS, -1,
                                       "<host ip='10.0.0.5'><hostname>a</hostname></host>", &out, &msg),
                     -EOPNOTSUPP);
    ck_assert_ptr_nonnull(strstr(msg, "has no DNS server of ours"));
}
END_TEST

static Suite *update_suite(void)
{
    Suite *s = suite_create("netd_update");
    TCase *tc = tcase_create("update");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dhcp_add);
    tcase_add_test(tc, test_dhcp_add_duplicates);
    tcase_add_test(tc, test_dhcp_modify);
    tcase_add_test(tc, test_dhcp_modify_clash);
    tcase_add_test(tc, test_dhcp_delete);
    tcase_add_test(tc, test_dhcp_ipv6);
    tcase_add_test(tc, test_dhcp_first_ip_without_dhcp);
    tcase_add_test(tc, test_dns_host);
    tcase_add_test(tc, test_dns_host_errors);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_broken_fragment);
    tcase_add_test(tc, test_bridge_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(update_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
