/*
 * A pool type's backend: what dir, fs, logical and netfs pools do
 * differently.  The driver (pool_start.c, volume_procs.c) calls these with
 * the pool's job held, on a worker of the pool's own queue (pool_queue.h),
 * never on the event loop; each call is bounded by a timeout so one stuck
 * pool (a hung mount, a SIGSTOPped FUSE server) fails its own calls with a
 * timeout naming it and stalls nothing else.
 *
 * Every function returns 0 or -errno with *ERRMSG naming the pool and cause.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pool_def.h"
#include "vol_def.h"
#include "vol_file.h"

/* libvirt's virStoragePoolBuildFlags and virStoragePoolDeleteFlags values. */
enum {
    MV_POOL_BUILD_REPAIR = 1 << 0,
    MV_POOL_BUILD_RESIZE = 1 << 1,
    MV_POOL_BUILD_NO_OVERWRITE = 1 << 2,
    MV_POOL_BUILD_OVERWRITE = 1 << 3,
};
enum { MV_POOL_DELETE_ZEROED = 1 << 0 };

/* How long a backend lets one tool run before killing it and failing the
 * call with -ETIMEDOUT naming the pool: mount, umount, blkid and LVM
 * commands; mkfs; qemu-img for a volume's create and resize.  The driver's
 * per-pool queue bounds the whole call as well (a mount(2) stuck in the
 * kernel cannot be killed); these bound the children we can kill. */
#define MV_POOL_CMD_TIMEOUT_MS 60000
#define MV_POOL_MKFS_TIMEOUT_MS 600000
#define MV_POOL_VOL_TIMEOUT_MS 600000

struct mv_pool_usage {
    uint64_t capacity, allocation, available;   /* bytes */
};

/* One volume as refresh finds it. */
struct mv_pool_vol {
    char *name;
    char *path;                     /* also the volume's key for file pools */
    struct mv_volfile_info info;
};
void mv_pool_vols_free(struct mv_pool_vol *vols, size_t n);

struct mv_pool_backend {
    int type;                       /* enum mv_pool_type (pool_def.h) */
    /* pool-build; FLAGS: libvirt's VIR_STORAGE_POOL_BUILD_* */
    int (*build)(const struct mv_pool_def *def, unsigned int flags, char **errmsg);
    /* pool-start / pool-destroy: mount, activate; unmount */
    int (*start)(const struct mv_pool_def *def, char **errmsg);
    int (*stop)(const struct mv_pool_def *def, char **errmsg);
    /* true if started (restart re-adoption: mounted, VG present) */
    bool (*is_started)(const struct mv_pool_def *def);
    /* every volume and the pool's usage */
    int (*refresh)(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                   struct mv_pool_usage *usage, char **errmsg);
    /* pool-delete: remove the storage itself (directory, VG) */
    int (*delete_pool)(const struct mv_pool_def *def, unsigned int flags, char **errmsg);
    /* volumes: where NAME lives, create, delete, resize (file pools use
     * vol_file.h; logical uses lvcreate/lvremove/lvresize) */
    char *(*vol_path)(const struct mv_pool_def *def, const char *name);
    int (*vol_create)(const struct mv_pool_def *def, const struct mv_vol_def *vol, const char *path,
                      const struct mv_volfile_spec *spec, char **errmsg);
    int (*vol_delete)(const struct mv_pool_def *def, const char *path, char **errmsg);
    int (*vol_resize)(const struct mv_pool_def *def, const char *path, uint64_t capacity, bool shrink,
                      bool allocate, char **errmsg);
};

/* The backend of TYPE, or NULL if there is none. */
const struct mv_pool_backend *mv_pool_backend_for(int type);
