/*
 * Mediated devices (mdev.c, mdev_procs.c): defined mdevs are kept as XML in
 * the state directory (written atomically) and shown as inactive devices;
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
