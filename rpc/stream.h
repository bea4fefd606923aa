/*
 * Server-side streams (wire-protocol.md section 7): a call of a stream
 * procedure (e.g. DOMAIN_OPEN_CONSOLE) that succeeds opens a stream keyed by
 * that call's serial.  Afterwards STREAM packets flow both ways with the
 * call's proc and serial until a finish, an abort or an error ends it.
 *
 * Threading: every function here and every callback runs on the server's
 * event loop thread (stream procedures are annotated inline in remote_protocol.x).
 * Ownership: the server owns the mv_stream; the driver owns OPAQUE and
 * releases it in ops->release, after which the stream pointer is dead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server.h"

struct mv_stream;

/* MV_STREAM_CHUNK_MAX (wire_protocol.x, via server.h): the largest data
 * payload per STREAM packet, libvirt's legacy payload max. */

struct mv_stream_ops {
    /* Data from the client (a CONTINUE packet), LEN > 0.  Returns how many
     * bytes the sink took (1..LEN), -EAGAIN (or 0) when it can take none
     * now, or <0 to fail the stream (after mv_stream_fail() with that
     * error; without it the client gets a generic I/O error).  Never block:
     * when fewer than LEN bytes were taken the stream keeps the rest and
     * stops reading this client's socket (its other calls wait too; other
     * clients are not affected) until the sink calls mv_stream_resume(),
     * which offers the rest again.  So a sink needs no buffer of its own:
     * a non-blocking write(2) and a writable watch are enough. */
    ssize_t (*recv)(struct mv_stream *st, const void *data, size_t len, void *opaque);
    /* A hole from the client (a STREAM_HOLE packet, only on a stream made
     * sparse with mv_stream_set_sparse()): the next LENGTH (>= 0) bytes of
     * the stream are zeros.  Delivered in order with the data.  0 when
     * done; -EAGAIN when the sink cannot take it now (the packet is held
     * and offered again after mv_stream_resume(), as for recv); <0 to fail
     * the stream.  NULL on a sparse stream fails it at the first hole. */
    int (*hole)(struct mv_stream *st, int64_t length, void *opaque);
    /* The client finished (ABORT false) or aborted (true); the server
     * confirms with STREAM/OK after this returns and then releases.  A
     * finish that fails calls mv_stream_fail(): the client gets that error.
     * A finish that needs slow work (flushing an upload on another thread)
     * calls mv_stream_defer_finish() and confirms later. */
    void (*finish)(struct mv_stream *st, bool abort, void *opaque);
    /* The stream is over for any reason (finish, abort, error, client gone):
     * stop using ST and free OPAQUE.  Called exactly once. */
    void (*release)(void *opaque);
    /* Optional: the client's backlog drained below the limit again after
     * mv_stream_send() returned -EAGAIN; resume reading the source. */
    void (*writable)(struct mv_stream *st, void *opaque);
};

/* In an inline handler of a stream procedure, once per call: the call's
 * successful reply opens a stream with OPS/OPAQUE.  If the handler then
 * fails, or the reply cannot be sent, release() is called and no stream
 * exists.  Returns the stream, or NULL (release() has been called then) if
 * out of memory, or with the call's error set if the handler is not inline
 * or a stream with this serial is already open. */
struct mv_stream *mv_call_open_stream(struct mv_call *call, const struct mv_stream_ops *ops, void *opaque);

/* The opening call carried its procedure's sparse flag
 * (wire-protocol.md 7.3): holes may flow both ways.  On a stream without
 * it a hole from the client is a protocol error that closes the connection,
 * as in libvirt.  Call it in the opening handler, after
 * mv_call_open_stream(). */
void mv_stream_set_sparse(struct mv_stream *st);

/* Sends LEN bytes as CONTINUE packets of at most MV_STREAM_CHUNK_MAX.
 * 0; -EAGAIN if the data was queued but the client's backlog is now over the
 * limit (stop reading the source until ops->writable); -EPIPE if the stream
 * is over or EOF was sent; -ENOTCONN before the opening call is answered
 * (inside its handler); -ENOMEM with nothing queued. */
int mv_stream_send(struct mv_stream *st, const void *data, size_t len);

/* Sends a hole of LENGTH (> 0) bytes (one STREAM_HOLE packet) on a sparse
 * stream, in order with the data.  0; -EAGAIN as for mv_stream_send();
 * -EINVAL if the stream is not sparse or LENGTH is not positive; -EPIPE,
 * -ENOTCONN, -ENOMEM as for mv_stream_send(). */
int mv_stream_send_hole(struct mv_stream *st, int64_t length);

/* The sink can take data again after ops->recv took less than it was
 * offered: the rest of the held packet is offered again from the event
 * loop (never from inside this call, so it may be called anywhere on the
 * loop thread, ops->recv included), and once all of it is taken the
 * client's socket is read again.  No-op when nothing is held or the stream
 * is over.  Event loop thread only (a worker posts to the loop first). */
void mv_stream_resume(struct mv_stream *st);

/* Sends end-of-file (an empty CONTINUE): the source is exhausted or hung up.
 * The stream stays open for the client's finish; no data may follow. */
int mv_stream_send_eof(struct mv_stream *st);

/* Ends the stream with STREAM/ERROR carrying this error; release() follows
 * (after the running callback returns, if called from one).  Inside the
 * opening handler it fails the call instead.  No-op on an ended stream. */
void mv_stream_fail(struct mv_stream *st, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Inside ops->finish: do not confirm when it returns; the driver calls
 * mv_stream_finish_done() (or mv_stream_fail()) later, from the loop.
 * Meanwhile stream packets from the client are dropped: it waits for the
 * confirmation. */
void mv_stream_defer_finish(struct mv_stream *st);

/* Confirms a deferred finish with STREAM/OK and ends the stream (release()
 * follows).  No-op on an ended stream or one whose finish was not deferred. */
void mv_stream_finish_done(struct mv_stream *st);

/* The client the stream belongs to (borrowed). */
struct mv_client *mv_stream_client(struct mv_stream *st);
