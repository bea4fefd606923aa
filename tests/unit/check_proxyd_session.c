/*
 * proxyd's session (session.c, stream_relay.c) end to end in one thread: the
 * real server with the proxy's forwarder, a raw client on its socket, and
 * fake daemons (qemud, storaged) the legs connect to; the test steps the
 * loop and plays client and daemons with non-blocking reads.  The lifecycle
 * paths: a client that closes with calls pending on two legs, a leg that
 * dies under a live stream and a pending stream-open, a client's abort, the
 * stream limit and its slot coming back, the client released when a full
 * leg dies, and a client closed from inside a dying leg's callbacks (the
 * error reply cannot be made).  Run under ASan for the use-after-free and
 * leak side of these.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "message.h"
#include "rpc_harness.h"
#include "server.h"
#include "session.h"

/* ---- what main.c provides in the daemon ---- */

struct proxy_config proxy_config;

const char *proxy_daemon_name(enum mv_subsystem s)
{
    static const char *const names[MV_SUBSYS_COUNT] = {
        [MV_SUBSYS_QEMU] = "qemud", [MV_SUBSYS_NETWORK] = "netd",
        [MV_SUBSYS_STORAGE] = "storaged", [MV_SUBSYS_NODEDEV] = "nodedevd",
    };
    return s < MV_SUBSYS_COUNT ? names[s] : NULL;
}

/* ---- an error reply that cannot be made (out of memory), on demand ---- */

int __real_mv_msg_error_packet(const struct mv_message_header *hdr, int type, const struct mv_err *err,
                               struct mv_msg **ret);
int __wrap_mv_msg_error_packet(const struct mv_message_header *hdr, int type, const struct mv_err *err,
                               struct mv_msg **ret);
static bool error_packets_fail;

int __wrap_mv_msg_error_packet(const struct mv_message_header *hdr, int type, const struct mv_err *err,
                               struct mv_msg **ret)
{
    if (error_packets_fail)
        return -ENOMEM;
    return __real_mv_msg_error_packet(hdr, type, err, ret);
}

/* ---- fixture: the proxy's server, two fake daemons ---- */

static int capture_open(struct mv_call *call);
static const char *const schemes[] = { "qemu", NULL };
static const struct mv_dispatch_table *const no_tables[] = { NULL };
static const struct mv_server_driver proxy_driver = {
    .name = "proxyd", .type = "QEMU", .uri = "qemu:///system", .uri_schemes = schemes,
    .subsystem = MV_SUBSYS_CONNECT, .tables = no_tables,
    .client_open = capture_open, .client_close = session_client_close,
    .forwarder = &session_forwarder,
};

enum { QEMUD, STORAGED, NDAEMONS };
static const enum mv_subsystem daemon_sub[NDAEMONS] = { MV_SUBSYS_QEMU, MV_SUBSYS_STORAGE };

static char dir[] = "/tmp/mv-sess-XXXXXX";
static char sock_path[128];
static sd_event *ev;
static struct mv_server *srv;
static int lfd[NDAEMONS] = { -1, -1 }, dfd[NDAEMONS] = { -1, -1 };
static struct mv_client *client;        /* the server's side of the test's client */

static int capture_open(struct mv_call *call)
{
    client = mv_call_client(call);
    return session_open(call);
}

static struct proxy_session *session(void)
{
    return mv_client_get_data(client);
}

static int listen_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    ck_assert_int_ge(fd, 0);
    strcpy(sa.sun_path, path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    return fd;
}

static void setup(void)
{
    struct mv_listen_opts rw = { .readonly = false, .auth = MV_AUTH_METHOD_NONE };
    struct mv_server_config cfg = { .max_clients = 4, .max_workers = 1, .max_client_requests = 100 };

    error_packets_fail = false;
    client = NULL;
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-sess-XXXXXX")));
    snprintf(sock_path, sizeof(sock_path), "%s/libvirt-sock", dir);
    ck_assert_int_ge(sd_event_new(&ev), 0);
    memset(&proxy_config, 0, sizeof(proxy_config));
    proxy_config.event = ev;
    proxy_config.upstream_timeout = 10;
    for (int d = 0; d < NDAEMONS; d++) {
        ck_assert_int_ge(asprintf(&proxy_config.socket[daemon_sub[d]], "%s/%s-sock", dir,
                                  proxy_daemon_name(daemon_sub[d])), 0);
        lfd[d] = listen_at(proxy_config.socket[daemon_sub[d]]);
        dfd[d] = -1;
    }
    ck_assert_int_eq(mv_server_new(ev, &proxy_driver, &cfg, &srv), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, sock_path, 0600, (gid_t)-1, &rw), 0);
}

static void teardown(void)
{
    mv_server_free(srv);
    for (int d = 0; d < NDAEMONS; d++) {
        if (dfd[d] >= 0)
            close(dfd[d]);
        close(lfd[d]);
        unlink(proxy_config.socket[daemon_sub[d]]);
        free(proxy_config.socket[daemon_sub[d]]);
    }
    /* legs closed by the server's close of the client free at the loop's end */
    sd_event_unref(ev);
    unlink(sock_path);
    rmdir(dir);
}

/* ---- stepping the loop while a side waits ---- */

#define PUMP_UNTIL(cond) MV_TEST_PUMP_UNTIL(ev, cond)

static void send_msg(int fd, const struct mv_message_header *h, const void *data, size_t len)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode_raw(m, h, data, len), 0);
    ck_assert_int_eq(send(fd, m->buf, m->len, MSG_NOSIGNAL), (ssize_t)m->len);
}

/* ---- the client ---- */

static int client_open(void)
{
    int fd = mv_test_dial(sock_path);
    char *uri = "qemu:///system";
    mv_connect_open_args open = { .name = &uri, .flags = 0 };
    _cleanup_msg_ struct mv_msg *m = NULL;

    mv_test_send_call(fd, MV_PROC_CONNECT_OPEN, 0, (xdrproc_t)xdr_mv_connect_open_args, &open);
    m = mv_test_recv_stepping(fd, ev);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.status, MV_OK);
    ck_assert_ptr_nonnull(session());
    return fd;
}

static void client_call(int fd, int proc, unsigned serial)
{
    mv_test_send_call(fd, proc, serial, NULL, NULL);
}

/* Checks packet M: TYPE, SERIAL, STATUS; for an error, that its message has TEXT. */
static void check_packet(const struct mv_msg *m, int type, unsigned serial, int status, const char *text)
{
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.type, type);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, status);
    if (text) {
        mv_error e = { 0 };

        ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &e), 0);
        ck_assert_msg(e.message && strstr(*e.message, text), "message: %s", e.message ? *e.message : "-");
        xdr_free((xdrproc_t)xdr_mv_error, (char *)&e);
    }
}

/* ---- the daemons ---- */

/* Daemon D accepts its leg and answers the handshake. */
static void daemon_accept(int d)
{
    mv_auth_type none = MV_AUTH_NONE;
    mv_auth_list_ret al = { .types = { 1, &none } };

    /* the leg connects when the loop has handled the client's call */
    for (int i = 0; i < 1000 && (dfd[d] = accept4(lfd[d], NULL, NULL, SOCK_CLOEXEC)) < 0; i++) {
        ck_assert_int_eq(errno, EAGAIN);
        ck_assert_int_ge(sd_event_run(ev, 10000), 0);
    }
    ck_assert_int_ge(dfd[d], 0);
    for (int i = 0; i < 3; i++) {
        _cleanup_msg_ struct mv_msg *m = mv_test_recv_stepping(dfd[d], ev);
        struct mv_message_header h;
        _cleanup_msg_ struct mv_msg *r = mv_msg_new();

        ck_assert_ptr_nonnull(m);
        h = m->hdr;
        h.type = MV_REPLY;
        ck_assert_int_eq(mv_msg_encode(r, &h, m->hdr.proc == MV_PROC_AUTH_LIST ?
                                       (xdrproc_t)xdr_mv_auth_list_ret : NULL, &al), 0);
        ck_assert_int_eq(send(dfd[d], r->buf, r->len, MSG_NOSIGNAL), (ssize_t)r->len);
    }
}

/* The next call daemon D got (taken by the caller), checked for PROC. */
static struct mv_msg *daemon_call(int d, int proc)
{
    struct mv_msg *m = mv_test_recv_stepping(dfd[d], ev);

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.proc, proc);
    return m;
}

/* Daemon D answers CALL (a REPLY OK, or STREAM with STATUS) with its header. */
static void daemon_answer(int d, const struct mv_msg *call, int type, int status)
{
    struct mv_message_header h = call->hdr;

    h.type = type;
    h.status = status;
    send_msg(dfd[d], &h, NULL, 0);
}

static void daemon_close(int d)
{
    close(dfd[d]);
    dfd[d] = -1;
}

/* Reads until EOF on daemon D's side (the proxy closed the leg). */
static void daemon_expect_eof(int d)
{
    for (;;) {
        _cleanup_msg_ struct mv_msg *m = mv_test_recv_stepping(dfd[d], ev);
        if (!m)
            return;
    }
}

/* A stream opened on storaged by the client's call SERIAL (a download): the
 * leg serial the daemon saw, to answer its packets with. */
static struct mv_msg *open_download(int cfd, unsigned serial)
{
    struct mv_msg *call;
    _cleanup_msg_ struct mv_msg *reply = NULL;

    client_call(cfd, MV_PROC_STORAGE_VOL_DOWNLOAD, serial);
    if (dfd[STORAGED] < 0)
        daemon_accept(STORAGED);
    call = daemon_call(STORAGED, MV_PROC_STORAGE_VOL_DOWNLOAD);
    daemon_answer(STORAGED, call, MV_REPLY, MV_OK);
    reply = mv_test_recv_stepping(cfd, ev);
    check_packet(reply, MV_REPLY, serial, MV_OK, NULL);
    return call;
}

/* ---- tests ---- */

/* The client goes away with a call pending on each of two legs: both legs
 * close (each daemon sees EOF) and nothing is left (ASan: no leak). */
START_TEST(test_close_with_calls_on_two_legs)
{
    int cfd = client_open();
    _cleanup_msg_ struct mv_msg *a = NULL, *b = NULL;

    client_call(cfd, MV_PROC_CONNECT_NUM_OF_DOMAINS, 1);
    daemon_accept(QEMUD);
    a = daemon_call(QEMUD, MV_PROC_CONNECT_NUM_OF_DOMAINS);
    client_call(cfd, MV_PROC_CONNECT_NUM_OF_STORAGE_POOLS, 2);
    daemon_accept(STORAGED);
    b = daemon_call(STORAGED, MV_PROC_CONNECT_NUM_OF_STORAGE_POOLS);
    close(cfd);
    daemon_expect_eof(QEMUD);
    daemon_expect_eof(STORAGED);
    PUMP_UNTIL(mv_server_nclients(srv) == 0);
}
END_TEST

/* storaged dies under a live download and a stream-open it has not
 * answered: one STREAM error for the first, one REPLY error for the
 * second, both naming it, and no relay is left. */
START_TEST(test_leg_dies_with_streams)
{
    _cleanup_close_ int cfd = client_open();
    _cleanup_msg_ struct mv_msg *dl = NULL, *ul = NULL;
    bool got_stream = false, got_reply = false;

    dl = open_download(cfd, 1);
    client_call(cfd, MV_PROC_STORAGE_VOL_UPLOAD, 2);
    ul = daemon_call(STORAGED, MV_PROC_STORAGE_VOL_UPLOAD);
    ck_assert_uint_eq(session()->nrelays, 2);
    daemon_close(STORAGED);
    for (int i = 0; i < 2; i++) {
        _cleanup_msg_ struct mv_msg *m = mv_test_recv_stepping(cfd, ev);

        ck_assert_ptr_nonnull(m);
        if (m->hdr.type == MV_STREAM) {
            check_packet(m, MV_STREAM, 1, MV_ERROR, "modvirt-storaged closed the connection");
            got_stream = true;
        } else {
            check_packet(m, MV_REPLY, 2, MV_ERROR, "modvirt-storaged closed the connection");
            got_reply = true;
        }
    }
    ck_assert(got_stream && got_reply);
    ck_assert_uint_eq(session()->nrelays, 0);
    ck_assert_ptr_null(session()->legs[MV_SUBSYS_STORAGE]);
}
END_TEST

/* The client aborts (STREAM ERROR): it goes to the daemon, and the relay
 * ends once the daemon confirms (STREAM OK), which the client gets. */
START_TEST(test_client_abort)
{
    _cleanup_close_ int cfd = client_open();
    _cleanup_msg_ struct mv_msg *dl = open_download(cfd, 5), *abort = NULL, *conf = NULL;
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_STORAGE_VOL_DOWNLOAD,
                                   MV_STREAM, 5, MV_ERROR };
    mv_error e = { 0 };

    mv_test_send_packet(cfd, MV_STREAM, MV_ERROR, MV_PROC_STORAGE_VOL_DOWNLOAD, 5,
                        (xdrproc_t)xdr_mv_error, &e);
    abort = mv_test_recv_stepping(dfd[STORAGED], ev);
    ck_assert_ptr_nonnull(abort);
    ck_assert_int_eq(abort->hdr.type, MV_STREAM);
    ck_assert_int_eq(abort->hdr.status, MV_ERROR);
    ck_assert_uint_eq(abort->hdr.serial, dl->hdr.serial);      /* the leg's serial */
    ck_assert_uint_eq(session()->nrelays, 1);                   /* until the daemon confirms */
    h.serial = dl->hdr.serial;
    h.status = MV_OK;
    send_msg(dfd[STORAGED], &h, NULL, 0);
    conf = mv_test_recv_stepping(cfd, ev);
    check_packet(conf, MV_STREAM, 5, MV_OK, NULL);
    ck_assert_uint_eq(session()->nrelays, 0);
}
END_TEST

/* MV_PROXY_STREAMS_MAX open streams: one more is refused at the proxy
 * (storaged never sees it); once one ends, a new one goes through. */
START_TEST(test_stream_limit)
{
    _cleanup_close_ int cfd = client_open();
    struct mv_msg *calls[MV_PROXY_STREAMS_MAX];
    _cleanup_msg_ struct mv_msg *refused = NULL, *fin = NULL, *next = NULL;

    for (unsigned i = 0; i < MV_PROXY_STREAMS_MAX; i++)
        calls[i] = open_download(cfd, 10 + i);
    client_call(cfd, MV_PROC_STORAGE_VOL_DOWNLOAD, 100);
    refused = mv_test_recv_stepping(cfd, ev);
    check_packet(refused, MV_REPLY, 100, MV_ERROR, "too many open streams");
    /* storaged ends the first stream (its data done: STREAM OK) */
    daemon_answer(STORAGED, calls[0], MV_STREAM, MV_OK);
    fin = mv_test_recv_stepping(cfd, ev);
    check_packet(fin, MV_STREAM, 10, MV_OK, NULL);
    ck_assert_uint_eq(session()->nrelays, MV_PROXY_STREAMS_MAX - 1);
    next = open_download(cfd, 101);
    ck_assert_uint_eq(session()->nrelays, MV_PROXY_STREAMS_MAX);
    for (unsigned i = 0; i < MV_PROXY_STREAMS_MAX; i++)
        mv_msg_free(calls[i]);
}
END_TEST

/* An upload storaged does not read fills the leg's queue: the client is
 * held (legs_over).  storaged dies: the hold is released and the client is
 * read again (a connection-level call is answered). */
START_TEST(test_full_leg_dies_releases_client)
{
    _cleanup_close_ int cfd = client_open();
    _cleanup_msg_ struct mv_msg *ul = NULL, *reply = NULL, *m = NULL;
    static char chunk[MV_STREAM_CHUNK_MAX];
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_STORAGE_VOL_UPLOAD,
                                   MV_STREAM, 7, MV_CONTINUE };
    _cleanup_msg_ struct mv_msg *data = mv_msg_new();
    size_t off = 0;

    client_call(cfd, MV_PROC_STORAGE_VOL_UPLOAD, 7);
    daemon_accept(STORAGED);
    ul = daemon_call(STORAGED, MV_PROC_STORAGE_VOL_UPLOAD);
    daemon_answer(STORAGED, ul, MV_REPLY, MV_OK);
    reply = mv_test_recv_stepping(cfd, ev);
    check_packet(reply, MV_REPLY, 7, MV_OK, NULL);
    ck_assert_int_eq(mv_msg_encode_raw(data, &h, chunk, sizeof(chunk)), 0);
    /* write data (non-blocking) until the proxy holds the client */
    for (int i = 0; i < 100000 && !session()->legs_over; i++) {
        ssize_t n = send(cfd, data->buf + off, data->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0)
            off = (off + (size_t)n) % data->len;
        ck_assert_int_ge(sd_event_run(ev, n > 0 ? 0 : 10000), 0);
    }
    ck_assert_uint_ne(session()->legs_over, 0);
    /* finish the packet being written, so the next one starts whole */
    while (off) {
        ssize_t n = send(cfd, data->buf + off, data->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0)
            off = (off + (size_t)n) % data->len;
        ck_assert_int_ge(sd_event_run(ev, n > 0 ? 0 : 10000), 0);
    }
    daemon_close(STORAGED);
    PUMP_UNTIL(!session()->legs[MV_SUBSYS_STORAGE]);
    ck_assert_uint_eq(session()->legs_over, 0);
    /* the stream's error, then (past the rest of the data, dropped) a reply */
    m = mv_test_recv_stepping(cfd, ev);
    check_packet(m, MV_STREAM, 7, MV_ERROR, "modvirt-storaged closed the connection");
    client_call(cfd, MV_PROC_CONNECT_GET_TYPE, 8);
    for (;;) {
        _cleanup_msg_ struct mv_msg *r = mv_test_recv_stepping(cfd, ev);

        ck_assert_ptr_nonnull(r);
        if (r->hdr.type == MV_REPLY) {
            check_packet(r, MV_REPLY, 8, MV_OK, NULL);
            break;
        }
    }
}
END_TEST

/* A dying leg owes two calls and their error replies cannot be made: the
 * first closes the client inside the leg's fail callback (the server does
 * not let a call wait forever).  The session must outlive the rest of the
 * leg's callbacks (ASan: no use after free), and the client is gone. */
START_TEST(test_client_closed_inside_leg_callbacks)
{
    int cfd = client_open();
    _cleanup_msg_ struct mv_msg *a = NULL, *b = NULL, *m = NULL;

    client_call(cfd, MV_PROC_CONNECT_NUM_OF_DOMAINS, 1);
    daemon_accept(QEMUD);
    a = daemon_call(QEMUD, MV_PROC_CONNECT_NUM_OF_DOMAINS);
    client_call(cfd, MV_PROC_CONNECT_NUM_OF_DOMAINS, 2);
    b = daemon_call(QEMUD, MV_PROC_CONNECT_NUM_OF_DOMAINS);
    error_packets_fail = true;
    daemon_close(QEMUD);
    m = mv_test_recv_stepping(cfd, ev);
    ck_assert_ptr_null(m);          /* closed, no reply */
    close(cfd);
    PUMP_UNTIL(mv_server_nclients(srv) == 0);
}
END_TEST

static Suite *session_suite(void)
{
    Suite *s = suite_create("proxyd_session");
    TCase *tc = tcase_create("session");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_close_with_calls_on_two_legs);
    tcase_add_test(tc, test_leg_dies_with_streams);
    tcase_add_test(tc, test_client_abort);
    tcase_add_test(tc, test_stream_limit);
    tcase_add_test(tc, test_full_leg_dies_releases_client);
    tcase_add_test(tc, test_client_closed_inside_leg_callbacks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(session_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
