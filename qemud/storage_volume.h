/*
 * Volumes of modvirt-storaged's pools for a guest's <disk type='volume'>.
 * qemud is a client of storaged over storaged's socket
 * (<rundir>/storaged-sock, peer_conn.h) and shares no file with it.  At
 * start each volume disk is resolved:
 *
 *   STORAGE_POOL_LOOKUP_BY_NAME, STORAGE_POOL_IS_ACTIVE,
 *   STORAGE_VOL_LOOKUP_BY_NAME, STORAGE_VOL_GET_PATH, and
 *   STORAGE_VOL_GET_XML_DESC for the volume's type and format.
 *
 * The path goes into the live definition (struct mv_dom_disk source), which
 * the status file keeps across a qemud restart; the live XML shows the disk
 * as libvirt does, with <source pool= volume=/>.  A volume's format is the
 * disk's format unless the definition names one (<driver type=>).  Every
 * call blocks: run these in a domain's job, never on the RPC loop.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "error.h"
#include "paths.h"

/* True if DEF has a disk of type volume. */
bool qemud_disk_volumes_needed(const struct mv_dom_def *def);

/* Resolves each volume disk of LIVE (domain LIVE->name): fills source and,
 * if not given, format.  0, or -errno with ERR naming pool, volume and
 * cause ("Requested operation is not valid: storage pool 'p' containing
 * volume 'v' is not active", "Storage volume not found: no storage volume
 * with matching name 'v' in pool 'p'", "cannot reach modvirt-storaged for
 * volume 'v' of pool 'p' of domain 'd': cannot connect to
 * '<rundir>/storaged-sock': ..."); on failure LIVE is unchanged. */
int qemud_disk_volumes_resolve(const struct mv_paths *paths, struct mv_dom_def *live, struct mv_err *err);
