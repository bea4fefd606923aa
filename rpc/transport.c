/*
 * Packets through a byte layer (transport.h), a bare socket being the
 * layer that adds nothing: one loop for writing a packet and one for
 * reading, whatever carries the bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "transport.h"

static ssize_t socket_recv(void *ctx, void *buf, size_t n)
{
    ssize_t r = recv(*(int *)ctx, buf, n, 0);

    return r < 0 ? -errno : r;      /* EWOULDBLOCK is EAGAIN on Linux */
}

static ssize_t socket_send(void *ctx, const void *buf, size_t n)
{
    ssize_t r = send(*(int *)ctx, buf, n, MSG_NOSIGNAL);

    return r < 0 ? -errno : r;
}

static size_t socket_pending(void *ctx)
{
    return 0;       /* the kernel's buffer: epoll sees it */
}

static const struct mv_transport_ops socket_ops = {
    .recv = socket_recv, .send = socket_send, .pending = socket_pending,
};

int mv_msg_write(int fd, struct mv_msg *m)
{
    struct mv_transport t = { &socket_ops, &fd };

    return mv_transport_write_msg(&t, m);
}

int mv_frame_read(int fd, struct mv_frame_reader *r, struct mv_msg **out, const char **why)
{
    struct mv_transport t = { &socket_ops, &fd };

    return mv_transport_read_msg(&t, r, out, why);
}

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
