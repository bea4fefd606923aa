/*
 * dnsmasq's configuration for a network definition.  Golden files:
 * tests/dnsmasqconf/NAME.conf, and NAME.hostsfile / NAME.addnhosts when the
 * network has such entries; MV_REGENERATE=1 rewrites them.  The definitions
 * are built in C below (one function per case) until the network XML
 * parser lands; then they become NAME.xml inputs.
 *
 * Golden files cannot tell whether dnsmasq accepts them, so each one is
 * also checked with the real `dnsmasq --test`, with every dhcp-hostsfile
 * line given as a dhcp-host= option (the same syntax) so that dnsmasq
 * checks those too.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "file.h"
#include "process.h"
#include "testutil.h"

#define REAL_DNSMASQ "/usr/sbin/dnsmasq"
#define GOLDEN_MAX (1024 * 1024)

static const struct mv_dnsmasq_paths fixed_paths = {
    .dir = "/run/modvirt/network/dnsmasq", .user = "dnsmasq", .binary = REAL_DNSMASQ,
};

/* ---- building definitions ---- */

static char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;

    ck_assert(!s || d);
    return d;
}

static void *grow(void *v, size_t *n, size_t size)
{
    char *p = reallocarray(v, *n + 1, size);

    ck_assert_ptr_nonnull(p);
    memset(p + *n * size, 0, size);
    (*n)++;
    return p;
}

static struct mv_inet addr(const char *text)
{
    struct mv_inet a;

    ck_assert_msg(mv_inet_parse(text, &a) == 0, "bad address %s", text);
    return a;
}

static struct mv_net_def *net(const char *name, const char *bridge, enum mv_net_forward mode)
{
    struct mv_net_def *d = calloc(1, sizeof(*d));

    ck_assert_ptr_nonnull(d);
    d->name = xstrdup(name);
    d->bridge.name = xstrdup(bridge);
    d->forward.mode = mode;
    d->mac = xstrdup("52:54:00:0a:0b:0c");
    return d;
}

static struct mv_net_ip *ip(struct mv_net_def *d, const char *a, unsigned int prefix, bool dhcp)
{
    struct mv_net_ip *i;

    d->ips = grow(d->ips, &d->nips, sizeof(*d->ips));
    i = &d->ips[d->nips - 1];
    i->address = addr(a);
    i->prefix = prefix;
    i->has_dhcp = dhcp;
    return i;
}

static struct mv_net_lease lease(unsigned long expiry, const char *unit)
{
    return (struct mv_net_lease){ .given = true, .expiry = expiry, .unit = xstrdup(unit) };
}

static void range(struct mv_net_ip *i, const char *start, const char *end, struct mv_net_lease l)
{
    i->ranges = grow(i->ranges, &i->nranges, sizeof(*i->ranges));
    i->ranges[i->nranges - 1] = (struct mv_net_dhcp_range){ addr(start), addr(end), l };
}

static void host(struct mv_net_ip *i, const char *mac, const char *id, const char *name,
                 const char *a, struct mv_net_lease l)
{
    i->hosts = grow(i->hosts, &i->nhosts, sizeof(*i->hosts));
    i->hosts[i->nhosts - 1] = (struct mv_net_dhcp_host){
        .mac = xstrdup(mac), .id = xstrdup(id), .name = xstrdup(name),
        .ip = a ? addr(a) : (struct mv_inet){ 0 }, .lease = l,
    };
}

static void forwarder(struct mv_net_def *d, const char *a, const char *domain)
{
    d->has_dns = true;
    d->dns.forwarders = grow(d->dns.forwarders, &d->dns.nforwarders, sizeof(*d->dns.forwarders));
    d->dns.forwarders[d->dns.nforwarders - 1] = (struct mv_net_dns_forwarder){
        .addr = a ? addr(a) : (struct mv_inet){ 0 }, .domain = xstrdup(domain),
    };
}

/* <dns><host ip=A> with the NULL-terminated hostnames that follow */
static void dns_host(struct mv_net_def *d, const char *a, ...)
{
    struct mv_net_dns_host *h;
    const char *n;
    va_list ap;

    d->has_dns = true;
    d->dns.hosts = grow(d->dns.hosts, &d->dns.nhosts, sizeof(*d->dns.hosts));
    h = &d->dns.hosts[d->dns.nhosts - 1];
    h->ip = addr(a);
    va_start(ap, a);
    while ((n = va_arg(ap, const char *))) {
        h->hostnames = grow(h->hostnames, &h->nhostnames, sizeof(char *));
        h->hostnames[h->nhostnames - 1] = xstrdup(n);
    }
    va_end(ap);
}

static struct mv_net_dns_srv *srv(struct mv_net_def *d, const char *service, const char *proto)
{
    d->has_dns = true;
    d->dns.srvs = grow(d->dns.srvs, &d->dns.nsrvs, sizeof(*d->dns.srvs));
    d->dns.srvs[d->dns.nsrvs - 1].service = xstrdup(service);
    d->dns.srvs[d->dns.nsrvs - 1].protocol = xstrdup(proto);
    return &d->dns.srvs[d->dns.nsrvs - 1];
}

static void txt(struct mv_net_def *d, const char *name, const char *value)
{
    d->has_dns = true;
    d->dns.txts = grow(d->dns.txts, &d->dns.ntxts, sizeof(*d->dns.txts));
    d->dns.txts[d->dns.ntxts - 1] = (struct mv_net_dns_txt){ xstrdup(name), xstrdup(value) };
}

static const struct mv_net_lease no_lease;

/* ---- the cases ---- */

/* what a packaged libvirt defines as 'default' */
static struct mv_net_def *case_default(void)
{
    struct mv_net_def *d = net("default", "virbr0", MV_NET_FWD_NAT);

    range(ip(d, "192.168.122.1", 24, true), "192.168.122.2", "192.168.122.254", no_lease);
    return d;
}

static struct mv_net_def *case_isolated_nodhcp(void)
{
    struct mv_net_def *d = net("isolated", "virbr5", MV_NET_FWD_NONE);

    ip(d, "10.20.0.1", 16, false);
    return d;
}

static struct mv_net_def *case_dns_disabled(void)
{
    struct mv_net_def *d = net("nodns", "virbr6", MV_NET_FWD_ROUTE);

    d->has_dns = true;
    d->dns.enable = MV_NET_NO;
    range(ip(d, "172.16.5.1", 24, true), "172.16.5.100", "172.16.5.199", lease(2, "hours"));
    return d;
}

static struct mv_net_def *case_dns_full(void)
{
    struct mv_net_def *d = net("dnsfull", "virbr7", MV_NET_FWD_NAT);
    struct mv_net_dns_srv *s;

    d->domain_name = xstrdup("example.test");
    d->domain_local_only = MV_NET_YES;
    d->dns.forward_plain_names = MV_NET_NO;
    forwarder(d, "9.9.9.9", NULL);
    forwarder(d, "2620:fe::fe", NULL);
    forwarder(d, "192.168.1.53", "corp.test");
    forwarder(d, NULL, "lan.test");
    dns_host(d, "192.168.100.10", "db", "db.example.test", NULL);
    dns_host(d, "fd00:100::10", "db6", NULL);
    s = srv(d, "ldap", "tcp");
    s->domain = xstrdup("example.test"), s->target = xstrdup("db.example.test");
    s->port = 389, s->priority = 10, s->weight = 5;
    s->has_port = s->has_priority = s->has_weight = true;
    s = srv(d, "sip", "udp");
    s->target = xstrdup("pbx.example.test"), s->port = 5060, s->has_port = true;
    srv(d, "nothing", "tcp");
    txt(d, "motd", "hello, \"world\" \\o/");
    range(ip(d, "192.168.100.1", 24, true), "192.168.100.128", "192.168.100.254", no_lease);
    return d;
}

static struct mv_net_def *case_leases(void)
{
    struct mv_net_def *d = net("leases", "virbr8", MV_NET_FWD_NAT);
    struct mv_net_ip *i = ip(d, "192.168.130.1", 24, true);

    range(i, "192.168.130.10", "192.168.130.19", lease(3600, "seconds"));
    range(i, "192.168.130.100", "192.168.130.199", lease(0, NULL));
    range(i, "192.168.130.200", "192.168.130.209", lease(30, "minutes"));
    host(i, "52:54:00:11:22:33", NULL, "web", "192.168.130.2", no_lease);
    host(i, "52:54:00:11:22:34", NULL, NULL, "192.168.130.3", lease(1, "hours"));
    host(i, "52:54:00:11:22:35", NULL, "db", NULL, lease(0, "hours"));
    host(i, NULL, NULL, "byname", "192.168.130.4", no_lease);
    return d;
}

static struct mv_net_def *case_dual_stack(void)
{
    struct mv_net_def *d = net("dual", "virbr9", MV_NET_FWD_NAT);
    struct mv_net_ip *v6;

    range(ip(d, "192.168.140.1", 24, true), "192.168.140.2", "192.168.140.254", lease(1, "hours"));
    v6 = ip(d, "fd00:140::1", 64, true);
    range(v6, "fd00:140::100", "fd00:140::1ff", lease(2, "hours"));
    host(v6, NULL, "00:01:00:01:2a:3b:4c:5d:52:54:00:aa:bb:cc", "guest6", "fd00:140::10", no_lease);
    host(v6, NULL, NULL, "named6", "fd00:140::11", no_lease);
    return d;
}

static struct mv_net_def *case_ipv6_ra_only(void)
{
    struct mv_net_def *d = net("slaac", "virbr10", MV_NET_FWD_ROUTE);

    range(ip(d, "10.30.0.1", 24, true), "10.30.0.2", "10.30.0.254", no_lease);
    ip(d, "fd00:30::1", 64, false);
    return d;
}

static struct mv_net_def *case_static_only(void)
{
    struct mv_net_def *d = net("static", "virbr11", MV_NET_FWD_NONE);
    struct mv_net_ip *i = ip(d, "10.40.0.1", 24, true);

    host(i, "52:54:00:00:40:02", NULL, "one", "10.40.0.2", no_lease);
    host(i, "52:54:00:00:40:03", NULL, "two", "10.40.0.3", no_lease);
    return d;
}

static struct mv_net_def *case_big_subnet(void)
{
    struct mv_net_def *d = net("big", "virbr12", MV_NET_FWD_OPEN);

    range(ip(d, "10.0.0.1", 8, true), "10.0.0.2", "10.255.255.254", no_lease);
    range(ip(d, "fd00:1::1", 64, true), "fd00:1::", "fd00:1::ffff:ffff:ffff:ffff", no_lease);
    return d;
}

static const struct conf_case {
    const char *name;
    struct mv_net_def *(*build)(void);
} cases[] = {
    { "default", case_default },
    { "isolated-nodhcp", case_isolated_nodhcp },
    { "dns-disabled", case_dns_disabled },
    { "dns-full", case_dns_full },
    { "leases", case_leases },
    { "dual-stack", case_dual_stack },
    { "ipv6-ra-only", case_ipv6_ra_only },
    { "static-only", case_static_only },
    { "big-subnet", case_big_subnet },
};

/* ---- golden files ---- */

static char *golden_path(const char *name, const char *suffix)
{
    const char *top = getenv("top_srcdir");
    char *p;

    ck_assert(asprintf(&p, "%s/tests/dnsmasqconf/%s.%s", top ? top : ".", name, suffix) > 0);
    return p;
}

static bool regenerate(void)
{
    const char *v = getenv("MV_REGENERATE");

    return v && strcmp(v, "1") == 0;
}

/* Compares TEXT with NAME.SUFFIX (which must not exist when TEXT is
 * empty), or rewrites it when regenerating. */
static void golden(const char *name, const char *suffix, const char *text)
{
    _cleanup_free_ char *path = golden_path(name, suffix);
    _cleanup_free_ char *expected = NULL;
    _cleanup_free_ char *actual = NULL;
    int r;

    if (regenerate()) {
        if (*text)
            ck_assert_int_eq(mv_file_write_atomic(path, text, strlen(text), 0644), 0);
        else
            (void)unlink(path);
        return;
    }
    r = mv_file_read_all(path, GOLDEN_MAX, &expected, NULL);
    if (!*text) {
        ck_assert_msg(r == -ENOENT, "%s exists but the output is empty", path);
        return;
    }
    ck_assert_msg(r == 0, "cannot read %s (%s)%s", path, strerror(-r),
                  r == -ENOENT ? ": run with MV_REGENERATE=1 to create it" : "");
    if (strcmp(expected, text) == 0)
        return;
    ck_assert(asprintf(&actual, "%s.%s.actual", name, suffix) > 0);
    ck_assert_int_eq(mv_file_write_atomic(actual, text, strlen(text), 0644), 0);
    ck_abort_msg("%s differs from the output (written to %s); diff them, or rerun with "
                 "MV_REGENERATE=1 if the change is intended", path, actual);
}

/* dnsmasq --test on CONF (for DEF) whose files live in a temp dir, the
 * hostsfile lines added as dhcp-host= options. */
static void dnsmasq_accepts(const struct mv_net_def *def, const char *hosts)
{
    char dir[64];
    _cleanup_free_ char *conf = NULL, *path = NULL, *arg = NULL, *err = NULL, *full = NULL;
    _cleanup_free_ char *copy = xstrdup(hosts);
    struct mv_dnsmasq_paths p = fixed_paths;
    struct mv_process_result res;
    struct mv_process_run_opts opts = { .timeout_ms = 10000 };
    char *save = NULL;
    size_t len = 0;
    FILE *f;
    int r;

    mv_test_mkdtemp(dir, sizeof(dir), "mv-dnsmasqconf");
    p.dir = dir;
    ck_assert_int_eq(mv_dnsmasq_conf(def, &p, &conf, NULL), 0);
    ck_assert_ptr_nonnull(f = open_memstream(&full, &len));
    fputs(conf, f);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        fprintf(f, "dhcp-host=%s\n", l);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert(asprintf(&path, "%s/%s.conf", dir, def->name) > 0);
    ck_assert_int_eq(mv_file_write_atomic(path, full, len, 0644), 0);
    ck_assert(asprintf(&arg, "--conf-file=%s", path) > 0);
    const char *const argv[] = { REAL_DNSMASQ, "--test", arg, NULL };
    r = mv_process_run(argv, &opts, &res, &err);
    mv_test_rmtree(dir);
    ck_assert_msg(r == 0, "dnsmasq refuses the configuration of %s: %s", def->name, err);
    ck_assert_msg(strstr(res.err, "syntax check OK"), "dnsmasq --test said: %s", res.err);
    mv_process_result_clear(&res);
}

START_TEST(test_golden)
{
    const struct conf_case *c = &cases[_i];
    _cleanup_net_def_ struct mv_net_def *def = c->build();
    _cleanup_free_ char *conf = NULL, *hosts = NULL, *addn = NULL, *err = NULL;

    ck_assert_msg(mv_dnsmasq_conf(def, &fixed_paths, &conf, &err) == 0, "%s: %s", c->name, err);
    ck_assert_int_eq(mv_dnsmasq_hostsfile(def, &hosts, NULL), 0);
    ck_assert_int_eq(mv_dnsmasq_addnhosts(def, &addn, NULL), 0);
    golden(c->name, "conf", conf);
    golden(c->name, "hostsfile", hosts);
    golden(c->name, "addnhosts", addn);
    dnsmasq_accepts(def, hosts);
}
END_TEST

/* Values that would break out of their line or field are refused by name. */
static void refused(struct mv_net_def *def, int (*fn)(const struct mv_net_def *, char **, char **),
                    const char *want)
{
    _cleanup_net_def_ struct mv_net_def *d = def;
    _cleanup_free_ char *out = NULL, *err = NULL;
    int r = fn ? fn(d, &out, &err) : mv_dnsmasq_conf(d, &fixed_paths, &out, &err);

    ck_assert_int_eq(r, -EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_msg(err && strstr(err, want), "message '%s' lacks '%s'", err ? err : "(none)", want);
}

START_TEST(test_refused)
{
    struct mv_net_def *d;

    d = case_default();
    txt(d, "a,b", "x");
    refused(d, NULL, "network 'default': dns txt name 'a,b' cannot be written");

    d = case_default();
    txt(d, "motd", "line\nserver=6.6.6.6");
    refused(d, NULL, "dns txt value 'line\\x0aserver=6.6.6.6'");

    d = case_default();
    d->domain_name = xstrdup("evil\nconf-file=/etc/shadow");
    refused(d, NULL, "domain name");

    d = case_default();
    srv(d, "ldap", "tcp")->has_port = true;
    refused(d, NULL, "dns srv record '_ldap._tcp' has a port, priority or weight but no target");

    d = case_default();
    free(d->bridge.name);
    d->bridge.name = NULL;
    refused(d, NULL, "network 'default' has no bridge name");

    d = case_default();
    host(&d->ips[0], "52:54:00:00:00:01", NULL, "a,b", "192.168.122.9", no_lease);
    refused(d, mv_dnsmasq_hostsfile, "dhcp host name 'a,b'");

    d = case_default();
    dns_host(d, "192.168.122.9", "two words", NULL);
    refused(d, mv_dnsmasq_addnhosts, "dns hostname 'two words'");
}
END_TEST

START_TEST(test_paths_required)
{
    _cleanup_net_def_ struct mv_net_def *d = case_default();
    _cleanup_free_ char *out = NULL, *err = NULL;
    struct mv_dnsmasq_paths p = fixed_paths;

    p.user = NULL;
    ck_assert_int_eq(mv_dnsmasq_conf(d, &p, &out, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'default': no dnsmasq user or directory");
}
END_TEST

static Suite *dnsmasqconf_suite(void)
{
    Suite *s = suite_create("netd_dnsmasqconf");
    TCase *tc = tcase_create("golden");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_golden, 0, (int)MV_ARRAY_SIZE(cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("refused");
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_paths_required);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dnsmasqconf_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
