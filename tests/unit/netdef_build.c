/* Network definitions for the firewall tests (see netdef_build.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "netdef_build.h"

static char *dup_or_null(const char *s)
{
    char *d = s ? strdup(s) : NULL;

    ck_assert(!s || d);
    return d;
}

struct mv_net_def *netdef_new(const char *name, const char *bridge, enum mv_net_forward mode)
{
    struct mv_net_def *def = calloc(1, sizeof(*def));

    ck_assert_ptr_nonnull(def);
    def->name = dup_or_null(name);
    def->bridge.name = dup_or_null(bridge);
    def->forward.mode = mode;
    return def;
}

void netdef_dev(struct mv_net_def *def, const char *dev)
{
    free(def->forward.dev);
    def->forward.dev = dup_or_null(dev);
}

void netdef_ip(struct mv_net_def *def, const char *address, unsigned int prefix)
{
    struct mv_net_ip *ips = realloc(def->ips, (def->nips + 1) * sizeof(*ips));

    ck_assert_ptr_nonnull(ips);
    def->ips = ips;
    memset(&ips[def->nips], 0, sizeof(ips[0]));
    ck_assert_msg(mv_inet_parse(address, &ips[def->nips].address) == 0, "bad address %s", address);
    ips[def->nips].prefix = prefix;
    def->nips++;
}

void netdef_nat(struct mv_net_def *def, const char *start, const char *end, unsigned int port_start,
                unsigned int port_end)
{
    struct mv_net_nat *nat = &def->forward.nat;

    ck_assert(!start || mv_inet_parse(start, &nat->addr_start) == 0);
    ck_assert(!end || mv_inet_parse(end, &nat->addr_end) == 0);
    nat->port_start = port_start;
    nat->port_end = port_end;
}
