/*
 * Wiping a volume file so the guest reads zeros, without writing them where
 * a filesystem can do better: a raw file's data extents (SEEK_DATA) are
 * zeroed with FALLOC_FL_ZERO_RANGE, which keeps their allocation (a
 * preallocated volume stays preallocated) and leaves holes holes, or
 * punched where ZERO_RANGE is not supported; only a filesystem with neither
 * gets zeros written.  A block device is zeroed with BLKZEROOUT.  A qcow2
 * image is re-created empty with the same options, atomically (temp file,
 * rename), keeping its mode and owner; one with a backing file still shows
 * the backing file's data, as its own layer holds nothing any more.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "vol_file_internal.h"

#define ZERO_BUF (1024 * 1024)

static int write_zeros(int fd, off_t off, off_t len)
{
    _cleanup_free_ char *buf = calloc(1, ZERO_BUF);

    if (!buf)
        return -ENOMEM;
    while (len > 0) {
        ssize_t w = pwrite(fd, buf, len < ZERO_BUF ? (size_t)len : ZERO_BUF, off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        off += w, len -= w;
    }
    return 0;
}

static int zero_range(int fd, off_t off, off_t len)
{
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE, off, len) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return -errno;
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return -errno;
    return write_zeros(fd, off, len);
}

/* Zeroes each data extent of FD (SIZE bytes). */
static int wipe_extents(int fd, off_t size)
{
    off_t data = 0, hole;
    int r;

    while (data < size) {
        data = lseek(fd, data, SEEK_DATA);
        if (data < 0)
            return errno == ENXIO ? 0 : -errno;     /* ENXIO: no data past here */
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        if ((r = zero_range(fd, data, hole - data)) < 0)
            return r;
        data = hole;
    }
    return 0;
}

static int wipe_raw(const char *path, char **errmsg)
{
    _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    uint64_t range[2] = { 0, 0 };
    int r;

    if (fd < 0 || fstat(fd, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open volume file '%s': %s", path, strerror(errno));
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &range[1]) < 0 || ioctl(fd, BLKZEROOUT, range) < 0)
            return mv_errmsg_set(errmsg, -errno, "cannot zero volume '%s': %s", path, strerror(errno));
    } else if ((r = wipe_extents(fd, st.st_size)) < 0) {
        return mv_errmsg_set(errmsg, r, "cannot zero volume file '%s': %s", path, strerror(-r));
    }
    if (fsync(fd) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot sync volume file '%s': %s", path, strerror(errno));
    mv_volfile_cache_forget(st.st_dev, st.st_ino);
    return 0;
}

static int wipe_qcow2(const char *path, const struct mv_volfile_info *info, int timeout_ms, char **errmsg)
{
    struct mv_volfile_spec spec = {
        .format = MV_VOLFILE_QCOW2, .capacity = info->capacity, .backing = info->backing,
        .backing_format = info->backing_format, .compat = info->compat, .cluster_size = info->cluster_size,
        .lazy_refcounts = info->lazy_refcounts,
    };
    _cleanup_free_ char *tmp = NULL;
    struct stat st;
    int fd = -1, r;

    if (stat(path, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot wipe volume file '%s': %s", path, strerror(errno));
    if ((r = mv_volfile_temp_open(path, &fd, &tmp, errmsg)) < 0)
        return r;
    if ((r = mv_volfile_create_into(path, fd, tmp, &spec, timeout_ms, errmsg)) < 0) {
        mv_volfile_temp_discard(fd, tmp);
        return r;
    }
    mv_volfile_cache_forget(st.st_dev, st.st_ino);
    return mv_volfile_temp_commit(fd, tmp, path, st.st_mode & 07777, st.st_uid, st.st_gid, true, errmsg);
}

int mv_volfile_wipe(const char *path, int timeout_ms, char **errmsg)
{
    struct mv_volfile_info info = { 0 };
    int r;

    if ((r = mv_volfile_check_path(path, errmsg)) < 0 || (r = mv_volfile_inspect(path, &info, errmsg)) < 0)
        return r;
    if (info.encrypted)
        r = mv_errmsg_set(errmsg, -ENOTSUP,
                          "volume file '%s' is encrypted: wiping it needs its key (delete and re-create it)",
                          path);
    else if (info.format == MV_VOLFILE_RAW)
        r = wipe_raw(path, errmsg);
    else if (info.format == MV_VOLFILE_QCOW2)
        r = wipe_qcow2(path, &info, timeout_ms, errmsg);
    else
        r = mv_errmsg_set(errmsg, -ENOTSUP, "volume file '%s': cannot wipe this format", path);
    mv_volfile_info_clear(&info);
    return r;
}
