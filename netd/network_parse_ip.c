/*
 * The addressing parts of network XML: <ip> with its <dhcp> ranges and
 * static hosts, <route>, and the checks that need the whole definition
 * (one DHCP subnet per family, overlapping subnets, route gateways).
 * Every address is checked against the subnet it belongs to here, so the
 * dnsmasq configuration and the firewall rules built from a definition
 * never see a range or host dnsmasq would refuse at start.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "error_codes.h"
#include "net_mac.h"
#include "network_def.h"
#include "network_parse_priv.h"

/* dnsmasq refuses leases under two minutes and keeps them in 32 bits */
#define LEASE_MIN_SECONDS 120
#define LEASE_MAX_SECONDS UINT32_MAX
/* a DUID is at most 130 octets (RFC 8415) */
#define DUID_OCTETS_MAX 130

static const char *family_name(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* ---------------------------------------------------------- prefixes */

/* The prefix libvirt assumes when neither prefix= nor netmask= is given:
 * the old address class for IPv4, /64 for IPv6. */
static int default_prefix(const struct mv_inet *a, unsigned int *prefix)
{
    uint8_t first = ((const uint8_t *)&a->v4.s_addr)[0];

    if (a->family == AF_INET6)
        *prefix = 64;
    else if (first < 128)
        *prefix = 8;
    else if (first < 192)
        *prefix = 16;
    else if (first < 224)
        *prefix = 24;
    else
        return -EINVAL;
    return 0;
}

/* prefix= or netmask= of N (an <ip> or <route>) for address A. */
static int attr_prefix(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_inet *a, unsigned int *prefix,
                       bool *netmask_given)
{
    _cleanup_free_ char *mask = NULL;
    char buf[MV_INET_STRLEN];
    int r, has_prefix;

    if ((has_prefix = mv_xml_attr_uint_range(c, n, "prefix", false, 0, 128, prefix)) < 0 ||
        (r = mv_xml_attr_get(n, "netmask", &mask)) < 0)
        return has_prefix < 0 ? has_prefix : r;
    if (has_prefix && mask)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s> takes netmask= or prefix=, not both", n->name);
    if (mask && a->family != AF_INET)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s netmask=...> is for IPv4 only; use prefix= with %s",
                           n->name, NET_INET_STR(a, buf));
    if (mask && mv_inet_netmask_to_prefix(mask, prefix) < 0)
        return mv_xml_fail_value(c, n, "netmask", mask);
    *netmask_given = mask != NULL;
    if (!has_prefix && !mask && default_prefix(a, prefix) < 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s> with %s needs prefix= or netmask=", n->name,
                           NET_INET_STR(a, buf));
    if (*prefix == 0 || *prefix > mv_inet_max_prefix(a))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s> prefix %u is out of range for an %s address (1-%u)",
                           n->name, *prefix, family_name(a->family), mv_inet_max_prefix(a));
    return 0;
}

/* family='ipv4|ipv6', which must agree with the address. */
static int attr_family(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_inet *a, bool *given)
{
    _cleanup_free_ char *fam = NULL;
    char buf[MV_INET_STRLEN];
    int r = mv_xml_attr_choice(c, n, "family", (const char *const[]){ "ipv4", "ipv6", NULL }, &fam);

    if (r <= 0)
        return r;
    *given = true;
    if ((strcmp(fam, "ipv6") == 0) != (a->family == AF_INET6))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s family='%s'> does not match address %s", n->name, fam,
                           NET_INET_STR(a, buf));
    return 0;
}

/* "10.0.0.1/24" for messages */
static const char *cidr_str(const struct mv_inet *a, unsigned int prefix, char buf[MV_CIDR_STRLEN])
{
    char addr[MV_INET_STRLEN];

    snprintf(buf, MV_CIDR_STRLEN, "%s/%u", NET_INET_STR(a, addr), prefix);
    return buf;
}

/* IPv4 subnets of /30 and wider reserve their first and last address. */
static bool is_reserved(const struct mv_inet *a, const struct mv_inet *net, unsigned int prefix)
{
    struct mv_inet first, last;

    if (a->family != AF_INET || prefix >= 31)
        return false;
    first = mv_inet_network(net, prefix);
    last = mv_inet_broadcast(net, prefix);
    return mv_inet_equal(a, &first) || mv_inet_equal(a, &last);
}

/* ------------------------------------------------------------ leases */

int net_parse_lease(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_lease *lease)
{
    _cleanup_free_ char *exp = NULL;
    unsigned long long v;
    long long secs;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("expiry", "unit"))) < 0 || (r = mv_xml_attr_get(n, "expiry", &exp)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "expiry");
    if ((r = mv_xml_attr_choice(c, n, "unit", (const char *const[]){ "seconds", "minutes", "hours", NULL },
                                &lease->unit)) < 0)
        return r;
    if (mv_xml_parse_ull(exp, false, &v) < 0 || v > LEASE_MAX_SECONDS)
        return mv_xml_fail_value(c, n, "expiry", exp);
    lease->given = true;
    lease->expiry = (unsigned long)v;
    secs = mv_net_lease_seconds(lease);
    if (secs != 0 && secs < LEASE_MIN_SECONDS)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<lease expiry='%s' unit='%s'> is shorter than dnsmasq's minimum "
                           "of 2 minutes (0 means infinite)", exp, lease->unit ? lease->unit : "minutes");
    if (secs > LEASE_MAX_SECONDS)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<lease expiry='%s' unit='%s'> is longer than %u seconds", exp,
                           lease->unit ? lease->unit : "minutes", LEASE_MAX_SECONDS);
    return 0;
}

static int lease_child(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return net_parse_lease(c, n, obj);
}

static const struct mv_xml_rule lease_rules[] = {
    { "lease", lease_child, false },
};

/* -------------------------------------------------------------- dhcp */

/* The hosts of a <dhcp> parsed so far, found by MAC, id, name and IP, so
 * that each new one is checked against the earlier ones through the index
 * rather than by a scan (60000 hosts took 45 s that way).  Open addressing:
 * a slot holds a host's index + 1, 0 when empty. */
enum { KEY_MAC, KEY_ID, KEY_NAME, KEY_IP, KEYS };
struct host_index {
    size_t *slots[KEYS];
    size_t cap;                 /* slots per key, a power of two */
    size_t n;                   /* hosts indexed: ip->hosts[0..n) */
};

struct dhcp_parse {
    struct mv_net_ip *ip;
    struct host_index index;
};

static int dhcp_range(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_ip *ip = ((struct dhcp_parse *)obj)->ip;
    struct mv_net_dhcp_range *rg = MV_XML_GROW(ip->ranges, ip->nranges);
    char a[MV_INET_STRLEN], b[MV_INET_STRLEN], net[MV_CIDR_STRLEN];
    int r;

    if (!rg)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("start", "end"))) < 0 ||
        (r = net_attr_inet(c, n, "start", true, &rg->start)) < 0 || (r = net_attr_inet(c, n, "end", true, &rg->end)) < 0 ||
        (r = MV_XML_WALK(c, n, lease_rules, &rg->lease)) < 0)
        return r;
    NET_INET_STR(&rg->start, a);
    NET_INET_STR(&rg->end, b);
    cidr_str(&ip->address, ip->prefix, net);
    if (!mv_inet_in_subnet(&rg->start, &ip->address, ip->prefix) ||
        !mv_inet_in_subnet(&rg->end, &ip->address, ip->prefix))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "DHCP range %s - %s is not entirely within network %s", a, b, net);
    if (mv_inet_compare(&rg->start, &rg->end) > 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "DHCP range %s - %s is reversed (start after end)", a, b);
    if (is_reserved(&rg->start, &ip->address, ip->prefix) || is_reserved(&rg->end, &ip->address, ip->prefix))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "DHCP range %s - %s includes the network or broadcast address of "
                           "%s", a, b, net);
    return 0;
}

static int host_mac(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_net_ip *ip, struct mv_net_dhcp_host *h)
{
    _cleanup_free_ char *s = NULL;
    char mac[MV_MAC_STRLEN];
    int r = mv_xml_attr_get(n, "mac", &s);

    if (r <= 0)
        return r;
    if (ip->address.family != AF_INET)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<host mac=...> is for IPv4 hosts; an IPv6 host is matched by "
                           "id= (its DUID)");
    if (mv_mac_normalize(s, mac) < 0 || !mv_mac_is_unicast(mac))
        return mv_xml_fail_value(c, n, "mac", s);
    h->mac = strdup(mac);
    return h->mac ? 1 : -ENOMEM;
}

/* Hex octets separated by ':' ("0:3:0:1:52:54:..."), as dnsmasq reads a
 * client id; N octets into OCT.  False if S is not that or too long. */
static bool duid_octets(const char *s, unsigned char oct[DUID_OCTETS_MAX], size_t *n)
{
    *n = 0;
    while (*n < DUID_OCTETS_MAX) {
        size_t len = strcspn(s, ":");
        char buf[3];

        if (len == 0 || len > 2 || strspn(s, "0123456789abcdefABCDEF") < len)
            return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        oct[(*n)++] = (unsigned char)strtoul(buf, NULL, 16);
        if (s[len] == '\0')
            return true;
        s += len + 1;
    }
    return false;
}

/* The four DUID types (RFC 8415) with the lengths libvirt's schema allows:
 * link-layer plus time, enterprise number, link-layer, UUID. */
static bool duid_ok(const char *s)
{
    unsigned char o[DUID_OCTETS_MAX];
    size_t n;

    if (!duid_octets(s, o, &n) || n < 4 || o[0] != 0)
        return false;
    /* types 1 and 3 carry a hardware type 1-15 */
    if ((o[1] == 1 || o[1] == 3) && (o[2] != 0 || o[3] == 0 || o[3] > 15))
        return false;
    switch (o[1]) {
    case 1:
        return n >= 14 && n <= 16;
    case 2:
        return n >= 7 && n <= 130;
    case 3:
        return n >= 10 && n <= 12;
    case 4:
        return n == 18;
    default:
        return false;
    }
}

static int host_id(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_net_ip *ip, struct mv_net_dhcp_host *h)
{
    int r = mv_xml_attr_get(n, "id", &h->id);

    if (r <= 0)
        return r;
    if (ip->address.family != AF_INET6)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<host id=...> is for IPv6 hosts; an IPv4 host is matched by mac=");
    if (!duid_ok(h->id)) {
        _cleanup_free_ char *q = mv_xml_quote(h->id);

        return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "<host id='%s'> is not a DUID (hex octets '00:0N:...' of "
                               "type 1 to 4)", q) : -ENOMEM;
    }
    return 1;
}

static int host_name(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_dhcp_host *h)
{
    int r = mv_xml_attr_get(n, "name", &h->name);

    if (r <= 0)
        return r;
    /* a hostname dnsmasq hands out: letters, digits, '-', '.' */
    if (!mv_xml_token_ok(h->name, ".-") || h->name[0] == '.' || h->name[0] == '-')
        return mv_xml_fail_value(c, n, "name", h->name);
    return 1;
}

int net_parse_dhcp_host(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_net_ip *ip, struct mv_net_dhcp_host *h)
{
    char a[MV_INET_STRLEN], net[MV_CIDR_STRLEN];
    bool partial = c->flags & NET_PARSE_PARTIAL_HOST;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("mac", "id", "name", "ip"))) < 0 ||
        (r = host_mac(c, n, ip, h)) < 0 || (r = host_id(c, n, ip, h)) < 0 || (r = host_name(c, n, h)) < 0 ||
        (r = net_attr_inet(c, n, "ip", !partial, &h->ip)) < 0 || (r = MV_XML_WALK(c, n, lease_rules, &h->lease)) < 0)
        return r;
    if (!h->mac && !h->id && !h->name)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "static DHCP <host> in an %s network needs %s or name=",
                           family_name(ip->address.family), ip->address.family == AF_INET6 ? "id=" : "mac=");
    if (!mv_inet_is_set(&h->ip))
        return 0;
    cidr_str(&ip->address, ip->prefix, net);
    if (!mv_inet_in_subnet(&h->ip, &ip->address, ip->prefix))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "static DHCP host IP %s is not within network %s",
                           NET_INET_STR(&h->ip, a), net);
    if (mv_inet_equal(&h->ip, &ip->address) || is_reserved(&h->ip, &ip->address, ip->prefix))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "static DHCP host IP %s is reserved in network %s (the bridge's, "
                           "network or broadcast address)", NET_INET_STR(&h->ip, a), net);
    return 0;
}

static bool str_eq(const char *a, const char *b, bool nocase)
{
    return a && b && (nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0);
}

/* True (WHAT says which) if H and O share a MAC, id, name or IP, in that
 * order of precedence. */
static bool hosts_clash(const struct mv_net_dhcp_host *h, const struct mv_net_dhcp_host *o,
                        char what[NET_CLASH_STRLEN])
{
    char a[MV_INET_STRLEN];

    /* all validated tokens: safe to show as they are */
    if (str_eq(h->mac, o->mac, false))
        snprintf(what, NET_CLASH_STRLEN, "mac '%s'", h->mac);
    else if (str_eq(h->id, o->id, true))
        snprintf(what, NET_CLASH_STRLEN, "id '%s'", h->id);
    /* hostnames are case-insensitive in DNS */
    else if (str_eq(h->name, o->name, true))
        snprintf(what, NET_CLASH_STRLEN, "name '%s'", h->name);
    else if (mv_inet_is_set(&h->ip) && mv_inet_equal(&h->ip, &o->ip))
        snprintf(what, NET_CLASH_STRLEN, "ip '%s'", NET_INET_STR(&h->ip, a));
    else
        return false;
    return true;
}

bool net_dhcp_host_clash(const struct mv_net_ip *ip, size_t i, char what[NET_CLASH_STRLEN])
{
    for (size_t j = 0; j < ip->nhosts; j++)
        if (j != i && hosts_clash(&ip->hosts[i], &ip->hosts[j], what))
            return true;
    return false;
}

/* ---- the index of a <dhcp>'s hosts ---- */

static const char *key_text(const struct mv_net_dhcp_host *h, int k)
{
    return k == KEY_MAC ? h->mac : k == KEY_ID ? h->id : k == KEY_NAME ? h->name : NULL;
}

static bool has_key(const struct mv_net_dhcp_host *h, int k)
{
    return k == KEY_IP ? mv_inet_is_set(&h->ip) : key_text(h, k) != NULL;
}

/* FNV-1a over the key; ids and names fold case, as their comparison does */
static size_t key_hash(const struct mv_net_dhcp_host *h, int k)
{
    const unsigned char *p = (const unsigned char *)key_text(h, k);
    size_t len = p ? strlen((const char *)p) : 0, v = 14695981039346656037ull;

    if (k == KEY_IP) {
        p = h->ip.family == AF_INET6 ? (const unsigned char *)&h->ip.v6 : (const unsigned char *)&h->ip.v4;
        len = h->ip.family == AF_INET6 ? sizeof(h->ip.v6) : sizeof(h->ip.v4);
    }
    for (size_t i = 0; i < len; i++)
        v = (v ^ (k == KEY_ID || k == KEY_NAME ? (unsigned char)tolower(p[i]) : p[i])) * 1099511628211ull;
    return v;
}

static bool key_eq(const struct mv_net_dhcp_host *a, const struct mv_net_dhcp_host *b, int k)
{
    return k == KEY_IP ? mv_inet_equal(&a->ip, &b->ip) : str_eq(key_text(a, k), key_text(b, k), k != KEY_MAC);
}

/* The slot of HOSTS[I]'s key K: where an equal key sits, or the empty one
 * it would take. */
static size_t *key_slot(const struct host_index *x, const struct mv_net_dhcp_host *hosts, size_t i, int k)
{
    size_t s = key_hash(&hosts[i], k) & (x->cap - 1);

    while (x->slots[k][s] && !key_eq(&hosts[x->slots[k][s] - 1], &hosts[i], k))
        s = (s + 1) & (x->cap - 1);
    return &x->slots[k][s];
}

static void index_add(struct host_index *x, const struct mv_net_dhcp_host *hosts, size_t i)
{
    for (int k = 0; k < KEYS; k++) {
        size_t *slot = has_key(&hosts[i], k) ? key_slot(x, hosts, i, k) : NULL;

        if (slot && !*slot)
            *slot = i + 1;      /* the earliest host with a key keeps it */
    }
}

/* Room for one more host: at most half full, rebuilt when it doubles. */
static int index_reserve(struct host_index *x, const struct mv_net_dhcp_host *hosts)
{
    size_t cap = x->cap ? x->cap : 64;

    while (2 * (x->n + 1) > cap)
        cap *= 2;
    if (cap == x->cap)
        return 0;
    for (int k = 0; k < KEYS; k++) {
        free(x->slots[k]);
        if (!(x->slots[k] = calloc(cap, sizeof(size_t))))
            return -ENOMEM;
    }
    x->cap = cap;
    for (size_t i = 0; i < x->n; i++)
        index_add(x, hosts, i);
    return 0;
}

static void index_free(struct host_index *x)
{
    for (int k = 0; k < KEYS; k++)
        free(x->slots[k]);
}

/* As net_dhcp_host_clash for the newest host I against hosts 0..I, through
 * the index (the earliest host it clashes with, as a scan would find it);
 * then I joins the index.  1 clash, 0 none, -ENOMEM. */
static int index_check_add(struct host_index *x, const struct mv_net_dhcp_host *hosts, size_t i,
                           char what[NET_CLASH_STRLEN])
{
    size_t first = 0;

    if (index_reserve(x, hosts) < 0)
        return -ENOMEM;
    for (int k = 0; k < KEYS; k++) {
        size_t j = has_key(&hosts[i], k) ? *key_slot(x, hosts, i, k) : 0;

        if (j && (!first || j < first))
            first = j;
    }
    if (first && hosts_clash(&hosts[i], &hosts[first - 1], what))
        return 1;
    index_add(x, hosts, i);
    x->n = i + 1;
    return 0;
}

static int dhcp_host(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct dhcp_parse *p = obj;
    struct mv_net_ip *ip = p->ip;
    struct mv_net_dhcp_host *h = MV_XML_GROW(ip->hosts, ip->nhosts);
    char what[NET_CLASH_STRLEN];
    int r;

    if (!h)
        return -ENOMEM;
    if ((r = net_parse_dhcp_host(c, n, ip, h)) < 0 ||
        (r = index_check_add(&p->index, ip->hosts, ip->nhosts - 1, what)) < 0)
        return r;
    if (r > 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "there is already a DHCP host with %s", what);
    return 0;
}

static const struct mv_xml_rule dhcp_rules[] = {
    { "range", dhcp_range, true },
    { "host", dhcp_host, true },
};

static int ip_dhcp(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct dhcp_parse p = { .ip = obj };
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    p.ip->has_dhcp = true;
    if (r == 0)
        r = MV_XML_WALK(c, n, dhcp_rules, &p);
    index_free(&p.index);
    return r;
}

static const struct mv_xml_rule ip_rules[] = {
    { "dhcp", ip_dhcp, false },
};

/* ---------------------------------------------------------------- ip */

static int ip_address(struct mv_xml_ctx *c, const struct mv_net_ip *ip)
{
    char a[MV_INET_STRLEN], net[MV_CIDR_STRLEN];

    if (is_reserved(&ip->address, &ip->address, ip->prefix))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<ip address='%s'> is the network or broadcast address of %s",
                           NET_INET_STR(&ip->address, a), cidr_str(&ip->address, ip->prefix, net));
    return 0;
}

/* Every pair of a network's subnets is checked for overlap: 30000 <ip>s
 * took 17 s.  A bridge needs a handful; libvirt's own networks have one or
 * two. */
#define IPS_MAX 256

int net_parse_ip(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    struct mv_net_ip *ip;
    int r;

    if (def->nips >= IPS_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "more than %d <ip> elements", IPS_MAX);
    if (!(ip = MV_XML_GROW(def->ips, def->nips)))
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("address", "netmask", "prefix", "family", "localPtr"))) < 0 ||
        (r = net_attr_inet(c, n, "address", true, &ip->address)) < 0 ||
        (r = attr_family(c, n, &ip->address, &ip->family_given)) < 0 ||
        (r = attr_prefix(c, n, &ip->address, &ip->prefix, &ip->netmask_given)) < 0 ||
        (r = net_attr_tristate(c, n, "localPtr", false, &ip->local_ptr)) < 0 || (r = ip_address(c, ip)) < 0)
        return r;
    return MV_XML_WALK(c, n, ip_rules, ip);
}

/* ------------------------------------------------------------- route */

int net_parse_route(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    struct mv_net_route *rt = MV_XML_GROW(def->routes, def->nroutes);
    struct mv_inet net;
    char a[MV_INET_STRLEN], b[MV_INET_STRLEN];
    int r;

    if (!rt)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("family", "address", "prefix", "netmask", "gateway", "metric"))) < 0 ||
        (r = net_attr_inet(c, n, "address", true, &rt->address)) < 0 ||
        (r = attr_family(c, n, &rt->address, &rt->family_given)) < 0 ||
        (r = attr_prefix(c, n, &rt->address, &rt->prefix, &rt->netmask_given)) < 0 ||
        (r = net_attr_inet(c, n, "gateway", true, &rt->gateway)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "metric", false, 1, UINT32_MAX, &rt->metric)) < 0)
        return r;
    if (rt->gateway.family != rt->address.family)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<route> gateway %s is not of the same family as address %s",
                           NET_INET_STR(&rt->gateway, b), NET_INET_STR(&rt->address, a));
    net = mv_inet_network(&rt->address, rt->prefix);
    if (!mv_inet_equal(&net, &rt->address))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<route address='%s' prefix='%u'> has bits set after the prefix "
                           "(the network is %s)", NET_INET_STR(&rt->address, a), rt->prefix, NET_INET_STR(&net, b));
    return 0;
}

/* ------------------------------------------------- whole-network checks */

static int check_dhcp_per_family(struct mv_xml_ctx *c, const struct mv_net_def *def)
{
    for (int f = 0; f < 2; f++) {
        int family = f ? AF_INET6 : AF_INET;
        size_t n = 0;

        for (size_t i = 0; i < def->nips; i++)
            n += def->ips[i].address.family == family && def->ips[i].has_dhcp;
        if (n > 1)
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "more than one %s <ip> has <dhcp> (DHCP is served on "
                               "one %s subnet per network)", family_name(family), family_name(family));
    }
    return 0;
}

static int check_overlaps(struct mv_xml_ctx *c, const struct mv_net_def *def)
{
    char a[MV_CIDR_STRLEN], b[MV_CIDR_STRLEN];

    for (size_t i = 0; i < def->nips; i++)
        for (size_t j = i + 1; j < def->nips; j++)
            if (mv_inet_subnets_overlap(&def->ips[i].address, def->ips[i].prefix, &def->ips[j].address,
                                        def->ips[j].prefix))
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<ip> %s overlaps <ip> %s",
                                   cidr_str(&def->ips[i].address, def->ips[i].prefix, a),
                                   cidr_str(&def->ips[j].address, def->ips[j].prefix, b));
    return 0;
}

/* The kernel adds a route only through a gateway it can reach directly. */
static int check_route_gateways(struct mv_xml_ctx *c, const struct mv_net_def *def)
{
    char a[MV_INET_STRLEN];

    for (size_t i = 0; i < def->nroutes; i++) {
        const struct mv_net_route *rt = &def->routes[i];
        bool reachable = false;

        for (size_t j = 0; j < def->nips && !reachable; j++)
            reachable = mv_inet_in_subnet(&rt->gateway, &def->ips[j].address, def->ips[j].prefix);
        if (!reachable)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<route> gateway %s is not within any <ip> subnet", NET_INET_STR(&rt->gateway, a));
    }
    return 0;
}

int net_check_ips(struct mv_xml_ctx *c, const struct mv_net_def *def)
{
    int r;

    if ((r = check_dhcp_per_family(c, def)) < 0 || (r = check_overlaps(c, def)) < 0 ||
        (r = check_route_gateways(c, def)) < 0)
        return r;
    return 0;
}
