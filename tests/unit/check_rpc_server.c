/*
 * The RPC server on real unix sockets, driven with raw packets built by the
 * same codec: the check order, malformed frames, keepalive, the read-only
 * rule and the hand-off to workers.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "cleanup.h"
#include "events.h"
#include "log.h"
#include "keepalive_protocol.h"
#include "message.h"
#include "remote_protocol.h"
#include "rpc_harness.h"
#include "server.h"

/* ---- a test driver: one inline handler, one that blocks on a worker ---- */

static int release_pipe[2];

static int get_hostname(struct mv_call *call, void *args, mv_connect_get_hostname_ret *ret)
{
    ret->hostname = strdup("test-host");
    return 0;
}

/* On a worker (CONNECT_GET_VERSION is annotated worker): blocks until the
 * test writes a byte, proving the loop keeps serving. */
static int slow_version(struct mv_call *call, void *args, mv_connect_get_version_ret *ret)
{
    char b;
    ck_assert_int_eq(read(release_pipe[0], &b, 1), 1);
    ret->hv_ver = 42;
    return 0;
}

/* On a worker too: an error set there comes back as the reply. */
static int failing_capabilities(struct mv_call *call, void *args, mv_connect_get_capabilities_ret *ret)
{
    return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_DOMAIN, "Requested operation is not valid: test");
}

/* An error whose message (5 MiB) is over the protocol's string limit: the
 * error reply itself cannot be encoded. */
static int unencodable_error(struct mv_call *call, mv_connect_get_max_vcpus_args *args,
                             mv_connect_get_max_vcpus_ret *ret)
{
    size_t n = 5u * 1024 * 1024;
    _cleanup_free_ char *big = malloc(n + 1);

    ck_assert_ptr_nonnull(big);
    memset(big, 'x', n);
    big[n] = '\0';
    return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "%s", big);
}

/* events: a registry like a driver's, a register procedure and one that
 * fires EVENTS_PER_CALL lifecycle events (on a worker, as drivers do) */
#define EVENTS_PER_CALL 200
static struct mv_events *test_events;

static int test_register(struct mv_call *call, mv_connect_domain_event_callback_register_any_args *args,
                         mv_connect_domain_event_callback_register_any_ret *ret)
{
    int r = mv_events_register(test_events, mv_call_client(call), args->eventID,
                               args->dom ? args->dom->uuid : NULL, args->dom ? MV_UUID_BUFLEN : 0);

    if (r == -EDQUOT)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_RPC, "too many registrations");
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int test_deregister(struct mv_call *call, mv_connect_domain_event_callback_deregister_any_args *args,
                           void *ret)
{
    if (mv_events_deregister(test_events, mv_call_client(call), args->callbackID, MV_EVENTS_REMOTE_IDS) < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_RPC, "not registered");
    return 0;
}

static atomic_int last_recipients;      /* of the last event test_fire sent */

static int test_fire(struct mv_call *call, void *args, mv_node_get_security_model_ret *ret)
{
    mv_domain_event_callback_lifecycle_msg msg = { .msg = { .dom = { .name = "dom1", .id = 1 } } };
    int n = 0;

    for (int i = 0; i < EVENTS_PER_CALL; i++) {
        msg.msg.event = i;
        n = mv_events_emit(test_events, 0, msg.msg.dom.uuid, MV_UUID_BUFLEN,
                           MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                           (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg);
        ck_assert_int_ge(n, 0);
    }
    atomic_store(&last_recipients, n);
    return 0;
}

static void test_client_close(struct mv_client *client)
{
    mv_events_client_close(test_events, client);
}

static const struct mv_dispatch_entry test_procs[] = {
    MV_HANDLER(CONNECT_GET_HOSTNAME, get_hostname),
    MV_HANDLER(CONNECT_GET_VERSION, slow_version),
    MV_HANDLER(CONNECT_GET_CAPABILITIES, failing_capabilities),
    MV_HANDLER(CONNECT_GET_MAX_VCPUS, unencodable_error),
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, test_register),
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, test_deregister),
    MV_HANDLER(NODE_GET_SECURITY_MODEL, test_fire),
    MV_NOT_IMPLEMENTED(DOMAIN_GET_INFO),
};
static const struct mv_dispatch_table test_table = MV_DISPATCH_TABLE(test_procs);
static const struct mv_dispatch_table *const test_tables[] = { &test_table, NULL };
static const char *const test_schemes[] = { "test", NULL };
static const struct mv_server_driver test_driver = {
    .name = "testd", .type = "TEST", .uri = "test:///system",
    .uri_schemes = test_schemes, .tables = test_tables, .client_close = test_client_close,
};

/* ---- a second program: the QEMU program's calls and events ---- */

static int test_monitor_command(struct mv_call *call, mv_qemu_domain_monitor_command_args *args,
                                mv_qemu_domain_monitor_command_ret *ret)
{
    return asprintf(&ret->result, "%s on %s", args->cmd, args->dom.name) < 0 ? -ENOMEM : 0;
}

static bool match_name(const void *data, const char *subject)
{
    return strcmp(data, subject) == 0;
}

/* monitor events by name: the registration's own match */
static int test_monitor_register(struct mv_call *call, mv_qemu_connect_domain_monitor_event_register_args *args,
                                 mv_qemu_connect_domain_monitor_event_register_ret *ret)
{
    struct mv_events_match m = { .match = match_name, .free = free,
                                 .data = args->event ? strdup(*args->event) : NULL };
    int r = mv_events_register_match(test_events, mv_call_client(call), MV_EVENTS_OTHER_PROGRAM_ID, NULL, 0,
                                     args->event ? &m : NULL);

    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

/* On a worker: QMP events STOP then RESUME, each to whoever matches it. */
static int test_monitor_fire(struct mv_call *call, mv_qemu_domain_attach_args *args,
                             mv_qemu_domain_attach_ret *ret)
{
    static const char *const names[] = { "STOP", "RESUME" };
    mv_qemu_domain_monitor_event_msg msg = { .dom = { .name = "dom1", .id = 1 }, .seconds = 5 };

    for (size_t i = 0; i < MV_ARRAY_SIZE(names); i++) {
        msg.event = (char *)names[i];
        ck_assert_int_ge(mv_events_emit_program(test_events, MV_QEMU_PROGRAM, MV_EVENTS_OTHER_PROGRAM_ID, NULL, 0,
                                                names[i],
                                                MV_QEMU_PROC_DOMAIN_MONITOR_EVENT,
                                                (xdrproc_t)xdr_mv_qemu_domain_monitor_event_msg, &msg), 0);
    }
    ret->dom.name = strdup("dom1");
    return 0;
}

static const struct mv_dispatch_entry test_qemu_procs[] = {
    MV_QEMU_HANDLER(DOMAIN_MONITOR_COMMAND, test_monitor_command),
    MV_QEMU_HANDLER(CONNECT_DOMAIN_MONITOR_EVENT_REGISTER, test_monitor_register),
    MV_QEMU_HANDLER(DOMAIN_ATTACH, test_monitor_fire),
    MV_QEMU_NOT_IMPLEMENTED(DOMAIN_AGENT_COMMAND),
};
static const struct mv_dispatch_table test_qemu_table = MV_DISPATCH_TABLE(test_qemu_procs);
static const struct mv_dispatch_table *const test_qemu_tables[] = { &test_table, &test_qemu_table, NULL };
static const struct mv_server_driver test_qemu_driver = {
    .name = "testd", .type = "TEST", .uri = "test:///system",
    .uri_schemes = test_schemes, .tables = test_qemu_tables, .client_close = test_client_close,
};
/* the driver the next start_server() runs */
static const struct mv_server_driver *server_driver = &test_driver;

/* ---- the server runs in its own thread ---- */

static char dir[] = "/tmp/mv-srv-XXXXXX";
static char rw_path[128], ro_path[128];
static struct mv_test_loop loop;
static int loop_result;
static struct mv_server_config server_cfg;
/* set by a fixture before start_server() */
static unsigned int cfg_packet_timeout, cfg_max_clients = 10, cfg_rw_reserve;

static void *server_main(void *opaque)
{
    sd_event *ev = NULL;
    struct mv_server *srv = NULL;
    struct mv_listen_opts rw = { .readonly = false, .auth = MV_AUTH_METHOD_POLKIT,
                                 .polkit_action = "org.modvirt.test" };
    struct mv_listen_opts ro = { .readonly = true, .auth = MV_AUTH_METHOD_NONE };

    ck_assert_int_eq(mv_events_new("test", &test_events), 0);
    if (getenv("MV_TEST_DEBUG")) mv_log_set_level(MV_LOG_DEBUG);
    ck_assert_int_ge(sd_event_new(&ev), 0);
    ck_assert_int_eq(mv_server_new(ev, server_driver, &server_cfg, &srv), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, rw_path, 0600, (gid_t)-1, &rw), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, ro_path, 0666, (gid_t)-1, &ro), 0);
    mv_test_loop_ready(&loop, ev);
    loop_result = sd_event_loop(ev);
    mv_server_free(srv);
    mv_events_free(test_events);
    test_events = NULL;
    sd_event_unref(ev);
    return NULL;
}

static void start_server(unsigned int idle_timeout, unsigned int ka_interval, unsigned int ka_count)
{
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-srv-XXXXXX")));
    snprintf(rw_path, sizeof(rw_path), "%s/sock", dir);
    snprintf(ro_path, sizeof(ro_path), "%s/sock-ro", dir);
    server_cfg = (struct mv_server_config){
        .max_clients = cfg_max_clients, .rw_reserve = cfg_rw_reserve,
        .packet_timeout = cfg_packet_timeout, .max_workers = 2, .max_client_requests = 5,
        .keepalive_interval = ka_interval, .keepalive_count = ka_count,
        .idle_timeout = idle_timeout,
    };
    ck_assert_int_eq(pipe2(release_pipe, O_CLOEXEC), 0);
    mv_test_loop_start(&loop, server_main, NULL);
}

static void stop_server(void)
{
    mv_test_loop_end(&loop);
    close(release_pipe[0]);
    close(release_pipe[1]);
    unlink(rw_path);
    unlink(ro_path);
    rmdir(dir);
}

static void setup(void) { start_server(0, 0, 0); }
static void teardown(void) { stop_server(); }
static void qemu_setup(void)
{
    server_driver = &test_qemu_driver;
    start_server(0, 0, 0);
}
static void qemu_teardown(void)
{
    stop_server();
    server_driver = &test_driver;
}

/* ---- a raw client ---- */

static void send_bytes(int fd, const void *buf, size_t len)
{
    ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_call_full(int fd, unsigned prog, unsigned vers, int proc, unsigned serial,
                           xdrproc_t filter, const void *args)
{
    struct mv_message_header h = { prog, vers, proc, MV_CALL, serial, MV_OK };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode(m, &h, filter, args), 0);
    send_bytes(fd, m->buf, m->len);
}

static void expect_error(int fd, unsigned serial, int code, const char *msg_prefix)
{
    _cleanup_msg_ struct mv_msg *m = mv_test_recv(fd);
    mv_error err = { 0 };

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_ERROR);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &err), 0);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_nonnull(err.message);
    ck_assert_msg(strncmp(*err.message, msg_prefix, strlen(msg_prefix)) == 0,
                  "message '%s' does not start with '%s'", *err.message, msg_prefix);
    xdr_free((xdrproc_t)xdr_mv_error, (char *)&err);
}

static void expect_ok(int fd, unsigned serial, xdrproc_t filter, void *ret)
{
    _cleanup_msg_ struct mv_msg *m = mv_test_recv(fd);

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_OK);
    ck_assert_int_eq(mv_msg_decode_payload(m, filter ? filter : (xdrproc_t)mv_xdr_void,
                                           ret ? ret : &(char){ 0 }), 0);
}

/* AUTH_LIST then CONNECT_OPEN: serials 0 and 1 */
static void handshake(int fd, unsigned int open_flags)
{
    mv_auth_list_ret auth = { 0 };
    char *uri = "test:///system";
    mv_connect_open_args open = { .name = &uri, .flags = open_flags };

    mv_test_send_call(fd, MV_PROC_AUTH_LIST, 0, NULL, NULL);
    expect_ok(fd, 0, (xdrproc_t)xdr_mv_auth_list_ret, &auth);
    ck_assert_uint_eq(auth.types.types_len, 1);
    ck_assert_int_eq(auth.types.types_val[0], MV_AUTH_NONE);   /* root: no polkit */
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&auth);
    mv_test_send_call(fd, MV_PROC_CONNECT_OPEN, 1, (xdrproc_t)xdr_mv_connect_open_args, &open);
    expect_ok(fd, 1, NULL, NULL);
}

static void expect_hostname(int fd, unsigned serial)
{
    mv_connect_get_hostname_ret h = { 0 };

    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, serial, NULL, NULL);
    expect_ok(fd, serial, (xdrproc_t)xdr_mv_connect_get_hostname_ret, &h);
    ck_assert_str_eq(h.hostname, "test-host");
    xdr_free((xdrproc_t)xdr_mv_connect_get_hostname_ret, (char *)&h);
}

/* ---- tests ---- */

START_TEST(test_handshake_and_call)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_connect_get_type_ret t = { 0 };

    handshake(fd, 0);
    expect_hostname(fd, 2);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_TYPE, 3, NULL, NULL);
    expect_ok(fd, 3, (xdrproc_t)xdr_mv_connect_get_type_ret, &t);
    ck_assert_str_eq(t.type, "TEST");
    xdr_free((xdrproc_t)xdr_mv_connect_get_type_ret, (char *)&t);
}
END_TEST

START_TEST(test_call_before_auth)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    char *uri = "test:///system";
    mv_connect_open_args open = { .name = &uri };

    mv_test_send_call(fd, MV_PROC_CONNECT_OPEN, 0, (xdrproc_t)xdr_mv_connect_open_args, &open);
    expect_error(fd, 0, MV_ERR_RPC, "authentication required");
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 1, NULL, NULL);
    expect_error(fd, 1, MV_ERR_RPC, "authentication required");
    /* the connection stays usable: authenticate and go on */
    handshake(fd, 0);
    expect_hostname(fd, 2);
}
END_TEST

START_TEST(test_call_before_open)
{
    _cleanup_close_ int fd = mv_test_dial(ro_path);

    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 0, NULL, NULL);
    expect_error(fd, 0, MV_ERR_INTERNAL_ERROR, "internal error: the connection is not open");
}
END_TEST

START_TEST(test_unknown_procedure)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    handshake(fd, 0);
    mv_test_send_call(fd, 9999, 2, NULL, NULL);
    expect_error(fd, 2, MV_ERR_RPC, "unknown procedure: 9999");
    /* known to the protocol, but this driver has no handler for it */
    mv_test_send_call(fd, MV_PROC_CONNECT_LIST_ALL_DOMAINS, 3, NULL, NULL);
    expect_error(fd, 3, MV_ERR_RPC, "unknown procedure: 273");
    /* an explicit "not implemented" entry answers exactly the same */
    mv_test_send_call(fd, MV_PROC_DOMAIN_GET_INFO, 4, NULL, NULL);
    expect_error(fd, 4, MV_ERR_RPC, "unknown procedure: 16");
    /* so does a message only the server sends (an event) */
    mv_test_send_call(fd, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, 5, NULL, NULL);
    expect_error(fd, 5, MV_ERR_RPC, "unknown procedure: 318");
    expect_hostname(fd, 6);
}
END_TEST

START_TEST(test_wrong_program_and_version)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    handshake(fd, 0);
    send_call_full(fd, 0x20008087, 1, 1, 2, NULL, NULL);
    expect_error(fd, 2, MV_ERR_RPC, "Cannot find program 536903815 version 1");
    send_call_full(fd, MV_REMOTE_PROGRAM, 2, MV_PROC_CONNECT_GET_HOSTNAME, 3, NULL, NULL);
    expect_error(fd, 3, MV_ERR_RPC, "Cannot find program 536903814 version 2");
    expect_hostname(fd, 4);
}
END_TEST

/* With a table of the QEMU program the server serves it: calls of that
 * program reach their handlers under the same checks as the remote
 * program's; without one (test_wrong_program_and_version) it is refused. */
START_TEST(test_second_program_dispatched)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_qemu_domain_monitor_command_args a = { .dom = { .name = "dom1" }, .cmd = "{\"execute\":\"stop\"}" };
    mv_qemu_domain_monitor_command_ret r = { 0 };
    _cleanup_msg_ struct mv_msg *m = NULL;

    handshake(fd, 0);
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND, 2,
                   (xdrproc_t)xdr_mv_qemu_domain_monitor_command_args, &a);
    ck_assert_ptr_nonnull(m = mv_test_recv(fd));
    ck_assert_uint_eq(m->hdr.prog, MV_QEMU_PROGRAM);
    ck_assert_int_eq(m->hdr.proc, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND);
    ck_assert_int_eq(m->hdr.status, MV_OK);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_qemu_domain_monitor_command_ret, &r), 0);
    ck_assert_str_eq(r.result, "{\"execute\":\"stop\"} on dom1");
    xdr_free((xdrproc_t)xdr_mv_qemu_domain_monitor_command_ret, (char *)&r);
    /* its other version is not served */
    send_call_full(fd, MV_QEMU_PROGRAM, 2, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND, 3,
                   (xdrproc_t)xdr_mv_qemu_domain_monitor_command_args, &a);
    expect_error(fd, 3, MV_ERR_RPC, "Cannot find program 536903815 version 2");
    /* not implemented, its event sent as a call, a number it lacks: unknown */
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_AGENT_COMMAND, 4, NULL, NULL);
    expect_error(fd, 4, MV_ERR_RPC, "unknown procedure: 3");
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_MONITOR_EVENT, 5, NULL, NULL);
    expect_error(fd, 5, MV_ERR_RPC, "unknown procedure: 6");
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, 16, 6, NULL, NULL);
    expect_error(fd, 6, MV_ERR_RPC, "unknown procedure: 16");
    /* arguments decoded with the program's own types */
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND, 7, NULL, NULL);
    expect_error(fd, 7, MV_ERR_RPC, "cannot decode the arguments of procedure QEMU_DOMAIN_MONITOR_COMMAND");
    expect_hostname(fd, 8);
}
END_TEST

START_TEST(test_second_program_read_only)
{
    _cleanup_close_ int fd = mv_test_dial(ro_path);
    mv_qemu_domain_monitor_command_args a = { .dom = { .name = "dom1" }, .cmd = "x" };

    handshake(fd, 0);
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND, 2,
                   (xdrproc_t)xdr_mv_qemu_domain_monitor_command_args, &a);
    expect_error(fd, 2, MV_ERR_OPERATION_DENIED,
                 "operation forbidden: read only access prevents virDomainQemuMonitorCommand");
}
END_TEST

/* Events of the second program carry its number, and each registration's
 * own match picks the events it gets. */
START_TEST(test_second_program_events_matched)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    char *resume = "RESUME";
    mv_qemu_connect_domain_monitor_event_register_args reg = { .event = &resume };
    mv_qemu_connect_domain_monitor_event_register_ret id = { 0 };
    mv_qemu_domain_attach_args fire = { 0 };
    mv_qemu_domain_monitor_event_msg ev = { 0 };
    mv_connect_domain_event_callback_deregister_any_args dereg = { 0 };
    _cleanup_msg_ struct mv_msg *m = NULL, *reply = NULL;

    handshake(fd, 0);
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER, 2,
                   (xdrproc_t)xdr_mv_qemu_connect_domain_monitor_event_register_args, &reg);
    expect_ok(fd, 2, (xdrproc_t)xdr_mv_qemu_connect_domain_monitor_event_register_ret, &id);
    ck_assert_int_gt(id.callbackID, 0);
    /* the remote program's DEREGISTER does not know the monitor event's id */
    dereg.callbackID = id.callbackID;
    mv_test_send_call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 4,
                      (xdrproc_t)xdr_mv_connect_domain_event_callback_deregister_any_args, &dereg);
    expect_error(fd, 4, MV_ERR_INVALID_ARG, "not registered");
    send_call_full(fd, MV_QEMU_PROGRAM, MV_QEMU_VERSION, MV_QEMU_PROC_DOMAIN_ATTACH, 3,
                   (xdrproc_t)xdr_mv_qemu_domain_attach_args, &fire);
    /* STOP went to nobody: RESUME first, then the reply */
    ck_assert_ptr_nonnull(m = mv_test_recv(fd));
    ck_assert_int_eq(m->hdr.type, MV_MESSAGE);
    ck_assert_uint_eq(m->hdr.prog, MV_QEMU_PROGRAM);
    ck_assert_uint_eq(m->hdr.vers, MV_QEMU_VERSION);
    ck_assert_int_eq(m->hdr.proc, MV_QEMU_PROC_DOMAIN_MONITOR_EVENT);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_qemu_domain_monitor_event_msg, &ev), 0);
    ck_assert_int_eq(ev.callbackID, id.callbackID);
    ck_assert_str_eq(ev.event, "RESUME");
    ck_assert_int_eq(ev.seconds, 5);
    xdr_free((xdrproc_t)xdr_mv_qemu_domain_monitor_event_msg, (char *)&ev);
    ck_assert_ptr_nonnull(reply = mv_test_recv(fd));
    ck_assert_int_eq(reply->hdr.type, MV_REPLY);
    ck_assert_uint_eq(reply->hdr.serial, 3);
}
END_TEST

START_TEST(test_undecodable_arguments)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_connect_supports_feature_args f = { 10 };

    handshake(fd, 0);
    /* an int where void is expected: trailing bytes */
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 2, (xdrproc_t)xdr_mv_connect_supports_feature_args, &f);
    expect_error(fd, 2, MV_ERR_RPC, "cannot decode the arguments of procedure CONNECT_GET_HOSTNAME");
    expect_hostname(fd, 3);
}
END_TEST

static void expect_closed_and_server_alive(int bad)
{
    _cleanup_close_ int good = mv_test_dial(ro_path);

    ck_assert_ptr_null(mv_test_recv(bad));
    handshake(good, 0);
    expect_hostname(good, 2);
}

START_TEST(test_length_over_maximum)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    const unsigned char len[4] = { 0x02, 0x00, 0x00, 0x05 };   /* 32 MiB + 5 */

    send_bytes(fd, len, sizeof(len));
    expect_closed_and_server_alive(fd);
}
END_TEST

START_TEST(test_length_below_header)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    const unsigned char len[8] = { 0, 0, 0, 27, 1, 2, 3, 4 };

    send_bytes(fd, len, sizeof(len));
    expect_closed_and_server_alive(fd);
}
END_TEST

START_TEST(test_truncated_frame)
{
    int fd = mv_test_dial(rw_path);
    const unsigned char part[10] = { 0, 0, 0, 100, 0x20, 0x00, 0x80, 0x86, 0, 0 };
    _cleanup_close_ int good = mv_test_dial(rw_path);

    send_bytes(fd, part, sizeof(part));
    close(fd);      /* the rest never comes */
    handshake(good, 0);
    expect_hostname(good, 2);
}
END_TEST

START_TEST(test_read_only_socket)
{
    _cleanup_close_ int fd = mv_test_dial(ro_path);
    mv_domain_define_xml_args d = { .xml = "<domain/>" };

    handshake(fd, 0);
    expect_hostname(fd, 2);
    mv_test_send_call(fd, MV_PROC_DOMAIN_DEFINE_XML, 3, (xdrproc_t)xdr_mv_domain_define_xml_args, &d);
    expect_error(fd, 3, MV_ERR_OPERATION_DENIED,
                 "operation forbidden: read only access prevents virDomainDefineXML");
}
END_TEST

START_TEST(test_read_only_open_flag)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_domain_define_xml_args d = { .xml = "<domain/>" };

    handshake(fd, 1);   /* VIR_CONNECT_RO */
    mv_test_send_call(fd, MV_PROC_DOMAIN_DEFINE_XML, 2, (xdrproc_t)xdr_mv_domain_define_xml_args, &d);
    expect_error(fd, 2, MV_ERR_OPERATION_DENIED, "operation forbidden: read only access");
}
END_TEST

START_TEST(test_handler_error)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    handshake(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_CAPABILITIES, 2, NULL, NULL);
    expect_error(fd, 2, MV_ERR_OPERATION_INVALID, "Requested operation is not valid: test");
}
END_TEST

START_TEST(test_slow_call_does_not_block_others)
{
    _cleanup_close_ int a = mv_test_dial(rw_path), b = mv_test_dial(rw_path);
    mv_connect_get_version_ret ver = { 0 };

    handshake(a, 0);
    handshake(b, 0);
    mv_test_send_call(a, MV_PROC_CONNECT_GET_VERSION, 2, NULL, NULL);    /* blocks on a worker */
    /* b gets answers while a's call is still running; a itself too */
    expect_hostname(b, 2);
    expect_hostname(a, 3);
    ck_assert_int_eq(write(release_pipe[1], "x", 1), 1);
    expect_ok(a, 2, (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
    ck_assert_uint_eq(ver.hv_ver, 42);
}
END_TEST

/* A peer that sends calls but never reads replies must hit back-pressure:
 * the server stops reading once its unread replies pile up, so our sends
 * end up blocking long before all 40 MiB of calls are accepted. */
START_TEST(test_unread_replies_push_back)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION,
                                   MV_PROC_CONNECT_GET_HOSTNAME, MV_CALL, 0, MV_OK };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    size_t sent = 0, limit = 40u * 1024 * 1024;
    char batch[28 * 256];
    struct pollfd p = { .fd = fd, .events = POLLOUT };

    handshake(fd, 0);
    ck_assert_int_eq(mv_msg_encode(m, &h, NULL, NULL), 0);
    ck_assert_uint_eq(m->len, 28);
    for (size_t i = 0; i < sizeof(batch); i += 28)
        memcpy(batch + i, m->buf, 28);     /* serials repeat: fine, nobody reads */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (sent < limit) {
        ssize_t n = send(fd, batch, sizeof(batch), MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        ck_assert_int_eq(errno, EAGAIN);
        if (poll(&p, 1, 2000) == 0)
            break;      /* the server stopped reading */
    }
    ck_assert_msg(sent < limit / 4, "the server accepted %zu bytes of calls without any reply read", sent);
}
END_TEST

START_TEST(test_connect_close)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);

    handshake(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_CLOSE, 2, NULL, NULL);
    expect_ok(fd, 2, NULL, NULL);
    ck_assert_ptr_null(mv_test_recv(fd));
}
END_TEST

START_TEST(test_ping_gets_pong)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    struct mv_message_header h = { MV_KEEPALIVE_PROGRAM, 1, MV_KEEPALIVE_PROC_PING, MV_MESSAGE, 0, MV_OK };
    _cleanup_msg_ struct mv_msg *ping = mv_msg_new();
    _cleanup_msg_ struct mv_msg *pong = NULL;

    ck_assert_int_eq(mv_msg_encode(ping, &h, NULL, NULL), 0);
    send_bytes(fd, ping->buf, ping->len);
    pong = mv_test_recv(fd);
    ck_assert_ptr_nonnull(pong);
    ck_assert_uint_eq(pong->hdr.prog, MV_KEEPALIVE_PROGRAM);
    ck_assert_int_eq(pong->hdr.proc, MV_KEEPALIVE_PROC_PONG);
    ck_assert_int_eq(pong->hdr.type, MV_MESSAGE);
}
END_TEST

static void send_all(int fd, const char *buf, size_t nbytes);

/* The first bytes of a packet whose length word claims TOTAL bytes. */
static void send_packet_start(int fd, uint32_t total, size_t nbytes)
{
    _cleanup_free_ char *buf = calloc(1, nbytes);
    uint32_t be = htonl(total);

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, &be, 4);
    send_all(fd, buf, nbytes);
}

/* mv_test_recv() makes a socket non-blocking: this waits for room as the
 * server reads. */
static void send_all(int fd, const char *buf, size_t nbytes)
{
    for (size_t off = 0; off < nbytes;) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        ssize_t n = send(fd, buf + off, nbytes - off, MSG_NOSIGNAL);

        if (n < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            ck_assert_int_eq(poll(&p, 1, 10000), 1);
            continue;
        }
        off += (size_t)n;
    }
}

/* Before AUTH_LIST and CONNECT_OPEN a peer may not announce a large packet
 * (anyone may connect); after them the same packet is read and answered. */
START_TEST(test_preauth_packet_limit)
{
    _cleanup_close_ int early = mv_test_dial(rw_path), ro = mv_test_dial(ro_path), fd = mv_test_dial(rw_path);
    size_t total = 100 * 1024;
    _cleanup_free_ char *big = calloc(1, total);
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION,
                                   MV_PROC_CONNECT_GET_HOSTNAME, MV_CALL, 2, MV_OK };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    send_packet_start(early, (uint32_t)total, 1024);
    ck_assert_ptr_null(mv_test_recv(early));     /* closed at the length word */
    send_packet_start(ro, (uint32_t)total, 1024);   /* ro: no auth step, but not open */
    ck_assert_ptr_null(mv_test_recv(ro));

    handshake(fd, 0);
    ck_assert_int_eq(mv_msg_encode(m, &h, NULL, NULL), 0);
    memcpy(big, m->buf, m->len);
    *(uint32_t *)big = htonl((uint32_t)total);
    send_all(fd, big, total);
    expect_error(fd, 2, MV_ERR_RPC, "cannot decode the arguments");
}
END_TEST

/* A reply that cannot be encoded, not even as the handler's error, still
 * answers the call (with an error saying so); the connection goes on. */
START_TEST(test_unencodable_reply_is_answered)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    mv_connect_get_max_vcpus_args args = { 0 };

    handshake(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_GET_MAX_VCPUS, 2, (xdrproc_t)xdr_mv_connect_get_max_vcpus_args, &args);
    /* the encoder cannot tell "too large" from "refused by the filter" */
    expect_error(fd, 2, MV_ERR_RPC, "the reply is too large to send");
    expect_hostname(fd, 3);
}
END_TEST

static int recv_event_registration(int fd, unsigned serial)
{
    mv_connect_domain_event_callback_register_any_ret ret = { 0 };

    expect_ok(fd, serial, (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_ret, &ret);
    return ret.callbackID;
}

/* A read-only client registers as often as it may, then never reads while
 * events fire: its registrations are capped and, once its unread events
 * pass the limit, the server drops it instead of queueing without end. */
START_TEST(test_event_backlog_drops_client)
{
    _cleanup_close_ int ro = mv_test_dial(ro_path), rw = mv_test_dial(rw_path);
    mv_connect_domain_event_callback_register_any_args reg = { .eventID = 0 };
    mv_node_get_security_model_ret sm = { 0 };
    unsigned serial = 2;
    size_t events = 0, fired = 0;
    struct mv_msg *m;

    handshake(ro, 0);
    handshake(rw, 0);
    for (int i = 0; i < MV_EVENTS_PER_CLIENT_MAX; i++) {
        mv_test_send_call(ro, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, serial,
                  (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
        ck_assert_int_gt(recv_event_registration(ro, serial++), 0);
    }
    mv_test_send_call(ro, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, serial,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
    expect_error(ro, serial++, MV_ERR_OPERATION_FAILED, "too many registrations");

    /* 10 x 200 events x 256 registrations: ~37 MiB of packets if all queued */
    for (unsigned i = 0; i < 10; i++, fired += EVENTS_PER_CALL) {
        mv_test_send_call(rw, MV_PROC_NODE_GET_SECURITY_MODEL, 10 + i, NULL, NULL);
        expect_ok(rw, 10 + i, (xdrproc_t)xdr_mv_node_get_security_model_ret, &sm);
        xdr_free((xdrproc_t)xdr_mv_node_get_security_model_ret, (char *)&sm);
    }
    /* now read: what was queued before the drop, then the end of the connection */
    while ((m = mv_test_recv(ro))) {
        ck_assert_int_eq(m->hdr.type, MV_MESSAGE);
        events++;
        mv_msg_free(m);
    }
    ck_assert_msg(events < fired * MV_EVENTS_PER_CLIENT_MAX / 4,
                  "%zu of %zu events were queued for a client that did not read",
                  events, fired * MV_EVENTS_PER_CLIENT_MAX);
    expect_hostname(rw, 30);
}
END_TEST

/* Each registration gets the event once, with its own callback id; an
 * object filter keeps others' events out. */
START_TEST(test_event_fanout_callback_ids)
{
    _cleanup_close_ int ro = mv_test_dial(ro_path), rw = mv_test_dial(rw_path);
    mv_connect_domain_event_callback_register_any_args reg = { .eventID = 0 };
    mv_nonnull_domain other = { .name = "dom2", .uuid = { 9 } };
    mv_node_get_security_model_ret sm = { 0 };
    int ids[2], seen[2] = { 0 };

    handshake(ro, 0);
    handshake(rw, 0);
    for (int i = 0; i < 2; i++) {
        mv_test_send_call(ro, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 2 + i,
                  (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
        ids[i] = recv_event_registration(ro, 2 + i);
    }
    reg.dom = &other;       /* never fires */
    mv_test_send_call(ro, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 4,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
    ck_assert_int_gt(recv_event_registration(ro, 4), 0);
    mv_test_send_call(rw, MV_PROC_NODE_GET_SECURITY_MODEL, 2, NULL, NULL);
    expect_ok(rw, 2, (xdrproc_t)xdr_mv_node_get_security_model_ret, &sm);
    xdr_free((xdrproc_t)xdr_mv_node_get_security_model_ret, (char *)&sm);
    for (int n = 0; n < 2 * EVENTS_PER_CALL; n++) {
        _cleanup_msg_ struct mv_msg *m = mv_test_recv(ro);
        mv_domain_event_callback_lifecycle_msg ev = { 0 };

        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(m->hdr.proc, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE);
        ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &ev), 0);
        ck_assert_str_eq(ev.msg.dom.name, "dom1");
        ck_assert(ev.callbackID == ids[0] || ev.callbackID == ids[1]);
        seen[ev.callbackID == ids[1]]++;
        xdr_free((xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, (char *)&ev);
    }
    ck_assert_int_eq(seen[0], EVENTS_PER_CALL);
    ck_assert_int_eq(seen[1], EVENTS_PER_CALL);
    /* nothing for the filtered registration: the next packet is this reply */
    expect_hostname(ro, 5);
}
END_TEST

/* Fires events from FD's connection; FD's own events are skipped. */
static void fire(int fd, unsigned serial)
{
    struct mv_msg *m;

    mv_test_send_call(fd, MV_PROC_NODE_GET_SECURITY_MODEL, serial, NULL, NULL);
    while ((m = mv_test_recv(fd)) && m->hdr.type == MV_MESSAGE)
        mv_msg_free(m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_OK);
    mv_msg_free(m);
}

static void deregister(int fd, unsigned serial, int id)
{
    mv_connect_domain_event_callback_deregister_any_args d = { .callbackID = id };

    mv_test_send_call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, serial,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_deregister_any_args, &d);
}

/* A client removes only its own registrations, each once; all of them go
 * when it disconnects. */
START_TEST(test_event_deregister_and_close)
{
    int a = mv_test_dial(ro_path);
    _cleanup_close_ int b = mv_test_dial(rw_path);
    mv_connect_domain_event_callback_register_any_args reg = { .eventID = 0 };
    int a1, a2, b1;

    handshake(a, 0);
    handshake(b, 0);
    mv_test_send_call(a, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 2,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
    a1 = recv_event_registration(a, 2);
    mv_test_send_call(a, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 3,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
    a2 = recv_event_registration(a, 3);
    mv_test_send_call(b, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 2,
              (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg);
    b1 = recv_event_registration(b, 2);
    ck_assert(a1 != a2 && a1 != b1 && a2 != b1);

    deregister(a, 4, b1);
    expect_error(a, 4, MV_ERR_INVALID_ARG, "not registered");
    deregister(a, 5, a2);
    expect_ok(a, 5, NULL, NULL);
    deregister(a, 6, a2);
    expect_error(a, 6, MV_ERR_INVALID_ARG, "not registered");
    fire(b, 3);
    ck_assert_int_eq(atomic_load(&last_recipients), 2);     /* a1 and b1 */

    close(a);
    /* the server notices the hang-up on its own schedule: fire until the
     * closed client's registration is gone, for at most 10 s */
    for (unsigned serial = 4; serial < 1004 && atomic_load(&last_recipients) != 1; serial++) {
        fire(b, serial);
        if (atomic_load(&last_recipients) != 1)
            poll(NULL, 0, 10);
    }
    ck_assert_int_eq(atomic_load(&last_recipients), 1);
}
END_TEST

/* The daemon stops while clients are connected (through both listeners,
 * one of them inside a call on a worker): each is closed cleanly.  Under
 * --enable-sanitizers this caught clients closed after their listener was
 * freed. */
START_TEST(test_shutdown_with_clients_connected)
{
    _cleanup_close_ int ro = mv_test_dial(ro_path), rw = mv_test_dial(rw_path), slow = mv_test_dial(rw_path);

    handshake(ro, 0);
    handshake(rw, 0);
    handshake(slow, 0);
    mv_test_send_call(slow, MV_PROC_CONNECT_GET_VERSION, 2, NULL, NULL);    /* waits on release_pipe */
    mv_test_loop_signal_stop(&loop);
    ck_assert_int_eq(write(release_pipe[1], "x", 1), 1);
    mv_test_loop_join(&loop);
    ck_assert_ptr_null(mv_test_recv(ro));
    ck_assert_ptr_null(mv_test_recv(rw));
}
END_TEST

static void timeout_setup(void)
{
    cfg_packet_timeout = 1;
    start_server(0, 0, 0);
}

static void limits_teardown(void)
{
    stop_server();
    cfg_packet_timeout = 0;
    cfg_max_clients = 10;
    cfg_rw_reserve = 0;
}

/* Part of a packet, then silence: dropped after packet_timeout (1 s), both
 * before authentication and after; a client that completes its packets is
 * not.  mv_test_recv() waits up to 10 s for the end of the connection. */
START_TEST(test_stalled_packet_dropped)
{
    _cleanup_close_ int early = mv_test_dial(rw_path), late = mv_test_dial(ro_path), busy = mv_test_dial(rw_path);

    handshake(late, 0);
    handshake(busy, 0);
    send_packet_start(early, 1000, 100);
    send_packet_start(late, 1000000, 500000);
    ck_assert_ptr_null(mv_test_recv(early));
    ck_assert_ptr_null(mv_test_recv(late));
    expect_hostname(busy, 2);
}
END_TEST

static void max_clients_setup(void)
{
    cfg_max_clients = 4;
    cfg_rw_reserve = 1;
    start_server(0, 0, 0);
}

/* True if FD has nothing to read within MS.  Used only where an answer would
 * come within microseconds if the server accepted the connection. */
static bool unanswered(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 0;
}

/* At max_clients (4) new connections wait in the backlog instead of being
 * reset, and read-only clients cannot take the slot kept for read-write. */
START_TEST(test_max_clients_waits_and_keeps_rw_slot)
{
    int ro[3], rw;
    _cleanup_close_ int ro_late = -1, rw_late = -1;
    mv_auth_list_ret auth = { 0 };

    for (int i = 0; i < 3; i++) {
        ro[i] = mv_test_dial(ro_path);
        handshake(ro[i], 0);
    }
    ro_late = mv_test_dial(ro_path);        /* the 4th slot is rw's: this one waits */
    mv_test_send_call(ro_late, MV_PROC_AUTH_LIST, 0, NULL, NULL);
    rw = mv_test_dial(rw_path);
    handshake(rw, 0);               /* the reserved slot */
    rw_late = mv_test_dial(rw_path);        /* full: waits, is not reset */
    mv_test_send_call(rw_late, MV_PROC_AUTH_LIST, 0, NULL, NULL);
    ck_assert(unanswered(ro_late, 200));
    ck_assert(unanswered(rw_late, 200));

    close(rw);                      /* frees rw's slot: rw_late gets it, ro_late still waits */
    expect_ok(rw_late, 0, (xdrproc_t)xdr_mv_auth_list_ret, &auth);
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&auth);
    ck_assert(unanswered(ro_late, 200));
    close(ro[0]);                   /* a read-only slot: ro_late gets it */
    expect_ok(ro_late, 0, (xdrproc_t)xdr_mv_auth_list_ret, &auth);
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&auth);
    close(ro[1]);
    close(ro[2]);
}
END_TEST

static void keepalive_setup(void) { start_server(0, 1, 1); }

START_TEST(test_keepalive_drops_silent_peer)
{
    _cleanup_close_ int fd = mv_test_dial(rw_path);
    _cleanup_close_ int quiet = mv_test_dial(rw_path);
    mv_connect_supports_feature_args f = { 10 };
    mv_connect_supports_feature_ret s = { 0 };
    _cleanup_msg_ struct mv_msg *ping = NULL;

    handshake(quiet, 0);    /* never asks for keepalive: must never be pinged or dropped */
    handshake(fd, 0);
    mv_test_send_call(fd, MV_PROC_CONNECT_SUPPORTS_FEATURE, 2, (xdrproc_t)xdr_mv_connect_supports_feature_args, &f);
    expect_ok(fd, 2, (xdrproc_t)xdr_mv_connect_supports_feature_ret, &s);
    ck_assert_int_eq(s.supported, 1);
    ping = mv_test_recv(fd);
    ck_assert_ptr_nonnull(ping);
    ck_assert_uint_eq(ping->hdr.prog, MV_KEEPALIVE_PROGRAM);
    ck_assert_int_eq(ping->hdr.proc, MV_KEEPALIVE_PROC_PING);
    /* no PONG: after count (1) unanswered probes the server hangs up */
    ck_assert_ptr_null(mv_test_recv(fd));
    expect_hostname(quiet, 2);
}
END_TEST

static void idle_setup(void) { start_server(1, 0, 0); }

START_TEST(test_idle_timeout_exits_loop)
{
    int fd = mv_test_dial(rw_path);

    handshake(fd, 0);
    close(fd);
    /* the loop ends by itself once idle for 1 s (the suite's timeout catches a hang) */
    mv_test_loop_join(&loop);
    ck_assert_int_eq(loop_result, 0);
}
END_TEST

/* ---- the tables a driver hands over ---- */

/* mv_server_new() for a driver serving SUBSYSTEM with TABLES. */
static int new_server(enum mv_subsystem subsystem, const struct mv_dispatch_table *const *tables)
{
    const struct mv_server_driver drv = {
        .name = "tabled", .type = "TEST", .uri = "test:///system", .uri_schemes = test_schemes,
        .subsystem = subsystem, .tables = tables,
    };
    const struct mv_server_config cfg = { .max_clients = 1, .max_workers = 1, .max_client_requests = 1 };
    sd_event *ev = NULL;
    struct mv_server *srv = NULL;
    int r;

    ck_assert_int_ge(sd_event_new(&ev), 0);
    r = mv_server_new(ev, &drv, &cfg, &srv);
    ck_assert(r == 0 ? srv != NULL : srv == NULL);
    mv_server_free(srv);
    sd_event_unref(ev);
    return r;
}

/* Not-implemented entries for every QEMU procedure but SKIP, in ENTRIES. */
static size_t qemu_entries(struct mv_dispatch_entry *entries, size_t max, int skip)
{
    size_t n = 0;

    for (int proc = 1; proc < 1024; proc++) {
        const struct mv_proc_info *info = mv_proc_lookup(proc);

        if (!info || info->subsystem != MV_SUBSYS_QEMU || (info->flags & MV_PROC_MESSAGE) || proc == skip)
            continue;
        ck_assert_uint_lt(n, max);
        entries[n++] = (struct mv_dispatch_entry){ .prog = MV_REMOTE_PROGRAM, .proc = proc,
                                                   .not_implemented = true };
    }
    /* the QEMU program's procedures are the subsystem's too */
    for (size_t p = 0; p < mv_program_lookup(MV_QEMU_PROGRAM)->nfacts; p++) {
        const struct mv_proc_info *info = mv_program_call_lookup(MV_QEMU_PROGRAM, (int)p);

        if (!info)
            continue;
        ck_assert_uint_lt(n, max);
        entries[n++] = (struct mv_dispatch_entry){ .prog = MV_QEMU_PROGRAM, .proc = (int)p,
                                                   .not_implemented = true };
    }
    return n;
}

START_TEST(test_driver_covers_its_subsystem)
{
    struct mv_dispatch_entry entries[256];
    struct mv_dispatch_table t = { entries, 0 };
    const struct mv_dispatch_table *const tables[] = { &t, NULL };

    /* every procedure of the subsystem named: accepted */
    t.n = qemu_entries(entries, MV_ARRAY_SIZE(entries), 0);
    ck_assert_uint_gt(t.n, 50);
    ck_assert_int_eq(new_server(MV_SUBSYS_QEMU, tables), 0);
    /* one forgotten, with neither a handler nor MV_NOT_IMPLEMENTED: refused */
    t.n = qemu_entries(entries, MV_ARRAY_SIZE(entries), MV_PROC_DOMAIN_GET_INFO);
    ck_assert_int_eq(new_server(MV_SUBSYS_QEMU, tables), -EINVAL);
    /* the test driver's three handlers do not make a QEMU driver */
    ck_assert_int_eq(new_server(MV_SUBSYS_QEMU, test_tables), -EINVAL);
    ck_assert_int_eq(new_server(MV_SUBSYS_CONNECT, test_tables), 0);
}
END_TEST

START_TEST(test_driver_entry_twice)
{
    static const struct mv_dispatch_entry twice[] = {
        MV_NOT_IMPLEMENTED(NODE_GET_INFO), MV_NOT_IMPLEMENTED(NODE_GET_INFO),
    };
    /* the connection level is the server's: a driver entry for it is a second one */
    static const struct mv_dispatch_entry conn[] = { MV_NOT_IMPLEMENTED(CONNECT_OPEN) };
    static const struct mv_dispatch_entry message[] = {
        { .prog = MV_REMOTE_PROGRAM, .proc = MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT },
    };
    static const struct mv_dispatch_table t1 = MV_DISPATCH_TABLE(twice), t2 = MV_DISPATCH_TABLE(conn),
                                          t3 = MV_DISPATCH_TABLE(message);
    const struct mv_dispatch_table *const tables1[] = { &t1, NULL }, *const tables2[] = { &t2, NULL },
                                          *const tables3[] = { &t3, NULL };

    ck_assert_int_eq(new_server(MV_SUBSYS_CONNECT, tables1), -EINVAL);
    ck_assert_int_eq(new_server(MV_SUBSYS_CONNECT, tables2), -EINVAL);
    ck_assert_int_eq(new_server(MV_SUBSYS_CONNECT, tables3), -EINVAL);
}
END_TEST

/* The facts generated from remote_protocol.x's annotations. */
START_TEST(test_proc_facts)
{
    const struct mv_proc_info *open = mv_proc_lookup(MV_PROC_CONNECT_OPEN);
    const struct mv_proc_info *info = mv_proc_lookup(MV_PROC_DOMAIN_GET_INFO);
    const struct mv_proc_info *console = mv_proc_lookup(MV_PROC_DOMAIN_OPEN_CONSOLE);
    const struct mv_proc_info *ev = mv_proc_lookup(MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE);

    ck_assert_ptr_null(mv_proc_lookup(0));
    /* a gap in the numbering (the first one; they fill as procedures come) */
    for (size_t gap = 1; gap < mv_proc_facts_len; gap++) {
        if (!mv_proc_facts[gap].name) {
            ck_assert_ptr_null(mv_proc_lookup((int)gap));
            break;
        }
    }
    ck_assert_ptr_null(mv_proc_lookup(100000));
    ck_assert_str_eq(open->name, "CONNECT_OPEN");
    ck_assert_str_eq(open->api, "virConnectOpen");
    ck_assert_int_eq(open->subsystem, MV_SUBSYS_CONNECT);
    ck_assert_uint_eq(open->flags, MV_PROC_BEFORE_OPEN | MV_PROC_READONLY_OK | MV_PROC_INLINE);
    ck_assert(open->args_filter == (xdrproc_t)xdr_mv_connect_open_args);
    ck_assert_uint_eq(open->args_size, sizeof(mv_connect_open_args));
    ck_assert(open->ret_filter == (xdrproc_t)mv_xdr_void);
    ck_assert_uint_eq(open->ret_size, 0);
    /* a shared argument type named in the annotation, the reply by default */
    ck_assert(info->args_filter == (xdrproc_t)xdr_mv_domain_args);
    ck_assert(info->ret_filter == (xdrproc_t)xdr_mv_domain_get_info_ret);
    ck_assert_str_eq(info->api, "virDomainGetInfo");
    ck_assert_uint_eq(info->flags, MV_PROC_READONLY_OK | MV_PROC_INLINE);
    ck_assert_uint_eq(mv_proc_lookup(MV_PROC_DOMAIN_DEFINE_XML)->flags, 0);     /* rw, worker */
    ck_assert_uint_eq(console->flags, MV_PROC_INLINE | MV_PROC_STREAM);
    ck_assert_uint_eq(ev->flags, MV_PROC_MESSAGE);
    ck_assert(ev->args_filter == (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg);
    ck_assert_uint_eq(ev->prog, MV_REMOTE_PROGRAM);
}
END_TEST

/* The QEMU program's table, from qemu_protocol.x: its own numbers, types
 * and prefix; the remote program's lookups never return it. */
START_TEST(test_qemu_program_facts)
{
    const struct mv_program *p = mv_program_lookup(MV_QEMU_PROGRAM);
    const struct mv_proc_info *mon = mv_program_proc_lookup(MV_QEMU_PROGRAM, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND);
    const struct mv_proc_info *reg =
        mv_program_proc_lookup(MV_QEMU_PROGRAM, MV_QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER);
    const struct mv_proc_info *ev = mv_program_proc_lookup(MV_QEMU_PROGRAM, MV_QEMU_PROC_DOMAIN_MONITOR_EVENT);

    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->vers, 1);
    ck_assert_str_eq(p->name, "qemu");
    ck_assert_int_eq(mv_program_index(MV_REMOTE_PROGRAM), 0);
    ck_assert_ptr_null(mv_program_lookup(0x20008088));
    ck_assert_uint_le(mv_programs_len, MV_PROGRAMS_MAX);
    ck_assert_str_eq(mon->name, "QEMU_DOMAIN_MONITOR_COMMAND");
    ck_assert_str_eq(mon->api, "virDomainQemuMonitorCommand");
    ck_assert_int_eq(mon->subsystem, MV_SUBSYS_QEMU);
    ck_assert_uint_eq(mon->flags, 0);                   /* rw, worker */
    ck_assert_uint_eq(mon->prog, MV_QEMU_PROGRAM);
    ck_assert(mon->args_filter == (xdrproc_t)xdr_mv_qemu_domain_monitor_command_args);
    ck_assert_uint_eq(reg->flags, MV_PROC_INLINE | MV_PROC_EVENT_REGISTER);
    ck_assert_uint_eq(ev->flags, MV_PROC_MESSAGE);
    ck_assert_ptr_null(mv_program_call_lookup(MV_QEMU_PROGRAM, MV_QEMU_PROC_DOMAIN_MONITOR_EVENT));
    /* number 1 of the remote program is another procedure */
    ck_assert_str_eq(mv_proc_lookup(1)->name, "CONNECT_OPEN");
    ck_assert_ptr_null(mv_program_proc_lookup(MV_QEMU_PROGRAM, 8));
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("rpc_server");
    TCase *tc = tcase_create("dispatch");
    TCase *ka = tcase_create("keepalive");
    TCase *idle = tcase_create("idle");
    TCase *tables = tcase_create("tables");
    TCase *limits = tcase_create("packet_timeout");
    TCase *maxc = tcase_create("max_clients");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_handshake_and_call);
    tcase_add_test(tc, test_call_before_auth);
    tcase_add_test(tc, test_call_before_open);
    tcase_add_test(tc, test_unknown_procedure);
    tcase_add_test(tc, test_wrong_program_and_version);
    tcase_add_test(tc, test_undecodable_arguments);
    TCase *progs = tcase_create("programs");
    tcase_add_checked_fixture(progs, qemu_setup, qemu_teardown);
    tcase_set_timeout(progs, 30);
    tcase_add_test(progs, test_second_program_dispatched);
    tcase_add_test(progs, test_second_program_read_only);
    tcase_add_test(progs, test_second_program_events_matched);
    tcase_add_test(tc, test_length_over_maximum);
    tcase_add_test(tc, test_length_below_header);
    tcase_add_test(tc, test_truncated_frame);
    tcase_add_test(tc, test_read_only_socket);
    tcase_add_test(tc, test_read_only_open_flag);
    tcase_add_test(tc, test_handler_error);
    tcase_add_test(tc, test_slow_call_does_not_block_others);
    tcase_add_test(tc, test_connect_close);
    tcase_add_test(tc, test_unread_replies_push_back);
    tcase_add_test(tc, test_ping_gets_pong);
    tcase_add_test(tc, test_preauth_packet_limit);
    tcase_add_test(tc, test_unencodable_reply_is_answered);
    tcase_add_test(tc, test_event_backlog_drops_client);
    tcase_add_test(tc, test_event_fanout_callback_ids);
    tcase_add_test(tc, test_event_deregister_and_close);
    tcase_add_test(tc, test_shutdown_with_clients_connected);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, progs);

    tcase_add_checked_fixture(limits, timeout_setup, limits_teardown);
    tcase_set_timeout(limits, 30);
    tcase_add_test(limits, test_stalled_packet_dropped);
    suite_add_tcase(s, limits);

    tcase_add_checked_fixture(maxc, max_clients_setup, limits_teardown);
    tcase_set_timeout(maxc, 30);
    tcase_add_test(maxc, test_max_clients_waits_and_keeps_rw_slot);
    suite_add_tcase(s, maxc);

    tcase_add_checked_fixture(ka, keepalive_setup, teardown);
    tcase_set_timeout(ka, 30);
    tcase_add_test(ka, test_keepalive_drops_silent_peer);
    suite_add_tcase(s, ka);

    tcase_add_test(tables, test_driver_covers_its_subsystem);
    tcase_add_test(tables, test_driver_entry_twice);
    tcase_add_test(tables, test_proc_facts);
    tcase_add_test(tables, test_qemu_program_facts);
    suite_add_tcase(s, tables);

    tcase_add_checked_fixture(idle, idle_setup, teardown);
    tcase_set_timeout(idle, 30);
    tcase_add_test(idle, test_idle_timeout_exits_loop);
    suite_add_tcase(s, idle);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(server_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
