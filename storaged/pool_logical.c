/*
 * logical pools: an LVM volume group whose logical volumes are the pool's
 * (raw) volumes.  Everything goes through LVM's own commands run by the
 * core's runner (pool_run.c), and what LVM reports is read as JSON
 * (pool_lvm_report.c): no device-mapper code of ours, no parsing of
 * column-aligned text.
 */
#define MV_LOG_MODULE "storaged.backend"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"
#include "log.h"

/* The VG: <source><name>, which libvirt defaults to the pool's name. */
static const char *vg_name(const struct mv_pool_def *def)
{
    return def->src_name && *def->src_name ? def->src_name : def->name;
}

char *mv_lvm_vol_path(const struct mv_pool_def *def, const char *name)
{
    char *path = NULL;
    int rc = def->target_path ? asprintf(&path, "%s/%s", def->target_path, name)
                              : asprintf(&path, "/dev/%s/%s", vg_name(def), name);
    return rc < 0 ? NULL : path;
}

static int lvm(const struct mv_pool_def *def, const char *what, const char *const argv[],
               struct mv_process_result *res, char **errmsg)
{
    return mv_pool_run(def, what, argv, MV_POOL_CMD_TIMEOUT_MS, res, errmsg);
}

static int logical_start(const struct mv_pool_def *def, char **errmsg)
{
    const char *argv[] = { "vgchange", "-aly", vg_name(def), NULL };
    return lvm(def, "start", argv, NULL, errmsg);
}

static int logical_stop(const struct mv_pool_def *def, char **errmsg)
{
    const char *argv[] = { "vgchange", "-aln", vg_name(def), NULL };
    return lvm(def, "stop", argv, NULL, errmsg);
}

/* Re-adoption after a restart: the VG is there.  (Whether its LVs are
 * active cannot be told for a VG without LVs; pool-start activates them
 * again harmlessly.) */
static bool logical_is_started(const struct mv_pool_def *def)
{
    const char *argv[] = { "vgs", "--reportformat", "json", "-o", "vg_name", vg_name(def), NULL };
    return lvm(def, "check", argv, NULL, NULL) == 0;
}

static int refresh_usage(const struct mv_pool_def *def, struct mv_pool_usage *usage, char **errmsg)
{
    const char *argv[] = { "vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                           "-o", "vg_name,vg_size,vg_free", vg_name(def), NULL };
    struct mv_process_result res = { 0 };
    int rc = lvm(def, "refresh", argv, &res, errmsg);
    if (rc == 0)
        rc = mv_lvm_parse_vgs(def, res.out, usage, errmsg);
    mv_process_result_clear(&res);
    return rc;
}

static int logical_refresh(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                           struct mv_pool_usage *usage, char **errmsg)
{
    const char *argv[] = { "lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                           "-o", "lv_name,lv_path,lv_size,lv_attr", vg_name(def), NULL };
    struct mv_process_result res = { 0 };
    int rc = refresh_usage(def, usage, errmsg);
    if (rc == 0)
        rc = lvm(def, "refresh", argv, &res, errmsg);
    if (rc == 0)
        rc = mv_lvm_parse_lvs(def, res.out, vols, n, errmsg);
    mv_process_result_clear(&res);
    return rc;
}

/* NO_OVERWRITE: refuse a device blkid finds anything on (a filesystem, an
 * old PV); OVERWRITE makes pvcreate take it regardless. */
static int check_devices(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    if (def->ndevices == 0)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot build pool '%s': a logical pool needs source devices",
                             def->name);
    for (size_t i = 0; (flags & MV_POOL_BUILD_NO_OVERWRITE) && i < def->ndevices; i++) {
        _cleanup_free_ char *found = NULL;
        int rc = mv_pool_probe_fs(def, "build", def->devices[i], &found, errmsg);
        if (rc < 0)
            return rc;
        if (found)
            return mv_errmsg_set(errmsg, -EEXIST, "cannot build pool '%s': '%s' already holds %s (not overwritten)",
                                 def->name, def->devices[i], found);
    }
    return 0;
}

/* Undoes the first N pvcreates of a failed build. */
static void pvremove_first(const struct mv_pool_def *def, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *argv[] = { "pvremove", "-y", def->devices[i], NULL };
        _cleanup_free_ char *why = NULL;
        if (lvm(def, "build", argv, NULL, &why) < 0)
            mv_warn("%s", why ? why : "pvremove failed");
    }
}

static int pvcreate_all(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    bool force = flags & MV_POOL_BUILD_OVERWRITE;
    for (size_t i = 0; i < def->ndevices; i++) {
        const char *plain[] = { "pvcreate", def->devices[i], NULL };
        const char *forced[] = { "pvcreate", "-ff", "-y", def->devices[i], NULL };
        int rc = lvm(def, "build", force ? forced : plain, NULL, errmsg);
        if (rc < 0) {
            pvremove_first(def, i);
            return rc;
        }
    }
    return 0;
}

static int logical_build(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    int rc = mv_pool_check_build_flags(def, flags, errmsg);
    if (rc == 0)
        rc = check_devices(def, flags, errmsg);
    if (rc == 0)
        rc = pvcreate_all(def, flags, errmsg);
    if (rc < 0)
        return rc;
    const char *argv[def->ndevices + 3];
    argv[0] = "vgcreate";
    argv[1] = vg_name(def);
    for (size_t i = 0; i < def->ndevices; i++)
        argv[i + 2] = def->devices[i];
    argv[def->ndevices + 2] = NULL;
    rc = lvm(def, "build", argv, NULL, errmsg);
    if (rc < 0)
        pvremove_first(def, def->ndevices);
    return rc;
}

/* The VG and then its PVs' labels, as libvirt does. */
static int logical_delete(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    if (flags)
        return mv_errmsg_set(errmsg, -ENOTSUP, "cannot delete pool '%s': unsupported flags 0x%x", def->name,
                             flags);
    const char *argv[] = { "vgremove", "-f", vg_name(def), NULL };
    int rc = lvm(def, "delete", argv, NULL, errmsg);
    for (size_t i = 0; rc == 0 && i < def->ndevices; i++) {
        const char *pv[] = { "pvremove", "-y", def->devices[i], NULL };
        rc = lvm(def, "delete", pv, NULL, errmsg);
    }
    return rc;
}

static char *logical_vol_path(const struct mv_pool_def *def, const char *name)
{
    return mv_lvm_vol_path(def, name);
}

/* An LV is a raw block device: no qcow2, backing file or encryption here. */
static int check_vol_spec(const struct mv_pool_def *def, const struct mv_vol_def *vol,
                          const struct mv_volfile_spec *spec, char **errmsg)
{
    if (spec->format != MV_VOLFILE_RAW || spec->backing || spec->luks_key)
        return mv_errmsg_set(errmsg, -ENOTSUP,
                             "cannot create volume '%s' in pool '%s': logical volumes are raw only "
                             "(no other format, backing file or encryption)", vol->name, def->name);
    if (spec->capacity == 0)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot create volume '%s' in pool '%s': capacity is 0",
                             vol->name, def->name);
    return 0;
}

/* --yes: lvcreate wipes an old signature found where the new LV starts
 * rather than asking (no terminal); LVM rounds the size up to whole
 * extents. */
static int logical_vol_create(const struct mv_pool_def *def, const struct mv_vol_def *vol, const char *path,
                              const struct mv_volfile_spec *spec, char **errmsg)
{
    (void)path;
    int rc = check_vol_spec(def, vol, spec, errmsg);
    if (rc < 0)
        return rc;
    char size[32];
    snprintf(size, sizeof(size), "%" PRIu64 "b", spec->capacity);
    const char *argv[] = { "lvcreate", "--yes", "-L", size, "-n", vol->name, vg_name(def), NULL };
    return lvm(def, "create a volume in", argv, NULL, errmsg);
}

static int logical_vol_delete(const struct mv_pool_def *def, const char *path, char **errmsg)
{
    const char *argv[] = { "lvremove", "-f", path, NULL };
    return lvm(def, "delete a volume in", argv, NULL, errmsg);
}

/* Growing uses lvextend, which itself refuses a smaller size, so there is
 * no window between checking the size and resizing; shrinking (only when
 * asked) is lvresize -f.  ALLOCATE changes nothing: LVs are allocated. */
static int logical_vol_resize(const struct mv_pool_def *def, const char *path, uint64_t capacity, bool shrink,
                              bool allocate, char **errmsg)
{
    (void)allocate;
    char size[32];
    snprintf(size, sizeof(size), "%" PRIu64 "b", capacity);
    const char *grow[] = { "lvextend", "-L", size, path, NULL };
    const char *any[] = { "lvresize", "-f", "-L", size, path, NULL };
    return lvm(def, "resize a volume in", shrink ? any : grow, NULL, errmsg);
}

const struct mv_pool_backend mv_pool_backend_logical = {
    .type = MV_POOL_LOGICAL,
    .build = logical_build,
    .start = logical_start,
    .stop = logical_stop,
    .is_started = logical_is_started,
    .refresh = logical_refresh,
    .delete_pool = logical_delete,
    .vol_path = logical_vol_path,
    .vol_create = logical_vol_create,
    .vol_delete = logical_vol_delete,
    .vol_resize = logical_vol_resize,
};
