/*
 * What a VNC or SPICE display needs from the daemon around a start: the
 * daemon picks the TCP port of every autoport display itself (QEMU cannot
 * for SPICE, and two allocators, ours and QEMU's "-vnc ...,to=" search,
 * could hand one port to two starts), and a socket path for a SPICE
 * <listen type='socket'> without one; after the start it checks what QEMU
 * listens on and sets the SPICE password.
 */
#pragma once

#include "domain_def.h"
#include "domain_obj.h"
#include "error.h"

/* First and last port autoport hands out (libvirt's remote_display_port_min/max). */
#define DISPLAY_PORT_MIN 5900
#define DISPLAY_PORT_MAX 65535

/* Fills LIVE's autoport ports (VNC and SPICE) and SPICE socket paths
 * (RUNDIR/UUID.d/spiceN.sock), and reserves every TCP port LIVE listens on,
 * written or chosen, until qemud_display_release(): so that no two starts
 * pick one port before QEMU binds it, and a written port another running
 * domain has is refused by name.  0, or -errno with ERR naming the domain
 * (nothing left reserved). */
int qemud_display_prepare(const char *rundir, const char *uuid, struct mv_dom_def *live, struct mv_err *err);
/* PATH is a socket this daemon picked in RUNDIR for whichever domain
 * (RUNDIR/UUID.d/KINDN.sock, or an older daemon's RUNDIR/UUID.KINDN.sock;
 * KIND "spice" or "channel"): the live XML of a
 * guest shows it, and a definition made from that XML must not have two
 * guests listen on one socket, so such a path is picked afresh. */
bool qemud_is_daemon_socket(const char *rundir, const char *path, const char *kind);
/* Returns the ports LIVE's domain (its uuid) holds to the pool (NULL is fine). */
void qemud_display_release(const struct mv_dom_def *live);
/* The ports of a domain this daemon adopted running (its live XML says
 * which): reserved again, as its QEMU holds them.  A clash is logged. */
void qemud_display_reserve_running(const struct mv_dom_def *live);
/* After QEMU's monitor is up: checks the autoport ports QEMU reports
 * (query-vnc, query-spice) and sets the SPICE password (set_password,
 * expire_password). */
int qemud_display_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err);
