/*
 * dnsmasq's configuration for a network definition.  Golden files:
 * tests/dnsmasqconf/NAME.xml (network XML, read with the netd parser) ->
 * NAME.conf, and NAME.hostsfile / NAME.addnhosts when the network has such
 * entries; MV_REGENERATE=1 rewrites the outputs.  Values the parser
 * refuses, which the generator must refuse too, are set in C on a parsed
 * definition.
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
#include "golden.h"
#include "testutil.h"

#define REAL_DNSMASQ "/usr/sbin/dnsmasq"

static const struct mv_dnsmasq_paths fixed_paths = {
    .dir = "/run/modvirt/network/dnsmasq", .user = "dnsmasq", .binary = REAL_DNSMASQ,
    .logdir = "/var/log/modvirt/network",
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

static void host(struct mv_net_ip *i, const char *mac, const char *name, const char *a)
{
    i->hosts = grow(i->hosts, &i->nhosts, sizeof(*i->hosts));
    i->hosts[i->nhosts - 1] = (struct mv_net_dhcp_host){
        .mac = xstrdup(mac), .name = xstrdup(name), .ip = addr(a),
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


/* ---- golden files ---- */

#define FIXTURES "dnsmasqconf"

static char **names;  /* NAME of each tests/dnsmasqconf/NAME.xml, sorted */
static size_t nnames;

static struct mv_net_def *parse_input(const char *name)
{
    _cleanup_free_ char *xml = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *err = NULL;
    struct mv_net_def *def = NULL;

    ck_assert_msg(mv_net_def_parse(xml, &def, &err) == 0, "%s.xml does not parse: %s", name, err);
    return def;
}

/* Compares TEXT with NAME SUFFIX; an empty output has no file at all,
 * as netd writes none. */
static void golden(const char *name, const char *suffix, const char *text)
{
    _cleanup_free_ char *path = NULL;

    if (*text) {
        mv_test_golden(FIXTURES, name, suffix, text);
        return;
    }
    path = mv_test_golden_path(FIXTURES, name, suffix);
    if (mv_test_regenerate())
        (void)unlink(path);
    else
        ck_assert_msg(access(path, F_OK) != 0 && errno == ENOENT, "%s exists but the output is empty", path);
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
    p.logdir = dir;
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
    const char *name = names[_i];
    _cleanup_net_def_ struct mv_net_def *def = parse_input(name);
    _cleanup_free_ char *conf = NULL, *hosts = NULL, *addn = NULL, *err = NULL;

    ck_assert_msg(mv_dnsmasq_conf(def, &fixed_paths, &conf, &err) == 0, "%s: %s", name, err);
    ck_assert_int_eq(mv_dnsmasq_hostsfile(def, &hosts, NULL), 0);
    ck_assert_int_eq(mv_dnsmasq_addnhosts(def, &addn, NULL), 0);
    golden(name, ".conf", conf);
    golden(name, ".hostsfile", hosts);
    golden(name, ".addnhosts", addn);
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

    d = parse_input("default");
    txt(d, "a,b", "x");
    refused(d, NULL, "network 'default': dns txt name 'a,b' cannot be written");

    d = parse_input("default");
    txt(d, "motd", "line\nserver=6.6.6.6");
    refused(d, NULL, "dns txt value 'line\\x0aserver=6.6.6.6'");

    d = parse_input("default");
    d->domain_name = xstrdup("evil\nconf-file=/etc/shadow");
    refused(d, NULL, "domain name");

    d = parse_input("default");
    srv(d, "ldap", "tcp")->has_port = true;
    refused(d, NULL, "dns srv record '_ldap._tcp' has a port, priority or weight but no target");

    d = parse_input("default");
    free(d->bridge.name);
    d->bridge.name = NULL;
    refused(d, NULL, "network 'default' has no bridge name");

    d = parse_input("default");
    host(&d->ips[0], "52:54:00:00:00:01", "a,b", "192.168.122.9");
    refused(d, mv_dnsmasq_hostsfile, "dhcp host name 'a,b'");

    d = parse_input("default");
    dns_host(d, "192.168.122.9", "two words", NULL);
    refused(d, mv_dnsmasq_addnhosts, "dns hostname 'two words'");
}
END_TEST

START_TEST(test_paths_required)
{
    _cleanup_net_def_ struct mv_net_def *d = parse_input("default");
    _cleanup_free_ char *out = NULL, *err = NULL;
    struct mv_dnsmasq_paths p = fixed_paths;

    p.user = NULL;
    ck_assert_int_eq(mv_dnsmasq_conf(d, &p, &out, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'default': no dnsmasq user, directory or log directory");
    free(TAKE_PTR(out));
    free(TAKE_PTR(err));
    p = fixed_paths;
    p.logdir = NULL;
    ck_assert_int_eq(mv_dnsmasq_conf(d, &p, &out, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'default': no dnsmasq user, directory or log directory");
}
END_TEST

static Suite *dnsmasqconf_suite(void)
{
    Suite *s = suite_create("netd_dnsmasqconf");
    TCase *tc = tcase_create("golden");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_golden, 0, (int)nnames);
    suite_add_tcase(s, tc);
    tc = tcase_create("refused");
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_paths_required);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    /* a lost input directory must not pass as "nothing to test" */
    nnames = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_ALL, 9, &names);
    sr = srunner_create(dnsmasqconf_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(names);
    return n ? 1 : 0;
}
