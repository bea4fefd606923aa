/* Freeing and small queries on network definitions. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "network_def.h"

static const char *const forward_names[MV_NET_FWD_LAST] = {
    [MV_NET_FWD_NONE] = NULL, [MV_NET_FWD_NAT] = "nat", [MV_NET_FWD_ROUTE] = "route",
    [MV_NET_FWD_OPEN] = "open", [MV_NET_FWD_BRIDGE] = "bridge",
};

const char *mv_net_forward_to_string(int value)
{
    return value >= 0 && value < MV_NET_FWD_LAST ? forward_names[value] : NULL;
}

int mv_net_forward_from_string(const char *s)
{
    for (int i = 0; s && i < MV_NET_FWD_LAST; i++)
        if (forward_names[i] && strcmp(forward_names[i], s) == 0)
            return i;
    return -1;
}

static void ip_clear(struct mv_net_ip *ip)
{
    for (size_t i = 0; i < ip->nranges; i++)
        free(ip->ranges[i].lease.unit);
    free(ip->ranges);
    for (size_t i = 0; i < ip->nhosts; i++) {
        free(ip->hosts[i].mac);
        free(ip->hosts[i].id);
        free(ip->hosts[i].name);
        free(ip->hosts[i].lease.unit);
    }
    free(ip->hosts);
}

static void dns_clear(struct mv_net_dns *dns)
{
    for (size_t i = 0; i < dns->nforwarders; i++)
        free(dns->forwarders[i].domain);
    free(dns->forwarders);
    for (size_t i = 0; i < dns->nhosts; i++) {
        for (size_t j = 0; j < dns->hosts[i].nhostnames; j++)
            free(dns->hosts[i].hostnames[j]);
        free(dns->hosts[i].hostnames);
    }
    free(dns->hosts);
    for (size_t i = 0; i < dns->nsrvs; i++) {
        free(dns->srvs[i].service);
        free(dns->srvs[i].protocol);
        free(dns->srvs[i].domain);
        free(dns->srvs[i].target);
    }
    free(dns->srvs);
    for (size_t i = 0; i < dns->ntxts; i++) {
        free(dns->txts[i].name);
        free(dns->txts[i].value);
    }
    free(dns->txts);
}

void mv_net_def_free(struct mv_net_def *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->title);
    free(def->description);
    free(def->metadata);
    free(def->forward.dev);
    free(def->bridge.name);
    free(def->mac);
    free(def->domain_name);
    dns_clear(&def->dns);
    for (size_t i = 0; i < def->nips; i++)
        ip_clear(&def->ips[i]);
    free(def->ips);
    free(def->routes);
    free(def);
}

const struct mv_net_ip *mv_net_def_ip(const struct mv_net_def *def, int family)
{
    for (size_t i = 0; i < def->nips; i++)
        if (def->ips[i].address.family == family)
            return &def->ips[i];
    return NULL;
}

bool mv_net_def_wants_dnsmasq(const struct mv_net_def *def)
{
    if (def->forward.mode == MV_NET_FWD_BRIDGE || def->nips == 0)
        return false;
    if (def->dns.enable != MV_NET_NO)
        return true;
    for (size_t i = 0; i < def->nips; i++)
        if (def->ips[i].has_dhcp)
            return true;
    return false;
}

long long mv_net_lease_seconds(const struct mv_net_lease *lease)
{
    unsigned long long mult = 60;

    if (!lease->given)
        return -1;
    if (lease->unit && strcmp(lease->unit, "seconds") == 0)
        mult = 1;
    else if (lease->unit && strcmp(lease->unit, "hours") == 0)
        mult = 3600;
    return (long long)(lease->expiry * mult);
}
