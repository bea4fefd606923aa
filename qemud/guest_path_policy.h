/*
 * Which host paths no guest may be given, whoever asks: character devices
 * other than the few QEMU needs, anything under /proc and /sys, and the
 * configured denylist (path_denylist in qemud.conf; by default /etc/shadow,
 * /etc/gshadow, /root/ and the daemons' own configuration and state
 * directories).  Checked at define on the paths as written, and at start
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

/* One resolved path and what it is (ST from fstat of the opened path):
 * WHAT names the use in the message ("disk 'vda'"). */
int qemud_path_policy_check(const char *domname, const char *what, const char *path, const struct stat *st,
                            struct mv_err *err);
