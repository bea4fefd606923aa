/*
 * STORAGE_VOL_UPLOAD and STORAGE_VOL_DOWNLOAD (wire-protocol.md 7.2-7.4):
 * the stream side of a volume transfer, on the RPC loop.  The file side
 * runs on the transfer's own thread (volume_xfer.h); between them a
 * bounded queue and an eventfd, so the loop never waits for a disk and a
 * slow client or disk holds at most the queue plus the stream's backlog.
 *
 * Download: the thread queues data chunks and holes (sparse streams), the
 * loop sends them until the client's backlog is full (mv_stream_send says
 * -EAGAIN) and goes on at ops->writable; EOF when the thread is done.
 * Upload: the sink copies each packet into the queue, or says -EAGAIN when
 * it is full and resumes the stream once the thread made room; the
 * client's finish is confirmed when the thread has committed the file.
 */
#define MV_LOG_MODULE "storaged.stream"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "pool_obj.h"
#include "storaged.h"
#include "stream.h"
#include "vol_file.h"
#include "volume_xfer.h"

/* VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM = VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM */
#define XFER_SPARSE 1u

struct xfer_stream {
    struct vol_xfer *x;
    struct mv_stream *st;
    sd_event_source *src;           /* the transfer's eventfd */
    bool blocked;                   /* download: the client's backlog is full */
    bool want_room;                 /* upload: the sink said -EAGAIN */
    bool finishing;                 /* upload: the finish waits for the commit */
    bool eof_sent;
};

/* ---- the volume a call names ---- */

struct vol_facts {
    char *path;
    uint64_t capacity;
    bool raw;
};

/* Looks up the volume in its pool's published list: memory only, so a
 * stuck pool cannot stall the loop here. */
static int find_vol(struct mv_call *call, const mv_nonnull_storage_vol *wire, struct vol_facts *f)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_registry_find_name(wire->pool);
    struct stor_vols *vols = NULL;
    const struct mv_pool_vol *v;
    bool active = false;

    if (!pool)
        return mv_call_error(call, MV_ERR_NO_STORAGE_POOL, MV_FROM_STORAGE,
                             "Storage pool not found: no storage pool with matching name '%s'", wire->pool);
    pthread_mutex_lock(&pool->lock);
    active = pool->active;
    vols = stor_pool_vols(pool);
    pthread_mutex_unlock(&pool->lock);
    if (!active) {
        stor_vols_unref(vols);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                             "Requested operation is not valid: storage pool '%s' is not active", wire->pool);
    }
    v = stor_vols_find(vols, wire->name);
    if (v) {
        f->path = strdup(v->path);
        f->capacity = v->info.capacity;
        f->raw = v->info.format == MV_VOLFILE_RAW;
    }
    stor_vols_unref(vols);
    if (!v)
        return mv_call_error(call, MV_ERR_NO_STORAGE_VOL, MV_FROM_STORAGE,
                             "Storage volume not found: no storage vol with matching name '%s'", wire->name);
    return f->path ? 0 : -ENOMEM;
}

/* ---- both directions ---- */

static void xfer_release(void *opaque)
{
    struct xfer_stream *xs = opaque;

    /* an upload not committed by now never will be: the old volume stays */
    vol_xfer_cancel(xs->x);
    sd_event_source_disable_unref(xs->src);
    vol_xfer_unref(xs->x);
    free(xs);
}

/* The thread's error ends the stream; true if it did. */
static bool fail_if_failed(struct xfer_stream *xs)
{
    struct vol_xfer *x = xs->x;
    bool done;
    int r;

    pthread_mutex_lock(&x->lock);
    done = x->thread_done;
    r = x->result;
    pthread_mutex_unlock(&x->lock);
    if (!done || r == 0)
        return false;
    mv_stream_fail(xs->st, r == -EFBIG ? MV_ERR_INVALID_ARG : MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                   "%s", x->errmsg ? x->errmsg : strerror(-r));
    return true;
}

/* ---- download ---- */

/* Sends what the thread queued until the client's backlog is full. */
static void download_pump(struct xfer_stream *xs)
{
    struct vol_xfer_item *it;
    bool done;

    while (!xs->blocked && (it = vol_xfer_pop(xs->x))) {
        int r = it->kind == VOL_XFER_DATA ? mv_stream_send(xs->st, it->data, it->len)
                                          : mv_stream_send_hole(xs->st, (int64_t)it->len);

        free(it);
        if (r == -EAGAIN) {
            xs->blocked = true;
        } else if (r < 0) {
            mv_stream_fail(xs->st, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE, "cannot send volume '%s': %s",
                           xs->x->vol, strerror(-r));
            return;
        }
    }
    if (xs->blocked || xs->eof_sent || fail_if_failed(xs))
        return;
    pthread_mutex_lock(&xs->x->lock);
    done = xs->x->thread_done && !xs->x->head;
    pthread_mutex_unlock(&xs->x->lock);
    if (done && mv_stream_send_eof(xs->st) == 0)
        xs->eof_sent = true;
}

static void download_writable(struct mv_stream *st, void *opaque)
{
    struct xfer_stream *xs = opaque;

    xs->blocked = false;
    download_pump(xs);
}

static ssize_t download_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    struct xfer_stream *xs = opaque;

    mv_stream_fail(st, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                   "Requested operation is not valid: the download of volume '%s' takes no data", xs->x->vol);
    return -EINVAL;
}

static void download_finish(struct mv_stream *st, bool abort, void *opaque)
{
    struct xfer_stream *xs = opaque;

    /* the client has what it wants (or gave up): the reader stops */
    vol_xfer_cancel(xs->x);
}

static const struct mv_stream_ops download_ops = {
    .recv = download_recv, .finish = download_finish, .release = xfer_release,
    .writable = download_writable,
};

/* ---- upload ---- */

static ssize_t upload_take(struct xfer_stream *xs, const void *data, uint64_t len)
{
    int r;

    if (fail_if_failed(xs))
        return -EIO;
    r = vol_xfer_push(xs->x, data, len);
    if (r == -EAGAIN)
        xs->want_room = true;
    else if (r < 0)
        mv_stream_fail(xs->st, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    return r;
}

static ssize_t upload_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    ssize_t r = upload_take(opaque, data, len);

    return r == 0 ? (ssize_t)len : r;
}

static int upload_hole(struct mv_stream *st, int64_t length, void *opaque)
{
    return (int)upload_take(opaque, NULL, (uint64_t)length);
}

static void upload_finish(struct mv_stream *st, bool abort, void *opaque)
{
    struct xfer_stream *xs = opaque;

    if (abort) {
        vol_xfer_cancel(xs->x);
        return;
    }
    /* confirmed once the file is committed (upload_event) */
    xs->finishing = true;
    mv_stream_defer_finish(st);
    vol_xfer_finish(xs->x);
}

static const struct mv_stream_ops upload_ops = {
    .recv = upload_recv, .hole = upload_hole, .finish = upload_finish, .release = xfer_release,
};

static void upload_event(struct xfer_stream *xs)
{
    bool done, room;

    if (fail_if_failed(xs))
        return;
    pthread_mutex_lock(&xs->x->lock);
    done = xs->x->thread_done;
    room = xs->x->queued < VOL_XFER_QUEUE_MAX;
    pthread_mutex_unlock(&xs->x->lock);
    if (done && xs->finishing) {
        mv_stream_finish_done(xs->st);
        return;
    }
    if (xs->want_room && room) {
        xs->want_room = false;
        mv_stream_resume(xs->st);
    }
}

/* After an upload the pool lists the volume as it now is (an image's
 * format and capacity may have changed, the allocation has), as libvirt
 * refreshes an uploaded volume.  On the transfer's thread: it reads the file. */
static void upload_committed(const struct vol_xfer *x)
{
    _cleanup_pool_unref_ struct stor_pool *pool = stor_registry_find_name(x->pool);
    struct mv_pool_vol vol = { .name = x->vol, .path = x->path };
    struct stor_vols *next = NULL, *old = NULL;
    _cleanup_free_ char *msg = NULL;

    if (!pool || mv_volfile_inspect(x->path, &vol.info, &msg) < 0) {
        mv_debug("volume '%s' uploaded, not re-read: %s", x->vol, msg ? msg : "its pool is gone");
        return;
    }
    pthread_mutex_lock(&pool->lock);
    if (pool->active && (next = stor_vols_with(pool->vols, &vol, x->vol))) {
        old = pool->vols;
        pool->vols = next;
    }
    pthread_mutex_unlock(&pool->lock);
    stor_vols_unref(old);
    mv_volfile_info_clear(&vol.info);
}

/* ---- opening ---- */

static int on_xfer_event(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct xfer_stream *xs = opaque;

    vol_xfer_ack(xs->x);
    if (xs->x->upload)
        upload_event(xs);
    else
        download_pump(xs);
    return 0;
}

static int open_xfer(struct mv_call *call, mv_storage_vol_transfer_args *args, bool upload)
{
    const char *api = upload ? "virStorageVolUpload" : "virStorageVolDownload";
    struct vol_facts f = { 0 };
    _cleanup_free_ char *errmsg = NULL;
    struct xfer_stream *xs;
    int r;

    if (args->flags & ~XFER_SPARSE)
        return storaged_bad_flags(call, args->flags & ~XFER_SPARSE, api);
    if ((r = find_vol(call, &args->vol, &f)) < 0)
        return r;
    /* refused before a byte moves: the volume stays as it is */
    if (upload && f.raw && (args->offset > f.capacity || args->length > f.capacity - args->offset)) {
        free(f.path);
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_STORAGE, "invalid argument: cannot upload "
                             "%llu bytes at offset %llu to volume '%s' of pool '%s': its capacity is %llu bytes",
                             (unsigned long long)args->length, (unsigned long long)args->offset,
                             args->vol.name, args->vol.pool, (unsigned long long)f.capacity);
    }
    xs = calloc(1, sizeof(*xs));
    if (xs)
        xs->x = vol_xfer_start(upload, args->flags & XFER_SPARSE, f.raw, args->vol.pool, args->vol.name,
                               f.path, args->offset, args->length, f.capacity,
                               upload ? upload_committed : NULL, &errmsg);
    free(f.path);
    if (!xs || !xs->x) {
        free(xs);
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE, "%s",
                             errmsg ? errmsg : "out of memory");
    }
    if (sd_event_add_io(storaged.event, &xs->src, xs->x->efd, EPOLLIN, on_xfer_event, xs) < 0) {
        xfer_release(xs);
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE,
                             "cannot watch the transfer of volume '%s'", args->vol.name);
    }
    /* from here the stream owns XS: release() frees it, also if the call fails */
    xs->st = mv_call_open_stream(call, upload ? &upload_ops : &download_ops, xs);
    if (!xs->st)
        return -ENOMEM;
    if (args->flags & XFER_SPARSE)
        mv_stream_set_sparse(xs->st);
    return 0;
}

static int vol_upload(struct mv_call *call, mv_storage_vol_transfer_args *args, void *ret)
{
    return open_xfer(call, args, true);
}

static int vol_download(struct mv_call *call, mv_storage_vol_transfer_args *args, void *ret)
{
    return open_xfer(call, args, false);
}

static const struct mv_dispatch_entry stream_procs[] = {
    MV_HANDLER(STORAGE_VOL_UPLOAD, vol_upload),
    MV_HANDLER(STORAGE_VOL_DOWNLOAD, vol_download),
};
const struct mv_dispatch_table storaged_stream_table = { stream_procs, MV_ARRAY_SIZE(stream_procs) };
