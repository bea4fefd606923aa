/*
 * proxyd's leg (upstream.c) against a fake daemon on a real unix socket, in
 * one thread: the test steps the leg's event loop and plays the daemon with
 * blocking reads.  The handshake and what it carries, calls held until it is
 * done, serial remapping both ways, PING answered, a refused handshake, a
 * daemon that closes, one that stays silent, and a daemon that is not there.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "keepalive_protocol.h"
#include "message.h"
#include "rpc_harness.h"
#include "upstream.h"

/* ---- what the leg reports ---- */

#define MAX_SEEN 16

static struct {
    struct mv_msg *replies[MAX_SEEN];
    struct proxy_pending pend[MAX_SEEN];
    unsigned int nreplies;
    struct mv_msg *packets[MAX_SEEN];
    unsigned int npackets;
    struct proxy_pending failed[MAX_SEEN];
    char *fail_why;
    int fail_code;
    unsigned int nfailed;
    bool dead, ready;
} seen;

static void on_reply(struct upstream *u, struct mv_msg *m, const struct proxy_pending *p, void *o)
{
    ck_assert_uint_lt(seen.nreplies, MAX_SEEN);
    seen.pend[seen.nreplies] = *p;
    seen.replies[seen.nreplies++] = m;
}

static void on_packet(struct upstream *u, struct mv_msg *m, void *o)
{
    ck_assert_uint_lt(seen.npackets, MAX_SEEN);
    seen.packets[seen.npackets++] = m;
}

static void on_fail(struct upstream *u, const struct proxy_pending *p, int code, const char *why, void *o)
{
    ck_assert_uint_lt(seen.nfailed, MAX_SEEN);
    seen.failed[seen.nfailed++] = *p;
}

static void on_dead(struct upstream *u, int code, const char *why, void *o)
{
    ck_assert(!seen.dead);
    seen.dead = true;
    seen.fail_code = code;
    seen.fail_why = strdup(why);
}

static void on_drained(struct upstream *u, void *o) { }
static void on_ready(struct upstream *u, void *o) { seen.ready = true; }

static const struct upstream_ops ops = {
    .reply = on_reply, .packet = on_packet, .fail = on_fail, .dead = on_dead,
    .tx_drained = on_drained, .ready = on_ready,
};

/* ---- fixture: a listening "daemon" socket and the leg's loop ---- */

static char dir[] = "/tmp/mv-up-XXXXXX";
static char path[128];
static int lfd = -1, dfd = -1;
static sd_event *ev;
static struct upstream *leg;

static void setup(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    memset(&seen, 0, sizeof(seen));
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-up-XXXXXX")));
    snprintf(path, sizeof(path), "%s/netd-sock", dir);
    strcpy(sa.sun_path, path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_ge(sd_event_new(&ev), 0);
}

static void teardown(void)
{
    upstream_close(leg);
    leg = NULL;
    for (unsigned i = 0; i < seen.nreplies; i++)
        mv_msg_free(seen.replies[i]);
    for (unsigned i = 0; i < seen.npackets; i++)
        mv_msg_free(seen.packets[i]);
    free(seen.fail_why);
    if (dfd >= 0)
        close(dfd);
    dfd = -1;
    close(lfd);
    sd_event_unref(ev);
    unlink(path);
    rmdir(dir);
}

#define PUMP_UNTIL(cond) MV_TEST_PUMP_UNTIL(ev, cond)

static const mv_connect_set_identity_args *test_identity(void)
{
    static mv_typed_param p[3];
    static mv_connect_set_identity_args a = { .params = { 3, p } };

    p[0] = (mv_typed_param){ .field = "unix-user-id", .value = { .type = 4, .mv_typed_param_value_u.ul = 1000 } };
    p[1] = (mv_typed_param){ .field = "unix-group-id", .value = { .type = 4, .mv_typed_param_value_u.ul = 100 } };
    p[2] = (mv_typed_param){ .field = "process-id", .value = { .type = 3, .mv_typed_param_value_u.l = 4242 } };
    return &a;
}

static void open_leg(bool ro, unsigned int timeout)
{
    struct upstream_spec spec = { .daemon = "netd", .path = path, .readonly = ro,
                                  .identity = test_identity(), .timeout = timeout };

    ck_assert_int_eq(upstream_new(ev, &spec, &ops, NULL, &leg), 0);
    dfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(dfd, 0);
}

/* ---- the fake daemon's side ---- */

/* The next packet the leg sent, stepping the leg's loop until it is in. */
static struct mv_msg *daemon_recv(void)
{
    struct mv_msg *m = mv_test_recv_stepping(dfd, ev);

    ck_assert_ptr_nonnull(m);
    return m;
}

static void daemon_send(const struct mv_message_header *h, xdrproc_t filter, const void *data)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode(m, h, filter, data), 0);
    ck_assert_int_eq(send(dfd, m->buf, m->len, MSG_NOSIGNAL), (ssize_t)m->len);
}

static void daemon_reply_ok(const struct mv_msg *call, xdrproc_t filter, const void *data)
{
    struct mv_message_header h = call->hdr;

    h.type = MV_REPLY;
    h.status = MV_OK;
    daemon_send(&h, filter, data);
}

static void daemon_reply_error(const struct mv_msg *call, int code, const char *text)
{
    struct mv_message_header h = call->hdr;
    struct mv_err e = { 0 };
    mv_error wire;

    h.type = MV_REPLY;
    h.status = MV_ERROR;
    mv_err_set(&e, code, MV_FROM_RPC, "%s", text);
    mv_err_to_wire(&e, &wire);
    daemon_send(&h, (xdrproc_t)xdr_mv_error, &wire);
    mv_err_clear(&e);
}

/* Receives the handshake, checks it, answers it (SET_IDENTITY with
 * IDENTITY_ERROR if not NULL). */
static void daemon_handshake(bool ro, const char *identity_error)
{
    _cleanup_msg_ struct mv_msg *auth = daemon_recv();
    _cleanup_msg_ struct mv_msg *open = daemon_recv();
    _cleanup_msg_ struct mv_msg *ident = daemon_recv();
    mv_connect_open_args oa = { 0 };
    mv_connect_set_identity_args ia = { 0 };
    mv_auth_type none = MV_AUTH_NONE;
    mv_auth_list_ret al = { .types = { 1, &none } };

    ck_assert_int_eq(auth->hdr.proc, MV_PROC_AUTH_LIST);
    ck_assert_uint_eq(auth->hdr.serial, 0);
    /* no keepalive asked: the daemon must not probe a leg it may stop reading */
    ck_assert_int_eq(open->hdr.proc, MV_PROC_CONNECT_OPEN);
    ck_assert_int_eq(mv_msg_decode_payload(open, (xdrproc_t)xdr_mv_connect_open_args, &oa), 0);
    ck_assert_str_eq(*oa.name, "");
    ck_assert_uint_eq(oa.flags, ro ? 1 : 0);
    xdr_free((xdrproc_t)xdr_mv_connect_open_args, (char *)&oa);
    ck_assert_int_eq(ident->hdr.proc, MV_PROC_CONNECT_SET_IDENTITY);
    ck_assert_int_eq(mv_msg_decode_payload(ident, (xdrproc_t)xdr_mv_connect_set_identity_args, &ia), 0);
    ck_assert_uint_eq(ia.params.params_len, 3);
    ck_assert_str_eq(ia.params.params_val[0].field, "unix-user-id");
    ck_assert_uint_eq(ia.params.params_val[0].value.mv_typed_param_value_u.ul, 1000);
    xdr_free((xdrproc_t)xdr_mv_connect_set_identity_args, (char *)&ia);
    daemon_reply_ok(auth, (xdrproc_t)xdr_mv_auth_list_ret, &al);
    daemon_reply_ok(open, NULL, NULL);
    if (identity_error)
        daemon_reply_error(ident, MV_ERR_OPERATION_DENIED, identity_error);
    else
        daemon_reply_ok(ident, NULL, NULL);
}

/* A client's CALL with SERIAL, as the server hands it to the forwarder. */
static struct mv_msg *client_call(int proc, uint32_t serial)
{
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, proc, MV_CALL, serial, MV_OK };
    struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode(m, &h, NULL, NULL), 0);
    return m;
}

/* ---- tests ---- */

/* The handshake first; a client's call waits for it, goes out with the
 * leg's serial, and its reply comes back with the client's. */
START_TEST(test_handshake_then_call)
{
    _cleanup_msg_ struct mv_msg *call = NULL;

    open_leg(false, 10);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 77), 0), 0);
    daemon_handshake(false, NULL);
    call = daemon_recv();
    ck_assert(seen.ready);
    ck_assert_int_eq(call->hdr.proc, MV_PROC_CONNECT_NUM_OF_NETWORKS);
    ck_assert_uint_eq(call->hdr.serial, 3);    /* after the handshake's 0-2 */
    daemon_reply_ok(call, (xdrproc_t)xdr_mv_connect_num_of_networks_ret,
                    &(mv_connect_num_of_networks_ret){ .num = 3 });
    PUMP_UNTIL(seen.nreplies == 1);
    ck_assert_uint_eq(seen.replies[0]->hdr.serial, 77);
    ck_assert_uint_eq(seen.pend[0].client_serial, 77);
    ck_assert(!seen.pend[0].own);
    ck_assert(!seen.dead);
}
END_TEST

/* A read-only leg opens with the RO flag (checked in daemon_handshake). */
START_TEST(test_readonly_open)
{
    open_leg(true, 10);
    daemon_handshake(true, NULL);
    PUMP_UNTIL(seen.ready);
}
END_TEST

/* A refused CONNECT_SET_IDENTITY kills the leg: the held call never goes
 * out and fails with a message naming the daemon and the refusal. */
START_TEST(test_identity_refused)
{
    open_leg(false, 10);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 5), 0), 0);
    daemon_handshake(false, "operation forbidden: not root");
    PUMP_UNTIL(seen.dead);
    ck_assert(!seen.ready);
    ck_assert_uint_eq(seen.nfailed, 1);
    ck_assert_uint_eq(seen.failed[0].client_serial, 5);
    ck_assert_int_eq(seen.fail_code, MV_ERR_NO_CONNECT);
    ck_assert_msg(strstr(seen.fail_why, "modvirt-netd refused the proxy's CONNECT_SET_IDENTITY") &&
                  strstr(seen.fail_why, path) && strstr(seen.fail_why, "not root"),
                  "message: %s", seen.fail_why);
}
END_TEST

/* Replies match by serial, in any order; events and stream packets pass
 * as they are; a PING gets a PONG. */
START_TEST(test_out_of_order_and_packets)
{
    _cleanup_msg_ struct mv_msg *a = NULL, *b = NULL, *pong = NULL;
    struct mv_message_header ping = { MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_VERSION,
                                      MV_KEEPALIVE_PROC_PING, MV_MESSAGE, 0, MV_OK };
    struct mv_message_header event = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION,
                                       MV_PROC_NETWORK_EVENT_LIFECYCLE, MV_MESSAGE, 1, MV_OK };

    open_leg(false, 10);
    daemon_handshake(false, NULL);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 100), 0), 0);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 200), 0), 0);
    a = daemon_recv();
    b = daemon_recv();
    daemon_send(&ping, NULL, NULL);
    pong = daemon_recv();
    ck_assert_int_eq(pong->hdr.prog, MV_KEEPALIVE_PROGRAM);
    ck_assert_int_eq(pong->hdr.proc, MV_KEEPALIVE_PROC_PONG);
    daemon_send(&event, NULL, NULL);
    daemon_reply_ok(b, (xdrproc_t)xdr_mv_connect_num_of_networks_ret,
                    &(mv_connect_num_of_networks_ret){ .num = 1 });
    daemon_reply_ok(a, (xdrproc_t)xdr_mv_connect_num_of_networks_ret,
                    &(mv_connect_num_of_networks_ret){ .num = 2 });
    PUMP_UNTIL(seen.nreplies == 2);
    ck_assert_uint_eq(seen.replies[0]->hdr.serial, 200);
    ck_assert_uint_eq(seen.replies[1]->hdr.serial, 100);
    ck_assert_uint_eq(seen.npackets, 1);
    ck_assert_int_eq(seen.packets[0]->hdr.proc, MV_PROC_NETWORK_EVENT_LIFECYCLE);
}
END_TEST

/* The daemon closes: the calls it owed fail, naming it; dead() once. */
START_TEST(test_daemon_closes)
{
    _cleanup_msg_ struct mv_msg *a = NULL;

    open_leg(false, 10);
    daemon_handshake(false, NULL);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 9), 0), 0);
    a = daemon_recv();
    close(dfd);
    dfd = -1;
    PUMP_UNTIL(seen.dead);
    ck_assert_uint_eq(seen.nfailed, 1);
    ck_assert_uint_eq(seen.failed[0].client_serial, 9);
    ck_assert_msg(strstr(seen.fail_why, "modvirt-netd closed the connection (socket ") != NULL,
                  "message: %s", seen.fail_why);
}
END_TEST

/* A daemon that never answers: a PING first, then the leg is declared
 * dead and its call fails as "not answering". */
START_TEST(test_daemon_silent)
{
    _cleanup_msg_ struct mv_msg *a = NULL, *b = NULL, *c = NULL, *ping = NULL;

    open_leg(false, 1);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 3), 0), 0);
    a = daemon_recv();  /* the handshake, never answered */
    b = daemon_recv();
    c = daemon_recv();
    ping = daemon_recv();
    ck_assert_int_eq(ping->hdr.prog, MV_KEEPALIVE_PROGRAM);
    ck_assert_int_eq(ping->hdr.proc, MV_KEEPALIVE_PROC_PING);
    PUMP_UNTIL(seen.dead);
    ck_assert_int_eq(seen.fail_code, MV_ERR_OPERATION_TIMEOUT);
    ck_assert_uint_eq(seen.nfailed, 1);
    ck_assert_msg(strstr(seen.fail_why, "modvirt-netd is not answering (socket ") != NULL,
                  "message: %s", seen.fail_why);
}
END_TEST

/* A loop that runs late: the silence timer is due, and in the same wakeup
 * the daemon's packet is read too.  sd-event hands the timer the time it
 * was due, earlier than the packet's; the daemon just spoke, so the leg
 * lives (the difference once went negative, read as endless silence).
 * The sleep is the scenario (a loop that did not run), not a wait. */
START_TEST(test_late_loop_packet_and_timer)
{
    _cleanup_msg_ struct mv_msg *a = NULL, *pong = NULL;
    struct mv_message_header ping = { MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_VERSION,
                                      MV_KEEPALIVE_PROC_PING, MV_MESSAGE, 0, MV_OK };

    open_leg(false, 1);
    daemon_handshake(false, NULL);
    ck_assert_int_eq(upstream_call(leg, client_call(MV_PROC_CONNECT_NUM_OF_NETWORKS, 8), 0), 0);
    a = daemon_recv();
    usleep(700000);                     /* past the timer's 0.5 s, the loop idle */
    daemon_send(&ping, NULL, NULL);
    pong = daemon_recv();               /* runs the loop: packet and timer */
    ck_assert_int_eq(pong->hdr.proc, MV_KEEPALIVE_PROC_PONG);
    daemon_reply_ok(a, (xdrproc_t)xdr_mv_connect_num_of_networks_ret,
                    &(mv_connect_num_of_networks_ret){ .num = 1 });
    PUMP_UNTIL(seen.nreplies == 1 || seen.dead);
    ck_assert_msg(!seen.dead, "declared dead right after a packet: %s", seen.fail_why);
}
END_TEST

/* No daemon at the path: upstream_new says so at once. */
START_TEST(test_not_running)
{
    struct upstream_spec spec = { .daemon = "netd", .path = "/nonexistent/netd-sock",
                                  .identity = test_identity(), .timeout = 10 };
    struct upstream *u = NULL;

    ck_assert_int_eq(upstream_new(ev, &spec, &ops, NULL, &u), -ENOENT);
    ck_assert_ptr_null(u);
}
END_TEST

static Suite *upstream_suite(void)
{
    Suite *s = suite_create("proxyd_upstream");
    TCase *tc = tcase_create("leg");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_handshake_then_call);
    tcase_add_test(tc, test_readonly_open);
    tcase_add_test(tc, test_identity_refused);
    tcase_add_test(tc, test_out_of_order_and_packets);
    tcase_add_test(tc, test_daemon_closes);
    tcase_add_test(tc, test_daemon_silent);
    tcase_add_test(tc, test_late_loop_packet_and_timer);
    tcase_add_test(tc, test_not_running);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(upstream_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
