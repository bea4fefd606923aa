/*
 * Resizing a volume file: raw with ftruncate (and fallocate for the new part
 * when asked to allocate it), qcow2 with `qemu-img resize`.  A shrink, which
 * throws away the guest's data past the new end, needs the caller's flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "vol_file_internal.h"

static int resize_raw(const char *path, uint64_t old, uint64_t capacity, bool allocate, char **errmsg)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open volume file '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return mv_errmsg_set(errmsg, -ENOTSUP, "volume '%s' is not a file: its pool resizes it", path);
    if (ftruncate(fd, (off_t)capacity) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot resize volume file '%s' to %" PRIu64 " bytes: %s", path,
                             capacity, strerror(errno));
    if (allocate && capacity > old && fallocate(fd, 0, (off_t)old, (off_t)(capacity - old)) < 0 &&
        (errno = posix_fallocate(fd, (off_t)old, (off_t)(capacity - old))) != 0)
        return mv_errmsg_set(errmsg, -errno, "volume file '%s' resized, but its new part cannot be allocated: %s",
                             path, strerror(errno));
    if (fsync(fd) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot sync volume file '%s': %s", path, strerror(errno));
    mv_volfile_cache_forget(st.st_dev, st.st_ino);
    return 0;
}

static int resize_qcow2(const char *path, uint64_t old, uint64_t capacity, bool allocate, int timeout_ms,
                        char **errmsg)
{
    const char *argv[10] = { NULL, "resize", "-q", "-f", "qcow2" };
    char size[24];
    struct stat st;
    int argc = 5, r;

    if (capacity < old)
        argv[argc++] = "--shrink";
    if (allocate && capacity > old)
        argv[argc++] = "--preallocation=full";
    snprintf(size, sizeof(size), "%" PRIu64, capacity);
    argv[argc++] = path;
    argv[argc++] = size;
    argv[argc] = NULL;
    r = mv_volfile_qemu_img_run(argv, path, "resize", timeout_ms, NULL, NULL, -1, NULL, errmsg);
    if (stat(path, &st) == 0)
        mv_volfile_cache_forget(st.st_dev, st.st_ino);
    return r;
}

int mv_volfile_resize(const char *path, uint64_t capacity, bool shrink, bool allocate, int timeout_ms,
                      char **errmsg)
{
    struct mv_volfile_info info = { 0 };
    uint64_t old;
    bool encrypted;
    enum mv_volfile_format format;
    int r;

    if ((r = mv_volfile_check_path(path, errmsg)) < 0 || (r = mv_volfile_check_capacity(path, capacity, errmsg)) < 0 ||
        (r = mv_volfile_inspect(path, &info, errmsg)) < 0)
        return r;
    old = info.capacity, encrypted = info.encrypted, format = info.format;
    mv_volfile_info_clear(&info);
    if (capacity < old && !shrink)
        return mv_errmsg_set(errmsg, -EINVAL,
                             "volume file '%s' is %" PRIu64 " bytes: shrinking it to %" PRIu64
                             " bytes loses data and needs the shrink flag", path, old, capacity);
    if (encrypted)
        return mv_errmsg_set(errmsg, -ENOTSUP, "volume file '%s' is encrypted: resizing needs its key", path);
    if (capacity == old)
        return 0;
    if (format == MV_VOLFILE_RAW)
        return resize_raw(path, old, capacity, allocate, errmsg);
    if (format == MV_VOLFILE_QCOW2)
        return resize_qcow2(path, old, capacity, allocate, timeout_ms, errmsg);
    return mv_errmsg_set(errmsg, -ENOTSUP, "volume file '%s': cannot resize this format", path);
}
