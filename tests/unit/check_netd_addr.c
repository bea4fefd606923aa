/*
 * netd/net_addr.c: address parsing and printing, netmasks, comparisons and
 * subnet arithmetic for IPv4 and IPv6, at the edges (prefix 0 and the full
 * length, byte boundaries, ranges across 64-bit halves).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net_addr.h"
#include "net_mac.h"

static struct mv_inet ip(const char *s)
{
    struct mv_inet a;

    ck_assert_msg(mv_inet_parse(s, &a) == 0, "cannot parse %s", s);
    return a;
}

static const char *fmt(struct mv_inet a)
{
    static char buf[4][MV_INET_STRLEN];
    static int n;

    return mv_inet_format(&a, buf[n++ % 4]);
}

START_TEST(test_parse_format)
{
    static const struct {
        const char *in, *out;
        int family;
    } ok[] = {
        { "192.168.122.1", "192.168.122.1", AF_INET },
        { "0.0.0.0", "0.0.0.0", AF_INET },
        { "255.255.255.255", "255.255.255.255", AF_INET },
        { "FD00:0:0::1", "fd00::1", AF_INET6 },
        { "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", AF_INET6 },
        { "::", "::", AF_INET6 },
        { "::ffff:10.0.0.1", "::ffff:10.0.0.1", AF_INET6 },
    };
    static const char *const bad[] = {
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", "1.2.3.4/24", "fe80::1%eth0", "fd00::1::2",
        " 1.2.3.4", "1.2.3.4 ", "host.example", "0x7f.1.1.1",
    };
    struct mv_inet a;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        a = ip(ok[i].in);
        ck_assert_int_eq(a.family, ok[i].family);
        ck_assert_str_eq(fmt(a), ok[i].out);
        ck_assert(mv_inet_is_set(&a));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(mv_inet_parse(bad[i], &a) == -EINVAL, "'%s' was accepted", bad[i]);
        ck_assert(!mv_inet_is_set(&a));
    }
    ck_assert_int_eq(mv_inet_parse(NULL, &a), -EINVAL);
    /* an unset address prints as nothing */
    memset(&a, 0, sizeof(a));
    ck_assert_str_eq(fmt(a), "");
    ck_assert_uint_eq(mv_inet_max_prefix(&(struct mv_inet){ .family = AF_INET }), 32);
    ck_assert_uint_eq(mv_inet_max_prefix(&(struct mv_inet){ .family = AF_INET6 }), 128);
}
END_TEST

START_TEST(test_netmask)
{
    static const struct {
        const char *mask;
        int prefix;             /* -1: refused */
    } cases[] = {
        { "0.0.0.0", 0 }, { "128.0.0.0", 1 }, { "255.0.0.0", 8 }, { "255.255.128.0", 17 },
        { "255.255.255.0", 24 }, { "255.255.255.252", 30 }, { "255.255.255.254", 31 },
        { "255.255.255.255", 32 }, { "255.0.255.0", -1 }, { "0.255.255.255", -1 }, { "255.255.255.1", -1 },
        { "127.0.0.0", -1 }, { "ffff::", -1 }, { "255.255.255", -1 }, { "", -1 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned int p = 999;
        int r = mv_inet_netmask_to_prefix(cases[i].mask, &p);

        if (cases[i].prefix < 0) {
            ck_assert_msg(r == -EINVAL, "netmask '%s' accepted as /%u", cases[i].mask, p);
            ck_assert_uint_eq(p, 999);
        } else {
            ck_assert_msg(r == 0 && p == (unsigned int)cases[i].prefix, "netmask '%s': %d, /%u", cases[i].mask, r,
                          p);
        }
    }
}
END_TEST

START_TEST(test_compare)
{
    struct mv_inet a = ip("10.0.0.1"), b = ip("10.0.0.2"), c = ip("9.255.255.255"), d = ip("10.0.0.1");
    struct mv_inet e = ip("fd00::1"), f = ip("fd00::1:0");

    ck_assert_int_lt(mv_inet_compare(&a, &b), 0);
    ck_assert_int_gt(mv_inet_compare(&a, &c), 0);
    ck_assert_int_eq(mv_inet_compare(&a, &d), 0);
    ck_assert(mv_inet_equal(&a, &d));
    ck_assert(!mv_inet_equal(&a, &b));
    ck_assert_int_lt(mv_inet_compare(&e, &f), 0);
    /* families never compare equal */
    ck_assert(!mv_inet_equal(&a, &e));
    ck_assert_int_ne(mv_inet_compare(&a, &e), 0);
    ck_assert_int_eq(mv_inet_compare(&a, &e), -mv_inet_compare(&e, &a));
}
END_TEST

START_TEST(test_network_broadcast)
{
    struct mv_inet a = ip("192.168.122.77"), v6 = ip("2001:db8:1:2:3:4:5:6"), r;

    r = mv_inet_network(&a, 24);
    ck_assert_str_eq(fmt(r), "192.168.122.0");
    r = mv_inet_broadcast(&a, 24);
    ck_assert_str_eq(fmt(r), "192.168.122.255");
    r = mv_inet_network(&a, 0);
    ck_assert_str_eq(fmt(r), "0.0.0.0");
    r = mv_inet_broadcast(&a, 0);
    ck_assert_str_eq(fmt(r), "255.255.255.255");
    r = mv_inet_network(&a, 32);
    ck_assert_str_eq(fmt(r), "192.168.122.77");
    r = mv_inet_broadcast(&a, 32);
    ck_assert_str_eq(fmt(r), "192.168.122.77");
    r = mv_inet_network(&a, 20);
    ck_assert_str_eq(fmt(r), "192.168.112.0");
    r = mv_inet_broadcast(&a, 20);
    ck_assert_str_eq(fmt(r), "192.168.127.255");
    r = mv_inet_network(&a, 25);
    ck_assert_str_eq(fmt(r), "192.168.122.0");
    r = mv_inet_broadcast(&a, 27);
    ck_assert_str_eq(fmt(r), "192.168.122.95");
    r = mv_inet_network(&v6, 64);
    ck_assert_str_eq(fmt(r), "2001:db8:1:2::");
    r = mv_inet_network(&v6, 36);
    ck_assert_str_eq(fmt(r), "2001:db8::");
    r = mv_inet_network(&v6, 128);
    ck_assert_str_eq(fmt(r), "2001:db8:1:2:3:4:5:6");
    /* IPv6 has no broadcast: the network address stands in */
    r = mv_inet_broadcast(&v6, 64);
    ck_assert_str_eq(fmt(r), "2001:db8:1:2::");
}
END_TEST

START_TEST(test_subnets)
{
    struct mv_inet net = ip("10.1.2.1"), in = ip("10.1.2.254"), out = ip("10.1.3.0"), v6 = ip("fd00::1");
    struct mv_inet a = ip("10.0.0.0"), b = ip("10.1.0.0"), c = ip("10.2.0.0");

    ck_assert(mv_inet_in_subnet(&in, &net, 24));
    ck_assert(!mv_inet_in_subnet(&out, &net, 24));
    ck_assert(mv_inet_in_subnet(&out, &net, 23));
    ck_assert(mv_inet_in_subnet(&out, &net, 22));
    ck_assert(mv_inet_in_subnet(&out, &net, 0));
    ck_assert(!mv_inet_in_subnet(&v6, &net, 0));
    ck_assert(mv_inet_in_subnet(&net, &net, 32));
    ck_assert(!mv_inet_in_subnet(&in, &net, 32));
    /* 10.0.0.0/8 holds 10.1.0.0/16, which does not touch 10.2.0.0/16 */
    ck_assert(mv_inet_subnets_overlap(&a, 8, &b, 16));
    ck_assert(mv_inet_subnets_overlap(&b, 16, &a, 8));
    ck_assert(!mv_inet_subnets_overlap(&b, 16, &c, 16));
    ck_assert(mv_inet_subnets_overlap(&b, 14, &c, 16));
    ck_assert(!mv_inet_subnets_overlap(&a, 8, &v6, 8));
}
END_TEST

START_TEST(test_range_size)
{
    static const struct {
        const char *start, *end;
        unsigned long long n;
    } cases[] = {
        { "192.168.122.2", "192.168.122.254", 253 },
        { "10.0.0.1", "10.0.0.1", 1 },
        { "10.0.0.255", "10.0.1.0", 2 },                  /* borrow across a byte */
        { "0.0.0.0", "255.255.255.255", 4294967296ULL },
        { "10.0.0.2", "10.0.0.1", 0 },                    /* reversed */
        { "fd00::10", "fd00::ff", 240 },
        { "fd00::", "fd00::ffff:ffff:ffff:ffff", UINT64_MAX },
        { "fd00::", "fd00::ffff:ffff:ffff:fffe", UINT64_MAX },
        { "fd00::1", "fd00::ffff:ffff:ffff:ffff", UINT64_MAX },
        /* two addresses either side of a /64 boundary */
        { "fd00:0:0:0:ffff:ffff:ffff:ffff", "fd00:0:0:1::", 2 },
        { "fd00::", "fd00:0:0:1::", UINT64_MAX },
        { "fd00::", "fe00::", UINT64_MAX },
        { "10.0.0.1", "fd00::1", 0 },                     /* families differ */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mv_inet s = ip(cases[i].start), e = ip(cases[i].end);
        unsigned long long n = mv_inet_range_size(&s, &e);

        ck_assert_msg(n == cases[i].n, "%s - %s: %llu, expected %llu", cases[i].start, cases[i].end, n,
                      cases[i].n);
    }
}
END_TEST

START_TEST(test_mac)
{
    char mac[MV_MAC_STRLEN], other[MV_MAC_STRLEN];

    ck_assert_int_eq(mv_mac_normalize("52:54:00:AB:cd:EF", mac), 0);
    ck_assert_str_eq(mac, "52:54:00:ab:cd:ef");
    ck_assert(mv_mac_is_unicast(mac));
    ck_assert(!mv_mac_is_unicast("01:00:5e:00:00:01"));
    ck_assert(!mv_mac_is_unicast("ff:ff:ff:ff:ff:ff"));
    ck_assert(mv_mac_is_unicast("fe:ff:ff:ff:ff:ff"));
    ck_assert_int_eq(mv_mac_normalize("52:54:0:ab:cd:ef", mac), -EINVAL);
    ck_assert_int_eq(mv_mac_normalize("52-54-00-ab-cd-ef", mac), -EINVAL);
    ck_assert_int_eq(mv_mac_normalize("52:54:00:ab:cd:eg", mac), -EINVAL);
    ck_assert_int_eq(mv_mac_normalize("52:54:00:ab:cd:ef:", mac), -EINVAL);
    ck_assert_int_eq(mv_mac_normalize(NULL, mac), -EINVAL);
    ck_assert_int_eq(mv_mac_generate(mac), 0);
    ck_assert_int_eq(mv_mac_generate(other), 0);
    ck_assert_int_eq(strncmp(mac, "52:54:00:", 9), 0);
    ck_assert_int_eq(mv_mac_normalize(mac, other), 0);
    ck_assert_str_eq(mac, other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netd_addr");
    TCase *tc = tcase_create("addr");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_parse_format);
    tcase_add_test(tc, test_netmask);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_network_broadcast);
    tcase_add_test(tc, test_subnets);
    tcase_add_test(tc, test_range_size);
    tcase_add_test(tc, test_mac);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
