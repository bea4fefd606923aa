/*
 * A running domain's private directory, <rundir>/qemu/UUID.d: the sockets
 * QEMU listens on (monitor, channels, SPICE), the sockets its sidecars
 * offer it (swtpm, virtiofsd), the disk passphrase files it reads at
 * start, and its file-backed RAM.  Owned by the guest's identity (0700), so
 * no other guest reaches it, and bound into QEMU's private root at the same
 * path.  Created at start, removed with its contents at stop and by the
 * clean-up after a daemon restart.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* "<rundir>/UUID.d" (malloc'd), NULL on ENOMEM. */
char *qemud_domain_dir(const char *uuid_str);

/* Creates it (0700, root) or empties a leftover one; 0 or -errno. */
int qemud_domain_dir_create(const char *uuid_str);

/* Hands it and what is in it to UID:GID (once the guest's identity is known). */
int qemud_domain_dir_chown(const char *uuid_str, uid_t uid, gid_t gid);

/* Removes it and everything in it; fine when absent. */
void qemud_domain_dir_remove(const char *uuid_str);

/* At daemon start, once the status files are loaded (the registry knows
 * their domains): removes every UUID.d in the run directory whose domain
 * has no status file, left by a daemon that died before its clean-up. */
void qemud_domain_dir_sweep(void);

/* Whether the domain UUID_STR has a status file (its QEMU runs, or a later
 * start of the daemon may adopt it); true when that cannot be told. */
bool qemud_domain_has_status(const char *uuid_str);
