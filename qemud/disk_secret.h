/*
 * Passphrases of encrypted guest disks (<encryption format='luks'><secret
 * type='passphrase' uuid='U'/>), from modvirt-storaged over its socket
 * (SECRET_LOOKUP_BY_UUID, SECRET_GET_VALUE), as virtqemud asks
 * virtsecretd; qemud never reads storaged's files.  Storaged releases a
 * private secret's value to qemud only (storaged/secret_procs.c).
 *
 * Each value is written to a 0600 file in the domain's directory
 * (domain_dir.h, 0700), which QEMU's secret object reads at startup, and removed again
 * as soon as QEMU's monitor answers (QEMU has read every -object by then)
 * or the start fails.  A file beats the alternatives: argv is readable by
 * every local user in /proc, and an fd or a master-key-encrypted value
 * would need QEMU-specific plumbing for no gain against root.  Blocking:
 * run in a domain's job, never on the RPC loop.
 */
#pragma once

#include <stddef.h>

#include "domain_def.h"
#include "error.h"
#include "paths.h"

/* The passphrase files of one start, by disk index (NULL: not encrypted). */
struct qemud_disk_secrets {
    char **files;
    size_t n;
};

/* Fetches the value of every encrypted disk's secret of LIVE (domain
 * UUID_STR) and writes it to DIR/UUID_STR.d/TARGET.secret (DIR: the run
 * directory, UUID_STR.d: the domain's directory, which must exist).  0 with OUT
 * filled (nothing to do: OUT empty), or -errno with ERR naming the disk,
 * the domain, the secret and storaged's reason; nothing is left on disk. */
int qemud_disk_secrets_fetch(const struct mv_paths *paths, const char *dir, const char *uuid_str,
                             const struct mv_dom_def *live, struct qemud_disk_secrets *out, struct mv_err *err);

/* Removes the files and frees S (empty afterwards); fine on an empty S. */
void qemud_disk_secrets_remove(struct qemud_disk_secrets *s);

/* Removes the passphrase files DIR/UUID.TARGET.secret an older qemud killed
 * during a start left behind (the files of today's qemud go with their
 * domain's directory); call at daemon start, before any domain starts. */
void qemud_disk_secrets_sweep(const char *dir);
