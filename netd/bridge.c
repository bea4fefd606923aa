/* A network's bridge, addresses, routes and forwarding (see bridge.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge.h"
#include "cleanup.h"
#include "errmsg.h"
#include "hex.h"
#include "netlink.h"

/* virbrN names tried by mv_bridge_pick_name(); libvirt stops at 256 too. */
#define BRIDGE_NAME_MAX_ID 256
/* libvirt's metric for a static <route> without metric= */
#define ROUTE_DEFAULT_METRIC 1

static const void *inet_bytes(const struct mv_inet *a)
{
    return a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
}

/* "192.168.122.0/24" for NET/PREFIX into BUF. */
static const char *cidr_format(const struct mv_inet *net, unsigned int prefix, char buf[MV_CIDR_STRLEN])
{
    char a[MV_INET_STRLEN];

    snprintf(buf, MV_CIDR_STRLEN, "%s/%u", mv_inet_format(net, a), prefix);
    return buf;
}

/* True for the networks whose bridge netd makes (all but forward mode bridge,
 * which names an existing host bridge). */
static bool has_own_bridge(const struct mv_net_def *def)
{
    return def->forward.mode != MV_NET_FWD_BRIDGE;
}

/* ---- the host's routes --------------------------------------------------- */

/* A route of the host as an address and prefix. */
static struct mv_inet route_dst(const struct mv_netlink_route *rt)
{
    struct mv_inet dst = { .family = rt->family };

    memcpy(&dst.v6, rt->dst, rt->family == AF_INET ? 4 : 16);
    return dst;
}

/* The first host route overlapping NET/PREFIX, or NULL.  Default routes do
 * not count: they overlap everything and say nothing about who uses a subnet. */
static const struct mv_netlink_route *route_overlapping(const struct mv_netlink_route *routes, size_t n,
                                                        const struct mv_inet *net, unsigned int prefix)
{
    for (size_t i = 0; i < n; i++) {
        struct mv_inet dst = route_dst(&routes[i]);

        if (routes[i].family == net->family && routes[i].dst_len > 0 &&
            mv_inet_subnets_overlap(&dst, routes[i].dst_len, net, prefix))
            return &routes[i];
    }
    return NULL;
}

/* "network 'n' subnet 192.168.122.0/24 is already in use by interface eth0"
 * for the host route RT overlapping IP's subnet (the route itself named when
 * it is not that subnet). */
static int route_conflict(struct mv_netlink *nl, const struct mv_net_def *def, const struct mv_net_ip *ip,
                          const struct mv_netlink_route *rt, char **errmsg)
{
    struct mv_inet net = mv_inet_network(&ip->address, ip->prefix), dst = route_dst(rt);
    char subnet[MV_CIDR_STRLEN], route[MV_CIDR_STRLEN], via[64] = "";
    struct mv_link_info link;

    cidr_format(&net, ip->prefix, subnet);
    cidr_format(&dst, rt->dst_len, route);
    if (!(mv_inet_equal(&dst, &net) && rt->dst_len == ip->prefix))
        snprintf(via, sizeof(via), " (route %s)", route);
    if (rt->ifindex > 0 && mv_netlink_link_get(nl, NULL, rt->ifindex, &link) == 0)
        return mv_errmsg_set(errmsg, -EEXIST, "network '%s' subnet %s is already in use by interface %s%s",
                             def->name, subnet, link.name, via);
    return mv_errmsg_set(errmsg, -EEXIST, "network '%s' subnet %s is already routed on the host (route %s)",
                         def->name, subnet, route);
}

static int check_routes(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg)
{
    _cleanup_free_ struct mv_netlink_route *routes = NULL;
    size_t n = 0;
    int r = mv_netlink_route_list(nl, AF_UNSPEC, &routes, &n);

    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot read the host's routes for network '%s': %s",
                             def->name, strerror(-r));
    for (size_t i = 0; i < def->nips; i++) {
        const struct mv_net_ip *ip = &def->ips[i];
        struct mv_inet net = mv_inet_network(&ip->address, ip->prefix);
        const struct mv_netlink_route *rt = route_overlapping(routes, n, &net, ip->prefix);

        if (rt)
            return route_conflict(nl, def, ip, rt, errmsg);
    }
    return 0;
}

/* ---- checks --------------------------------------------------------------- */

static int check_name(const struct mv_net_def *def, char **errmsg)
{
    _cleanup_free_ char *quoted = NULL;

    if (!def->bridge.name)
        return mv_errmsg_set(errmsg, -EINVAL, "network '%s' has no bridge name", def->name);
    if (mv_netlink_ifname_valid(def->bridge.name, false))
        return 0;
    quoted = mv_errmsg_quote(def->bridge.name, strlen(def->bridge.name), MV_ERRMSG_QUOTE_MAX);
    return mv_errmsg_set(errmsg, -EINVAL,
                         "network '%s' has an invalid bridge name '%s': at most 15 bytes, no '/', ':' or spaces",
                         def->name, quoted ? quoted : "?");
}

int mv_bridge_check(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg)
{
    struct mv_link_info link;
    int r;

    if (!has_own_bridge(def))
        return 0;
    r = check_name(def, errmsg);
    if (r < 0)
        return r;
    r = mv_netlink_link_get(nl, def->bridge.name, 0, &link);
    if (r == 0 && link.kind[0])
        return mv_errmsg_set(errmsg, -EEXIST,
                             "network '%s' cannot use bridge '%s': an interface of that name already exists (kind %s)",
                             def->name, def->bridge.name, link.kind);
    if (r == 0)
        return mv_errmsg_set(errmsg, -EEXIST,
                             "network '%s' cannot use bridge '%s': an interface of that name already exists",
                             def->name, def->bridge.name);
    if (r != -ENODEV)
        return mv_errmsg_set(errmsg, r, "cannot look up bridge '%s' of network '%s': %s",
                             def->bridge.name, def->name, strerror(-r));
    return check_routes(nl, def, errmsg);
}

/* ---- sysctls ------------------------------------------------------------- */

/* Writes VALUE to the sysctl file PATH.  /proc/sys/net belongs to the network
 * namespace of the process that opens it, so this acts on the caller's. */
static int sysctl_write(const char *path, const char *value)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(value);

    if (fd < 0)
        return -errno;
    if (write(fd, value, len) != (ssize_t)len)
        return errno ? -errno : -EIO;
    return 0;
}

static int bridge_sysctl(const struct mv_net_def *def, const char *key, const char *value, char **errmsg)
{
    char path[128];
    int r;

    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", def->bridge.name, key);
    r = sysctl_write(path, value);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot set %s of bridge '%s' of network '%s' (%s): %s",
                             key, def->bridge.name, def->name, path, strerror(-r));
    return 0;
}

/* The bridge is the router on its subnet, not a host: it must not configure
 * itself from router advertisements (a guest's radvd could send them), and
 * without any IPv6 of the network it gets no IPv6 at all (not even
 * link-local), so guests see no IPv6 router they were not given. */
static int set_ipv6_sysctls(const struct mv_net_def *def, char **errmsg)
{
    int r;

    if (!mv_net_def_ip(def, AF_INET6)) {
        r = bridge_sysctl(def, "disable_ipv6", "1", errmsg);
        /* a kernel without IPv6 has no such file and nothing to disable */
        return r == -ENOENT && access("/proc/sys/net/ipv6", F_OK) < 0 ? 0 : r;
    }
    r = bridge_sysctl(def, "accept_ra", "0", errmsg);
    if (r == 0)
        r = bridge_sysctl(def, "autoconf", "0", errmsg);
    return r;
}

/* Forwarding is host-wide (per network namespace) and never turned back
 * off: other networks, or the admin, may rely on it. */
static int enable_forwarding(const struct mv_net_def *def, char **errmsg)
{
    static const struct { int family; const char *path; } knobs[] = {
        { AF_INET, "/proc/sys/net/ipv4/ip_forward" },
        { AF_INET6, "/proc/sys/net/ipv6/conf/all/forwarding" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(knobs); i++) {
        int r;

        if (!mv_net_def_ip(def, knobs[i].family))
            continue;
        r = sysctl_write(knobs[i].path, "1\n");
        if (r < 0)
            return mv_errmsg_set(errmsg, r, "cannot enable IP forwarding (%s) for network '%s': %s",
                                 knobs[i].path, def->name, strerror(-r));
    }
    return 0;
}

/* nat, route and open networks carry traffic to and from outside the bridge. */
static bool forwards(const struct mv_net_def *def)
{
    return def->forward.mode == MV_NET_FWD_NAT || def->forward.mode == MV_NET_FWD_ROUTE ||
           def->forward.mode == MV_NET_FWD_OPEN;
}

/* ---- creation ------------------------------------------------------------ */

/* "aa:bb:cc:dd:ee:ff" into MAC; -EINVAL for anything else. */
static int mac_parse(const char *s, unsigned char mac[6])
{
    for (int i = 0; i < 6; i++, s += 3) {
        int hi = mv_hex_digit(s[0]), lo = hi < 0 ? -1 : mv_hex_digit(s[1]);

        if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return -EINVAL;
        mac[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int make_bridge(struct mv_netlink *nl, const struct mv_net_def *def, int *ifindex, char **errmsg)
{
    unsigned char mac[6];
    struct mv_netlink_bridge br = {
        .name = def->bridge.name, .mtu = def->mtu,
        .stp = def->bridge.stp != MV_NET_NO,            /* on unless stp='off', as libvirt */
        .forward_delay_cs = def->bridge.delay * 100,    /* libvirt's default is 0, not the kernel's 15 s */
    };
    int r;

    if (def->mac) {
        if (mac_parse(def->mac, mac) < 0)
            return mv_errmsg_set(errmsg, -EINVAL, "network '%s' has an invalid MAC address", def->name);
        br.mac = mac;
    }
    if (def->bridge.delay > 3600)   /* keeps the centiseconds far from overflowing */
        return mv_errmsg_set(errmsg, -ERANGE, "network '%s' bridge forward delay %u s is out of range",
                             def->name, def->bridge.delay);
    r = mv_netlink_bridge_add(nl, &br, ifindex);
    if (r < 0 && def->mtu)
        return mv_errmsg_set(errmsg, r, "cannot create bridge '%s' (MTU %u) for network '%s': %s",
                             def->bridge.name, def->mtu, def->name, strerror(-r));
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot create bridge '%s' for network '%s': %s",
                             def->bridge.name, def->name, strerror(-r));
    return 0;
}

static bool has_address(struct mv_netlink *nl, int ifindex, const struct mv_net_ip *ip)
{
    return mv_netlink_addr_exists(nl, ifindex, ip->address.family, inet_bytes(&ip->address), ip->prefix) == 1;
}

/* MISSING_ONLY: those the bridge has stay (a restore). */
static int add_addresses(struct mv_netlink *nl, const struct mv_net_def *def, int ifindex, bool missing_only,
                         char **errmsg)
{
    for (size_t i = 0; i < def->nips; i++) {
        const struct mv_net_ip *ip = &def->ips[i];
        char cidr[MV_CIDR_STRLEN];
        int r;

        if (missing_only && has_address(nl, ifindex, ip))
            continue;
        r = mv_netlink_addr_add(nl, ifindex, ip->address.family, inet_bytes(&ip->address), ip->prefix);

        if (r < 0)
            return mv_errmsg_set(errmsg, r, "cannot add address %s to bridge '%s' of network '%s': %s",
                                 cidr_format(&ip->address, ip->prefix, cidr), def->bridge.name, def->name,
                                 strerror(-r));
    }
    return 0;
}

/* EXIST_OK: a route already there is fine (a restore puts back only what
 * went). */
static int add_route(struct mv_netlink *nl, const struct mv_net_def *def, int ifindex,
                     const struct mv_net_route *route, bool exist_ok, char **errmsg)
{
    struct mv_netlink_route rt = {
        .family = route->address.family, .dst_len = route->prefix, .ifindex = ifindex,
        .metric = route->metric ? route->metric : ROUTE_DEFAULT_METRIC,
    };
    char cidr[MV_CIDR_STRLEN], gw[MV_INET_STRLEN];
    struct mv_inet net = mv_inet_network(&route->address, route->prefix);
    int r;

    memcpy(rt.dst, inet_bytes(&net), route->address.family == AF_INET ? 4 : 16);
    if (mv_inet_is_set(&route->gateway)) {
        if (route->gateway.family != route->address.family)
            return mv_errmsg_set(errmsg, -EINVAL, "network '%s' route %s has a gateway of another family",
                                 def->name, cidr_format(&net, route->prefix, cidr));
        rt.has_gateway = true;
        memcpy(rt.gateway, inet_bytes(&route->gateway), route->gateway.family == AF_INET ? 4 : 16);
    }
    r = mv_netlink_route_add(nl, &rt);
    if (r < 0 && !(r == -EEXIST && exist_ok))
        return mv_errmsg_set(errmsg, r, "cannot add route %s via %s on bridge '%s' of network '%s': %s",
                             cidr_format(&net, route->prefix, cidr),
                             rt.has_gateway ? mv_inet_format(&route->gateway, gw) : "the bridge",
                             def->bridge.name, def->name, strerror(-r));
    return 0;
}

/* Everything after the bridge exists; the caller removes the bridge (and with
 * it addresses and routes) on failure. */
static int configure(struct mv_netlink *nl, const struct mv_net_def *def, int ifindex, char **errmsg)
{
    int r;

    /* before any address: no router advertisement is ever taken */
    r = set_ipv6_sysctls(def, errmsg);
    if (r == 0)
        r = add_addresses(nl, def, ifindex, false, errmsg);
    if (r == 0 && (r = mv_netlink_link_set_up(nl, ifindex, true)) < 0)
        mv_errmsg_set(errmsg, r, "cannot bring bridge '%s' of network '%s' up: %s",
                      def->bridge.name, def->name, strerror(-r));
    /* after up: the kernel takes no gateway route through a link that is down */
    for (size_t i = 0; r == 0 && i < def->nroutes; i++)
        r = add_route(nl, def, ifindex, &def->routes[i], false, errmsg);
    if (r == 0 && forwards(def))
        r = enable_forwarding(def, errmsg);
    return r;
}

int mv_bridge_create(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg)
{
    int ifindex = 0;
    int r;

    if (!has_own_bridge(def))
        return mv_errmsg_set(errmsg, -EINVAL, "network '%s' uses the host bridge '%s': netd creates none",
                             def->name, def->bridge.name ? def->bridge.name : "?");
    r = check_name(def, errmsg);
    if (r == 0)
        r = make_bridge(nl, def, &ifindex, errmsg);
    if (r < 0)
        return r;
    r = configure(nl, def, ifindex, errmsg);
    if (r < 0)
        /* by ifindex and kind: never someone else's link that took the name */
        mv_netlink_link_delete(nl, ifindex, def->bridge.name, "bridge");
    return r;
}

int mv_bridge_delete(struct mv_netlink *nl, const struct mv_net_def *def)
{
    struct mv_link_info link;
    int r;

    if (!has_own_bridge(def) || !def->bridge.name)
        return 0;
    r = mv_netlink_link_get(nl, def->bridge.name, 0, &link);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    return mv_netlink_link_delete(nl, link.ifindex, def->bridge.name, "bridge");
}

/* ---- re-adoption ------------------------------------------------------- */

/* True if LINK has DEF's MAC (any MAC will do when DEF has none). */
static bool mac_matches(const struct mv_net_def *def, const struct mv_link_info *link)
{
    unsigned char mac[6];

    if (!def->mac || mac_parse(def->mac, mac) < 0)
        return true;
    return link->has_mac && memcmp(link->mac, mac, sizeof(mac)) == 0;
}

enum mv_bridge_state mv_bridge_state(struct mv_netlink *nl, const struct mv_net_def *def)
{
    struct mv_link_info link;
    int r;

    if (!def->bridge.name)
        return MV_BRIDGE_ABSENT;
    r = mv_netlink_link_get(nl, def->bridge.name, 0, &link);
    if (r == -ENODEV)
        return MV_BRIDGE_ABSENT;
    if (r < 0 || !has_own_bridge(def))
        return MV_BRIDGE_OURS;
    if (strcmp(link.kind, "bridge") != 0 || !mac_matches(def, &link))
        return MV_BRIDGE_FOREIGN;
    for (size_t i = 0; i < def->nips; i++)
        if (!has_address(nl, link.ifindex, &def->ips[i]))
            return MV_BRIDGE_UNADDRESSED;
    return MV_BRIDGE_OURS;
}

int mv_bridge_restore(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg)
{
    struct mv_link_info link;
    int r = mv_netlink_link_get(nl, def->bridge.name, 0, &link);

    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot look up bridge '%s' of network '%s': %s", def->bridge.name,
                             def->name, strerror(-r));
    /* the order of configure(): no router advertisement before an address,
     * gateway routes only through a link that is up */
    r = set_ipv6_sysctls(def, errmsg);
    if (r == 0)
        r = add_addresses(nl, def, link.ifindex, true, errmsg);
    if (r == 0 && (r = mv_netlink_link_set_up(nl, link.ifindex, true)) < 0)
        mv_errmsg_set(errmsg, r, "cannot bring bridge '%s' of network '%s' up: %s", def->bridge.name, def->name,
                      strerror(-r));
    for (size_t i = 0; r == 0 && i < def->nroutes; i++)
        r = add_route(nl, def, link.ifindex, &def->routes[i], true, errmsg);
    if (r == 0 && forwards(def))
        r = enable_forwarding(def, errmsg);
    return r;
}

/* ---- choices for new networks ------------------------------------------- */

static bool strv_contains(const char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

int mv_bridge_pick_name(struct mv_netlink *nl, const char *const *taken, char **name)
{
    for (int id = 0; id < BRIDGE_NAME_MAX_ID; id++) {
        char candidate[MV_NET_IFNAME_MAX + 1];
        struct mv_link_info link;
        int r;

        snprintf(candidate, sizeof(candidate), "virbr%d", id);
        if (strv_contains(taken, candidate))
            continue;
        r = mv_netlink_link_get(nl, candidate, 0, &link);
        if (r == 0)
            continue;
        if (r != -ENODEV)
            return r;
        if (!(*name = strdup(candidate)))
            return -ENOMEM;
        return 0;
    }
    return -ENOSPC;
}

int mv_bridge_pick_subnet(struct mv_netlink *nl, unsigned int *third_octet)
{
    _cleanup_free_ struct mv_netlink_route *routes = NULL;
    size_t n = 0;
    int r = mv_netlink_route_list(nl, AF_INET, &routes, &n);

    if (r < 0)
        return r;
    for (unsigned int octet = 122; octet < 255; octet++) {
        struct mv_inet net = { .family = AF_INET };
        unsigned char *b = (unsigned char *)&net.v4;

        b[0] = 192, b[1] = 168, b[2] = (unsigned char)octet;
        if (!route_overlapping(routes, n, &net, 24)) {
            *third_octet = octet;
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}
