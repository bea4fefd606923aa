/*
 * dnsmasq's configuration for one network, and its two hosts files: pure
 * functions of the definition (golden-tested in tests/dnsmasqconf).
 *
 * The choices, each for a reason:
 * - strict-order: forwarders are asked in the order the XML lists them, as
 *   the user wrote them.
 * - interface=BRIDGE, except-interface=lo, bind-dynamic: dnsmasq answers on
 *   the bridge only, never on the host's other interfaces or loopback (where
 *   the host's own resolver may listen), and binds the bridge's addresses as
 *   they come, so it starts before the bridge has its IPv6 address settled.
 * - no-resolv when the XML names forwarders for all domains: then only they
 *   are asked, and the host's /etc/resolv.conf does not add others behind
 *   the user's back.
 * - port=0 for <dns enable='no'>: no DNS at all, DHCP alone.
 * - dhcp-no-override, dhcp-authoritative: the bridge is ours, so dnsmasq
 *   answers clients with leases from an earlier run at once instead of
 *   making them wait, and never uses the BOOTP file/sname fields for options.
 * - dhcp-lease-max: the sum of the range sizes plus the static hosts, so a
 *   big subnet is not cut at dnsmasq's default of 1000.
 * - enable-ra with IPv6: dnsmasq sends the router advertisements, so guests
 *   get the prefix and route without radvd.
 * - static hosts and <dns><host>s live in files of their own (dhcp-hostsfile,
 *   addn-hosts) that net-update rewrites before a SIGHUP: no restart.
 * - dhcp-leasefile: dnsmasq keeps its own lease file, which it reads back
 *   when it starts again, so leases survive a dnsmasq and a netd restart.
 * - user=: dnsmasq drops root after opening its sockets and files.
 * - log-facility=LOGDIR/NAME-dnsmasq.log: dnsmasq's own lines (why it
 *   refused a client, why it died) would go to syslog, which these hosts
 *   may not run.  dnsmasq opens the file as root and hands it to its user.
 *
 * A value that would break out of its line or field (a newline, a comma
 * where fields are comma-separated) is refused, not escaped: the parser
 * refuses such XML already, this is the last guard before a config file.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "errmsg.h"

/* dnsmasq keeps dhcp-lease-max in an int */
#define LEASE_MAX_CAP INT_MAX

/* A config text being built; ERR latches the first failure. */
struct text {
    FILE *f;
    char *buf;
    size_t len;
    int err;
    char *errmsg;
    const char *net;            /* the network's name, for messages */
};

static int text_open(struct text *t, const char *net)
{
    *t = (struct text){ .net = net };
    t->f = open_memstream(&t->buf, &t->len);
    return t->f ? 0 : -ENOMEM;
}

/* Closes T: 0 with the text in *OUT, or T's error with *ERRMSG. */
static int text_close(struct text *t, char **out, char **errmsg)
{
    if (fclose(t->f) != 0 && !t->err)
        t->err = -ENOMEM;
    if (t->err) {
        free(t->buf);
        if (errmsg)
            *errmsg = t->errmsg;
        else
            free(t->errmsg);
        return t->err;
    }
    *out = t->buf;
    return 0;
}

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;

    if (t->err)
        return;
    va_start(ap, fmt);
    if (vfprintf(t->f, fmt, ap) < 0)
        t->err = -ENOMEM;
    va_end(ap);
}

/* True if S may be written into a field: no control characters, none of
 * FORBID.  Otherwise latches -EINVAL naming WHAT. */
static bool ok_value(struct text *t, const char *what, const char *s, const char *forbid)
{
    _cleanup_free_ char *q = NULL;

    if (t->err)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr(forbid, *p))
            goto bad;
    return true;
bad:
    q = mv_errmsg_quote(s, strlen(s), MV_ERRMSG_QUOTE_MAX);
    t->err = mv_errmsg_set(&t->errmsg, -EINVAL,
                           "network '%s': %s '%s' cannot be written into dnsmasq's configuration",
                           t->net, what, q ? q : "?");
    return false;
}

/* Lease time in dnsmasq's spelling ("infinite" or seconds); "" if not given. */
static const char *lease_text(const struct mv_net_lease *lease, char buf[32])
{
    long long s = mv_net_lease_seconds(lease);

    if (s < 0)
        buf[0] = '\0';
    else if (s == 0)
        snprintf(buf, 32, ",infinite");
    else
        snprintf(buf, 32, ",%lld", s);
    return buf;
}

/* ---- the hosts files ---- */

static void put_dhcp_host(struct text *t, const struct mv_net_ip *ip, const struct mv_net_dhcp_host *h)
{
    char addr[MV_INET_STRLEN], lease[32];
    bool v6 = ip->address.family == AF_INET6;
    const char *sep = "";

    if ((h->mac && !ok_value(t, "dhcp host mac", h->mac, ", ")) ||
        (h->id && !ok_value(t, "dhcp host id", h->id, ", ")) ||
        (h->name && !ok_value(t, "dhcp host name", h->name, ", ")))
        return;
    /* IPv4 hosts are matched by MAC, IPv6 hosts by DUID (dnsmasq's id:) */
    if (h->mac && !v6)
        put(t, "%s", h->mac), sep = ",";
    else if (h->id)
        put(t, "id:%s", h->id), sep = ",";
    if (mv_inet_is_set(&h->ip))
        put(t, v6 ? "%s[%s]" : "%s%s", sep, mv_inet_format(&h->ip, addr)), sep = ",";
    if (h->name)
        put(t, "%s%s", sep, h->name), sep = ",";
    put(t, "%s\n", *sep ? lease_text(&h->lease, lease) : "");
}

int mv_dnsmasq_hostsfile(const struct mv_net_def *def, char **text, char **errmsg)
{
    struct text t;

    if (text_open(&t, def->name) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < def->nips; i++)
        for (size_t j = 0; j < def->ips[i].nhosts; j++)
            put_dhcp_host(&t, &def->ips[i], &def->ips[i].hosts[j]);
    return text_close(&t, text, errmsg);
}

int mv_dnsmasq_addnhosts(const struct mv_net_def *def, char **text, char **errmsg)
{
    char addr[MV_INET_STRLEN];
    struct text t;

    if (text_open(&t, def->name) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < def->dns.nhosts; i++) {
        const struct mv_net_dns_host *h = &def->dns.hosts[i];

        put(&t, "%s", mv_inet_format(&h->ip, addr));
        for (size_t j = 0; j < h->nhostnames; j++)
            if (ok_value(&t, "dns hostname", h->hostnames[j], " \t#"))
                put(&t, " %s", h->hostnames[j]);
        put(&t, "\n");
    }
    return text_close(&t, text, errmsg);
}

/* ---- the configuration ---- */

static void put_path(struct text *t, const char *key, const struct mv_dnsmasq_paths *paths,
                     const char *suffix)
{
    if (ok_value(t, "dnsmasq directory", paths->dir, ""))
        put(t, "%s=%s/%s.%s\n", key, paths->dir, t->net, suffix);
}

static void put_interface(struct text *t, const struct mv_net_def *def)
{
    if (!def->bridge.name) {
        t->err = mv_errmsg_set(&t->errmsg, -EINVAL, "network '%s' has no bridge name for dnsmasq",
                               def->name);
        return;
    }
    if (!ok_value(t, "bridge name", def->bridge.name, ",/ "))
        return;
    put(t, "except-interface=lo\nbind-dynamic\ninterface=%s\n", def->bridge.name);
}

static void put_domain(struct text *t, const struct mv_net_def *def)
{
    if (def->domain_name && ok_value(t, "domain name", def->domain_name, ",/ ")) {
        put(t, "domain=%s\nexpand-hosts\n", def->domain_name);
        /* localOnly: names in the domain are never forwarded upstream */
        if (def->domain_local_only == MV_NET_YES)
            put(t, "local=/%s/\n", def->domain_name);
    }
    /* forwardPlainNames='no': names without a dot stay in the network */
    if (def->dns.forward_plain_names == MV_NET_NO)
        put(t, "domain-needed\nlocal=//\n");
}

static void put_forwarders(struct text *t, const struct mv_net_dns *dns)
{
    char addr[MV_INET_STRLEN];

    for (size_t i = 0; i < dns->nforwarders; i++)
        if (!dns->forwarders[i].domain && mv_inet_is_set(&dns->forwarders[i].addr)) {
            put(t, "no-resolv\n");
            break;
        }
    for (size_t i = 0; i < dns->nforwarders; i++) {
        const struct mv_net_dns_forwarder *f = &dns->forwarders[i];

        if (f->domain && !ok_value(t, "dns forwarder domain", f->domain, ",/# "))
            return;
        if (f->domain)
            /* '#' is dnsmasq's "the usual servers" for a domain without addr */
            put(t, "server=/%s/%s\n", f->domain,
                mv_inet_is_set(&f->addr) ? mv_inet_format(&f->addr, addr) : "#");
        else if (mv_inet_is_set(&f->addr))
            put(t, "server=%s\n", mv_inet_format(&f->addr, addr));
    }
}

static void put_srv(struct text *t, const struct mv_net_dns_srv *s)
{
    /* fields are positional: write every one up to the last given */
    int last = s->has_weight ? 4 : s->has_priority ? 3 : s->has_port ? 2 : s->target ? 1 : 0;

    if (!ok_value(t, "dns srv service", s->service, ",. ") ||
        !ok_value(t, "dns srv protocol", s->protocol, ",. ") ||
        (s->domain && !ok_value(t, "dns srv domain", s->domain, ", ")) ||
        (s->target && !ok_value(t, "dns srv target", s->target, ", ")))
        return;
    if (last > 1 && !s->target) {
        t->err = mv_errmsg_set(&t->errmsg, -EINVAL,
                               "network '%s': dns srv record '_%s._%s' has a port, priority or "
                               "weight but no target", t->net, s->service, s->protocol);
        return;
    }
    put(t, "srv-host=_%s._%s", s->service, s->protocol);
    if (s->domain)
        put(t, ".%s", s->domain);
    if (last >= 1)
        put(t, ",%s", s->target);
    if (last >= 2)
        put(t, ",%u", s->port);
    if (last >= 3)
        put(t, ",%u", s->priority);
    if (last >= 4)
        put(t, ",%u", s->weight);
    put(t, "\n");
}

static void put_txt(struct text *t, const struct mv_net_dns_txt *x)
{
    if (!ok_value(t, "dns txt name", x->name, ", ") || !ok_value(t, "dns txt value", x->value, ""))
        return;
    /* quoted, so commas in the value stay in it; dnsmasq unescapes \\ and \" */
    put(t, "txt-record=%s,\"", x->name);
    for (const char *p = x->value; *p; p++)
        put(t, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    put(t, "\"\n");
}

static void put_dns(struct text *t, const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths)
{
    if (def->dns.enable == MV_NET_NO) {
        put(t, "port=0\n");
        return;
    }
    put_domain(t, def);
    put_forwarders(t, &def->dns);
    for (size_t i = 0; i < def->dns.nsrvs; i++)
        put_srv(t, &def->dns.srvs[i]);
    for (size_t i = 0; i < def->dns.ntxts; i++)
        put_txt(t, &def->dns.txts[i]);
    put_path(t, "addn-hosts", paths, "addnhosts");
}

/* IPv4 ranges carry the netmask, IPv6 ranges the prefix length. */
static void put_mask(struct text *t, const struct mv_net_ip *ip)
{
    if (ip->address.family == AF_INET6) {
        put(t, ",%u", ip->prefix);
    } else {
        unsigned long m = ip->prefix ? 0xffffffffUL << (32 - ip->prefix) & 0xffffffffUL : 0;

        put(t, ",%lu.%lu.%lu.%lu", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
    }
}

/* dhcp-range lines of IP; adds their sizes to *LEASES. */
static void put_ranges(struct text *t, const struct mv_net_ip *ip, unsigned long long *leases)
{
    char a[MV_INET_STRLEN], b[MV_INET_STRLEN], lease[32];

    for (size_t i = 0; i < ip->nranges; i++) {
        const struct mv_net_dhcp_range *r = &ip->ranges[i];
        unsigned long long n = mv_inet_range_size(&r->start, &r->end);

        put(t, "dhcp-range=%s,%s", mv_inet_format(&r->start, a), mv_inet_format(&r->end, b));
        put_mask(t, ip);
        put(t, "%s\n", lease_text(&r->lease, lease));
        *leases = *leases > ULLONG_MAX - n ? ULLONG_MAX : *leases + n;
    }
    if (ip->nranges == 0 && ip->nhosts > 0) {
        /* static hosts alone: dnsmasq serves only the hostsfile's addresses */
        struct mv_inet net = mv_inet_network(&ip->address, ip->prefix);

        put(t, "dhcp-range=%s,static", mv_inet_format(&net, a));
        put_mask(t, ip);
        put(t, "\n");
    }
    *leases = *leases > ULLONG_MAX - ip->nhosts ? ULLONG_MAX : *leases + ip->nhosts;
}

static void put_dhcp(struct text *t, const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths)
{
    unsigned long long leases = 0;
    bool dhcp = false, v6 = false;

    for (size_t i = 0; i < def->nips; i++) {
        const struct mv_net_ip *ip = &def->ips[i];

        if (ip->address.family == AF_INET6)
            v6 = true;
        if (ip->has_dhcp && (ip->nranges || ip->nhosts)) {
            put_ranges(t, ip, &leases);
            dhcp = true;
        } else if (ip->address.family == AF_INET6) {
            /* no DHCPv6: the prefix is still advertised (SLAAC) */
            char a[MV_INET_STRLEN];
            struct mv_inet net = mv_inet_network(&ip->address, ip->prefix);

            put(t, "dhcp-range=%s,ra-only,%u\n", mv_inet_format(&net, a), ip->prefix);
        }
    }
    if (v6)
        put(t, "enable-ra\n");
    if (!dhcp)
        return;
    put(t, "dhcp-no-override\ndhcp-authoritative\ndhcp-lease-max=%llu\n",
        leases > LEASE_MAX_CAP ? (unsigned long long)LEASE_MAX_CAP : leases);
    put_path(t, "dhcp-leasefile", paths, "leases");
    put_path(t, "dhcp-hostsfile", paths, "hostsfile");
}

int mv_dnsmasq_conf(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                    char **conf, char **errmsg)
{
    struct text t;

    if (text_open(&t, def->name) < 0)
        return -ENOMEM;
    if (!paths->user || !paths->dir || !paths->logdir)
        t.err = mv_errmsg_set(&t.errmsg, -EINVAL, "network '%s': no dnsmasq user, directory or log directory",
                              def->name);
    else if (ok_value(&t, "network name", def->name, "/ ") && ok_value(&t, "user", paths->user, " "))
        put(&t, "## modvirt-netd: dnsmasq for network '%s'; rewritten at each start, do not edit\n"
            "strict-order\nuser=%s\n", def->name, paths->user);
    if (ok_value(&t, "dnsmasq log directory", paths->logdir ? paths->logdir : "", ""))
        put(&t, "log-facility=%s/%s-dnsmasq.log\n", paths->logdir, def->name);
    put_path(&t, "pid-file", paths, "pid");
    put_interface(&t, def);
    put_dns(&t, def, paths);
    put_dhcp(&t, def, paths);
    return text_close(&t, conf, errmsg);
}
