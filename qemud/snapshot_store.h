/*
 * Snapshot metadata of every domain: held in memory, one file per snapshot
 * in <confdir>/qemu/snapshot/DOMAIN/SNAP.xml (written atomically, the
 * current one marked <active>1</active>), loaded at daemon start.
 *
 * Locking: one store mutex, a leaf taken only inside these functions; they
 * hand out copies.  Changes (add, remove, current) are made by callers that
 * hold the domain's job, so a snapshot does not change under an operation
 * that works on it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "snapshot_def.h"

/* virDomainSnapshotListFlags (ROOTS doubles as DESCENDANTS for children) */
enum {
    QEMUD_SNAP_LIST_ROOTS = 1, QEMUD_SNAP_LIST_DESCENDANTS = 1, QEMUD_SNAP_LIST_METADATA = 2,
    QEMUD_SNAP_LIST_LEAVES = 4, QEMUD_SNAP_LIST_NO_LEAVES = 8, QEMUD_SNAP_LIST_NO_METADATA = 16,
    QEMUD_SNAP_LIST_INACTIVE = 32, QEMUD_SNAP_LIST_ACTIVE = 64, QEMUD_SNAP_LIST_DISK_ONLY = 128,
    QEMUD_SNAP_LIST_INTERNAL = 256, QEMUD_SNAP_LIST_EXTERNAL = 512, QEMUD_SNAP_LIST_TOPOLOGICAL = 1024,
};
#define QEMUD_SNAP_LIST_FLAGS 0x7ffu

/* Loads every stored snapshot under CONFDIR/qemu/snapshot (a damaged file
 * is logged and skipped). */
int qemud_snap_store_init(const char *confdir);
void qemud_snap_store_cleanup(void);

/* A copy of snapshot NAME of DOMAIN, or NULL (no such snapshot, or no memory: *ENOMEM set). */
struct qemud_snap_def *qemud_snap_store_get(const char *domain, const char *name, bool *enomem);
/* True if DOMAIN has snapshot NAME. */
bool qemud_snap_store_has(const char *domain, const char *name);
/* How many snapshots DOMAIN has. */
size_t qemud_snap_store_count(const char *domain);
/* The name of DOMAIN's current snapshot (malloc'd), NULL if none. */
char *qemud_snap_store_current(const char *domain);

/* The names of DOMAIN's snapshots FLAGS selects (QEMUD_SNAP_LIST_*),
 * parents before children; with OF, only OF's children (its descendants
 * with QEMUD_SNAP_LIST_DESCENDANTS).  A malloc'd array of malloc'd names
 * in *NAMES (may be NULL to count), the count returned, or -ENOMEM. */
int qemud_snap_store_list(const char *domain, const char *of, unsigned int flags, char ***names);
void qemud_snap_names_free(char **names, size_t n);

/* Stores DEF (taken over) for DOMAIN, replacing one of the same name;
 * CURRENT makes it the current snapshot.  ERR names the file on failure. */
int qemud_snap_store_put(const char *domain, struct qemud_snap_def *def, bool current, struct mv_err *err);
/* Makes NAME (NULL: none) DOMAIN's current snapshot. */
int qemud_snap_store_set_current(const char *domain, const char *name, struct mv_err *err);
/* Removes NAME's metadata: its children get its parent; if it was the
 * current one, its parent becomes current. */
int qemud_snap_store_remove(const char *domain, const char *name, struct mv_err *err);
/* Removes all of DOMAIN's metadata (undefine with SNAPSHOTS_METADATA). */
int qemud_snap_store_remove_all(const char *domain, struct mv_err *err);
