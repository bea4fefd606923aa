/*
 * One RPC packet: the length word, the 24-byte header and the XDR payload,
 * kept as the bytes that travel on the wire.  Encoding and decoding go
 * through the rpcgen filters generated from the .x files; nothing here
 * marshals XDR by hand except the 4-byte length word and fd count.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire_protocol.h"

struct mv_msg {
    struct mv_message_header hdr;
    char *buf;              /* the whole packet, length word included */
    size_t len;             /* bytes of buf in use */
    size_t cap;             /* bytes allocated */
    size_t off;             /* tx: bytes written so far */
    size_t payload_off;     /* rx: where the payload starts (after header and fd count) */
    int fds[MV_MESSAGE_NUM_FDS_MAX];
    unsigned int nfds;
    struct mv_msg *next;    /* queue link, owned by whoever queues it */
};

/* The XDR filter of an empty payload ("void" in the .x files). */
bool_t mv_xdr_void(XDR *xdrs, void *unused);

/* A new empty packet; NULL on OOM. */
struct mv_msg *mv_msg_new(void);
/* A copy of packet M's bytes (for sending; fds are not copied); NULL on OOM. */
struct mv_msg *mv_msg_dup(const struct mv_msg *m);
/* Frees the packet and closes any fds it still holds; NULL is fine. */
void mv_msg_free(struct mv_msg *m);
static inline void mv_msg_freep(struct mv_msg **m) { mv_msg_free(*m); }
#define _cleanup_msg_ __attribute__((cleanup(mv_msg_freep)))

/* Encodes HDR then DATA through FILTER (NULL = empty payload).  -EMSGSIZE
 * if the packet would exceed MV_MESSAGE_MAX, -EINVAL if FILTER fails. */
int mv_msg_encode(struct mv_msg *m, const struct mv_message_header *hdr,
                  xdrproc_t filter, const void *data);
/* Encodes HDR followed by raw bytes (stream data is not XDR-wrapped). */
int mv_msg_encode_raw(struct mv_msg *m, const struct mv_message_header *hdr,
                      const void *data, size_t len);
struct mv_err;
/* A packet with HDR's prog/vers/proc/serial, type TYPE (a REPLY, or a
 * STREAM ending a stream), status ERROR and ERR as its payload: how a
 * daemon answers a failed call and a proxy a call it cannot pass on.
 * -ENOMEM, or mv_msg_encode's error (a message over the string limit). */
int mv_msg_error_packet(const struct mv_message_header *hdr, int type, const struct mv_err *err,
                        struct mv_msg **ret);
/* A keepalive MESSAGE (MV_KEEPALIVE_PROC_PING or _PONG); NULL if out of memory. */
struct mv_msg *mv_keepalive_packet(int proc);
/* Decodes the header of a complete received packet into m->hdr and sets
 * payload_off; -EBADMSG if it cannot be decoded. */
int mv_msg_decode_header(struct mv_msg *m);
/* Decodes the payload through FILTER into DATA (zeroed first).  -EBADMSG if
 * decoding fails or bytes are left over; DATA is freed again in that case. */
int mv_msg_decode_payload(const struct mv_msg *m, xdrproc_t filter, void *data);
/* The payload as raw bytes (stream data). */
static inline const char *mv_msg_payload(const struct mv_msg *m, size_t *len)
{
    *len = m->len - m->payload_off;
    return m->buf + m->payload_off;
}

/* Writes as much of the packet as the socket takes.  1 = all written,
 * 0 = would block (call again when writable), -errno on failure. */
int mv_msg_write(int fd, struct mv_msg *m);

/*
 * Incremental packet reader.  It never asks for bytes beyond the current
 * packet, so fds passed alongside a packet are never swallowed, and it
 * checks the length word against MV_MESSAGE_MAX before allocating for it.
 * Memory grows with the bytes that actually arrive, not with the claim.
 */
struct mv_frame_reader {
    struct mv_msg *msg;     /* packet being received, NULL between packets */
    size_t want;            /* bytes the current packet needs in total */
    /* a lower limit on the payload than MV_MESSAGE_MAX (0: none), with the
     * reason reported when a length word exceeds it */
    size_t max;
    const char *max_why;
    /* if not 0, the buffer may not grow beyond this many bytes for now
     * (a budget shared with other readers); the first 4 KiB always may */
    size_t grow_limit;
    /* the peer is trusted (a daemon, read by the proxy): the whole packet
     * is allocated once its length word is in, so a large reply takes no
     * read per doubling (grow_limit still applies) */
    bool whole;
};

enum mv_frame_status {
    MV_FRAME_MORE = 0,      /* need more bytes */
    MV_FRAME_DONE = 1,      /* a complete packet: take it */
};

/* Where the next bytes go and how many to read at most.  -ENOMEM on OOM,
 * -ENOBUFS if the buffer is full and grow_limit forbids growing it. */
int mv_frame_reader_space(struct mv_frame_reader *r, void **ptr, size_t *count);
/* Accounts N bytes stored at the space given.  Returns MV_FRAME_MORE,
 * MV_FRAME_DONE or -EBADMSG with *why set to a static reason. */
int mv_frame_reader_advance(struct mv_frame_reader *r, size_t n, const char **why);
/* Hands over the complete packet (header decoded). */
struct mv_msg *mv_frame_reader_take(struct mv_frame_reader *r);
void mv_frame_reader_reset(struct mv_frame_reader *r);
/* Bytes allocated for the packet being received (0 between packets). */
size_t mv_frame_reader_held(const struct mv_frame_reader *r);
/* True once some bytes of a packet arrived and it is not complete yet. */
bool mv_frame_reader_partial(const struct mv_frame_reader *r);
/* True if a partial packet needs its buffer grown past the first 4 KiB
 * (which grow_limit always grants) for its next bytes. */
bool mv_frame_reader_wants_growth(const struct mv_frame_reader *r);

/* Reads from FD until a packet is complete or the socket has no more.
 * 1 = *out holds a packet, 0 = would block, -ECONNRESET on EOF,
 * -EBADMSG on a malformed frame (*why set), -ENOBUFS when grow_limit stops
 * it (read again once the limit was raised), other -errno on failure. */
int mv_frame_read(int fd, struct mv_frame_reader *r, struct mv_msg **out, const char **why);
