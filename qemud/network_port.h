/*
 * Ports on modvirt-netd's networks for a guest's <interface type='network'>.
 * qemud is a client of netd over netd's socket (<rundir>/netd-sock), as
 * virtqemud is of virtnetworkd (wire-protocol.md 9.4), and shares no file
 * with it:
 *
 *   start    NETWORK_LOOKUP_BY_NAME, NETWORK_PORT_CREATE_XML (owner, MAC),
 *            NETWORK_PORT_GET_XML_DESC for the bridge the port plugs into;
 *   stop     NETWORK_PORT_DELETE;
 *   restart  NETWORK_PORT_LOOKUP_BY_UUID, and NETWORK_PORT_CREATE_XML with
 *            RECLAIM for a port netd no longer knows.
 *
 * The port's UUID and bridge live in the live definition (struct mv_dom_net
 * portid, bridge), which the status file keeps across a qemud restart.
 * Every call blocks (each bounded by NETD_CALL_TIMEOUT_MS): run these in a
 * domain's job on a worker or task thread, never on the RPC loop.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "error.h"
#include "paths.h"

/* True if DEF has an interface of type network. */
bool qemud_net_ports_needed(const struct mv_dom_def *def);

/* Gives each network interface of LIVE (owner LIVE's name and UUID) a port
 * on its network: fills portid and bridge.  0, or -errno with ERR naming
 * the network and the cause ("Requested operation is not valid: network
 * 'x' is not active", "cannot connect to '<rundir>/netd-sock': ... is
 * modvirt-netd running?"); on failure the ports made so far are deleted
 * again and LIVE has none. */
int qemud_net_ports_plug(const struct mv_paths *paths, struct mv_dom_def *live, struct mv_err *err);

/* Deletes the ports of LIVE's network interfaces (LIVE is not changed: it
 * may be a published snapshot).  A port or network netd no longer has is
 * fine; other failures are logged: the guest is gone whatever netd says. */
void qemud_net_ports_unplug(const struct mv_paths *paths, const struct mv_dom_def *live);

/* After a qemud restart: makes sure netd knows the ports of the running
 * guest LIVE, re-creating with RECLAIM (same UUID) any it lost, so that a
 * port is neither leaked nor counted twice.  Failures are logged. */
void qemud_net_ports_reclaim(const struct mv_paths *paths, const struct mv_dom_def *live);
