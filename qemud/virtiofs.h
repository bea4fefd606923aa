/*
 * virtiofsd, the vhost-user file server QEMU's vhost-user-fs-pci device
 * talks to: the command line qemud runs it with for one <filesystem
 * type='mount'><driver type='virtiofs'/> and the socket it listens on.
 * Pure: no I/O (domain_fs.c runs it, as a sidecar of the domain).
 *
 * The program is QEMU 7.2's C virtiofsd as Debian installs it; its options
 * (virtiofsd --help): --socket-path=PATH, -o source=DIR and the FUSE-style
 * -o options cache=, sandbox=, xattr|no_xattr, posix_lock|no_posix_lock,
 * flock|no_flock, and --thread-pool-size=N.  It stays in the foreground,
 * serves one connection (QEMU's) and exits when QEMU closes it.
 */
#pragma once

#include <stddef.h>

#include "domain_def.h"

/* Where Debian's qemu-system-common installs virtiofsd. */
#define MV_VIRTIOFSD_PATH "/usr/lib/qemu/virtiofsd"

/* Whether filesystem FS is served by a virtiofsd qemud runs (virtiofs
 * without a <source socket> of the user's). */
bool mv_virtiofs_needs_daemon(const struct mv_dom_fs *fs);

/* The socket of the virtiofsd of filesystem INDEX of the domain whose UUID
 * is UUID_STR, in its directory RUNDIR/UUID_STR.d (domain_dir.h); malloc'd, NULL without memory. */
char *mv_virtiofs_socket_path(const char *rundir, const char *uuid_str, size_t index);

/* virtiofsd's argument vector for FS listening on SOCKET (argv[0]: the
 * <binary path> or BINARY), NULL-terminated, malloc'd (mv_strv_free).
 * 0 or -ENOMEM. */
int mv_virtiofs_build_argv(const struct mv_dom_fs *fs, const char *binary, const char *socket, char ***argv);
