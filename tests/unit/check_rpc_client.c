/*
 * The RPC client machinery against a real peer: a server thread on the other
 * end of a socketpair that reads and writes packets with the same codec the
 * daemons use and follows a script per test (reorder replies, interleave
 * events and PINGs, send errors, break the framing, hang up).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "keepalive_protocol.h"
#include "remote_protocol.h"
#include "rpc/client.h"
#include "rpc/message.h"

/* ---- the peer ---- */

struct peer {
    int fd;
    pthread_t thread;
    void (*script)(struct peer *p);
    /* what the script saw, checked by the test after joining */
    unsigned int serials[16];
    int nserials;
    bool pong_ok;
    int extra;
};

static struct mv_msg *peer_read(struct peer *p)
{
    struct mv_frame_reader r = { 0 };
    struct mv_msg *m = NULL;
    const char *why = NULL;

    if (mv_frame_read(p->fd, &r, &m, &why) != 1) {
        mv_frame_reader_reset(&r);
        return NULL;
    }
    if (m->hdr.type == MV_CALL && p->nserials < (int)MV_ARRAY_SIZE(p->serials))
        p->serials[p->nserials++] = m->hdr.serial;
    return m;
}

/* True if a packet arrives within MS milliseconds. */
static bool peer_readable(struct peer *p, int ms)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

    return poll(&pfd, 1, ms) == 1;
}

static void peer_send(struct peer *p, const struct mv_message_header *h, xdrproc_t f, const void *data)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode(m, h, f, data), 0);
    ck_assert_int_eq(mv_msg_write(p->fd, m), 1);
}

static void peer_reply_hdr(struct peer *p, const struct mv_msg *call, int proc, unsigned int serial,
                           xdrproc_t f, const void *data)
{
    struct mv_message_header h = call->hdr;

    h.type = MV_REPLY;
    h.proc = proc;
    h.serial = serial;
    peer_send(p, &h, f, data);
}

/* Replies to a CONNECT_SUPPORTS_FEATURE call with feature * 10. */
static void peer_reply_feature(struct peer *p, const struct mv_msg *call)
{
    mv_connect_supports_feature_args args = { 0 };
    mv_connect_supports_feature_ret ret;

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_supports_feature_args, &args), 0);
    ret.supported = args.feature * 10;
    peer_reply_hdr(p, call, call->hdr.proc, call->hdr.serial,
                   (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret);
}

static void peer_send_event(struct peer *p, unsigned int prog, int reason)
{
    struct mv_message_header h = {
        .prog = prog, .vers = 1, .proc = MV_PROC_CONNECT_EVENT_CONNECTION_CLOSED,
        .type = MV_MESSAGE, .serial = 1, .status = MV_OK,
    };
    mv_connect_event_connection_closed_msg ev = { .reason = reason };

    peer_send(p, &h, (xdrproc_t)xdr_mv_connect_event_connection_closed_msg, &ev);
}

static void peer_send_ping(struct peer *p)
{
    struct mv_message_header h = {
        .prog = MV_KEEPALIVE_PROGRAM, .vers = 1, .proc = MV_KEEPALIVE_PROC_PING,
        .type = MV_MESSAGE, .serial = 0, .status = MV_OK,
    };

    peer_send(p, &h, NULL, NULL);
}

/* Reads one packet and records whether it is a well-formed PONG. */
static void peer_expect_pong(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_readable(p, 2000) ? peer_read(p) : NULL;

    p->pong_ok = m && m->hdr.prog == MV_KEEPALIVE_PROGRAM && m->hdr.vers == 1 &&
                 m->hdr.proc == MV_KEEPALIVE_PROC_PONG && m->hdr.type == MV_MESSAGE &&
                 m->hdr.serial == 0 && m->hdr.status == MV_OK && m->len == 28;
}

static void *peer_main(void *opaque)
{
    struct peer *p = opaque;

    p->script(p);
    return NULL;
}

/* Starts SCRIPT on one end of a socketpair; the client gets the other. */
static struct mv_rpc_client *start(struct peer *p, void (*script)(struct peer *p))
{
    struct mv_rpc_client *c = NULL;
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    p->fd = sv[1];
    p->script = script;
    ck_assert_int_eq(mv_rpc_client_new_fd(sv[0], "testpeer", &c), 0);
    ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
    return c;
}

static void finish(struct peer *p)
{
    pthread_join(p->thread, NULL);
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

static int call_feature(struct mv_rpc_client *c, int feature, int *supported, struct mv_err *err)
{
    mv_connect_supports_feature_args args = { .feature = feature };
    mv_connect_supports_feature_ret ret = { .supported = -1 };
    int r = mv_rpc_client_call(c, MV_REMOTE_PROGRAM, MV_PROC_CONNECT_SUPPORTS_FEATURE,
                               (xdrproc_t)xdr_mv_connect_supports_feature_args, &args,
                               (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret, err);

    *supported = ret.supported;
    return r;
}

/* ---- serials ---- */

static void script_two_in_order(struct peer *p)
{
    for (int i = 0; i < 2; i++) {
        _cleanup_msg_ struct mv_msg *m = peer_read(p);
        ck_assert_ptr_nonnull(m);
        peer_reply_feature(p, m);
    }
}

START_TEST(test_serials_start_at_zero)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_two_in_order);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 10, &sup, &err), 0);
    ck_assert_int_eq(sup, 100);
    ck_assert_int_eq(call_feature(c, 3, &sup, &err), 0);
    ck_assert_int_eq(sup, 30);
    finish(&p);
    ck_assert_int_eq(p.nserials, 2);
    ck_assert_uint_eq(p.serials[0], 0);
    ck_assert_uint_eq(p.serials[1], 1);
    mv_rpc_client_free(c);
}
END_TEST

/* ---- concurrency ---- */

struct caller {
    struct mv_rpc_client *c;
    int feature;
    int calls;
    int failures;
    int result;
    struct mv_err err;
};

static void *caller_main(void *opaque)
{
    struct caller *k = opaque;

    for (int i = 0; i < k->calls; i++) {
        int sup = -1;
        int r = call_feature(k->c, k->feature + i, &sup, &k->err);

        k->result = r;
        if (r != 0 || sup != (k->feature + i) * 10)
            k->failures++;
    }
    return NULL;
}

/* Waits for two calls, then answers the second one first. */
static void script_reverse_two(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *a = peer_read(p);
    _cleanup_msg_ struct mv_msg *b = peer_read(p);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    peer_reply_feature(p, b);
    peer_reply_feature(p, a);
}

START_TEST(test_out_of_order_replies)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_reverse_two);
    struct caller k1 = { .c = c, .feature = 1, .calls = 1 }, k2 = { .c = c, .feature = 2, .calls = 1 };
    pthread_t t1, t2;

    pthread_create(&t1, NULL, caller_main, &k1);
    pthread_create(&t2, NULL, caller_main, &k2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    finish(&p);
    ck_assert_int_eq(k1.result, 0);
    ck_assert_int_eq(k2.result, 0);
    ck_assert_int_eq(k1.failures, 0);
    ck_assert_int_eq(k2.failures, 0);
    ck_assert_int_eq(p.nserials, 2);
    ck_assert_uint_ne(p.serials[0], p.serials[1]);
    mv_rpc_client_free(c);
}
END_TEST

#define STRESS_THREADS 6
#define STRESS_CALLS 60

/* Collects whatever calls are in flight and answers them last first. */
static void script_reverse_batches(struct peer *p)
{
    int left = STRESS_THREADS * STRESS_CALLS;

    while (left > 0) {
        struct mv_msg *batch[STRESS_THREADS];
        int n = 0;

        batch[n++] = peer_read(p);
        ck_assert_ptr_nonnull(batch[0]);
        while (n < STRESS_THREADS && n < left && peer_readable(p, 5)) {
            batch[n] = peer_read(p);
            ck_assert_ptr_nonnull(batch[n]);
            n++;
        }
        p->extra = n > p->extra ? n : p->extra;    /* largest batch seen */
        for (int i = n - 1; i >= 0; i--) {
            peer_reply_feature(p, batch[i]);
            mv_msg_free(batch[i]);
        }
        left -= n;
    }
}

START_TEST(test_many_threads_shuffled)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_reverse_batches);
    struct caller k[STRESS_THREADS];
    pthread_t t[STRESS_THREADS];

    for (int i = 0; i < STRESS_THREADS; i++) {
        k[i] = (struct caller){ .c = c, .feature = 1000 * (i + 1), .calls = STRESS_CALLS };
        pthread_create(&t[i], NULL, caller_main, &k[i]);
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(k[i].failures, 0);
        mv_err_clear(&k[i].err);
    }
    finish(&p);
    ck_assert_int_gt(p.extra, 1);  /* calls really overlapped */
    mv_rpc_client_free(c);
}
END_TEST

/* ---- asynchronous traffic ---- */

struct events_seen {
    int count;
    int proc;
    int reason;
    bool nested_ok;
};

static void on_event(struct mv_rpc_client *c, int proc, const struct mv_msg *msg, void *opaque)
{
    struct events_seen *seen = opaque;
    mv_connect_event_connection_closed_msg ev = { .reason = -1 };

    seen->count++;
    seen->proc = proc;
    if (mv_msg_decode_payload(msg, (xdrproc_t)xdr_mv_connect_event_connection_closed_msg, &ev) == 0)
        seen->reason = ev.reason;
}

static void script_event_mid_call(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);

    ck_assert_ptr_nonnull(m);
    peer_send_event(p, 0x20008087, 9);          /* qemu program: not ours, dropped */
    peer_send_event(p, MV_REMOTE_PROGRAM, 3);
    peer_reply_feature(p, m);
}

START_TEST(test_event_mid_call)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_event_mid_call);
    struct events_seen seen = { 0 };
    struct mv_err err = { 0 };
    int sup;

    mv_rpc_client_set_event_handler(c, on_event, &seen);
    ck_assert_int_eq(call_feature(c, 4, &sup, &err), 0);
    ck_assert_int_eq(sup, 40);
    ck_assert_int_eq(seen.count, 1);
    ck_assert_int_eq(seen.proc, MV_PROC_CONNECT_EVENT_CONNECTION_CLOSED);
    ck_assert_int_eq(seen.reason, 3);
    finish(&p);
    mv_rpc_client_free(c);
}
END_TEST

/* A callback may call on the same connection. */
static void on_event_call(struct mv_rpc_client *c, int proc, const struct mv_msg *msg, void *opaque)
{
    struct events_seen *seen = opaque;
    struct mv_err err = { 0 };
    int sup = 0;

    seen->count++;
    seen->nested_ok = call_feature(c, 7, &sup, &err) == 0 && sup == 70;
    mv_err_clear(&err);
}

static void script_event_then_nested_call(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    _cleanup_msg_ struct mv_msg *nested = NULL;

    ck_assert_ptr_nonnull(m);
    peer_send_event(p, MV_REMOTE_PROGRAM, 1);
    peer_reply_feature(p, m);
    nested = peer_read(p);
    ck_assert_ptr_nonnull(nested);
    peer_reply_feature(p, nested);
}

START_TEST(test_event_callback_may_call)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_event_then_nested_call);
    struct events_seen seen = { 0 };
    struct mv_err err = { 0 };
    int sup;

    mv_rpc_client_set_event_handler(c, on_event_call, &seen);
    ck_assert_int_eq(call_feature(c, 5, &sup, &err), 0);
    ck_assert_int_eq(sup, 50);
    ck_assert_int_eq(seen.count, 1);
    ck_assert(seen.nested_ok);
    finish(&p);
    mv_rpc_client_free(c);
}
END_TEST

static void script_ping_mid_call(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);

    ck_assert_ptr_nonnull(m);
    peer_send_ping(p);
    /* the client answers before it has its reply */
    peer_expect_pong(p);
    peer_reply_feature(p, m);
}

START_TEST(test_ping_gets_pong)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_ping_mid_call);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 6, &sup, &err), 0);
    ck_assert_int_eq(sup, 60);
    finish(&p);
    ck_assert(p.pong_ok);
    mv_rpc_client_free(c);
}
END_TEST

static void script_idle_ping_and_event(struct peer *p)
{
    peer_send_ping(p);
    peer_send_event(p, MV_REMOTE_PROGRAM, 2);
    peer_expect_pong(p);
}

START_TEST(test_process_idle_traffic)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_idle_ping_and_event);
    struct events_seen seen = { 0 };
    int delivered = 0;

    mv_rpc_client_set_event_handler(c, on_event, &seen);
    for (int i = 0; i < 20 && delivered == 0; i++) {
        int r = mv_rpc_client_process(c, 1000);
        ck_assert_int_ge(r, 0);
        delivered += r;
    }
    ck_assert_int_eq(delivered, 1);
    ck_assert_int_eq(seen.reason, 2);
    finish(&p);
    ck_assert(p.pong_ok);
    mv_rpc_client_free(c);
}
END_TEST

static void script_silent(struct peer *p)
{
    (void)p;
}

START_TEST(test_process_times_out)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_silent);
    struct timespec a, b;
    long ms;

    pthread_join(p.thread, NULL);   /* the peer end stays open: nothing arrives */
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(mv_rpc_client_process(c, 80), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 70);
    ck_assert(mv_rpc_client_is_alive(c));
    mv_rpc_client_free(c);
    close(p.fd);
}
END_TEST

/* ---- errors ---- */

static void script_error_then_ok(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    _cleanup_msg_ struct mv_msg *m2 = NULL;
    struct mv_message_header h;
    struct mv_err e = { 0 };
    mv_error wire;

    ck_assert_ptr_nonnull(m);
    h = m->hdr;
    h.type = MV_REPLY;
    h.status = MV_ERROR;
    mv_err_set(&e, 42, 10, "Domain not found: no domain with matching name 'vm9'");
    mv_err_to_wire(&e, &wire);
    peer_send(p, &h, (xdrproc_t)xdr_mv_error, &wire);
    mv_err_clear(&e);
    m2 = peer_read(p);
    ck_assert_ptr_nonnull(m2);
    peer_reply_feature(p, m2);
}

START_TEST(test_error_reply)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_error_then_ok);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 1, &sup, &err), -EIO);
    ck_assert_int_eq(err.code, 42);
    ck_assert_int_eq(err.domain, 10);
    ck_assert_str_eq(err.message, "Domain not found: no domain with matching name 'vm9'");
    mv_err_clear(&err);
    /* an error reply is an answer, not a broken connection */
    ck_assert(mv_rpc_client_is_alive(c));
    ck_assert_int_eq(call_feature(c, 2, &sup, &err), 0);
    ck_assert_int_eq(sup, 20);
    finish(&p);
    mv_rpc_client_free(c);
}
END_TEST

static void script_truncated_reply(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    _cleanup_msg_ struct mv_msg *r = mv_msg_new();
    struct mv_message_header h;
    mv_connect_supports_feature_ret ret = { .supported = 1 };

    ck_assert_ptr_nonnull(m);
    h = m->hdr;
    h.type = MV_REPLY;
    ck_assert_int_eq(mv_msg_encode(r, &h, (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret), 0);
    ck_assert_int_eq(write(p->fd, r->buf, 10), 10);
    close(p->fd);
    p->fd = -1;
}

START_TEST(test_truncated_reply)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_truncated_reply);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 1, &sup, &err), -ECONNRESET);
    ck_assert_int_eq(err.code, MV_ERR_RPC);
    ck_assert_ptr_nonnull(strstr(err.message, "'testpeer'"));
    ck_assert_ptr_nonnull(strstr(err.message, "middle of a packet"));
    mv_err_clear(&err);
    finish(&p);
    /* dead for good: later calls fail at once with the same cause */
    ck_assert(!mv_rpc_client_is_alive(c));
    ck_assert_int_eq(call_feature(c, 2, &sup, &err), -ECONNRESET);
    ck_assert_ptr_nonnull(strstr(err.message, "middle of a packet"));
    ck_assert_int_eq(mv_rpc_client_process(c, 0), -ECONNRESET);
    mv_err_clear(&err);
    mv_rpc_client_free(c);
}
END_TEST

static void script_close_after_two(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *a = peer_read(p);
    _cleanup_msg_ struct mv_msg *b = peer_read(p);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    close(p->fd);
    p->fd = -1;
}

START_TEST(test_peer_close_fails_every_waiter)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_close_after_two);
    struct caller k1 = { .c = c, .feature = 1, .calls = 1 }, k2 = { .c = c, .feature = 2, .calls = 1 };
    pthread_t t1, t2;

    pthread_create(&t1, NULL, caller_main, &k1);
    pthread_create(&t2, NULL, caller_main, &k2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    finish(&p);
    ck_assert_int_eq(k1.result, -ECONNRESET);
    ck_assert_int_eq(k2.result, -ECONNRESET);
    ck_assert_ptr_nonnull(strstr(k1.err.message, "closed by the peer"));
    ck_assert_ptr_nonnull(strstr(k2.err.message, "closed by the peer"));
    mv_err_clear(&k1.err);
    mv_err_clear(&k2.err);
    mv_rpc_client_free(c);
}
END_TEST

static void script_oversized_length(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    static const unsigned char junk[28] = { 0x02, 0x00, 0x00, 0x05 };  /* 32 MiB + 5 */

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(write(p->fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    /* the client hangs up on us */
    while (peer_readable(p, 2000)) {
        char b[64];
        if (read(p->fd, b, sizeof(b)) <= 0) {
            p->extra = 1;
            break;
        }
    }
}

START_TEST(test_oversized_length_rejected)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_oversized_length);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 1, &sup, &err), -EPROTO);
    ck_assert_int_eq(err.code, MV_ERR_RPC);
    ck_assert_ptr_nonnull(strstr(err.message, "32 MiB"));
    ck_assert(!mv_rpc_client_is_alive(c));
    finish(&p);
    ck_assert_int_eq(p.extra, 1);
    mv_err_clear(&err);
    mv_rpc_client_free(c);
}
END_TEST

static void script_wrong_proc(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    mv_connect_supports_feature_ret ret = { .supported = 1 };

    ck_assert_ptr_nonnull(m);
    peer_reply_hdr(p, m, MV_PROC_CONNECT_GET_TYPE, m->hdr.serial,
                   (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret);
}

START_TEST(test_wrong_proc_kills_connection)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_wrong_proc);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 1, &sup, &err), -EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "CONNECT_GET_TYPE (3)"));
    ck_assert_ptr_nonnull(strstr(err.message, "CONNECT_SUPPORTS_FEATURE (60)"));
    ck_assert(!mv_rpc_client_is_alive(c));
    finish(&p);
    mv_err_clear(&err);
    mv_rpc_client_free(c);
}
END_TEST

static void script_unknown_serial(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *m = peer_read(p);
    mv_connect_supports_feature_ret ret = { .supported = 1 };

    ck_assert_ptr_nonnull(m);
    peer_reply_hdr(p, m, m->hdr.proc, m->hdr.serial + 99,
                   (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret);
}

START_TEST(test_unknown_serial_kills_connection)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_unknown_serial);
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(call_feature(c, 1, &sup, &err), -EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "serial 99 matches no call"));
    finish(&p);
    mv_err_clear(&err);
    mv_rpc_client_free(c);
}
END_TEST

/* The first call times out; its late reply must not disturb the next. */
static void script_late_reply(struct peer *p)
{
    _cleanup_msg_ struct mv_msg *a = peer_read(p);
    _cleanup_msg_ struct mv_msg *b = peer_read(p);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    peer_reply_feature(p, a);
    peer_reply_feature(p, b);
}

START_TEST(test_timeout_then_late_reply)
{
    struct peer p = { 0 };
    struct mv_rpc_client *c = start(&p, script_late_reply);
    mv_connect_supports_feature_args args = { .feature = 1 };
    mv_connect_supports_feature_ret ret = { 0 };
    struct mv_err err = { 0 };
    int sup;

    ck_assert_int_eq(mv_rpc_client_call_timeout(c, MV_REMOTE_PROGRAM, MV_PROC_CONNECT_SUPPORTS_FEATURE,
                                                (xdrproc_t)xdr_mv_connect_supports_feature_args, &args,
                                                (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret,
                                                100, &err), -ETIMEDOUT);
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(err.message, "within 100 ms"));
    mv_err_clear(&err);
    ck_assert(mv_rpc_client_is_alive(c));
    ck_assert_int_eq(call_feature(c, 2, &sup, &err), 0);
    ck_assert_int_eq(sup, 20);
    ck_assert(mv_rpc_client_is_alive(c));
    finish(&p);
    mv_rpc_client_free(c);
}
END_TEST

/* ---- connecting ---- */

START_TEST(test_connect_missing_socket)
{
    struct mv_rpc_client *c = NULL;
    struct mv_err err = { 0 };

    ck_assert_int_eq(mv_rpc_client_connect_unix("/nonexistent-mv/run/modvirt/qemud-sock", &c, &err),
                     -ENOENT);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.message, "cannot connect to '/nonexistent-mv/run/modvirt/qemud-sock': "
                     "No such file or directory \xe2\x80\x94 is modvirt-qemud running?");
    mv_err_clear(&err);
    ck_assert_int_eq(mv_rpc_client_connect_unix("/nonexistent-mv/netd-sock-ro", &c, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err.message, "is modvirt-netd running?"));
    mv_err_clear(&err);
}
END_TEST

struct listener {
    int fd;
    struct peer peer;
};

static void *accept_and_serve(void *opaque)
{
    struct listener *l = opaque;
    _cleanup_msg_ struct mv_msg *m = NULL;

    l->peer.fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    if (l->peer.fd < 0)
        return NULL;
    m = peer_read(&l->peer);
    if (m)
        peer_reply_feature(&l->peer, m);
    return NULL;
}

START_TEST(test_connect_unix_socket)
{
    char dir[] = "/tmp/check-rpc-client-XXXXXX";
    char path[128];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct listener l = { .peer.fd = -1 };
    struct mv_rpc_client *c = NULL;
    struct mv_err err = { 0 };
    pthread_t t;
    int sup;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/qemud-sock", dir);
    strcpy(sa.sun_path, path);
    l.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(l.fd, 4), 0);
    pthread_create(&t, NULL, accept_and_serve, &l);
    ck_assert_int_eq(mv_rpc_client_connect_unix(path, &c, &err), 0);
    ck_assert_int_eq(call_feature(c, 8, &sup, &err), 0);
    ck_assert_int_eq(sup, 80);
    pthread_join(t, NULL);
    mv_rpc_client_free(c);
    close(l.peer.fd);
    close(l.fd);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("rpc_client");
    TCase *calls = tcase_create("calls");
    TCase *async = tcase_create("async");
    TCase *errors = tcase_create("errors");
    TCase *conn = tcase_create("connect");

    tcase_add_test(calls, test_serials_start_at_zero);
    tcase_add_test(calls, test_out_of_order_replies);
    tcase_add_test(calls, test_many_threads_shuffled);
    tcase_set_timeout(calls, 20);
    tcase_add_test(async, test_event_mid_call);
    tcase_add_test(async, test_event_callback_may_call);
    tcase_add_test(async, test_ping_gets_pong);
    tcase_add_test(async, test_process_idle_traffic);
    tcase_add_test(async, test_process_times_out);
    tcase_add_test(errors, test_error_reply);
    tcase_add_test(errors, test_truncated_reply);
    tcase_add_test(errors, test_peer_close_fails_every_waiter);
    tcase_add_test(errors, test_oversized_length_rejected);
    tcase_add_test(errors, test_wrong_proc_kills_connection);
    tcase_add_test(errors, test_unknown_serial_kills_connection);
    tcase_add_test(errors, test_timeout_then_late_reply);
    tcase_add_test(conn, test_connect_missing_socket);
    tcase_add_test(conn, test_connect_unix_socket);
    suite_add_tcase(s, calls);
    suite_add_tcase(s, async);
    suite_add_tcase(s, errors);
    suite_add_tcase(s, conn);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(client_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
