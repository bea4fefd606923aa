/*
 * libmodvirt through its public API against a fake daemon: a thread that
 * listens on sockets under a private root (as "modvirt-qemud --root" lays
 * them out), speaks the real codec and records which procedures arrive on
 * which socket.  Covers URI handling, socket choice, the handshake, lazy
 * opening, routing and error reporting.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "client/modvirt.h"
#include "remote_protocol.h"
#include "rpc/error.h"
#include "rpc/message.h"

#define FAKE_SOCKETS 3

struct fake {
    char root[64];
    char paths[FAKE_SOCKETS][192];
    int lfd[FAKE_SOCKETS];
    int stop[2];
    pthread_t thread;
    /* behaviour */
    int auth;
    bool polkit_deny;
    bool fail_nodeinfo;
    int hangup_at;              /* drop the connection at this hostname call, unanswered */
    int hostnames;
    /* what arrived */
    pthread_mutex_t lock;
    char log[4096];
    char open_name[64];
    unsigned int open_flags;
    unsigned int list_flags;
};

static const char *const sock_names[FAKE_SOCKETS] = { "qemud-sock", "qemud-sock-ro", "other-sock" };

static void logf_(struct fake *f, const char *sock, int proc)
{
    size_t len;

    pthread_mutex_lock(&f->lock);
    len = strlen(f->log);
    snprintf(f->log + len, sizeof(f->log) - len, "%s:%d ", sock, proc);
    pthread_mutex_unlock(&f->lock);
}

static void send_reply(int fd, const struct mv_msg *call, xdrproc_t filter, const void *data)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = call->hdr;

    h.type = MV_REPLY;
    ck_assert_int_eq(mv_msg_encode(m, &h, filter, data), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
}

static void send_error(int fd, const struct mv_msg *call, int code, int domain, const char *text)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = call->hdr;
    struct mv_err e = { 0 };
    mv_error wire;

    h.type = MV_REPLY;
    h.status = MV_ERROR;
    mv_err_set(&e, code, domain, "%s", text);
    mv_err_to_wire(&e, &wire);
    ck_assert_int_eq(mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_error, &wire), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
    mv_err_clear(&e);
}

static void reply_string(int fd, const struct mv_msg *call, const char *s)
{
    char *v = (char *)s;

    /* every string-only reply struct has the layout of one nonnull string */
    send_reply(fd, call, (xdrproc_t)xdr_mv_nonnull_string, &v);
}

static void handle_open(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_open_args args = { 0 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_open_args, &args), 0);
    pthread_mutex_lock(&f->lock);
    snprintf(f->open_name, sizeof(f->open_name), "%s", args.name ? *args.name : "(null)");
    f->open_flags = args.flags;
    pthread_mutex_unlock(&f->lock);
    xdr_free((xdrproc_t)xdr_mv_connect_open_args, (char *)&args);
    send_reply(fd, call, NULL, NULL);
}

static void handle_node_info(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_get_info_ret ret = {
        .memory = 2048, .cpus = 4, .mhz = 1000, .nodes = 1, .sockets = 1, .cores = 2, .threads = 2,
    };

    if (f->fail_nodeinfo) {
        send_error(fd, call, 1, 10, "internal error: no /proc here");
        return;
    }
    /* all 32 characters used: no NUL on the wire */
    memset(ret.model, 'x', sizeof(ret.model));
    send_reply(fd, call, (xdrproc_t)xdr_mv_node_get_info_ret, &ret);
}

static void handle_list(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_list_all_domains_args args = { 0 };
    mv_nonnull_domain doms[2] = {
        { .name = (char *)"vm-b", .id = -1 },
        { .name = (char *)"vm-a", .id = 3 },
    };
    mv_connect_list_all_domains_ret ret = { .domains = { 2, doms }, .ret = 2 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_list_all_domains_args, &args), 0);
    ck_assert_int_eq(args.need_results, 1);
    f->list_flags = args.flags;
    memset(doms[0].uuid, 0x22, 16);
    memset(doms[1].uuid, 0x11, 16);
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_list_all_domains_ret, &ret);
}

static void handle_auth(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_auth_type types[1] = { f->auth };
    mv_auth_list_ret list = { .types = { 1, types } };
    mv_auth_polkit_ret polkit = { .complete = 1 };

    if (call->hdr.proc == MV_PROC_AUTH_LIST)
        send_reply(fd, call, (xdrproc_t)xdr_mv_auth_list_ret, &list);
    else if (f->polkit_deny)
        send_error(fd, call, 45, 60, "authentication failed: access denied by policy");
    else
        send_reply(fd, call, (xdrproc_t)xdr_mv_auth_polkit_ret, &polkit);
}

/* Answers one call; false once the client said CONNECT_CLOSE. */
static bool handle(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_get_version_ret ver = { .hv_ver = 7002022 };
    mv_connect_get_lib_version_ret lib = { .lib_ver = 9000000 };

    switch (call->hdr.proc) {
    case MV_PROC_AUTH_LIST:
    case MV_PROC_AUTH_POLKIT: handle_auth(f, fd, call); break;
    case MV_PROC_CONNECT_OPEN: handle_open(f, fd, call); break;
    case MV_PROC_CONNECT_GET_HOSTNAME:
        if (++f->hostnames == f->hangup_at)
            return false;
        reply_string(fd, call, "fakehost");
        break;
    case MV_PROC_CONNECT_GET_TYPE: reply_string(fd, call, "QEMU"); break;
    case MV_PROC_CONNECT_GET_CAPABILITIES: reply_string(fd, call, "<capabilities/>\n"); break;
    case MV_PROC_CONNECT_GET_VERSION:
        send_reply(fd, call, (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
        break;
    case MV_PROC_CONNECT_GET_LIB_VERSION:
        send_reply(fd, call, (xdrproc_t)xdr_mv_connect_get_lib_version_ret, &lib);
        break;
    case MV_PROC_NODE_GET_INFO: handle_node_info(f, fd, call); break;
    case MV_PROC_CONNECT_LIST_ALL_DOMAINS: handle_list(f, fd, call); break;
    case MV_PROC_CONNECT_CLOSE:
        send_reply(fd, call, NULL, NULL);
        return false;
    default:
        send_error(fd, call, 39, 7, "unknown procedure");
        break;
    }
    return true;
}

static void serve(struct fake *f, int fd, const char *sock)
{
    for (;;) {
        struct mv_frame_reader r = { 0 };
        _cleanup_msg_ struct mv_msg *m = NULL;
        const char *why = NULL;

        if (mv_frame_read(fd, &r, &m, &why) != 1) {
            mv_frame_reader_reset(&r);
            return;
        }
        logf_(f, sock, m->hdr.proc);
        if (!handle(f, fd, m))
            return;
    }
}

static void *fake_main(void *opaque)
{
    struct fake *f = opaque;

    for (;;) {
        struct pollfd pfd[FAKE_SOCKETS + 1];

        for (int i = 0; i < FAKE_SOCKETS; i++)
            pfd[i] = (struct pollfd){ .fd = f->lfd[i], .events = POLLIN };
        pfd[FAKE_SOCKETS] = (struct pollfd){ .fd = f->stop[0], .events = POLLIN };
        if (poll(pfd, FAKE_SOCKETS + 1, -1) < 0 || pfd[FAKE_SOCKETS].revents)
            return NULL;
        for (int i = 0; i < FAKE_SOCKETS; i++) {
            if (!pfd[i].revents)
                continue;
            int fd = accept4(f->lfd[i], NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                serve(f, fd, sock_names[i]);
                close(fd);
            }
        }
    }
}

static void fake_start(struct fake *f)
{
    char dir[128];

    strcpy(f->root, "/tmp/check-libmodvirt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->root));
    snprintf(dir, sizeof(dir), "%s/run", f->root);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(dir, sizeof(dir), "%s/run/modvirt", f->root);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    pthread_mutex_init(&f->lock, NULL);
    for (int i = 0; i < FAKE_SOCKETS; i++) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(f->paths[i], sizeof(f->paths[i]), "%s/%s", dir, sock_names[i]);
        strcpy(sa.sun_path, f->paths[i]);
        f->lfd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(bind(f->lfd[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        ck_assert_int_eq(listen(f->lfd[i], 4), 0);
    }
    ck_assert_int_eq(pipe2(f->stop, O_CLOEXEC), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    char dir[128];

    ck_assert_int_eq(write(f->stop[1], "x", 1), 1);
    pthread_join(f->thread, NULL);
    for (int i = 0; i < FAKE_SOCKETS; i++) {
        close(f->lfd[i]);
        unlink(f->paths[i]);
    }
    close(f->stop[0]);
    close(f->stop[1]);
    snprintf(dir, sizeof(dir), "%s/run/modvirt", f->root);
    rmdir(dir);
    snprintf(dir, sizeof(dir), "%s/run", f->root);
    rmdir(dir);
    rmdir(f->root);
    pthread_mutex_destroy(&f->lock);
}

static modvirt_conn *open_root(struct fake *f, unsigned int flags)
{
    char uri[256];
    modvirt_error *err = NULL;
    modvirt_conn *conn;

    snprintf(uri, sizeof(uri), "qemu:///system?root=%s", f->root);
    conn = modvirt_conn_open(uri, flags, &err);
    ck_assert_msg(conn != NULL, "open: %s", err ? err->message : "?");
    return conn;
}

/* ---- tests ---- */

START_TEST(test_handshake_and_call)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    /* opening contacts nobody: daemons are reached on first use */
    ck_assert_str_eq(f.log, "");
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    ck_assert_str_eq(host, "fakehost");
    free(host);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:2 ");
    ck_assert_str_eq(f.open_name, "qemu:///system");
    ck_assert_uint_eq(f.open_flags, 0);
}
END_TEST

START_TEST(test_readonly_socket_and_flag)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    char *type = NULL;

    fake_start(&f);
    conn = open_root(&f, MODVIRT_CONN_READONLY);
    ck_assert_int_eq(modvirt_conn_get_type(conn, &type, NULL), 0);
    ck_assert_str_eq(type, "QEMU");
    free(type);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock-ro:66 qemud-sock-ro:1 qemud-sock-ro:3 qemud-sock-ro:2 ");
    ck_assert_uint_eq(f.open_flags, 1);
}
END_TEST

START_TEST(test_polkit_then_open)
{
    struct fake f = { .auth = MV_AUTH_POLKIT };
    modvirt_conn *conn;
    uint64_t v = 0, lib = 0;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_version(conn, &v, NULL), 0);
    ck_assert_int_eq(modvirt_conn_get_lib_version(conn, &lib, NULL), 0);
    ck_assert_uint_eq(v, 7002022);
    ck_assert_uint_eq(lib, 9000000);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:70 qemud-sock:1 qemud-sock:4 "
                     "qemud-sock:157 qemud-sock:2 ");
}
END_TEST

START_TEST(test_polkit_denied_is_cannot_connect)
{
    struct fake f = { .auth = MV_AUTH_POLKIT, .polkit_deny = true };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_ptr_null(host);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, 45);
    ck_assert_int_eq(err->domain, 60);
    ck_assert_str_eq(err->message, "authentication failed: access denied by policy");
    modvirt_error_free(err);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* no CONNECT_OPEN after the denial, and nothing to close */
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:70 ");
}
END_TEST

START_TEST(test_socket_parameter)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    char uri[256];
    modvirt_conn *conn;
    modvirt_node_info info;

    fake_start(&f);
    snprintf(uri, sizeof(uri), "modvirt:///system?socket=%s", f.paths[2]);
    conn = modvirt_conn_open(uri, 0, NULL);
    ck_assert_ptr_nonnull(conn);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), uri);
    ck_assert_int_eq(modvirt_node_get_info(conn, &info, NULL), 0);
    /* a 32-character model without NUL comes out terminated */
    ck_assert_uint_eq(strlen(info.model), 32);
    ck_assert_uint_eq(info.memory, 2048);
    ck_assert_uint_eq(info.cpus, 4);
    ck_assert_uint_eq(info.mhz, 1000);
    ck_assert_uint_eq(info.nodes, 1);
    ck_assert_uint_eq(info.sockets, 1);
    ck_assert_uint_eq(info.cores, 2);
    ck_assert_uint_eq(info.threads, 2);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "other-sock:66 other-sock:1 other-sock:6 other-sock:2 ");
    ck_assert_str_eq(f.open_name, "qemu:///system");
}
END_TEST

START_TEST(test_daemon_error_keeps_connection)
{
    struct fake f = { .auth = MV_AUTH_NONE, .fail_nodeinfo = true };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    modvirt_node_info info = { .cpus = 77 };
    char *caps = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_node_get_info(conn, &info, &err), -EIO);
    ck_assert_int_eq(err->code, 1);
    ck_assert_int_eq(err->domain, 10);
    ck_assert_str_eq(err->message, "internal error: no /proc here");
    ck_assert_uint_eq(info.cpus, 77);     /* untouched on failure */
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_conn_get_capabilities(conn, &caps, NULL), 0);
    ck_assert_str_eq(caps, "<capabilities/>\n");
    free(caps);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* one connection served both calls */
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:6 qemud-sock:7 qemud-sock:2 ");
}
END_TEST

START_TEST(test_list_all_domains)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain_ref *list = NULL;
    size_t n = 0;
    unsigned char u11[16];

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_list_all_domains(conn, MODVIRT_LIST_DOMAINS_INACTIVE, &list, &n, NULL), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0].name, "vm-b");
    ck_assert_int_eq(list[0].id, -1);
    ck_assert_str_eq(list[1].name, "vm-a");
    ck_assert_int_eq(list[1].id, 3);
    memset(u11, 0x11, 16);
    ck_assert_int_eq(memcmp(list[1].uuid, u11, 16), 0);
    modvirt_domain_ref_list_free(list, n);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_uint_eq(f.list_flags, MODVIRT_LIST_DOMAINS_INACTIVE);
}
END_TEST

/* A daemon that went away (restart) is reconnected on the next call. */
START_TEST(test_reconnect_after_loss)
{
    struct fake f = { .auth = MV_AUTH_NONE, .hangup_at = 2 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    free(host);
    host = NULL;
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_ptr_nonnull(strstr(err->message, "qemud-sock'"));
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    ck_assert_str_eq(host, "fakehost");
    free(host);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:59 "
                     "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:2 ");
}
END_TEST

START_TEST(test_no_daemon)
{
    modvirt_conn *conn = modvirt_conn_open("qemu:///system?root=/nonexistent-mv", 0, NULL);
    modvirt_error *err = NULL;
    char *host = NULL;

    ck_assert_ptr_nonnull(conn);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_str_eq(err->message, "cannot connect to '/nonexistent-mv/run/modvirt/qemud-sock': "
                     "No such file or directory \xe2\x80\x94 is modvirt-qemud running?");
    modvirt_error_free(err);
    modvirt_conn_close(conn);
}
END_TEST

START_TEST(test_bad_uris)
{
    static const struct { const char *uri; const char *says; } bad[] = {
        { "xen:///system", "unsupported URI scheme 'xen'" },
        { "qemu", "unsupported URI scheme ''" },
        { "qemu://otherhost/system", "remote host 'otherhost'" },
        { "qemu:///session", "unsupported path '/session'" },
        { "qemu:///system?mode=direct", "unsupported parameter 'mode'" },
        { "qemu:///system?socket=", "needs an absolute path" },
        { "qemu:///system?root=relative", "needs an absolute path" },
        { "qemu:///system?socket=/a%2", "needs an absolute path" },
        { "qemu:///system?socket=/a&root=/b", "exclude each other" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        modvirt_error *err = NULL;
        modvirt_conn *conn = modvirt_conn_open(bad[i].uri, 0, &err);

        ck_assert_msg(conn == NULL, "accepted %s", bad[i].uri);
        ck_assert_int_eq(err->code, 8);
        ck_assert_msg(strstr(err->message, bad[i].says) != NULL, "%s: %s", bad[i].uri, err->message);
        modvirt_error_free(err);
    }
}
END_TEST

START_TEST(test_default_uri)
{
    modvirt_conn *conn;

    unsetenv("MODVIRT_DEFAULT_URI");
    conn = modvirt_conn_open(NULL, 0, NULL);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), "qemu:///system");
    modvirt_conn_close(conn);
    setenv("MODVIRT_DEFAULT_URI", "modvirt:///system?root=/tmp/x%2Fy", 1);
    conn = modvirt_conn_open(NULL, 0, NULL);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), "modvirt:///system?root=/tmp/x%2Fy");
    modvirt_conn_close(conn);
    ck_assert_ptr_null(modvirt_conn_open(NULL, 2, NULL));   /* unknown flag */
}
END_TEST

static Suite *libmodvirt_suite(void)
{
    Suite *s = suite_create("libmodvirt");
    TCase *daemon = tcase_create("daemon");
    TCase *uri = tcase_create("uri");

    tcase_add_test(daemon, test_handshake_and_call);
    tcase_add_test(daemon, test_readonly_socket_and_flag);
    tcase_add_test(daemon, test_polkit_then_open);
    tcase_add_test(daemon, test_polkit_denied_is_cannot_connect);
    tcase_add_test(daemon, test_socket_parameter);
    tcase_add_test(daemon, test_daemon_error_keeps_connection);
    tcase_add_test(daemon, test_list_all_domains);
    tcase_add_test(daemon, test_reconnect_after_loss);
    tcase_add_test(daemon, test_no_daemon);
    tcase_add_test(uri, test_bad_uris);
    tcase_add_test(uri, test_default_uri);
    suite_add_tcase(s, daemon);
    suite_add_tcase(s, uri);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(libmodvirt_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
