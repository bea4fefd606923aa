#define MV_LOG_MODULE "rpc.client"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "keepalive_protocol.h"
#include "log.h"
#include "monotime.h"
#include "proc_table.h"
#include "remote_protocol.h"

/* libvirt numbers every program it speaks version 1 (remote, qemu, lxc). */
#define RPC_PROGRAM_VERSION 1

/* Stream data read but not yet handed to callbacks, over all open streams.
 * At this much the reader leaves the socket alone until the application
 * takes the data; the server's own backlog limit then stops its sending. */
#define STREAM_BACKLOG_MAX (4u * 1024 * 1024)

/* One call in flight.  Heap-allocated so that a call whose caller gave up
 * (timeout) can stay listed until its late reply arrives and is dropped. */
struct rpc_call {
    unsigned int prog;
    unsigned int serial;
    int proc;
    bool done;
    bool abandoned;             /* caller timed out: the reader frees it */
    bool stream_close;          /* waits for a stream's STREAM confirmation, not a REPLY */
    int result;                 /* when done: 0 = reply holds the answer, else -errno */
    struct mv_msg *reply;
    pthread_cond_t cond;
    struct rpc_call *next;
};

/* One stream, registered under its opening call's (prog, serial). */
struct mv_rpc_stream {
    struct mv_rpc_client *c;
    unsigned int prog;
    int proc;
    unsigned int serial;
    mv_rpc_stream_fn fn;
    mv_rpc_stream_hole_fn hole_fn;  /* set: the call carried the sparse flag */
    void *opaque;
    bool open;                  /* the opening call succeeded: deliver */
    bool failed;                /* ERR ended it: the server sends nothing more */
    bool err_pending;           /* ERR still to be delivered (after RX) */
    bool closing;               /* finish or abort under way: deliver nothing more */
    bool in_callback;           /* FN runs on CB_THREAD */
    bool free_after_callback;   /* finished from inside its own callback */
    pthread_t cb_thread;
    struct rpc_call *close_call;    /* waits for the finish/abort confirmation */
    struct mv_msg *rx_head, *rx_tail;   /* data, hole and EOF packets to deliver */
    size_t rx_bytes;
    struct mv_err err;
    struct mv_rpc_stream *next;
};

struct mv_rpc_client {
    pthread_mutex_t lock;
    pthread_cond_t io_cond;     /* I/O role released or an event queued */
    int fd;
    int wake_fd;                /* eventfd: new output queued for the I/O holder */
    char *name;                 /* peer in messages: the socket path */
    unsigned int next_serial;
    int timeout_ms;
    bool io_busy;               /* some thread reads and writes for everybody */
    bool delivering;            /* some thread runs event callbacks */
    pthread_t deliver_thread;   /* that thread, while DELIVERING */
    int dead;                   /* 0 while alive, else -errno of the death */
    int dead_code;              /* mv_error_code for the death */
    char *dead_msg;
    struct rpc_call *calls;
    struct mv_msg *tx_head, *tx_tail;
    uint64_t tx_queued, tx_done;    /* bytes ever queued / written (or taken back) */
    struct mv_msg *ev_head, *ev_tail;
    size_t nevents;
    struct mv_frame_reader reader;
    mv_rpc_event_fn event_fn;
    void *event_opaque;
    struct mv_rpc_stream *streams;
    size_t stream_backlog;      /* undelivered data bytes of open streams */
};

/* ---- small helpers ---- */

static void msg_queue_push(struct mv_msg **head, struct mv_msg **tail, struct mv_msg *m)
{
    m->next = NULL;
    if (*tail)
        (*tail)->next = m;
    else
        *head = m;
    *tail = m;
}

static struct mv_msg *msg_queue_pop(struct mv_msg **head, struct mv_msg **tail)
{
    struct mv_msg *m = *head;

    if (m) {
        *head = m->next;
        if (!*head)
            *tail = NULL;
        m->next = NULL;
    }
    return m;
}

static void msg_queue_free(struct mv_msg **head, struct mv_msg **tail)
{
    struct mv_msg *m;

    while ((m = msg_queue_pop(head, tail)))
        mv_msg_free(m);
}

/* Queues M for sending; TX_QUEUED lets a sender wait for its own bytes. */
static void tx_push(struct mv_rpc_client *c, struct mv_msg *m)
{
    c->tx_queued += m->len;
    msg_queue_push(&c->tx_head, &c->tx_tail, m);
}

static const char *proc_label(unsigned int prog, int proc, char *buf, size_t len)
{
    const struct mv_proc_info *info = mv_program_proc_lookup(prog, proc);

    if (info)
        snprintf(buf, len, "%s (%d)", info->name, proc);
    else
        snprintf(buf, len, "%d of program 0x%x", proc, prog);
    return buf;
}

/* Milliseconds left until DEADLINE (NULL: -1, forever), rounded up. */
static int ms_until(const struct timespec *deadline)
{
    struct timespec now;
    int64_t ms;

    if (!deadline)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
         (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
    if (ms < 0)
        return 0;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void wake_io(struct mv_rpc_client *c)
{
    uint64_t one = 1;

    /* EAGAIN means the counter is already non-zero: the holder will wake */
    if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        mv_debug("cannot wake the reader of '%s': %s", c->name, strerror(errno));
}

static void drain_wake(struct mv_rpc_client *c)
{
    uint64_t n;

    while (read(c->wake_fd, &n, sizeof(n)) > 0)
        ;
}

/* ---- calls ---- */

static struct rpc_call *call_new(unsigned int prog, int proc)
{
    struct rpc_call *call = calloc(1, sizeof(*call));

    if (!call)
        return NULL;
    mv_cond_init_monotonic(&call->cond);
    call->prog = prog;
    call->proc = proc;
    return call;
}

static void call_free(struct rpc_call *call)
{
    if (!call)
        return;
    mv_msg_free(call->reply);
    pthread_cond_destroy(&call->cond);
    free(call);
}

static void call_unlink(struct mv_rpc_client *c, struct rpc_call *call)
{
    for (struct rpc_call **p = &c->calls; *p; p = &(*p)->next) {
        if (*p == call) {
            *p = call->next;
            call->next = NULL;
            return;
        }
    }
}

static void call_finish(struct rpc_call *call, int result, struct mv_msg *reply)
{
    call->done = true;
    call->result = result;
    call->reply = reply;
    pthread_cond_signal(&call->cond);
}

/* ---- streams (lock held) ---- */

static struct mv_rpc_stream *find_stream(struct mv_rpc_client *c, const struct mv_message_header *h)
{
    for (struct mv_rpc_stream *st = c->streams; st; st = st->next)
        if (st->serial == h->serial && st->prog == h->prog)
            return st;
    return NULL;
}

static void stream_unlink(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    for (struct mv_rpc_stream **p = &c->streams; *p; p = &(*p)->next) {
        if (*p == st) {
            *p = st->next;
            st->next = NULL;
            return;
        }
    }
}

/* Forgets what was read for ST and not delivered. */
static void stream_drop_rx(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    if (st->open)
        c->stream_backlog -= st->rx_bytes;
    st->rx_bytes = 0;
    msg_queue_free(&st->rx_head, &st->rx_tail);
    st->err_pending = false;
}

/* Frees an unlinked ST. */
static void stream_free(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    stream_drop_rx(c, st);
    mv_err_clear(&st->err);
    free(st);
}

/* ST's error (in ST->err) ended it: the callback gets it after the data. */
static void stream_mark_failed(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    st->failed = true;
    st->err_pending = true;
    pthread_cond_broadcast(&c->io_cond);
}

/* A STREAM packet with STATUS and raw DATA for ST; NULL on OOM. */
static struct mv_msg *stream_packet(const struct mv_rpc_stream *st, int status,
                                    const void *data, size_t len)
{
    const struct mv_message_header hdr = {
        .prog = st->prog, .vers = RPC_PROGRAM_VERSION, .proc = st->proc,
        .type = MV_STREAM, .serial = st->serial, .status = status,
    };
    struct mv_msg *m = mv_msg_new();

    if (m && mv_msg_encode_raw(m, &hdr, data, len) < 0) {
        mv_msg_free(m);
        m = NULL;
    }
    return m;
}

/* True if a callback is due for ST. */
static bool stream_has_work(const struct mv_rpc_stream *st)
{
    return st->open && !st->closing && (st->rx_head || st->err_pending);
}

static struct mv_rpc_stream *next_stream_work(struct mv_rpc_client *c)
{
    for (struct mv_rpc_stream *st = c->streams; st; st = st->next)
        if (stream_has_work(st))
            return st;
    return NULL;
}

/* True while the reader must leave the socket alone because callbacks have
 * not taken the stream data read so far.  The delivering thread is exempt:
 * a call made from a callback could never finish otherwise. */
static bool backlog_blocked(struct mv_rpc_client *c)
{
    return c->stream_backlog >= STREAM_BACKLOG_MAX &&
           !(c->delivering && pthread_equal(c->deliver_thread, pthread_self()));
}

/* ---- connection death ---- */

/* Marks C dead for good and fails every waiter; the first cause wins.
 * The socket stays open (its number reserved) until mv_rpc_client_free(). */
static void client_kill(struct mv_rpc_client *c, int neg_errno, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void client_kill(struct mv_rpc_client *c, int neg_errno, int code, const char *fmt, ...)
{
    struct rpc_call *call, *next;
    va_list ap;

    if (c->dead)
        return;
    va_start(ap, fmt);
    if (vasprintf(&c->dead_msg, fmt, ap) < 0)
        c->dead_msg = NULL;
    va_end(ap);
    c->dead = neg_errno;
    c->dead_code = code;
    mv_debug("connection to '%s' is dead: %s", c->name, c->dead_msg ? c->dead_msg : "?");
    shutdown(c->fd, SHUT_RDWR);     /* the peer learns at once, not at free() */
    msg_queue_free(&c->tx_head, &c->tx_tail);
    mv_frame_reader_reset(&c->reader);
    for (call = c->calls; call; call = next) {
        next = call->next;
        if (call->abandoned) {
            call_unlink(c, call);
            call_free(call);
        } else if (!call->done) {
            call_finish(call, neg_errno, NULL);
        }
    }
    for (struct mv_rpc_stream *st = c->streams; st; st = st->next) {
        if (st->failed || st->closing)
            continue;
        mv_err_set(&st->err, code, MV_FROM_RPC, "%s", c->dead_msg ? c->dead_msg : "connection is dead");
        stream_mark_failed(c, st);
    }
    pthread_cond_broadcast(&c->io_cond);
}

static int dead_error(struct mv_rpc_client *c, struct mv_err *err)
{
    if (err)
        mv_err_set(err, c->dead_code, MV_FROM_RPC, "%s",
                   c->dead_msg ? c->dead_msg : "connection is dead");
    return c->dead;
}

/* ---- incoming packets (lock held) ---- */

static void queue_pong(struct mv_rpc_client *c)
{
    _cleanup_msg_ struct mv_msg *m = mv_keepalive_packet(MV_KEEPALIVE_PROC_PONG);

    if (!m) {
        client_kill(c, -ENOMEM, MV_ERR_NO_MEMORY, "out of memory answering a keepalive");
        return;
    }
    tx_push(c, TAKE_PTR(m));
}

static void dispatch_keepalive(struct mv_rpc_client *c, struct mv_msg *m)
{
    /* any packet proves the peer alive; only a PING needs an answer */
    if (m->hdr.type == MV_MESSAGE && m->hdr.proc == MV_KEEPALIVE_PROC_PING)
        queue_pong(c);
    mv_msg_free(m);
}

static void dispatch_event(struct mv_rpc_client *c, struct mv_msg *m)
{
    if (m->hdr.prog != MV_REMOTE_PROGRAM || m->hdr.status != MV_OK || !c->event_fn ||
        c->nevents >= MV_RPC_CLIENT_EVENTS_MAX) {
        mv_debug("dropping event %d from '%s'", m->hdr.proc, c->name);
        mv_msg_free(m);
        return;
    }
    msg_queue_push(&c->ev_head, &c->ev_tail, m);
    c->nevents++;
    pthread_cond_broadcast(&c->io_cond);
}

/* The end of ST's data seen by the client: drop data, tell the server. */
static void stream_fail_here(struct mv_rpc_client *c, struct mv_rpc_stream *st, const char *what)
{
    struct mv_msg *abort_pkt = stream_packet(st, MV_ERROR, NULL, 0);

    mv_err_set(&st->err, MV_ERR_RPC, MV_FROM_STREAMS, "%s from '%s'", what, c->name);
    stream_mark_failed(c, st);
    /* the server releases its end; its confirmation meets a failed stream and is dropped */
    if (abort_pkt)
        tx_push(c, abort_pkt);
}

static void stream_error(struct mv_rpc_client *c, struct mv_rpc_stream *st, const struct mv_msg *m)
{
    mv_error wire;

    memset(&wire, 0, sizeof(wire));
    if (mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &wire) < 0) {
        mv_err_set(&st->err, MV_ERR_RPC, MV_FROM_RPC, "cannot decode the stream error from '%s'",
                   c->name);
    } else {
        if (mv_err_from_wire(&st->err, &wire) < 0)
            mv_err_set(&st->err, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        xdr_free((xdrproc_t)xdr_mv_error, (char *)&wire);
    }
    stream_mark_failed(c, st);
}

static void stream_data(struct mv_rpc_client *c, struct mv_rpc_stream *st, struct mv_msg *m)
{
    size_t len = m->len - m->payload_off;

    msg_queue_push(&st->rx_head, &st->rx_tail, m);
    st->rx_bytes += len;
    if (st->open)
        c->stream_backlog += len;
    pthread_cond_broadcast(&c->io_cond);
}

/* A STREAM_HOLE packet M (taken) for the open stream ST.  A hole the call
 * did not allow means we and the server disagree on the stream's bytes:
 * like libvirt, give up the connection. */
static void stream_hole(struct mv_rpc_client *c, struct mv_rpc_stream *st, struct mv_msg *msg)
{
    _cleanup_msg_ struct mv_msg *m = msg;
    mv_stream_hole hole = { 0 };

    if (!st->hole_fn) {
        client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': unexpected stream hole "
                    "on a non-sparse stream", c->name);
        return;
    }
    if (m->hdr.status != MV_CONTINUE ||
        mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_stream_hole, &hole) < 0 ||
        hole.length < 0 || hole.flags != 0) {
        stream_fail_here(c, st, "malformed stream hole");
        return;
    }
    /* nothing to skip; queued it would read as end of file */
    if (hole.length > 0)
        stream_data(c, st, TAKE_PTR(m));
}

/* STREAM and STREAM_HOLE packets; M is taken. */
static void dispatch_stream(struct mv_rpc_client *c, struct mv_msg *m)
{
    _cleanup_msg_ struct mv_msg *pkt = m;
    struct mv_rpc_stream *st = find_stream(c, &m->hdr);
    const struct mv_message_header *h = &m->hdr;

    /* late packets of a stream that ended meanwhile are normal */
    if (!st || st->failed) {
        mv_debug("dropping stream packet %u from '%s'", h->serial, c->name);
        return;
    }
    if (st->close_call) {
        /* finish or abort sent: only the confirmation (or an error) matters */
        if (h->type == MV_STREAM && (h->status == MV_OK || h->status == MV_ERROR) &&
            !st->close_call->done)
            call_finish(st->close_call, 0, TAKE_PTR(pkt));
        return;
    }
    if (h->type == MV_STREAM_HOLE)
        stream_hole(c, st, TAKE_PTR(pkt));
    else if (h->status == MV_CONTINUE)
        stream_data(c, st, TAKE_PTR(pkt));
    else if (h->status == MV_ERROR)
        stream_error(c, st, pkt);
    else
        mv_debug("dropping stream packet %u with status %d from '%s'", h->serial,
                 (int)h->status, c->name);
}

static struct rpc_call *find_call(struct mv_rpc_client *c, const struct mv_message_header *h)
{
    for (struct rpc_call *call = c->calls; call; call = call->next)
        if (call->serial == h->serial && call->prog == h->prog && !call->done &&
            !call->stream_close)
            return call;
    return NULL;
}

static void dispatch_reply(struct mv_rpc_client *c, struct mv_msg *m)
{
    const struct mv_message_header *h = &m->hdr;
    struct rpc_call *call = find_call(c, h);
    char want[96], got[96];

    if (!call || h->vers != RPC_PROGRAM_VERSION) {
        client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': reply with serial %u "
                    "matches no call in flight", c->name, h->serial);
    } else if (h->proc != call->proc) {
        client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': reply with serial %u is "
                    "for procedure %s, the call was %s", c->name, h->serial,
                    proc_label(h->prog, h->proc, got, sizeof(got)),
                    proc_label(call->prog, call->proc, want, sizeof(want)));
    } else if (h->status != MV_OK && h->status != MV_ERROR) {
        client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': reply with serial %u "
                    "has status %d", c->name, h->serial, (int)h->status);
    } else if (call->abandoned) {
        call_unlink(c, call);
        call_free(call);
    } else {
        call_finish(call, 0, m);
        return;
    }
    mv_msg_free(m);
}

static void dispatch(struct mv_rpc_client *c, struct mv_msg *m)
{
    if (m->hdr.prog == MV_KEEPALIVE_PROGRAM) {
        dispatch_keepalive(c, m);
        return;
    }
    switch (m->hdr.type) {
    case MV_REPLY:
        dispatch_reply(c, m);
        return;
    case MV_MESSAGE:
        dispatch_event(c, m);
        return;
    case MV_STREAM:
    case MV_STREAM_HOLE:
        dispatch_stream(c, m);
        return;
    default:
        client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': unexpected packet "
                    "type %d", c->name, (int)m->hdr.type);
        mv_msg_free(m);
        return;
    }
}

/* ---- socket I/O (lock held, non-blocking) ---- */

static void flush_tx(struct mv_rpc_client *c)
{
    uint64_t before = c->tx_done;

    while (c->tx_head) {
        int r = mv_msg_write(c->fd, c->tx_head);

        if (r == 0)
            break;
        if (r < 0) {
            client_kill(c, -ECONNRESET, MV_ERR_SYSTEM_ERROR, "cannot send to '%s': %s",
                        c->name, strerror(-r));
            return;
        }
        c->tx_done += c->tx_head->len;
        mv_msg_free(msg_queue_pop(&c->tx_head, &c->tx_tail));
    }
    /* stream senders wait for their bytes to leave */
    if (c->tx_done != before)
        pthread_cond_broadcast(&c->io_cond);
}

static void read_packets(struct mv_rpc_client *c)
{
    while (!c->dead && !backlog_blocked(c)) {
        _cleanup_msg_ struct mv_msg *m = NULL;
        const char *why = NULL;
        int r = mv_frame_read(c->fd, &c->reader, &m, &why);
        /* the reader keeps the bytes of an unfinished packet */
        bool partial = c->reader.msg && c->reader.msg->len > 0;

        if (r == 0)
            return;
        if (r == -EBADMSG)
            client_kill(c, -EPROTO, MV_ERR_RPC, "protocol error from '%s': %s", c->name, why);
        else if (r == -ECONNRESET)
            client_kill(c, -ECONNRESET, MV_ERR_RPC, "connection to '%s' was closed by the "
                        "peer%s", c->name, partial ? " in the middle of a packet" : "");
        else if (r < 0)
            client_kill(c, -ECONNRESET, MV_ERR_SYSTEM_ERROR, "cannot read from '%s': %s",
                        c->name, strerror(-r));
        else
            dispatch(c, TAKE_PTR(m));
    }
}

/* The I/O role is free: wake one caller still waiting so that it takes it
 * over, and any process() waiter. */
static void hand_over_io(struct mv_rpc_client *c)
{
    for (struct rpc_call *w = c->calls; w; w = w->next) {
        if (!w->done && !w->abandoned) {
            pthread_cond_signal(&w->cond);
            break;
        }
    }
    pthread_cond_broadcast(&c->io_cond);
}

static bool io_goal_reached(const struct mv_rpc_client *c, const struct rpc_call *call,
                            uint64_t tx_target, bool got_packets)
{
    if (call)
        return call->done;
    if (tx_target)
        return c->tx_done >= tx_target;
    return got_packets;
}

/* Becomes the I/O holder and serves every call until CALL is done (or, with
 * TX_TARGET, until that many bytes were ever written; else until a batch of
 * packets was read), DEADLINE passes, or undelivered stream data blocks
 * reading (the caller delivers it, see backlog_drain). */
static void io_run(struct mv_rpc_client *c, struct rpc_call *call, uint64_t tx_target,
                   const struct timespec *deadline)
{
    bool got_packets = false, polled = false;

    c->io_busy = true;
    while (!c->dead && !io_goal_reached(c, call, tx_target, got_packets) && !backlog_blocked(c)) {
        struct pollfd pfd[2] = {
            { .fd = c->fd, .events = POLLIN },
            { .fd = c->wake_fd, .events = POLLIN },
        };
        int timeout, r;

        flush_tx(c);
        if (c->dead || io_goal_reached(c, call, tx_target, got_packets))
            break;
        if (c->tx_head)
            pfd[0].events |= POLLOUT;
        timeout = ms_until(deadline);
        /* a zero timeout still looks once at what is there */
        if (timeout == 0 && deadline && polled)
            break;
        polled = true;
        pthread_mutex_unlock(&c->lock);
        r = poll(pfd, 2, timeout);
        pthread_mutex_lock(&c->lock);
        if (r < 0 && errno != EINTR) {
            client_kill(c, -errno, MV_ERR_SYSTEM_ERROR, "cannot poll '%s': %s",
                        c->name, strerror(errno));
            break;
        }
        if (r > 0 && pfd[1].revents)
            drain_wake(c);
        if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            read_packets(c);
            got_packets = true;
        }
    }
    /* a PONG queued by the last batch goes out now if the socket takes it */
    if (!c->dead)
        flush_tx(c);
    c->io_busy = false;
    hand_over_io(c);
}

/* CALL's time is up.  If its packet has not started to go out it is taken
 * back; otherwise the call stays listed so that its late reply is dropped. */
static int call_timeout(struct mv_rpc_client *c, struct rpc_call *call)
{
    struct mv_msg *prev = NULL;

    for (struct mv_msg *m = c->tx_head; m; prev = m, m = m->next) {
        if (m->hdr.type != MV_CALL || m->hdr.serial != call->serial || m->off != 0)
            continue;
        if (prev)
            prev->next = m->next;
        else
            c->tx_head = m->next;
        if (c->tx_tail == m)
            c->tx_tail = prev;
        c->tx_done += m->len;
        mv_msg_free(m);
        return -ETIMEDOUT;
    }
    call->abandoned = true;
    return -ETIMEDOUT;
}

static int deliver_events(struct mv_rpc_client *c);

/* Reading stopped for undelivered stream data and this thread gave up the
 * I/O role (lock held): deliver the data here, or wait for the thread that
 * is delivering already. */
static void backlog_drain(struct mv_rpc_client *c, const struct timespec *deadline)
{
    if (!c->delivering) {
        pthread_mutex_unlock(&c->lock);
        deliver_events(c);
        pthread_mutex_lock(&c->lock);
    } else if (deadline) {
        pthread_cond_timedwait(&c->io_cond, &c->lock, deadline);
    } else {
        pthread_cond_wait(&c->io_cond, &c->lock);
    }
}

/* Waits (lock held) until CALL is done, doing the I/O whenever nobody else is. */
static int call_wait(struct mv_rpc_client *c, struct rpc_call *call, const struct timespec *deadline)
{
    while (!call->done) {
        if (!c->io_busy) {
            io_run(c, call, 0, deadline);
            if (!call->done && !c->dead && backlog_blocked(c))
                backlog_drain(c, deadline);
            if (!call->done && ms_until(deadline) == 0)
                return call_timeout(c, call);
            continue;
        }
        if (deadline) {
            if (pthread_cond_timedwait(&call->cond, &c->lock, deadline) == ETIMEDOUT &&
                !call->done)
                return call_timeout(c, call);
        } else {
            pthread_cond_wait(&call->cond, &c->lock);
        }
    }
    return call->result;
}

/* ---- events ---- */

/* Runs ST's callback for its next packet or its error (lock held, dropped
 * during the callback).  ST stays allocated until the callback returned. */
static void deliver_stream(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    _cleanup_msg_ struct mv_msg *m = msg_queue_pop(&st->rx_head, &st->rx_tail);
    const struct mv_err *err = NULL;
    const char *data = NULL;
    size_t len = 0;
    mv_stream_hole hole = { 0 };

    if (m) {
        data = mv_msg_payload(m, &len);
        st->rx_bytes -= len;
        c->stream_backlog -= len;
    } else {
        /* ERR no longer changes: the stream has failed */
        err = &st->err;
        st->err_pending = false;
    }
    st->in_callback = true;
    st->cb_thread = pthread_self();
    pthread_mutex_unlock(&c->lock);
    /* checked when it arrived (stream_hole) */
    if (m && m->hdr.type == MV_STREAM_HOLE &&
        mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_stream_hole, &hole) == 0)
        st->hole_fn(st, hole.length, st->opaque);
    else if (!m || m->hdr.type != MV_STREAM_HOLE)
        st->fn(st, len ? data : NULL, len, err, st->opaque);
    pthread_mutex_lock(&c->lock);
    st->in_callback = false;
    if (st->free_after_callback)
        stream_free(c, st);
    /* a finish on another thread may wait for this callback to end */
    pthread_cond_broadcast(&c->io_cond);
}

/* Runs the callback for each queued event and stream packet, with no lock
 * held and no I/O role, one thread at a time so that they keep their order. */
static int deliver_events(struct mv_rpc_client *c)
{
    int n = 0;

    pthread_mutex_lock(&c->lock);
    if (c->delivering) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    c->delivering = true;
    c->deliver_thread = pthread_self();
    for (;;) {
        _cleanup_msg_ struct mv_msg *m = msg_queue_pop(&c->ev_head, &c->ev_tail);
        mv_rpc_event_fn fn = c->event_fn;
        void *opaque = c->event_opaque;
        struct mv_rpc_stream *st;

        if (!m) {
            st = next_stream_work(c);
            if (!st)
                break;
            deliver_stream(c, st);
            n++;
            continue;
        }
        c->nevents--;
        if (!fn)
            continue;
        pthread_mutex_unlock(&c->lock);
        fn(c, m->hdr.proc, m, opaque);
        n++;
        pthread_mutex_lock(&c->lock);
    }
    c->delivering = false;
    /* the reader may wait for the backlog to shrink */
    pthread_cond_broadcast(&c->io_cond);
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* ---- public API ---- */

int mv_rpc_client_new_fd(int fd, const char *name, struct mv_rpc_client **ret)
{
    _cleanup_close_ int sock = fd;
    _cleanup_close_ int wake = -1;
    _cleanup_free_ char *label = NULL;
    struct mv_rpc_client *c;
    int flags = fcntl(sock, F_GETFL);

    /* non-blocking: whoever holds the I/O role must never sleep in a send
     * while the peer waits for us to read */
    if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0)
        return -errno;
    if (name)
        label = strdup(name);
    else if (asprintf(&label, "fd %d", sock) < 0)
        label = NULL;
    c = label ? calloc(1, sizeof(*c)) : NULL;
    if (!c)
        return -ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    mv_cond_init_monotonic(&c->io_cond);
    c->timeout_ms = -1;
    c->name = TAKE_PTR(label);
    c->fd = TAKE_FD(sock);
    c->wake_fd = TAKE_FD(wake);
    *ret = c;
    return 0;
}

/* " — is modvirt-qemud running?" for ".../qemud-sock[-ro]", else "". */
static void daemon_hint(const char *path, char *buf, size_t len)
{
    const char *base = strrchr(path, '/');
    size_t n;

    base = base ? base + 1 : path;
    n = strlen(base);
    buf[0] = '\0';
    if (n > 3 && strcmp(base + n - 3, "-ro") == 0)
        n -= 3;
    if (n <= 5 || strncmp(base + n - 5, "-sock", 5) != 0)
        return;
    n -= 5;
    /* the libvirt-compatible sockets belong to the proxy */
    if (n == 7 && strncmp(base, "libvirt", 7) == 0)
        snprintf(buf, len, " \xe2\x80\x94 is modvirt-proxyd running?");
    else
        snprintf(buf, len, " \xe2\x80\x94 is modvirt-%.*s running?", (int)n, base);
}

int mv_rpc_client_connect_unix(const char *path, struct mv_rpc_client **ret, struct mv_err *err)
{
    _cleanup_close_ int fd = -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char hint[96];
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return mv_err_set_errno(err, -ENAMETOOLONG, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                                "cannot connect to '%s'", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                                "cannot create a socket for '%s'", path);
    while ((r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        r = -errno;
        daemon_hint(path, hint, sizeof(hint));
        if (r != -ENOENT && r != -ECONNREFUSED)
            hint[0] = '\0';
        mv_err_set(err, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC, "cannot connect to '%s': %s%s",
                   path, strerror(-r), hint);
        return r;
    }
    r = mv_rpc_client_new_fd(TAKE_FD(fd), path, ret);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                                "cannot set up the connection to '%s'", path);
    return 0;
}

void mv_rpc_client_free(struct mv_rpc_client *c)
{
    struct rpc_call *call;

    if (!c)
        return;
    while ((call = c->calls)) {
        c->calls = call->next;
        call_free(call);
    }
    /* streams the caller did not finish: nobody can use them any more */
    while (c->streams) {
        struct mv_rpc_stream *st = c->streams;

        c->streams = st->next;
        stream_free(c, st);
    }
    msg_queue_free(&c->tx_head, &c->tx_tail);
    msg_queue_free(&c->ev_head, &c->ev_tail);
    mv_frame_reader_reset(&c->reader);
    close(c->fd);
    close(c->wake_fd);
    pthread_cond_destroy(&c->io_cond);
    pthread_mutex_destroy(&c->lock);
    free(c->dead_msg);
    free(c->name);
    free(c);
}

void mv_rpc_client_set_timeout(struct mv_rpc_client *c, int timeout_ms)
{
    pthread_mutex_lock(&c->lock);
    c->timeout_ms = timeout_ms;
    pthread_mutex_unlock(&c->lock);
}

void mv_rpc_client_set_event_handler(struct mv_rpc_client *c, mv_rpc_event_fn fn, void *opaque)
{
    pthread_mutex_lock(&c->lock);
    c->event_fn = fn;
    c->event_opaque = opaque;
    pthread_mutex_unlock(&c->lock);
}

int mv_rpc_client_fd(const struct mv_rpc_client *c)
{
    return c->fd;
}

bool mv_rpc_client_is_alive(struct mv_rpc_client *c)
{
    bool alive;

    pthread_mutex_lock(&c->lock);
    alive = c->dead == 0;
    pthread_mutex_unlock(&c->lock);
    return alive;
}

/* Turns the reply of a finished call into RET or ERR. */
static int decode_reply(const struct mv_msg *reply, unsigned int prog, int proc,
                        xdrproc_t ret_filter, void *ret, struct mv_err *err)
{
    char label[96];

    if (reply->hdr.status == MV_ERROR) {
        mv_error wire;

        memset(&wire, 0, sizeof(wire));
        if (mv_msg_decode_payload(reply, (xdrproc_t)xdr_mv_error, &wire) < 0)
            return mv_err_set(err, MV_ERR_RPC, MV_FROM_RPC, "cannot decode the error reply "
                              "to procedure %s", proc_label(prog, proc, label, sizeof(label)));
        if (mv_err_from_wire(err, &wire) < 0)
            mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        xdr_free((xdrproc_t)xdr_mv_error, (char *)&wire);
        return -EIO;
    }
    if (ret_filter ? mv_msg_decode_payload(reply, ret_filter, ret) < 0
                   : reply->len != reply->payload_off) {
        mv_err_set(err, MV_ERR_RPC, MV_FROM_RPC, "cannot decode the reply to procedure %s",
                   proc_label(prog, proc, label, sizeof(label)));
        return -EBADMSG;
    }
    return 0;
}

static int encode_call(struct mv_msg *m, unsigned int prog, int proc, unsigned int serial,
                       xdrproc_t args_filter, const void *args, struct mv_err *err)
{
    const struct mv_message_header hdr = {
        .prog = prog, .vers = RPC_PROGRAM_VERSION, .proc = proc,
        .type = MV_CALL, .serial = serial, .status = MV_OK,
    };
    char label[96];
    int r = mv_msg_encode(m, &hdr, args_filter, args);

    if (r < 0)
        mv_err_set_errno(err, r, MV_ERR_RPC, MV_FROM_RPC, "cannot encode the arguments of "
                         "procedure %s", proc_label(prog, proc, label, sizeof(label)));
    return r;
}

/* Queues M (taken) for *CALLP and waits.  A call that timed out after its
 * packet started to go out stays with the connection: *CALLP becomes NULL. */
static int call_run(struct mv_rpc_client *c, struct rpc_call **callp, struct mv_msg *m,
                    int timeout_ms, struct mv_err *err)
{
    struct rpc_call *call = *callp;
    struct timespec deadline;
    char label[96];
    int r;

    if (timeout_ms >= 0)
        mv_deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&c->lock);
    if (c->dead) {
        r = dead_error(c, err);
        pthread_mutex_unlock(&c->lock);
        mv_msg_free(m);
        return r;
    }
    call->next = c->calls;
    c->calls = call;
    tx_push(c, m);
    if (c->io_busy)
        wake_io(c);
    r = call_wait(c, call, timeout_ms >= 0 ? &deadline : NULL);
    if (r == -ETIMEDOUT)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_RPC, "no reply from '%s' to "
                   "procedure %s within %d ms", c->name,
                   proc_label(call->prog, call->proc, label, sizeof(label)), timeout_ms);
    else if (r < 0)
        dead_error(c, err);
    if (call->abandoned)
        *callp = NULL;
    else
        call_unlink(c, call);
    /* a handover signal may have reached us just as we timed out: pass it on */
    if (!c->io_busy)
        hand_over_io(c);
    pthread_mutex_unlock(&c->lock);
    return r;
}

MV_DEFINE_CLEANUP(struct rpc_call, call_free)

int mv_rpc_client_call_timeout(struct mv_rpc_client *c, unsigned int prog, int proc,
                               xdrproc_t args_filter, const void *args,
                               xdrproc_t ret_filter, void *ret,
                               int timeout_ms, struct mv_err *err)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    _cleanup_(call_freep) struct rpc_call *call = call_new(prog, proc);
    struct mv_err scratch = { 0 };
    int r;

    if (!err)
        err = &scratch;
    if (!m || !call) {
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        goto out;
    }
    /* a serial is taken even if encoding fails: serials only need to be unique */
    pthread_mutex_lock(&c->lock);
    call->serial = c->next_serial++;
    pthread_mutex_unlock(&c->lock);
    r = encode_call(m, prog, proc, call->serial, args_filter, args, err);
    if (r < 0)
        goto out;
    r = call_run(c, &call, TAKE_PTR(m), timeout_ms, err);
    if (r == 0)
        r = decode_reply(call->reply, prog, proc, ret_filter, ret, err);
    deliver_events(c);
out:
    mv_err_clear(&scratch);
    return r;
}

int mv_rpc_client_call(struct mv_rpc_client *c, unsigned int prog, int proc,
                       xdrproc_t args_filter, const void *args,
                       xdrproc_t ret_filter, void *ret, struct mv_err *err)
{
    int timeout_ms;

    pthread_mutex_lock(&c->lock);
    timeout_ms = c->timeout_ms;
    pthread_mutex_unlock(&c->lock);
    return mv_rpc_client_call_timeout(c, prog, proc, args_filter, args,
                                      ret_filter, ret, timeout_ms, err);
}

int mv_rpc_client_process(struct mv_rpc_client *c, int timeout_ms)
{
    struct timespec deadline, *dl = NULL;
    int dead, n;

    if (timeout_ms >= 0) {
        mv_deadline_after(&deadline, timeout_ms);
        dl = &deadline;
    }
    pthread_mutex_lock(&c->lock);
    while (!c->dead && !c->ev_head && !next_stream_work(c)) {
        if (!c->io_busy) {
            io_run(c, NULL, 0, dl);
            break;
        }
        /* a call is reading: it queues events for us */
        if (dl ? pthread_cond_timedwait(&c->io_cond, &c->lock, dl) == ETIMEDOUT
               : pthread_cond_wait(&c->io_cond, &c->lock) != 0)
            break;
    }
    dead = c->dead;
    pthread_mutex_unlock(&c->lock);
    n = deliver_events(c);
    return n > 0 || !dead ? n : dead;
}

/* ---- streams ---- */

int mv_rpc_client_call_stream(struct mv_rpc_client *c, unsigned int prog, int proc,
                              xdrproc_t args_filter, const void *args, xdrproc_t ret_filter, void *ret,
                              mv_rpc_stream_fn fn, void *opaque, struct mv_rpc_stream **stp,
                              struct mv_err *err)
{
    return mv_rpc_client_call_stream_sparse(c, prog, proc, args_filter, args, ret_filter, ret,
                                            fn, NULL, opaque, stp, err);
}

int mv_rpc_client_call_stream_sparse(struct mv_rpc_client *c, unsigned int prog, int proc,
                                     xdrproc_t args_filter, const void *args,
                                     xdrproc_t ret_filter, void *ret, mv_rpc_stream_fn fn,
                                     mv_rpc_stream_hole_fn hole_fn, void *opaque,
                                     struct mv_rpc_stream **stp, struct mv_err *err)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    _cleanup_(call_freep) struct rpc_call *call = call_new(prog, proc);
    struct mv_rpc_stream *st = calloc(1, sizeof(*st));
    struct mv_err scratch = { 0 };
    bool replied_ok = false;
    int r, timeout_ms;

    if (!err)
        err = &scratch;
    if (!m || !call || !st) {
        free(st);
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        goto out;
    }
    st->c = c;
    st->prog = prog;
    st->proc = proc;
    st->fn = fn;
    st->hole_fn = hole_fn;
    st->opaque = opaque;
    /* registered before the call goes out: data may follow the reply at once */
    pthread_mutex_lock(&c->lock);
    call->serial = st->serial = c->next_serial++;
    timeout_ms = c->timeout_ms;
    st->next = c->streams;
    c->streams = st;
    pthread_mutex_unlock(&c->lock);
    r = encode_call(m, prog, proc, call->serial, args_filter, args, err);
    if (r == 0)
        r = call_run(c, &call, TAKE_PTR(m), timeout_ms, err);
    if (r == 0) {
        replied_ok = call->reply->hdr.status == MV_OK;
        r = decode_reply(call->reply, prog, proc, ret_filter, ret, err);
    }
    pthread_mutex_lock(&c->lock);
    if (r == 0) {
        st->open = true;
        c->stream_backlog += st->rx_bytes;
        *stp = st;
    } else {
        struct mv_msg *abort_pkt = replied_ok ? stream_packet(st, MV_ERROR, NULL, 0) : NULL;

        /* the server opened its end but we cannot use the stream: close it */
        if (abort_pkt && !c->dead) {
            tx_push(c, abort_pkt);
            if (c->io_busy)
                wake_io(c);
        } else {
            mv_msg_free(abort_pkt);
        }
        stream_unlink(c, st);
        stream_free(c, st);
    }
    pthread_mutex_unlock(&c->lock);
    deliver_events(c);
out:
    mv_err_clear(&scratch);
    return r;
}

/* Waits (lock held) until TARGET bytes were ever written, doing the I/O
 * whenever nobody else is. */
static int tx_wait(struct mv_rpc_client *c, uint64_t target, const struct timespec *deadline)
{
    while (c->tx_done < target) {
        if (c->dead)
            return c->dead;
        if (!c->io_busy) {
            io_run(c, NULL, target, deadline);
            if (c->tx_done < target && !c->dead && backlog_blocked(c))
                backlog_drain(c, deadline);
        } else if (deadline) {
            pthread_cond_timedwait(&c->io_cond, &c->lock, deadline);
        } else {
            pthread_cond_wait(&c->io_cond, &c->lock);
        }
        if (c->tx_done < target && ms_until(deadline) == 0)
            return -ETIMEDOUT;
    }
    return 0;
}

/* The error for an operation on a stream that ended; lock held. */
static int stream_over_error(struct mv_rpc_client *c, struct mv_rpc_stream *st, struct mv_err *err)
{
    if (c->dead)
        return dead_error(c, err);
    if (st->failed)
        return mv_err_set(err, st->err.code, st->err.domain, "%s",
                          st->err.message ? st->err.message : "Unknown error");
    return mv_err_set(err, MV_ERR_RPC, MV_FROM_STREAMS, "the stream is closed");
}

static void msg_list_free(struct mv_msg *head)
{
    struct mv_msg *m;

    while ((m = head)) {
        head = m->next;
        mv_msg_free(m);
    }
}

/* LEN bytes of DATA as a list of CONTINUE packets; NULL on OOM. */
static struct mv_msg *stream_chunks(const struct mv_rpc_stream *st, const char *data, size_t len)
{
    struct mv_msg *head = NULL, **tail = &head;

    for (size_t off = 0; off < len; off += MV_STREAM_CHUNK_MAX) {
        size_t n = len - off < MV_STREAM_CHUNK_MAX ? len - off : MV_STREAM_CHUNK_MAX;
        struct mv_msg *m = stream_packet(st, MV_CONTINUE, data + off, n);

        if (!m) {
            msg_list_free(head);
            return NULL;
        }
        *tail = m;
        tail = &m->next;
    }
    return head;
}

/* Queues the packet list CHUNKS (taken; NULL means out of memory) of ST
 * and waits until they are written: the sender's back-pressure. */
static int stream_send_packets(struct mv_rpc_stream *st, struct mv_msg *chunks, struct mv_err *err)
{
    struct mv_rpc_client *c = st->c;
    struct mv_err scratch = { 0 };
    struct timespec deadline;
    uint64_t target;
    int r, timeout_ms;

    if (!err)
        err = &scratch;
    if (!chunks) {
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&c->lock);
    if (c->dead || st->failed || st->closing) {
        r = stream_over_error(c, st, err);
        pthread_mutex_unlock(&c->lock);
        msg_list_free(chunks);
        goto out;
    }
    while (chunks) {
        struct mv_msg *m = chunks;

        chunks = m->next;
        tx_push(c, m);
    }
    target = c->tx_queued;
    if (c->io_busy)
        wake_io(c);
    timeout_ms = c->timeout_ms;
    if (timeout_ms >= 0)
        mv_deadline_after(&deadline, timeout_ms);
    /* back-pressure: return once the bytes are in the socket */
    r = tx_wait(c, target, timeout_ms >= 0 ? &deadline : NULL);
    if (r == -ETIMEDOUT)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_RPC, "cannot send stream data to "
                   "'%s' within %d ms", c->name, timeout_ms);
    else if (r < 0)
        dead_error(c, err);
    if (!c->io_busy)
        hand_over_io(c);
    pthread_mutex_unlock(&c->lock);
    deliver_events(c);
out:
    mv_err_clear(&scratch);
    return r;
}

int mv_rpc_stream_send(struct mv_rpc_stream *st, const void *data, size_t len, struct mv_err *err)
{
    if (len == 0)
        return 0;
    return stream_send_packets(st, stream_chunks(st, data, len), err);
}

/* A STREAM_HOLE packet of LENGTH for ST; NULL on OOM. */
static struct mv_msg *stream_hole_packet(const struct mv_rpc_stream *st, int64_t length)
{
    const struct mv_message_header hdr = {
        .prog = st->prog, .vers = RPC_PROGRAM_VERSION, .proc = st->proc,
        .type = MV_STREAM_HOLE, .serial = st->serial, .status = MV_CONTINUE,
    };
    mv_stream_hole hole = { .length = length, .flags = 0 };
    struct mv_msg *m = mv_msg_new();

    if (m && mv_msg_encode(m, &hdr, (xdrproc_t)xdr_mv_stream_hole, &hole) < 0) {
        mv_msg_free(m);
        m = NULL;
    }
    return m;
}

int mv_rpc_stream_send_hole(struct mv_rpc_stream *st, int64_t length, struct mv_err *err)
{
    if (!st->hole_fn || length <= 0) {
        if (err)
            mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_STREAMS, "cannot send a hole of %lld "
                       "bytes on a %s stream", (long long)length,
                       st->hole_fn ? "sparse" : "non-sparse");
        return -EINVAL;
    }
    return stream_send_packets(st, stream_hole_packet(st, length), err);
}

/* Frees ST once no callback of it runs on another thread (lock held); from
 * inside its own callback the delivering code frees it afterwards. */
static void stream_dispose(struct mv_rpc_client *c, struct mv_rpc_stream *st)
{
    stream_unlink(c, st);
    if (st->in_callback && pthread_equal(st->cb_thread, pthread_self())) {
        st->free_after_callback = true;
        return;
    }
    while (st->in_callback)
        pthread_cond_wait(&c->io_cond, &c->lock);
    stream_free(c, st);
}

/* Sends M (taken), finish or abort, and waits for the confirmation (lock held). */
static int stream_close_exchange(struct mv_rpc_client *c, struct mv_rpc_stream *st,
                                 struct rpc_call *call, struct mv_msg *m, struct mv_err *err)
{
    struct timespec deadline;
    char label[96];
    int r, timeout_ms = c->timeout_ms;

    if (timeout_ms >= 0)
        mv_deadline_after(&deadline, timeout_ms);
    call->serial = st->serial;
    call->stream_close = true;
    call->next = c->calls;
    c->calls = call;
    st->close_call = call;
    tx_push(c, m);
    if (c->io_busy)
        wake_io(c);
    r = call_wait(c, call, timeout_ms >= 0 ? &deadline : NULL);
    st->close_call = NULL;
    /* a late confirmation finds no stream and is dropped */
    call->abandoned = false;
    call_unlink(c, call);
    if (r == -ETIMEDOUT)
        return mv_err_set_errno(err, -ETIMEDOUT, MV_ERR_OPERATION_TIMEOUT, MV_FROM_RPC,
                                "no confirmation from '%s' for closing the stream of "
                                "procedure %s within %d ms", c->name,
                                proc_label(st->prog, st->proc, label, sizeof(label)), timeout_ms);
    if (r < 0)
        return dead_error(c, err);
    return decode_reply(call->reply, st->prog, st->proc, NULL, NULL, err);
}

/* Finish (ABORT false) or abort ST, then free it. */
static int stream_close(struct mv_rpc_stream *st, bool abort, struct mv_err *err)
{
    struct mv_rpc_client *c = st->c;
    _cleanup_msg_ struct mv_msg *m = stream_packet(st, abort ? MV_ERROR : MV_OK, NULL, 0);
    _cleanup_(call_freep) struct rpc_call *call = call_new(st->prog, st->proc);
    struct mv_err scratch = { 0 };
    int r;

    if (!err)
        err = &scratch;
    pthread_mutex_lock(&c->lock);
    /* nothing is delivered any more: the caller is done with the data */
    stream_drop_rx(c, st);
    st->closing = true;
    if (c->dead || st->failed)
        /* the server's end is gone already: an abort has nothing left to do */
        r = abort && !c->dead ? 0 : stream_over_error(c, st, err);
    else if (!m || !call)
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
    else
        r = stream_close_exchange(c, st, call, TAKE_PTR(m), err);
    stream_dispose(c, st);
    if (!c->io_busy)
        hand_over_io(c);
    pthread_mutex_unlock(&c->lock);
    deliver_events(c);
    mv_err_clear(&scratch);
    return r;
}

int mv_rpc_stream_finish(struct mv_rpc_stream *st, struct mv_err *err)
{
    return stream_close(st, false, err);
}

int mv_rpc_stream_abort(struct mv_rpc_stream *st, struct mv_err *err)
{
    return stream_close(st, true, err);
}
