/*
 * qemud as a client of another modvirt daemon over its socket
 * (<rundir>/<daemon>-sock), as virtqemud is of virtnetworkd and
 * virtstoraged (wire-protocol.md 9.4): netd for ports (network_port.c),
 * storaged for volumes (storage_volume.c).  A connection is opened on first
 * use for one start, stop or re-attach and closed after.  Every call blocks
 * (bounded by the peer's timeout): use these in a domain's job, never on
 * the RPC loop.
 */
#pragma once

#include <rpc/types.h>
#include <rpc/xdr.h>

#include "client.h"
#include "error.h"
#include "paths.h"

struct qemud_peer {
    const struct mv_paths *paths;
    const char *daemon;         /* socket name: "netd", "storaged" */
    const char *uri;            /* what CONNECT_OPEN asks for: "network:///system" */
    int timeout_ms;             /* per call */
    struct mv_rpc_client *rpc;  /* NULL until opened */
};

/* Connects (AUTH_LIST, polkit if asked, CONNECT_OPEN) unless already
 * connected.  0, or -errno with ERR naming the socket and asking whether
 * the daemon runs. */
int qemud_peer_open(struct qemud_peer *p, struct mv_err *err);

/* Calls PROC on the open connection; as mv_rpc_client_call(). */
int qemud_peer_call(struct qemud_peer *p, int proc, xdrproc_t af, const void *args, xdrproc_t rf, void *ret,
                    struct mv_err *err);

void qemud_peer_close(struct qemud_peer *p);
