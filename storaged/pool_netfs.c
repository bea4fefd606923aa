/*
 * netfs pools: an NFS export mounted at the target (`mount -t nfs
 * HOST:DIR TARGET`, pool_mount.c); the volumes are the files in it.
 */
#include <errno.h>

#include "backend_priv.h"
#include "errmsg.h"

static int netfs_start(const struct mv_pool_def *def, char **errmsg)
{
    if (!def->src_host || !def->src_dir)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot start pool '%s': a netfs pool needs a source host and dir",
                             def->name);
    int rc = mv_pool_dir_check(def, errmsg);
    return rc < 0 ? rc : mv_pool_mount(def, false, errmsg);
}

static int netfs_stop(const struct mv_pool_def *def, char **errmsg)
{
    return mv_pool_umount(def, errmsg);
}

static bool netfs_is_started(const struct mv_pool_def *def)
{
    return mv_pool_is_mounted(def);
}

const struct mv_pool_backend mv_pool_backend_netfs = {
    .type = MV_POOL_NETFS,
    .build = mv_pool_dir_build,
    .start = netfs_start,
    .stop = netfs_stop,
    .is_started = netfs_is_started,
    .refresh = mv_pool_mounted_refresh,
    .delete_pool = mv_pool_dir_delete,
    .vol_path = mv_pool_dir_vol_path,
    .vol_create = mv_pool_dir_vol_create,
    .vol_delete = mv_pool_dir_vol_delete,
    .vol_resize = mv_pool_dir_vol_resize,
};
