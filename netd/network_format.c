/*
 * struct mv_net_def -> network XML in virsh net-dumpxml's element order:
 * name, uuid, title, description, metadata, forward, bridge, mtu, mac,
 * domain, dns, ip, route.  What the user wrote comes back, plus what the
 * parser filled in (uuid, mac); <bridge> always carries stp and delay for
 * networks whose bridge we create, as libvirt prints them.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cleanup.h"
#include "network_def.h"
#include "xml_format.h"

static void attr_inet(struct mv_xml_out *o, const char *name, const struct mv_inet *a)
{
    char buf[MV_INET_STRLEN];

    if (mv_inet_is_set(a))
        mv_xml_out_attr(o, name, mv_inet_format(a, buf));
}

static void attr_yesno(struct mv_xml_out *o, const char *name, enum mv_net_tristate t)
{
    if (t != MV_NET_UNSET)
        mv_xml_out_attr(o, name, t == MV_NET_YES ? "yes" : "no");
}

static void attr_family(struct mv_xml_out *o, bool given, const struct mv_inet *a)
{
    if (given)
        mv_xml_out_attr(o, "family", a->family == AF_INET6 ? "ipv6" : "ipv4");
}

/* netmask='255.255.255.0' when the user wrote a netmask, else prefix='24'. */
static void attr_prefix(struct mv_xml_out *o, unsigned int prefix, bool netmask)
{
    struct in_addr m;
    char buf[INET_ADDRSTRLEN];

    if (!netmask) {
        mv_xml_out_attrf(o, "prefix", "%u", prefix);
        return;
    }
    m.s_addr = htonl(prefix ? UINT32_MAX << (32 - prefix) : 0);
    mv_xml_out_attr(o, "netmask", inet_ntop(AF_INET, &m, buf, sizeof(buf)));
}

/* ------------------------------------------------------- forward, bridge */

static void format_forward(struct mv_xml_out *o, const struct mv_net_forward_def *fwd)
{
    const struct mv_net_nat *nat = &fwd->nat;
    bool has_nat = mv_inet_is_set(&nat->addr_start) || nat->port_start;

    if (fwd->mode == MV_NET_FWD_NONE)
        return;
    mv_xml_out_start(o, "forward");
    mv_xml_out_attr(o, "dev", fwd->dev);
    mv_xml_out_attr(o, "mode", mv_net_forward_to_string(fwd->mode));
    if (has_nat) {
        mv_xml_out_start(o, "nat");
        if (mv_inet_is_set(&nat->addr_start)) {
            mv_xml_out_start(o, "address");
            attr_inet(o, "start", &nat->addr_start);
            attr_inet(o, "end", &nat->addr_end);
            mv_xml_out_end(o);
        }
        if (nat->port_start) {
            mv_xml_out_start(o, "port");
            mv_xml_out_attrf(o, "start", "%u", nat->port_start);
            mv_xml_out_attrf(o, "end", "%u", nat->port_end);
            mv_xml_out_end(o);
        }
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void format_bridge(struct mv_xml_out *o, const struct mv_net_def *def)
{
    const struct mv_net_bridge *br = &def->bridge;

    /* a host bridge (mode bridge) is the admin's: only its name */
    if (def->forward.mode == MV_NET_FWD_BRIDGE) {
        mv_xml_out_leaf(o, "bridge", "name", br->name);
        return;
    }
    mv_xml_out_start(o, "bridge");
    mv_xml_out_attr(o, "name", br->name);
    mv_xml_out_attr(o, "stp", br->stp == MV_NET_NO ? "off" : "on");
    mv_xml_out_attrf(o, "delay", "%u", br->has_delay ? br->delay : 0);
    mv_xml_out_end(o);
}

static void format_domain(struct mv_xml_out *o, const struct mv_net_def *def)
{
    if (!def->domain_name)
        return;
    mv_xml_out_start(o, "domain");
    mv_xml_out_attr(o, "name", def->domain_name);
    attr_yesno(o, "localOnly", def->domain_local_only);
    mv_xml_out_end(o);
}

/* ------------------------------------------------------------------ dns */

static void format_dns_records(struct mv_xml_out *o, const struct mv_net_dns *dns)
{
    for (size_t i = 0; i < dns->nforwarders; i++) {
        mv_xml_out_start(o, "forwarder");
        mv_xml_out_attr(o, "domain", dns->forwarders[i].domain);
        attr_inet(o, "addr", &dns->forwarders[i].addr);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < dns->ntxts; i++) {
        mv_xml_out_start(o, "txt");
        mv_xml_out_attr(o, "name", dns->txts[i].name);
        mv_xml_out_attr(o, "value", dns->txts[i].value);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < dns->nsrvs; i++) {
        const struct mv_net_dns_srv *s = &dns->srvs[i];

        mv_xml_out_start(o, "srv");
        mv_xml_out_attr(o, "service", s->service);
        mv_xml_out_attr(o, "protocol", s->protocol);
        mv_xml_out_attr(o, "domain", s->domain);
        mv_xml_out_attr(o, "target", s->target);
        if (s->has_port)
            mv_xml_out_attrf(o, "port", "%u", s->port);
        if (s->has_priority)
            mv_xml_out_attrf(o, "priority", "%u", s->priority);
        if (s->has_weight)
            mv_xml_out_attrf(o, "weight", "%u", s->weight);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < dns->nhosts; i++) {
        mv_xml_out_start(o, "host");
        attr_inet(o, "ip", &dns->hosts[i].ip);
        for (size_t j = 0; j < dns->hosts[i].nhostnames; j++)
            mv_xml_out_text_elem(o, "hostname", dns->hosts[i].hostnames[j]);
        mv_xml_out_end(o);
    }
}

static void format_dns(struct mv_xml_out *o, const struct mv_net_dns *dns)
{
    /* an empty <dns/> says nothing: virsh leaves it out */
    if (dns->enable == MV_NET_UNSET && dns->forward_plain_names == MV_NET_UNSET && !dns->nforwarders &&
        !dns->ntxts && !dns->nsrvs && !dns->nhosts)
        return;
    mv_xml_out_start(o, "dns");
    attr_yesno(o, "enable", dns->enable);
    attr_yesno(o, "forwardPlainNames", dns->forward_plain_names);
    format_dns_records(o, dns);
    mv_xml_out_end(o);
}

/* ------------------------------------------------------------- ip, route */

static void format_lease(struct mv_xml_out *o, const struct mv_net_lease *lease)
{
    if (!lease->given)
        return;
    mv_xml_out_start(o, "lease");
    mv_xml_out_attrf(o, "expiry", "%lu", lease->expiry);
    mv_xml_out_attr(o, "unit", lease->unit);
    mv_xml_out_end(o);
}

static void format_dhcp(struct mv_xml_out *o, const struct mv_net_ip *ip)
{
    mv_xml_out_start(o, "dhcp");
    for (size_t i = 0; i < ip->nranges; i++) {
        mv_xml_out_start(o, "range");
        attr_inet(o, "start", &ip->ranges[i].start);
        attr_inet(o, "end", &ip->ranges[i].end);
        format_lease(o, &ip->ranges[i].lease);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < ip->nhosts; i++) {
        const struct mv_net_dhcp_host *h = &ip->hosts[i];

        mv_xml_out_start(o, "host");
        mv_xml_out_attr(o, "mac", h->mac);
        mv_xml_out_attr(o, "id", h->id);
        mv_xml_out_attr(o, "name", h->name);
        attr_inet(o, "ip", &h->ip);
        format_lease(o, &h->lease);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void format_ip(struct mv_xml_out *o, const struct mv_net_ip *ip)
{
    mv_xml_out_start(o, "ip");
    attr_family(o, ip->family_given, &ip->address);
    attr_inet(o, "address", &ip->address);
    attr_prefix(o, ip->prefix, ip->netmask_given);
    attr_yesno(o, "localPtr", ip->local_ptr);
    if (ip->has_dhcp)
        format_dhcp(o, ip);
    mv_xml_out_end(o);
}

static void format_route(struct mv_xml_out *o, const struct mv_net_route *rt)
{
    mv_xml_out_start(o, "route");
    attr_family(o, rt->family_given, &rt->address);
    attr_inet(o, "address", &rt->address);
    attr_prefix(o, rt->prefix, rt->netmask_given);
    attr_inet(o, "gateway", &rt->gateway);
    if (rt->metric)
        mv_xml_out_attrf(o, "metric", "%u", rt->metric);
    mv_xml_out_end(o);
}

/* ---------------------------------------------------------------- entry */

char *mv_net_def_format(const struct mv_net_def *def, int connections)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "network");
    if (connections > 0)
        mv_xml_out_attrf(&o, "connections", "%d", connections);
    mv_xml_out_text_elem(&o, "name", def->name);
    mv_xml_out_uuid(&o, def->uuid);
    mv_xml_out_text_elem(&o, "title", def->title);
    mv_xml_out_text_elem(&o, "description", def->description);
    mv_xml_out_metadata(&o, def->metadata);
    format_forward(&o, &def->forward);
    format_bridge(&o, def);
    if (def->mtu) {
        mv_xml_out_start(&o, "mtu");
        mv_xml_out_attrf(&o, "size", "%u", def->mtu);
        mv_xml_out_end(&o);
    }
    mv_xml_out_leaf(&o, "mac", "address", def->mac);
    format_domain(&o, def);
    format_dns(&o, &def->dns);
    for (size_t i = 0; i < def->nips; i++)
        format_ip(&o, &def->ips[i]);
    for (size_t i = 0; i < def->nroutes; i++)
        format_route(&o, &def->routes[i]);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
