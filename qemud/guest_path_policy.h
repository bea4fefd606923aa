/*
 * Which host paths no guest may be given, whoever asks: character devices
 * other than the few QEMU needs, anything under /proc and /sys, and the
 * denylist: always /etc/shadow, /etc/gshadow, /root/, /etc/, /boot/,
 * /var/spool/, /var/mail/ and the daemons' own configuration and state
 * directories, plus what path_denylist in qemud.conf adds (a hard link to a
 * denied file is refused too).  Checked at define on the paths as written, and at start
 * on the paths as resolved (a symlink swapped in meanwhile is caught).
 */
#pragma once

#include <sys/stat.h>

#include "conf.h"
#include "domain_def.h"
#include "error.h"
#include "paths.h"

int qemud_path_policy_configure(const mv_conf *conf, const struct mv_paths *paths, char **errmsg);

/* Every host path DEF hands its guest (disks, kernel, initrd, dtb, loader,
 * nvram, chardev files and sockets, filesystem sources...): 0, or
 * MV_ERR_CONFIG_UNSUPPORTED in ERR naming the domain, the device, the path
 * and the rule ("'/etc/shadow' is on the path denylist"). */
int qemud_path_policy_check_def(const struct mv_dom_def *def, struct mv_err *err);

/* Every host path DEF hands its guest ... also covers the programs the
 * daemon runs as root for it: <emulator> and a <filesystem>'s <binary
 * path> go through qemud_path_policy_check_exec(). */

/*
 * PATH is a program the daemon may run as root for domain DOMNAME (WHAT:
 * "emulator"): as written and where it leads, a regular file owned by root
 * that group and others cannot write, in directories all owned by root
 * and not writable by group or others unless sticky (OpenSSH StrictModes),
 * so nobody but root can change what runs.  A path that does not exist is
 * accepted when only root could create it (the start then fails).  0, or
 * MV_ERR_CONFIG_UNSUPPORTED in ERR naming the path and the rule.
 */
int qemud_path_policy_check_exec(const char *domname, const char *what, const char *path, struct mv_err *err);

/* One resolved path and what it is (ST from fstat of the opened path):
 * WHAT names the use in the message ("disk 'vda'"). */
int qemud_path_policy_check(const char *domname, const char *what, const char *path, const struct stat *st,
                            struct mv_err *err);

/* What a path is for, which decides the character devices it may be: QEMU
 * has a use for a terminal, a random source and a TPM, never for another
 * one (/dev/mem, /dev/kmsg, /dev/zero...). */
enum qemud_path_use {
    QEMUD_PATH_FILE,            /* disks, kernel, files read or written: no character device */
    QEMUD_PATH_TTY,             /* a chardev of type dev: a terminal (tty, pts, ttyUSB...) */
    QEMUD_PATH_RNG,             /* an <rng> backend: /dev/random, /dev/urandom or /dev/hwrng */
    QEMUD_PATH_TPM,             /* a passthrough <tpm>: a tpm or tpmrm class device */
};

/* qemud_path_policy_check() for a path used as USE (check() is USE FILE);
 * ST may be NULL (nothing there yet: the character device rule is skipped).
 * A directory is also refused when it holds a denied path (/ holds /proc). */
int qemud_path_policy_check_use(const char *domname, const char *what, const char *path, enum qemud_path_use use,
                                const struct stat *st, struct mv_err *err);

/* Frees the configured denylist (at daemon exit); checks then use none. */
void qemud_path_policy_clear(void);

/* Whether DEF's nvram is the variable store qemud names for it (nvram.h),
 * in its own state directory: not a path the user gave. */
bool qemud_path_policy_own_nvram(const struct mv_dom_def *def);
