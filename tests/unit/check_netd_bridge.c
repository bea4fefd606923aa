/*
 * A network's host side (netd/bridge.c, common/netlink*.c) against the real
 * kernel.
 *
 * Each test runs in a forked child (CK_FORK) that first moves into a new
 * network namespace and a private mount namespace with its own sysfs (a
 * sysfs mount shows the network namespace it was mounted in), so the host's
 * links, routes and sysctls are never touched and everything made vanishes
 * with the child.  What the code made is read back through sysfs, /proc/net,
 * /proc/sys and getifaddrs(), not through the calls under test; the
 * conflicting devices the tests need are made with libnl directly.
 * Definitions are built in C, not parsed: the parser is not under test.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "bridge.h"
#include "cleanup.h"
#include "testns.h"
#include "netlink.h"

MV_DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
MV_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
MV_DEFINE_CLEANUP(struct rtnl_addr, rtnl_addr_put)
MV_DEFINE_CLEANUP(struct rtnl_route, rtnl_route_put)
MV_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)

#define BR "mvbr1"

/* ---- the namespace ------------------------------------------------------ */

static struct mv_netlink *nl;

static void setup(void)
{
    int r = mv_test_enter_netns();

    ck_assert_msg(r == 0, "cannot enter new network and mount namespaces: %s", strerror(-r));
    ck_assert_int_eq(mv_netlink_open(&nl), 0);
}

static void teardown(void)
{
    mv_netlink_close(nl);
    nl = NULL;
}

/* ---- devices the tests put in the way, with libnl directly --------------- */

static struct nl_sock *test_socket(void)
{
    struct nl_sock *sk = nl_socket_alloc();

    ck_assert_ptr_nonnull(sk);
    ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
    return sk;
}

/* A link NAME that is not a bridge, up, with CIDR ("192.168.122.1/24") if
 * not NULL.  An ifb: the kernels the tests run on have no dummy driver, and
 * a veth would bring a peer. */
static void add_other_link(const char *name, const char *cidr)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = test_socket();
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
    _cleanup_(rtnl_addr_putp) struct rtnl_addr *addr = NULL;
    _cleanup_(nl_addr_putp) struct nl_addr *local = NULL;

    rtnl_link_set_name(link, name);
    ck_assert_int_eq(rtnl_link_set_type(link, "ifb"), 0);
    rtnl_link_set_flags(link, IFF_UP);
    ck_assert_int_eq(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL), 0);
    if (!cidr)
        return;
    addr = rtnl_addr_alloc();
    ck_assert_int_eq(nl_addr_parse(cidr, AF_UNSPEC, &local), 0);
    rtnl_addr_set_ifindex(addr, (int)if_nametoindex(name));
    ck_assert_int_eq(rtnl_addr_set_local(addr, local), 0);
    ck_assert_int_eq(rtnl_addr_add(sk, addr, 0), 0);
}

/* A route to CIDR through link DEV (no gateway). */
static void add_route(const char *cidr, const char *dev)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = test_socket();
    _cleanup_(rtnl_route_putp) struct rtnl_route *route = rtnl_route_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *dst = NULL;
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();

    ck_assert_int_eq(nl_addr_parse(cidr, AF_UNSPEC, &dst), 0);
    ck_assert_int_eq(rtnl_route_set_dst(route, dst), 0);
    rtnl_route_set_family(route, (uint8_t)nl_addr_get_family(dst));
    rtnl_route_set_table(route, RT_TABLE_MAIN);
    rtnl_route_nh_set_ifindex(nh, (int)if_nametoindex(dev));
    rtnl_route_add_nexthop(route, nh);
    ck_assert_int_eq(rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL), 0);
}

/* ---- definitions ----------------------------------------------------------- */

static void set_inet(struct mv_inet *a, const char *text)
{
    ck_assert_int_eq(mv_inet_parse(text, a), 0);
}

static struct mv_net_def *new_def(enum mv_net_forward mode, const char *bridge)
{
    struct mv_net_def *def = calloc(1, sizeof(*def));

    ck_assert_ptr_nonnull(def);
    def->name = strdup("net1");
    def->forward.mode = mode;
    def->bridge.name = bridge ? strdup(bridge) : NULL;
    return def;
}

static void def_add_ip(struct mv_net_def *def, const char *address, unsigned int prefix)
{
    def->ips = realloc(def->ips, (def->nips + 1) * sizeof(*def->ips));
    ck_assert_ptr_nonnull(def->ips);
    def->ips[def->nips] = (struct mv_net_ip){ .prefix = prefix };
    set_inet(&def->ips[def->nips++].address, address);
}

static void def_add_route(struct mv_net_def *def, const char *address, unsigned int prefix,
                          const char *gateway, unsigned int metric)
{
    struct mv_net_route *rt;

    def->routes = realloc(def->routes, (def->nroutes + 1) * sizeof(*def->routes));
    ck_assert_ptr_nonnull(def->routes);
    rt = &def->routes[def->nroutes++];
    *rt = (struct mv_net_route){ .prefix = prefix, .metric = metric };
    set_inet(&rt->address, address);
    set_inet(&rt->gateway, gateway);
}

/* nat on BR: every attribute bridge.c handles */
static struct mv_net_def *full_def(void)
{
    struct mv_net_def *def = new_def(MV_NET_FWD_NAT, BR);

    def->bridge.stp = MV_NET_YES;
    def->bridge.delay = 4;
    def->bridge.has_delay = true;
    def->mac = strdup("52:54:00:ab:cd:ef");
    def->mtu = 1400;
    def_add_ip(def, "192.168.100.1", 24);
    def_add_ip(def, "fd00:100::1", 64);
    def_add_route(def, "10.20.0.0", 16, "192.168.100.254", 5);
    def_add_route(def, "fd00:200::", 64, "fd00:100::fe", 0);
    return def;
}

/* ---- reading the kernel's view ---------------------------------------- */

/* The first line of PATH without its newline, or NULL if it cannot be read. */
static char *read_line(const char *path)
{
    char buf[512];
    _cleanup_fclose_ FILE *f = fopen(path, "re");

    if (!f || !fgets(buf, sizeof(buf), f))
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

static void assert_file(const char *path, const char *expected)
{
    _cleanup_free_ char *v = read_line(path);

    ck_assert_msg(v != NULL, "cannot read %s", path);
    ck_assert_msg(strcmp(v, expected) == 0, "%s is '%s', expected '%s'", path, v, expected);
}

static void assert_attr(const char *ifname, const char *attr, const char *expected)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
    assert_file(path, expected);
}

static void assert_sysctl(const char *key, const char *expected)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "/proc/sys/net/%s", key);
    assert_file(path, expected);
}

static void assert_links(const char *expected)
{
    char links[256];

    mv_test_list_links(links, sizeof(links));
    ck_assert_str_eq(links, expected);
}

/* "ADDR/PREFIX" (and " brd BROADCAST" for IPv4 with one) for each address
 * of IFNAME, in getifaddrs() order, joined by ", ". */
static void list_addrs(const char *ifname, char *out, size_t size)
{
    struct ifaddrs *all = NULL;
    size_t len = 0;

    out[0] = '\0';
    ck_assert_int_eq(getifaddrs(&all), 0);
    for (struct ifaddrs *a = all; a; a = a->ifa_next) {
        char addr[INET6_ADDRSTRLEN] = "", brd[INET6_ADDRSTRLEN] = "";
        int family = a->ifa_addr ? a->ifa_addr->sa_family : 0;
        const void *bytes, *mask;
        unsigned int prefix = 0;
        size_t masklen;

        if (strcmp(a->ifa_name, ifname) != 0 || (family != AF_INET && family != AF_INET6))
            continue;
        if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr))
            continue;
        bytes = family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr
                                  : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
        mask = family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ifa_netmask)->sin_addr
                                 : (const void *)&((struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr;
        masklen = family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < masklen; i++)
            prefix += (unsigned int)__builtin_popcount(((const unsigned char *)mask)[i]);
        inet_ntop(family, bytes, addr, sizeof(addr));
        if (family == AF_INET && (a->ifa_flags & IFF_BROADCAST) && a->ifa_broadaddr)
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_broadaddr)->sin_addr, brd, sizeof(brd));
        len += snprintf(out + len, len < size ? size - len : 0, "%s%s/%u%s%s", len ? ", " : "",
                        addr, prefix, brd[0] ? " brd " : "", brd);
    }
    freeifaddrs(all);
}

/* IPv4 routes of the main table through IFNAME, as "DST/PREFIX via GW
 * metric M" joined by ", ", from /proc/net/route. */
static void list_routes4(const char *ifname, char *out, size_t size)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
    char line[256], dev[IFNAMSIZ + 1];
    unsigned int dst, gw, flags, refcnt, use, metric, mask;
    size_t len = 0;

    ck_assert_ptr_nonnull(f);
    out[0] = '\0';
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));    /* the header */
    while (fgets(line, sizeof(line), f)) {
        char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

        ck_assert_int_eq(sscanf(line, "%16s %x %x %x %u %u %u %x", dev, &dst, &gw, &flags, &refcnt,
                                &use, &metric, &mask), 8);
        if (strcmp(dev, ifname) != 0)
            continue;
        inet_ntop(AF_INET, &dst, d, sizeof(d));
        inet_ntop(AF_INET, &gw, g, sizeof(g));
        len += snprintf(out + len, len < size ? size - len : 0, "%s%s/%d via %s metric %u",
                        len ? ", " : "", d, __builtin_popcount(mask), g, metric);
    }
}

/* True if /proc/net/ipv6_route has DST/PREFIX via GW (32 hex digits each)
 * metric METRIC on IFNAME. */
static bool has_route6(const char *ifname, const char *dst, unsigned int prefix, const char *gw,
                       unsigned int metric)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/ipv6_route", "re");
    char line[512], d[33], s[33], g[33], dev[IFNAMSIZ + 1];
    unsigned int dlen, slen, m, refcnt, use, flags;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f)) {
        ck_assert_int_eq(sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %16s", d, &dlen, s, &slen, g, &m,
                                &refcnt, &use, &flags, dev), 10);
        if (strcmp(dev, ifname) == 0 && strcmp(d, dst) == 0 && dlen == prefix && strcmp(g, gw) == 0 &&
            m == metric)
            return true;
    }
    return false;
}

static unsigned long link_flags(const char *ifname)
{
    char path[PATH_MAX];
    _cleanup_free_ char *v = NULL;

    snprintf(path, sizeof(path), "/sys/class/net/%s/flags", ifname);
    v = read_line(path);
    ck_assert_ptr_nonnull(v);
    return strtoul(v, NULL, 16);
}

/* ---- tests: create and delete ------------------------------------------- */

START_TEST(test_create)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;
    char addrs[512], routes[512];
    int r;

    assert_sysctl("ipv4/ip_forward", "0");
    assert_sysctl("ipv6/conf/all/forwarding", "0");
    r = mv_bridge_create(nl, def, &err);
    ck_assert_msg(r == 0, "mv_bridge_create: %s (%s)", strerror(-r), err ? err : "no message");
    ck_assert_ptr_null(err);

    assert_links("lo " BR);
    ck_assert_msg(access("/sys/class/net/" BR "/bridge", F_OK) == 0, BR " is not a bridge");
    assert_attr(BR, "address", "52:54:00:ab:cd:ef");
    assert_attr(BR, "mtu", "1400");
    assert_attr(BR, "bridge/stp_state", "1");
    assert_attr(BR, "bridge/forward_delay", "400");     /* centiseconds */
    ck_assert_msg(link_flags(BR) & IFF_UP, BR " is not up");

    list_addrs(BR, addrs, sizeof(addrs));
    ck_assert_str_eq(addrs, "192.168.100.1/24 brd 192.168.100.255, fd00:100::1/64");
    list_routes4(BR, routes, sizeof(routes));
    ck_assert_str_eq(routes, "10.20.0.0/16 via 192.168.100.254 metric 5, 192.168.100.0/24 via 0.0.0.0 metric 0");
    /* a <route> without metric gets 1, as libvirt's */
    ck_assert(has_route6(BR, "fd000200000000000000000000000000", 64, "fd0001000000000000000000000000fe", 1));

    assert_sysctl("ipv6/conf/" BR "/accept_ra", "0");
    assert_sysctl("ipv6/conf/" BR "/autoconf", "0");
    assert_sysctl("ipv6/conf/" BR "/disable_ipv6", "0");
    assert_sysctl("ipv4/ip_forward", "1");
    assert_sysctl("ipv6/conf/all/forwarding", "1");
    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
}
END_TEST

/* The IPv6 address must be usable at once (dnsmasq binds it): not tentative. */
START_TEST(test_ipv6_not_tentative)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_fclose_ FILE *f = NULL;
    char line[256], addr[33], dev[IFNAMSIZ + 1];
    unsigned int ifindex, plen, scope, flags;
    bool found = false;

    ck_assert_int_eq(mv_bridge_create(nl, def, NULL), 0);
    f = fopen("/proc/net/if_inet6", "re");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f)) {
        ck_assert_int_eq(sscanf(line, "%32s %x %x %x %x %16s", addr, &ifindex, &plen, &scope, &flags, dev), 6);
        if (strcmp(addr, "fd000100000000000000000000000001") != 0)
            continue;
        found = true;
        ck_assert_str_eq(dev, BR);
        ck_assert_msg(!(flags & 0x40), "fd00:100::1 is tentative (flags %#x)", flags);  /* IFA_F_TENTATIVE */
    }
    ck_assert(found);
}
END_TEST

/* An isolated network: STP off, libvirt's delay 0, no IPv6 on the bridge at
 * all, forwarding left as it was. */
START_TEST(test_create_isolated)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_NONE, BR);
    _cleanup_free_ char *err = NULL;
    char addrs[256];
    int r;

    def->bridge.stp = MV_NET_NO;
    def_add_ip(def, "10.1.2.1", 24);
    r = mv_bridge_create(nl, def, &err);
    ck_assert_msg(r == 0, "mv_bridge_create: %s", err ? err : strerror(-r));
    assert_attr(BR, "bridge/stp_state", "0");
    assert_attr(BR, "bridge/forward_delay", "0");
    assert_sysctl("ipv6/conf/" BR "/disable_ipv6", "1");
    list_addrs(BR, addrs, sizeof(addrs));
    ck_assert_str_eq(addrs, "10.1.2.1/24 brd 10.1.2.255");
    assert_sysctl("ipv4/ip_forward", "0");
    assert_sysctl("ipv6/conf/all/forwarding", "0");
}
END_TEST

/* STP on (the default) with libvirt's default delay 0: taken, and raised by
 * the kernel to STP's minimum of 2 s (a delay set after STP would be refused). */
START_TEST(test_stp_default_delay)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_ROUTE, BR);
    _cleanup_free_ char *err = NULL;
    int r;

    def_add_ip(def, "10.1.2.1", 24);
    r = mv_bridge_create(nl, def, &err);
    ck_assert_msg(r == 0, "mv_bridge_create: %s", err ? err : strerror(-r));
    assert_attr(BR, "bridge/stp_state", "1");
    assert_attr(BR, "bridge/forward_delay", "200");
    assert_sysctl("ipv4/ip_forward", "1");
    /* no IPv6 in the network: its forwarding is not the network's business */
    assert_sysctl("ipv6/conf/all/forwarding", "0");
}
END_TEST

START_TEST(test_delete)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    char routes[256];

    ck_assert_int_eq(mv_bridge_create(nl, def, NULL), 0);
    ck_assert_int_eq(mv_bridge_delete(nl, def), 0);
    assert_links("lo");
    list_routes4(BR, routes, sizeof(routes));
    ck_assert_str_eq(routes, "");
    ck_assert(!has_route6(BR, "fd000200000000000000000000000000", 64, "fd0001000000000000000000000000fe", 1));
    ck_assert_int_ne(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
    /* already gone */
    ck_assert_int_eq(mv_bridge_delete(nl, def), 0);
}
END_TEST

/* A device that took the bridge's name is not ours: left alone. */
START_TEST(test_delete_not_a_bridge)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();

    add_other_link(BR, NULL);
    ck_assert_int_eq(mv_bridge_delete(nl, def), -EINVAL);
    assert_links("lo " BR);
    ck_assert_int_ne(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
}
END_TEST

START_TEST(test_present)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_net_def_ struct mv_net_def *other = full_def();

    ck_assert_int_ne(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
    ck_assert_int_eq(mv_bridge_create(nl, def, NULL), 0);
    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
    /* the bridge of that name without the network's first address */
    set_inet(&other->ips[0].address, "192.168.100.2");
    ck_assert_int_ne(mv_bridge_state(nl, other), MV_BRIDGE_OURS);
}
END_TEST

/* What a netd finds at its start: no bridge; ours whole; ours without its
 * addresses (flushed by hand: their routes went with them); a bridge of
 * that name with another MAC (not ours). */
START_TEST(test_state)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_net_def_ struct mv_net_def *other = full_def();
    _cleanup_free_ char *err = NULL;
    char addrs[512], routes[512];

    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_ABSENT);
    ck_assert_int_eq(mv_bridge_create(nl, def, NULL), 0);
    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
    ck_assert_int_eq(system("ip addr flush dev " BR), 0);
    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_UNADDRESSED);
    /* only the ones without a MAC of their own cannot tell */
    free(other->mac);
    other->mac = strdup("52:54:00:ab:cd:00");
    ck_assert_int_eq(mv_bridge_state(nl, other), MV_BRIDGE_FOREIGN);

    ck_assert_int_eq(mv_bridge_restore(nl, def, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(mv_bridge_state(nl, def), MV_BRIDGE_OURS);
    list_addrs(BR, addrs, sizeof(addrs));
    ck_assert_str_eq(addrs, "192.168.100.1/24 brd 192.168.100.255, fd00:100::1/64");
    list_routes4(BR, routes, sizeof(routes));
    ck_assert_str_eq(routes, "10.20.0.0/16 via 192.168.100.254 metric 5, 192.168.100.0/24 via 0.0.0.0 metric 0");
    ck_assert(has_route6(BR, "fd000200000000000000000000000000", 64, "fd0001000000000000000000000000fe", 1));
    /* with nothing missing, nothing changes */
    ck_assert_int_eq(mv_bridge_restore(nl, def, &err), 0);
    list_addrs(BR, addrs, sizeof(addrs));
    ck_assert_str_eq(addrs, "192.168.100.1/24 brd 192.168.100.255, fd00:100::1/64");
}
END_TEST

/* ---- tests: failures leave nothing -------------------------------------- */

/* The gateway of a <route> lies on no subnet of the bridge: the kernel
 * refuses the route after the bridge, its addresses and the first route were
 * made. */
START_TEST(test_rollback_gateway)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;
    char routes[256];

    set_inet(&def->routes[1].address, "fd00:300::");
    def_add_route(def, "10.30.0.0", 16, "10.99.99.99", 0);
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -ENETUNREACH);
    ck_assert_str_eq(err, "cannot add route 10.30.0.0/16 via 10.99.99.99 on bridge 'mvbr1' of network 'net1': "
                          "Network is unreachable");
    assert_links("lo");
    list_routes4(BR, routes, sizeof(routes));
    ck_assert_str_eq(routes, "");
    ck_assert(!has_route6(BR, "fd000300000000000000000000000000", 64, "fd0001000000000000000000000000fe", 1));
    assert_sysctl("ipv4/ip_forward", "0");
}
END_TEST

START_TEST(test_rollback_mtu)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;

    def->mtu = 70000;
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -EINVAL);
    ck_assert_str_eq(err, "cannot create bridge 'mvbr1' (MTU 70000) for network 'net1': Invalid argument");
    assert_links("lo");
}
END_TEST

/* The second of two <ip>s fails after the first was added. */
START_TEST(test_rollback_address)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_NAT, BR);
    _cleanup_free_ char *err = NULL;

    def_add_ip(def, "192.168.100.1", 24);
    def_add_ip(def, "192.168.100.1", 24);
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "cannot add address 192.168.100.1/24 to bridge 'mvbr1' of network 'net1': File exists");
    assert_links("lo");
    assert_sysctl("ipv4/ip_forward", "0");
}
END_TEST

/* Someone else's device of that name is refused, not taken over. */
START_TEST(test_create_name_taken)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;

    add_other_link(BR, NULL);
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "cannot create bridge 'mvbr1' (MTU 1400) for network 'net1': File exists");
    assert_links("lo " BR);
    ck_assert_msg(access("/sys/class/net/" BR "/bridge", F_OK) < 0, "the ifb became a bridge");
}
END_TEST

START_TEST(test_create_bad_input)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_net_def_ struct mv_net_def *host = new_def(MV_NET_FWD_BRIDGE, "br0");
    _cleanup_free_ char *err = NULL;

    free(def->bridge.name);
    def->bridge.name = strdup("bad/name");
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'net1' has an invalid bridge name 'bad/name': at most 15 bytes, "
                          "no '/', ':' or spaces");
    free(err);
    err = NULL;
    free(def->bridge.name);
    def->bridge.name = NULL;
    ck_assert_int_eq(mv_bridge_create(nl, def, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'net1' has no bridge name");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_bridge_create(nl, host, &err), -EINVAL);
    ck_assert_str_eq(err, "network 'net1' uses the host bridge 'br0': netd creates none");
    /* nothing to check or delete for a host bridge */
    ck_assert_int_eq(mv_bridge_check(nl, host, NULL), 0);
    ck_assert_int_eq(mv_bridge_delete(nl, host), 0);
    assert_links("lo");
}
END_TEST

/* ---- tests: the checks before start --------------------------------------- */

START_TEST(test_check_free)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;

    /* a default route overlaps everything and says nothing */
    add_other_link("eth9", "10.0.0.2/8");
    add_route("0.0.0.0/0", "eth9");
    add_route("192.168.101.0/24", "eth9");
    ck_assert_int_eq(mv_bridge_check(nl, def, &err), 0);
    ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_check_subnet)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_NAT, "virbr0");
    _cleanup_free_ char *err = NULL;

    add_other_link("eth9", "192.168.122.1/24");
    def_add_ip(def, "192.168.122.1", 24);
    ck_assert_int_eq(mv_bridge_check(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "network 'net1' subnet 192.168.122.0/24 is already in use by interface eth9");
    assert_links("eth9 lo");
}
END_TEST

/* Overlap, not only equality; the host's route is named when it differs. */
START_TEST(test_check_subnet_overlap)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_ROUTE, "virbr0");
    _cleanup_free_ char *err = NULL;

    add_other_link("eth9", "10.0.0.1/8");
    def_add_ip(def, "fd00:1::1", 64);
    def_add_ip(def, "10.5.6.1", 24);
    ck_assert_int_eq(mv_bridge_check(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "network 'net1' subnet 10.5.6.0/24 is already in use by interface eth9 "
                          "(route 10.0.0.0/8)");
}
END_TEST

START_TEST(test_check_subnet_ipv6)
{
    _cleanup_net_def_ struct mv_net_def *def = new_def(MV_NET_FWD_NAT, "virbr0");
    _cleanup_free_ char *err = NULL;

    add_other_link("eth9", "fd00:1::2/64");
    def_add_ip(def, "192.168.122.1", 24);
    def_add_ip(def, "fd00:1::1", 64);
    ck_assert_int_eq(mv_bridge_check(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "network 'net1' subnet fd00:1::/64 is already in use by interface eth9");
}
END_TEST

START_TEST(test_check_name_taken)
{
    _cleanup_net_def_ struct mv_net_def *def = full_def();
    _cleanup_free_ char *err = NULL;

    add_other_link(BR, NULL);
    ck_assert_int_eq(mv_bridge_check(nl, def, &err), -EEXIST);
    ck_assert_str_eq(err, "network 'net1' cannot use bridge 'mvbr1': an interface of that name "
                          "already exists (kind ifb)");
}
END_TEST

/* ---- tests: picking names and subnets ------------------------------------ */

START_TEST(test_pick_name)
{
    static const char *const taken[] = { "virbr1", "virbr3", NULL };
    _cleanup_free_ char *first = NULL, *next = NULL;

    ck_assert_int_eq(mv_bridge_pick_name(nl, NULL, &first), 0);
    ck_assert_str_eq(first, "virbr0");
    add_other_link("virbr0", NULL);
    add_other_link("virbr2", NULL);
    ck_assert_int_eq(mv_bridge_pick_name(nl, taken, &next), 0);
    ck_assert_str_eq(next, "virbr4");
}
END_TEST

START_TEST(test_pick_subnet)
{
    unsigned int octet = 0;

    ck_assert_int_eq(mv_bridge_pick_subnet(nl, &octet), 0);
    ck_assert_uint_eq(octet, 122);
    add_other_link("eth9", "192.168.122.1/24");
    add_route("192.168.123.128/25", "eth9");
    add_route("0.0.0.0/0", "eth9");
    ck_assert_int_eq(mv_bridge_pick_subnet(nl, &octet), 0);
    ck_assert_uint_eq(octet, 124);
    /* all of 192.168/16 routed: nothing left */
    add_route("192.168.0.0/16", "eth9");
    octet = 7;
    ck_assert_int_eq(mv_bridge_pick_subnet(nl, &octet), -EADDRNOTAVAIL);
    ck_assert_uint_eq(octet, 7);
}
END_TEST

/* ---- tests: the routes and addresses of common/netlink ------------------- */

static struct mv_netlink_route route4(const char *dst, unsigned int len, const char *gw, int ifindex)
{
    struct mv_netlink_route r = { .family = AF_INET, .dst_len = len, .ifindex = ifindex };

    ck_assert_int_eq(inet_pton(AF_INET, dst, r.dst), 1);
    if (gw) {
        r.has_gateway = true;
        ck_assert_int_eq(inet_pton(AF_INET, gw, r.gateway), 1);
    }
    return r;
}

START_TEST(test_netlink_routes)
{
    _cleanup_free_ struct mv_netlink_route *routes = NULL;
    struct mv_netlink_route rt;
    struct in_addr a;
    char list[256];
    size_t n = 0;
    int ifindex;
    bool found = false;

    add_other_link("eth9", "10.0.0.2/8");
    ifindex = (int)if_nametoindex("eth9");
    rt = route4("172.16.0.0", 12, "10.0.0.1", ifindex);
    rt.metric = 7;
    ck_assert_int_eq(mv_netlink_route_add(nl, &rt), 0);
    ck_assert_int_eq(mv_netlink_route_add(nl, &rt), -EEXIST);
    list_routes4("eth9", list, sizeof(list));
    ck_assert_str_eq(list, "10.0.0.0/8 via 0.0.0.0 metric 0, 172.16.0.0/12 via 10.0.0.1 metric 7");

    ck_assert_int_eq(mv_netlink_route_list(nl, AF_INET, &routes, &n), 0);
    for (size_t i = 0; i < n; i++) {
        if (routes[i].dst_len != 12)
            continue;
        found = true;
        ck_assert_int_eq(memcmp(routes[i].dst, rt.dst, 4), 0);
        ck_assert(routes[i].has_gateway);
        ck_assert_int_eq(memcmp(routes[i].gateway, rt.gateway, 4), 0);
        ck_assert_uint_eq(routes[i].metric, 7);
        ck_assert_int_eq(routes[i].ifindex, ifindex);
        ck_assert_uint_eq(routes[i].type, RTN_UNICAST);
    }
    ck_assert(found);

    ck_assert_int_eq(mv_netlink_route_delete(nl, &rt), 0);
    list_routes4("eth9", list, sizeof(list));
    ck_assert_str_eq(list, "10.0.0.0/8 via 0.0.0.0 metric 0");
    ck_assert_int_eq(mv_netlink_route_delete(nl, &rt), -ESRCH);

    ck_assert_int_eq(inet_pton(AF_INET, "10.0.0.2", &a), 1);
    ck_assert_int_eq(mv_netlink_addr_exists(nl, ifindex, AF_INET, &a, 8), 1);
    ck_assert_int_eq(mv_netlink_addr_exists(nl, ifindex, AF_INET, &a, 24), 0);
    ck_assert_int_eq(mv_netlink_addr_exists(nl, 1, AF_INET, &a, 8), 0);
}
END_TEST

static Suite *bridge_suite(void)
{
    Suite *s = suite_create("netd_bridge");
    TCase *tc;

    tc = tcase_create("create");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create);
    tcase_add_test(tc, test_ipv6_not_tentative);
    tcase_add_test(tc, test_create_isolated);
    tcase_add_test(tc, test_stp_default_delay);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_delete_not_a_bridge);
    tcase_add_test(tc, test_present);
    tcase_add_test(tc, test_state);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rollback_gateway);
    tcase_add_test(tc, test_rollback_mtu);
    tcase_add_test(tc, test_rollback_address);
    tcase_add_test(tc, test_create_name_taken);
    tcase_add_test(tc, test_create_bad_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_check_free);
    tcase_add_test(tc, test_check_subnet);
    tcase_add_test(tc, test_check_subnet_overlap);
    tcase_add_test(tc, test_check_subnet_ipv6);
    tcase_add_test(tc, test_check_name_taken);
    tcase_add_test(tc, test_pick_name);
    tcase_add_test(tc, test_pick_subnet);
    suite_add_tcase(s, tc);

    tc = tcase_create("netlink");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_netlink_routes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    if (!mv_test_probe(mv_test_enter_netns)) {
        /* every test here needs the kernel; none may run outside a namespace */
        printf("1..0 # SKIP no network namespaces here (needs root)\n");
        return 0;
    }
    if (getenv("CK_FORK") && strcmp(getenv("CK_FORK"), "no") == 0) {
        printf("Bail out! these tests need CK_FORK=yes: each runs in its own namespace\n");
        return 1;
    }
    sr = srunner_create(bridge_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
