/*
 * The host side of a network: its bridge (created over rtnetlink with
 * libnl3: name, MAC, MTU, STP, forward delay, addresses, up), its static
 * routes, IP forwarding, and the checks before start: a subnet already
 * routed on the host, or a bridge name that belongs to a device we did not
 * create, are refused with a message naming the interface.
 */
#pragma once

#include <stdbool.h>

#include "network_def.h"

struct mv_netlink;

/* Refuses DEF if any of its <ip> subnets overlaps a route on the host
 * ("network 'n' subnet 192.168.122.0/24 is already in use by interface
 * eth0"), or if a link named like DEF's bridge already exists (the driver
 * calls this only for a network that is not running, so any such link is
 * not ours).  Routes of the main table count, default routes do not.  A
 * network of forward mode bridge (a host bridge) has nothing to check.
 * 0 or -EEXIST/-errno with *ERRMSG. */
int mv_bridge_check(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg);

/* Creates DEF's bridge and brings it up with its addresses and routes; turns
 * on ip_forward (and IPv6 forwarding, each if DEF has an <ip> of that
 * family) for nat/route/open.  STP is on unless stp='off'; the forward delay
 * is DEF's (0 if not given, as libvirt), which the kernel raises to 2 s when
 * STP is on.  On the bridge: accept_ra and autoconf off with IPv6, IPv6
 * disabled without.  On failure removes what it made (forwarding, a
 * namespace-wide setting, stays).  -EINVAL for forward mode bridge.
 * 0 or -errno with *ERRMSG. */
int mv_bridge_create(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg);

/* Deletes DEF's bridge (and with it its addresses and routes).  A missing
 * bridge is fine; a link of that name that is not a bridge is left alone
 * (-EINVAL). */
int mv_bridge_delete(struct mv_netlink *nl, const struct mv_net_def *def);

/* What DEF's bridge is on the host, for a netd re-adopting DEF. */
enum mv_bridge_state {
    MV_BRIDGE_ABSENT,           /* no link of that name */
    MV_BRIDGE_OURS,             /* a bridge with DEF's MAC and all of DEF's addresses */
    MV_BRIDGE_UNADDRESSED,      /* that bridge, but some of DEF's addresses are gone */
    MV_BRIDGE_FOREIGN,          /* not a bridge, or a bridge with another MAC */
};
/* DEF's bridge as above.  A DEF without a MAC takes any bridge of that name
 * for its own; a host bridge (forward mode bridge) is ours when it exists.
 * A lookup that fails (not for want of the link) counts as OURS: better
 * keep a network that may be fine than tear it down. */
enum mv_bridge_state mv_bridge_state(struct mv_netlink *nl, const struct mv_net_def *def);

/* Puts back on DEF's existing bridge what it lost behind our back: missing
 * addresses, up, static routes, forwarding.  What is there stays.  0 or
 * -errno with *ERRMSG naming the bridge and what failed. */
int mv_bridge_restore(struct mv_netlink *nl, const struct mv_net_def *def, char **errmsg);

/* The first free virbrN name, N < 256 (not a link on the host, not in the
 * NULL-terminated TAKEN, which may be NULL).  -ENOSPC if none. */
int mv_bridge_pick_name(struct mv_netlink *nl, const char *const *taken, char **name);

/* For the default network: the first 192.168.N.0/24, N from 122 up, that no
 * host route overlaps.  0 or -EADDRNOTAVAIL. */
int mv_bridge_pick_subnet(struct mv_netlink *nl, unsigned int *third_octet);
