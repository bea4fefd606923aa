/*
 * A byte layer between a client's socket and its packets: TLS (tls.h) or a
 * SASL security layer (sasl.h).  A client without one reads and writes its
 * socket directly (message.h); a client with one goes through these ops, so
 * the framing, limits and queues above are the same for every transport.
 * One layer per connection: SASL over TLS negotiates no layer of its own
 * (TLS already protects the bytes).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "message.h"

struct mv_transport_ops {
    /* Reads up to N bytes into BUF: >0 bytes read, 0 = end of file,
     * -EAGAIN = nothing now (wait for the socket), -EBADMSG / -EPROTO for
     * a peer that broke the layer's rules, other -errno. */
    ssize_t (*recv)(void *ctx, void *buf, size_t n);
    /* Writes up to N bytes of BUF: >0 bytes taken, -EAGAIN = the socket is
     * full (call again, when it is writable, with the SAME BUF and N: TLS
     * requires it), other -errno. */
    ssize_t (*send)(void *ctx, const void *buf, size_t n);
    /* Bytes the layer already holds decoded: readable now although the
     * socket may never become readable again for them. */
    size_t (*pending)(void *ctx);
    /* Frees CTX (the socket is not closed: its owner closes it). */
    void (*free)(void *ctx);
};

struct mv_transport {
    const struct mv_transport_ops *ops;
    void *ctx;
};

/* Writes as much of M as the layer takes: 1 = all written, 0 = would block
 * (call again with the same M when writable), -errno. */
int mv_transport_write_msg(struct mv_transport *t, struct mv_msg *m);
/* mv_frame_read() through T: 1 = *out holds a packet, 0 = would block,
 * -ECONNRESET on end of file, -EBADMSG (*why set), -ENOBUFS, -errno. */
int mv_transport_read_msg(struct mv_transport *t, struct mv_frame_reader *r, struct mv_msg **out,
                          const char **why);
/* Frees T's layer (NULL ok) and clears T. */
void mv_transport_clear(struct mv_transport *t);
