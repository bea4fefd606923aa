/*
 * What the pool backends share and nothing else uses: running a tool for a
 * pool (pool_run.c), the directory operations every file pool does on its
 * target (pool_dir.c), mounting a pool's source (pool_mount.c) and reading
 * LVM's JSON reports (pool_lvm_report.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "process.h"

/* pool_run.c: TOOL looked up on the daemon's own PATH (so a test can put
 * recorded tools first) and run through the core's runner with TIMEOUT_MS.
 * On failure *ERRMSG is "cannot WHAT pool 'NAME': <the runner's message,
 * ending with the tool's last stderr line>".  RES may be NULL when the
 * output is not needed. */
int mv_pool_run(const struct mv_pool_def *def, const char *what, const char *const argv[], int timeout_ms,
                struct mv_process_result *res, char **errmsg);
/* The filesystem (or other signature: LVM2_member, swap...) that `blkid -p`
 * finds on PATH into *TYPE (malloc'd; NULL: nothing there).  WHAT names the
 * pool operation in the message. */
int mv_pool_probe_fs(const struct mv_pool_def *def, const char *what, const char *path, char **type,
                     char **errmsg);
/* The absolute path of TOOL on $PATH (or the runner's default PATH), or
 * NULL (errno ENOENT/ENOMEM). */
char *mv_pool_find_tool(const char *tool);

/* pool_dir.c: the target directory of a dir, fs or netfs pool. */
int mv_pool_dir_build(const struct mv_pool_def *def, unsigned int flags, char **errmsg);
int mv_pool_dir_check(const struct mv_pool_def *def, char **errmsg);
int mv_pool_dir_refresh(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                        struct mv_pool_usage *usage, char **errmsg);
int mv_pool_dir_delete(const struct mv_pool_def *def, unsigned int flags, char **errmsg);
char *mv_pool_dir_vol_path(const struct mv_pool_def *def, const char *name);
int mv_pool_dir_vol_create(const struct mv_pool_def *def, const struct mv_vol_def *vol, const char *path,
                           const struct mv_volfile_spec *spec, char **errmsg);
int mv_pool_dir_vol_delete(const struct mv_pool_def *def, const char *path, char **errmsg);
int mv_pool_dir_vol_resize(const struct mv_pool_def *def, const char *path, uint64_t capacity, bool shrink,
                           bool allocate, char **errmsg);
/* The build flags libvirt takes: OVERWRITE and NO_OVERWRITE together are
 * refused, REPAIR and RESIZE are not supported by any file pool. */
int mv_pool_check_build_flags(const struct mv_pool_def *def, unsigned int flags, char **errmsg);

/* pool_mount.c: a pool's source mounted at its target. */
/* The mount command for DEF (fs: device or image, netfs: HOST:DIR) as a
 * NULL-terminated argv whose argv[0] is "mount"; NULL on out of memory. */
char **mv_pool_mount_argv(const struct mv_pool_def *def, bool loop);
int mv_pool_mount(const struct mv_pool_def *def, bool loop, char **errmsg);
int mv_pool_umount(const struct mv_pool_def *def, char **errmsg);
/* True if DEF's target is a mount point in /proc/self/mountinfo. */
bool mv_pool_is_mounted(const struct mv_pool_def *def);
/* mv_pool_dir_refresh() of a target that must be mounted. */
int mv_pool_mounted_refresh(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                            struct mv_pool_usage *usage, char **errmsg);
/* The mount point field of one mountinfo line, unescaped (\040 -> ' '),
 * into OUT (SIZE bytes); false if the line is malformed or too long. */
bool mv_pool_mountinfo_target(const char *line, char *out, size_t size);

/* pool_lvm_report.c: `lvs`/`vgs --reportformat json --units b --nosuffix`
 * output (string or number values, json and json_std formats). */
/* pool_logical.c: TARGET/NAME, the device path of LV NAME */
char *mv_lvm_vol_path(const struct mv_pool_def *def, const char *name);
int mv_lvm_parse_lvs(const struct mv_pool_def *def, const char *json, struct mv_pool_vol **vols, size_t *n,
                     char **errmsg);
int mv_lvm_parse_vgs(const struct mv_pool_def *def, const char *json, struct mv_pool_usage *usage,
                     char **errmsg);
