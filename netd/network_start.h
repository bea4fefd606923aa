/*
 * Starting and stopping a network with the real parts: its bridge
 * (bridge.h), firewall rules (firewall.h) and dnsmasq (dnsmasq.h), in that
 * order, and undone in reverse.  A failure part-way leaves nothing of the
 * network behind: no bridge, no rules, no dnsmasq, no status file.
 *
 * All of these run with the network's job held.
 */
#pragma once

#include "error.h"
#include "network_obj.h"
#include "network_store.h"

/* Starts NET with DEF (taken in every case) as its live definition; emits
 * STARTED.  Refuses a subnet that overlaps another active network's or a
 * host route, naming that network or interface; these checks and the
 * bridge's creation are one step across networks (netd.start_lock).  0, or
 * -errno with ERR naming the network and the cause. */
int netd_net_start(struct netd_net *net, struct mv_net_def *def, struct mv_err *err);

/* Stops active NET: dnsmasq (its leases go), rules, bridge, ports and the
 * status file; emits STOPPED.  A transient network leaves the registry.
 * A part that cannot be removed is logged, the stop goes on, and the status
 * stays as 'stopping': NET is inactive, and its next start (or netd's next
 * start) finishes the stop first. */
void netd_net_stop(struct netd_net *net);

/* Re-adopts NET, found running at netd start as status ST describes (its
 * live definition is taken): keeps it if its bridge is still there and
 * ours (kind bridge, its MAC), putting back addresses, routes, rules and
 * dnsmasq that went missing and checking Docker's chain again; otherwise
 * removes what is left.  A start or stop that never finished
 * (ST->starting, ST->stopping) is finished: all goes.  True if NET is
 * active afterwards. */
bool netd_net_readopt(struct netd_net *net, struct netd_status *st);

/* Picks a bridge name for DEF if it has none, and refuses a name another
 * network uses.  Call with netd.bridge_lock held; SELF (may be NULL) is the
 * network DEF is for. */
int netd_net_assign_bridge(struct mv_net_def *def, const struct netd_net *self, struct mv_err *err);

/* A task (netd_task_push): NET's dnsmasq, pid ARG, exited; restart it
 * unless a stop or a newer dnsmasq has taken its place meanwhile. */
void netd_dnsmasq_died(struct netd_net *net, long arg);
