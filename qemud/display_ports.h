/*
 * What a SPICE display needs from the daemon around a start: QEMU cannot
 * choose a SPICE port itself (unlike VNC's "to="), so the daemon picks a
 * free one for autoport before building the command line, and a socket
 * path for a <listen type='socket'> without one; after the start it reads
 * back what QEMU listens on and sets the password.
 */
#pragma once

#include "domain_def.h"
#include "domain_obj.h"
#include "error.h"

/* First and last port autoport hands out (libvirt's remote_display_port_min/max). */
#define DISPLAY_PORT_MIN 5900
#define DISPLAY_PORT_MAX 65535

/* Fills LIVE's SPICE autoport ports and socket paths (RUNDIR/UUID.spice.sock).
 * The ports stay reserved in this daemon until qemud_display_release(), so
 * that two starts cannot pick the same one before QEMU binds it.  0, or
 * -errno with ERR naming the domain. */
int qemud_display_prepare(const char *rundir, const char *uuid, const char *name, struct mv_dom_def *live,
                          struct mv_err *err);
/* Returns LIVE's autoport ports to the pool (NULL is fine). */
void qemud_display_release(const struct mv_dom_def *live);
/* After QEMU's monitor is up: the port QEMU reports (query-spice) into
 * LIVE, and the SPICE password (set_password, expire_password). */
int qemud_display_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err);
