/*
 * Volume upload and download: STORAGE_VOL_UPLOAD / _DOWNLOAD streams
 * (wire-protocol.md 7.2-7.4) between a file descriptor and a volume, with
 * holes when asked (7.3), as virsh vol-upload / vol-download do.
 *
 * Upload sends from this thread: each send returns once its bytes are in
 * the socket, which is all the flow control the protocol has.  Download
 * receives in the RPC client's stream callbacks, run inside
 * mv_rpc_client_process() on this thread, and writes to the descriptor
 * there; the RPC client reads at most 4 MiB ahead of them.
 */
#define MV_LOG_MODULE "client.volstream"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

/* VIR_STORAGE_VOL_GET_PHYSICAL: the file's size, what a download sends */
#define GET_PHYSICAL 1u
/* one read, a few stream packets */
#define UPLOAD_CHUNK (4u * MV_STREAM_CHUNK_MAX)

struct xfer {
    int fd;
    bool sparse;
    bool seekable;                  /* FD is a regular file */
    uint64_t done, total;
    modvirt_progress_fn progress;
    void *opaque;
    /* download */
    bool eof;
    struct mv_err err;              /* the stream's error, or a local one */
    int local_errno;                /* writing FD failed */
};

static void progress(struct xfer *t, uint64_t n)
{
    t->done += n;
    if (t->progress)
        t->progress(t->done, t->total, t->opaque);
}

static int xfer_open(modvirt_storage_vol *vol, int proc, uint64_t offset, uint64_t length, unsigned int flags,
                     struct xfer *t, struct mv_rpc_client **rpc, struct mv_rpc_stream **st, mv_rpc_stream_fn fn,
                     mv_rpc_stream_hole_fn hole_fn, modvirt_error **err)
{
    mv_storage_vol_transfer_args args = {
        .vol = modvirt_storage_vol_to_wire(vol), .offset = offset, .length = length, .flags = flags,
    };
    struct mv_err e = { 0 };
    int r;

    if (flags & ~MODVIRT_VOL_TRANSFER_SPARSE)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_STORAGE,
                                 "invalid argument: unsupported flags (0x%x)", flags & ~MODVIRT_VOL_TRANSFER_SPARSE);
    if ((r = modvirt_conn_rpc(vol->conn, proc, rpc, err)) < 0)
        return r;
    r = mv_rpc_client_call_stream_sparse(*rpc, MV_REMOTE_PROGRAM, proc,
                                         (xdrproc_t)xdr_mv_storage_vol_transfer_args, &args, NULL, NULL,
                                         fn, t->sparse ? hole_fn : NULL, t, st, &e);
    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}

/* ---- upload ---- */

/* Where the data at POS of FD ends, or (in a hole) *HOLE_END; -1 at EOF of a sparse file. */
static void upload_extent(const struct xfer *t, off_t pos, off_t *data_end, off_t *hole_end)
{
    off_t d, h;

    *hole_end = pos;
    *data_end = -1;
    if (!t->sparse || !t->seekable)
        return;
    d = lseek(t->fd, pos, SEEK_DATA);
    if (d < 0) {
        /* ENXIO: a hole to the end of the file */
        if (errno == ENXIO) {
            struct stat sb;

            if (fstat(t->fd, &sb) == 0 && sb.st_size > pos)
                *hole_end = sb.st_size;
        }
        return;
    }
    if (d > pos) {
        *hole_end = d;
        return;
    }
    h = lseek(t->fd, pos, SEEK_HOLE);
    if (h > pos)
        *data_end = h;
}

/* Sends up to WANT bytes of FD at POS (its offset moves), as data or as
 * one hole; returns the bytes sent, 0 at EOF, or -errno with E set. */
static ssize_t upload_step(struct xfer *t, struct mv_rpc_stream *st, char *buf, off_t pos, uint64_t want,
                           struct mv_err *e)
{
    off_t data_end, hole_end;
    ssize_t n;
    int r;

    upload_extent(t, pos, &data_end, &hole_end);
    if (hole_end > pos) {
        uint64_t len = (uint64_t)(hole_end - pos) < want ? (uint64_t)(hole_end - pos) : want;

        if ((r = mv_rpc_stream_send_hole(st, (int64_t)len, e)) < 0)
            return r;
        if (lseek(t->fd, pos + (off_t)len, SEEK_SET) < 0)
            return mv_err_set_errno(e, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE, "cannot seek the upload's source");
        return (ssize_t)len;
    }
    if (data_end > pos && (uint64_t)(data_end - pos) < want)
        want = (uint64_t)(data_end - pos);
    if (want > UPLOAD_CHUNK)
        want = UPLOAD_CHUNK;
    /* upload_extent's SEEK_DATA / SEEK_HOLE probes moved FD's offset: read
     * at POS, not wherever they left it */
    do
        n = t->seekable ? pread(t->fd, buf, want, pos) : read(t->fd, buf, want);
    while (n < 0 && errno == EINTR);
    if (n > 0 && t->seekable && lseek(t->fd, pos + n, SEEK_SET) < 0)
        return mv_err_set_errno(e, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE, "cannot seek the upload's source");
    if (n < 0)
        return mv_err_set_errno(e, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE, "cannot read the upload's source");
    if (n > 0 && (r = mv_rpc_stream_send(st, buf, (size_t)n, e)) < 0)
        return r;
    return n;
}

static int upload_all(struct xfer *t, struct mv_rpc_stream *st, uint64_t length, struct mv_err *e)
{
    _cleanup_free_ char *buf = malloc(UPLOAD_CHUNK);
    off_t pos = t->seekable ? lseek(t->fd, 0, SEEK_CUR) : 0;

    if (!buf)
        return mv_err_set_errno(e, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    for (;;) {
        uint64_t want = length ? length - t->done : UINT64_MAX;
        ssize_t n;

        if (want == 0)
            return 0;
        n = upload_step(t, st, buf, pos, want, e);
        if (n <= 0)
            return (int)n;
        pos += n;
        progress(t, (uint64_t)n);
    }
}

/* An upload's stream carries the sparse flag so that holes may be sent on
 * it (the RPC client allows mv_rpc_stream_send_hole only on a stream with a
 * hole callback); the daemon sends nothing back on an upload, holes
 * included, so this is never called. */
static void upload_hole_back(struct mv_rpc_stream *st, int64_t length, void *opaque)
{
}

int modvirt_storage_vol_upload(modvirt_storage_vol *vol, int fd, uint64_t offset, uint64_t length,
                               unsigned int flags, modvirt_progress_fn progress_fn, void *opaque,
                               modvirt_error **err)
{
    struct xfer t = { .fd = fd, .sparse = flags & MODVIRT_VOL_TRANSFER_SPARSE, .progress = progress_fn,
                      .opaque = opaque };
    struct mv_rpc_client *rpc = NULL;
    struct mv_rpc_stream *st = NULL;
    struct mv_err e = { 0 };
    struct stat sb;
    int r;

    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        off_t cur = lseek(fd, 0, SEEK_CUR);

        t.seekable = true;
        t.total = cur >= 0 && sb.st_size > cur ? (uint64_t)(sb.st_size - cur) : 0;
    }
    if (length && (!t.total || length < t.total))
        t.total = length;
    r = xfer_open(vol, MV_PROC_STORAGE_VOL_UPLOAD, offset, length, flags, &t, &rpc, &st, NULL, upload_hole_back,
                  err);
    if (r < 0)
        return r;
    r = upload_all(&t, st, length, &e);
    if (r < 0) {
        struct mv_err ignore = { 0 };

        /* the daemon keeps the volume as it was */
        mv_rpc_stream_abort(st, &ignore);
        mv_err_clear(&ignore);
        return modvirt_rpc_fail(&e, err, r);
    }
    r = mv_rpc_stream_finish(st, &e);
    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}

/* ---- download ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void on_data(struct mv_rpc_stream *st, const void *data, size_t len, const struct mv_err *e,
                    void *opaque)
{
    struct xfer *t = opaque;
    int r;

    if (e) {
        mv_err_set(&t->err, e->code, e->domain, "%s", e->message ? e->message : "stream failed");
        t->eof = true;
        return;
    }
    if (!data) {
        t->eof = true;
        return;
    }
    if (t->local_errno)
        return;
    if ((r = write_all(t->fd, data, len)) < 0) {
        t->local_errno = r;
        return;
    }
    progress(t, len);
}

/* A hole: skipped in a regular file, zeros elsewhere. */
static void on_hole(struct mv_rpc_stream *st, int64_t length, void *opaque)
{
    static const char zeros[65536];
    struct xfer *t = opaque;
    int r = 0;

    if (t->local_errno)
        return;
    if (t->seekable) {
        if (lseek(t->fd, (off_t)length, SEEK_CUR) < 0)
            r = -errno;
    } else {
        for (int64_t left = length; left > 0 && r == 0; left -= (int64_t)sizeof(zeros))
            r = write_all(t->fd, zeros, left < (int64_t)sizeof(zeros) ? (size_t)left : sizeof(zeros));
    }
    if (r < 0)
        t->local_errno = r;
    else
        progress(t, (uint64_t)length);
}

/* The download's size for progress: LENGTH, else the volume's file size. */
static uint64_t download_total(modvirt_storage_vol *vol, uint64_t offset, uint64_t length)
{
    mv_storage_vol_flags_args a = { .vol = modvirt_storage_vol_to_wire(vol), .flags = GET_PHYSICAL };
    mv_storage_vol_get_info_ret info = { 0 };

    if (length)
        return length;
    if (modvirt_conn_call(vol->conn, MV_PROC_STORAGE_VOL_GET_INFO_FLAGS, (xdrproc_t)xdr_mv_storage_vol_flags_args, &a,
                          (xdrproc_t)xdr_mv_storage_vol_get_info_ret, &info, NULL) < 0)
        return 0;
    return info.capacity > offset ? info.capacity - offset : 0;
}

int modvirt_storage_vol_download(modvirt_storage_vol *vol, int fd, uint64_t offset, uint64_t length,
                                 unsigned int flags, modvirt_progress_fn progress_fn, void *opaque,
                                 modvirt_error **err)
{
    struct xfer t = { .fd = fd, .sparse = flags & MODVIRT_VOL_TRANSFER_SPARSE, .progress = progress_fn,
                      .opaque = opaque };
    struct mv_rpc_client *rpc = NULL;
    struct mv_rpc_stream *st = NULL;
    struct mv_err e = { 0 };
    struct stat sb;
    int r;

    t.seekable = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    t.total = progress_fn ? download_total(vol, offset, length) : 0;
    r = xfer_open(vol, MV_PROC_STORAGE_VOL_DOWNLOAD, offset, length, flags, &t, &rpc, &st, on_data, on_hole, err);
    if (r < 0)
        return r;
    while (!t.eof && !t.local_errno && (r = mv_rpc_client_process(rpc, -1)) >= 0)
        ;
    if (t.local_errno || mv_err_is_set(&t.err) || r < 0) {
        struct mv_err ignore = { 0 };

        mv_rpc_stream_abort(st, &ignore);
        mv_err_clear(&ignore);
        if (t.local_errno)
            return modvirt_error_set(err, t.local_errno, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE,
                                     "cannot write the download of volume '%s': %s", vol->name, strerror(-t.local_errno));
        if (!mv_err_is_set(&t.err))
            return modvirt_error_set(err, -ENOTCONN, MV_ERR_RPC, MV_FROM_RPC,
                                     "the connection to the daemon was lost (%s)", strerror(-r));
        return modvirt_error_give(&t.err, err, -EIO);
    }
    r = mv_rpc_stream_finish(st, &e);
    if (r < 0)
        return modvirt_rpc_fail(&e, err, r);
    /* a hole at the end was only skipped: the file gets its full length */
    if (t.seekable) {
        off_t end = lseek(fd, 0, SEEK_CUR);

        if (end >= 0 && fstat(fd, &sb) == 0 && sb.st_size < end && ftruncate(fd, end) < 0)
            return modvirt_error_set(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE,
                                     "cannot extend the download of volume '%s': %s", vol->name, strerror(errno));
    }
    return 0;
}
