/* A raw RPC client for unit tests (see rpc_harness.h). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "remote_protocol.h"
#include "rpc_harness.h"

int mv_test_dial(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

void mv_test_send_packet(int fd, int type, int status, int proc, unsigned serial, xdrproc_t filter,
                         const void *args)
{
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, proc, type, serial, status };
    struct mv_msg *m = mv_msg_new();

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(mv_msg_encode(m, &h, filter, args), 0);
    ck_assert_int_eq(send(fd, m->buf, m->len, MSG_NOSIGNAL), (ssize_t)m->len);
    mv_msg_free(m);
}

void mv_test_send_call(int fd, int proc, unsigned serial, xdrproc_t filter, const void *args)
{
    mv_test_send_packet(fd, MV_CALL, MV_OK, proc, serial, filter, args);
}

/* Reads until a whole packet (1), EOF (-1) or MS without data (0). */
static int recv_one(int fd, int ms, struct mv_msg **ret)
{
    struct mv_frame_reader r = { 0 };
    struct pollfd p = { .fd = fd, .events = POLLIN };

    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
        const char *why = NULL;
        int n;

        if (poll(&p, 1, ms) != 1) {
            mv_frame_reader_reset(&r);
            return 0;
        }
        n = mv_frame_read(fd, &r, ret, &why);
        if (n == 1)
            return 1;
        if (n < 0) {
            mv_frame_reader_reset(&r);
            return -1;
        }
    }
}

struct mv_msg *mv_test_recv_within(int fd, int ms)
{
    struct mv_msg *m = NULL;

    return recv_one(fd, ms, &m) == 1 ? m : NULL;
}

struct mv_msg *mv_test_recv(int fd)
{
    struct mv_msg *m = NULL;
    int r = recv_one(fd, 10000, &m);

    ck_assert_msg(r != 0, "no packet within 10 s");
    return r == 1 ? m : NULL;
}

/* ---- a server's loop in a thread of its own ---- */

void mv_test_loop_start(struct mv_test_loop *l, void *(*fn)(void *), void *arg)
{
    uint64_t v;

    l->joined = false;
    l->stop_efd = eventfd(0, EFD_CLOEXEC);
    l->ready_efd = eventfd(0, EFD_CLOEXEC);
    ck_assert_int_ge(l->stop_efd, 0);
    ck_assert_int_ge(l->ready_efd, 0);
    ck_assert_int_eq(pthread_create(&l->thread, NULL, fn, arg), 0);
    ck_assert_int_eq(read(l->ready_efd, &v, sizeof(v)), (ssize_t)sizeof(v));
}

static int on_stop(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    return sd_event_exit(sd_event_source_get_event(s), 0);
}

void mv_test_loop_ready(struct mv_test_loop *l, sd_event *ev)
{
    uint64_t one = 1;

    ck_assert_int_ge(sd_event_add_io(ev, NULL, l->stop_efd, EPOLLIN, on_stop, NULL), 0);
    ck_assert_int_eq(write(l->ready_efd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

void mv_test_loop_signal_stop(struct mv_test_loop *l)
{
    uint64_t one = 1;

    ck_assert_int_eq(write(l->stop_efd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

void mv_test_loop_join(struct mv_test_loop *l)
{
    if (l->joined)
        return;
    ck_assert_int_eq(pthread_join(l->thread, NULL), 0);
    l->joined = true;
}

void mv_test_loop_end(struct mv_test_loop *l)
{
    if (!l->joined) {
        mv_test_loop_signal_stop(l);
        mv_test_loop_join(l);
    }
    close(l->stop_efd);
    close(l->ready_efd);
}

/* ---- a loop the test itself steps ---- */

struct mv_msg *mv_test_recv_stepping(int fd, sd_event *ev)
{
    struct mv_frame_reader r = { 0 };

    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    for (int i = 0; i < 1000; i++) {
        struct mv_msg *m = NULL;
        const char *why = NULL;
        int ret = mv_frame_read(fd, &r, &m, &why);

        if (ret == 1)
            return m;
        if (ret < 0) {
            mv_frame_reader_reset(&r);
            return NULL;
        }
        ck_assert_int_ge(sd_event_run(ev, 10000), 0);
    }
    mv_frame_reader_reset(&r);
    ck_abort_msg("nothing came within 10 s");
    return NULL;
}
