/*
 * Volume files, the shared parts: formats, path and size checks, the temp
 * file a create or clone fills before it is renamed into place, running
 * qemu-img, the counters.  Creation, inspection, clone, resize and wipe
 * live in vol_file_<verb>.c.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "process.h"
#include "vol_file_internal.h"

#define QEMU_IMG_DEFAULT "/usr/bin/qemu-img"
/* qemu-img's stdout we keep: info JSON of a long backing chain stays far below */
#define QEMU_IMG_STDOUT_MAX (1024 * 1024)

_Atomic uint64_t mv_volfile_n_header_reads, mv_volfile_n_qemu_img_runs, mv_volfile_n_cache_hits;

static const char *qemu_img = QEMU_IMG_DEFAULT;

const char *mv_volfile_format_to_string(enum mv_volfile_format f)
{
    switch (f) {
    case MV_VOLFILE_RAW: return "raw";
    case MV_VOLFILE_QCOW2: return "qcow2";
    default: return "unknown";
    }
}

int mv_volfile_format_from_string(const char *s)
{
    if (s && strcmp(s, "raw") == 0)
        return MV_VOLFILE_RAW;
    if (s && strcmp(s, "qcow2") == 0)
        return MV_VOLFILE_QCOW2;
    return -1;
}

void mv_volfile_info_clear(struct mv_volfile_info *info)
{
    if (!info)
        return;
    free(info->backing);
    free(info->compat);
    *info = (struct mv_volfile_info){ 0 };
}

void mv_volfile_set_qemu_img(const char *path)
{
    assert(path && path[0] == '/');
    qemu_img = path;
}

const char *mv_volfile_qemu_img(void)
{
    return qemu_img;
}

void mv_volfile_get_stats(struct mv_volfile_stats *stats)
{
    assert(stats);
    stats->header_reads = atomic_load(&mv_volfile_n_header_reads);
    stats->qemu_img_runs = atomic_load(&mv_volfile_n_qemu_img_runs);
    stats->cache_hits = atomic_load(&mv_volfile_n_cache_hits);
}

static int bad_path(const char *path, const char *why, char **errmsg)
{
    _cleanup_free_ char *q = mv_errmsg_quote(path, strlen(path), MV_ERRMSG_QUOTE_MAX);

    return mv_errmsg_set(errmsg, -EINVAL, "volume file path '%s' %s", q ? q : "?", why);
}

int mv_volfile_check_path(const char *path, char **errmsg)
{
    const char *c;

    if (!path || !*path)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file path is empty");
    if (strlen(path) >= PATH_MAX)
        return bad_path(path, "is longer than PATH_MAX", errmsg);
    if (path[0] != '/')
        return bad_path(path, "is not absolute", errmsg);
    if (path[strlen(path) - 1] == '/')
        return bad_path(path, "ends in '/'", errmsg);
    for (c = path; *c; c++) {
        size_t n;

        if (*c != '/')
            continue;
        n = strcspn(c + 1, "/");
        if (n == 0)
            return bad_path(path, "has an empty component ('//')", errmsg);
        if ((n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
            return bad_path(path, "has a '.' or '..' component", errmsg);
    }
    return 0;
}

int mv_volfile_check_capacity(const char *path, uint64_t capacity, char **errmsg)
{
    if (capacity == 0)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s': capacity 0", path);
    if (capacity > MV_VOLFILE_CAPACITY_MAX)
        return mv_errmsg_set(errmsg, -EOVERFLOW,
                             "volume file '%s': capacity %llu bytes is over the limit of %llu (2^63 - 1)",
                             path, (unsigned long long)capacity,
                             (unsigned long long)MV_VOLFILE_CAPACITY_MAX);
    return 0;
}

/* ---- temp files ---- */

/* Splits PATH into a malloc'd directory and a pointer to its base name. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');

    *base = slash + 1;
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int mv_volfile_temp_open(const char *path, int *fd, char **tmp_path, char **errmsg)
{
    _cleanup_free_ char *dir = NULL, *tmp = NULL;
    _cleanup_close_ int tfd = -1;
    const char *base;
    int r;

    assert(fd && tmp_path);
    if ((r = mv_volfile_check_path(path, errmsg)) < 0)
        return r;
    if (!(dir = dir_of(path, &base)))
        return -ENOMEM;
    /* a 255-byte volume name still gets a temp name within NAME_MAX */
    if (asprintf(&tmp, "%s/.%.*s" MV_VOLFILE_TEMP_MARK "XXXXXX", strcmp(dir, "/") ? dir : "",
                 (int)(NAME_MAX - 1 - strlen(MV_VOLFILE_TEMP_MARK) - 6), base) < 0)
        return -ENOMEM;
    if (strlen(tmp) >= PATH_MAX)
        return bad_path(path, "is too long for its temp file name", errmsg);
    tfd = mkostemp(tmp, O_CLOEXEC);
    if (tfd < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot create a temp file for volume file '%s' in '%s': %s",
                             path, dir, strerror(errno));
    /* marks it as being written: clean_temps leaves it alone */
    if (flock(tfd, LOCK_EX | LOCK_NB) < 0) {
        r = -errno;
        unlink(tmp);
        return mv_errmsg_set(errmsg, r, "cannot lock temp file '%s': %s", tmp, strerror(-r));
    }
    *fd = TAKE_FD(tfd);
    *tmp_path = TAKE_PTR(tmp);
    return 0;
}

void mv_volfile_temp_discard(int fd, const char *tmp_path)
{
    if (tmp_path)
        unlink(tmp_path);
    if (fd >= 0)
        close(fd);
}

static int fsync_dir(const char *path)
{
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int dfd = -1;
    const char *base;

    if (!(dir = dir_of(path, &base)))
        return -ENOMEM;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        return -errno;
    return 0;
}

/* The steps before the rename: data and metadata on disk, mode, owner. */
static int temp_finish(int fd, const char *tmp, const char *path, mode_t mode, uid_t uid, gid_t gid,
                       char **errmsg)
{
    if (fsync(fd) < 0)
        return mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot sync '%s': %s", path, tmp,
                             strerror(errno));
    if (fchmod(fd, mode ? mode : 0600) < 0)
        return mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot set mode %04o: %s", path,
                             (unsigned)(mode ? mode : 0600), strerror(errno));
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
        return mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot set owner %d:%d: %s", path,
                             (int)uid, (int)gid, strerror(errno));
    return 0;
}

int mv_volfile_temp_commit(int fd, const char *tmp_path, const char *path, mode_t mode, uid_t uid,
                           gid_t gid, bool replace, char **errmsg)
{
    int r = temp_finish(fd, tmp_path, path, mode, uid, gid, errmsg);

    if (r == 0 && replace && rename(tmp_path, path) < 0)
        r = mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot rename '%s' into place: %s", path,
                          tmp_path, strerror(errno));
    /* never replaces a file that appeared meanwhile: RENAME_NOREPLACE, or
     * link()+unlink() where the filesystem has no such rename */
    if (r == 0 && !replace && renameat2(AT_FDCWD, tmp_path, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
        if (errno != EINVAL)
            r = mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot rename '%s' into place: %s", path,
                              tmp_path, strerror(errno));
        else if (link(tmp_path, path) < 0)
            r = mv_errmsg_set(errmsg, -errno, "volume file '%s': cannot move '%s' into place: %s", path,
                              tmp_path, strerror(errno));
        else
            unlink(tmp_path);
    }
    if (r < 0) {
        mv_volfile_temp_discard(fd, tmp_path);
        return r;
    }
    close(fd);
    if ((r = fsync_dir(path)) < 0)
        return mv_errmsg_set(errmsg, r, "volume file '%s' is in place but its directory cannot be synced: %s",
                             path, strerror(-r));
    return 0;
}

/* Whether NAME looks like ".X" MV_VOLFILE_TEMP_MARK "XXXXXX". */
static bool is_temp_name(const char *name)
{
    size_t n = strlen(name), m = strlen(MV_VOLFILE_TEMP_MARK);

    return name[0] == '.' && n > 1 + m + 6 && strncmp(name + n - 6 - m, MV_VOLFILE_TEMP_MARK, m) == 0;
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

int mv_volfile_clean_temps(const char *dir)
{
    _cleanup_(closedirp) DIR *d = opendir(dir);
    struct dirent *de;
    int removed = 0;

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        _cleanup_close_ int fd = -1;

        if (!is_temp_name(de->d_name))
            continue;
        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
            continue;           /* still being written */
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
    }
    return removed;
}

int mv_volfile_delete(const char *path, char **errmsg)
{
    struct stat st;
    int r;

    if ((r = mv_volfile_check_path(path, errmsg)) < 0)
        return r;
    if (lstat(path, &st) == 0)
        mv_volfile_cache_forget(st.st_dev, st.st_ino);
    if (unlink(path) < 0 && errno != ENOENT)
        return mv_errmsg_set(errmsg, -errno, "cannot delete volume file '%s': %s", path, strerror(errno));
    return 0;
}

/* ---- qemu-img ---- */

char *mv_volfile_opt(const char *o, const char *v)
{
    size_t n = strlen(o) + 1 + 2 * strlen(v) + 1;
    char *s = malloc(n), *p;

    if (!s)
        return NULL;
    p = stpcpy(stpcpy(s, o), "=");
    for (; *v; v++) {
        *p++ = *v;
        if (*v == ',')
            *p++ = ',';
    }
    *p = '\0';
    return s;
}

int mv_volfile_secret_memfd(const unsigned char *key, size_t len, const char *id, int *fd, char **object)
{
    _cleanup_close_ int mfd = -1;
    size_t off = 0;

    /* no MFD_CLOEXEC: inherited by qemu-img through keep_fds */
    mfd = memfd_create("mv-volfile-key", MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -errno;
    while (off < len) {
        ssize_t w = write(mfd, key + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        off += (size_t)w;
    }
    fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    if (asprintf(object, "secret,id=%s,format=raw,file=/proc/self/fd/%d", id, mfd) < 0)
        return -ENOMEM;
    *fd = TAKE_FD(mfd);
    return 0;
}

int mv_volfile_qemu_img_run(const char **argv, const char *path, const char *what, int timeout_ms,
                            void (*on_stdout)(const char *, size_t, void *), void *opaque, int keep_fd,
                            char **out, char **errmsg)
{
    struct mv_process_run_opts opts = {
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 1, .stdout_max = QEMU_IMG_STDOUT_MAX,
        .on_stdout = on_stdout, .opaque = opaque, .keep_fds = &keep_fd, .nkeep = keep_fd >= 0 ? 1 : 0,
    };
    struct mv_process_result res;
    _cleanup_free_ char *why = NULL;
    int r;

    argv[0] = qemu_img;
    atomic_fetch_add(&mv_volfile_n_qemu_img_runs, 1);
    r = mv_process_run((const char *const *)argv, &opts, &res, &why);
    if (r == 0 && out)
        *out = TAKE_PTR(res.out);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot %s volume file '%s': %s", what, path, why ? why : strerror(-r));
    return 0;
}
