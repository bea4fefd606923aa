/*
 * One leg: a non-blocking connection from the proxy to one daemon's
 * socket on behalf of one client.  It performs the handshake (AUTH_LIST,
 * keepalive, CONNECT_OPEN, CONNECT_SET_IDENTITY), holds the client's calls
 * until that is done (a refusal, CONNECT_SET_IDENTITY's included, kills the
 * leg), remaps serials (the leg counts its own), answers the
 * daemon's PINGs, probes a daemon that stays silent while calls wait, and
 * reports its death once, with every call it still owed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "message.h"
#include "proxyd.h"
#include "remote_protocol.h"

struct upstream_ops {
    /* A REPLY (taken) to pending call P, its serial already P's client
     * serial (for the proxy's own calls: the leg's). */
    void (*reply)(struct upstream *u, struct mv_msg *m, const struct proxy_pending *p, void *opaque);
    /* Any other packet of the remote program (STREAM, STREAM_HOLE, MESSAGE;
     * taken), with the leg's serial. */
    void (*packet)(struct upstream *u, struct mv_msg *m, void *opaque);
    /* The leg died: called for each call it still owed (P), then dead()
     * once.  CODE and WHY say what happened ("modvirt-netd is not answering
     * (socket ...)").  No callback follows dead(). */
    void (*fail)(struct upstream *u, const struct proxy_pending *p, int code, const char *why,
                 void *opaque);
    void (*dead)(struct upstream *u, int code, const char *why, void *opaque);
    /* The bytes queued for the daemon fell below half of
     * MV_PROXY_LEG_TX_MAX after they had reached it. */
    void (*tx_drained)(struct upstream *u, void *opaque);
    /* The handshake is done (the identity is in place); may be NULL. */
    void (*ready)(struct upstream *u, void *opaque);
    /* The leg is freed (its last reference dropped, after any callback):
     * the leg's hold on OPAQUE ends.  Only for a leg upstream_new returned;
     * may be NULL. */
    void (*release)(void *opaque);
};

struct upstream_spec {
    const char *daemon;                 /* "netd": messages name modvirt-netd */
    const char *path;                   /* the socket (rw or ro) */
    bool readonly;                      /* CONNECT_OPEN with VIR_CONNECT_RO */
    const mv_connect_set_identity_args *identity;   /* the client's, sent after CONNECT_OPEN */
    unsigned int timeout;               /* seconds: handshake, probes */
};

/* Connects to SPEC->path and starts the handshake.  -errno if the connect
 * fails at once (-ENOENT, -ECONNREFUSED: the daemon is not running). */
int upstream_new(sd_event *ev, const struct upstream_spec *spec, const struct upstream_ops *ops,
                 void *opaque, struct upstream **ret);
/* Closes the leg without callbacks (the client went away, or it is dead
 * already) and drops the caller's reference. */
void upstream_close(struct upstream *u);
/* Forwards a client's CALL (taken): its serial becomes the leg's; the
 * reply comes back through ops->reply with the client's serial.  Held
 * until the handshake is done.  -ENOBUFS when the pending table is full,
 * -ENOMEM; REQ is untouched (not taken) then. */
int upstream_call(struct upstream *u, struct mv_msg *req, unsigned int flags);
/* The leg serial the next upstream_call() will give its call. */
uint32_t upstream_next_serial(const struct upstream *u);
/* Sends the proxy's own CALL (taken, freed on failure too; an event
 * re-registration), with a serial of the leg's: its reply comes to
 * ops->reply with P->own set and P->token = TOKEN.  After the handshake
 * like the client's calls.  0, -ENOBUFS. */
int upstream_call_own(struct upstream *u, struct mv_msg *call, int token);
/* Sends a packet that is no call (stream data from the client; taken),
 * after the handshake like the calls. */
void upstream_send(struct upstream *u, struct mv_msg *m);
/* Bytes queued for the daemon, held calls included. */
size_t upstream_tx_bytes(const struct upstream *u);
/* HOLD true: the daemon's socket is not read (the client's output is full). */
void upstream_hold_input(struct upstream *u, bool hold);
/* "netd" and the socket path, for messages. */
const char *upstream_daemon(const struct upstream *u);
const char *upstream_path(const struct upstream *u);

/* Rewrites the serial of packet M in place (header and wire bytes). */
void proxy_msg_set_serial(struct mv_msg *m, uint32_t serial);
