/*
 * Keeping the tree current (uevent.c): udev's monitor (sd_device_monitor)
 * when udevd runs, else the kernel's own uevents on a NETLINK_KOBJECT_UEVENT
 * socket (as on hosts without udev).  Each add/change/bind/unbind/move/
 * remove re-reads that one device (nodedev_scan_one) on the event loop and
 * sends its events (nodedevd_device_changed).
 */
#pragma once

#include <systemd/sd-event.h>

#include "read.h"
#include "tree.h"

struct nodedev_monitor;

/* Starts listening on EVENT (before the first scan, so nothing that
 * happens during it is missed).  0 or -errno.  With a fixture on /sys (not
 * a sysfs: "sysfs_root") it listens to nothing: the kernel's uevents are
 * about other devices. */
int nodedev_monitor_start(sd_event *event, struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx,
                          struct nodedev_monitor **out);
void nodedev_monitor_free(struct nodedev_monitor *m);
