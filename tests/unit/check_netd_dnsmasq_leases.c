/*
 * dnsmasq's lease file as mv_dnsmasq_leases() reports it: IPv4 and IPv6
 * leases, expired ones left out, the MAC filter, prefixes from the
 * network's <ip>s, and garbage of every kind skipped without harm
 * (tests/data/dnsmasq-leases).  The integration test check_netd_dnsmasq
 * reads files a real dnsmasq wrote.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "file.h"
#include "testutil.h"

static char tmpdir[64];

/* network NAME with 192.168.140.1/24 and fd00:140::1/64 */
static struct mv_net_def *dual_def(const char *name)
{
    struct mv_net_def *d = calloc(1, sizeof(*d));

    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(d->name = strdup(name));
    ck_assert_ptr_nonnull(d->ips = calloc(2, sizeof(*d->ips)));
    d->nips = 2;
    ck_assert_int_eq(mv_inet_parse("192.168.140.1", &d->ips[0].address), 0);
    d->ips[0].prefix = 24;
    ck_assert_int_eq(mv_inet_parse("fd00:140::1", &d->ips[1].address), 0);
    d->ips[1].prefix = 64;
    return d;
}

/* Copies tests/data/dnsmasq-leases/FILE to TMPDIR/NAME.leases. */
static void install(const char *file, const char *name)
{
    _cleanup_free_ char *src = mv_test_data_path("dnsmasq-leases", file);
    _cleanup_free_ char *dst = NULL, *text = NULL;
    size_t len;

    ck_assert_int_eq(mv_file_read_all(src, 1 << 20, &text, &len), 0);
    ck_assert(asprintf(&dst, "%s/%s.leases", tmpdir, name) > 0);
    ck_assert_int_eq(mv_file_write_atomic(dst, text, len, 0644), 0);
}

static void setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "mv-leases");
}

static void teardown(void)
{
    mv_test_rmtree(tmpdir);
}

static struct mv_dnsmasq_paths paths(void)
{
    return (struct mv_dnsmasq_paths){ .dir = tmpdir, .user = "nobody", .binary = "/usr/sbin/dnsmasq" };
}

static const char *str(const char *s)
{
    return s ? s : "(null)";
}

START_TEST(test_dual)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("dual");
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l = NULL;
    size_t n = 0;

    install("dual.leases", "dual");
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, NULL, &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(l[0].expiry, 4000000000LL);
    ck_assert_int_eq(l[0].type, 0);
    ck_assert_str_eq(l[0].mac, "52:54:00:aa:bb:01");
    ck_assert_ptr_null(l[0].iaid);
    ck_assert_str_eq(l[0].ip, "192.168.140.10");
    ck_assert_uint_eq(l[0].prefix, 24);
    ck_assert_str_eq(l[0].hostname, "guest1");
    ck_assert_str_eq(l[0].clientid, "01:52:54:00:aa:bb:01");
    /* expiry 0 is infinite; "*" is unknown */
    ck_assert_int_eq(l[1].expiry, 0);
    ck_assert_ptr_null(l[1].hostname);
    ck_assert_ptr_null(l[1].clientid);
    /* the expired .12 is gone; an address outside every <ip> has no prefix */
    ck_assert_str_eq(l[2].ip, "10.99.0.5");
    ck_assert_uint_eq(l[2].prefix, 0);
    ck_assert_int_eq(l[3].type, 1);
    /* the MAC inside a DUID-LLT */
    ck_assert_str_eq(l[3].mac, "52:54:00:aa:bb:cc");
    ck_assert_str_eq(l[3].iaid, "1234567");
    ck_assert_str_eq(l[3].ip, "fd00:140::150");
    ck_assert_uint_eq(l[3].prefix, 64);
    ck_assert_str_eq(l[3].hostname, "guest6");
    ck_assert_str_eq(l[3].clientid, "00:01:00:01:2a:3b:4c:5d:52:54:00:aa:bb:cc");
    /* a temporary address's IAID loses its 'T' */
    ck_assert_str_eq(l[4].iaid, "7");
    ck_assert_ptr_null(l[4].hostname);
    /* ... and inside a DUID-LL */
    ck_assert_str_eq(l[4].mac, "52:54:00:aa:bb:dd");
    mv_dnsmasq_leases_free(l, n);
}
END_TEST

START_TEST(test_mac_filter)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("dual");
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l = NULL;
    size_t n = 0;

    install("dual.leases", "dual");
    /* case does not matter, either side */
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, "52:54:00:aa:bb:04", &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].ip, "10.99.0.5");
    mv_dnsmasq_leases_free(l, n);
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, "52:54:00:AA:BB:01", &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].hostname, "guest1");
    mv_dnsmasq_leases_free(l, n);
    /* IPv6 leases by the MAC in their DUID */
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, "52:54:00:aa:bb:dd", &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(l[0].ip, "fd00:140::151");
    mv_dnsmasq_leases_free(l, n);
    /* an expired lease stays out even when asked for by MAC */
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, "52:54:00:aa:bb:03", &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 0);
    mv_dnsmasq_leases_free(l, n);
}
END_TEST

START_TEST(test_garbage)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("junk");
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l = NULL;
    size_t n = 0;
    static const char *const want[] = { "ok1", "spaces", "ok2", "ok3", "unreached", "ok6",
                                        "duidodd", "duidlong", "duidtype2", "duidbadhex" };

    install("garbage.leases", "junk");
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, NULL, &l, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(i < MV_ARRAY_SIZE(want) && strcmp(str(l[i].hostname), want[i]) == 0,
                      "lease %zu is %s", i, str(l[i].hostname));
    ck_assert_uint_eq(n, MV_ARRAY_SIZE(want));
    ck_assert_int_eq(l[5].type, 1);
    ck_assert_str_eq(l[5].iaid, "12");
    /* DUIDs without an Ethernet address in them: leases without a MAC */
    for (size_t i = 5; i < n; i++)
        ck_assert_ptr_null(l[i].mac);
    mv_dnsmasq_leases_free(l, n);
}
END_TEST

/* Random bytes, and random edits of a good file, never crash the parser
 * (the sanitizer run makes this a memory check too). */
START_TEST(test_random)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("rnd");
    _cleanup_free_ char *src = mv_test_data_path("dnsmasq-leases", "dual.leases");
    _cleanup_free_ char *good = NULL, *dst = NULL;
    struct mv_dnsmasq_paths p = paths();
    size_t glen;
    unsigned int seed = 8;

    ck_assert_int_eq(mv_file_read_all(src, 1 << 20, &good, &glen), 0);
    ck_assert(asprintf(&dst, "%s/rnd.leases", tmpdir) > 0);
    for (int round = 0; round < 300; round++) {
        char buf[2048];
        size_t len = round % 2 ? glen : (size_t)rand_r(&seed) % sizeof(buf);
        struct mv_dnsmasq_lease *l = NULL;
        size_t n = 0;

        if (round % 2) {
            memcpy(buf, good, glen);
            for (int k = 0; k < 4; k++)
                buf[rand_r(&seed) % glen] = (char)(" \n:*0T\0xf"[rand_r(&seed) % 9]);
        } else {
            for (size_t k = 0; k < len; k++)
                buf[k] = (char)rand_r(&seed);
        }
        ck_assert_int_eq(mv_file_write_atomic(dst, buf, len, 0644), 0);
        ck_assert_int_eq(mv_dnsmasq_leases(def, &p, round % 3 ? NULL : "52:54:00:aa:bb:01",
                                           &l, &n, NULL), 0);
        for (size_t i = 0; i < n; i++)
            ck_assert_ptr_nonnull(l[i].ip);
        mv_dnsmasq_leases_free(l, n);
    }
}
END_TEST

START_TEST(test_missing_and_unreadable)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("none");
    _cleanup_free_ char *dir = NULL, *err = NULL;
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l = (void *)1;
    size_t n = 99;

    /* no file yet: no leases */
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, NULL, &l, &n, NULL), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(l);
    /* something that cannot be read: an error naming the network and file */
    ck_assert(asprintf(&dir, "%s/none.leases", tmpdir) > 0);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, NULL, &l, &n, &err), -EISDIR);
    ck_assert_msg(strstr(err, "cannot read the leases of network 'none' from ") &&
                  strstr(err, "none.leases: Is a directory"), "%s", err);
}
END_TEST

START_TEST(test_too_big)
{
    _cleanup_net_def_ struct mv_net_def *def = dual_def("big");
    _cleanup_free_ char *path = NULL, *err = NULL;
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l = NULL;
    size_t n = 0;
    FILE *f;

    ck_assert(asprintf(&path, "%s/big.leases", tmpdir) > 0);
    ck_assert_ptr_nonnull(f = fopen(path, "we"));
    for (int i = 0; i < 100000; i++)
        fprintf(f, "4000000000 52:54:00:aa:%02x:%02x 192.168.140.10 h%d *\n", i >> 8 & 255,
                i & 255, i);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(mv_dnsmasq_leases(def, &p, NULL, &l, &n, &err), -EFBIG);
    ck_assert_ptr_nonnull(strstr(err, "network 'big'"));
}
END_TEST

static Suite *leases_suite(void)
{
    Suite *s = suite_create("netd_dnsmasq_leases");
    TCase *tc = tcase_create("leases");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dual);
    tcase_add_test(tc, test_mac_filter);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_random);
    tcase_add_test(tc, test_missing_and_unreadable);
    tcase_add_test(tc, test_too_big);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(leases_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
