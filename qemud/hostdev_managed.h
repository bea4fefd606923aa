/*
 * Managed PCI hostdevs (<hostdev mode='subsystem' type='pci' managed='yes'>):
 * qemud asks modvirt-nodedevd, over nodedevd's socket (peer_conn.h), to
 * give each to vfio-pci before QEMU starts (NODE_DEVICE_DETACH_FLAGS,
 * driver "vfio") and to give it back to its host driver once the run is
 * over (NODE_DEVICE_RE_ATTACH): at stop, after a failed start, and when a
 * restarted qemud finds the run gone.  nodedevd names a device
 * pci_DDDD_BB_SS_F and knows which driver it had.
 *
 * Which devices a run asked to detach is the live definition's
 * hostdev->detached, set before the first request and kept in the status
 * file (<hostdev-detached dev='pci_...'/>, domain_store.c), so a daemon
 * killed at any point reattaches them.  As in libvirt, a managed device
 * that was on vfio-pci already goes back to the host driver too.
 * Every call blocks: in a domain's job, never on the RPC loop.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domain_def.h"
#include "error.h"
#include "paths.h"

/* True if DEF has a managed='yes' hostdev. */
bool qemud_hostdevs_managed(const struct mv_dom_def *def);

/* nodedevd's name of H's host function: "pci_0000_03_00_0". */
void qemud_hostdev_nodedev_name(const struct mv_dom_hostdev *h, char *name, size_t size);

/* Marks every managed hostdev of LIVE detached: call it, and write the
 * status, before qemud_hostdevs_detach. */
void qemud_hostdevs_mark(struct mv_dom_def *live);

/* Detaches every managed hostdev of LIVE (marked); 0, or -errno with ERR
 * naming the domain, the device and nodedevd's reason ("... is in use by
 * the host: interface eth0 has addresses (...)").  The caller reattaches
 * what is marked, whatever this returns. */
int qemud_hostdevs_detach(const struct mv_paths *paths, const struct mv_dom_def *live, struct mv_err *err);

/* Gives every marked hostdev of LIVE back to the host (LIVE is not
 * changed: it may be a published snapshot).  Failures are logged: the run
 * is over whatever nodedevd says. */
void qemud_hostdevs_reattach(const struct mv_paths *paths, const struct mv_dom_def *live);
