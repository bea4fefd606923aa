#define MV_LOG_MODULE "rpc.message"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "keepalive_protocol.h"
#include "message.h"

#define MSG_INITIAL_CAP 4096

bool_t mv_xdr_void(XDR *xdrs, void *unused)
{
    return TRUE;
}

struct mv_msg *mv_msg_new(void)
{
    struct mv_msg *m = calloc(1, sizeof(*m));
    return m;
}

int mv_msg_error_packet(const struct mv_message_header *hdr, int type, const struct mv_err *err,
                        struct mv_msg **ret)
{
    struct mv_message_header h = *hdr;
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    mv_error wire;
    int r;

    if (!m)
        return -ENOMEM;
    h.type = type;
    h.status = MV_ERROR;
    mv_err_to_wire(err, &wire);
    if ((r = mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_error, &wire)) < 0)
        return r;
    *ret = TAKE_PTR(m);
    return 0;
}

struct mv_msg *mv_keepalive_packet(int proc)
{
    const struct mv_message_header h = {
        .prog = MV_KEEPALIVE_PROGRAM, .vers = MV_KEEPALIVE_VERSION, .proc = proc,
        .type = MV_MESSAGE, .serial = 0, .status = MV_OK,
    };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    if (!m || mv_msg_encode(m, &h, NULL, NULL) < 0)
        return NULL;
    return TAKE_PTR(m);
}

struct mv_msg *mv_msg_dup(const struct mv_msg *m)
{
    _cleanup_msg_ struct mv_msg *copy = mv_msg_new();

    if (!copy || !(copy->buf = malloc(m->len ? m->len : 1)))
        return NULL;
    memcpy(copy->buf, m->buf, m->len);
    copy->hdr = m->hdr;
    copy->len = copy->cap = m->len;
    copy->payload_off = m->payload_off;
    return TAKE_PTR(copy);
}

void mv_msg_free(struct mv_msg *m)
{
    if (!m)
        return;
    for (unsigned int i = 0; i < m->nfds; i++)
        if (m->fds[i] >= 0)
            close(m->fds[i]);
    free(m->buf);
    free(m);
}

static int msg_reserve(struct mv_msg *m, size_t need)
{
    size_t cap = m->cap ? m->cap : MSG_INITIAL_CAP;
    char *nbuf;

    if (need <= m->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    nbuf = realloc(m->buf, cap);
    if (!nbuf)
        return -ENOMEM;
    m->buf = nbuf;
    m->cap = cap;
    return 0;
}

/* The reader sizes its buffer itself (by the packet and its budget). */
static int reserve_exact(struct mv_msg *m, size_t cap)
{
    char *nbuf = realloc(m->buf, cap);

    if (!nbuf)
        return -ENOMEM;
    m->buf = nbuf;
    m->cap = cap;
    return 0;
}

static void put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t get_be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* XDR-encodes header (and payload) at offset 4; retries with a bigger buffer
 * until it fits or the protocol maximum is reached. */
static int encode_body(struct mv_msg *m, const struct mv_message_header *hdr,
                       xdrproc_t filter, const void *data, size_t *body)
{
    size_t cap = MSG_INITIAL_CAP;

    for (;;) {
        XDR xdr;
        bool ok;
        int r = msg_reserve(m, cap);

        if (r < 0)
            return r;
        xdrmem_create(&xdr, m->buf + MV_MESSAGE_LEN_SIZE,
                      (u_int)(m->cap - MV_MESSAGE_LEN_SIZE), XDR_ENCODE);
        ok = xdr_mv_message_header(&xdr, (mv_message_header *)hdr) &&
             (!filter || filter(&xdr, (void *)data));
        *body = xdr_getpos(&xdr);
        xdr_destroy(&xdr);
        if (ok)
            return 0;
        if (m->cap - MV_MESSAGE_LEN_SIZE >= MV_MESSAGE_MAX)
            return -EMSGSIZE;   /* or the filter rejected the data: same answer */
        cap = m->cap * 2;
        if (cap > MV_MESSAGE_MAX + MV_MESSAGE_LEN_SIZE)
            cap = MV_MESSAGE_MAX + MV_MESSAGE_LEN_SIZE;
    }
}

int mv_msg_encode(struct mv_msg *m, const struct mv_message_header *hdr,
                  xdrproc_t filter, const void *data)
{
    size_t body = 0;
    int r = encode_body(m, hdr, filter, data, &body);

    if (r < 0)
        return r;
    if (body > MV_MESSAGE_MAX)
        return -EMSGSIZE;
    put_be32(m->buf, (uint32_t)(body + MV_MESSAGE_LEN_SIZE));
    m->hdr = *hdr;
    m->len = body + MV_MESSAGE_LEN_SIZE;
    m->payload_off = MV_MESSAGE_LEN_SIZE + MV_MESSAGE_HEADER_SIZE;
    m->off = 0;
    return 0;
}

int mv_msg_encode_raw(struct mv_msg *m, const struct mv_message_header *hdr,
                      const void *data, size_t len)
{
    int r;

    if (len > MV_MESSAGE_PAYLOAD_MAX)
        return -EMSGSIZE;
    r = mv_msg_encode(m, hdr, NULL, NULL);
    if (r < 0)
        return r;
    r = msg_reserve(m, m->len + len);
    if (r < 0)
        return r;
    if (len)
        memcpy(m->buf + m->len, data, len);
    m->len += len;
    put_be32(m->buf, (uint32_t)m->len);
    return 0;
}

int mv_msg_decode_header(struct mv_msg *m)
{
    XDR xdr;
    bool ok;

    if (m->len < MV_MESSAGE_LEN_SIZE + MV_MESSAGE_HEADER_SIZE)
        return -EBADMSG;
    xdrmem_create(&xdr, m->buf + MV_MESSAGE_LEN_SIZE, MV_MESSAGE_HEADER_SIZE, XDR_DECODE);
    ok = xdr_mv_message_header(&xdr, &m->hdr);
    xdr_destroy(&xdr);
    if (!ok)
        return -EBADMSG;
    m->payload_off = MV_MESSAGE_LEN_SIZE + MV_MESSAGE_HEADER_SIZE;
    return 0;
}

int mv_msg_decode_payload(const struct mv_msg *m, xdrproc_t filter, void *data)
{
    XDR xdr;
    size_t avail = m->len - m->payload_off;
    bool ok;

    xdrmem_create(&xdr, m->buf + m->payload_off, (u_int)avail, XDR_DECODE);
    ok = filter(&xdr, data) && xdr_getpos(&xdr) == avail;
    xdr_destroy(&xdr);
    if (!ok) {
        xdr_free(filter, data);
        return -EBADMSG;
    }
    return 0;
}

void mv_frame_reader_reset(struct mv_frame_reader *r)
{
    mv_msg_free(r->msg);
    r->msg = NULL;
    r->want = 0;
}

size_t mv_frame_reader_held(const struct mv_frame_reader *r)
{
    return r->msg ? r->msg->cap : 0;
}

bool mv_frame_reader_partial(const struct mv_frame_reader *r)
{
    return r->msg && r->msg->len > 0;
}

bool mv_frame_reader_wants_growth(const struct mv_frame_reader *r)
{
    return r->msg && r->msg->len == r->msg->cap && r->msg->cap >= MSG_INITIAL_CAP &&
           r->msg->len < r->want;
}

int mv_frame_reader_space(struct mv_frame_reader *r, void **ptr, size_t *count)
{
    size_t room;
    int ret;

    if (!r->msg) {
        r->msg = mv_msg_new();
        if (!r->msg)
            return -ENOMEM;
        r->want = MV_MESSAGE_LEN_SIZE;
    }
    if (r->msg->len == r->msg->cap) {
        /* grow by what arrived so far (doubling), never past the packet */
        size_t next = r->msg->cap ? r->msg->cap * 2 : MSG_INITIAL_CAP;
        /* the first 4 KiB at once: a small packet then takes one read after
         * its length word, not one per doubling from 4 bytes; a trusted
         * peer's packet all at once */
        if (next < MSG_INITIAL_CAP)
            next = MSG_INITIAL_CAP;
        if (r->whole && r->want > MV_MESSAGE_LEN_SIZE)
            next = r->want;
        if (next > r->want)
            next = r->want;
        if (next < MV_MESSAGE_LEN_SIZE)
            next = MV_MESSAGE_LEN_SIZE;
        if (r->grow_limit && next > r->grow_limit && next > MSG_INITIAL_CAP) {
            size_t lim = r->grow_limit > MSG_INITIAL_CAP ? r->grow_limit : MSG_INITIAL_CAP;

            if (lim <= r->msg->cap)
                return -ENOBUFS;
            next = lim;
        }
        ret = reserve_exact(r->msg, next);
        if (ret < 0)
            return ret;
    }
    room = r->msg->cap - r->msg->len;
    if (room > r->want - r->msg->len)
        room = r->want - r->msg->len;
    *ptr = r->msg->buf + r->msg->len;
    *count = room;
    return 0;
}

int mv_frame_reader_advance(struct mv_frame_reader *r, size_t n, const char **why)
{
    struct mv_msg *m = r->msg;

    m->len += n;
    if (m->len < r->want)
        return MV_FRAME_MORE;
    if (r->want == MV_MESSAGE_LEN_SIZE) {
        uint32_t total = get_be32(m->buf);

        if (total < MV_MESSAGE_LEN_SIZE + MV_MESSAGE_HEADER_SIZE) {
            *why = "packet length is smaller than the header";
            return -EBADMSG;
        }
        if (total - MV_MESSAGE_LEN_SIZE > MV_MESSAGE_MAX) {
            *why = "packet length exceeds the 32 MiB maximum";
            return -EBADMSG;
        }
        if (r->max && total - MV_MESSAGE_LEN_SIZE > r->max) {
            *why = r->max_why ? r->max_why : "packet length exceeds the connection's limit";
            return -EBADMSG;
        }
        r->want = total;
        return MV_FRAME_MORE;
    }
    if (mv_msg_decode_header(m) < 0) {
        *why = "packet header cannot be decoded";
        return -EBADMSG;
    }
    return MV_FRAME_DONE;
}

struct mv_msg *mv_frame_reader_take(struct mv_frame_reader *r)
{
    struct mv_msg *m = r->msg;

    r->msg = NULL;
    r->want = 0;
    return m;
}
