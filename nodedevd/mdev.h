/*
 * Mediated devices (mdev.c, mdev_procs.c): defined mdevs are kept as XML in
 * the store of common/store.h (CONFDIR/nodedev, autostart once per boot)
 * and shown as inactive devices;
 * starting one writes its UUID to the parent's mdev_supported_types/TYPE/
 * create, destroying writes 1 to its "remove".  Parsing the <device> XML a
 * client gives (CREATE_XML, DEFINE_XML) is mdev_def.c's.
 */
#pragma once

#include "device.h"
#include "error.h"

struct mv_daemon_ctx;

/* Loads the defined mdevs into nodedevd.tree (inactive unless sysfs has
 * them) and starts those marked autostart.  0 or -errno. */
int nodedevd_mdev_load(struct mv_daemon_ctx *ctx);
/* Frees the defined mdevs (driver cleanup, after the workers stopped). */
void nodedevd_mdev_cleanup(void);

/*
 * The operations of mdev_procs.c (mdev.c).  Each runs on a worker, one at
 * a time, and returns 0 or -errno with ERR set (libvirt's codes, messages
 * naming the device and the cause).
 */
struct nodedev_mdev_def;

/* Checks DEF's parent and type against the tree and sysfs, gives DEF a
 * UUID if it has none and its parent's address; *NAME gets the device's
 * name.  OP ("create", "define") words the missing-parent error. */
int nodedevd_mdev_resolve(struct nodedev_mdev_def *def, const char *op, char **name, struct mv_err *err);
/* Saves DEF (taken) as the definition of NAME (new or replacing one) and
 * shows it: inactive, or the running device now persistent. */
int nodedevd_mdev_define(const char *name, struct nodedev_mdev_def *def, struct mv_err *err);
/* Starts DEF's mdev (a transient one: DEF is not kept) and puts it in the tree. */
int nodedevd_mdev_create(const char *name, const struct nodedev_mdev_def *def, struct mv_err *err);
/* Starts the defined, inactive mdev NAME. */
int nodedevd_mdev_start(const char *name, struct mv_err *err);
/* Removes the running mdev DEV from sysfs; a defined one stays, inactive. */
int nodedevd_mdev_destroy(struct nodedev_device *dev, struct mv_err *err);
/* Forgets the definition of DEV (persistent); an inactive one goes. */
int nodedevd_mdev_undefine(struct nodedev_device *dev, struct mv_err *err);
int nodedevd_mdev_set_autostart(struct nodedev_device *dev, bool on, struct mv_err *err);

/* For nodedevd_device_changed: DEV (an mdev) left sysfs; a defined one is
 * put back in the tree, inactive.  Any thread; after the tree removed it. */
void nodedevd_mdev_removed(struct nodedev_device *dev);
