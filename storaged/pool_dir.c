/*
 * dir pools: a directory whose regular files are the volumes.  The
 * directory operations here are also what fs and netfs pools do on their
 * target once it is mounted (backend_priv.h).
 */
#define MV_LOG_MODULE "storaged.backend"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"
#include "log.h"

/* libvirt's default mode for a pool directory it builds: others may reach
 * the volumes (a guest's qemu runs as another user) but not list them. */
#define POOL_DIR_DEFAULT_MODE 0711

int mv_pool_check_build_flags(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    if ((flags & MV_POOL_BUILD_OVERWRITE) && (flags & MV_POOL_BUILD_NO_OVERWRITE))
        return mv_errmsg_set(errmsg, -EINVAL,
                             "cannot build pool '%s': overwrite and no-overwrite are mutually exclusive",
                             def->name);
    unsigned int bad = flags & ~(unsigned int)(MV_POOL_BUILD_OVERWRITE | MV_POOL_BUILD_NO_OVERWRITE);
    if (bad)
        return mv_errmsg_set(errmsg, -ENOTSUP, "cannot build pool '%s': unsupported flags 0x%x", def->name,
                             bad);
    return 0;
}

/* Removes the directories a failed build made, deepest first: PATH's
 * prefixes ending at the NCREATED last '/'-separated components. */
static void undo_mkdirs(char *path, int ncreated)
{
    for (int i = 0; i < ncreated; i++) {
        (void)rmdir(path);
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            break;
        *slash = '\0';
    }
}

/* mkdir -p PATH: the parents with 0755, PATH itself with MODE.  *NCREATED
 * counts the trailing components made here (for undo_mkdirs). */
static int mkdir_parents(const char *path, mode_t mode, int *ncreated)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    *ncreated = 0;
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, c ? 0755 : mode) == 0)
            (*ncreated)++;
        else if (errno != EEXIST)
            return -errno;
        else
            *ncreated = 0;          /* only a created tail is ours to undo */
        if (!c)
            return 0;
        *p = c;
    }
}

static int apply_perms(const struct mv_pool_def *def, const char *path)
{
    if (def->perms.mode >= 0 && chmod(path, (mode_t)def->perms.mode) < 0)
        return -errno;
    if ((def->perms.owner >= 0 || def->perms.group >= 0) &&
        chown(path, def->perms.owner >= 0 ? (uid_t)def->perms.owner : (uid_t)-1,
              def->perms.group >= 0 ? (gid_t)def->perms.group : (gid_t)-1) < 0)
        return -errno;
    return 0;
}

/* As libvirt: an existing directory is fine (its mode and owner are set as
 * the definition says); OVERWRITE and NO_OVERWRITE only matter to pools
 * that make a filesystem, but are checked the same. */
int mv_pool_dir_build(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    int rc = mv_pool_check_build_flags(def, flags, errmsg);
    if (rc < 0)
        return rc;
    const char *target = def->target_path;
    struct stat st;
    if (lstat(target, &st) == 0 && !S_ISDIR(st.st_mode))
        return mv_errmsg_set(errmsg, -ENOTDIR, "cannot build pool '%s': '%s' exists and is not a directory",
                             def->name, target);
    mode_t mode = def->perms.mode >= 0 ? (mode_t)def->perms.mode : POOL_DIR_DEFAULT_MODE;
    int ncreated = 0;
    rc = mkdir_parents(target, mode, &ncreated);
    if (rc == 0 && ncreated > 0 && chmod(target, mode) < 0)     /* mkdir's mode went through umask */
        rc = -errno;
    if (rc == 0)
        rc = apply_perms(def, target);
    if (rc < 0) {
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", target);
        undo_mkdirs(buf, ncreated);
        return mv_errmsg_set(errmsg, rc, "cannot build pool '%s': cannot create directory '%s': %s", def->name,
                             target, strerror(-rc));
    }
    return 0;
}

int mv_pool_dir_check(const struct mv_pool_def *def, char **errmsg)
{
    struct stat st;
    if (stat(def->target_path, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot start pool '%s': target directory '%s': %s", def->name,
                             def->target_path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mv_errmsg_set(errmsg, -ENOTDIR, "cannot start pool '%s': target '%s' is not a directory",
                             def->name, def->target_path);
    return 0;
}

/* ".NAME.mvtmp.XXXXXX": the temp name vol_file.c writes a volume under
 * until it is complete (the marker keeps a user's own ".disk.backup" a
 * volume).  Never a volume: complete, it is renamed to NAME. */
#define TEMP_MARK ".mvtmp."

static bool is_temp_name(const char *name)
{
    size_t n = strlen(name), m = strlen(TEMP_MARK);
    return name[0] == '.' && n > 1 + m + 6 && !strncmp(name + n - 6 - m, TEMP_MARK, m);
}

struct vol_list {
    struct mv_pool_vol *v;
    size_t n, cap;
};

static int vol_list_add(struct vol_list *l, const char *dir, const char *name, struct mv_volfile_info *info)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct mv_pool_vol *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    struct mv_pool_vol *vol = &l->v[l->n];
    vol->name = strdup(name);
    if (!vol->name || asprintf(&vol->path, "%s/%s", dir, name) < 0) {
        free(vol->name);
        return -ENOMEM;
    }
    vol->info = *info;              /* moved: the list owns its strings now */
    memset(info, 0, sizeof(*info));
    l->n++;
    return 0;
}

/* One directory entry: a volume if it is a regular file (symlinks
 * followed, dangling ones skipped) that vol_file.h can read. */
static int scan_entry(const struct mv_pool_def *def, int dfd, const char *name, struct vol_list *l)
{
    struct stat st;
    if (!strcmp(name, ".") || !strcmp(name, "..") || is_temp_name(name))
        return 0;
    if (fstatat(dfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode))
        return 0;
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", def->target_path, name) < 0)
        return -ENOMEM;
    struct mv_volfile_info info = { 0 };
    _cleanup_free_ char *why = NULL;
    int rc = mv_volfile_inspect(path, &info, &why);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0) {
        /* one unreadable file must not hide the pool's other volumes */
        mv_warn("pool '%s': skipping '%s': %s", def->name, path, why ? why : strerror(-rc));
        return 0;
    }
    rc = vol_list_add(l, def->target_path, name, &info);
    mv_volfile_info_clear(&info);
    return rc;
}

static int dir_usage(const struct mv_pool_def *def, struct mv_pool_usage *usage, char **errmsg)
{
    struct statvfs sv;
    if (statvfs(def->target_path, &sv) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot refresh pool '%s': statvfs '%s': %s", def->name,
                             def->target_path, strerror(errno));
    usage->capacity = (uint64_t)sv.f_frsize * sv.f_blocks;
    usage->available = (uint64_t)sv.f_frsize * sv.f_bavail;
    usage->allocation = usage->capacity - (uint64_t)sv.f_frsize * sv.f_bfree;
    return 0;
}

int mv_pool_dir_refresh(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                        struct mv_pool_usage *usage, char **errmsg)
{
    mv_volfile_clean_temps(def->target_path);
    DIR *d = opendir(def->target_path);
    if (!d)
        return mv_errmsg_set(errmsg, -errno, "cannot refresh pool '%s': cannot open directory '%s': %s",
                             def->name, def->target_path, strerror(errno));
    struct vol_list l = { 0 };
    int rc = 0;
    for (;;) {
        errno = 0;                  /* readdir's only way to tell an error from the end */
        struct dirent *de = readdir(d);
        if (!de) {
            rc = errno ? -errno : 0;
            break;
        }
        rc = scan_entry(def, dirfd(d), de->d_name, &l);
        if (rc < 0)
            break;
    }
    closedir(d);
    if (rc < 0) {
        mv_pool_vols_free(l.v, l.n);
        return mv_errmsg_set(errmsg, rc, "cannot refresh pool '%s': reading '%s': %s", def->name,
                             def->target_path, strerror(-rc));
    }
    rc = dir_usage(def, usage, errmsg);
    if (rc < 0) {
        mv_pool_vols_free(l.v, l.n);
        return rc;
    }
    *vols = l.v;
    *n = l.n;
    return 0;
}

/* libvirt refuses a non-empty directory rather than removing volumes as a
 * side effect; an already missing directory is done. */
int mv_pool_dir_delete(const struct mv_pool_def *def, unsigned int flags, char **errmsg)
{
    if (flags)
        return mv_errmsg_set(errmsg, -ENOTSUP, "cannot delete pool '%s': unsupported flags 0x%x", def->name,
                             flags);
    if (rmdir(def->target_path) == 0 || errno == ENOENT)
        return 0;
    if (errno == ENOTEMPTY || errno == EEXIST)
        return mv_errmsg_set(errmsg, -ENOTEMPTY,
                             "cannot delete pool '%s': directory '%s' is not empty (delete its volumes first)",
                             def->name, def->target_path);
    return mv_errmsg_set(errmsg, -errno, "cannot delete pool '%s': cannot remove directory '%s': %s", def->name,
                         def->target_path, strerror(errno));
}

char *mv_pool_dir_vol_path(const struct mv_pool_def *def, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", def->target_path, name) < 0)
        return NULL;
    return path;
}

/* vol_file.h's messages name the file; ours add the pool. */
static int vol_failed(const struct mv_pool_def *def, const char *what, int rc, char *why, char **errmsg)
{
    rc = mv_errmsg_set(errmsg, rc, "cannot %s in pool '%s': %s", what, def->name, why ? why : strerror(-rc));
    free(why);
    return rc;
}

int mv_pool_dir_vol_create(const struct mv_pool_def *def, const struct mv_vol_def *vol, const char *path,
                           const struct mv_volfile_spec *spec, char **errmsg)
{
    (void)vol;
    char *why = NULL;
    int rc = mv_volfile_create(path, spec, MV_POOL_VOL_TIMEOUT_MS, &why);
    return rc < 0 ? vol_failed(def, "create volume", rc, why, errmsg) : 0;
}

int mv_pool_dir_vol_delete(const struct mv_pool_def *def, const char *path, char **errmsg)
{
    char *why = NULL;
    int rc = mv_volfile_delete(path, &why);
    return rc < 0 ? vol_failed(def, "delete volume", rc, why, errmsg) : 0;
}

int mv_pool_dir_vol_resize(const struct mv_pool_def *def, const char *path, uint64_t capacity, bool shrink,
                           bool allocate, char **errmsg)
{
    char *why = NULL;
    int rc = mv_volfile_resize(path, capacity, shrink, allocate, MV_POOL_VOL_TIMEOUT_MS, &why);
    return rc < 0 ? vol_failed(def, "resize volume", rc, why, errmsg) : 0;
}

static int dir_start(const struct mv_pool_def *def, char **errmsg)
{
    return mv_pool_dir_check(def, errmsg);
}

/* Nothing to undo: a dir pool's storage is just there. */
static int dir_stop(const struct mv_pool_def *def, char **errmsg)
{
    (void)def;
    (void)errmsg;
    return 0;
}

static bool dir_is_started(const struct mv_pool_def *def)
{
    struct stat st;
    return stat(def->target_path, &st) == 0 && S_ISDIR(st.st_mode);
}

const struct mv_pool_backend mv_pool_backend_dir = {
    .type = MV_POOL_DIR,
    .build = mv_pool_dir_build,
    .start = dir_start,
    .stop = dir_stop,
    .is_started = dir_is_started,
    .refresh = mv_pool_dir_refresh,
    .delete_pool = mv_pool_dir_delete,
    .vol_path = mv_pool_dir_vol_path,
    .vol_create = mv_pool_dir_vol_create,
    .vol_delete = mv_pool_dir_vol_delete,
    .vol_resize = mv_pool_dir_vol_resize,
};
