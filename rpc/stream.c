/*
 * Server-side streams (wire-protocol.md section 7).  A stream is born
 * PENDING inside the inline handler of its opening call, goes LIVE when the
 * call's REPLY OK is queued, and ENDS on finish, abort, failure or when the
 * client goes away.  release() runs exactly once, at the end, but never while
 * one of the stream's own callbacks is still on the stack: a callback may
 * fail its stream, and the code that called it must not touch freed memory.
 *
 * Data from the client never blocks the loop: a CONTINUE packet is held by
 * its stream until the sink has taken all of it, and while one is held its
 * client's socket is not read (server_client.c, c->stream_held), so a sink
 * that cannot keep up (a guest that does not read its console) costs one
 * packet of memory and delays nobody else.
 */
#define MV_LOG_MODULE "rpc.stream"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "log.h"
#include "server_internal.h"
#include "stream.h"

enum stream_state {
    STREAM_PENDING,     /* opened in the handler, its call not answered yet */
    STREAM_LIVE,        /* listed on its client, packets flow */
    STREAM_ENDED,       /* over: released once no callback of it runs */
};

struct mv_stream {
    struct mv_client *client;           /* borrowed: streams end before their client is closed */
    struct mv_call *call;               /* the opening call, while PENDING */
    struct mv_message_header hdr;       /* prog, vers, proc, serial of the opening call */
    const struct mv_stream_ops *ops;
    void *opaque;                       /* the driver's, freed by ops->release */
    enum stream_state state;
    unsigned int busy;                  /* callbacks of this stream on the stack */
    bool eof_sent;
    bool sparse;                        /* holes allowed (the call's sparse flag) */
    bool finish_deferred;               /* ops->finish confirms later */
    bool want_writable;                 /* send said -EAGAIN: call ops->writable */
    struct mv_msg *rx_held;             /* a CONTINUE or HOLE packet the sink has not taken all of */
    int64_t rx_hole;                    /* its hole's length, when it is a HOLE */
    size_t rx_off;                      /* bytes of it taken so far */
    bool rx_full;                       /* the sink took less than offered: wait for resume */
    bool rx_resumed;                    /* mv_stream_resume() since the last offer */
    sd_event_source *rx_defer;          /* offers the held rest again after a resume */
    struct mv_stream *next;             /* the client's list */
};

static int on_rx_resume(sd_event_source *s, void *opaque);

static struct mv_stream *stream_find(struct mv_client *c, const struct mv_message_header *h)
{
    for (struct mv_stream *st = c->streams; st; st = st->next)
        if (st->hdr.serial == h->serial && st->hdr.prog == h->prog &&
            st->hdr.vers == h->vers && st->hdr.proc == h->proc)
            return st;
    return NULL;
}

static void stream_unlink(struct mv_stream *st)
{
    for (struct mv_stream **p = &st->client->streams; *p; p = &(*p)->next) {
        if (*p == st) {
            *p = st->next;
            st->next = NULL;
            return;
        }
    }
}

static void stream_release_if_done(struct mv_stream *st)
{
    if (st->state != STREAM_ENDED || st->busy)
        return;
    st->ops->release(st->opaque);
    free(st);
}

/* Drops the held packet (taken, or the stream is over): the client's
 * socket is read again. */
static void stream_drop_held(struct mv_stream *st)
{
    if (!st->rx_held)
        return;
    mv_msg_free(TAKE_PTR(st->rx_held));
    st->rx_off = 0;
    st->rx_full = false;
    st->client->stream_held = false;
    mv_client_update_events(st->client);
}

/* Takes ST out of service; release() runs now or when its callback returns. */
static void stream_end(struct mv_stream *st)
{
    if (st->state == STREAM_ENDED)
        return;
    if (st->state == STREAM_LIVE)
        stream_unlink(st);
    st->state = STREAM_ENDED;
    st->want_writable = false;
    st->rx_defer = sd_event_source_disable_unref(st->rx_defer);
    stream_drop_held(st);
    stream_release_if_done(st);
}

/* Around every callback: ST stays allocated until the callback returned. */
static void stream_hold(struct mv_stream *st)
{
    st->busy++;
}

static void stream_unhold(struct mv_stream *st)
{
    st->busy--;
    stream_release_if_done(st);
}

/* A STREAM packet of ST with STATUS and raw DATA; NULL on OOM. */
static struct mv_msg *stream_packet(const struct mv_stream *st, int status,
                                    const void *data, size_t len)
{
    struct mv_message_header hdr = st->hdr;
    struct mv_msg *m = mv_msg_new();

    hdr.type = MV_STREAM;
    hdr.status = status;
    if (m && mv_msg_encode_raw(m, &hdr, data, len) < 0) {
        mv_msg_free(m);
        m = NULL;
    }
    return m;
}

static int stream_queue(struct mv_stream *st, int status, const void *data, size_t len)
{
    struct mv_msg *m = stream_packet(st, status, data, len);

    if (!m)
        return -ENOMEM;
    mv_client_queue_tx(st->client, m);
    return 0;
}

struct mv_stream *mv_call_open_stream(struct mv_call *call, const struct mv_stream_ops *ops, void *opaque)
{
    struct mv_client *c = call->client;
    struct mv_stream *st;

    /* the stream list belongs to the loop thread; a worker may not touch it */
    if (!(call->info->flags & MV_PROC_INLINE) || call->stream) {
        mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: procedure %d "
                      "cannot open a stream here", call->req->hdr.proc);
        ops->release(opaque);
        return NULL;
    }
    /* stream packets are told apart by serial alone */
    if (stream_find(c, &call->req->hdr)) {
        mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "a stream with serial %u is already open",
                      call->req->hdr.serial);
        ops->release(opaque);
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    /* made now, so that mv_stream_resume() cannot fail */
    if (!st || sd_event_add_defer(c->srv->event, &st->rx_defer, on_rx_resume, st) < 0 ||
        sd_event_source_set_enabled(st->rx_defer, SD_EVENT_OFF) < 0) {
        if (st)
            sd_event_source_disable_unref(st->rx_defer);
        free(st);
        ops->release(opaque);
        return NULL;
    }
    st->client = c;
    st->call = call;
    st->hdr = call->req->hdr;
    st->ops = ops;
    st->opaque = opaque;
    st->state = STREAM_PENDING;
    call->stream = st;
    return st;
}

void mv_stream_call_done(struct mv_call *call, bool replied_ok)
{
    struct mv_stream *st = TAKE_PTR(call->stream);

    if (!st)
        return;
    st->call = NULL;
    if (!replied_ok || atomic_load(&st->client->closed)) {
        stream_end(st);
        return;
    }
    st->state = STREAM_LIVE;
    st->next = st->client->streams;
    st->client->streams = st;
}

/* After queueing: -EAGAIN (and ops->writable later) once the client's
 * unread output is over the limit, so the source stops reading. */
static int stream_backlog_check(struct mv_stream *st)
{
    if (st->client->tx_bytes >= MV_CLIENT_TX_BACKLOG_MAX) {
        st->want_writable = true;
        return -EAGAIN;
    }
    return 0;
}

int mv_stream_send(struct mv_stream *st, const void *data, size_t len)
{
    struct mv_msg *head = NULL, **tail = &head;
    const char *p = data;

    if (st->state == STREAM_PENDING)
        return -ENOTCONN;
    if (st->state != STREAM_LIVE || st->eof_sent)
        return -EPIPE;
    /* build every chunk first so that OOM queues nothing */
    for (size_t off = 0; off < len; off += MV_STREAM_CHUNK_MAX) {
        size_t n = len - off < MV_STREAM_CHUNK_MAX ? len - off : MV_STREAM_CHUNK_MAX;
        struct mv_msg *m = stream_packet(st, MV_CONTINUE, p + off, n);

        if (!m) {
            while ((m = head)) {
                head = m->next;
                mv_msg_free(m);
            }
            return -ENOMEM;
        }
        *tail = m;
        tail = &m->next;
    }
    while (head) {
        struct mv_msg *m = head;

        head = m->next;
        mv_client_queue_tx(st->client, m);
    }
    return stream_backlog_check(st);
}

void mv_stream_set_sparse(struct mv_stream *st)
{
    st->sparse = true;
}

int mv_stream_send_hole(struct mv_stream *st, int64_t length)
{
    struct mv_message_header hdr = st->hdr;
    mv_stream_hole hole = { .length = length, .flags = 0 };
    struct mv_msg *m;

    if (!st->sparse || length <= 0)
        return -EINVAL;
    if (st->state == STREAM_PENDING)
        return -ENOTCONN;
    if (st->state != STREAM_LIVE || st->eof_sent)
        return -EPIPE;
    hdr.type = MV_STREAM_HOLE;
    hdr.status = MV_CONTINUE;
    m = mv_msg_new();
    if (!m || mv_msg_encode(m, &hdr, (xdrproc_t)xdr_mv_stream_hole, &hole) < 0) {
        mv_msg_free(m);
        return -ENOMEM;
    }
    mv_client_queue_tx(st->client, m);
    return stream_backlog_check(st);
}

int mv_stream_send_eof(struct mv_stream *st)
{
    int r;

    if (st->state == STREAM_PENDING)
        return -ENOTCONN;
    if (st->state != STREAM_LIVE || st->eof_sent)
        return -EPIPE;
    r = stream_queue(st, MV_CONTINUE, NULL, 0);
    if (r == 0)
        st->eof_sent = true;
    return r;
}

static void stream_vfail(struct mv_stream *st, int code, int domain, const char *fmt, va_list ap)
{
    struct mv_err err = { 0 };
    _cleanup_free_ char *text = NULL;
    mv_error wire;
    struct mv_msg *m;
    struct mv_message_header hdr = st->hdr;

    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    mv_err_set(&err, code, domain, "%s", text ? text : "stream failed");
    if (st->state == STREAM_PENDING) {
        /* still inside the opening handler: its call fails, no stream opens */
        if (!mv_err_is_set(&st->call->err))
            mv_err_move(&st->call->err, &err);
        mv_err_clear(&err);
        return;
    }
    if (st->state != STREAM_LIVE) {
        mv_err_clear(&err);
        return;
    }
    hdr.type = MV_STREAM;
    hdr.status = MV_ERROR;
    mv_err_to_wire(&err, &wire);
    m = mv_msg_new();
    if (m && mv_msg_encode(m, &hdr, (xdrproc_t)xdr_mv_error, &wire) == 0)
        mv_client_queue_tx(st->client, m);
    else
        mv_msg_free(m);     /* the client learns at its finish or when we hang up */
    mv_err_clear(&err);
    mv_debug("client %lu: stream %u failed", st->client->id, st->hdr.serial);
    stream_end(st);
}

void mv_stream_fail(struct mv_stream *st, int code, int domain, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    stream_vfail(st, code, domain, fmt, ap);
    va_end(ap);
}

struct mv_client *mv_stream_client(struct mv_stream *st)
{
    return st->client;
}

/* ---- packets from the client ---- */

static ssize_t stream_offer_hole(struct mv_stream *st)
{
    if (!st->ops->hole) {
        mv_stream_fail(st, MV_ERR_RPC, MV_FROM_STREAMS, "this stream cannot take holes");
        return -EINVAL;
    }
    return st->ops->hole(st, st->rx_hole, st->opaque);
}

/* Offers the rest of the held packet to the sink until it has taken all of
 * it, is full, or fails.  A resume from inside ops->recv retries at once. */
static void stream_deliver(struct mv_stream *st)
{
    stream_hold(st);
    while (st->state == STREAM_LIVE && st->rx_held && !st->rx_full) {
        size_t len;
        const char *data = mv_msg_payload(st->rx_held, &len);
        ssize_t r;

        st->rx_resumed = false;
        if (st->rx_held->hdr.type == MV_STREAM_HOLE) {
            /* a hole is taken whole or not at all */
            r = stream_offer_hole(st);
            if (r == 0)
                r = (ssize_t)(len - st->rx_off);
        } else {
            r = st->ops->recv(st, data + st->rx_off, len - st->rx_off, st->opaque);
        }
        if (r < 0 && r != -EAGAIN) {
            if (st->state == STREAM_LIVE)
                mv_stream_fail(st, MV_ERR_RPC, MV_FROM_STREAMS, "stream had I/O failure");
            break;
        }
        if (r > 0)
            st->rx_off += (size_t)r < len - st->rx_off ? (size_t)r : len - st->rx_off;
        if (st->rx_off == len)
            stream_drop_held(st);
        else if (!st->rx_resumed)
            st->rx_full = true;
    }
    stream_unhold(st);
}

static int on_rx_resume(sd_event_source *s, void *opaque)
{
    stream_deliver(opaque);
    return 0;
}

void mv_stream_resume(struct mv_stream *st)
{
    st->rx_resumed = true;
    if (st->state != STREAM_LIVE || !st->rx_full)
        return;
    st->rx_full = false;
    /* from the loop, not from here: the caller may be inside a callback of
     * ST or hold state that ops->recv failing the stream would free */
    sd_event_source_set_enabled(st->rx_defer, SD_EVENT_ONESHOT);
}

/* A CONTINUE or HOLE packet M (taken) from the client. */
static void stream_recv(struct mv_stream *st, struct mv_msg *m, int64_t hole)
{
    size_t len;

    /* no meaning in the protocol for an empty CONTINUE from the client:
     * the end of its data is said with a finish */
    mv_msg_payload(m, &len);
    if (len == 0 || st->rx_held) {
        /* a second packet cannot come: the socket is not read meanwhile */
        mv_msg_free(m);
        return;
    }
    st->rx_held = m;
    st->rx_hole = hole;
    st->rx_off = 0;
    st->rx_full = false;
    st->client->stream_held = true;
    stream_deliver(st);
}

void mv_stream_defer_finish(struct mv_stream *st)
{
    st->finish_deferred = true;
}

void mv_stream_finish_done(struct mv_stream *st)
{
    if (st->state != STREAM_LIVE || !st->finish_deferred)
        return;
    if (stream_queue(st, MV_OK, NULL, 0) < 0)
        mv_debug("client %lu: no memory to confirm stream %u", st->client->id, st->hdr.serial);
    stream_end(st);
}

/* Finish (ABORT false) or abort: the driver closes, we confirm and release. */
static void stream_close(struct mv_stream *st, bool abort)
{
    stream_hold(st);
    st->ops->finish(st, abort, st->opaque);
    if (st->state == STREAM_LIVE && !st->finish_deferred) {
        if (stream_queue(st, MV_OK, NULL, 0) < 0)
            mv_debug("client %lu: no memory to confirm stream %u", st->client->id, st->hdr.serial);
        stream_end(st);
    }
    stream_unhold(st);
}

/* A STREAM_HOLE packet M (taken) for ST.  A hole the opening call did not
 * allow breaks the protocol: like libvirt we hang up, since the client's
 * idea of the stream's bytes no longer matches ours. */
static void stream_hole_packet(struct mv_client *c, struct mv_stream *st, struct mv_msg *msg)
{
    _cleanup_msg_ struct mv_msg *m = msg;
    mv_stream_hole hole = { 0 };

    if (!st->sparse) {
        mv_warn("client %lu (pid %d uid %u): protocol error: unexpected stream hole on "
                "non-sparse stream %u (procedure %d); closing the connection",
                c->id, (int)c->ident.pid, (unsigned)c->ident.uid, st->hdr.serial, st->hdr.proc);
        mv_client_close(c, "unexpected stream hole");
        return;
    }
    if (m->hdr.status != MV_CONTINUE ||
        mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_stream_hole, &hole) < 0 ||
        hole.length < 0 || hole.flags != 0) {
        mv_stream_fail(st, MV_ERR_RPC, MV_FROM_STREAMS, "malformed stream hole packet");
        return;
    }
    /* a zero-length hole says nothing; held, it would look like an empty packet */
    if (hole.length == 0)
        return;
    stream_recv(st, TAKE_PTR(m), hole.length);
}

void mv_stream_dispatch(struct mv_client *c, struct mv_msg *msg)
{
    _cleanup_msg_ struct mv_msg *m = msg;
    struct mv_stream *st = stream_find(c, &m->hdr);

    if (!st && c->srv->driver->forwarder) {
        c->srv->driver->forwarder->stream_packet(c, TAKE_PTR(m));
        return;
    }
    if (!st) {
        /* late packets of a stream that ended meanwhile are normal */
        mv_debug("client %lu: ignoring a stream packet for serial %u (procedure %d): no such stream",
                 c->id, m->hdr.serial, m->hdr.proc);
        return;
    }
    if (st->finish_deferred) {
        mv_debug("client %lu: ignoring a packet for stream %u: it is finishing", c->id, st->hdr.serial);
        return;
    }
    if (m->hdr.type == MV_STREAM_HOLE) {
        stream_hole_packet(c, st, TAKE_PTR(m));
        return;
    }
    switch (m->hdr.status) {
    case MV_CONTINUE:
        stream_recv(st, TAKE_PTR(m), 0);
        break;
    case MV_OK:
        stream_close(st, false);
        break;
    case MV_ERROR:
        stream_close(st, true);
        break;
    default:
        mv_stream_fail(st, MV_ERR_RPC, MV_FROM_STREAMS, "unexpected stream packet status %d",
                       (int)m->hdr.status);
        break;
    }
}

/* ---- client-wide events ---- */

void mv_stream_client_drained(struct mv_client *c)
{
    /* one callback at a time, rescanning after each: a callback may end
     * streams or fill the backlog again */
    while (!atomic_load(&c->closed) && c->tx_bytes < MV_CLIENT_TX_BACKLOG_MAX) {
        struct mv_stream *st = c->streams;

        while (st && !st->want_writable)
            st = st->next;
        if (!st)
            return;
        st->want_writable = false;
        if (!st->ops->writable)
            continue;
        stream_hold(st);
        st->ops->writable(st, st->opaque);
        stream_unhold(st);
    }
}

void mv_stream_client_gone(struct mv_client *c)
{
    while (c->streams)
        stream_end(c->streams);
}
