/*
 * Network XML -> struct mv_net_def: the root and every section but <ip> and
 * <route> (network_parse_ip.c).  The walk is the strict XML core's
 * (common/xml_strict.h): each element and attribute is stored or refused by
 * name, so nothing the user wrote is dropped silently.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "net_mac.h"
#include "network_def.h"
#include "network_parse_priv.h"
#include "xml.h"

/* Largest MTU a Linux bridge takes (IP_MAX_MTU); 68 is IPv4's minimum. */
#define NET_MTU_MIN 68
#define NET_MTU_MAX 65535

/* ------------------------------------------------------ shared getters */

int net_attr_tristate(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool onoff,
                      enum mv_net_tristate *out)
{
    bool v;
    int r = onoff ? mv_xml_attr_onoff(c, n, name, &v) : mv_xml_attr_yesno(c, n, name, &v);

    if (r > 0)
        *out = v ? MV_NET_YES : MV_NET_NO;
    return r;
}

int net_attr_inet(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool required, struct mv_inet *out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r < 0)
        return r;
    if (r == 0)
        return required ? mv_xml_fail_missing_attr(c, n, name) : 0;
    if (mv_inet_parse(s, out) < 0)
        return mv_xml_fail_value(c, n, name, s);
    return 1;
}

int net_attr_dnsname(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool required, char **out)
{
    int r = mv_xml_attr_token(c, n, name, ".-", out);

    if (r == 0 && required)
        return mv_xml_fail_missing_attr(c, n, name);
    return r;
}

/* An interface name we may hand to the kernel and to nftables: at most
 * IFNAMSIZ-1 bytes of letters, digits, '_', '.', '-' (libvirt's schema
 * allows ':' and '/' too, which the kernel refuses). */
static int attr_ifname(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, char **out)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *q = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (strlen(s) > MV_NET_IFNAME_MAX || !mv_xml_token_ok(s, "_.-") || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0) {
        q = mv_xml_quote(s);
        if (!q)
            return -ENOMEM;
        return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                           "invalid interface name '%s' in <%s %s=...>: at most %d bytes of letters, digits, "
                           "'_', '.' and '-'", q, n->name, name, MV_NET_IFNAME_MAX);
    }
    *out = TAKE_PTR(s);
    return 1;
}

/* ------------------------------------------------- name, uuid, texts */

static int parse_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* the value was taken (and checked) by mv_xml_prescan_name() */
    (void)obj;
    return mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);
}

static int parse_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_uuid(c, n, ((struct mv_net_def *)obj)->uuid);
}

static int parse_title(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_title(c, n, &((struct mv_net_def *)obj)->title);
}

static int parse_description(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct mv_net_def *)obj)->description);
}

static int parse_metadata(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_metadata(c, n, &((struct mv_net_def *)obj)->metadata);
}

/* -------------------------------------------------------------- forward */

static int nat_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_nat *nat = obj;
    char a[MV_INET_STRLEN], b[MV_INET_STRLEN];
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("start", "end"))) < 0 ||
        (r = net_attr_inet(c, n, "start", true, &nat->addr_start)) < 0 ||
        (r = net_attr_inet(c, n, "end", true, &nat->addr_end)) < 0)
        return r;
    if (nat->addr_start.family != AF_INET || nat->addr_end.family != AF_INET)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<nat><address> takes IPv4 addresses only");
    if (mv_inet_compare(&nat->addr_start, &nat->addr_end) > 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<nat><address> start %s is after end %s",
                           NET_INET_STR(&nat->addr_start, a), NET_INET_STR(&nat->addr_end, b));
    return 0;
}

static int nat_port(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_nat *nat = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("start", "end"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "start", false, 1, 65535, &nat->port_start)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "start");
    if ((r = mv_xml_attr_uint_range(c, n, "end", false, 1, 65535, &nat->port_end)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "end");
    if (nat->port_start > nat->port_end)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<nat><port> start %u is after end %u", nat->port_start,
                           nat->port_end);
    return 0;
}

static const struct mv_xml_rule nat_rules[] = {
    { "address", nat_address, false },
    { "port", nat_port, false },
};

static int forward_nat(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_forward_def *fwd = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    if (r < 0)
        return r;
    if (fwd->mode != MV_NET_FWD_NAT)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<forward><nat> is only allowed with <forward mode='nat'>");
    return MV_XML_WALK(c, n, nat_rules, &fwd->nat);
}

static const struct mv_xml_rule forward_rules[] = {
    { "nat", forward_nat, false },
};

/* libvirt's modes for SR-IOV and macvtap: named, so the refusal says why */
static bool forward_mode_known_elsewhere(const char *s)
{
    static const char *const modes[] = { "passthrough", "private", "vepa", "hostdev" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(modes); i++)
        if (strcmp(s, modes[i]) == 0)
            return true;
    return false;
}

static int forward_mode(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_forward_def *fwd)
{
    _cleanup_free_ char *s = NULL;
    int mode, r = mv_xml_attr_get(n, "mode", &s);

    if (r < 0)
        return r;
    /* <forward/> without a mode is NAT, as in libvirt */
    mode = r == 0 ? MV_NET_FWD_NAT : mv_net_forward_from_string(s);
    if (mode > MV_NET_FWD_NONE) {
        fwd->mode = mode;
        return 0;
    }
    if (forward_mode_known_elsewhere(s))
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<forward mode='%s'> is not supported (only nat, route, "
                           "open and bridge)", s);
    return mv_xml_fail_value(c, n, "mode", s);
}

static int parse_forward(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_forward_def *fwd = &((struct mv_net_def *)obj)->forward;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("mode", "dev"))) < 0 || (r = forward_mode(c, n, fwd)) < 0 ||
        (r = attr_ifname(c, n, "dev", &fwd->dev)) < 0)
        return r;
    if (fwd->dev && fwd->mode != MV_NET_FWD_NAT && fwd->mode != MV_NET_FWD_ROUTE)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<forward dev=...> is only supported with mode 'nat' or "
                           "'route', not '%s'", mv_net_forward_to_string(fwd->mode));
    return MV_XML_WALK(c, n, forward_rules, fwd);
}

/* ------------------------------------------------- bridge, mac, mtu, domain */

static int parse_bridge(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_bridge *br = &((struct mv_net_def *)obj)->bridge;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "stp", "delay"))) < 0 ||
        (r = attr_ifname(c, n, "name", &br->name)) < 0 ||
        (r = net_attr_tristate(c, n, "stp", true, &br->stp)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "delay", false, 0, UINT32_MAX, &br->delay)) < 0)
        return r;
    br->has_delay = r > 0;
    return 0;
}

static int parse_mac(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    _cleanup_free_ char *s = NULL;
    char mac[MV_MAC_STRLEN];
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("address"))) < 0 || (r = mv_xml_attr_get(n, "address", &s)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "address");
    if (mv_mac_normalize(s, mac) < 0)
        return mv_xml_fail_value(c, n, "address", s);
    if (!mv_mac_is_unicast(mac))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<mac address='%s'> is a multicast address; a bridge needs a "
                           "unicast one", mac);
    def->mac = strdup(mac);
    return def->mac ? 0 : -ENOMEM;
}

static int parse_mtu(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("size"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "size", false, NET_MTU_MIN, NET_MTU_MAX, &def->mtu)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "size") : 0;
}

static int parse_domain(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "localOnly"))) < 0 ||
        (r = net_attr_dnsname(c, n, "name", true, &def->domain_name)) < 0)
        return r;
    r = net_attr_tristate(c, n, "localOnly", false, &def->domain_local_only);
    return r < 0 ? r : 0;
}

/* bandwidth needs the sfq qdisc, which this kernel does not have */
static int parse_bandwidth(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    (void)n;
    (void)obj;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                       "unknown element <bandwidth> (quality of service needs the sfq qdisc, which this kernel "
                       "lacks)");
}

/* ------------------------------------------------------------------ dns */

static int dns_forwarder(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_dns *dns = obj;
    struct mv_net_dns_forwarder *f = MV_XML_GROW(dns->forwarders, dns->nforwarders);
    int r;

    if (!f)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("addr", "domain"))) < 0 ||
        (r = net_attr_inet(c, n, "addr", false, &f->addr)) < 0 ||
        (r = net_attr_dnsname(c, n, "domain", false, &f->domain)) < 0)
        return r;
    if (!mv_inet_is_set(&f->addr) && !f->domain)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<dns><forwarder> needs addr= or domain=");
    return 0;
}

static int dns_txt(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_dns *dns = obj;
    struct mv_net_dns_txt *t = MV_XML_GROW(dns->txts, dns->ntxts);
    int r;

    if (!t)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "value"))) < 0 ||
        (r = net_attr_dnsname(c, n, "name", true, &t->name)) < 0 || (r = mv_xml_attr_get(n, "value", &t->value)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "value");
    /* one line of dnsmasq's configuration holds it */
    if (strpbrk(t->value, "\r\n\""))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<dns><txt name='%s'> value must be one line without '\"'",
                           t->name);
    return 0;
}

static int srv_number(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, unsigned int *v, bool *has)
{
    int r = mv_xml_attr_uint_range(c, n, name, false, 0, 65535, v);

    *has = r > 0;
    return r < 0 ? r : 0;
}

static int dns_srv(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_dns *dns = obj;
    struct mv_net_dns_srv *s = MV_XML_GROW(dns->srvs, dns->nsrvs);
    int r;

    if (!s)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("service", "protocol", "domain", "target", "port", "priority",
                                            "weight"))) < 0 ||
        (r = mv_xml_attr_token(c, n, "service", "_-", &s->service)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "service");
    if ((r = mv_xml_attr_choice(c, n, "protocol", (const char *const[]){ "tcp", "udp", NULL }, &s->protocol)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "protocol");
    if ((r = net_attr_dnsname(c, n, "domain", false, &s->domain)) < 0 ||
        (r = net_attr_dnsname(c, n, "target", false, &s->target)) < 0 ||
        (r = srv_number(c, n, "port", &s->port, &s->has_port)) < 0 ||
        (r = srv_number(c, n, "priority", &s->priority, &s->has_priority)) < 0 ||
        (r = srv_number(c, n, "weight", &s->weight, &s->has_weight)) < 0)
        return r;
    return 0;
}

static int host_hostname(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_dns_host *h = obj;
    _cleanup_free_ char *s = NULL;
    char **slot = MV_XML_GROW(h->hostnames, h->nhostnames);
    int r;

    if (!slot)
        return -ENOMEM;
    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    if (!mv_xml_token_ok(mv_xml_trim(s), ".-"))
        return mv_xml_fail_value(c, n, NULL, s);
    *slot = strdup(mv_xml_trim(s));
    return *slot ? 0 : -ENOMEM;
}

static const struct mv_xml_rule dns_host_rules[] = {
    { "hostname", host_hostname, true },
};

int net_parse_dns_host(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_dns_host *h)
{
    bool partial = c->flags & NET_PARSE_PARTIAL_HOST;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("ip"))) < 0 ||
        (r = net_attr_inet(c, n, "ip", !partial, &h->ip)) < 0 || (r = MV_XML_WALK(c, n, dns_host_rules, h)) < 0)
        return r;
    if (partial && !mv_inet_is_set(&h->ip) && h->nhostnames == 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<host> needs ip= or a <hostname>");
    if (!partial && h->nhostnames == 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<dns><host> needs at least one <hostname>");
    return 0;
}

static int dns_host(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_dns *dns = obj;
    struct mv_net_dns_host *h = MV_XML_GROW(dns->hosts, dns->nhosts);

    return h ? net_parse_dns_host(c, n, h) : -ENOMEM;
}

static const struct mv_xml_rule dns_rules[] = {
    { "forwarder", dns_forwarder, true },
    { "txt", dns_txt, true },
    { "srv", dns_srv, true },
    { "host", dns_host, true },
};

static int parse_dns(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_net_def *def = obj;
    struct mv_net_dns *dns = &def->dns;
    int r;

    def->has_dns = true;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("enable", "forwardPlainNames"))) < 0 ||
        (r = net_attr_tristate(c, n, "enable", false, &dns->enable)) < 0 ||
        (r = net_attr_tristate(c, n, "forwardPlainNames", false, &dns->forward_plain_names)) < 0 ||
        (r = MV_XML_WALK(c, n, dns_rules, dns)) < 0)
        return r;
    if (dns->enable == MV_NET_NO && (dns->nforwarders || dns->nhosts || dns->nsrvs || dns->ntxts))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<dns enable='no'> cannot have forwarders, hosts, srv or txt "
                           "records");
    return 0;
}

/* ---------------------------------------------------------------- root */

static const struct mv_xml_rule network_rules[] = {
    { "name", parse_name, false },
    { "uuid", parse_uuid, false },
    { "title", parse_title, false },
    { "description", parse_description, false },
    { "metadata", parse_metadata, false },
    { "forward", parse_forward, false },
    { "bridge", parse_bridge, false },
    { "mac", parse_mac, false },
    { "mtu", parse_mtu, false },
    { "domain", parse_domain, false },
    { "dns", parse_dns, false },
    { "bandwidth", parse_bandwidth, false },
    { "ip", net_parse_ip, true },
    { "route", net_parse_route, true },
};

/* A host bridge is the admin's: we only attach ports to it. */
static int check_bridge_mode(struct mv_xml_ctx *c, const struct mv_net_def *def)
{
    const char *what = def->nips ? "<ip>" : def->has_dns ? "<dns>" : def->mac ? "<mac>"
                     : def->domain_name ? "<domain>" : def->nroutes ? "<route>" : def->mtu ? "<mtu>"
                     : def->bridge.stp || def->bridge.has_delay ? "<bridge stp/delay>" : NULL;

    if (!def->bridge.name)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<forward mode='bridge'> needs <bridge name=...> (an existing "
                           "host bridge)");
    if (what)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "%s is not allowed with <forward mode='bridge'> (the host "
                           "bridge is not managed by modvirt)", what);
    return 0;
}

static int fill_in(struct mv_net_def *def)
{
    char mac[MV_MAC_STRLEN];
    int r;

    if (mv_uuid_is_null(def->uuid) && (r = mv_uuid_generate(def->uuid)) < 0)
        return r;
    if (def->forward.mode == MV_NET_FWD_BRIDGE || def->mac)
        return 0;
    if ((r = mv_mac_generate(mac)) < 0)
        return r;
    def->mac = strdup(mac);
    return def->mac ? 0 : -ENOMEM;
}

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_net_def *def)
{
    unsigned int connections;
    int r;

    if ((r = mv_xml_check_root(c, root, "network")) < 0 || (r = mv_xml_prescan_name(c, root, &def->name)) < 0)
        return r;
    c->name = def->name;
    /* connections= is what live XML carries: checked, not part of the definition */
    if ((r = mv_xml_check_attrs(c, root, MV_XML_ATTRS("connections"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, root, "connections", false, 0, INT32_MAX, &connections)) < 0 ||
        (r = MV_XML_WALK(c, root, network_rules, def)) < 0)
        return r;
    if (def->forward.mode == MV_NET_FWD_BRIDGE)
        r = check_bridge_mode(c, def);
    else
        r = net_check_ips(c, def);
    return r < 0 ? r : fill_in(def);
}

int mv_net_def_parse(const char *xml, struct mv_net_def **out, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    struct mv_xml_ctx c = { .kind = "network" };
    int r;

    *errmsg = NULL;
    r = mv_xml_parse_reported(xml, "network definition", &doc, errmsg);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    r = parse_root(&c, xmlDocGetRootElement(doc), def);
    if (r < 0 && c.errmsg) {
        *errmsg = c.errmsg;
        return -EINVAL;
    }
    if (r < 0) {
        *errmsg = r == -ENOMEM ? NULL : strdup("internal error: cannot generate a uuid or MAC address");
        return r == -ENOMEM ? r : -EIO;
    }
    *out = TAKE_PTR(def);
    return 0;
}
