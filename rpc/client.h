/*
 * The client end of one RPC connection: synchronous calls that any number of
 * threads may have in flight at once, matched to their replies by serial,
 * plus the asynchronous traffic (keepalive, events) that arrives between.
 *
 * Threading: there is no I/O thread.  Whichever caller finds the socket idle
 * becomes the reader/writer for everybody until its own reply arrives, then
 * hands the role to the next waiter (libvirt's "passing the buck").  Event
 * callbacks run on a thread inside mv_rpc_client_call() or
 * mv_rpc_client_process() after it gave up that role and with no lock held,
 * so a callback may itself make calls on the same connection.
 *
 * Ownership: the caller owns the mv_rpc_client and frees it once no call is
 * in flight.  Functions return 0 or -errno; failures that the caller will
 * show a user also fill a struct mv_err.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "message.h"

struct mv_rpc_client;

/* Receives a remote-program MESSAGE packet (an event); MSG is only valid
 * during the call, decode it with mv_msg_decode_payload(). */
typedef void (*mv_rpc_event_fn)(struct mv_rpc_client *c, int proc,
                                 const struct mv_msg *msg, void *opaque);

/* Most events kept for delivery while a caller is busy reading; later ones
 * are dropped (an event consumer that falls this far behind has lost anyway). */
#define MV_RPC_CLIENT_EVENTS_MAX 1024

/* Connects to the unix socket PATH.  On failure -errno and ERR names the path
 * and the cause ("cannot connect to 'P': No such file or directory — is
 * modvirt-qemud running?"). */
int mv_rpc_client_connect_unix(const char *path, struct mv_rpc_client **ret, struct mv_err *err);

/* Wraps an already connected stream socket FD, which it owns from now on
 * (also on failure).  NAME (may be NULL) names the peer in error messages. */
int mv_rpc_client_new_fd(int fd, const char *name, struct mv_rpc_client **ret);

/* Closes the socket and frees C; no call may be in flight.  NULL is fine. */
void mv_rpc_client_free(struct mv_rpc_client *c);
static inline void mv_rpc_client_freep(struct mv_rpc_client **c) { mv_rpc_client_free(*c); }
#define _cleanup_rpc_client_ __attribute__((cleanup(mv_rpc_client_freep)))

/* Calls PROC of program PROG (version 1, like every libvirt program) with
 * ARGS through ARGS_FILTER and decodes the reply into RET (zeroed first; the
 * caller xdr_free()s it on success).  A NULL filter means a void side.
 * Returns 0; -EIO with ERR set from the daemon's error reply; -ETIMEDOUT
 * after the connection's timeout; -ECONNRESET if the connection is lost or
 * was already dead; -EPROTO if the peer broke the protocol (the connection
 * is dead then); -EBADMSG if just this reply cannot be decoded; -EMSGSIZE /
 * -EINVAL if the arguments cannot be encoded.  ERR is set on every failure. */
int mv_rpc_client_call(struct mv_rpc_client *c, unsigned int prog, int proc,
                       xdrproc_t args_filter, const void *args,
                       xdrproc_t ret_filter, void *ret, struct mv_err *err);

/* Same with its own timeout: TIMEOUT_MS < 0 waits forever. */
int mv_rpc_client_call_timeout(struct mv_rpc_client *c, unsigned int prog, int proc,
                               xdrproc_t args_filter, const void *args,
                               xdrproc_t ret_filter, void *ret,
                               int timeout_ms, struct mv_err *err);

/* Timeout for later mv_rpc_client_call()s; < 0 (the default) waits forever.
 * A reply that comes after its call timed out is dropped. */
void mv_rpc_client_set_timeout(struct mv_rpc_client *c, int timeout_ms);

/* Registers FN for events (replaces an earlier one; NULL drops events). */
void mv_rpc_client_set_event_handler(struct mv_rpc_client *c, mv_rpc_event_fn fn, void *opaque);

/* The socket, for poll() in an event loop; do not read or write it. */
int mv_rpc_client_fd(const struct mv_rpc_client *c);

/* Reads what the peer sent (answering PINGs) and delivers pending events
 * and stream data, waiting up to TIMEOUT_MS (< 0: forever; 0 only looks) for
 * at least one packet.  While another thread's call is reading it only waits
 * for that thread to queue them.  Returns the number of callbacks run, or
 * -ECONNRESET/-EPROTO once the connection is dead. */
int mv_rpc_client_process(struct mv_rpc_client *c, int timeout_ms);

/* False once the connection was lost or killed for a protocol error. */
bool mv_rpc_client_is_alive(struct mv_rpc_client *c);

/*
 * Streams (wire-protocol.md section 7): a call of a stream procedure that
 * succeeds opens a stream; data then flows both ways as STREAM packets until
 * the caller finishes or aborts it.  Received data is handed to the stream's
 * callback; up to 4 MiB of it may wait for delivery, beyond that the socket
 * is not read until the application takes it (calls, sends and
 * mv_rpc_client_process() deliver).  One thread at a time may send on,
 * finish or abort a stream; the callback may do so from inside.  The caller
 * owns the stream until finish/abort frees it; streams left open when C is
 * freed are freed with it.
 */
struct mv_rpc_stream;

/* Data from the server: DATA/LEN (LEN > 0), end of file (DATA NULL, LEN 0, ERR NULL) or a stream
 * error (ERR set).  Runs like event callbacks (a thread inside mv_rpc_client_* with no lock held). */
typedef void (*mv_rpc_stream_fn)(struct mv_rpc_stream *st, const void *data, size_t len,
                                 const struct mv_err *err, void *opaque);

/* Calls a stream procedure; on success *ST is the open stream (registered before the call is sent).
 * Returns like mv_rpc_client_call(); on failure no stream exists and *ST is untouched. */
int mv_rpc_client_call_stream(struct mv_rpc_client *c, unsigned int prog, int proc,
                              xdrproc_t args_filter, const void *args, xdrproc_t ret_filter, void *ret,
                              mv_rpc_stream_fn fn, void *opaque, struct mv_rpc_stream **st,
                              struct mv_err *err);

/* A hole from the server on a sparse stream: the next LENGTH (> 0) bytes of the stream are zeros.
 * Runs like mv_rpc_stream_fn, in order with the data. */
typedef void (*mv_rpc_stream_hole_fn)(struct mv_rpc_stream *st, int64_t length, void *opaque);

/* The same for a call that carries its procedure's sparse flag (wire-protocol.md 7.3): holes
 * from the server go to HOLE_FN, and mv_rpc_stream_send_hole() may be used.  A hole on a stream
 * opened without it is a protocol error that kills the connection, as in libvirt. */
int mv_rpc_client_call_stream_sparse(struct mv_rpc_client *c, unsigned int prog, int proc,
                                     xdrproc_t args_filter, const void *args,
                                     xdrproc_t ret_filter, void *ret, mv_rpc_stream_fn fn,
                                     mv_rpc_stream_hole_fn hole_fn, void *opaque,
                                     struct mv_rpc_stream **st, struct mv_err *err);

/* Sends LEN bytes as STREAM data packets of at most MV_STREAM_CHUNK_MAX and
 * returns once they are written to the socket.  0; -EIO with the stream's
 * error if it failed; -ETIMEDOUT after the connection's timeout (the data
 * stays queued); -ECONNRESET/-EPROTO if the connection is dead. */
int mv_rpc_stream_send(struct mv_rpc_stream *st, const void *data, size_t len, struct mv_err *err);

/* Sends a hole of LENGTH (> 0) bytes (one STREAM_HOLE packet) on a sparse stream, in order with
 * the data, and returns once it is written.  Returns like mv_rpc_stream_send(); -EINVAL if the
 * stream is not sparse or LENGTH is not positive. */
int mv_rpc_stream_send_hole(struct mv_rpc_stream *st, int64_t length, struct mv_err *err);

/* Sends finish (STREAM/OK) and waits for the server's confirmation (or its error); frees ST.
 * A stream that had already failed returns -EIO with that error. */
int mv_rpc_stream_finish(struct mv_rpc_stream *st, struct mv_err *err);

/* Sends abort (STREAM/ERROR, empty) and waits for the confirmation; frees ST.
 * A stream that had already failed is just freed (0). */
int mv_rpc_stream_abort(struct mv_rpc_stream *st, struct mv_err *err);
