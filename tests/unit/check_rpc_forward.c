/*
 * The server's forwarder hook (what modvirt-proxyd stands on), on a real
 * unix socket with raw packets: connection-level calls answered by the
 * server, every other call handed over as the raw packet after the checks,
 * calls in flight counted, stream packets for no local stream handed over,
 * replies and packets sent back, input held and resumed, and the drained
 * notice once a full output backlog was read.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "message.h"
#include "remote_protocol.h"
#include "server.h"
#include "rpc_harness.h"
#include "server_internal.h"

/* ---- the test forwarder (event loop thread) ---- */

#define HELD_MAX 16
#define FLOOD_BYTES (6u * 1024 * 1024)

static struct mv_msg *held[HELD_MAX];   /* calls not answered yet */
static unsigned int nheld;
static struct mv_client *last_client;
static atomic_uint calls_seen, streams_seen, drained_seen;
static atomic_int last_proc;
static atomic_uint last_serial;

/* Answers a held call with an empty REPLY OK (its own header). */
static void answer(struct mv_msg *req)
{
    struct mv_message_header h = req->hdr;
    struct mv_msg *m = mv_msg_new();

    h.type = MV_REPLY;
    h.status = MV_OK;
    ck_assert_int_eq(mv_msg_encode(m, &h, NULL, NULL), 0);
    mv_msg_free(req);
    mv_client_forward_reply(last_client, m);
}

static void fwd_call(struct mv_client *c, struct mv_msg *req, const struct mv_proc_info *info)
{
    ck_assert_int_ne(info->subsystem, MV_SUBSYS_CONNECT);
    ck_assert_uint_lt(nheld, HELD_MAX);
    last_client = c;
    atomic_store(&last_proc, req->hdr.proc);
    atomic_store(&last_serial, req->hdr.serial);
    held[nheld++] = req;
    atomic_fetch_add(&calls_seen, 1);
}

/* Echoes the packet back (a relay would send it to a daemon). */
static void fwd_stream(struct mv_client *c, struct mv_msg *m)
{
    atomic_fetch_add(&streams_seen, 1);
    ck_assert(mv_client_forward_packet(c, m));
}

static void fwd_drained(struct mv_client *c)
{
    atomic_fetch_add(&drained_seen, 1);
}

/* As the proxy: the identity went out with the first forwarded call. */
static bool fwd_identity_used(struct mv_client *c)
{
    return atomic_load(&calls_seen) > 0;
}

static const struct mv_forwarder test_forwarder = {
    .call = fwd_call, .stream_packet = fwd_stream, .drained = fwd_drained,
    .identity_used = fwd_identity_used,
};
static const char *const test_schemes[] = { "test", NULL };
static const struct mv_dispatch_table *const no_tables[] = { NULL };
static const struct mv_server_driver test_driver = {
    .name = "testproxy", .type = "TEST", .uri = "test:///system", .uri_schemes = test_schemes,
    .subsystem = MV_SUBSYS_CONNECT, .tables = no_tables, .forwarder = &test_forwarder,
};

/* ---- commands from the test thread to the loop ---- */

enum cmd { CMD_ANSWER_ONE = 1, CMD_HOLD, CMD_RESUME, CMD_FLOOD };
static atomic_int pending_cmd;
static atomic_bool flood_full;           /* output_full said yes during the flood */
static int cmd_efd, done_efd;

/* Stream data to the client until its output is full (and a bit beyond). */
static void flood(void)
{
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_STORAGE_VOL_DOWNLOAD,
                                   MV_STREAM, 77, MV_CONTINUE };
    static char chunk[MV_STREAM_CHUNK_MAX];

    for (size_t sent = 0; sent < FLOOD_BYTES && !mv_client_output_full(last_client);
         sent += sizeof(chunk)) {
        struct mv_msg *m = mv_msg_new();

        ck_assert_int_eq(mv_msg_encode_raw(m, &h, chunk, sizeof(chunk)), 0);
        ck_assert(mv_client_forward_packet(last_client, m));
    }
    atomic_store(&flood_full, mv_client_output_full(last_client));
}

static int on_cmd(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    uint64_t v, one = 1;

    ck_assert_int_eq(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
    switch (atomic_load(&pending_cmd)) {
    case CMD_ANSWER_ONE:
        ck_assert_uint_gt(nheld, 0);
        answer(held[0]);
        memmove(held, held + 1, --nheld * sizeof(held[0]));
        break;
    case CMD_HOLD: mv_client_hold_input(last_client, true); break;
    case CMD_RESUME: mv_client_hold_input(last_client, false); break;
    case CMD_FLOOD: flood(); break;
    }
    ck_assert_int_eq(write(done_efd, &one, sizeof(one)), (ssize_t)sizeof(one));
    return 0;
}

/* Runs CMD on the loop thread and waits until it ran. */
static void loop_do(enum cmd cmd)
{
    uint64_t one = 1, v;

    atomic_store(&pending_cmd, cmd);
    ck_assert_int_eq(write(cmd_efd, &one, sizeof(one)), (ssize_t)sizeof(one));
    ck_assert_int_eq(read(done_efd, &v, sizeof(v)), (ssize_t)sizeof(v));
}

/* ---- the server in its own thread ---- */

static char dir[] = "/tmp/mv-fwd-XXXXXX";
static char rw_path[128], ro_path[128];
static struct mv_test_loop loop;

static void *server_main(void *opaque)
{
    sd_event *ev = NULL;
    struct mv_server *srv = NULL;
    struct mv_listen_opts rw = { .readonly = false, .auth = MV_AUTH_METHOD_NONE };
    struct mv_listen_opts ro = { .readonly = true, .auth = MV_AUTH_METHOD_NONE };
    /* keepalive only for the clients that ask (test_keepalive_own_backlog) */
    struct mv_server_config cfg = { .max_clients = 10, .max_workers = 1, .max_client_requests = 2,
                                    .keepalive_interval = 1, .keepalive_count = 1 };

    ck_assert_int_ge(sd_event_new(&ev), 0);
    ck_assert_int_ge(sd_event_add_io(ev, NULL, cmd_efd, EPOLLIN, on_cmd, NULL), 0);
    ck_assert_int_eq(mv_server_new(ev, &test_driver, &cfg, &srv), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, rw_path, 0600, (gid_t)-1, &rw), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, ro_path, 0666, (gid_t)-1, &ro), 0);
    mv_test_loop_ready(&loop, ev);
    sd_event_loop(ev);
    while (nheld)
        mv_msg_free(held[--nheld]);
    mv_server_free(srv);
    sd_event_unref(ev);
    return NULL;
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-fwd-XXXXXX")));
    snprintf(rw_path, sizeof(rw_path), "%s/sock", dir);
    snprintf(ro_path, sizeof(ro_path), "%s/sock-ro", dir);
    atomic_store(&calls_seen, 0);
    atomic_store(&streams_seen, 0);
    atomic_store(&drained_seen, 0);
    cmd_efd = eventfd(0, EFD_CLOEXEC);
    done_efd = eventfd(0, EFD_CLOEXEC);
    mv_test_loop_start(&loop, server_main, NULL);
}

static void teardown(void)
{
    mv_test_loop_end(&loop);
    close(cmd_efd);
    close(done_efd);
    unlink(rw_path);
    unlink(ro_path);
    rmdir(dir);
}

/* ---- a raw client ---- */

static struct mv_msg *recv_packet(int fd)
{
    struct mv_msg *m = mv_test_recv(fd);

    ck_assert_ptr_nonnull(m);
    return m;
}

static void expect_reply(int fd, unsigned serial, int status)
{
    _cleanup_msg_ struct mv_msg *m = recv_packet(fd);

    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, status);
}

static void open_conn(int fd, unsigned serial)
{
    char *uri = "test:///system";
    mv_connect_open_args open = { .name = &uri, .flags = 0 };

    mv_test_send_call(fd, MV_PROC_CONNECT_OPEN, serial, (xdrproc_t)xdr_mv_connect_open_args, &open);
    expect_reply(fd, serial, MV_OK);
}

/* A call reaches the forwarder: wait for its count (the loop thread is
 * asynchronous to this one) with a bounded poll on the count itself. */
static void wait_calls(unsigned int n)
{
    for (int i = 0; i < 10000 && atomic_load(&calls_seen) < n; i++)
        usleep(1000);
    ck_assert_uint_eq(atomic_load(&calls_seen), n);
}

/* Reads the client's whole output backlog (what a flood queued). */
static void read_backlog(int fd)
{
    for (size_t got = 0; got < MV_CLIENT_TX_BACKLOG_MAX;) {
        _cleanup_msg_ struct mv_msg *m = recv_packet(fd);
        got += m->len;
    }
}

/* The next REPLY, past the stream data still queued before it. */
static void expect_reply_past_data(int fd, unsigned serial)
{
    for (;;) {
        _cleanup_msg_ struct mv_msg *m = recv_packet(fd);

        if (m->hdr.type == MV_REPLY) {
            ck_assert_uint_eq(m->hdr.serial, serial);
            return;
        }
    }
}

/* ---- tests ---- */

/* Connection-level calls are the server's; the others arrive as the raw
 * packet with the client's serial and the forwarder's reply goes back. */
START_TEST(test_routing)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_connect_get_type_ret type = { 0 };
    _cleanup_msg_ struct mv_msg *m = NULL;

    open_conn(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 1, NULL, NULL);
    m = recv_packet(fd);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_connect_get_type_ret, &type), 0);
    ck_assert_str_eq(type.type, "TEST");
    xdr_free((xdrproc_t)xdr_mv_connect_get_type_ret, (char *)&type);
    ck_assert_uint_eq(atomic_load(&calls_seen), 0);

    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 7, NULL, NULL);
    wait_calls(1);
    ck_assert_int_eq(atomic_load(&last_proc), MV_PROC_CONNECT_GET_HOSTNAME);
    ck_assert_uint_eq(atomic_load(&last_serial), 7);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 7, MV_OK);
}
END_TEST

/* The checks run before the hand-over: no open connection, the read-only
 * rule, an unknown procedure, a bad program: all answered by the server. */
START_TEST(test_checks_first)
{
    _cleanup_close_ int fd = mv_test_dial(ro_path);
    mv_domain_args dom = { .dom = { .name = "x" } };

    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 1, NULL, NULL);
    expect_reply(fd, 1, MV_ERROR);      /* not open */
    open_conn(fd, 2);
    mv_test_send_call(fd, MV_PROC_DOMAIN_CREATE, 3, (xdrproc_t)xdr_mv_domain_args, &dom);
    expect_reply(fd, 3, MV_ERROR);      /* read-only */
    mv_test_send_call(fd, 999, 4, NULL, NULL);
    expect_reply(fd, 4, MV_ERROR);      /* unknown */
    ck_assert_uint_eq(atomic_load(&calls_seen), 0);
}
END_TEST

/* Forwarded calls count in flight: with max_client_requests 2 the third
 * (and what follows it) stays unread until a reply ends one, so the
 * connection-level call behind them is answered only once a slot is free
 * with call 3 in flight. */
START_TEST(test_inflight_limit)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    open_conn(fd, 0);
    for (unsigned s = 1; s <= 3; s++)
        mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, s, NULL, NULL);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 4, NULL, NULL);
    wait_calls(2);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 1, MV_OK);
    /* the freed slot lets call 3 in, which fills it again */
    wait_calls(3);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 2, MV_OK);
    expect_reply(fd, 4, MV_OK);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 3, MV_OK);
}
END_TEST

/* Stream packets for no local stream go to the forwarder, which sends them
 * back through mv_client_forward_packet. */
START_TEST(test_stream_packets)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    _cleanup_msg_ struct mv_msg *m = NULL;
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_STORAGE_VOL_UPLOAD,
                                   MV_STREAM, 9, MV_CONTINUE };
    _cleanup_msg_ struct mv_msg *data = mv_msg_new();
    size_t len;

    open_conn(fd, 0);
    ck_assert_int_eq(mv_msg_encode_raw(data, &h, "abc", 3), 0);
    ck_assert_int_eq(send(fd, data->buf, data->len, MSG_NOSIGNAL), (ssize_t)data->len);
    m = recv_packet(fd);
    ck_assert_int_eq(m->hdr.type, MV_STREAM);
    ck_assert_uint_eq(m->hdr.serial, 9);
    ck_assert_int_eq(memcmp(mv_msg_payload(m, &len), "abc", 3), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_uint_eq(atomic_load(&streams_seen), 1);
    ck_assert_uint_eq(atomic_load(&calls_seen), 0);
}
END_TEST

/* Held input: the client's calls wait in its socket until resumed, so a
 * reply sent meanwhile overtakes the call behind the hold. */
START_TEST(test_hold_input)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    open_conn(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 1, NULL, NULL);
    wait_calls(1);
    loop_do(CMD_HOLD);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 2, NULL, NULL);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 1, MV_OK);
    loop_do(CMD_RESUME);
    expect_reply(fd, 2, MV_OK);
}
END_TEST

/* A full backlog is reported, and drained() follows once the client read it. */
START_TEST(test_output_full_drained)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    open_conn(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 1, NULL, NULL);
    wait_calls(1);      /* the forwarder learnt the client */
    loop_do(CMD_FLOOD);
    ck_assert(atomic_load(&flood_full));
    ck_assert_uint_eq(atomic_load(&drained_seen), 0);
    read_backlog(fd);
    /* the drained notice comes from the loop after it wrote the backlog out:
     * ask the loop for something and it has run by the answer */
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 2, NULL, NULL);
    expect_reply_past_data(fd, 2);
    ck_assert_uint_eq(atomic_load(&drained_seen), 1);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 1, MV_OK);
}
END_TEST

/* A client we do not read because our own output to it is full (a slow
 * reader, e.g. behind the proxy) cannot answer probes: keepalive must not
 * close it.  The wait is the point of the test (the server's keepalive,
 * 1 s x 1 probe, would close it after about 2 s), not synchronisation. */
START_TEST(test_keepalive_own_backlog)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_connect_supports_feature_args ka = { .feature = 10 };

    open_conn(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_SUPPORTS_FEATURE, 1,
                      (xdrproc_t)xdr_mv_connect_supports_feature_args, &ka);
    expect_reply(fd, 1, MV_OK);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 2, NULL, NULL);
    wait_calls(1);
    loop_do(CMD_FLOOD);
    ck_assert(atomic_load(&flood_full));
    sleep(4);
    read_backlog(fd);
    loop_do(CMD_ANSWER_ONE);
    expect_reply_past_data(fd, 2);
}
END_TEST

/* The error of reply M: its code and whether its message contains TEXT. */
static void expect_error_text(int fd, unsigned serial, int code, const char *text)
{
    _cleanup_msg_ struct mv_msg *m = recv_packet(fd);
    mv_error e = { 0 };

    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_ERROR);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &e), 0);
    ck_assert_int_eq(e.code, code);
    ck_assert_msg(e.message && strstr(*e.message, text), "message: %s", e.message ? *e.message : "-");
    xdr_free((xdrproc_t)xdr_mv_error, (char *)&e);
}

/* No server takes file descriptors: a CALL_WITH_FDS is answered with an
 * error (it used to be dropped, its client waiting forever), not forwarded. */
START_TEST(test_call_with_fds_refused)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    open_conn(fd, 0);
    mv_test_send_packet(fd, MV_CALL_WITH_FDS, MV_OK, MV_PROC_CONNECT_GET_HOSTNAME, 1, NULL, NULL);
    expect_error_text(fd, 1, MV_ERR_OPERATION_UNSUPPORTED, "does not accept file descriptors");
    ck_assert_uint_eq(atomic_load(&calls_seen), 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 2, NULL, NULL);
    expect_reply(fd, 2, MV_OK);
}
END_TEST

/* CONNECT_SET_IDENTITY from a root peer: taken before any call was
 * forwarded, refused (naming why) once the forwarder used the identity. */
START_TEST(test_identity_after_forwarding)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_typed_param p[3] = {
        { .field = "unix-user-id", .value = { .type = 4, .mv_typed_param_value_u.ul = 1000 } },
        { .field = "unix-group-id", .value = { .type = 4, .mv_typed_param_value_u.ul = 1000 } },
        { .field = "process-id", .value = { .type = 3, .mv_typed_param_value_u.l = 1 } },
    };
    mv_connect_set_identity_args id = { .params = { 3, p } };

    if (geteuid() != 0)
        return;     /* only a root peer may set an identity at all */
    open_conn(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_SET_IDENTITY, 1, (xdrproc_t)xdr_mv_connect_set_identity_args, &id);
    expect_reply(fd, 1, MV_OK);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 2, NULL, NULL);
    wait_calls(1);
    loop_do(CMD_ANSWER_ONE);
    expect_reply(fd, 2, MV_OK);
    mv_test_send_call(fd, MV_PROC_CONNECT_SET_IDENTITY, 3, (xdrproc_t)xdr_mv_connect_set_identity_args, &id);
    expect_error_text(fd, 3, MV_ERR_OPERATION_INVALID,
                      "modvirt-testproxy: virConnectSetIdentity after calls were forwarded");
}
END_TEST

static Suite *forward_suite(void)
{
    Suite *s = suite_create("rpc_forward");
    TCase *tc = tcase_create("forwarder");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_routing);
    tcase_add_test(tc, test_checks_first);
    tcase_add_test(tc, test_inflight_limit);
    tcase_add_test(tc, test_stream_packets);
    tcase_add_test(tc, test_hold_input);
    tcase_add_test(tc, test_output_full_drained);
    tcase_add_test(tc, test_keepalive_own_backlog);
    tcase_add_test(tc, test_call_with_fds_refused);
    tcase_add_test(tc, test_identity_after_forwarding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(forward_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
