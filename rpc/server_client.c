/* One connected client: socket I/O, the transmit queue and keepalive. */
#define MV_LOG_MODULE "rpc.client"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "identity.h"
#include "keepalive_protocol.h"
#include "log.h"
#include "server_internal.h"

/* Packets read from one client per wakeup, so a client that streams calls
 * cannot keep the loop from the others. */
#define CLIENT_READ_BURST 32

struct mv_client *mv_client_ref(struct mv_client *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

static void client_free(struct mv_client *c)
{
    struct mv_msg *m;

    while ((m = c->tx_head)) {
        c->tx_head = m->next;
        mv_msg_free(m);
    }
    mv_frame_reader_reset(&c->reader);
    free(c->peer_addr);
    free(c->local_addr);
    free(c->x509_dname);
    free(c->sasl_user);
    free(c);
}

void mv_client_unref(struct mv_client *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        client_free(c);
}

bool mv_client_closed(struct mv_client *c)
{
    return atomic_load(&c->closed);
}

void *mv_client_get_data(struct mv_client *c)
{
    return c->data;
}

void mv_client_set_data(struct mv_client *c, void *data)
{
    c->data = data;
}

/* A client that has not authenticated and opened the connection may only
 * send small packets. */
static bool client_trusted(const struct mv_client *c)
{
    return c->opened && atomic_load(&c->authenticated);
}

/* A partial packet that needs more memory waits while the server's budget
 * for partial packets is spent. */
static bool client_rx_blocked(const struct mv_client *c)
{
    return mv_frame_reader_wants_growth(&c->reader) &&
           c->srv->rx_pending >= MV_SERVER_RX_PENDING_MAX;
}

static bool client_may_read(const struct mv_client *c)
{
    return !c->closing && !atomic_load(&c->closed) &&
           c->inflight < c->srv->cfg.max_client_requests &&
           c->tx_bytes < MV_CLIENT_TX_BACKLOG_MAX && !c->stream_held && !c->fwd_held &&
           !c->sasl_layer_next && !c->sasl_layer_after && !client_rx_blocked(c);
}

static void client_check_pending(struct mv_client *c);

/* Which events the socket waits for: reading stops while the client has its
 * full share of calls in flight, a large backlog of unread replies, or is
 * closing; writing while output waits. */
void mv_client_update_events(struct mv_client *c)
{
    uint32_t ev = 0;

    /* a TLS handshake asks for the direction gnutls needs (server_remote.c) */
    if (atomic_load(&c->closed) || c->tls_hs || c->tls_confirm)
        return;
    if (client_may_read(c))
        ev |= EPOLLIN;
    if (c->tx_head)
        ev |= EPOLLOUT;
    sd_event_source_set_io_events(c->io, ev);
    /* reading may resume (a request slot freed, the forwarder let go)
     * while the layer holds decoded bytes epoll will never report */
    if (ev & EPOLLIN)
        client_check_pending(c);
}

/* Keeps srv->rx_pending equal to the sum of the clients' reader buffers. */
static void client_rx_account(struct mv_client *c)
{
    struct mv_server *srv = c->srv;
    size_t held = mv_frame_reader_held(&c->reader);
    bool was_over = srv->rx_pending >= MV_SERVER_RX_PENDING_MAX;

    srv->rx_pending = srv->rx_pending - c->rx_held + held;
    c->rx_held = held;
    if (was_over && srv->rx_pending < MV_SERVER_RX_PENDING_MAX)
        mv_server_rx_released(srv);
}

void mv_client_close(struct mv_client *c, const char *reason)
{
    if (atomic_exchange(&c->closed, true))
        return;
    mv_debug("client %lu closed: %s", c->id, reason);
    c->io = sd_event_source_disable_unref(c->io);
    c->keepalive = sd_event_source_disable_unref(c->keepalive);
    c->packet_timer = sd_event_source_disable_unref(c->packet_timer);
    mv_frame_reader_reset(&c->reader);
    client_rx_account(c);
    c->pending_src = sd_event_source_disable_unref(c->pending_src);
    mv_client_remote_close(c);
    close(c->fd);
    c->fd = -1;
    /* streams first: their opaque data may refer to the driver's client data */
    mv_stream_client_gone(c);
    if (c->srv->driver->client_close)
        c->srv->driver->client_close(c);
    mv_server_client_gone(c->srv, c);
    mv_client_unref(c);
}

/* Asynchronous packets of the remote or qemu program are events
 * (keepalive's PING/PONG are bounded by their protocol, stream data by
 * back-pressure). */
static bool is_event(const struct mv_msg *m)
{
    return m->hdr.type == MV_MESSAGE && mv_program_lookup(m->hdr.prog) != NULL;
}

void mv_client_queue_tx(struct mv_client *c, struct mv_msg *msg)
{
    if (atomic_load(&c->closed)) {
        mv_msg_free(msg);
        return;
    }
    msg->next = NULL;
    /* the reply that ends a SASL exchange goes out bare, all after it
     * through the layer (server_remote.c) */
    if (c->sasl_layer_next) {
        c->sasl_layer_next = false;
        c->sasl_layer_after = msg;
    }
    c->tx_bytes += msg->len;
    if (is_event(msg))
        c->tx_event_bytes += msg->len;
    if (c->tx_tail)
        c->tx_tail->next = msg;
    else
        c->tx_head = msg;
    c->tx_tail = msg;
    mv_client_update_events(c);
}

void mv_client_queue_event(struct mv_client *c, struct mv_msg *msg)
{
    if (!atomic_load(&c->closed) &&
        c->tx_event_bytes + msg->len > MV_CLIENT_EVENT_BACKLOG_MAX) {
        mv_warn("client %lu (pid %d uid %u%s): %zu bytes of events unread (limit %u); "
                "closing the connection", c->id, (int)c->ident.pid, (unsigned)c->ident.uid,
                c->listener->opts.readonly ? ", read-only socket" : "",
                c->tx_event_bytes, MV_CLIENT_EVENT_BACKLOG_MAX);
        mv_msg_free(msg);
        mv_client_close(c, "event backlog overflow");
        return;
    }
    mv_client_queue_tx(c, msg);
}

void mv_client_reply_lost(struct mv_client *c, const char *why)
{
    mv_warn("client %lu (pid %d uid %u): %s; closing the connection so that it does not "
            "wait for the reply forever", c->id, (int)c->ident.pid, (unsigned)c->ident.uid, why);
    mv_client_close(c, "no reply could be sent");
}

int mv_client_write_msg(struct mv_client *c, struct mv_msg *m)
{
    return c->transport.ops ? mv_transport_write_msg(&c->transport, m) : mv_msg_write(c->fd, m);
}

static int client_flush(struct mv_client *c)
{
    struct mv_msg *m;

    while ((m = c->tx_head)) {
        int r = mv_client_write_msg(c, m);
        bool layer_on = m == c->sasl_layer_after;

        if (r <= 0)
            return r;
        c->tx_head = m->next;
        if (!c->tx_head)
            c->tx_tail = NULL;
        c->tx_bytes -= m->len;
        if (is_event(m))
            c->tx_event_bytes -= m->len;
        mv_msg_free(m);
        if (layer_on) {
            mv_client_remote_layer_on(c);
            if (atomic_load(&c->closed))
                return -EPIPE;
        }
    }
    return 1;
}

static int packet_timeout(sd_event_source *s, uint64_t usec, void *opaque)
{
    struct mv_client *c = opaque;
    const struct mv_msg *m = c->reader.msg;

    mv_client_ref(c);
    mv_warn("client %lu (pid %d uid %u): a packet is still incomplete after %u s "
            "(%zu of %zu bytes); closing the connection", c->id, (int)c->ident.pid,
            (unsigned)c->ident.uid, c->srv->cfg.packet_timeout, m ? m->len : 0,
            c->reader.want);
    mv_client_close(c, "packet timeout");
    mv_client_unref(c);
    return 0;
}

/* A packet must arrive whole within packet_timeout of its first byte, so a
 * peer cannot hold a buffer by sending part of one and stalling (or by
 * trickling it). */
static void client_packet_timer(struct mv_client *c)
{
    uint64_t now;
    int on = 0;

    if (!c->srv->cfg.packet_timeout)
        return;
    if (!mv_frame_reader_partial(&c->reader)) {
        if (c->packet_timer)
            sd_event_source_set_enabled(c->packet_timer, SD_EVENT_OFF);
        return;
    }
    if (c->packet_timer && sd_event_source_get_enabled(c->packet_timer, &on) >= 0 && on)
        return;     /* already running for this packet */
    sd_event_now(c->srv->event, CLOCK_MONOTONIC, &now);
    now += (uint64_t)c->srv->cfg.packet_timeout * 1000000;
    if (!c->packet_timer) {
        if (sd_event_add_time(c->srv->event, &c->packet_timer, CLOCK_MONOTONIC, now, 0,
                              packet_timeout, c) < 0)
            return;
    } else {
        sd_event_source_set_time(c->packet_timer, now);
    }
    sd_event_source_set_enabled(c->packet_timer, SD_EVENT_ONESHOT);
}

/* Limits for the next read: packet size by trust, buffer growth by the
 * server's budget for partial packets. */
static void client_reader_limits(struct mv_client *c)
{
    size_t pending = c->srv->rx_pending, held = c->rx_held;

    if (client_trusted(c)) {
        c->reader.max = 0;
    } else {
        c->reader.max = MV_CLIENT_PREAUTH_PACKET_MAX;
        c->reader.max_why = "packet length exceeds the 64 KiB allowed before authentication";
    }
    c->reader.grow_limit = pending >= MV_SERVER_RX_PENDING_MAX ? (held ? held : 1)
                                                              : held + (MV_SERVER_RX_PENDING_MAX - pending);
}

static int client_read_one(struct mv_client *c, struct mv_msg **msg, const char **why)
{
    int r;

    client_reader_limits(c);
    if (c->transport.ops)
        r = mv_transport_read_msg(&c->transport, &c->reader, msg, why);
    else
        r = mv_frame_read(c->fd, &c->reader, msg, why);
    client_rx_account(c);
    client_packet_timer(c);
    return r;
}

static int client_read(struct mv_client *c)
{
    /* what is not read now waits in the socket buffer: epoll reports it again */
    for (int n = 0; n < CLIENT_READ_BURST && client_may_read(c); n++) {
        struct mv_msg *msg = NULL;
        const char *why = NULL;
        int r = client_read_one(c, &msg, &why);

        if (r == 0 || r == -ENOBUFS)
            return 0;
        if (r == -EBADMSG) {
            mv_warn("client %lu (pid %d uid %u): malformed packet: %s; closing the connection",
                    c->id, (int)c->ident.pid, (unsigned)c->ident.uid, why);
            return r;
        }
        if (r < 0)
            return r;
        sd_event_now(c->srv->event, CLOCK_MONOTONIC, &c->last_rx_usec);
        c->keepalive_missed = 0;
        mv_dispatch_packet(c, msg);
        /* a proxy's calls are mostly small and answered one by one: epoll
         * reports what follows, sparing a read that finds nothing */
        if (c->srv->driver->forwarder)
            break;
    }
    return 0;
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *opaque);

static int pending_ready(sd_event_source *s, void *opaque)
{
    struct mv_client *c = opaque;

    return client_io(NULL, c->fd, EPOLLIN, c);
}

/* A layer (TLS, SASL) may hold decoded bytes after a read that stopped at
 * a packet's end: epoll will not report them, so read again from the loop
 * (after other sources had their turn) while the client may be read. */
static void client_check_pending(struct mv_client *c)
{
    if (!c->transport.ops || atomic_load(&c->closed) || !client_may_read(c) ||
        !c->transport.ops->pending(c->transport.ctx))
        return;
    if (!c->pending_src && sd_event_add_defer(c->srv->event, &c->pending_src, pending_ready, c) < 0)
        return;
    sd_event_source_set_enabled(c->pending_src, SD_EVENT_ONESHOT);
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct mv_client *c = opaque;
    int r = 0;

    mv_client_ref(c);
    if (c->tls_hs || c->tls_confirm) {
        r = mv_client_remote_io(c);
        if (r <= 0) {
            if (r < 0)
                mv_client_close(c, "TLS handshake failed");
            mv_client_unref(c);
            return 0;
        }
        /* the client may have sent its first call with the handshake */
        revents |= EPOLLIN;
    }
    if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
        r = client_read(c);
    /* epoll reports a hangup even while we do not read: with reading
     * stopped (possibly for long, behind a stream's sink) nothing else
     * would end the connection, and the hangup would wake us forever */
    if (r >= 0 && (revents & (EPOLLHUP | EPOLLERR)) && !client_may_read(c))
        r = -ECONNRESET;
    if (r >= 0 && !atomic_load(&c->closed))
        r = client_flush(c);
    if (r >= 0 && c->streams && c->tx_bytes < MV_CLIENT_TX_BACKLOG_MAX)
        mv_stream_client_drained(c);
    if (r >= 0 && c->fwd_want_drained && c->tx_bytes < MV_CLIENT_TX_BACKLOG_MAX &&
        !atomic_load(&c->closed)) {
        c->fwd_want_drained = false;
        if (c->srv->driver->forwarder->drained)
            c->srv->driver->forwarder->drained(c);
    }
    if (r < 0)
        mv_client_close(c, r == -ECONNRESET ? "end of file" : strerror(-r));
    else if (c->closing && !c->tx_head)
        mv_client_close(c, "connection closed by the client");
    else
        mv_client_update_events(c);
    mv_client_unref(c);
    return 0;
}

/* Answers a keepalive packet: PING gets a PONG; PONG only proves life. */
void mv_client_handle_keepalive(struct mv_client *c, const struct mv_msg *msg)
{
    if (msg->hdr.type == MV_MESSAGE && msg->hdr.proc == MV_KEEPALIVE_PROC_PING) {
        struct mv_msg *pong = mv_keepalive_packet(MV_KEEPALIVE_PROC_PONG);
        if (pong)
            mv_client_queue_tx(c, pong);
    }
}

static int keepalive_tick(sd_event_source *s, uint64_t usec, void *opaque)
{
    struct mv_client *c = opaque;
    uint64_t interval = (uint64_t)c->srv->cfg.keepalive_interval * 1000000;
    struct mv_msg *ping;

    /* a peer we do not read cannot answer: its stream's sink is full, the
     * forwarder holds it, or our own output to it is (client_may_read) */
    if (c->stream_held || c->fwd_held || c->tx_bytes >= MV_CLIENT_TX_BACKLOG_MAX) {
        c->last_rx_usec = usec;
        c->keepalive_missed = 0;
    }
    /* heard from the peer lately: the next probe is due one interval after that */
    if (usec - c->last_rx_usec < interval) {
        sd_event_source_set_time(s, c->last_rx_usec + interval);
        return 0;
    }
    if (c->keepalive_missed >= c->srv->cfg.keepalive_count) {
        mv_client_ref(c);
        mv_warn("client %lu (pid %d): no answer to %u keepalive probes; closing the connection",
                c->id, (int)c->ident.pid, c->keepalive_missed);
        mv_client_close(c, "keepalive timeout");
        mv_client_unref(c);
        return 0;
    }
    ping = mv_keepalive_packet(MV_KEEPALIVE_PROC_PING);
    if (ping) {
        c->keepalive_missed++;
        mv_client_queue_tx(c, ping);
    }
    sd_event_source_set_time(s, usec + interval);
    return 0;
}

/* The server pings only clients that asked for keepalive (feature 10):
 * others may have no event loop to answer. */
void mv_client_start_keepalive(struct mv_client *c)
{
    uint64_t now, interval = (uint64_t)c->srv->cfg.keepalive_interval * 1000000;

    if (c->keepalive_on || interval == 0 || c->srv->cfg.keepalive_count == 0)
        return;
    sd_event_now(c->srv->event, CLOCK_MONOTONIC, &now);
    if (sd_event_add_time(c->srv->event, &c->keepalive, CLOCK_MONOTONIC, now + interval, 0,
                          keepalive_tick, c) < 0)
        return;
    sd_event_source_set_enabled(c->keepalive, SD_EVENT_ON);
    c->keepalive_on = true;
}

int mv_client_accept(struct mv_server *srv, struct mv_listener *l, int fd_in)
{
    _cleanup_close_ int fd = fd_in;
    /* a remote peer has no credentials: no uid, nobody's pid */
    struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    socklen_t len = sizeof(cred);
    struct mv_client *c;
    int r;

    if (!l->opts.remote && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    atomic_init(&c->refs, 1);
    atomic_init(&c->closed, false);
    c->srv = srv;
    c->id = ++srv->next_client_id;
    c->listener = l;
    c->peer_uid = cred.uid;
    c->ident.uid = cred.uid;
    c->ident.gid = cred.gid;
    c->ident.pid = cred.pid;
    /* now, while the peer surely runs: later its pid may name another */
    if (l->opts.remote || mv_process_start_time(cred.pid, &c->ident.start_time) < 0)
        c->ident.start_time = 0;
    c->ident.remote = l->opts.remote;
    c->ident.readonly = l->opts.readonly;
    atomic_init(&c->authenticated, l->opts.auth == MV_AUTH_METHOD_NONE);
    c->reader.max = MV_CLIENT_PREAUTH_PACKET_MAX;
    sd_event_now(srv->event, CLOCK_MONOTONIC, &c->last_rx_usec);
    r = sd_event_add_io(srv->event, &c->io, fd, EPOLLIN, client_io, c);
    if (r < 0) {
        free(c);
        return r;
    }
    c->fd = TAKE_FD(fd);
    if (l->opts.remote && (r = mv_client_remote_init(c, l)) < 0) {
        c->io = sd_event_source_disable_unref(c->io);
        mv_client_remote_close(c);
        close(c->fd);
        client_free(c);
        return r;
    }
    c->next = srv->clients;
    if (srv->clients)
        srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
    if (l->opts.readonly)
        srv->nclients_ro++;
    mv_debug("client %lu connected: pid %d uid %u%s", c->id, (int)cred.pid,
             (unsigned)cred.uid, l->opts.readonly ? " (read-only)" : "");
    return 0;
}

int mv_client_send_msg(struct mv_client *c, struct mv_msg *m)
{
    if (atomic_load(&c->closed)) {
        mv_msg_free(m);
        return -ENOTCONN;
    }
    mv_server_post(c->srv, c, m, MV_OUT_EVENT);
    return 0;
}

/* ---- the forwarder's side ---- */

const struct mv_identity *mv_client_identity(const struct mv_client *c)
{
    return &c->ident;
}

unsigned long mv_client_id(const struct mv_client *c)
{
    return c->id;
}

/* A forwarded packet is written at once when nothing waits before it:
 * the proxy's hop then costs no extra loop iteration and no epoll change.
 * A failed write is left to the socket's handler, which sees it again. */
static void forward_queue(struct mv_client *c, struct mv_msg *m)
{
    if (!c->tx_head && !atomic_load(&c->closed) && mv_client_write_msg(c, m) == 1) {
        mv_msg_free(m);
        mv_client_update_events(c);
        return;
    }
    if (is_event(m))
        mv_client_queue_event(c, m);
    else
        mv_client_queue_tx(c, m);
}

void mv_client_forward_reply(struct mv_client *c, struct mv_msg *reply)
{
    c->inflight--;
    if (reply)
        forward_queue(c, reply);
    else if (!atomic_load(&c->closed))
        mv_client_reply_lost(c, "no reply could be made for a forwarded call, not even an error");
}

bool mv_client_forward_packet(struct mv_client *c, struct mv_msg *m)
{
    forward_queue(c, m);
    return !atomic_load(&c->closed);
}

bool mv_client_output_full(struct mv_client *c)
{
    if (c->tx_bytes < MV_CLIENT_TX_BACKLOG_MAX)
        return false;
    c->fwd_want_drained = true;
    return true;
}

void mv_client_hold_input(struct mv_client *c, bool hold)
{
    if (c->fwd_held == hold)
        return;
    c->fwd_held = hold;
    mv_client_update_events(c);
}
