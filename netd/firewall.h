/*
 * netd's firewall, through libnftables: one table of our own ("inet
 * modvirt" plus an "ip modvirt_nat"/"ip6 modvirt_nat" for masquerade, or
 * whatever firewall_rules.c settles on) holding one set of chains per
 * network, named after its bridge.  No other table is ever touched.  The
 * rules are a pure function of the definition (firewall_rules.c,
 * golden-tested and checked with `nft -c`); firewall.c applies and removes
 * them in one atomic nft transaction each.
 *
 * A network's rules: DHCP/DNS in on its bridge; nat: masquerade its subnets
 * leaving by any other interface (or forward dev), forward out freely and
 * back in only for established/related; route: forward both ways; isolated
 * (no <forward>): drop everything forwarded to or from the bridge; open and
 * bridge modes: nothing.
 */
#pragma once

#include <stdbool.h>

#include "network_def.h"

/* The nftables ruleset text (nft -f syntax) that adds DEF's rules; pure. */
int mv_firewall_rules(const struct mv_net_def *def, char **text, char **errmsg);

/* Adds DEF's rules (creating our table if needed), replacing any left from
 * an earlier run of the same network.  0 or -errno with *ERRMSG naming the
 * network and nft's message; on failure nothing of DEF's is left. */
int mv_firewall_add(const struct mv_net_def *def, char **errmsg);

/* Removes DEF's rules, and our table with the last network's.  Missing
 * rules are not an error (idempotent). */
int mv_firewall_remove(const struct mv_net_def *def, char **errmsg);

/* True if DEF's rules are in place (restart re-adoption). */
bool mv_firewall_present(const struct mv_net_def *def);

/* Other firewalls: if an "ip filter FORWARD" chain with policy drop exists
 * (Docker's), makes DEF's forwarding pass through Docker's documented
 * DOCKER-USER chain, or returns a warning in *WARNING naming the chain and
 * the fix.  0 or -errno. */
int mv_firewall_coexist(const struct mv_net_def *def, char **warning, char **errmsg);
