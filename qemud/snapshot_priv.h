/*
 * What the snapshot parts of modvirt-qemud share (snapshot_procs.c,
 * snapshot_internal.c, snapshot_external.c).  Every function here is
 * called with the domain's job held and dom->lock not held.
 */
#pragma once

#include "domain_def.h"
#include "domain_obj.h"
#include "error.h"
#include "snapshot_def.h"

#define QEMUD_QEMU_IMG "/usr/bin/qemu-img"

/* Registers the QMP event handler the snapshot jobs wait with (driver start-up). */
int qemud_snapshot_init(void);

/* The disks a snapshot covers: writable disks (not CD-ROMs, not read-only). */
bool qemud_snap_disk_covered(const struct mv_dom_disk *d);

/* The block node QEMU's device of running DOM's disk D reads now: the top
 * of its chain ("vda-format" from the command line, or the overlay of a
 * live disk-only snapshot), from query-block. */
int qemud_snap_top_node(struct qemud_dom *dom, const struct mv_dom_disk *d, char *node, size_t len,
                        struct mv_err *err);

/* Internal snapshots: every covered disk of DEF must be a qcow2 file (or,
 * while running, a qcow2 volume); ERR names the first that is not. */
int qemud_snap_internal_check(const struct qemud_dom *dom, const struct mv_dom_def *def, bool running,
                              struct mv_err *err);
/* Running DOM (definition LIVE): QEMU's snapshot-save, snapshot-load,
 * snapshot-delete jobs on every covered disk, the VM state in the first. */
int qemud_snap_internal_live(struct qemud_dom *dom, const struct mv_dom_def *live, const char *cmd,
                             const char *name, struct mv_err *err);
/* Shut off DOM (definition DEF): qemu-img snapshot OP (-c, -a, -d) NAME on
 * every covered disk.  A failing create takes back what it made. */
int qemud_snap_internal_offline(const struct qemud_dom *dom, const struct mv_dom_def *def, const char *op,
                                const char *name, struct mv_err *err);

/* External disk-only snapshot of shut off DOM: a new qcow2 overlay per
 * covered disk (SNAP's <disks> may name the files; the rest get
 * "<image without extension>.<snapshot>" beside their image), SNAP's disks
 * filled in, and the persistent definition pointing at the overlays
 * (saved and published).  All or nothing. */
int qemud_snap_external_offline(struct qemud_dom *dom, struct qemud_snap_def *snap, struct mv_err *err);

/* The same of running DOM: each overlay made (qemu-img -u, the image being
 * QEMU's), granted to the guest, passed to QEMU as an fd and put on top of
 * its disk (blockdev-add, blockdev-snapshot); then the live and the
 * persistent definition point at the overlays. */
int qemud_snap_external_live(struct qemud_dom *dom, struct qemud_snap_def *snap, struct mv_err *err);
