/*
 * Deep copy of a network definition, field by field: a published
 * definition is immutable, so NETWORK_UPDATE and the driver change a copy.
 * Copying the struct (not a format/parse round trip) keeps what formatting
 * would normalise, such as an unset stp= or an empty <dns>.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "network_def.h"

/* strdup that keeps NULL; false only when memory ran out */
static bool dup_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

/* A shallow copy of the N elements of SRC into *DST (NULL when N is 0). */
static bool dup_array(void *dst, const void *src, size_t n, size_t size)
{
    void **d = dst;

    *d = NULL;
    if (n == 0)
        return true;
    *d = calloc(n, size);
    if (!*d)
        return false;
    memcpy(*d, src, n * size);
    return true;
}

/* Arrays are shallow-copied first and their strings replaced one by one;
 * the strings not yet replaced are set to NULL, so that freeing a half-made
 * copy never frees the original's. */
static bool copy_hosts(struct mv_net_ip *d, const struct mv_net_ip *s)
{
    if (!dup_array(&d->hosts, s->hosts, s->nhosts, sizeof(*s->hosts)))
        return false;
    d->nhosts = s->nhosts;
    for (size_t i = 0; i < s->nhosts; i++)
        d->hosts[i].mac = d->hosts[i].id = d->hosts[i].name = d->hosts[i].lease.unit = NULL;
    for (size_t i = 0; i < s->nhosts; i++)
        if (!dup_str(&d->hosts[i].mac, s->hosts[i].mac) || !dup_str(&d->hosts[i].id, s->hosts[i].id) ||
            !dup_str(&d->hosts[i].name, s->hosts[i].name) ||
            !dup_str(&d->hosts[i].lease.unit, s->hosts[i].lease.unit))
            return false;
    return true;
}

static bool copy_ip(struct mv_net_ip *d, const struct mv_net_ip *s)
{
    if (!dup_array(&d->ranges, s->ranges, s->nranges, sizeof(*s->ranges)))
        return false;
    d->nranges = s->nranges;
    for (size_t i = 0; i < s->nranges; i++)
        d->ranges[i].lease.unit = NULL;
    for (size_t i = 0; i < s->nranges; i++)
        if (!dup_str(&d->ranges[i].lease.unit, s->ranges[i].lease.unit))
            return false;
    return copy_hosts(d, s);
}

static bool copy_ips(struct mv_net_def *d, const struct mv_net_def *s)
{
    if (!dup_array(&d->ips, s->ips, s->nips, sizeof(*s->ips)))
        return false;
    d->nips = s->nips;
    for (size_t i = 0; i < s->nips; i++) {
        d->ips[i].ranges = NULL;
        d->ips[i].nranges = 0;
        d->ips[i].hosts = NULL;
        d->ips[i].nhosts = 0;
    }
    for (size_t i = 0; i < s->nips; i++)
        if (!copy_ip(&d->ips[i], &s->ips[i]))
            return false;
    return true;
}

static bool copy_dns_host(struct mv_net_dns_host *d, const struct mv_net_dns_host *s)
{
    d->ip = s->ip;
    d->hostnames = calloc(s->nhostnames ? s->nhostnames : 1, sizeof(char *));
    if (!d->hostnames)
        return false;
    for (size_t j = 0; j < s->nhostnames; j++) {
        if (!dup_str(&d->hostnames[j], s->hostnames[j]))
            return false;
        d->nhostnames = j + 1;
    }
    return true;
}

static bool copy_dns(struct mv_net_dns *d, const struct mv_net_dns *s)
{
    d->enable = s->enable;
    d->forward_plain_names = s->forward_plain_names;
    if (!(d->forwarders = calloc(s->nforwarders + 1, sizeof(*d->forwarders))) ||
        !(d->hosts = calloc(s->nhosts + 1, sizeof(*d->hosts))) || !(d->srvs = calloc(s->nsrvs + 1, sizeof(*d->srvs))) ||
        !(d->txts = calloc(s->ntxts + 1, sizeof(*d->txts))))
        return false;
    for (; d->nforwarders < s->nforwarders; d->nforwarders++) {
        d->forwarders[d->nforwarders].addr = s->forwarders[d->nforwarders].addr;
        if (!dup_str(&d->forwarders[d->nforwarders].domain, s->forwarders[d->nforwarders].domain))
            return false;
    }
    for (; d->nhosts < s->nhosts; d->nhosts++)
        if (!copy_dns_host(&d->hosts[d->nhosts], &s->hosts[d->nhosts]))
            return d->nhosts++, false;
    for (; d->nsrvs < s->nsrvs; d->nsrvs++) {
        struct mv_net_dns_srv *ds = &d->srvs[d->nsrvs];
        const struct mv_net_dns_srv *ss = &s->srvs[d->nsrvs];

        *ds = (struct mv_net_dns_srv){ .port = ss->port, .priority = ss->priority, .weight = ss->weight,
                                       .has_port = ss->has_port, .has_priority = ss->has_priority,
                                       .has_weight = ss->has_weight };
        if (!dup_str(&ds->service, ss->service) || !dup_str(&ds->protocol, ss->protocol) ||
            !dup_str(&ds->domain, ss->domain) || !dup_str(&ds->target, ss->target))
            return d->nsrvs++, false;
    }
    for (; d->ntxts < s->ntxts; d->ntxts++)
        if (!dup_str(&d->txts[d->ntxts].name, s->txts[d->ntxts].name) ||
            !dup_str(&d->txts[d->ntxts].value, s->txts[d->ntxts].value))
            return d->ntxts++, false;
    return true;
}

struct mv_net_def *mv_net_def_copy(const struct mv_net_def *s)
{
    _cleanup_net_def_ struct mv_net_def *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    memcpy(d->uuid, s->uuid, sizeof(d->uuid));
    d->forward.mode = s->forward.mode;
    d->forward.nat = s->forward.nat;
    d->bridge.stp = s->bridge.stp;
    d->bridge.delay = s->bridge.delay;
    d->bridge.has_delay = s->bridge.has_delay;
    d->mtu = s->mtu;
    d->domain_local_only = s->domain_local_only;
    d->has_dns = s->has_dns;
    if (!dup_str(&d->name, s->name) || !dup_str(&d->title, s->title) || !dup_str(&d->description, s->description) ||
        !dup_str(&d->metadata, s->metadata) || !dup_str(&d->forward.dev, s->forward.dev) ||
        !dup_str(&d->bridge.name, s->bridge.name) || !dup_str(&d->mac, s->mac) ||
        !dup_str(&d->domain_name, s->domain_name) || !copy_dns(&d->dns, &s->dns) || !copy_ips(d, s) ||
        !dup_array(&d->routes, s->routes, s->nroutes, sizeof(*s->routes)))
        return NULL;
    d->nroutes = s->nroutes;
    return TAKE_PTR(d);
}
