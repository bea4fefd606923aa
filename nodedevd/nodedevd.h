/* What the parts of modvirt-nodedevd share: the driver's state (driver.c). */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "daemon.h"
#include "error.h"
#include "paths.h"
#include "read.h"
#include "server.h"
#include "tree.h"

struct mv_events;
struct nodedev_monitor;

/* Each part exports its own table (nodedevd/README.md). */
extern const struct mv_dispatch_table nodedevd_device_table;   /* device_procs.c: lists, lookups, XML */
extern const struct mv_dispatch_table nodedevd_event_table;    /* events.c: REGISTER/DEREGISTER_ANY */
extern const struct mv_dispatch_table nodedevd_detach_table;   /* detach_procs.c: DETTACH, DETACH_FLAGS, RE_ATTACH, RESET */
extern const struct mv_dispatch_table nodedevd_mdev_table;     /* mdev_procs.c: CREATE_XML, DEFINE_XML, CREATE, DESTROY, UNDEFINE, autostart */

struct nodedevd_driver {
    const struct mv_paths *paths;
    sd_event *event;                    /* the RPC loop; uevents are read on it too */
    struct nodedev_tree *tree;          /* every device (tree.h) */
    struct nodedev_read_ctx read_ctx;   /* pci.ids for the readers */
    struct mv_events *events;           /* lifecycle and update registrations (events.c) */
    struct nodedev_monitor *monitor;    /* uevents (uevent.c) */
    char *sysfs_root;                   /* "sysfs_root": mounted on /sys in our namespace when not "/sys" */
    char *pci_ids_path;                 /* "pci_ids": default /usr/share/misc/pci.ids */
    char *usb_ids_path;                 /* "usb_ids": NULL looks where distributions put it */
    /* How long a detach, reattach or mdev start waits for the kernel to
     * show the result in sysfs (drivers may probe asynchronously):
     * "probe_timeout", seconds */
    unsigned int probe_timeout_ms;
};

extern struct nodedevd_driver nodedevd;

int nodedevd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
int nodedevd_driver_start(struct mv_daemon_ctx *ctx);
void nodedevd_driver_cleanup(void);
void nodedevd_client_close(struct mv_client *client);

/* The device NAME (referenced) or NULL with CALL's error "Node device not
 * found: no node device with matching name 'NAME'" (libvirt's words). */
struct nodedev_device *nodedevd_get_device(struct mv_call *call, const char *name);
/* The error for flag bits an API does not know; returns -EINVAL. */
int nodedevd_bad_flags(struct mv_call *call, unsigned int flags, const char *api);

/* Sends the events for a device the tree created, updated or removed
 * (RESULT as in nodedev_changed_fn, scan.h): the scan and uevent paths and
 * mdev_procs.c call it; matches nodedev_changed_fn. */
void nodedevd_device_changed(struct nodedev_device *dev, int result, void *opaque);
