/*
 * fs pools: a block device or an image file holding a filesystem, mounted
 * at the target by pool-start; the volumes are the files in it (pool_dir.c).
 *
 * An image file must look like one: a regular file is only mounted if
 * `blkid -p` finds a filesystem on it, so /etc/shadow or a guest's raw disk
 * named by mistake is refused with a clear message instead of reaching
 * mount's "wrong fs type, bad option, bad superblock".
 */
#define MV_LOG_MODULE "storaged.backend"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"

/* The one source device: a block device, or a regular file (an image).
 * *IS_FILE says which. */
static int check_source(const struct mv_pool_def *def, const char *what, bool *is_file, char **errmsg)
{
    if (def->ndevices != 1)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot %s pool '%s': an fs pool needs exactly one source device",
                             what, def->name);
    const char *src = def->devices[0];
    struct stat st;
    if (stat(src, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot %s pool '%s': source '%s': %s", what, def->name, src,
                             strerror(errno));
    if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
        return mv_errmsg_set(errmsg, -EINVAL, "cannot %s pool '%s': source '%s' is not a block device or image file",
                             what, def->name, src);
    *is_file = S_ISREG(st.st_mode);
    return 0;
}

static int fs_start(const struct mv_pool_def *def, char **errmsg)
{
    bool is_file = false;
    int rc = mv_pool_dir_check(def, errmsg);
    if (rc == 0)
        rc = check_source(def, "start", &is_file, errmsg);
    if (rc < 0)
        return rc;
    if (!is_file)
        return mv_pool_mount(def, false, errmsg);
    _cleanup_free_ char *type = NULL;
    rc = mv_pool_probe_fs(def, "start", def->devices[0], &type, errmsg);
    if (rc < 0)
        return rc;
    if (!type)
        return mv_errmsg_set(errmsg, -EINVAL,
                             "cannot start pool '%s': source '%s' is not a block device or image file "
                             "(no filesystem found on it)", def->name, def->devices[0]);
    return mv_pool_mount(def, true, errmsg);
}

static int fs_stop(const struct mv_pool_def *def, char **errmsg)
{
    return mv_pool_umount(def, errmsg);
}

static bool fs_is_started(const struct mv_pool_def *def)
{
    return mv_pool_is_mounted(def);
}

/* mkfs's "do it even if something is there" switch, which only OVERWRITE
 * passes (NO_OVERWRITE has probed that nothing is). */
static const char *force_option(const char *type)
{
    if (!strncmp(type, "ext", 3))
        return "-F";
    if (!strcmp(type, "xfs") || !strcmp(type, "btrfs"))
        return "-f";
    return NULL;
}

static int run_mkfs(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    const char *type = def->format;
    if (!type || !*type || !strcmp(type, "auto"))
        return mv_errmsg_set(errmsg, -EINVAL,
                             "cannot build pool '%s': making a filesystem needs its type in <format type=...>",
                             def->name);
    const char *dev = def->devices[0];
    if (flags & MV_POOL_BUILD_NO_OVERWRITE) {
        _cleanup_free_ char *found = NULL;
        int rc = mv_pool_probe_fs(def, "build", dev, &found, errmsg);
        if (rc < 0)
            return rc;
        if (found)
            return mv_errmsg_set(errmsg, -EEXIST,
                                 "cannot build pool '%s': '%s' already holds a %s filesystem (not overwritten)",
                                 def->name, dev, found);
    }
    _cleanup_free_ char *tool = NULL;
    if (asprintf(&tool, "mkfs.%s", type) < 0)
        return mv_errmsg_set(errmsg, -ENOMEM, "cannot build pool '%s': out of memory", def->name);
    const char *force = (flags & MV_POOL_BUILD_OVERWRITE) ? force_option(type) : NULL;
    const char *argv[] = { tool, force ? force : dev, force ? dev : NULL, NULL };
    return mv_pool_run(def, "build", argv, MV_POOL_MKFS_TIMEOUT_MS, NULL, errmsg);
}

/* As libvirt: a plain build makes the target directory; a filesystem is
 * made only when OVERWRITE or NO_OVERWRITE asks for one. */
static int fs_build(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    bool is_file = false;
    int rc = mv_pool_check_build_flags(def, flags, errmsg);
    if (rc == 0)
        rc = check_source(def, "build", &is_file, errmsg);
    if (rc < 0)
        return rc;
    bool existed = access(def->target_path, F_OK) == 0;
    rc = mv_pool_dir_build(def, flags, errmsg);
    if (rc < 0 || !(flags & (MV_POOL_BUILD_OVERWRITE | MV_POOL_BUILD_NO_OVERWRITE)))
        return rc;
    rc = run_mkfs(def, flags, errmsg);
    if (rc < 0 && !existed)
        (void)rmdir(def->target_path);
    return rc;
}

const struct mv_pool_backend mv_pool_backend_fs = {
    .type = MV_POOL_FS,
    .build = fs_build,
    .start = fs_start,
    .stop = fs_stop,
    .is_started = fs_is_started,
    .refresh = mv_pool_mounted_refresh,
    .delete_pool = mv_pool_dir_delete,
    .vol_path = mv_pool_dir_vol_path,
    .vol_create = mv_pool_dir_vol_create,
    .vol_delete = mv_pool_dir_vol_delete,
    .vol_resize = mv_pool_dir_vol_resize,
};
