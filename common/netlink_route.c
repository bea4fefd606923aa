/* IP addresses and routes over rtnetlink (see netlink.h). */
#include "config.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "cleanup.h"
#include "netlink.h"
#include "netlink_internal.h"

MV_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)
MV_DEFINE_CLEANUP(struct rtnl_addr, rtnl_addr_put)
MV_DEFINE_CLEANUP(struct rtnl_route, rtnl_route_put)
MV_DEFINE_CLEANUP(struct nl_cache, nl_cache_free)

static size_t family_len(int family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* ADDR/PREFIX as libnl's address; NULL on a bad family/prefix or no memory. */
static struct nl_addr *build_addr(int family, const void *addr, unsigned int prefix)
{
    size_t len = family_len(family);
    struct nl_addr *a;

    if (!len || prefix > len * 8)
        return NULL;
    a = nl_addr_build(family, addr, len);
    if (a)
        nl_addr_set_prefixlen(a, (int)prefix);
    return a;
}

/* The IPv4 broadcast address of ADDR/PREFIX: the host bits all set. */
static struct nl_addr *ipv4_broadcast(const void *addr, unsigned int prefix)
{
    unsigned char b[4];

    memcpy(b, addr, 4);
    for (unsigned int bit = prefix; bit < 32; bit++)
        b[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
    return nl_addr_build(AF_INET, b, 4);
}

static int addr_build(int ifindex, int family, const void *addr, unsigned int prefix,
                      struct rtnl_addr **out)
{
    _cleanup_(rtnl_addr_putp) struct rtnl_addr *ra = rtnl_addr_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *local = build_addr(family, addr, prefix);
    _cleanup_(nl_addr_putp) struct nl_addr *brd = NULL;

    if (!family_len(family) || prefix > family_len(family) * 8 || ifindex <= 0)
        return -EINVAL;
    if (!ra || !local)
        return -ENOMEM;
    rtnl_addr_set_ifindex(ra, ifindex);
    rtnl_addr_set_family(ra, family);
    if (rtnl_addr_set_local(ra, local) < 0)
        return -ENOMEM;
    rtnl_addr_set_prefixlen(ra, (int)prefix);
    if (family == AF_INET && prefix < 31) {
        if (!(brd = ipv4_broadcast(addr, prefix)) || rtnl_addr_set_broadcast(ra, brd) < 0)
            return -ENOMEM;
    }
    if (family == AF_INET6)
        rtnl_addr_set_flags(ra, IFA_F_NODAD);
    *out = TAKE_PTR(ra);
    return 0;
}

int mv_netlink_addr_add(struct mv_netlink *nl, int ifindex, int family, const void *addr,
                        unsigned int prefix)
{
    _cleanup_(rtnl_addr_putp) struct rtnl_addr *ra = NULL;
    _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
    int r = addr_build(ifindex, family, addr, prefix, &ra);

    if (r < 0)
        return r;
    r = rtnl_addr_build_add_request(ra, NLM_F_CREATE | NLM_F_EXCL, &msg);
    if (r < 0)
        return mv_netlink_errno(r);
    return mv_netlink_request(nl, msg);
}

int mv_netlink_addr_exists(struct mv_netlink *nl, int ifindex, int family, const void *addr,
                           unsigned int prefix)
{
    _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
    size_t len = family_len(family);
    int r;

    if (!len || ifindex <= 0)
        return -EINVAL;
    r = rtnl_addr_alloc_cache(nl->sk, &cache);
    if (r < 0)
        return mv_netlink_errno(r);
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_addr *ra = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(ra);

        if (rtnl_addr_get_ifindex(ra) == ifindex && rtnl_addr_get_family(ra) == family &&
            (unsigned int)rtnl_addr_get_prefixlen(ra) == prefix && local &&
            nl_addr_get_len(local) == len && memcmp(nl_addr_get_binary_addr(local), addr, len) == 0)
            return 1;
    }
    return 0;
}

/* R as libnl's route in the main table, through R's link and gateway. */
static int route_build(const struct mv_netlink_route *r, struct rtnl_route **out)
{
    _cleanup_(rtnl_route_putp) struct rtnl_route *route = rtnl_route_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *dst = build_addr(r->family, r->dst, r->dst_len);
    _cleanup_(nl_addr_putp) struct nl_addr *gw = NULL;
    struct rtnl_nexthop *nh;

    if (!family_len(r->family) || r->dst_len > family_len(r->family) * 8)
        return -EINVAL;
    if (!route || !dst)
        return -ENOMEM;
    rtnl_route_set_family(route, (uint8_t)r->family);
    rtnl_route_set_table(route, RT_TABLE_MAIN);
    rtnl_route_set_type(route, r->type ? r->type : RTN_UNICAST);
    if (rtnl_route_set_dst(route, dst) < 0)
        return -ENOMEM;
    if (r->metric)
        rtnl_route_set_priority(route, r->metric);
    if (r->ifindex > 0 || r->has_gateway) {
        if (!(nh = rtnl_route_nh_alloc()))
            return -ENOMEM;
        if (r->ifindex > 0)
            rtnl_route_nh_set_ifindex(nh, r->ifindex);
        if (r->has_gateway) {
            if (!(gw = nl_addr_build(r->family, r->gateway, family_len(r->family)))) {
                rtnl_route_nh_free(nh);
                return -ENOMEM;
            }
            rtnl_route_nh_set_gateway(nh, gw);
        }
        rtnl_route_add_nexthop(route, nh);
    }
    *out = TAKE_PTR(route);
    return 0;
}

int mv_netlink_route_add(struct mv_netlink *nl, const struct mv_netlink_route *r)
{
    _cleanup_(rtnl_route_putp) struct rtnl_route *route = NULL;
    _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
    int err = route_build(r, &route);

    if (err < 0)
        return err;
    err = rtnl_route_build_add_request(route, NLM_F_CREATE | NLM_F_EXCL, &msg);
    if (err < 0)
        return mv_netlink_errno(err);
    return mv_netlink_request(nl, msg);
}

int mv_netlink_route_delete(struct mv_netlink *nl, const struct mv_netlink_route *r)
{
    _cleanup_(rtnl_route_putp) struct rtnl_route *route = NULL;
    _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
    int err = route_build(r, &route);

    if (err < 0)
        return err;
    err = rtnl_route_build_del_request(route, 0, &msg);
    if (err < 0)
        return mv_netlink_errno(err);
    return mv_netlink_request(nl, msg);
}

/* Copies libnl's address A (of R's family) into OUT; false if it has none. */
static bool copy_addr(const struct mv_netlink_route *r, struct nl_addr *a, unsigned char out[16])
{
    size_t len = family_len(r->family);

    if (!a || nl_addr_get_len(a) != len)
        return false;
    memcpy(out, nl_addr_get_binary_addr(a), len);
    return true;
}

static void route_from_libnl(struct rtnl_route *route, struct mv_netlink_route *r)
{
    struct nl_addr *dst = rtnl_route_get_dst(route);
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(route, 0);

    *r = (struct mv_netlink_route){ .family = rtnl_route_get_family(route),
                                    .metric = rtnl_route_get_priority(route),
                                    .type = (unsigned char)rtnl_route_get_type(route) };
    /* the default route comes back with an empty destination */
    if (copy_addr(r, dst, r->dst))
        r->dst_len = (unsigned int)nl_addr_get_prefixlen(dst);
    if (nh) {
        r->ifindex = rtnl_route_nh_get_ifindex(nh);
        r->has_gateway = copy_addr(r, rtnl_route_nh_get_gateway(nh), r->gateway);
    }
}

int mv_netlink_route_list(struct mv_netlink *nl, int family, struct mv_netlink_route **routes,
                          size_t *n)
{
    _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
    _cleanup_free_ struct mv_netlink_route *v = NULL;
    size_t count = 0;
    int r = rtnl_route_alloc_cache(nl->sk, family, 0, &cache);

    if (r < 0)
        return mv_netlink_errno(r);
    v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *route = (struct rtnl_route *)o;
        int f = rtnl_route_get_family(route);

        if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !family_len(f))
            continue;
        route_from_libnl(route, &v[count++]);
    }
    *routes = count ? TAKE_PTR(v) : NULL;
    *n = count;
    return 0;
}
