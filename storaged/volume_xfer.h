/*
 * A volume transfer's file side: the thread that reads a volume for a
 * download or writes an upload, and the bounded queue between it and the
 * RPC loop (volume_stream.c holds the stream side).
 *
 * Why a thread per transfer: file I/O may block for long (a pool whose
 * filesystem hangs), and the loop must not; a shared pool of threads would
 * be used up by a few stuck pools (pool_queue.h says the same).  The queue
 * holds at most VOL_XFER_QUEUE_MAX bytes, so either side waits for the
 * other: the thread on a condition variable, the loop by back-pressure
 * (mv_stream_send's -EAGAIN, a sink's -EAGAIN and mv_stream_resume()).
 *
 * Uploads are crash safe: the data goes into a temporary file next to the
 * volume (vol_file.h's temp files, same filesystem), which replaces the
 * volume by rename(2) only after the whole stream arrived and was flushed.
 * A daemon killed mid-upload leaves the old volume intact plus a temporary
 * file that the pool's next refresh removes.  The temporary file
 * is a fresh sparse file: holes and all-zero blocks are not written, so
 * the result is sparse whatever the client sent.  Bytes the stream does
 * not cover (before OFFSET, after its end) keep the old content, copied
 * extent by extent (holes stay holes), as libvirt's in-place write leaves
 * them; except that a non-raw volume uploaded whole becomes exactly the
 * stream's bytes (an image file is not padded with its old tail).  Block
 * devices (logical pools) cannot be renamed over and are written in
 * place.
 *
 * Threading: vol_xfer_* are called from the loop; the thread touches only
 * the fields marked so.  A transfer is referenced by the loop (until the
 * stream is released) and by the thread (until it ends).
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of data between the loop and the thread, each way. */
#define VOL_XFER_QUEUE_MAX (8u * 1024 * 1024)
/* What the download thread reads at once (the stream splits it). */
#define VOL_XFER_READ_CHUNK (1u * 1024 * 1024)

enum vol_xfer_kind { VOL_XFER_DATA, VOL_XFER_HOLE };

struct vol_xfer_item {
    struct vol_xfer_item *next;
    enum vol_xfer_kind kind;
    uint64_t len;                   /* bytes of data, or the hole's length */
    char data[];
};

struct vol_xfer {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* the thread waits here */
    int efd;                        /* eventfd: the thread wakes the loop */

    /* fixed at creation */
    bool upload;
    bool sparse;                    /* the call's SPARSE_STREAM flag */
    bool raw;                       /* raw volume: OFFSET/LENGTH bound by CAPACITY */
    char *pool, *vol, *path;        /* for messages; the volume's file */
    uint64_t offset, length;        /* the call's; LENGTH 0 = to the end */
    uint64_t capacity;              /* raw: the volume's size */
    /* upload: called on the thread once the new file is in place */
    void (*committed)(const struct vol_xfer *x);

    /* under LOCK */
    struct vol_xfer_item *head, *tail;
    size_t queued;                  /* bytes in the queue (a hole counts as one page) */
    bool client_done;               /* upload: the client finished */
    bool cancelled;                 /* the stream ended early: stop, keep the old volume */
    bool thread_done;               /* the thread ended: RESULT, ERRMSG are final */
    int result;                     /* 0 or -errno */
    char *errmsg;                   /* names the volume and the cause */
    uint64_t moved;                 /* bytes of the stream passed so far (holes included) */
};

/* A transfer of PATH with its thread started; NULL with *ERRMSG set.
 * COMMITTED (upload, may be NULL) runs on the thread after the commit. */
struct vol_xfer *vol_xfer_start(bool upload, bool sparse, bool raw, const char *pool, const char *vol,
                                const char *path, uint64_t offset, uint64_t length, uint64_t capacity,
                                void (*committed)(const struct vol_xfer *x), char **errmsg);
void vol_xfer_unref(struct vol_xfer *x);

/* Loop side. */
/* Takes the next item from the thread (download), or NULL. */
struct vol_xfer_item *vol_xfer_pop(struct vol_xfer *x);
/* Queues DATA/LEN or a hole (DATA NULL) for the thread (upload): 0, or
 * -EAGAIN when the queue is full (the eventfd fires once it has room). */
int vol_xfer_push(struct vol_xfer *x, const void *data, uint64_t len);
/* The client finished the upload: the thread commits (eventfd when done). */
void vol_xfer_finish(struct vol_xfer *x);
/* Stop: an upload leaves the volume as it was. */
void vol_xfer_cancel(struct vol_xfer *x);
/* Empties the eventfd. */
void vol_xfer_ack(struct vol_xfer *x);

/* Thread side (volume_xfer.c, volume_upload.c). */
/* Download: queues ITEM (taken), waiting while the queue is full; -ECANCELED if cancelled. */
int vol_xfer_put(struct vol_xfer *x, struct vol_xfer_item *item);
/* Upload: the next item, waiting for one; NULL once the client finished
 * (*CANCELLED false) or the transfer was cancelled (true). */
struct vol_xfer_item *vol_xfer_take(struct vol_xfer *x, bool *cancelled);
/* The thread bodies: 0 or -errno with *ERRMSG naming the volume and the cause. */
int vol_xfer_download_run(struct vol_xfer *x, char **errmsg);
int vol_xfer_upload_run(struct vol_xfer *x, char **errmsg);
