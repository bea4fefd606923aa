/*
 * A network's nftables rules as text (netd/firewall_rules.c).  Golden
 * files: tests/firewall/NAME.nft for each case below, NAME-invalid.err for
 * definitions that must be refused (the exact message); MV_REGENERATE=1
 * rewrites them.
 *
 * A golden file cannot tell whether the kernel takes what it holds, so as
 * root each valid case is also given to the real nft in a network namespace
 * of the test's own: checked (`nft -c`) on an empty ruleset, applied, then
 * checked and applied again over its own leftovers (the restart path), and
 * its removal text checked last.  Without root those checks are skipped.
 */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "firewall.h"
#include "netdef_build.h"

#define GOLDEN_MAX (1024 * 1024)

static bool root;

/* ---- the cases ---------------------------------------------------------- */

static struct mv_net_def *nat_default(void)
{
    struct mv_net_def *def = netdef_new("default", "virbr0", MV_NET_FWD_NAT);

    netdef_ip(def, "192.168.122.1", 24);
    return def;
}

/* snat to an address range and port range, leaving by eth0 only */
static struct mv_net_def *nat_dev_range(void)
{
    struct mv_net_def *def = netdef_new("natdev", "virbr1", MV_NET_FWD_NAT);

    netdef_dev(def, "eth0");
    netdef_nat(def, "10.0.0.5", "10.0.0.10", 2000, 3000);
    netdef_ip(def, "192.168.100.1", 24);
    return def;
}

static struct mv_net_def *nat_ports(void)
{
    struct mv_net_def *def = netdef_new("natports", "virbr2", MV_NET_FWD_NAT);

    netdef_nat(def, NULL, NULL, 40000, 50000);
    netdef_ip(def, "192.168.101.1", 24);
    return def;
}

static struct mv_net_def *nat_single_address(void)
{
    struct mv_net_def *def = netdef_new("natone", "virbr3", MV_NET_FWD_NAT);

    netdef_nat(def, "10.0.0.7", "10.0.0.7", 0, 0);
    netdef_ip(def, "192.168.102.1", 24);
    return def;
}

/* two IPv4 subnets masqueraded, the IPv6 one routed */
static struct mv_net_def *nat_ipv6(void)
{
    struct mv_net_def *def = netdef_new("nat6", "virbr4", MV_NET_FWD_NAT);

    netdef_ip(def, "192.168.124.1", 24);
    netdef_ip(def, "10.1.0.1", 16);
    netdef_ip(def, "fd00:1::1", 64);
    return def;
}

static struct mv_net_def *route_dev(void)
{
    struct mv_net_def *def = netdef_new("routed", "virbr5", MV_NET_FWD_ROUTE);

    netdef_dev(def, "eth1");
    netdef_ip(def, "10.20.0.1", 24);
    netdef_ip(def, "2001:db8:5::1", 64);
    return def;
}

static struct mv_net_def *route_any(void)
{
    struct mv_net_def *def = netdef_new("routeany", "br-route.1", MV_NET_FWD_ROUTE);

    netdef_ip(def, "10.21.0.1", 24);
    return def;
}

static struct mv_net_def *isolated(void)
{
    struct mv_net_def *def = netdef_new("isolated", "virbr6", MV_NET_FWD_NONE);

    netdef_ip(def, "192.168.130.1", 24);
    netdef_ip(def, "fd00:6::1", 64);
    return def;
}

static struct mv_net_def *open_mode(void)
{
    struct mv_net_def *def = netdef_new("opened", "virbr7", MV_NET_FWD_OPEN);

    netdef_ip(def, "192.168.131.1", 24);
    return def;
}

static struct mv_net_def *bridge_mode(void)
{
    return netdef_new("hostbridge", "br0", MV_NET_FWD_BRIDGE);
}

/* a control character in the name stays inside the comment line */
static struct mv_net_def *odd_name(void)
{
    struct mv_net_def *def = netdef_new("odd\nname 'x'", "virbr8", MV_NET_FWD_NAT);

    netdef_ip(def, "192.168.132.1", 24);
    return def;
}

static struct mv_net_def *bad_bridge(void)
{
    struct mv_net_def *def = netdef_new("badbridge", "vir\"br*", MV_NET_FWD_NAT);

    netdef_ip(def, "192.168.140.1", 24);
    return def;
}

static struct mv_net_def *bad_dev(void)
{
    struct mv_net_def *def = netdef_new("baddev", "virbr9", MV_NET_FWD_ROUTE);

    netdef_dev(def, "eth0 accept");
    netdef_ip(def, "192.168.141.1", 24);
    return def;
}

static struct mv_net_def *no_bridge(void)
{
    struct mv_net_def *def = netdef_new("nobridge", NULL, MV_NET_FWD_NONE);

    netdef_ip(def, "192.168.142.1", 24);
    return def;
}

static const struct {
    const char *name;
    struct mv_net_def *(*build)(void);
} cases[] = {
    { "nat-default", nat_default },
    { "nat-dev-range", nat_dev_range },
    { "nat-ports", nat_ports },
    { "nat-single-address", nat_single_address },
    { "nat-ipv6", nat_ipv6 },
    { "route-dev", route_dev },
    { "route-any", route_any },
    { "isolated", isolated },
    { "open", open_mode },
    { "bridge", bridge_mode },
    { "odd-name", odd_name },
    { "bridge-name-invalid", bad_bridge },
    { "forward-dev-invalid", bad_dev },
    { "no-bridge-invalid", no_bridge },
};

/* ---- golden files --------------------------------------------------------- */

static char *golden_path(const char *file)
{
    const char *top = getenv("top_srcdir");
    char *p;

    ck_assert(asprintf(&p, "%s/tests/firewall/%s", top ? top : ".", file) > 0);
    return p;
}

/* Compares TEXT with tests/firewall/FILE, or rewrites it when MV_REGENERATE=1. */
static void golden(const char *file, const char *text)
{
    _cleanup_free_ char *path = golden_path(file);
    _cleanup_free_ char *expected = NULL;
    const char *regen = getenv("MV_REGENERATE");
    int r;

    if (regen && strcmp(regen, "1") == 0) {
        ck_assert_msg(mv_file_write_atomic(path, text, strlen(text), 0644) == 0, "cannot write %s", path);
        return;
    }
    r = mv_file_read_all(path, GOLDEN_MAX, &expected, NULL);
    ck_assert_msg(r == 0, "cannot read %s (%s): run with MV_REGENERATE=1 to create it", path, strerror(-r));
    ck_assert_msg(strcmp(expected, text) == 0, "%s differs; got:\n%s\n(rerun with MV_REGENERATE=1 if intended)",
                  file, text);
}

static bool is_invalid(const char *name)
{
    size_t n = strlen(name);

    return n > 8 && strcmp(name + n - 8, "-invalid") == 0;
}

/* ---- the kernel's view ---------------------------------------------------- */

/* Runs `nft ARGS -f /dev/stdin` with TEXT as input; its exit status. */
static int nft_stdin(const char *args, const char *text)
{
    _cleanup_free_ char *cmd = NULL;
    FILE *p;

    ck_assert(asprintf(&cmd, "nft %s -f /dev/stdin", args) > 0);
    p = popen(cmd, "we");
    ck_assert_ptr_nonnull(p);
    fputs(text, p);
    return pclose(p);
}

static void kernel_check(const char *name, const struct mv_net_def *def)
{
    _cleanup_free_ char *path = NULL, *cmd = NULL, *remove = NULL, *err = NULL;

    path = golden_path(name);
    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "cannot enter a new network namespace");
    ck_assert(asprintf(&cmd, "nft -c -f '%1$s' && nft -f '%1$s' && nft -c -f '%1$s' && nft -f '%1$s'", path) > 0);
    ck_assert_msg(system(cmd) == 0, "nft does not take %s (empty, then over itself)", path);
    ck_assert_int_eq(mv_firewall_rules_remove(def, &remove, &err), 0);
    ck_assert_msg(nft_stdin("-c", remove) == 0, "nft does not take the removal text of %s:\n%s", name, remove);
}

START_TEST(test_golden)
{
    const char *name = cases[_i].name;
    _cleanup_net_def_ struct mv_net_def *def = cases[_i].build();
    _cleanup_free_ char *text = NULL, *err = NULL, *file = NULL;
    int r = mv_firewall_rules(def, &text, &err);

    if (is_invalid(name)) {
        ck_assert_msg(r == -EINVAL, "%s: expected -EINVAL, got %d", name, r);
        ck_assert_ptr_null(text);
        ck_assert_ptr_nonnull(err);
        ck_assert(asprintf(&file, "%s.err", name) > 0);
        golden(file, err);
        return;
    }
    ck_assert_msg(r == 0, "%s: %s", name, err ? err : "?");
    ck_assert(asprintf(&file, "%s.nft", name) > 0);
    golden(file, text);
    if (root && *text)
        kernel_check(file, def);
}
END_TEST

/* The same definition gives the same text (no hidden state). */
START_TEST(test_pure)
{
    _cleanup_net_def_ struct mv_net_def *def = nat_ipv6();
    _cleanup_free_ char *a = NULL, *b = NULL, *err = NULL;

    ck_assert_int_eq(mv_firewall_rules(def, &a, &err), 0);
    ck_assert_int_eq(mv_firewall_rules(def, &b, &err), 0);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_chains)
{
    _cleanup_net_def_ struct mv_net_def *nat = nat_default();
    _cleanup_net_def_ struct mv_net_def *iso = isolated();
    _cleanup_net_def_ struct mv_net_def *open = open_mode();
    _cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_firewall_chains(nat, &a, &err), 0);
    ck_assert_str_eq(a[0], "in_virbr0");
    ck_assert_str_eq(a[1], "to_virbr0");
    ck_assert_str_eq(a[2], "from_virbr0");
    ck_assert_str_eq(a[3], "nat_virbr0");
    ck_assert_ptr_null(a[4]);
    ck_assert_int_eq(mv_firewall_chains(iso, &b, &err), 0);
    ck_assert_str_eq(b[2], "from_virbr6");
    ck_assert_ptr_null(b[3]);
    ck_assert_int_eq(mv_firewall_chains(open, &c, &err), 0);
    ck_assert_ptr_null(c[0]);
}
END_TEST

/* Can this process make network namespaces and run nft in them?  Tried in
 * a child so a failure leaves this process as it was. */
static bool privileged(void)
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 && system("nft list ruleset >/dev/null 2>&1") == 0 ? 0 : 1);
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
    Suite *s = suite_create("netd_firewall_rules");
    TCase *tc = tcase_create("golden");
    SRunner *sr;
    int n;

    root = privileged();
    if (!root)
        printf("# no network namespace or nft here (needs root): the nft -c checks are skipped\n");
    tcase_add_loop_test(tc, test_golden, 0, (int)MV_ARRAY_SIZE(cases));
    tcase_add_test(tc, test_pure);
    tcase_add_test(tc, test_chains);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);   /* kernel_check unshares the test's process */
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
