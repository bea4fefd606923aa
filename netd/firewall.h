/*
 * netd's firewall, through libnftables (the library; nft is never run):
 * one table of our own, "inet modvirt", and no other table is touched
 * except the tagged DOCKER-USER rules of mv_firewall_coexist().
 *
 * The table's shape (firewall_rules.c writes it, golden-tested and checked
 * with `nft -c`):
 *
 *   map in_if, to_if, from_if, nat_if   ifname -> verdict, one element per
 *                                       network, keyed by its bridge
 *   chain input        hook input:       iifname vmap @in_if
 *   chain forward      hook forward:     oifname vmap @to_if
 *                                        iifname vmap @from_if
 *   chain postrouting  hook postrouting: iifname vmap @nat_if   (srcnat)
 *
 * and per network, chains named after the bridge BR:
 *
 *   in_BR    DHCP/DNS(/DHCPv6) from the guests to the host
 *   to_BR    forwarded into the bridge: what may pass returns, the rest is
 *            rejected (nat: established/related only; route: the subnets;
 *            isolated: only guests of the same bridge)
 *   from_BR  forwarded out of the bridge, the same way round (nat and
 *            route: the network's own subnets, to <forward dev> if given)
 *   nat_BR   nat: masquerade (or snat to <nat><address>) the IPv4 subnets
 *            leaving for anything outside them, except 224.0.0.0/24 and
 *            255.255.255.255; tcp/udp get the source ports of <nat><port>
 *            (1024-65535 by default), as libvirt does.  No NAT for IPv6:
 *            its subnets are forwarded as for route.
 *
 * Allowed traffic "return"s rather than "accept"s, so a packet between two
 * of our networks must pass both networks' chains; the base chains accept
 * by policy.  Open and bridge modes have no rules at all.
 *
 * Adding a network is one nftables transaction (the table and base chains
 * created if missing, this network's earlier leftovers purged, its chains
 * and map elements added); removing one is one transaction deleting its
 * map elements and chains, or the whole table when it is the last.
 *
 * An accept in our table cannot override another table's drop (every base
 * chain on a hook sees the packet): that is what mv_firewall_coexist() is
 * for.  The calls serialise themselves (networks start and stop on
 * different workers at once, and "remove the table with the last network"
 * decides from a listing); the kernel makes each transaction atomic for
 * packets.
 */
#pragma once

#include <stdbool.h>

#include "network_def.h"

/* Our table's family and name. */
#define MV_FIREWALL_FAMILY "inet"
#define MV_FIREWALL_TABLE "modvirt"

/* The nftables ruleset text (nft -f syntax) that adds DEF's rules, creating
 * our table if needed and replacing any left from an earlier run of DEF's
 * bridge; "" for open and bridge modes.  Pure.  0, or -EINVAL (a bridge or
 * forward dev name nftables rules cannot hold, no bridge name) / -ENOMEM
 * with *ERRMSG. */
int mv_firewall_rules(const struct mv_net_def *def, char **text, char **errmsg);

/* The text that removes DEF's chains and map elements from our table (which
 * must exist; missing parts are not an error).  Pure; errors as above. */
int mv_firewall_rules_remove(const struct mv_net_def *def, char **text, char **errmsg);

/* The per-network chains DEF's rules create ("to_virbr0", each jumped to
 * from the map of its prefix, "to_if", keyed by the bridge name), as a
 * NULL-terminated vector (empty for open and bridge modes).  0 or
 * -EINVAL/-ENOMEM with *ERRMSG. */
int mv_firewall_chains(const struct mv_net_def *def, char ***names, char **errmsg);

/* Adds DEF's rules (creating our table if needed), replacing any left from
 * an earlier run of the same network.  0 or -errno with *ERRMSG naming the
 * network and nft's message; on failure nothing of DEF's is left. */
int mv_firewall_add(const struct mv_net_def *def, char **errmsg);

/* Removes DEF's rules and its DOCKER-USER entries, and our table with the
 * last network's.  Missing rules are not an error (idempotent). */
int mv_firewall_remove(const struct mv_net_def *def, char **errmsg);

/* True if DEF's rules are in place (restart re-adoption); true for modes
 * that have none. */
bool mv_firewall_present(const struct mv_net_def *def);

/* Other firewalls: for each of "ip filter" and "ip6 filter" whose FORWARD
 * chain has policy drop (Docker's, through iptables-nft), lets DEF's bridge
 * through Docker's documented DOCKER-USER chain (accept rules in and out of
 * the bridge, commented "modvirt network NAME", replaced on each call and
 * dropped by mv_firewall_remove), or, without DOCKER-USER, sets *WARNING
 * naming the chain and the fix.  A FORWARD drop in the legacy iptables
 * filter table (iptables-legacy; never changed by us) only gets a warning.
 * Our table keeps deciding what may pass.  Modes without forwarding
 * (isolated, bridge) need nothing.  0 or -errno with *ERRMSG; *WARNING is
 * NULL when there is nothing to say. */
int mv_firewall_coexist(const struct mv_net_def *def, char **warning, char **errmsg);

/* ---- firewall_legacy.c ---- */
/* Whether this namespace's legacy iptables (x_tables) IPv4 filter table
 * exists and its FORWARD chain has policy drop.  0 or -errno. */
int mv_firewall_legacy_forward_drops(bool *drops);
