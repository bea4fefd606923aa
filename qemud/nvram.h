/*
 * A domain's own UEFI variable store (<os><nvram>): created from its
 * template at the first start, kept across restarts and daemon restarts,
 * removed by undefine --nvram.  The default place is
 * <statedir>/qemu/nvram/NAME_VARS.fd, as libvirt's
 * /var/lib/libvirt/qemu/nvram/NAME_VARS.fd.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "domain_def.h"

/* Largest template copied (Debian's are 528 KiB and 4 MiB). */
#define MV_NVRAM_TEMPLATE_MAX (64u * 1024 * 1024)

/* Malloc'd "STATEDIR/qemu/nvram", the daemon's NVRAM_DIR; NULL without memory. */
char *mv_nvram_dir(const char *statedir);

/* Malloc'd "NVRAM_DIR/NAME_VARS.fd"; NULL without memory. */
char *mv_nvram_default_path(const char *nvram_dir, const char *name);

/*
 * At define, as libvirt: a read-only pflash loader without <nvram> gets
 * STATEDIR/qemu/nvram/NAME_VARS.fd as its variable store.  0 or -ENOMEM.
 */
int mv_nvram_fill_path(struct mv_dom_def *def, const char *statedir);

/*
 * How a start checks a host file it reads or creates for a guest against
 * the path policy (guest_path_policy.c sets it when it is configured; this
 * library does not link the daemon's policy).  WHAT is "nvram template" or
 * "nvram", RESOLVED the path as opened (through /proc/self/fd), ST its
 * fstat or NULL for a file about to be created.  0, or <0 with *ERRCODE
 * and *ERRMSG.
 */
typedef int (*mv_nvram_check_fn)(const struct mv_dom_def *live, const char *what, const char *resolved,
                                 const struct stat *st, int *errcode, char **errmsg);

/* Sets (or with NULL clears) the check mv_nvram_prepare() applies. */
void mv_nvram_set_check(mv_nvram_check_fn check);

/*
 * At start, on the live definition: the loader must be readable, and a
 * variable store that does not exist yet is created from the template
 * (directories made, the copy written to a temporary file, synced and
 * renamed into place, so that a crash never leaves half a store).  It
 * runs as root, so nothing is followed blindly: the template is opened
 * once, must be a regular file, is checked (the check set above) where it
 * really is unless that is under /usr/, and is copied from that fd; the
 * store is created by name in its opened directory (O_EXCL|O_NOFOLLOW,
 * renamed without replacing) after the same check.  An existing store is
 * kept as it is.  0, or <0 with *ERRCODE and *ERRMSG
 * (caller frees) naming the domain, the file and the cause.
 */
int mv_nvram_prepare(const struct mv_dom_def *live, int *errcode, char **errmsg);

/*
 * The variable store undefine must deal with: DEF's <nvram> file, or for
 * firmware='efi' the default one under STATEDIR, when it exists.  Malloc'd
 * into *PATH (NULL when there is none).  0 or -ENOMEM.
 */
int mv_nvram_existing(const struct mv_dom_def *def, const char *statedir, char **path);
