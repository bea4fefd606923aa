/*
 * NETWORK_UPDATE on a definition: a copy of it with one <ip><dhcp><host> or
 * <dns><host> added, changed or removed, as virNetworkUpdate() does.  The
 * fragment is parsed by the same code as a whole network (same checks, same
 * messages), and the original definition is never touched, so a failed
 * update leaves nothing half-done.  Whether the change goes to the live
 * network, the config or both is the caller's business.
 *
 * Errors: -EINVAL bad XML, -ENOENT no matching entry, -EEXIST a clashing
 * entry, -EOPNOTSUPP a section or command netd does not update, -ENOMEM.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error_codes.h"
#include "network_def.h"
#include "network_parse_priv.h"
#include "xml.h"

/* libvirt's names for the sections, for messages */
static const char *const section_names[] = {
    [MV_NET_SECTION_NONE] = "none", [MV_NET_SECTION_BRIDGE] = "bridge", [MV_NET_SECTION_DOMAIN] = "domain",
    [MV_NET_SECTION_IP] = "ip", [MV_NET_SECTION_IP_DHCP_HOST] = "ip-dhcp-host",
    [MV_NET_SECTION_IP_DHCP_RANGE] = "ip-dhcp-range", [MV_NET_SECTION_FORWARD] = "forward",
    [MV_NET_SECTION_FORWARD_INTERFACE] = "forward-interface", [MV_NET_SECTION_FORWARD_PF] = "forward-pf",
    [MV_NET_SECTION_PORTGROUP] = "portgroup", [MV_NET_SECTION_DNS_HOST] = "dns-host",
    [MV_NET_SECTION_DNS_TXT] = "dns-txt", [MV_NET_SECTION_DNS_SRV] = "dns-srv",
};

/* Sets the context's message (once): "PREFIX: WHAT in network 'NAME'";
 * returns ERR. */
static int vfail(struct mv_xml_ctx *c, int err, int code, const char *prefix, const char *fmt, va_list ap)
{
    _cleanup_free_ char *what = NULL;
    _cleanup_free_ char *qname = mv_xml_quote(c->name);

    if (c->errmsg)
        return err;
    if (!qname || vasprintf(&what, fmt, ap) < 0)
        return -ENOMEM;
    if (asprintf(&c->errmsg, "%s: %s in network '%s'", prefix, what, qname) < 0) {
        c->errmsg = NULL;
        return -ENOMEM;
    }
    c->errcode = code;
    return err;
}

/* An operation the definition's state rules out (libvirt's
 * VIR_ERR_OPERATION_INVALID): ERR is -ENOENT for no match, -EEXIST for a
 * clash, -EINVAL otherwise. */
static int __attribute__((format(printf, 3, 4))) op_fail(struct mv_xml_ctx *c, int err, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, err, MV_ERR_OPERATION_INVALID, "Requested operation is not valid", fmt, ap);
    va_end(ap);
    return r;
}

/* A command or section number outside libvirt's enums. */
static int __attribute__((format(printf, 2, 3))) arg_fail(struct mv_xml_ctx *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, -EINVAL, MV_ERR_INVALID_ARG, "invalid argument", fmt, ap);
    va_end(ap);
    return r;
}

/* R from mv_xml_fail() as -EOPNOTSUPP: the request, not the XML, is wrong. */
static int unsupported(int r)
{
    return r == -ENOMEM ? r : -EOPNOTSUPP;
}

/* The root element of the fragment XML, which must be <NAME>. */
static int fragment_root(struct mv_xml_ctx *c, const char *xml, const char *name, xmlDocPtr *doc, xmlNodePtr *root)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_xml_parse_reported(xml, "network update", doc, &msg);

    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        /* libxml2's message already names the fragment and the line */
        c->errcode = MV_ERR_XML_ERROR;
        c->errmsg = TAKE_PTR(msg);
        return c->errmsg ? -EINVAL : -ENOMEM;
    }
    *root = xmlDocGetRootElement(*doc);
    return mv_xml_check_root(c, *root, name);
}

/* ---------------------------------------------------------- dhcp host */

/* The <ip> PARENT_INDEX names; -1: the first with <dhcp>, else the first
 * IPv4 then IPv6 one (which then gets a <dhcp>), as libvirt picks it. */
static struct mv_net_ip *dhcp_parent(struct mv_xml_ctx *c, struct mv_net_def *def, int parent_index)
{
    if (parent_index >= 0) {
        if ((size_t)parent_index < def->nips)
            return &def->ips[parent_index];
        op_fail(c, -ENOENT, "couldn't update dhcp host entry - no <ip> element at index %d", parent_index);
        return NULL;
    }
    for (size_t i = 0; i < def->nips; i++)
        if (def->ips[i].has_dhcp)
            return &def->ips[i];
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; i < def->nips; i++)
            if (def->ips[i].address.family == (f ? AF_INET6 : AF_INET))
                return &def->ips[i];
    op_fail(c, -ENOENT, "couldn't update dhcp host entry - no <ip> element found");
    return NULL;
}

static void dhcp_host_clear(struct mv_net_dhcp_host *h)
{
    free(h->mac);
    free(h->id);
    free(h->name);
    free(h->lease.unit);
    memset(h, 0, sizeof(*h));
}

/* The host MODIFY replaces: same mac (IPv4) or id (IPv6), else same name. */
static bool dhcp_same_key(const struct mv_net_dhcp_host *a, const struct mv_net_dhcp_host *b)
{
    if (a->mac || a->id)
        return (a->mac && b->mac && strcmp(a->mac, b->mac) == 0) ||
               (a->id && b->id && strcasecmp(a->id, b->id) == 0);
    return a->name && b->name && strcasecmp(a->name, b->name) == 0;
}

/* DELETE: every attribute the fragment gives must match. */
static bool dhcp_matches_all(const struct mv_net_dhcp_host *want, const struct mv_net_dhcp_host *h)
{
    return (!want->mac || (h->mac && strcmp(want->mac, h->mac) == 0)) &&
           (!want->id || (h->id && strcasecmp(want->id, h->id) == 0)) &&
           (!want->name || (h->name && strcasecmp(want->name, h->name) == 0)) &&
           (!mv_inet_is_set(&want->ip) || mv_inet_equal(&want->ip, &h->ip));
}

static ssize_t dhcp_find(const struct mv_net_ip *ip, const struct mv_net_dhcp_host *want,
                         bool (*match)(const struct mv_net_dhcp_host *, const struct mv_net_dhcp_host *))
{
    for (size_t i = 0; i < ip->nhosts; i++)
        if (match(want, &ip->hosts[i]))
            return (ssize_t)i;
    return -1;
}

/* Puts HOST (taken over) at index AT of IP's hosts, shifting the rest. */
static int dhcp_insert(struct mv_net_ip *ip, struct mv_net_dhcp_host *host, size_t at)
{
    struct mv_net_dhcp_host *n = reallocarray(ip->hosts, ip->nhosts + 1, sizeof(*n));

    if (!n)
        return -ENOMEM;
    ip->hosts = n;
    memmove(&n[at + 1], &n[at], (ip->nhosts - at) * sizeof(*n));
    n[at] = *host;
    memset(host, 0, sizeof(*host));
    ip->nhosts++;
    return 0;
}

static void dhcp_remove(struct mv_net_ip *ip, size_t at)
{
    dhcp_host_clear(&ip->hosts[at]);
    memmove(&ip->hosts[at], &ip->hosts[at + 1], (ip->nhosts - at - 1) * sizeof(*ip->hosts));
    ip->nhosts--;
}

/* Host I, just added or changed, must not clash with the others. */
static int dhcp_check_clash(struct mv_xml_ctx *c, const struct mv_net_ip *ip, size_t i)
{
    char what[NET_CLASH_STRLEN];

    if (net_dhcp_host_clash(ip, i, what))
        return op_fail(c, -EEXIST, "there is already a DHCP host with %s", what);
    return 0;
}

static int dhcp_apply(struct mv_xml_ctx *c, struct mv_net_ip *ip, unsigned int command,
                      struct mv_net_dhcp_host *host)
{
    ssize_t i;
    int r;

    switch (command) {
    case MV_NET_UPDATE_ADD_FIRST:
    case MV_NET_UPDATE_ADD_LAST:
        if ((r = dhcp_insert(ip, host, command == MV_NET_UPDATE_ADD_FIRST ? 0 : ip->nhosts)) < 0)
            return r;
        i = command == MV_NET_UPDATE_ADD_FIRST ? 0 : (ssize_t)ip->nhosts - 1;
        ip->has_dhcp = true;
        return dhcp_check_clash(c, ip, (size_t)i);
    case MV_NET_UPDATE_MODIFY:
        if ((i = dhcp_find(ip, host, dhcp_same_key)) < 0)
            return op_fail(c, -ENOENT, "couldn't locate an existing dhcp host entry with %s '%s'",
                           host->mac ? "mac" : host->id ? "id" : "name",
                           host->mac ? host->mac : host->id ? host->id : host->name);
        dhcp_host_clear(&ip->hosts[i]);
        ip->hosts[i] = *host;
        memset(host, 0, sizeof(*host));
        return dhcp_check_clash(c, ip, (size_t)i);
    default: /* DELETE */
        if ((i = dhcp_find(ip, host, dhcp_matches_all)) < 0)
            return op_fail(c, -ENOENT, "couldn't locate a matching dhcp host entry");
        dhcp_remove(ip, (size_t)i);
        return 0;
    }
}

static int update_dhcp_host(struct mv_xml_ctx *c, struct mv_net_def *def, unsigned int command, int parent_index,
                            const char *xml)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    struct mv_net_dhcp_host host = { 0 };
    struct mv_net_ip *ip = dhcp_parent(c, def, parent_index);
    xmlNodePtr root;
    int r;

    if (!ip)
        return -ENOENT;
    /* a delete may name the host by mac, id or name alone */
    if (command == MV_NET_UPDATE_DELETE)
        c->flags |= NET_PARSE_PARTIAL_HOST;
    if ((r = fragment_root(c, xml, "host", &doc, &root)) < 0 || (r = net_parse_dhcp_host(c, root, ip, &host)) < 0) {
        dhcp_host_clear(&host);
        return r;
    }
    r = dhcp_apply(c, ip, command, &host);
    dhcp_host_clear(&host);
    return r;
}

/* ----------------------------------------------------------- dns host */

static void dns_host_clear(struct mv_net_dns_host *h)
{
    for (size_t i = 0; i < h->nhostnames; i++)
        free(h->hostnames[i]);
    free(h->hostnames);
    memset(h, 0, sizeof(*h));
}

/* Same ip, or a hostname in common (SKIP_IP: hostnames only). */
static bool dns_overlaps(const struct mv_net_dns_host *a, const struct mv_net_dns_host *b, bool skip_ip)
{
    if (!skip_ip && mv_inet_equal(&a->ip, &b->ip))
        return true;
    for (size_t i = 0; i < a->nhostnames; i++)
        for (size_t j = 0; j < b->nhostnames; j++)
            if (strcasecmp(a->hostnames[i], b->hostnames[j]) == 0)
                return true;
    return false;
}

static int dns_insert(struct mv_net_dns *dns, struct mv_net_dns_host *host, bool first)
{
    struct mv_net_dns_host *n = reallocarray(dns->hosts, dns->nhosts + 1, sizeof(*n));
    size_t at = first ? 0 : dns->nhosts;

    if (!n)
        return -ENOMEM;
    dns->hosts = n;
    memmove(&n[at + 1], &n[at], (dns->nhosts - at) * sizeof(*n));
    n[at] = *host;
    memset(host, 0, sizeof(*host));
    dns->nhosts++;
    return 0;
}

/* MODIFY (not in libvirt, which only adds and deletes DNS hosts): the one
 * record with the fragment's ip gets the fragment's hostnames. */
static int dns_modify(struct mv_xml_ctx *c, struct mv_net_dns *dns, struct mv_net_dns_host *host)
{
    ssize_t at = -1;

    for (size_t i = 0; i < dns->nhosts; i++)
        if (mv_inet_equal(&dns->hosts[i].ip, &host->ip))
            at = (ssize_t)i;
        else if (dns_overlaps(host, &dns->hosts[i], true))
            return op_fail(c, -EEXIST, "another DNS HOST record already has one of these hostnames");
    if (at < 0)
        return op_fail(c, -ENOENT, "couldn't locate a DNS HOST record with ip '%s'",
                       mv_inet_format(&host->ip, (char[MV_INET_STRLEN]){ 0 }));
    dns_host_clear(&dns->hosts[at]);
    dns->hosts[at] = *host;
    memset(host, 0, sizeof(*host));
    return 0;
}

static int dns_apply(struct mv_xml_ctx *c, struct mv_net_def *def, unsigned int command, struct mv_net_dns_host *host)
{
    struct mv_net_dns *dns = &def->dns;
    size_t found = 0, at = 0;

    if (command == MV_NET_UPDATE_MODIFY)
        return dns_modify(c, dns, host);
    for (size_t i = 0; i < dns->nhosts; i++)
        if (dns_overlaps(host, &dns->hosts[i], false)) {
            found++;
            at = i;
        }
    if (command != MV_NET_UPDATE_DELETE) {
        if (found)
            return op_fail(c, -EEXIST, "there is already at least one DNS HOST record with a matching field");
        if (dns->enable == MV_NET_NO)
            return op_fail(c, -EINVAL, "DNS is disabled (<dns enable='no'>)");
        def->has_dns = true;
        return dns_insert(dns, host, command == MV_NET_UPDATE_ADD_FIRST);
    }
    if (found == 0)
        return op_fail(c, -ENOENT, "couldn't locate a matching DNS HOST record");
    if (found > 1)
        return op_fail(c, -EINVAL, "multiple matching DNS HOST records were found");
    dns_host_clear(&dns->hosts[at]);
    memmove(&dns->hosts[at], &dns->hosts[at + 1], (dns->nhosts - at - 1) * sizeof(*dns->hosts));
    dns->nhosts--;
    return 0;
}

static int update_dns_host(struct mv_xml_ctx *c, struct mv_net_def *def, unsigned int command, const char *xml)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    struct mv_net_dns_host host = { 0 };
    xmlNodePtr root;
    int r;

    if (def->forward.mode == MV_NET_FWD_BRIDGE)
        return unsupported(mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "can't update 'dns-host' section: a "
                                          "network with <forward mode='bridge'> has no DNS server of ours"));
    /* a delete may name the record by its ip or a hostname alone */
    if (command == MV_NET_UPDATE_DELETE)
        c->flags |= NET_PARSE_PARTIAL_HOST;
    if ((r = fragment_root(c, xml, "host", &doc, &root)) >= 0 && (r = net_parse_dns_host(c, root, &host)) >= 0)
        r = dns_apply(c, def, command, &host);
    dns_host_clear(&host);
    return r;
}

/* -------------------------------------------------------------- entry */

static int check_request(struct mv_xml_ctx *c, unsigned int command, unsigned int section)
{
    if (command < MV_NET_UPDATE_MODIFY || command > MV_NET_UPDATE_ADD_FIRST)
        return arg_fail(c, "unknown network update command %u", command);
    if (section == MV_NET_SECTION_IP_DHCP_HOST || section == MV_NET_SECTION_DNS_HOST)
        return 0;
    if (section >= MV_ARRAY_SIZE(section_names) || section == MV_NET_SECTION_NONE)
        return arg_fail(c, "unknown network update section %u", section);
    return unsupported(mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "can't update '%s' section (only ip-dhcp-host "
                                      "and dns-host are supported)", section_names[section]));
}

int mv_net_def_update(const struct mv_net_def *def, unsigned int command, unsigned int section, int parent_index,
                      const char *xml, struct mv_net_def **out, char **errmsg)
{
    _cleanup_net_def_ struct mv_net_def *copy = NULL;
    struct mv_xml_ctx c = { .kind = "network", .name = def->name };
    int r;

    *errmsg = NULL;
    if ((r = check_request(&c, command, section)) < 0)
        goto fail;
    copy = mv_net_def_copy(def);
    if (!copy)
        return -ENOMEM;
    if (section == MV_NET_SECTION_IP_DHCP_HOST)
        r = update_dhcp_host(&c, copy, command, parent_index, xml);
    else
        r = update_dns_host(&c, copy, command, xml);
    if (r < 0)
        goto fail;
    *out = TAKE_PTR(copy);
    return 0;
fail:
    *errmsg = c.errmsg;
    return c.errmsg || r == -ENOMEM ? r : -EINVAL;
}
