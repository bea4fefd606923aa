/*
 * Server-side streams (wire-protocol.md section 7): a call of a stream
 * procedure (e.g. DOMAIN_OPEN_CONSOLE) that succeeds opens a stream keyed by
 * that call's serial.  Afterwards STREAM packets flow both ways with the
 * call's proc and serial until a finish, an abort or an error ends it.
 *
 * Threading: every function here and every callback runs on the server's
 * event loop thread (stream procedures are dispatched MV_DISPATCH_INLINE).
 * Ownership: the server owns the mv_stream; the driver owns OPAQUE and
 * releases it in ops->release, after which the stream pointer is dead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "server.h"

struct mv_stream;

/* Largest data payload per STREAM packet (libvirt's legacy payload max). */
#define MV_STREAM_CHUNK_MAX 262120

struct mv_stream_ops {
    /* Data from the client (a CONTINUE packet).  0, or <0 after
     * mv_stream_fail() to end the stream with that error. */
    int (*recv)(struct mv_stream *st, const void *data, size_t len, void *opaque);
    /* The client finished (ABORT false) or aborted (true); the server
     * confirms with STREAM/OK after this returns and then releases. */
    void (*finish)(struct mv_stream *st, bool abort, void *opaque);
    /* The stream is over for any reason (finish, abort, error, client gone):
     * stop using ST and free OPAQUE.  Called exactly once. */
    void (*release)(void *opaque);
    /* Optional: the client's backlog drained below the limit again after
     * mv_stream_send() returned -EAGAIN; resume reading the source. */
    void (*writable)(struct mv_stream *st, void *opaque);
};

/* In an inline handler of a stream procedure: the call's successful reply
 * opens a stream with OPS/OPAQUE.  If the handler then fails, or the reply
 * cannot be sent, release() is called and no stream exists.  Returns the
 * stream, or NULL if out of memory (release() has been called then). */
struct mv_stream *mv_call_open_stream(struct mv_call *call, const struct mv_stream_ops *ops, void *opaque);

/* Sends LEN bytes as CONTINUE packets of at most MV_STREAM_CHUNK_MAX.
 * 0; -EAGAIN if the data was queued but the client's backlog is now over the
 * limit (stop reading the source until ops->writable); -EPIPE if the stream
 * is over. */
int mv_stream_send(struct mv_stream *st, const void *data, size_t len);

/* Sends end-of-file (an empty CONTINUE): the source is exhausted or hung up. */
int mv_stream_send_eof(struct mv_stream *st);

/* Ends the stream with STREAM/ERROR carrying this error; release() follows. */
void mv_stream_fail(struct mv_stream *st, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The client the stream belongs to (borrowed). */
struct mv_client *mv_stream_client(struct mv_stream *st);
