#define MV_LOG_MODULE "file"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "log.h"

/* Cleanup for the temp file path: while set, the temp file is unwanted. */
static void unlink_and_freep(char **p)
{
    if (*p) {
        (void)unlink(*p);
        free(*p);
    }
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Splits PATH into its directory ("." if none) and returns it malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int fsync_dir(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        return -errno;
    return 0;
}

int mv_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    _cleanup_free_ char *dir = NULL;
    _cleanup_(unlink_and_freep) char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    const char *base;
    int r;

    if (!path || !*path || path[strlen(path) - 1] == '/')
        return -EINVAL;
    dir = dir_of(path);
    if (!dir)
        return -ENOMEM;
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* hidden and in the same directory, so rename() stays on one filesystem */
    if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
        tmp = NULL;
        return -ENOMEM;
    }
    fd = mkostemp(tmp, O_CLOEXEC);      /* O_CREAT|O_EXCL, unique name */
    if (fd < 0) {
        r = -errno;
        free(TAKE_PTR(tmp));            /* nothing was created */
        return r;
    }
    if (fchmod(fd, mode & 07777) < 0)
        return -errno;
    r = write_all(fd, data, len);
    if (r < 0)
        return r;
    if (fsync(fd) < 0)
        return -errno;
    /* close() reports delayed write errors (NFS) */
    if (close(TAKE_FD(fd)) < 0)
        return -errno;
    if (rename(tmp, path) < 0)
        return -errno;
    free(TAKE_PTR(tmp));                /* it is PATH now: keep it */
    r = fsync_dir(dir);
    if (r < 0)
        mv_debug("fsync of directory %s failed: %s", dir, strerror(-r));
    return r;
}

int mv_file_unlink_durable(const char *path)
{
    _cleanup_free_ char *dir = dir_of(path);

    if (!dir)
        return -ENOMEM;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return fsync_dir(dir);
}

bool mv_unix_path_fits(const char *path)
{
    struct sockaddr_un sa;

    return strlen(path) < sizeof(sa.sun_path);
}

int mv_file_read_all(const char *path, size_t max, char **out, size_t *len)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t size = 0, cap, alloc;
    struct stat st;

    /* read up to MAX + 1 bytes to tell "too big" from "exactly MAX" */
    if (max > SIZE_MAX - 2)
        max = SIZE_MAX - 2;
    cap = max + 1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* st_size is only a hint: proc and sysfs files report 0 or 4096 */
    alloc = st.st_size > 0 && (uintmax_t)st.st_size < cap ? (size_t)st.st_size + 1 : 4096;
    if (alloc > cap)
        alloc = cap;
    buf = malloc(alloc + 1);            /* + 1 for the NUL */
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        if (size == alloc) {
            size_t want = alloc <= cap / 2 ? alloc * 2 : cap;
            char *p = realloc(buf, want + 1);

            if (!p)
                return -ENOMEM;
            buf = p;
            alloc = want;
        }
        n = read(fd, buf + size, alloc - size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        size += (size_t)n;
        if (size > max)
            return -EFBIG;
    }
    buf[size] = '\0';
    *out = TAKE_PTR(buf);
    if (len)
        *len = size;
    return 0;
}

int mv_file_read_line(const char *path, char **out)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t size = 0;
    char *nl = NULL;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    /* one byte beyond the limit tells "too long" from "exactly the limit" */
    buf = malloc(MV_FILE_LINE_MAX + 2);
    if (!buf)
        return -ENOMEM;
    while (!nl && size <= MV_FILE_LINE_MAX) {
        ssize_t n = read(fd, buf + size, MV_FILE_LINE_MAX + 1 - size);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        nl = memchr(buf + size, '\n', (size_t)n);
        size += (size_t)n;
    }
    if (nl)
        size = (size_t)(nl - buf);
    if (size > MV_FILE_LINE_MAX)
        return -EFBIG;
    buf[size] = '\0';
    /* the buffer is sized for the limit: hand out a right-sized copy */
    *out = strdup(buf);
    return *out ? 0 : -ENOMEM;
}

ssize_t mv_pread_full(int fd, void *buf, size_t len, off_t off)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}
