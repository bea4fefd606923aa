/*
 * A network's nftables rules as text (netd/firewall_rules.c).  Golden
 * files: tests/firewall/NAME.xml (network XML, read with mv_net_def_parse)
 * -> NAME.nft, and NAME-invalid.xml -> NAME-invalid.err for definitions
 * the rules must refuse (the exact message); MV_REGENERATE=1 rewrites the
 * outputs.
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
#include "golden.h"
#include "testns.h"

static bool root;

/* ---- the cases ---------------------------------------------------------- */

#define FIXTURES "firewall"

/* Inputs found in tests/firewall, without their .xml suffix. */
static char **names;
static size_t nnames;

static struct mv_net_def *parse(const char *xml)
{
    struct mv_net_def *def = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_net_def_parse(xml, &def, &err) == 0, "does not parse: %s\n%s", err ? err : "?", xml);
    return def;
}

#define NAT_XML "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>" \
    "<ip address='192.168.122.1' prefix='24'/></network>"
#define NAT6_XML "<network><name>nat6</name><forward mode='nat'/><bridge name='virbr4'/>" \
    "<ip address='192.168.124.1' prefix='24'/><ip family='ipv6' address='fd00:1::1' prefix='64'/></network>"
#define ISOLATED_XML "<network><name>isolated</name><bridge name='virbr6'/>" \
    "<ip address='192.168.130.1' prefix='24'/></network>"
#define OPEN_XML "<network><name>opened</name><forward mode='open'/><bridge name='virbr7'/>" \
    "<ip address='192.168.131.1' prefix='24'/></network>"

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

    path = mv_test_golden_path(FIXTURES, name, ".nft");
    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "cannot enter a new network namespace");
    ck_assert(asprintf(&cmd, "nft -c -f '%1$s' && nft -f '%1$s' && nft -c -f '%1$s' && nft -f '%1$s'", path) > 0);
    ck_assert_msg(system(cmd) == 0, "nft does not take %s (empty, then over itself)", path);
    ck_assert_int_eq(mv_firewall_rules_remove(def, &remove, &err), 0);
    ck_assert_msg(nft_stdin("-c", remove) == 0, "nft does not take the removal text of %s:\n%s", name, remove);
}

START_TEST(test_golden)
{
    const char *name = names[_i];
    _cleanup_free_ char *xml = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *text = NULL, *err = NULL;
    _cleanup_net_def_ struct mv_net_def *def = parse(xml);
    int r = mv_firewall_rules(def, &text, &err);

    if (is_invalid(name)) {
        ck_assert_msg(r == -EINVAL, "%s: expected -EINVAL, got %d", name, r);
        ck_assert_ptr_null(text);
        ck_assert_ptr_nonnull(err);
        mv_test_golden(FIXTURES, name, ".err", err);
        return;
    }
    ck_assert_msg(r == 0, "%s: %s", name, err ? err : "?");
    mv_test_golden(FIXTURES, name, ".nft", text);
    if (root && *text)
        kernel_check(name, def);
}
END_TEST

/* The same definition gives the same text (no hidden state). */
START_TEST(test_pure)
{
    _cleanup_net_def_ struct mv_net_def *def = parse(NAT6_XML);
    _cleanup_free_ char *a = NULL, *b = NULL, *err = NULL;

    ck_assert_int_eq(mv_firewall_rules(def, &a, &err), 0);
    ck_assert_int_eq(mv_firewall_rules(def, &b, &err), 0);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_chains)
{
    _cleanup_net_def_ struct mv_net_def *nat = parse(NAT_XML);
    _cleanup_net_def_ struct mv_net_def *iso = parse(ISOLATED_XML);
    _cleanup_net_def_ struct mv_net_def *open = parse(OPEN_XML);
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

/* Names the parser never lets through, from a definition built some other
 * way: refused rather than written into nft's syntax. */
START_TEST(test_invalid_names)
{
    _cleanup_net_def_ struct mv_net_def *br = parse(NAT_XML);
    _cleanup_net_def_ struct mv_net_def *dev = parse(NAT_XML);
    _cleanup_free_ char *text = NULL, *err1 = NULL, *err2 = NULL;

    free(br->bridge.name);
    br->bridge.name = strdup("vir\"br*");
    ck_assert_int_eq(mv_firewall_rules(br, &text, &err1), -EINVAL);
    ck_assert_str_eq(err1, "network 'default': bridge name 'vir\"br*' cannot be used in nftables rules "
                           "(letters, digits, '_', '-' and '.' only)");
    dev->forward.dev = strdup("eth0 accept");
    ck_assert_int_eq(mv_firewall_rules_remove(dev, &text, &err2), -EINVAL);
    ck_assert_str_eq(err2, "network 'default': forward dev 'eth0 accept' cannot be used in nftables rules "
                           "(letters, digits, '_', '-' and '.' only)");
    ck_assert_ptr_null(text);
}
END_TEST

/* A network's name goes into a comment line: quoted, it cannot end it. */
START_TEST(test_name_in_comment)
{
    _cleanup_net_def_ struct mv_net_def *def = parse(NAT_XML);
    _cleanup_free_ char *text = NULL, *err = NULL;
    static const char first[] = "# modvirt: rules of network 'odd\\x0aname \\'x\\'', nat, bridge virbr0\n"
                                "table inet modvirt {\n";

    free(def->name);
    def->name = strdup("odd\nname 'x'");
    ck_assert_int_eq(mv_firewall_rules(def, &text, &err), 0);
    ck_assert_msg(strncmp(text, first, strlen(first)) == 0, "got:\n%.100s", text);
}
END_TEST

/* Can this process make network namespaces and run nft in them?  Tried in
 * a child so a failure leaves this process as it was. */
static int probe(void)
{
    return unshare(CLONE_NEWNET) == 0 && system("nft list ruleset >/dev/null 2>&1") == 0 ? 0 : -1;
}

int main(void)
{
    Suite *s = suite_create("netd_firewall_rules");
    TCase *tc = tcase_create("golden");
    SRunner *sr;
    int n;

    nnames = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_ALL, 1, &names);
    root = mv_test_probe(probe);
    if (!root)
        printf("# no network namespace or nft here (needs root): the nft -c checks are skipped\n");
    tcase_add_loop_test(tc, test_golden, 0, (int)nnames);
    tcase_add_test(tc, test_pure);
    tcase_add_test(tc, test_chains);
    tcase_add_test(tc, test_invalid_names);
    tcase_add_test(tc, test_name_in_comment);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);   /* kernel_check unshares the test's process */
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(names);
    return n ? 1 : 0;
}
