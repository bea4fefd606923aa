/*
 * Packets through a byte layer (transport.h): the same framing as on a
 * bare socket (message.c), with the layer's recv/send in place of the
 * socket's.
 */
#include <errno.h>
#include <stdlib.h>

#include "transport.h"

int mv_transport_write_msg(struct mv_transport *t, struct mv_msg *m)
{
    while (m->off < m->len) {
        ssize_t n = t->ops->send(t->ctx, m->buf + m->off, m->len - m->off);

        if (n == -EINTR)
            continue;
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        m->off += (size_t)n;
    }
    return 1;
}

int mv_transport_read_msg(struct mv_transport *t, struct mv_frame_reader *r, struct mv_msg **out,
                          const char **why)
{
    for (;;) {
        void *ptr;
        size_t count;
        ssize_t n;
        int ret = mv_frame_reader_space(r, &ptr, &count);

        if (ret < 0)
            return ret;
        n = t->ops->recv(t->ctx, ptr, count);
        if (n == -EINTR)
            continue;
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -ECONNRESET;
        ret = mv_frame_reader_advance(r, (size_t)n, why);
        if (ret < 0)
            return ret;
        if (ret == MV_FRAME_DONE) {
            *out = mv_frame_reader_take(r);
            return 1;
        }
    }
}

void mv_transport_clear(struct mv_transport *t)
{
    if (t->ops && t->ops->free)
        t->ops->free(t->ctx);
    t->ops = NULL;
    t->ctx = NULL;
}
