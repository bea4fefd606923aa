/*
 * netd/firewall.c against the real kernel: networks' rules added, replaced
 * and removed through libnftables, next to other firewalls' tables.
 *
 * nftables state belongs to a network namespace: each test runs in a
 * forked child that first moves into a new one, so the host's ruleset is
 * never seen or touched and everything goes with the child.  The results
 * are read back as libnftables JSON listings parsed with json-c (and, to
 * prove other tables untouched, as their full text listings).  Without root
 * the suite skips.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <nftables/libnftables.h>

#include "cleanup.h"
#include "firewall.h"
#include "testns.h"

MV_DEFINE_CLEANUP(struct json_object, json_object_put)

/* What an administrator's own table might hold. */
static const char admin_table[] =
    "table inet admin {\n"
    "\tset trusted { type ipv4_addr; elements = { 10.9.9.9 } }\n"
    "\tchain input { type filter hook input priority filter - 5; policy accept;\n"
    "\t\tip saddr @trusted tcp dport 22 accept\n"
    "\t\ttcp dport 22 drop\n\t}\n"
    "}\n";

/* Docker's rules, made the way Docker makes them: with iptables-nft, so
 * the tables carry its marks and its xt matches.  FORWARD drops by policy;
 * DOCKER-USER is the hook Docker documents for users' rules. */
static const char docker_rules[] =
    "set -e\n"
    "for ipt in iptables-nft ip6tables-nft; do\n"
    "  $ipt -N DOCKER\n"
    "  $ipt -N DOCKER-USER\n"
    "  $ipt -A DOCKER-USER -j RETURN\n"
    "  $ipt -P FORWARD DROP\n"
    "  $ipt -A FORWARD -j DOCKER-USER\n"
    "  $ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
    "  $ipt -A FORWARD -o docker0 -j DOCKER\n"
    "  $ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
    "  $ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT\n"
    "done\n"
    "iptables-nft -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n";

/* The same FORWARD drop, but no DOCKER-USER chain to hook into. */
static const char drop_without_hook[] = "iptables-nft -P FORWARD DROP";

/* ---- the namespace and nft ------------------------------------------------ */

static void setup(void)
{
    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "cannot enter a new network namespace");
}

/* Runs CMDS through libnftables; with JSON, returns the output as JSON
 * (else as text).  NULL if nft refused them. */
static char *nft(const char *cmds, bool json)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    char *out = NULL;

    ck_assert_ptr_nonnull(ctx);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    if (json)
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    if (nft_run_cmd_from_buffer(ctx, cmds) == 0)
        out = strdup(nft_ctx_get_output_buffer(ctx));
    nft_ctx_free(ctx);
    return out;
}

/* Runs the shell SCRIPT (iptables-nft), in the test's namespace. */
static void sh(const char *script)
{
    ck_assert_msg(system(script) == 0, "failed:\n%s", script);
}

static void load(const char *cmds)
{
    _cleanup_free_ char *out = nft(cmds, false);

    ck_assert_msg(out != NULL, "nft refused:\n%s", cmds);
}

/* The text listing of table FAMILY NAME ("" if it does not exist). */
static char *table_text(const char *family, const char *name)
{
    _cleanup_free_ char *cmd = NULL;
    char *out;

    ck_assert(asprintf(&cmd, "list table %s %s", family, name) > 0);
    out = nft(cmd, false);
    return out ? out : strdup("");
}

/* The "nftables" array of `list ruleset`. */
static struct json_object *ruleset(void)
{
    _cleanup_free_ char *text = nft("list ruleset", true);
    struct json_object *all, *arr;

    ck_assert_ptr_nonnull(text);
    all = json_tokener_parse(text);
    ck_assert_msg(all && json_object_object_get_ex(all, "nftables", &arr), "bad JSON: %s", text);
    json_object_get(arr);
    json_object_put(all);
    return arr;
}

static const char *field(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* The number of objects of KIND in ARR of FAMILY TABLE named NAME (for
 * rules: in chain NAME). */
static int count(struct json_object *arr, const char *kind, const char *family, const char *table,
                 const char *name)
{
    int n = 0;

    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *o;

        if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), kind, &o))
            continue;
        if (strcmp(field(o, "family"), family) == 0 &&
            strcmp(field(o, strcmp(kind, "table") == 0 ? "name" : "table"), table) == 0 &&
            (!name || strcmp(field(o, strcmp(kind, "rule") == 0 ? "chain" : "name"), name) == 0))
            n++;
    }
    return n;
}

static bool has_table(struct json_object *arr, const char *family, const char *table)
{
    return count(arr, "table", family, table, NULL) > 0;
}

static bool has_chain(struct json_object *arr, const char *name)
{
    return count(arr, "chain", "inet", "modvirt", name) > 0;
}

/* The keys of our map MAP, space-separated and sorted by nft. */
static char *map_keys(struct json_object *arr, const char *map)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *m, *elems;

        if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "map", &m) ||
            strcmp(field(m, "name"), map) != 0 || !json_object_object_get_ex(m, "elem", &elems))
            continue;
        for (size_t j = 0; j < json_object_array_length(elems); j++)
            fprintf(f, "%s%s", j ? " " : "",
                    json_object_get_string(json_object_array_get_idx(json_object_array_get_idx(elems, j), 0)));
    }
    fclose(f);
    return out;
}

static void assert_keys(struct json_object *arr, const char *map, const char *expected)
{
    _cleanup_free_ char *keys = map_keys(arr, map);

    ck_assert_msg(strcmp(keys, expected) == 0, "map %s holds '%s', expected '%s'", map, keys, expected);
}

/* The standard output of the shell COMMAND, which must succeed. */
static char *command_output(const char *command)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len), *p = popen(command, "re");
    char buf[4096];
    size_t n;

    ck_assert(f && p);
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, f);
    ck_assert_msg(pclose(p) == 0, "failed: %s", command);
    fclose(f);
    return out;
}

/* ---- the networks ----------------------------------------------------------- */

/* DEF from network XML (the parser netd uses). */
static struct mv_net_def *parse(const char *xml)
{
    struct mv_net_def *def = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_net_def_parse(xml, &def, &err) == 0, "does not parse: %s\n%s", err ? err : "?", xml);
    return def;
}

static struct mv_net_def *nat_net(void)
{
    return parse("<network><name>natnet</name><forward mode='nat'/><bridge name='mvbr0'/>"
                 "<ip address='192.168.100.1' prefix='24'/></network>");
}

static struct mv_net_def *isolated_net(void)
{
    return parse("<network><name>isonet</name><bridge name='mvbr1'/>"
                 "<ip address='192.168.101.1' prefix='24'/></network>");
}

static void add(const struct mv_net_def *def)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_firewall_add(def, &err) == 0, "add %s: %s", def->name, err ? err : "?");
}

static void del(const struct mv_net_def *def)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_firewall_remove(def, &err) == 0, "remove %s: %s", def->name, err ? err : "?");
}

/* ---- the tests ---------------------------------------------------------------- */

/* Two networks changing at once from two threads, as two workers do: one
 * network comes and goes while the other is added and must stay whole.
 * Without the firewall's own serialisation, the going network's "I am the
 * last one, drop the table" races the other's add and takes it with it. */
struct churn {
    const struct mv_net_def *def;
    int rounds;
    int failures;
};

static void *churn_add_remove(void *opaque)
{
    struct churn *c = opaque;

    for (int i = 0; i < c->rounds; i++) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;

        if (mv_firewall_add(c->def, &e1) < 0 || mv_firewall_remove(c->def, &e2) < 0)
            c->failures++;
    }
    return NULL;
}

START_TEST(test_concurrent_networks)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    struct churn ca = { .def = a, .rounds = 60 };
    pthread_t t;
    int lost = 0;

    ck_assert_int_eq(pthread_create(&t, NULL, churn_add_remove, &ca), 0);
    for (int i = 0; i < 60; i++) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;

        ck_assert_msg(mv_firewall_add(b, &e1) == 0, "add: %s", e1 ? e1 : "?");
        if (!mv_firewall_present(b))
            lost++;
        ck_assert_msg(mv_firewall_remove(b, &e2) == 0, "remove: %s", e2 ? e2 : "?");
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(ca.failures, 0);
    ck_assert_msg(lost == 0, "the other network's rules vanished %d times", lost);
    ck_assert(!mv_firewall_present(a) && !mv_firewall_present(b));
}
END_TEST

START_TEST(test_two_networks)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_(json_object_putp) struct json_object *both = NULL, *one = NULL, *none = NULL;

    add(a);
    add(b);
    both = ruleset();
    assert_keys(both, "in_if", "mvbr0 mvbr1");
    assert_keys(both, "to_if", "mvbr0 mvbr1");
    assert_keys(both, "from_if", "mvbr0 mvbr1");
    assert_keys(both, "nat_if", "mvbr0");
    ck_assert(has_chain(both, "nat_mvbr0") && !has_chain(both, "nat_mvbr1"));
    ck_assert_int_eq(count(both, "rule", "inet", "modvirt", "forward"), 2);
    /* nat: 2 exemptions + tcp/udp with ports + the rest */
    ck_assert_int_eq(count(both, "rule", "inet", "modvirt", "nat_mvbr0"), 4);
    /* isolated: same bridge, then reject */
    ck_assert_int_eq(count(both, "rule", "inet", "modvirt", "to_mvbr1"), 2);
    ck_assert_int_eq(count(both, "rule", "inet", "modvirt", "from_mvbr1"), 2);
    ck_assert(mv_firewall_present(a) && mv_firewall_present(b));

    del(a);
    one = ruleset();
    ck_assert(!mv_firewall_present(a) && mv_firewall_present(b));
    assert_keys(one, "to_if", "mvbr1");
    assert_keys(one, "nat_if", "");
    ck_assert(!has_chain(one, "to_mvbr0") && !has_chain(one, "nat_mvbr0") && has_chain(one, "to_mvbr1"));
    ck_assert_int_eq(count(one, "rule", "inet", "modvirt", "to_mvbr1"), 2);

    del(b);
    none = ruleset();
    ck_assert_msg(!has_table(none, "inet", "modvirt"), "our table outlived its last network");
    ck_assert(!mv_firewall_present(b));
}
END_TEST

/* A second add (a restart) replaces the first: no rule twice. */
START_TEST(test_add_replaces)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_free_ char *first = NULL, *second = NULL;

    add(a);
    add(b);
    first = table_text("inet", "modvirt");
    add(a);
    add(a);
    second = table_text("inet", "modvirt");
    /* the same rules, only a's chains moved to the end */
    ck_assert_uint_eq(strlen(first), strlen(second));
    ck_assert(mv_firewall_present(a) && mv_firewall_present(b));
}
END_TEST

/* A leftover of a different mode goes: isolated then nat then isolated. */
START_TEST(test_add_changes_mode)
{
    _cleanup_net_def_ struct mv_net_def *nat = nat_net();
    _cleanup_net_def_ struct mv_net_def *iso = isolated_net();
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    free(iso->bridge.name);
    iso->bridge.name = strdup("mvbr0");
    add(nat);
    add(iso);
    arr = ruleset();
    assert_keys(arr, "nat_if", "");
    ck_assert(!has_chain(arr, "nat_mvbr0"));
    ck_assert_int_eq(count(arr, "rule", "inet", "modvirt", "from_mvbr0"), 2);
    ck_assert(mv_firewall_present(iso));
}
END_TEST

START_TEST(test_remove_idempotent)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    del(a);                 /* no table at all */
    add(b);
    del(a);                 /* table, but not a's */
    del(a);
    arr = ruleset();
    ck_assert(mv_firewall_present(b));
    assert_keys(arr, "from_if", "mvbr1");
}
END_TEST

/* Open and bridge networks have no rules: no table appears. */
START_TEST(test_no_rules_modes)
{
    _cleanup_net_def_ struct mv_net_def *open = parse(
        "<network><name>o</name><forward mode='open'/><bridge name='mvbr2'/>"
        "<ip address='192.168.102.1' prefix='24'/></network>");
    _cleanup_net_def_ struct mv_net_def *br = parse(
        "<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>");
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    add(open);
    add(br);
    arr = ruleset();
    ck_assert(!has_table(arr, "inet", "modvirt"));
    ck_assert(mv_firewall_present(open) && mv_firewall_present(br));
    del(open);
    del(br);
}
END_TEST

/* The admin's and Docker's tables stay as they were, but for DOCKER-USER
 * entries that come and go with our network. */
START_TEST(test_other_tables_untouched)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_free_ char *admin0 = NULL, *filter0 = NULL, *nat0 = NULL, *warning = NULL, *err = NULL;
    _cleanup_free_ char *admin1 = NULL, *filter1 = NULL, *nat1 = NULL, *during = NULL;
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    load(admin_table);
    sh(docker_rules);
    admin0 = table_text("inet", "admin");
    filter0 = table_text("ip", "filter");
    nat0 = table_text("ip", "nat");

    add(a);
    add(b);
    ck_assert_int_eq(mv_firewall_coexist(a, &warning, &err), 0);
    ck_assert_ptr_null(warning);
    ck_assert_int_eq(mv_firewall_coexist(a, &warning, &err), 0);    /* replaces, no doubles */
    ck_assert_int_eq(mv_firewall_coexist(b, &warning, &err), 0);    /* isolated: nothing to let through */
    arr = ruleset();
    ck_assert_int_eq(count(arr, "rule", "ip", "filter", "DOCKER-USER"), 3);
    during = table_text("ip", "filter");
    ck_assert_msg(strstr(during, "iifname \"mvbr0\" accept comment \"modvirt network natnet\"") &&
                  strstr(during, "oifname \"mvbr0\" accept comment \"modvirt network natnet\""),
                  "DOCKER-USER lacks our rules:\n%s", during);
    free(during);
    /* Docker's own tool still reads the chain, our rules included */
    during = command_output("iptables-nft -S DOCKER-USER");
    ck_assert_msg(strstr(during, "-A DOCKER-USER -i mvbr0 -m comment --comment \"modvirt network natnet\" -j ACCEPT") &&
                  strstr(during, "-A DOCKER-USER -j RETURN"), "iptables-nft -S DOCKER-USER:\n%s", during);
    free(during);
    during = table_text("inet", "admin");
    ck_assert_str_eq(during, admin0);

    del(a);
    del(b);
    admin1 = table_text("inet", "admin");
    filter1 = table_text("ip", "filter");
    nat1 = table_text("ip", "nat");
    ck_assert_str_eq(admin1, admin0);
    ck_assert_str_eq(filter1, filter0);
    ck_assert_str_eq(nat1, nat0);
}
END_TEST

/* A dual-stack network passes Docker's ip6 FORWARD drop as well. */
START_TEST(test_docker_ipv6)
{
    _cleanup_net_def_ struct mv_net_def *a = parse(
        "<network><name>dual</name><forward mode='nat'/><bridge name='mvbr3'/>"
        "<ip address='192.168.103.1' prefix='24'/><ip family='ipv6' address='fd00:3::1' prefix='64'/></network>");
    _cleanup_free_ char *filter0 = NULL, *filter1 = NULL, *warning = NULL, *err = NULL;
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    sh(docker_rules);
    filter0 = table_text("ip6", "filter");
    add(a);
    ck_assert_int_eq(mv_firewall_coexist(a, &warning, &err), 0);
    ck_assert_ptr_null(warning);
    arr = ruleset();
    ck_assert_int_eq(count(arr, "rule", "ip", "filter", "DOCKER-USER"), 3);
    ck_assert_int_eq(count(arr, "rule", "ip6", "filter", "DOCKER-USER"), 3);
    del(a);
    filter1 = table_text("ip6", "filter");
    ck_assert_str_eq(filter1, filter0);
}
END_TEST

START_TEST(test_docker_without_hook_warns)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_free_ char *before = NULL, *after = NULL, *warning = NULL, *err = NULL;

    sh(drop_without_hook);
    before = table_text("ip", "filter");
    add(a);
    ck_assert_int_eq(mv_firewall_coexist(a, &warning, &err), 0);
    ck_assert_ptr_nonnull(warning);
    ck_assert_msg(strstr(warning, "table ip filter has chain FORWARD with policy drop") &&
                  strstr(warning, "DOCKER-USER") && strstr(warning, "'natnet'") &&
                  strstr(warning, "nft insert rule ip filter FORWARD iifname mvbr0 accept"),
                  "warning: %s", warning);
    after = table_text("ip", "filter");
    ck_assert_str_eq(after, before);
    del(a);
}
END_TEST

/* Docker with iptables-legacy: its FORWARD drop is invisible to nft, and
 * pointed out rather than changed. */
START_TEST(test_legacy_drop_warns)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_free_ char *w1 = NULL, *w2 = NULL, *w3 = NULL, *err = NULL, *before = NULL, *after = NULL;

    add(a);
    sh("iptables-legacy -N DOCKER-USER");   /* the table, but no drop yet */
    ck_assert_int_eq(mv_firewall_coexist(a, &w1, &err), 0);
    ck_assert_ptr_null(w1);
    sh("iptables-legacy -P FORWARD DROP");
    before = command_output("iptables-legacy-save -t filter | grep -v '^#'");
    ck_assert_int_eq(mv_firewall_coexist(a, &w2, &err), 0);
    ck_assert_ptr_nonnull(w2);
    ck_assert_msg(strstr(w2, "legacy iptables filter table (iptables-legacy) has chain FORWARD with policy drop") &&
                  strstr(w2, "'natnet'") && strstr(w2, "'iptables-legacy -I DOCKER-USER -i mvbr0 -j ACCEPT'"),
                  "warning: %s", w2);
    after = command_output("iptables-legacy-save -t filter | grep -v '^#'");
    ck_assert_str_eq(after, before);
    ck_assert_int_eq(mv_firewall_coexist(b, &w3, &err), 0);    /* isolated: forwards nothing */
    ck_assert_ptr_null(w3);
}
END_TEST

/* No FORWARD drop anywhere: coexist changes nothing and says nothing. */
START_TEST(test_no_docker_quiet)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_free_ char *warning = NULL, *err = NULL;
    _cleanup_(json_object_putp) struct json_object *arr = NULL;

    add(a);
    ck_assert_int_eq(mv_firewall_coexist(a, &warning, &err), 0);
    ck_assert_ptr_null(warning);
    arr = ruleset();
    ck_assert(!has_table(arr, "ip", "filter"));
}
END_TEST

/* The kernel refuses the add late in its batch (a leftover chain of B's
 * that something still jumps to cannot be deleted): nothing of B's batch
 * is applied, A's rules are as they were. */
START_TEST(test_failure_leaves_nothing)
{
    _cleanup_net_def_ struct mv_net_def *a = nat_net();
    _cleanup_net_def_ struct mv_net_def *b = isolated_net();
    _cleanup_free_ char *before = NULL, *after = NULL, *err = NULL;
    _cleanup_(json_object_putp) struct json_object *arr = NULL;
    int r;

    add(a);
    load("add chain inet modvirt to_mvbr1\n"
         "add chain inet modvirt stray { jump to_mvbr1; }\n");
    before = table_text("inet", "modvirt");
    r = mv_firewall_add(b, &err);
    ck_assert_int_lt(r, 0);
    ck_assert_msg(err && strstr(err, "network 'isonet'") && strstr(err, "nftables refused"), "message: %s",
                  err ? err : "(none)");
    after = table_text("inet", "modvirt");
    ck_assert_str_eq(after, before);
    arr = ruleset();
    assert_keys(arr, "in_if", "mvbr0");
    ck_assert(!has_chain(arr, "in_mvbr1") && !has_chain(arr, "from_mvbr1"));
    ck_assert(!mv_firewall_present(b) && mv_firewall_present(a));
}
END_TEST

/* Can this process make network namespaces and use nftables in them?
 * Tried in a child so a failure leaves this process as it was. */
static int probe(void)
{
    struct nft_ctx *ctx;

    if (unshare(CLONE_NEWNET) < 0 || !(ctx = nft_ctx_new(NFT_CTX_DEFAULT)))
        return -1;
    nft_ctx_buffer_error(ctx);
    return nft_run_cmd_from_buffer(ctx, "add table inet probe") == 0 ? 0 : -1;
}

int main(void)
{
    Suite *s = suite_create("netd_firewall");
    TCase *tc = tcase_create("kernel");
    SRunner *sr;
    int n;

    if (!mv_test_probe(probe)) {
        printf("1..0 # SKIP no network namespaces or nftables here (needs root)\n");
        return 0;
    }
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_two_networks);
    tcase_add_test(tc, test_add_replaces);
    tcase_add_test(tc, test_add_changes_mode);
    tcase_add_test(tc, test_remove_idempotent);
    tcase_add_test(tc, test_no_rules_modes);
    tcase_add_test(tc, test_other_tables_untouched);
    tcase_add_test(tc, test_docker_ipv6);
    tcase_add_test(tc, test_docker_without_hook_warns);
    tcase_add_test(tc, test_legacy_drop_warns);
    tcase_add_test(tc, test_no_docker_quiet);
    tcase_add_test(tc, test_failure_leaves_nothing);
    tcase_add_test(tc, test_concurrent_networks);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);   /* each test unshares its own process */
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
