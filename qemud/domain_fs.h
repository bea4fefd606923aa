/*
 * The shared directories (<filesystem>) of a starting domain, on the
 * daemon's side: what only the host can tell (the source directories exist)
 * is checked before QEMU runs, so that a missing one is named with its
 * filesystem rather than in QEMU's or virtiofsd's words; and the virtiofsd
 * of each virtiofs share is started as a sidecar of the domain (sidecar.h),
 * listening on its socket before QEMU connects to it.  Stopping, reaping
 * and re-adopting them after a daemon restart are the sidecar set's.
 */
#pragma once

#include "domain_def.h"
#include "error.h"
#include "sidecar.h"

/* Every <source dir> of LIVE (domain NAME) exists and is a directory.
 * 0, or <0 with ERR naming the domain, the filesystem's tag and the path. */
int qemud_fs_check_sources(const char *name, const struct mv_dom_def *live, struct mv_err *err);

/* The vhost-user socket of each filesystem whose virtiofsd qemud runs, by
 * filesystem index (NULL for the others): what the command line's
 * ctx.fs_sockets takes. */
struct qemud_fs_sockets {
    char **paths;
    size_t n;
};

/* Fills S for LIVE, the sockets in the domain's directory RUNDIR/UUID_STR.d
 * (virtiofs.h); 0 or -ENOMEM. */
int qemud_fs_sockets_init(struct qemud_fs_sockets *s, const char *rundir, const char *uuid_str,
                          const struct mv_dom_def *live);
void qemud_fs_sockets_clear(struct qemud_fs_sockets *s);

/* Starts a virtiofsd per virtiofs share of LIVE (domain NAME) that has a
 * socket in S, into SET, with its output on LOG_FD; each listens when this
 * returns.  The sidecar's id is the filesystem's alias.  <0 with ERR naming
 * the filesystem (virtiofsd not installed) or sidecar.h's cause; those
 * started before a failure stay in SET for the caller's stop. */
int qemud_fs_start_virtiofsd(struct qemud_sidecars *set, const char *name, const struct mv_dom_def *live,
                             const struct qemud_fs_sockets *s, int log_fd, struct mv_err *err);
