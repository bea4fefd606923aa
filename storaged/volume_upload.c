/*
 * The upload writer (volume_xfer.h says why it works on a temporary file):
 * stream data into a fresh sparse file next to the volume, the bytes the
 * stream does not cover copied from the old volume extent by extent, then
 * fsync and rename over the volume.
 */
#define MV_LOG_MODULE "storaged.upload"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "log.h"
#include "vol_file.h"
#include "volume_xfer.h"

/* the granule of zero detection: the page, the usual filesystem block */
#define ZERO_BLOCK 4096u

struct upload {
    struct vol_xfer *x;
    int old_fd;                     /* the volume as it is */
    int fd;                         /* where the data goes: the temporary file, or the device */
    bool in_place;                  /* a block device: no temporary file */
    char *tmp;                      /* the temporary file's path */
    uint64_t old_size;
    uint64_t pos;                   /* the stream's position in the volume */
    uint64_t limit;                 /* no byte may land at or beyond this */
    mode_t mode;                    /* the volume's, for its replacement */
    uid_t uid;
    gid_t gid;
};

static int io_fail(struct upload *u, const char *what, char **errmsg)
{
    int e = errno ? errno : EIO;

    return mv_errmsg_set(errmsg, -e, "cannot upload to volume '%s' of pool '%s': %s: %s",
                         u->x->vol, u->x->pool, what, strerror(e));
}

static bool all_zero(const char *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int pwrite_all(int fd, const char *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static uint64_t block_end(uint64_t off, uint64_t end)
{
    uint64_t b = (off / ZERO_BLOCK + 1) * ZERO_BLOCK;

    return b < end ? b : end;
}

/* Writes LEN bytes at the position; all-zero blocks of a fresh file are
 * left as holes. */
static int write_data(struct upload *u, const char *p, uint64_t len)
{
    uint64_t off = u->pos, end = u->pos + len;

    if (u->in_place)
        return pwrite_all(u->fd, p, len, off);
    while (off < end) {
        uint64_t run = off;

        /* the run of non-zero blocks from OFF, cut at file-block boundaries */
        while (run < end) {
            uint64_t next = block_end(run, end);

            if (all_zero(p + (run - u->pos), next - run))
                break;
            run = next;
        }
        if (run > off && pwrite_all(u->fd, p + (off - u->pos), run - off, off) < 0)
            return -1;
        /* and the zero block after it stays a hole */
        off = run < end ? block_end(run, end) : end;
    }
    return 0;
}

/* A hole in place: punched, else written as zeros. */
static int punch(struct upload *u, uint64_t len)
{
    static const char zeros[65536];
    uint64_t off = u->pos;

    if (!u->in_place)
        return 0;   /* a fresh file is all holes */
    if (fallocate(u->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < sizeof(zeros) ? (size_t)(len - done) : sizeof(zeros);

        if (pwrite_all(u->fd, zeros, n, off + done) < 0)
            return -1;
        done += n;
    }
    return 0;
}

static int past_limit(struct upload *u, uint64_t len, char **errmsg)
{
    if (u->x->raw && u->limit == u->x->capacity)
        return mv_errmsg_set(errmsg, -EFBIG, "cannot upload to volume '%s' of pool '%s': the data "
                             "goes past the volume's capacity of %llu bytes (at offset %llu); the volume "
                             "is unchanged", u->x->vol, u->x->pool, (unsigned long long)u->x->capacity,
                             (unsigned long long)(u->pos + len));
    return mv_errmsg_set(errmsg, -EFBIG, "cannot upload to volume '%s' of pool '%s': the stream goes "
                         "past the %llu bytes announced (at offset %llu); the volume is unchanged",
                         u->x->vol, u->x->pool, (unsigned long long)(u->limit - u->x->offset),
                         (unsigned long long)(u->pos + len));
}

static int apply(struct upload *u, const struct vol_xfer_item *it, char **errmsg)
{
    if (it->len > u->limit - u->pos)
        return past_limit(u, it->len, errmsg);
    if (it->kind == VOL_XFER_DATA ? write_data(u, it->data, it->len) < 0 : punch(u, it->len) < 0)
        return io_fail(u, "writing", errmsg);
    u->pos += it->len;
    return 0;
}

/* Copies [FROM, TO) of the old volume into the new file, data extents
 * only, so that holes stay holes. */
static int copy_old(struct upload *u, uint64_t from, uint64_t to)
{
    uint64_t pos = from;

    while (pos < to) {
        off_t d = lseek(u->old_fd, (off_t)pos, SEEK_DATA), h;
        uint64_t end;

        if (d < 0)
            return errno == ENXIO ? 0 : -1;
        if ((uint64_t)d >= to)
            return 0;
        h = lseek(u->old_fd, d, SEEK_HOLE);
        end = h < 0 || (uint64_t)h > to ? to : (uint64_t)h;
        for (off_t in = d, out = d; (uint64_t)in < end;) {
            ssize_t n = copy_file_range(u->old_fd, &in, u->fd, &out, end - (uint64_t)in, 0);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
        }
        pos = end;
    }
    return 0;
}

/* The temporary file next to the volume (vol_file.h: flock()ed while
 * written, so the pool's refresh leaves it alone and removes it after a
 * crash); raw: the volume's size from the start, so holes at the end count. */
static int make_tmp(struct upload *u, char **errmsg)
{
    int r = mv_volfile_temp_open(u->x->path, &u->fd, &u->tmp, errmsg);

    if (r < 0)
        return r;
    if (u->x->raw && ftruncate(u->fd, (off_t)u->old_size) < 0)
        return io_fail(u, "sizing the temporary file", errmsg);
    return 0;
}

static int prepare(struct upload *u, char **errmsg)
{
    struct stat sb;

    u->old_fd = open(u->x->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (u->old_fd < 0 || fstat(u->old_fd, &sb) < 0)
        return io_fail(u, "opening it", errmsg);
    u->in_place = S_ISBLK(sb.st_mode);
    u->old_size = u->in_place ? u->x->capacity : (uint64_t)sb.st_size;
    u->pos = u->x->offset;
    /* raw: the volume's size bounds everything; an image file grows as the stream says */
    u->limit = u->x->raw ? u->x->capacity : UINT64_MAX;
    if (u->x->length && u->x->length < u->limit - u->x->offset)
        u->limit = u->x->offset + u->x->length;
    if (u->x->offset > u->limit || (u->x->raw && u->x->offset > u->x->capacity))
        return mv_errmsg_set(errmsg, -EFBIG, "cannot upload to volume '%s' of pool '%s': offset %llu is "
                             "past its capacity of %llu bytes", u->x->vol, u->x->pool,
                             (unsigned long long)u->x->offset, (unsigned long long)u->x->capacity);
    if (u->in_place) {
        u->fd = open(u->x->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return u->fd < 0 ? io_fail(u, "opening it for writing", errmsg) : 0;
    }
    u->mode = sb.st_mode & 07777;
    u->uid = sb.st_uid;
    u->gid = sb.st_gid;
    return make_tmp(u, errmsg);
}

/* The stream is complete: the rest of the old volume, flush, rename. */
static int commit(struct upload *u, char **errmsg)
{
    bool whole_image = !u->x->raw && u->x->offset == 0 && u->x->length == 0;
    int r;

    if (u->in_place)
        return fsync(u->fd) < 0 ? io_fail(u, "flushing it", errmsg) : 0;
    if (copy_old(u, 0, u->x->offset) < 0 ||
        (!whole_image && u->pos < u->old_size && copy_old(u, u->pos, u->old_size) < 0))
        return io_fail(u, "copying the part the stream does not cover", errmsg);
    if (!u->x->raw && ftruncate(u->fd, (off_t)(whole_image || u->pos > u->old_size ? u->pos : u->old_size)) < 0)
        return io_fail(u, "sizing it", errmsg);
    /* fsync, mode, owner, rename, fsync of the directory: after a crash
     * the volume is the old one or the new one */
    r = mv_volfile_temp_commit(TAKE_FD(u->fd), u->tmp, u->x->path, u->mode ? u->mode : 0600,
                               u->uid, u->gid, true, errmsg);
    free(TAKE_PTR(u->tmp));
    return r;
}

int vol_xfer_upload_run(struct vol_xfer *x, char **errmsg)
{
    struct upload u = { .x = x, .old_fd = -1, .fd = -1 };
    struct vol_xfer_item *it;
    bool cancelled = false;
    int r = prepare(&u, errmsg);

    while (r == 0 && (it = vol_xfer_take(x, &cancelled))) {
        r = apply(&u, it, errmsg);
        free(it);
    }
    if (r == 0 && cancelled)
        r = -ECANCELED;
    if (r == 0)
        r = commit(&u, errmsg);
    if (r == 0 && x->committed)
        x->committed(x);
    if (u.tmp) {
        mv_volfile_temp_discard(u.fd, u.tmp);
        free(u.tmp);
    } else if (u.fd >= 0) {
        close(u.fd);
    }
    if (u.old_fd >= 0)
        close(u.old_fd);
    return r;
}
