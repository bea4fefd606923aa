/*
 * Host network links, addresses and routes over rtnetlink (libnl-route-3),
 * for the daemons that manage interfaces: qemud's taps, netd's bridges and
 * veths.  Links are
 * named by ifindex once found: a name can be taken by another link the
 * moment ours is gone, an ifindex is not handed out again while the
 * namespace lives (the kernel counts up).
 *
 * Kept out of libmvcommon (its own libmvnetlink) so that clients never link
 * libnl.  All functions return 0 (or a positive value) on success and
 * -errno on failure; libnl's own NLE_* codes are mapped back to errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define MV_IFNAME_MAX 15            /* IFNAMSIZ - 1 */

/* One rtnetlink socket; several calls can share it. */
struct mv_netlink;

int mv_netlink_open(struct mv_netlink **ret);
void mv_netlink_close(struct mv_netlink *nl);
static inline void mv_netlink_closep(struct mv_netlink **nl) { mv_netlink_close(*nl); }

/* What a link is now. */
struct mv_link_info {
    int ifindex;
    char name[MV_IFNAME_MAX + 1];
    char kind[32];                  /* "tun", "bridge", "veth"... "" for a plain NIC */
    unsigned int mtu;
    int master;                     /* ifindex of the bridge it is a port of, 0 if none */
    bool has_mac;                   /* an Ethernet address (6 bytes) in MAC */
    unsigned char mac[6];
};

/* The kernel's rules for interface names (dev_valid_name()) plus no control
 * characters or spaces; TEMPLATE allows one "%d" (the kernel's next free
 * number). */
bool mv_netlink_ifname_valid(const char *name, bool template);

/* Looks a link up by NAME (IFINDEX 0) or by IFINDEX (NAME NULL).  -ENODEV
 * if there is none. */
int mv_netlink_link_get(struct mv_netlink *nl, const char *name, int ifindex, struct mv_link_info *info);

/* Sets the MAC address of link IFINDEX. */
int mv_netlink_link_set_mac(struct mv_netlink *nl, int ifindex, const unsigned char mac[6]);
/* Makes IFINDEX a port of the bridge MASTER (0: of none), first taking MTU
 * (if not 0): a smaller port MTU would lower the whole bridge's. */
int mv_netlink_link_enslave(struct mv_netlink *nl, int ifindex, int master, unsigned int mtu);
/* Brings IFINDEX up or down. */
int mv_netlink_link_set_up(struct mv_netlink *nl, int ifindex, bool up);

/* Deletes link IFINDEX if it is still the link we made: named NAME and of
 * kind KIND (either may be NULL: not checked).  0 if deleted or already
 * gone; -EINVAL (left alone) if IFINDEX now is something else. */
int mv_netlink_link_delete(struct mv_netlink *nl, int ifindex, const char *name, const char *kind);

/* ---- bridges ---- */

/* A bridge for mv_netlink_bridge_add(). */
struct mv_netlink_bridge {
    const char *name;
    const unsigned char *mac;           /* 6 bytes, or NULL: the kernel picks one */
    unsigned int mtu;                   /* 0: the kernel's default */
    bool stp;
    unsigned int forward_delay_cs;      /* in centiseconds (the kernel's USER_HZ) */
};

/* Creates the bridge BR, down, with all of BR's attributes in one request: it
 * exists whole or not at all.  -EEXIST if a link of that name exists.  Its
 * ifindex in *IFINDEX (may be NULL). */
int mv_netlink_bridge_add(struct mv_netlink *nl, const struct mv_netlink_bridge *br, int *ifindex);

/* ---- addresses and routes (netlink_route.c) ---- */

/* Adds ADDR/PREFIX (FAMILY AF_INET or AF_INET6, ADDR an in_addr or in6_addr)
 * to link IFINDEX.  IPv4 gets its subnet's broadcast address (below /31);
 * IPv6 is added without duplicate address detection: a bridge without ports
 * has no carrier, so DAD would never end and a tentative address cannot be
 * bound (dnsmasq). */
int mv_netlink_addr_add(struct mv_netlink *nl, int ifindex, int family, const void *addr,
                        unsigned int prefix);
/* 1 if link IFINDEX has ADDR/PREFIX, 0 if not. */
int mv_netlink_addr_exists(struct mv_netlink *nl, int ifindex, int family, const void *addr,
                           unsigned int prefix);

/* A route of the main table. */
struct mv_netlink_route {
    int family;                         /* AF_INET, AF_INET6 */
    unsigned char dst[16];              /* in_addr or in6_addr, network order */
    unsigned int dst_len;               /* prefix length; 0 = default route */
    bool has_gateway;
    unsigned char gateway[16];
    unsigned int metric;                /* 0: the kernel's default */
    int ifindex;                        /* the (first) output link, 0 if none */
    unsigned char type;                 /* RTN_UNICAST, RTN_UNREACHABLE...; 0 = unicast */
};

/* Adds R (a unicast route; -EEXIST if the same one exists). */
int mv_netlink_route_add(struct mv_netlink *nl, const struct mv_netlink_route *r);
/* Deletes R; -ESRCH if there is none. */
int mv_netlink_route_delete(struct mv_netlink *nl, const struct mv_netlink_route *r);
/* The routes of the main table of FAMILY (AF_UNSPEC: IPv4 and IPv6) in a new
 * array *ROUTES of *N (NULL if none). */
int mv_netlink_route_list(struct mv_netlink *nl, int family, struct mv_netlink_route **routes,
                          size_t *n);
