/*
 * What modvirt-netd's DHCP leases say about a running domain's
 * <interface type='network'>s: INTERFACE_ADDRESSES with source LEASE and
 * GET_HOSTNAME with the lease flag (NETWORK_LOOKUP_BY_NAME and
 * NETWORK_GET_DHCP_LEASES by MAC, as virtqemud asks virtnetworkd).  The
 * calls block (bounded): run on a worker, never on the RPC loop.
 */
#pragma once

#include "domain_obj.h"
#include "error.h"
#include "remote_protocol.h"

/* The leases of DOM's network interfaces, one entry per interface that
 * has any (named by its tap, with its MAC), into RET (freed by the reply's
 * xdr_free).  0, or -errno with ERR (not running, netd unreachable). */
int qemud_lease_addresses(struct qemud_dom *dom, mv_domain_interface_addresses_ret *ret, struct mv_err *err);

/* The host name the guest gave in its first lease that names one.  0 with
 * *NAME (malloc'd), or -errno with ERR: no lease names one is
 * "no hostname found" (code 108). */
int qemud_lease_hostname(struct qemud_dom *dom, char **name, struct mv_err *err);
