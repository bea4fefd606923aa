/*
 * Device hotplug (DOMAIN_ATTACH_DEVICE*, DETACH_DEVICE*, UPDATE_DEVICE_FLAGS):
 * disks, interfaces and controllers added to and removed from a running
 * QEMU and its live definition, and/or the persistent definition.
 *
 * A live attach works on a copy of the live definition: the device is
 * parsed into it (domain_fragment.h), given its alias and address by the
 * assign pass (the others keep theirs), its host side is prepared (a
 * volume resolved, the file granted to the guest's uid and passed to QEMU
 * as an fd with "add-fd", since the guest's private root does not show it;
 * a netd port and a tap, passed with "getfd"), and the QMP commands are the
 * command line builder's own options for that device (qemu_command.h
 * mv_qemu_build_device), turned into blockdev-add / netdev_add /
 * object-add / device_add.  Only once QEMU took them all is the copy
 * published and the status file written; a failure runs the undo list
 * (blockdev-del, netdev_del, object-del) and gives back the host side.
 *
 * A detach asks the guest (device_del) and waits up to HOTPLUG_UNPLUG_WAIT_MS
 * for QEMU's DEVICE_DELETED.  If the guest does not let go in that time the
 * call succeeds all the same and the device stays in the live XML (as
 * libvirt); when DEVICE_DELETED comes later a task finishes the removal
 * with the job held and sends DEVICE_REMOVED.
 *
 * Names in QEMU: a disk's device is its target ("vdb"), its nodes
 * TARGET-storage / TARGET-format, its fdset's opaque "disk:TARGET"; an
 * interface's device is its alias ("net1"), its netdev "host" + alias, its
 * tap fd "fd-" + alias.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain_fragment.h"
#include "domain_obj.h"
#include "error.h"
#include "guest_isolation.h"

/* virDomainDeviceModifyFlags */
enum { HOTPLUG_AFFECT_LIVE = 1, HOTPLUG_AFFECT_CONFIG = 2, HOTPLUG_FORCE = 4 };

#define HOTPLUG_UNPLUG_WAIT_MS 5000

/* QMP commands that take back what an attach did so far, run newest first. */
struct hotplug_undo {
    char *cmd[8];
    json_object *args[8];
    size_t n;
};

/* A live attach under way (hotplug_procs.c drives it, the kind's file
 * prepares and releases the host side). */
struct hotplug_attach {
    struct qemud_dom *dom;
    struct mv_dom_def *live;        /* the new live definition (owned) */
    enum mv_dom_device_kind kind;
    size_t index;                   /* of the device in live, of its kind */
    /* disks: the path QEMU opens (/dev/fdset/N), the fdset, the grants */
    char *open_path;
    long long fdset;                /* -1: none */
    struct qemud_isolation grants;  /* the new file's, with the guest's id */
    bool granted;
    /* interfaces: the port netd gave, the tap, its fd's name in QEMU */
    bool port;
    int tapfd;
    char *fd_name;
    struct hotplug_undo undo;
};

/* ---- hotplug_qmp.c: the builder's options as QMP ---- */

/* Runs the options ARGV (pairs as mv_qemu_build_device gives them) on DOM's
 * monitor as object-add, blockdev-add, netdev_add and device_add, adding
 * the command that takes each back to UNDO.  WANT_DEVICE false: the
 * -device is left out (a CD-ROM's new medium). */
int hotplug_qmp_run(struct qemud_dom *dom, char **argv, bool want_device, struct hotplug_undo *undo,
                    struct mv_err *err);
/* Runs and empties UNDO, newest first; failures are logged. */
void hotplug_undo_run(struct qemud_dom *dom, struct hotplug_undo *undo);
void hotplug_undo_clear(struct hotplug_undo *undo);
/* Adds CMD with ARGS (taken over) to UNDO. */
int hotplug_undo_push(struct hotplug_undo *undo, const char *cmd, json_object *args);
/* A monitor command whose failure is only logged (a clean-up step). */
void hotplug_qmp_try(struct qemud_dom *dom, const char *cmd, json_object *args);

/* ---- hotplug_disk.c ---- */

/* Host side of disk A->index of A->live: the volume resolved, the file
 * checked by the path policy, granted (recorded in the status file first)
 * and passed to QEMU with add-fd (A->open_path, A->fdset). */
int hotplug_disk_prepare(struct hotplug_attach *a, struct mv_err *err);
/* Takes back what prepare did (the attach failed). */
void hotplug_disk_rollback(struct hotplug_attach *a);
/* After the guest let DISK go: its block nodes and fdset removed in
 * QEMU, its grants taken back (unless another device of LIVE, the
 * definition after the removal, still uses the file). */
void hotplug_disk_release(struct qemud_dom *dom, const struct mv_dom_disk *disk, const struct mv_dom_def *live);
/* The fdset QEMU holds for disk TARGET (add-fd's opaque), -1 if none. */
long long hotplug_disk_fdset(struct qemud_dom *dom, const char *target);

/* ---- hotplug_net.c ---- */

int hotplug_net_prepare(struct hotplug_attach *a, struct mv_err *err);
void hotplug_net_rollback(struct hotplug_attach *a);
/* After the guest let NET go: its netdev, tap and port. */
void hotplug_net_release(struct qemud_dom *dom, const struct mv_dom_net *net);
/* A free "netN" alias in DEF for its interface I (the lowest N unused). */
int hotplug_net_alias(struct mv_dom_def *def, size_t i);

/* ---- hotplug_controller.c ---- */

/* Whether a controller may be removed: refused by name while a device
 * sits on it. */
int hotplug_controller_check_detach(const struct mv_dom_def *def, const struct mv_dom_controller *ctl,
                                    struct mv_err *err);
/* The controllers the assign pass added to NEW (a device needs them) that
 * OLD lacks, as indexes into NEW's controllers; 0.. of them in *IDX. */
size_t hotplug_controllers_added(const struct mv_dom_def *old, const struct mv_dom_def *new, size_t *idx,
                                 size_t max);

/* ---- hotplug_update.c ---- */

/* UPDATE_DEVICE_FLAGS on a running domain: a CD-ROM's medium changed or
 * ejected.  NEW (taken over) is the new live definition with disk INDEX
 * changed; OLD the current one. */
int hotplug_update_cdrom_live(struct qemud_dom *dom, const struct mv_dom_def *old, struct mv_dom_def *new,
                              size_t index, struct mv_err *err);

/* ---- hotplug_procs.c ---- */

/* Publishes NEW (taken over) as DOM's live definition and writes the status file. */
void hotplug_publish_live(struct qemud_dom *dom, struct mv_dom_def *new);
/* Registers the QMP event handlers (DEVICE_DELETED, ACPI_DEVICE_OST). */
int hotplug_init(void);
