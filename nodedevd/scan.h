/* Filling the tree from sysfs through sd-device's enumerator (scan.c).
 * Scans and scan_one calls never overlap: they take one lock (a scan's
 * snapshot put after a newer uevent's device would put the older facts
 * back), so any thread may call them; CHANGED runs under it and must not
 * scan.  Lookups and lists run alongside. */
#pragma once

#include "read.h"
#include "tree.h"

/* Reads the computer and every device of /sys into TREE (which may hold
 * devices already: those no longer in sysfs are removed).  CHANGED, if not
 * NULL, is called for each device created, updated or removed (RESULT is a
 * nodedev_put_result, or -1 for removed) so the caller can send events.
 * 0 or -errno; a device that cannot be read is logged and skipped. */
typedef void (*nodedev_changed_fn)(struct nodedev_device *dev, int result, void *opaque);
int nodedev_scan(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx,
                 nodedev_changed_fn changed, void *opaque);

/* Reads the one device at SYSPATH again (after a uevent "add", "change",
 * "bind", "unbind", "move", "remove") and puts or removes it (a path that
 * is gone or no longer a listed device removes what the tree had there);
 * calls CHANGED likewise.  After "move" call it for DEVPATH_OLD too, so
 * the device leaves its old path.  0 or -errno. */
int nodedev_scan_one(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx, const char *syspath,
                     nodedev_changed_fn changed, void *opaque);

/* Removes the device at SYSPATH without reading sysfs (a uevent "remove":
 * the kernel sends it before the directory goes, so a read could still
 * find the device), under the same lock; calls CHANGED with -1. */
void nodedev_scan_remove(struct nodedev_tree *tree, const char *syspath, nodedev_changed_fn changed, void *opaque);
