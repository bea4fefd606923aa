/*
 * One leg to one daemon (see upstream.h).  The leg reads whole packets with
 * the shared frame reader and looks at their headers only: replies are
 * matched to pending calls by the leg's serial, everything else goes to the
 * session as it came.  Nothing is decoded except the handshake's replies.
 */
#define MV_LOG_MODULE "proxyd.upstream"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "keepalive_protocol.h"
#include "log.h"
#include "upstream.h"

/* A pending entry of the handshake (never a client's call). */
#define PENDING_HANDSHAKE (1u << 31)
/* VIR_CONNECT_RO */
#define CONNECT_FLAG_RO 1u

enum upstream_state { UP_HANDSHAKE, UP_READY, UP_DEAD };

struct upstream {
    unsigned int refs;
    enum upstream_state state;
    char *daemon;
    char *path;
    int fd;
    sd_event *ev;
    sd_event_source *io;
    sd_event_source *timer;
    const struct upstream_ops *ops;
    void *opaque;
    unsigned int timeout_s;
    struct mv_frame_reader reader;
    struct mv_msg *tx_head, *tx_tail;   /* going out now */
    struct mv_msg *wait_head, *wait_tail;   /* held until the handshake is done */
    size_t tx_bytes;                    /* both queues */
    bool tx_over;                       /* reached MV_PROXY_LEG_TX_MAX: tell when drained */
    bool held;                          /* input held (the client's output is full) */
    uint32_t next_serial;
    struct proxy_pending *pend;         /* unordered; few entries, searched linearly */
    size_t npend, cap;
    unsigned int handshake_left;
    uint64_t last_rx;                   /* CLOCK_MONOTONIC usec of the last packet (or arming) */
    bool ping_sent;
    bool timer_on;
    bool owns_opaque;                   /* returned by upstream_new: ops->release at the end */
};

static void upstream_unref(struct upstream *u);

const char *upstream_daemon(const struct upstream *u) { return u->daemon; }
const char *upstream_path(const struct upstream *u) { return u->path; }
size_t upstream_tx_bytes(const struct upstream *u) { return u->tx_bytes; }
uint32_t upstream_next_serial(const struct upstream *u) { return u->next_serial; }

void proxy_msg_set_serial(struct mv_msg *m, uint32_t serial)
{
    /* the length word, then prog, vers, proc, type: the serial is the 6th word */
    unsigned char *p = (unsigned char *)m->buf + 20;

    m->hdr.serial = serial;
    p[0] = serial >> 24;
    p[1] = serial >> 16;
    p[2] = serial >> 8;
    p[3] = serial;
}

/* ---- queues ---- */

static void queue_append(struct mv_msg **head, struct mv_msg **tail, struct mv_msg *m)
{
    m->next = NULL;
    if (*tail)
        (*tail)->next = m;
    else
        *head = m;
    *tail = m;
}

static void queue_free(struct mv_msg **head, struct mv_msg **tail)
{
    struct mv_msg *m;

    while ((m = *head)) {
        *head = m->next;
        mv_msg_free(m);
    }
    *tail = NULL;
}

static void update_io(struct upstream *u)
{
    uint32_t ev = 0;

    if (u->state == UP_DEAD)
        return;
    if (!u->held)
        ev |= EPOLLIN;
    if (u->tx_head)
        ev |= EPOLLOUT;
    sd_event_source_set_io_events(u->io, ev);
}

static void arm_timer(struct upstream *u);

/* M goes out behind what is queued; a client's packet (CLIENTS) waits
 * while the handshake runs. */
static void queue_out(struct upstream *u, struct mv_msg *m, bool client)
{
    u->tx_bytes += m->len;
    if (u->tx_bytes >= MV_PROXY_LEG_TX_MAX)
        u->tx_over = true;
    if (client && u->state == UP_HANDSHAKE) {
        queue_append(&u->wait_head, &u->wait_tail, m);
        return;
    }
    queue_append(&u->tx_head, &u->tx_tail, m);
    /* nothing before it: write now, sparing a loop iteration per call (a
     * failure is left to on_io, which sees it again: no callback from here) */
    if (u->tx_head == m && mv_msg_write(u->fd, m) == 1) {
        u->tx_head = u->tx_tail = NULL;
        u->tx_bytes -= m->len;
        mv_msg_free(m);
    }
    update_io(u);
}

/* ---- pending calls ---- */

static struct proxy_pending *pending_add(struct upstream *u)
{
    if (u->npend == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        struct proxy_pending *p;

        if (cap > MV_PROXY_LEG_PENDING_MAX)
            return NULL;
        p = realloc(u->pend, cap * sizeof(*p));
        if (!p)
            return NULL;
        u->pend = p;
        u->cap = cap;
    }
    return &u->pend[u->npend++];
}

static struct proxy_pending *pending_find(struct upstream *u, uint32_t serial)
{
    for (size_t i = 0; i < u->npend; i++)
        if (u->pend[i].up_serial == serial)
            return &u->pend[i];
    return NULL;
}

static void pending_remove(struct upstream *u, struct proxy_pending *p)
{
    *p = u->pend[--u->npend];
}

/* ---- death ---- */

/* Ends the leg: every call it owed fails with WHY, then dead().  Once. */
static void upstream_fail(struct upstream *u, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void upstream_fail(struct upstream *u, int code, const char *fmt, ...)
{
    _cleanup_free_ char *why = NULL;
    va_list ap;

    if (u->state == UP_DEAD)
        return;
    va_start(ap, fmt);
    if (vasprintf(&why, fmt, ap) < 0)
        why = NULL;
    va_end(ap);
    mv_info("leg to modvirt-%s: %s", u->daemon, why ? why : "failed");
    u->state = UP_DEAD;
    u->io = sd_event_source_disable_unref(u->io);
    u->timer = sd_event_source_disable_unref(u->timer);
    close(u->fd);
    u->fd = -1;
    queue_free(&u->tx_head, &u->tx_tail);
    queue_free(&u->wait_head, &u->wait_tail);
    u->tx_bytes = 0;
    for (size_t i = 0; i < u->npend; i++)
        if (!(u->pend[i].flags & PENDING_HANDSHAKE))
            u->ops->fail(u, &u->pend[i], code, why ? why : "the daemon's connection failed", u->opaque);
    u->npend = 0;
    u->ops->dead(u, code, why ? why : "the daemon's connection failed", u->opaque);
}

/* ---- the handshake ---- */

static int queue_own_call(struct upstream *u, int proc, xdrproc_t filter, const void *args)
{
    struct mv_message_header hdr = {
        .prog = MV_REMOTE_PROGRAM, .vers = MV_REMOTE_VERSION, .proc = proc,
        .type = MV_CALL, .serial = u->next_serial, .status = MV_OK,
    };
    struct mv_msg *m = mv_msg_new();
    struct proxy_pending *p;
    int r;

    if (!m)
        return -ENOMEM;
    if ((r = mv_msg_encode(m, &hdr, filter, args)) < 0 || !(p = pending_add(u))) {
        mv_msg_free(m);
        return r < 0 ? r : -ENOMEM;
    }
    *p = (struct proxy_pending){ .up_serial = u->next_serial++, .prog = MV_REMOTE_PROGRAM, .proc = proc,
                                 .flags = PENDING_HANDSHAKE, .own = true };
    u->handshake_left++;
    queue_out(u, m, false);
    return 0;
}

/* No SUPPORTS_FEATURE(PROGRAM_KEEPALIVE): the daemon would probe the leg
 * and drop it while it cannot read our answers (its output to a slow
 * reader behind us is full); the proxy probes the daemon itself (on_timer)
 * and the daemon learns of a dead proxy from EOF. */
static int start_handshake(struct upstream *u, const struct upstream_spec *spec)
{
    char *empty = "";
    /* an empty name: the daemon opens its own driver */
    mv_connect_open_args open = { .name = &empty, .flags = spec->readonly ? CONNECT_FLAG_RO : 0 };
    int r;

    if ((r = queue_own_call(u, MV_PROC_AUTH_LIST, (xdrproc_t)mv_xdr_void, NULL)) < 0 ||
        (r = queue_own_call(u, MV_PROC_CONNECT_OPEN, (xdrproc_t)xdr_mv_connect_open_args, &open)) < 0)
        return r;
    if (spec->identity)
        r = queue_own_call(u, MV_PROC_CONNECT_SET_IDENTITY,
                           (xdrproc_t)xdr_mv_connect_set_identity_args, spec->identity);
    return r;
}

/* The daemon refused a handshake call: the leg is of no use (without the
 * identity in place no call of the client may go). */
static void handshake_error(struct upstream *u, const struct proxy_pending *p, const struct mv_msg *m)
{
    mv_error wire = { 0 };
    struct mv_err e = { 0 };
    const struct mv_proc_info *info = mv_proc_lookup(p->proc);

    if (mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &wire) == 0) {
        mv_err_from_wire(&e, &wire);
        xdr_free((xdrproc_t)xdr_mv_error, (char *)&wire);
    }
    upstream_fail(u, MV_ERR_NO_CONNECT, "modvirt-%s refused the proxy's %s (socket %s): %s",
                  u->daemon, info ? info->name : "call", u->path,
                  e.message ? e.message : "no reason given");
    mv_err_clear(&e);
}

static void handshake_reply(struct upstream *u, struct proxy_pending *p, struct mv_msg *m)
{
    struct proxy_pending done = *p;

    pending_remove(u, p);
    if (m->hdr.status != MV_OK)
        handshake_error(u, &done, m);
    mv_msg_free(m);
    if (u->state != UP_HANDSHAKE || --u->handshake_left > 0)
        return;
    /* the identity is in place: the held calls may go */
    u->state = UP_READY;
    if (u->wait_head) {
        if (u->tx_tail)
            u->tx_tail->next = u->wait_head;
        else
            u->tx_head = u->wait_head;
        u->tx_tail = u->wait_tail;
        u->wait_head = u->wait_tail = NULL;
    }
    mv_debug("leg to modvirt-%s (%s) ready", u->daemon, u->path);
    update_io(u);
    if (u->ops->ready)
        u->ops->ready(u, u->opaque);
}

/* ---- keepalive and probes ---- */

static void send_keepalive(struct upstream *u, int proc)
{
    struct mv_msg *m = mv_keepalive_packet(proc);

    /* keepalive goes out even during the handshake: it is no call */
    if (m)
        queue_out(u, m, false);
}

/* Something to wait for: the handshake, calls, or a client we hold. */
static bool timer_needed(const struct upstream *u)
{
    return u->state == UP_HANDSHAKE || u->npend > 0 || u->held;
}

static int on_timer(sd_event_source *s, uint64_t due, void *opaque)
{
    struct upstream *u = opaque;
    uint64_t half = (uint64_t)u->timeout_s * 500000, full = half * 2, now = due;

    /* sd-event passes the time the timer was due, which precedes a packet
     * read since (last_rx) when the loop was late: silence counts from the
     * loop's time now, never below last_rx (that went negative: a daemon
     * that had just answered was declared "not answering") */
    sd_event_now(u->ev, CLOCK_MONOTONIC, &now);
    if (now < u->last_rx)
        now = u->last_rx;

    if (!timer_needed(u)) {
        u->timer_on = false;
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
    }
    /* while we do not read, the daemon's silence is ours: no verdict (the
     * daemon does not probe legs, see start_handshake) */
    if (u->held) {
        u->last_rx = now;
        u->ping_sent = false;
        sd_event_source_set_time(s, now + half);
        return 0;
    }
    if (now - u->last_rx >= full) {
        u->refs++;
        upstream_fail(u, MV_ERR_OPERATION_TIMEOUT, "modvirt-%s is not answering (socket %s)",
                      u->daemon, u->path);
        upstream_unref(u);
        return 0;
    }
    if (now - u->last_rx >= half && !u->ping_sent) {
        send_keepalive(u, MV_KEEPALIVE_PROC_PING);
        u->ping_sent = true;
    }
    sd_event_source_set_time(s, u->last_rx + (u->ping_sent ? full : half));
    return 0;
}

/* Starts the silence clock when there is something to wait for again. */
static void arm_timer(struct upstream *u)
{
    uint64_t half = (uint64_t)u->timeout_s * 500000;

    if (u->timer_on || u->state == UP_DEAD || !u->timeout_s)
        return;
    sd_event_now(u->ev, CLOCK_MONOTONIC, &u->last_rx);
    u->ping_sent = false;
    if (!u->timer) {
        if (sd_event_add_time(u->ev, &u->timer, CLOCK_MONOTONIC, u->last_rx + half, 0, on_timer, u) < 0)
            return;
    } else {
        sd_event_source_set_time(u->timer, u->last_rx + half);
    }
    sd_event_source_set_enabled(u->timer, SD_EVENT_ON);
    u->timer_on = true;
}

/* ---- I/O ---- */

/* One packet from the daemon. */
static void handle_packet(struct upstream *u, struct mv_msg *m)
{
    struct proxy_pending *p, done;

    if (m->hdr.prog == MV_KEEPALIVE_PROGRAM) {
        if (m->hdr.type == MV_MESSAGE && m->hdr.proc == MV_KEEPALIVE_PROC_PING)
            send_keepalive(u, MV_KEEPALIVE_PROC_PONG);
        mv_msg_free(m);
        return;
    }
    if (m->hdr.type != MV_REPLY) {
        u->ops->packet(u, m, u->opaque);
        return;
    }
    p = pending_find(u, m->hdr.serial);
    if (!p) {
        mv_debug("modvirt-%s: dropping a reply for serial %u, which no call has", u->daemon, m->hdr.serial);
        mv_msg_free(m);
        return;
    }
    if (p->flags & PENDING_HANDSHAKE) {
        handshake_reply(u, p, m);
        return;
    }
    done = *p;
    pending_remove(u, p);
    if (!done.own)
        proxy_msg_set_serial(m, done.client_serial);
    u->ops->reply(u, m, &done, u->opaque);
}

/* One packet per wakeup: most are single replies, and epoll (level
 * triggered) reports what follows without a read that finds nothing. */
static int upstream_read(struct upstream *u)
{
    if (!u->held && u->state != UP_DEAD) {
        struct mv_msg *m = NULL;
        const char *why = NULL;
        int r = mv_frame_read(u->fd, &u->reader, &m, &why);

        if (r == 0)
            return 0;
        if (r == -EBADMSG) {
            upstream_fail(u, MV_ERR_RPC, "modvirt-%s sent a malformed packet (socket %s): %s",
                          u->daemon, u->path, why);
            return -1;
        }
        if (r < 0) {
            upstream_fail(u, MV_ERR_SYSTEM_ERROR, "modvirt-%s closed the connection (socket %s)%s%s",
                          u->daemon, u->path, r == -ECONNRESET ? "" : ": ",
                          r == -ECONNRESET ? "" : strerror(-r));
            return -1;
        }
        sd_event_now(u->ev, CLOCK_MONOTONIC, &u->last_rx);
        u->ping_sent = false;
        handle_packet(u, m);
    }
    return 0;
}

static int upstream_flush(struct upstream *u)
{
    struct mv_msg *m;

    while ((m = u->tx_head)) {
        int r = mv_msg_write(u->fd, m);

        if (r == 0)
            break;
        if (r < 0) {
            upstream_fail(u, MV_ERR_SYSTEM_ERROR, "modvirt-%s closed the connection (socket %s): %s",
                          u->daemon, u->path, strerror(-r));
            return -1;
        }
        u->tx_head = m->next;
        if (!u->tx_head)
            u->tx_tail = NULL;
        u->tx_bytes -= m->len;
        mv_msg_free(m);
    }
    if (u->tx_over && u->tx_bytes < MV_PROXY_LEG_TX_MAX / 2) {
        u->tx_over = false;
        u->ops->tx_drained(u, u->opaque);
    }
    return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct upstream *u = opaque;

    u->refs++;
    if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
        upstream_read(u);
    if (u->state != UP_DEAD && (revents & (EPOLLHUP | EPOLLERR)) && u->held)
        upstream_fail(u, MV_ERR_SYSTEM_ERROR, "modvirt-%s closed the connection (socket %s)",
                      u->daemon, u->path);
    if (u->state != UP_DEAD && u->tx_head)
        upstream_flush(u);
    if (u->state != UP_DEAD)
        update_io(u);
    upstream_unref(u);
    return 0;
}

/* ---- life ---- */

static int connect_unix(const char *path, int *ret)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* a unix connect completes at once or fails; EAGAIN: its backlog is full */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    *ret = TAKE_FD(fd);
    return 0;
}

int upstream_new(sd_event *ev, const struct upstream_spec *spec, const struct upstream_ops *ops,
                 void *opaque, struct upstream **ret)
{
    struct upstream *u = calloc(1, sizeof(*u));
    int r;

    if (!u)
        return -ENOMEM;
    u->refs = 1;
    u->fd = -1;
    u->ev = ev;
    u->ops = ops;
    u->opaque = opaque;
    u->timeout_s = spec->timeout;
    u->reader.whole = true;     /* a daemon's length words are trusted */
    u->daemon = strdup(spec->daemon);
    u->path = strdup(spec->path);
    if (!u->daemon || !u->path) {
        r = -ENOMEM;
        goto fail;
    }
    if ((r = connect_unix(spec->path, &u->fd)) < 0)
        goto fail;
    if ((r = sd_event_add_io(ev, &u->io, u->fd, EPOLLIN, on_io, u)) < 0 ||
        (r = start_handshake(u, spec)) < 0)
        goto fail;
    arm_timer(u);
    u->owns_opaque = true;
    *ret = u;
    return 0;
fail:
    u->state = UP_DEAD;
    upstream_unref(u);
    return r;
}

static void upstream_unref(struct upstream *u)
{
    if (--u->refs > 0)
        return;
    sd_event_source_disable_unref(u->io);
    sd_event_source_disable_unref(u->timer);
    if (u->fd >= 0)
        close(u->fd);
    queue_free(&u->tx_head, &u->tx_tail);
    queue_free(&u->wait_head, &u->wait_tail);
    mv_frame_reader_reset(&u->reader);
    free(u->pend);
    free(u->daemon);
    free(u->path);
    if (u->owns_opaque && u->ops->release)
        u->ops->release(u->opaque);
    free(u);
}

void upstream_close(struct upstream *u)
{
    if (!u)
        return;
    if (u->state != UP_DEAD) {
        u->state = UP_DEAD;
        u->io = sd_event_source_disable_unref(u->io);
        u->timer = sd_event_source_disable_unref(u->timer);
        close(u->fd);
        u->fd = -1;
        u->npend = 0;
    }
    upstream_unref(u);
}

int upstream_call(struct upstream *u, struct mv_msg *req, unsigned int flags)
{
    struct proxy_pending *p = pending_add(u);

    if (!p)
        return -ENOBUFS;
    *p = (struct proxy_pending){ .up_serial = u->next_serial, .client_serial = req->hdr.serial,
                                 .prog = req->hdr.prog, .proc = req->hdr.proc, .flags = flags };
    proxy_msg_set_serial(req, u->next_serial++);
    queue_out(u, req, true);
    arm_timer(u);
    return 0;
}

int upstream_call_own(struct upstream *u, struct mv_msg *call, int token)
{
    struct proxy_pending *p = pending_add(u);

    if (!p) {
        mv_msg_free(call);
        return -ENOBUFS;
    }
    *p = (struct proxy_pending){ .up_serial = u->next_serial, .prog = call->hdr.prog, .proc = call->hdr.proc,
                                 .own = true, .token = token };
    proxy_msg_set_serial(call, u->next_serial++);
    queue_out(u, call, true);
    arm_timer(u);
    return 0;
}

void upstream_send(struct upstream *u, struct mv_msg *m)
{
    queue_out(u, m, true);
}

void upstream_hold_input(struct upstream *u, bool hold)
{
    if (u->held == hold || u->state == UP_DEAD)
        return;
    u->held = hold;
    if (hold)
        arm_timer(u);
    update_io(u);
}
