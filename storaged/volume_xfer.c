/*
 * A volume transfer's thread and the bounded queue it shares with the RPC
 * loop (volume_xfer.h); the download reader.  The upload writer is in
 * volume_upload.c.
 */
#define MV_LOG_MODULE "storaged.xfer"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "log.h"
#include "volume_xfer.h"

/* A hole takes no memory, but counts in the queue so that a stream of
 * holes cannot queue without bound. */
#define HOLE_WEIGHT 4096u

static size_t item_weight(const struct vol_xfer_item *it)
{
    return it->kind == VOL_XFER_DATA ? (size_t)it->len : HOLE_WEIGHT;
}

static void items_free(struct vol_xfer_item *it)
{
    while (it) {
        struct vol_xfer_item *next = it->next;

        free(it);
        it = next;
    }
}

static void wake_loop(struct vol_xfer *x)
{
    uint64_t one = 1;

    /* an eventfd write fails only when the counter is full: it is awake then */
    if (write(x->efd, &one, sizeof(one)) < 0)
        mv_debug("waking the loop for volume '%s': %s", x->vol, strerror(errno));
}

void vol_xfer_ack(struct vol_xfer *x)
{
    uint64_t v;

    if (read(x->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        mv_debug("reading the eventfd of volume '%s': %s", x->vol, strerror(errno));
}

void vol_xfer_unref(struct vol_xfer *x)
{
    if (!x || atomic_fetch_sub(&x->refs, 1) != 1)
        return;
    items_free(x->head);
    pthread_mutex_destroy(&x->lock);
    pthread_cond_destroy(&x->cond);
    if (x->efd >= 0)
        close(x->efd);
    free(x->pool);
    free(x->vol);
    free(x->path);
    free(x->errmsg);
    free(x);
}

/* ---- the queue ---- */

static void queue_push(struct vol_xfer *x, struct vol_xfer_item *it)
{
    it->next = NULL;
    if (x->tail)
        x->tail->next = it;
    else
        x->head = it;
    x->tail = it;
    x->queued += item_weight(it);
}

static struct vol_xfer_item *queue_pop(struct vol_xfer *x)
{
    struct vol_xfer_item *it = x->head;

    if (!it)
        return NULL;
    x->head = it->next;
    if (!x->head)
        x->tail = NULL;
    x->queued -= item_weight(it);
    it->next = NULL;
    return it;
}

int vol_xfer_put(struct vol_xfer *x, struct vol_xfer_item *item)
{
    bool was_empty;

    pthread_mutex_lock(&x->lock);
    while (!x->cancelled && x->queued >= VOL_XFER_QUEUE_MAX)
        pthread_cond_wait(&x->cond, &x->lock);
    if (x->cancelled) {
        pthread_mutex_unlock(&x->lock);
        free(item);
        return -ECANCELED;
    }
    was_empty = !x->head;
    queue_push(x, item);
    pthread_mutex_unlock(&x->lock);
    /* the loop drains the whole queue per wakeup: one wakeup per batch */
    if (was_empty)
        wake_loop(x);
    return 0;
}

struct vol_xfer_item *vol_xfer_pop(struct vol_xfer *x)
{
    struct vol_xfer_item *it;

    pthread_mutex_lock(&x->lock);
    it = queue_pop(x);
    if (it) {
        x->moved += it->len;
        pthread_cond_signal(&x->cond);
    }
    pthread_mutex_unlock(&x->lock);
    return it;
}

int vol_xfer_push(struct vol_xfer *x, const void *data, uint64_t len)
{
    struct vol_xfer_item *it;

    pthread_mutex_lock(&x->lock);
    if (x->queued >= VOL_XFER_QUEUE_MAX) {
        pthread_mutex_unlock(&x->lock);
        return -EAGAIN;
    }
    pthread_mutex_unlock(&x->lock);
    it = malloc(sizeof(*it) + (data ? len : 0));
    if (!it)
        return -ENOMEM;
    it->kind = data ? VOL_XFER_DATA : VOL_XFER_HOLE;
    it->len = len;
    if (data)
        memcpy(it->data, data, len);
    pthread_mutex_lock(&x->lock);
    queue_push(x, it);
    x->moved += len;
    pthread_cond_signal(&x->cond);
    pthread_mutex_unlock(&x->lock);
    return 0;
}

struct vol_xfer_item *vol_xfer_take(struct vol_xfer *x, bool *cancelled)
{
    struct vol_xfer_item *it = NULL;
    bool was_full;

    pthread_mutex_lock(&x->lock);
    while (!x->cancelled && !x->head && !x->client_done)
        pthread_cond_wait(&x->cond, &x->lock);
    *cancelled = x->cancelled;
    if (!x->cancelled) {
        was_full = x->queued >= VOL_XFER_QUEUE_MAX;
        it = queue_pop(x);
        /* the loop stopped taking data at the limit: tell it there is room */
        if (it && was_full && x->queued < VOL_XFER_QUEUE_MAX)
            wake_loop(x);
    }
    pthread_mutex_unlock(&x->lock);
    return it;
}

void vol_xfer_finish(struct vol_xfer *x)
{
    pthread_mutex_lock(&x->lock);
    x->client_done = true;
    pthread_cond_signal(&x->cond);
    pthread_mutex_unlock(&x->lock);
}

void vol_xfer_cancel(struct vol_xfer *x)
{
    pthread_mutex_lock(&x->lock);
    x->cancelled = true;
    pthread_cond_signal(&x->cond);
    pthread_mutex_unlock(&x->lock);
}

/* ---- the download reader ---- */

static struct vol_xfer_item *hole_item(uint64_t len)
{
    struct vol_xfer_item *it = malloc(sizeof(*it));

    if (it) {
        it->kind = VOL_XFER_HOLE;
        it->len = len;
    }
    return it;
}

/* Reads [POS, POS+LEN) of FD (LEN <= VOL_XFER_READ_CHUNK) into a new item. */
static int read_item(struct vol_xfer *x, int fd, uint64_t pos, uint64_t len,
                     struct vol_xfer_item **ret, char **errmsg)
{
    struct vol_xfer_item *it = malloc(sizeof(*it) + len);
    uint64_t got = 0;

    if (!it)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    while (got < len) {
        ssize_t n = pread(fd, it->data + got, len - got, (off_t)(pos + got));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;

            free(it);
            return mv_errmsg_set(errmsg, -e, "cannot read volume '%s' of pool '%s' at offset %llu: %s",
                                 x->vol, x->pool, (unsigned long long)(pos + got),
                                 n < 0 ? strerror(e) : "the file is shorter than it was");
        }
        got += (uint64_t)n;
    }
    it->kind = VOL_XFER_DATA;
    it->len = len;
    *ret = it;
    return 0;
}

/* Where the data extent at POS ends (sparse: at the next hole), and
 * whether POS is in a hole: *HOLE_END then says where the hole ends.
 * Without SEEK_DATA support everything is data. */
static void next_extent(int fd, uint64_t pos, uint64_t end, bool sparse, uint64_t *data_end, uint64_t *hole_end)
{
    off_t d, h;

    *hole_end = pos;
    *data_end = end;
    if (!sparse)
        return;
    d = lseek(fd, (off_t)pos, SEEK_DATA);
    if (d < 0) {
        /* ENXIO: only a hole up to the end of the file */
        if (errno == ENXIO)
            *hole_end = end;
        return;
    }
    if ((uint64_t)d > pos) {
        *hole_end = (uint64_t)d < end ? (uint64_t)d : end;
        return;
    }
    h = lseek(fd, (off_t)pos, SEEK_HOLE);
    if (h >= 0 && (uint64_t)h < end)
        *data_end = (uint64_t)h;
}

static int download_range(struct vol_xfer *x, int fd, uint64_t pos, uint64_t end, char **errmsg)
{
    while (pos < end) {
        uint64_t data_end, hole_end;
        struct vol_xfer_item *it = NULL;
        int r;

        next_extent(fd, pos, end, x->sparse, &data_end, &hole_end);
        if (hole_end > pos) {
            /* one hole packet per hole, as long as it is */
            if (!(it = hole_item(hole_end - pos)))
                return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
            pos = hole_end;
        } else {
            uint64_t n = data_end - pos < VOL_XFER_READ_CHUNK ? data_end - pos : VOL_XFER_READ_CHUNK;

            if ((r = read_item(x, fd, pos, n, &it, errmsg)) < 0)
                return r;
            pos += n;
        }
        if ((r = vol_xfer_put(x, it)) < 0)
            return r;
    }
    return 0;
}

int vol_xfer_download_run(struct vol_xfer *x, char **errmsg)
{
    _cleanup_close_ int fd = open(x->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat sb;
    uint64_t size, end;

    if (fd < 0 || fstat(fd, &sb) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open volume '%s' of pool '%s' ('%s'): %s",
                             x->vol, x->pool, x->path, strerror(errno));
    size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : x->capacity;
    if (x->offset > size)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot download volume '%s' of pool '%s': offset %llu "
                             "is beyond its end (%llu bytes)", x->vol, x->pool,
                             (unsigned long long)x->offset, (unsigned long long)size);
    end = x->length && x->length < size - x->offset ? x->offset + x->length : size;
    posix_fadvise(fd, (off_t)x->offset, (off_t)(end - x->offset), POSIX_FADV_SEQUENTIAL);
    return download_range(x, fd, x->offset, end, errmsg);
}

/* ---- the thread ---- */

static void *xfer_main(void *opaque)
{
    struct vol_xfer *x = opaque;
    char *errmsg = NULL;
    int r = x->upload ? vol_xfer_upload_run(x, &errmsg) : vol_xfer_download_run(x, &errmsg);

    if (r < 0 && r != -ECANCELED)
        mv_debug("%s of volume '%s' failed: %s", x->upload ? "upload" : "download", x->vol,
                 errmsg ? errmsg : strerror(-r));
    pthread_mutex_lock(&x->lock);
    x->thread_done = true;
    x->result = r;
    x->errmsg = errmsg;
    pthread_mutex_unlock(&x->lock);
    wake_loop(x);
    vol_xfer_unref(x);
    return NULL;
}

struct vol_xfer *vol_xfer_start(bool upload, bool sparse, bool raw, const char *pool, const char *vol,
                                const char *path, uint64_t offset, uint64_t length, uint64_t capacity,
                                void (*committed)(const struct vol_xfer *x), char **errmsg)
{
    struct vol_xfer *x = calloc(1, sizeof(*x));
    pthread_attr_t attr;
    pthread_t tid;
    int r;

    if (!x) {
        mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&x->refs, 1);
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->cond, NULL);
    x->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    x->upload = upload;
    x->sparse = sparse;
    x->raw = raw;
    x->pool = strdup(pool);
    x->vol = strdup(vol);
    x->path = strdup(path);
    x->offset = offset;
    x->length = length;
    x->capacity = capacity;
    x->committed = committed;
    if (x->efd < 0 || !x->pool || !x->vol || !x->path) {
        mv_errmsg_set(errmsg, -ENOMEM, "cannot set up the transfer of volume '%s': out of resources", vol);
        vol_xfer_unref(x);
        return NULL;
    }
    /* the thread's reference */
    atomic_fetch_add(&x->refs, 1);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&tid, &attr, xfer_main, x);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        mv_errmsg_set(errmsg, -r, "cannot start the transfer of volume '%s': %s", vol, strerror(r));
        atomic_fetch_sub(&x->refs, 1);
        vol_xfer_unref(x);
        return NULL;
    }
    return x;
}
