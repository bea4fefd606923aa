/*
 * Streams end to end: a real server thread whose inline DOMAIN_OPEN_CONSOLE
 * handler opens an echo stream (and STORAGE_VOL_UPLOAD a sparse echo that
 * returns holes as holes), driven with the client API (open, data both
 * ways, EOF, finish, abort, errors, back-pressure) and with raw packets
 * where the exact wire form matters (confirmations, holes, stray serials).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "message.h"
#include "remote_protocol.h"
#include "rpc_harness.h"
#include "rpc/client.h"
#include "server.h"
#include "stream.h"

/* ---- the server's echo stream; counters are read by the test thread ---- */

static atomic_int n_release, n_finish, n_abort, n_recv, n_eagain, n_writable;
static atomic_size_t recv_max;
static atomic_int pending_send;     /* mv_stream_send inside the opening handler */

struct echo {
    size_t flood_left, flood_sent;
};

/* The test pattern: byte I of a long transfer; never '!' at offset 0. */
static char pattern(size_t i)
{
    return (char)((i * 7 + 3) % 251);
}

static void fill_pattern(char *buf, size_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(off + i);
}

/* Sends the rest of a flood, stopping at back-pressure; EOF at the end. */
static void flood_pump(struct mv_stream *st, struct echo *e)
{
    static char buf[65536];

    while (e->flood_left) {
        size_t n = e->flood_left < sizeof(buf) ? e->flood_left : sizeof(buf);
        int r;

        fill_pattern(buf, e->flood_sent, n);
        r = mv_stream_send(st, buf, n);
        if (r < 0 && r != -EAGAIN)
            return;
        e->flood_sent += n;
        e->flood_left -= n;
        if (r == -EAGAIN) {
            atomic_fetch_add(&n_eagain, 1);
            return;     /* resumed by echo_writable */
        }
    }
    mv_stream_send_eof(st);
}

/* "!eof", "!fail", "!big:N", "!flood:N": make the server act on its own. */
static int echo_command(struct mv_stream *st, struct echo *e, const char *cmd, size_t len)
{
    char text[64];
    unsigned long n;

    snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1), cmd);
    if (strcmp(text, "!eof") == 0)
        return mv_stream_send_eof(st);
    if (strcmp(text, "!fail") == 0) {
        mv_stream_fail(st, MV_ERR_OPERATION_FAILED, MV_FROM_STREAMS, "console of 'vm' went away");
        return -EIO;
    }
    if (sscanf(text, "!big:%lu", &n) == 1) {
        _cleanup_free_ char *buf = malloc(n);
        int r;

        ck_assert_ptr_nonnull(buf);
        fill_pattern(buf, 0, n);
        r = mv_stream_send(st, buf, n);
        return r == -EAGAIN ? 0 : r;
    }
    if (sscanf(text, "!flood:%lu", &n) == 1) {
        e->flood_left = n;
        flood_pump(st, e);
        return 0;
    }
    return mv_stream_send(st, cmd, len);
}

static ssize_t echo_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    size_t max = atomic_load(&recv_max);
    int r;

    atomic_fetch_add(&n_recv, 1);
    while (len > max && !atomic_compare_exchange_weak(&recv_max, &max, len))
        ;
    if (((const char *)data)[0] == '!')
        r = echo_command(st, opaque, data, len);
    else
        r = mv_stream_send(st, data, len);
    /* the echo takes everything: output back-pressure is the flood's */
    return r < 0 && r != -EAGAIN ? r : (ssize_t)len;
}

static void echo_finish(struct mv_stream *st, bool abort, void *opaque)
{
    atomic_fetch_add(abort ? &n_abort : &n_finish, 1);
}

static void echo_release(void *opaque)
{
    atomic_fetch_add(&n_release, 1);
    free(opaque);
}

static void echo_writable(struct mv_stream *st, void *opaque)
{
    atomic_fetch_add(&n_writable, 1);
    flood_pump(st, opaque);
}

static const struct mv_stream_ops echo_ops = {
    .recv = echo_recv, .finish = echo_finish, .release = echo_release, .writable = echo_writable,
};

/* ---- a sink like the console's: a pty whose other end the test reads
 * (or does not) ---- */

static sd_event *server_ev;
static atomic_int pty_slave = -1;       /* the test's end, raw mode */
static atomic_int n_sink_full, n_sink_resume, n_sink_recv;

struct pty_sink {
    struct mv_stream *st;
    int master;
    sd_event_source *out;
};

static int on_sink_writable(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct pty_sink *p = opaque;

    sd_event_source_set_enabled(s, SD_EVENT_OFF);
    atomic_fetch_add(&n_sink_resume, 1);
    mv_stream_resume(p->st);
    return 0;
}

/* Never waits: what the pty does not take now stays with the stream. */
static ssize_t sink_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    struct pty_sink *p = opaque;
    ssize_t n = write(p->master, data, len);

    atomic_fetch_add(&n_sink_recv, 1);
    if (n < 0 && errno != EAGAIN)
        return -errno;
    if (n < 0 || (size_t)n < len) {
        atomic_fetch_add(&n_sink_full, 1);
        if (!p->out)
            ck_assert_int_ge(sd_event_add_io(server_ev, &p->out, p->master, EPOLLOUT, on_sink_writable, p), 0);
        sd_event_source_set_enabled(p->out, SD_EVENT_ON);
    }
    return n < 0 ? -EAGAIN : n;
}

static void sink_finish(struct mv_stream *st, bool abort, void *opaque)
{
    atomic_fetch_add(abort ? &n_abort : &n_finish, 1);
}

static void sink_release(void *opaque)
{
    struct pty_sink *p = opaque;

    sd_event_source_disable_unref(p->out);
    close(p->master);
    free(p);
    atomic_fetch_add(&n_release, 1);
}

static const struct mv_stream_ops pty_ops = {
    .recv = sink_recv, .finish = sink_finish, .release = sink_release,
};

static int open_pty_sink(struct mv_call *call)
{
    struct pty_sink *p = calloc(1, sizeof(*p));
    struct termios t;
    int slave;

    ck_assert_ptr_nonnull(p);
    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(p->master, 0);
    ck_assert_int_eq(grantpt(p->master), 0);
    ck_assert_int_eq(unlockpt(p->master), 0);
    slave = open(ptsname(p->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ck_assert_int_ge(slave, 0);
    /* raw: bytes pass unchanged and nothing echoes back */
    ck_assert_int_eq(tcgetattr(slave, &t), 0);
    cfmakeraw(&t);
    ck_assert_int_eq(tcsetattr(slave, TCSANOW, &t), 0);
    atomic_store(&pty_slave, slave);
    p->st = mv_call_open_stream(call, &pty_ops, p);
    return p->st ? 0 : -ENOMEM;
}

/* dev_name picks the case: NULL = echo, "fail" = fails after opening,
 * "failopen" = mv_stream_fail inside the handler, "pty" = the pty sink. */
static int open_console(struct mv_call *call, mv_domain_open_console_args *args, void *ret)
{
    const char *dev = args->dev_name ? *args->dev_name : "";
    struct mv_stream *st;

    if (strcmp(dev, "pty") == 0)
        return open_pty_sink(call);
    st = mv_call_open_stream(call, &echo_ops, calloc(1, sizeof(struct echo)));

    if (!st)
        return -ENOMEM;
    atomic_store(&pending_send, mv_stream_send(st, "x", 1));
    if (strcmp(dev, "fail") == 0)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                             "Active console session exists for this domain");
    if (strcmp(dev, "failopen") == 0)
        mv_stream_fail(st, MV_ERR_INTERNAL_ERROR, MV_FROM_STREAMS, "internal error: no pty");
    return 0;
}

/* On a worker (DOMAIN_CREATE_XML is annotated worker): opening a stream
 * there is refused. */
static int worker_open(struct mv_call *call, mv_domain_create_xml_args *args, mv_domain_create_xml_ret *ret)
{
    ck_assert_ptr_null(mv_call_open_stream(call, &echo_ops, calloc(1, sizeof(struct echo))));
    return -EIO;
}

/* ---- the sparse echo: data and holes come back as they went, and the
 * order the sink saw them in is logged ("D3 H4096 D3 ") ---- */

static pthread_mutex_t srv_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char srv_log[256];
static atomic_int hole_block;           /* holes to refuse once with -EAGAIN */
static atomic_int n_hole_eagain;
static sd_event_source *hole_resume;

static void srv_log_add(char kind, long long n)
{
    size_t used;

    pthread_mutex_lock(&srv_log_lock);
    used = strlen(srv_log);
    snprintf(srv_log + used, sizeof(srv_log) - used, "%c%lld ", kind, n);
    pthread_mutex_unlock(&srv_log_lock);
}

/* "!defer": the next finish is confirmed later, from the loop, as an
 * upload does once its file is committed. */
static atomic_int defer_finish, n_deferred;
static sd_event_source *finish_later;

static int on_finish_later(sd_event_source *s, void *opaque)
{
    finish_later = sd_event_source_disable_unref(finish_later);
    atomic_fetch_add(&n_deferred, 1);
    mv_stream_finish_done(opaque);
    /* a second confirmation of the ended stream is a no-op */
    return 0;
}

static void sparse_finish(struct mv_stream *st, bool abort, void *opaque)
{
    atomic_fetch_add(abort ? &n_abort : &n_finish, 1);
    if (!abort && atomic_load(&defer_finish)) {
        mv_stream_defer_finish(st);
        ck_assert_int_ge(sd_event_add_defer(server_ev, &finish_later, on_finish_later, st), 0);
    }
}

static ssize_t sparse_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    int r;

    if (len == 6 && memcmp(data, "!defer", 6) == 0) {
        atomic_store(&defer_finish, 1);
        return (ssize_t)len;
    }
    if (len == 4 && memcmp(data, "!eof", 4) == 0)
        return mv_stream_send_eof(st) < 0 ? -EIO : (ssize_t)len;
    srv_log_add('D', (long long)len);
    r = mv_stream_send(st, data, len);
    return r < 0 && r != -EAGAIN ? r : (ssize_t)len;
}

/* From the loop, after the hole was refused: the sink has room again. */
static int on_hole_resume(sd_event_source *s, void *opaque)
{
    hole_resume = sd_event_source_disable_unref(hole_resume);
    mv_stream_resume(opaque);
    return 0;
}

static int sparse_hole(struct mv_stream *st, int64_t length, void *opaque)
{
    int r;

    if (atomic_load(&hole_block) > 0) {
        atomic_fetch_sub(&hole_block, 1);
        atomic_fetch_add(&n_hole_eagain, 1);
        ck_assert_int_ge(sd_event_add_defer(server_ev, &hole_resume, on_hole_resume, st), 0);
        return -EAGAIN;
    }
    srv_log_add('H', (long long)length);
    r = mv_stream_send_hole(st, length);
    return r < 0 && r != -EAGAIN ? r : 0;
}

static const struct mv_stream_ops sparse_ops = {
    .recv = sparse_recv, .hole = sparse_hole, .finish = sparse_finish, .release = echo_release,
};

/* Flag 1 is the procedure's sparse flag, as for libvirt's volume upload. */
static int open_upload(struct mv_call *call, mv_storage_vol_transfer_args *args, void *ret)
{
    struct mv_stream *st = mv_call_open_stream(call, &sparse_ops, NULL);

    if (!st)
        return -ENOMEM;
    if (args->flags & 1)
        mv_stream_set_sparse(st);
    /* not yet answered: nothing may be sent, a hole neither */
    ck_assert_int_eq(mv_stream_send_hole(st, 1), args->flags & 1 ? -ENOTCONN : -EINVAL);
    return 0;
}

static const struct mv_dispatch_entry test_procs[] = {
    MV_HANDLER(DOMAIN_OPEN_CONSOLE, open_console),
    MV_HANDLER(STORAGE_VOL_UPLOAD, open_upload),
    MV_HANDLER(DOMAIN_CREATE_XML, worker_open),
};
static const struct mv_dispatch_table test_table = { test_procs, MV_ARRAY_SIZE(test_procs) };
static const struct mv_dispatch_table *const test_tables[] = { &test_table, NULL };
static const char *const test_schemes[] = { "test", NULL };
static const struct mv_server_driver test_driver = {
    .name = "testd", .type = "TEST", .uri = "test:///system",
    .uri_schemes = test_schemes, .tables = test_tables,
};

/* ---- the server runs in its own thread ---- */

static char dir[] = "/tmp/mv-stream-XXXXXX";
static char sock_path[128];
static struct mv_test_loop loop;

static void *server_main(void *opaque)
{
    const struct mv_server_config cfg = {
        .max_clients = 10, .max_workers = 2, .max_client_requests = 5,
    };
    const struct mv_listen_opts rw = { .auth = MV_AUTH_METHOD_NONE };
    sd_event *ev = NULL;
    struct mv_server *srv = NULL;

    ck_assert_int_ge(sd_event_new(&ev), 0);
    server_ev = ev;
    ck_assert_int_eq(mv_server_new(ev, &test_driver, &cfg, &srv), 0);
    ck_assert_int_eq(mv_server_listen_unix(srv, sock_path, 0600, (gid_t)-1, &rw), 0);
    mv_test_loop_ready(&loop, ev);
    sd_event_loop(ev);
    mv_server_free(srv);
    sd_event_unref(ev);
    return NULL;
}

static void setup(void)
{
    /* also without fork (CK_FORK=no, for leak checks) each test starts at 0 */
    atomic_store(&n_release, 0);
    atomic_store(&n_finish, 0);
    atomic_store(&n_abort, 0);
    atomic_store(&n_recv, 0);
    atomic_store(&n_eagain, 0);
    atomic_store(&n_writable, 0);
    atomic_store(&recv_max, 0);
    atomic_store(&pending_send, 0);
    atomic_store(&n_sink_full, 0);
    atomic_store(&n_sink_resume, 0);
    atomic_store(&n_sink_recv, 0);
    atomic_store(&pty_slave, -1);
    atomic_store(&hole_block, 0);
    atomic_store(&defer_finish, 0);
    atomic_store(&n_deferred, 0);
    atomic_store(&n_hole_eagain, 0);
    srv_log[0] = '\0';
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-stream-XXXXXX")));
    snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
    mv_test_loop_start(&loop, server_main, NULL);
}

static void teardown(void)
{
    mv_test_loop_end(&loop);
    unlink(sock_path);
    rmdir(dir);
}

/* Waits up to 5 s for counter *V to reach WANT (server-side effects). */
static int wait_count(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    return atomic_load(v);
}

/* ---- the client API side ---- */

struct sink {
    pthread_mutex_t lock;
    char *buf;
    size_t len, cap;
    size_t ncalls, max_chunk;
    bool eof;
    struct mv_err err;
    int nerr;
    struct mv_rpc_client *c;
    bool call_inside;           /* make a call from the first data callback */
    int inside_result;
    char log[256];              /* what came in order: "D3 H4096 D3 E " */
};

static void sink_log_add(struct sink *s, char kind, long long n)
{
    size_t used = strlen(s->log);

    snprintf(s->log + used, sizeof(s->log) - used, "%c%lld ", kind, n);
}

static void sink_init(struct sink *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->inside_result = 1;
}

static void sink_clear(struct sink *s)
{
    free(s->buf);
    mv_err_clear(&s->err);
    pthread_mutex_destroy(&s->lock);
}

static void on_stream(struct mv_rpc_stream *st, const void *data, size_t len,
                      const struct mv_err *err, void *opaque)
{
    struct sink *s = opaque;
    bool call_now;

    pthread_mutex_lock(&s->lock);
    s->ncalls++;
    if (err) {
        s->nerr++;
        mv_err_set(&s->err, err->code, err->domain, "%s", err->message);
    } else if (!data) {
        ck_assert_uint_eq(len, 0);
        s->eof = true;
        sink_log_add(s, 'E', 0);
    } else {
        ck_assert_uint_gt(len, 0);
        sink_log_add(s, 'D', (long long)len);
        if (s->len + len > s->cap) {
            s->cap = (s->len + len) * 2;
            s->buf = realloc(s->buf, s->cap);
            ck_assert_ptr_nonnull(s->buf);
        }
        memcpy(s->buf + s->len, data, len);
        s->len += len;
        if (len > s->max_chunk)
            s->max_chunk = len;
    }
    call_now = s->call_inside && data;
    s->call_inside = false;
    pthread_mutex_unlock(&s->lock);
    /* callbacks run with no lock held: a call from here must work */
    if (call_now) {
        mv_connect_get_type_ret t = { 0 };
        int r = mv_rpc_client_call(s->c, MV_REMOTE_PROGRAM, MV_PROC_CONNECT_GET_TYPE, NULL, NULL,
                                   (xdrproc_t)xdr_mv_connect_get_type_ret, &t, NULL);
        if (r == 0)
            r = strcmp(t.type, "TEST") == 0 ? 0 : -EINVAL;
        xdr_free((xdrproc_t)xdr_mv_connect_get_type_ret, (char *)&t);
        s->inside_result = r;
    }
}

static void on_hole(struct mv_rpc_stream *st, int64_t length, void *opaque)
{
    struct sink *s = opaque;

    pthread_mutex_lock(&s->lock);
    ck_assert_int_gt(length, 0);
    sink_log_add(s, 'H', (long long)length);
    pthread_mutex_unlock(&s->lock);
}

typedef bool (*sink_pred)(struct sink *s, size_t arg);

static bool has_bytes(struct sink *s, size_t n) { return s->len >= n; }
static bool has_eof(struct sink *s, size_t unused) { return s->eof; }
static bool has_error(struct sink *s, size_t unused) { return s->nerr > 0; }

/* Runs the client's process() loop (as a console would) until PRED holds;
 * false after 10 s. */
static bool pump_until(struct mv_rpc_client *c, struct sink *s, sink_pred pred, size_t arg)
{
    for (int i = 0; i < 1000; i++) {
        bool ok;

        pthread_mutex_lock(&s->lock);
        ok = pred(s, arg);
        pthread_mutex_unlock(&s->lock);
        if (ok)
            return true;
        ck_assert_int_ge(mv_rpc_client_process(c, 10), 0);
    }
    return false;
}

static struct mv_rpc_client *connect_client(void)
{
    struct mv_rpc_client *c = NULL;
    struct mv_err err = { 0 };
    mv_auth_list_ret auth = { 0 };
    char *uri = "test:///system";
    mv_connect_open_args open = { .name = &uri };

    ck_assert_int_eq(mv_rpc_client_connect_unix(sock_path, &c, &err), 0);
    ck_assert_int_eq(mv_rpc_client_call(c, MV_REMOTE_PROGRAM, MV_PROC_AUTH_LIST, NULL, NULL,
                                        (xdrproc_t)xdr_mv_auth_list_ret, &auth, &err), 0);
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&auth);
    ck_assert_int_eq(mv_rpc_client_call(c, MV_REMOTE_PROGRAM, MV_PROC_CONNECT_OPEN,
                                        (xdrproc_t)xdr_mv_connect_open_args, &open, NULL, NULL, &err), 0);
    mv_rpc_client_set_timeout(c, 10000);
    return c;
}

static int open_stream(struct mv_rpc_client *c, int proc, const char *dev, struct sink *s,
                       struct mv_rpc_stream **st, struct mv_err *err)
{
    char *devp = (char *)dev;
    mv_domain_open_console_args a = {
        .dom = { .name = "vm", .id = 1 }, .dev_name = dev ? &devp : NULL,
    };

    s->c = c;
    return mv_rpc_client_call_stream(c, MV_REMOTE_PROGRAM, proc,
                                     (xdrproc_t)xdr_mv_domain_open_console_args, &a,
                                     NULL, NULL, on_stream, s, st, err);
}

static void send_str(struct mv_rpc_stream *st, const char *text)
{
    struct mv_err err = { 0 };

    ck_assert_int_eq(mv_rpc_stream_send(st, text, strlen(text), &err), 0);
}

static void expect_usable(struct mv_rpc_client *c)
{
    mv_connect_get_type_ret t = { 0 };
    struct mv_err err = { 0 };

    ck_assert_int_eq(mv_rpc_client_call(c, MV_REMOTE_PROGRAM, MV_PROC_CONNECT_GET_TYPE, NULL, NULL,
                                        (xdrproc_t)xdr_mv_connect_get_type_ret, &t, &err), 0);
    ck_assert_str_eq(t.type, "TEST");
    xdr_free((xdrproc_t)xdr_mv_connect_get_type_ret, (char *)&t);
}

/*
 * Round trips on a connection of its own: the server's loop serves every
 * ready socket each turn, so when they are answered, every event that was
 * ready before (a hangup, a writable socket, a release waiting for its
 * callback to return) has been handled.  What a test checks after it
 * "did not happen" cannot still be on its way.
 */
static void server_barrier(void)
{
    struct mv_rpc_client *w = connect_client();

    expect_usable(w);
    expect_usable(w);
    mv_rpc_client_free(w);
}

/* ---- tests with the client API ---- */

START_TEST(test_echo_eof_finish)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    ck_assert_ptr_nonnull(st);
    /* the handler's own send came before the reply: refused, nothing sent */
    ck_assert_int_eq(atomic_load(&pending_send), -ENOTCONN);
    send_str(st, "hello");
    ck_assert(pump_until(c, &s, has_bytes, 5));
    send_str(st, " world");
    ck_assert(pump_until(c, &s, has_bytes, 11));
    ck_assert_uint_eq(s.len, 11);
    ck_assert(memcmp(s.buf, "hello world", 11) == 0);
    /* another call on the same connection while the stream is open */
    expect_usable(c);
    send_str(st, "!eof");
    ck_assert(pump_until(c, &s, has_eof, 0));
    ck_assert_int_eq(s.nerr, 0);
    ck_assert_int_eq(atomic_load(&n_release), 0);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_finish), 1);
    ck_assert_int_eq(atomic_load(&n_abort), 0);
    expect_usable(c);
    ck_assert_int_eq(atomic_load(&n_release), 1);
    sink_clear(&s);
}
END_TEST

START_TEST(test_abort)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    send_str(st, "abc");
    ck_assert_int_eq(mv_rpc_stream_abort(st, &err), 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_abort), 1);
    ck_assert_int_eq(atomic_load(&n_finish), 0);
    expect_usable(c);
    sink_clear(&s);
}
END_TEST

START_TEST(test_client_disconnects_mid_stream)
{
    struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL, *st2 = NULL;
    struct mv_err err = { 0 };
    struct sink s, s2;

    sink_init(&s);
    sink_init(&s2);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s2, &st2, &err), 0);
    send_str(st, "data");
    ck_assert(pump_until(c, &s, has_bytes, 4));
    mv_rpc_client_free(c);     /* with both streams still open */
    ck_assert_int_eq(wait_count(&n_release, 2), 2);
    server_barrier();
    ck_assert_int_eq(atomic_load(&n_release), 2);   /* exactly once each */
    ck_assert_int_eq(atomic_load(&n_finish) + atomic_load(&n_abort), 0);
    sink_clear(&s);
    sink_clear(&s2);
}
END_TEST

START_TEST(test_handler_failure)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    mv_domain_create_xml_args xml = { .xml_desc = "<domain/>" };
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, "fail", &s, &st, &err), -EIO);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_FAILED);
    ck_assert_str_eq(err.message, "Active console session exists for this domain");
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&n_release), 1);
    /* a stream failed inside the handler fails the call with its error */
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, "failopen", &s, &st, &err), -EIO);
    ck_assert_ptr_null(st);
    ck_assert_str_eq(err.message, "internal error: no pty");
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&n_release), 2);
    /* a handler on a worker cannot open one */
    ck_assert_int_eq(mv_rpc_client_call_stream(c, MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_CREATE_XML,
                                               (xdrproc_t)xdr_mv_domain_create_xml_args, &xml,
                                               NULL, NULL, on_stream, &s, &st, &err), -EIO);
    ck_assert_ptr_null(st);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot open a stream"));
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&n_release), 3);
    ck_assert_uint_eq(s.ncalls, 0);
    expect_usable(c);
    sink_clear(&s);
}
END_TEST

/* Data larger than one packet goes out in MV_STREAM_CHUNK_MAX pieces both ways. */
START_TEST(test_chunking)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    const size_t n = 3 * MV_STREAM_CHUNK_MAX + 100;
    _cleanup_free_ char *out = malloc(n);
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    char cmd[32];
    struct sink s;

    sink_init(&s);
    ck_assert_ptr_nonnull(out);
    fill_pattern(out, 0, n);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    /* client -> server: 4 packets, the largest exactly one chunk; echoed back */
    ck_assert_int_eq(mv_rpc_stream_send(st, out, n, &err), 0);
    ck_assert(pump_until(c, &s, has_bytes, n));
    ck_assert_int_eq(atomic_load(&n_recv), 4);
    ck_assert_uint_eq(atomic_load(&recv_max), MV_STREAM_CHUNK_MAX);
    ck_assert_uint_eq(s.len, n);
    ck_assert(memcmp(s.buf, out, n) == 0);
    ck_assert_uint_eq(s.ncalls, 4);
    /* server -> client: one mv_stream_send of N bytes is split by the server */
    s.len = s.ncalls = s.max_chunk = 0;
    snprintf(cmd, sizeof(cmd), "!big:%zu", n);
    send_str(st, cmd);
    ck_assert(pump_until(c, &s, has_bytes, n));
    ck_assert_uint_eq(s.len, n);
    ck_assert_uint_eq(s.ncalls, 4);
    ck_assert_uint_eq(s.max_chunk, MV_STREAM_CHUNK_MAX);
    ck_assert(memcmp(s.buf, out, n) == 0);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    sink_clear(&s);
}
END_TEST

START_TEST(test_server_fails_stream)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    send_str(st, "!fail");
    ck_assert(pump_until(c, &s, has_error, 0));
    ck_assert_int_eq(s.nerr, 1);
    ck_assert_int_eq(s.err.code, MV_ERR_OPERATION_FAILED);
    ck_assert_int_eq(s.err.domain, MV_FROM_STREAMS);
    ck_assert_str_eq(s.err.message, "console of 'vm' went away");
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    /* a failed stream takes no more data; finish reports the failure */
    ck_assert_int_eq(mv_rpc_stream_send(st, "x", 1, &err), -EIO);
    mv_err_clear(&err);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), -EIO);
    ck_assert_str_eq(err.message, "console of 'vm' went away");
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&n_finish) + atomic_load(&n_abort), 0);
    ck_assert_int_eq(atomic_load(&n_release), 1);
    expect_usable(c);
    sink_clear(&s);
}
END_TEST

/* 12 MiB to a client that does not read at first: the server's send says
 * -EAGAIN at its backlog limit and resumes from ops->writable. */
START_TEST(test_server_back_pressure)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    const size_t n = 12u * 1024 * 1024;
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    char cmd[32];
    struct sink s;
    bool ok = true;
    int eagain, writable;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    snprintf(cmd, sizeof(cmd), "!flood:%zu", n);
    send_str(st, cmd);
    ck_assert_int_ge(wait_count(&n_eagain, 1), 1);
    /* the backlog drains into the kernel's buffer until that is full too: the
     * flood has stalled when a whole barrier passes without a resume (bounded) */
    for (int i = 0; i < 50; i++) {
        eagain = atomic_load(&n_eagain);
        writable = atomic_load(&n_writable);
        server_barrier();
        if (atomic_load(&n_eagain) == eagain && atomic_load(&n_writable) == writable)
            break;
    }
    /* every resume ran into the limit again, and no more of them come now */
    ck_assert_int_eq(writable, eagain - 1);
    server_barrier();
    ck_assert_int_eq(atomic_load(&n_eagain), eagain);
    ck_assert_int_eq(atomic_load(&n_writable), writable);
    s.call_inside = true;
    ck_assert(pump_until(c, &s, has_eof, 0));
    ck_assert_uint_eq(s.len, n);
    for (size_t i = 0; i < n && ok; i++)
        ok = s.buf[i] == pattern(i);
    ck_assert_msg(ok, "the flood arrived damaged");
    ck_assert_int_gt(atomic_load(&n_writable), writable);
    ck_assert_uint_le(s.max_chunk, MV_STREAM_CHUNK_MAX);
    /* the call made from inside the first data callback succeeded */
    ck_assert_int_eq(s.inside_result, 0);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    sink_clear(&s);
}
END_TEST

/* Waits up to 10 s for the pty sink to be full (the test end unread). */
static void wait_sink_full(void)
{
    for (int i = 0; i < 1000 && atomic_load(&n_sink_full) == 0; i++)
        usleep(10000);
    ck_assert_int_gt(atomic_load(&n_sink_full), 0);
}

struct paste {
    struct mv_rpc_stream *st;
    size_t len;
    atomic_int result;          /* 1 while sending */
};

static void *paste_main(void *opaque)
{
    struct paste *p = opaque;
    _cleanup_free_ char *buf = malloc(p->len);
    struct mv_err err = { 0 };

    ck_assert_ptr_nonnull(buf);
    fill_pattern(buf, 0, p->len);
    /* returns once the server took it all off the socket */
    atomic_store(&p->result, mv_rpc_stream_send(p->st, buf, p->len, &err));
    mv_err_clear(&err);
    return NULL;
}

/* Reads N bytes from the pty's far end and checks them against the
 * pattern; false after 20 s without progress. */
static bool read_pty_pattern(int fd, size_t n)
{
    static char buf[65536];
    size_t got = 0;

    for (int idle = 0; got < n && idle < 200;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t k;

        if (poll(&pfd, 1, 100) <= 0) {
            idle++;
            continue;
        }
        k = read(fd, buf, sizeof(buf));
        ck_assert_int_gt(k, 0);
        for (ssize_t i = 0; i < k; i++)
            ck_assert_msg(buf[i] == pattern(got + (size_t)i), "byte %zu of the paste is wrong", got + (size_t)i);
        got += (size_t)k;
        idle = 0;
    }
    return got == n;
}

/* A paste into a sink that cannot take it (a guest that does not read its
 * console): the stream holds the rest and stops reading that client; other
 * clients' calls keep being answered; once the pty is read, everything
 * arrives in order and the stream still works. */
START_TEST(test_sink_back_pressure)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    _cleanup_rpc_client_ struct mv_rpc_client *other = connect_client();
    /* six packets: more than the pty, one held packet and the socket buffer
     * hold (some 0.5 MiB), so the send must wait; a bigger paste only makes
     * the test slower on a loaded machine, a pty takes a few KiB per wakeup */
    struct paste p = { .len = 6u * MV_STREAM_CHUNK_MAX };
    struct mv_err err = { 0 };
    pthread_t paster;
    struct sink s;
    int slave;

    sink_init(&s);
    atomic_init(&p.result, 1);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, "pty", &s, &p.st, &err), 0);
    slave = atomic_load(&pty_slave);
    ck_assert_int_ge(slave, 0);
    /* the send is held on purpose until the pty is read, after the calls
     * below: its deadline (10 s, connect_client) must not run out first on
     * a loaded machine, where it cut the paste at a packet boundary */
    mv_rpc_client_set_timeout(c, 120000);
    ck_assert_int_eq(pthread_create(&paster, NULL, paste_main, &p), 0);
    wait_sink_full();
    /* the loop is free: another client's calls are answered while the
     * paste is held (checked next), not after it; no clock involved */
    for (int i = 0; i < 20; i++)
        expect_usable(other);
    /* the paste is held, not failed, and not all taken off the socket */
    ck_assert_int_eq(atomic_load(&p.result), 1);
    ck_assert_int_eq(atomic_load(&n_release), 0);
    /* (n_sink_resume may already be above 0: after our write the kernel
     * moves the pty's flip buffer into the slave's line discipline on its
     * own schedule, and the master may turn writable with nobody reading) */
    /* the guest reads: all of it arrives, in order */
    ck_assert_msg(read_pty_pattern(slave, p.len), "the paste stalled (send result %d)", atomic_load(&p.result));
    ck_assert_int_eq(pthread_join(paster, NULL), 0);
    ck_assert_int_eq(atomic_load(&p.result), 0);
    ck_assert_int_gt(atomic_load(&n_sink_resume), 0);
    /* the stream and the connection still work */
    expect_usable(c);
    ck_assert_int_eq(mv_rpc_stream_finish(p.st, &err), 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_finish), 1);
    close(slave);
    sink_clear(&s);
}
END_TEST

/* A client that goes away while its stream holds a packet nobody takes:
 * the hangup ends the connection (the server does not read it meanwhile)
 * and the stream is released. */
START_TEST(test_sink_full_client_gone)
{
    struct mv_rpc_client *c = connect_client();
    _cleanup_free_ char *buf = malloc(MV_STREAM_CHUNK_MAX);
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_ptr_nonnull(buf);
    fill_pattern(buf, 0, MV_STREAM_CHUNK_MAX);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, "pty", &s, &st, &err), 0);
    /* more than the pty buffers, less than the sockets do */
    ck_assert_int_eq(mv_rpc_stream_send(st, buf, MV_STREAM_CHUNK_MAX, &err), 0);
    wait_sink_full();
    mv_rpc_client_free(c);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_finish) + atomic_load(&n_abort), 0);
    close(atomic_load(&pty_slave));
    sink_clear(&s);
}
END_TEST

/* Finishing from inside the stream's own callback (on EOF) works. */
static void finish_on_eof(struct mv_rpc_stream *st, const void *data, size_t len,
                          const struct mv_err *err, void *opaque)
{
    int *result = opaque;

    if (!data && !err)
        *result = mv_rpc_stream_finish(st, NULL);
}

START_TEST(test_finish_from_callback)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    mv_domain_open_console_args a = { .dom = { .name = "vm" } };
    struct mv_err err = { 0 };
    int result = 1;

    ck_assert_int_eq(mv_rpc_client_call_stream(c, MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_OPEN_CONSOLE,
                                               (xdrproc_t)xdr_mv_domain_open_console_args, &a,
                                               NULL, NULL, finish_on_eof, &result, &st, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send(st, "!eof", 4, &err), 0);
    for (int i = 0; i < 500 && result == 1; i++)
        ck_assert_int_ge(mv_rpc_client_process(c, 10), 0);
    ck_assert_int_eq(result, 0);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_finish), 1);
    expect_usable(c);
}
END_TEST

/* ---- raw packets: the exact wire form ---- */

static void send_packet(int fd, int proc, int type, unsigned serial, int status,
                        xdrproc_t filter, const void *body)
{
    mv_test_send_packet(fd, type, status, proc, serial, filter, body);
}

static void send_data(int fd, unsigned serial, const char *text)
{
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_DOMAIN_OPEN_CONSOLE,
                                   MV_STREAM, serial, MV_CONTINUE };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode_raw(m, &h, text, strlen(text)), 0);
    ck_assert_int_eq(send(fd, m->buf, m->len, MSG_NOSIGNAL), (ssize_t)m->len);
}

static void expect_packet(int fd, int proc, int type, unsigned serial, int status, const char *payload)
{
    _cleanup_msg_ struct mv_msg *m = mv_test_recv(fd);
    size_t len;
    const char *p;

    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->hdr.prog, MV_REMOTE_PROGRAM);
    ck_assert_int_eq(m->hdr.proc, proc);
    ck_assert_int_eq(m->hdr.type, type);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, status);
    p = mv_msg_payload(m, &len);
    ck_assert_uint_eq(len, strlen(payload));
    ck_assert(memcmp(p, payload, len) == 0);
}

static void raw_handshake(int fd)
{
    char *uri = "test:///system";
    mv_connect_open_args open = { .name = &uri };
    _cleanup_msg_ struct mv_msg *auth = NULL;

    send_packet(fd, MV_PROC_AUTH_LIST, MV_CALL, 0, MV_OK, NULL, NULL);
    auth = mv_test_recv(fd);
    ck_assert_ptr_nonnull(auth);
    ck_assert_int_eq(auth->hdr.status, MV_OK);
    send_packet(fd, MV_PROC_CONNECT_OPEN, MV_CALL, 1, MV_OK, (xdrproc_t)xdr_mv_connect_open_args, &open);
    expect_packet(fd, MV_PROC_CONNECT_OPEN, MV_REPLY, 1, MV_OK, "");
}

static void raw_open_console(int fd, unsigned serial)
{
    mv_domain_open_console_args a = { .dom = { .name = "vm" } };

    send_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_CALL, serial, MV_OK,
                (xdrproc_t)xdr_mv_domain_open_console_args, &a);
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_REPLY, serial, MV_OK, "");
}

static void raw_expect_type(int fd, unsigned serial)
{
    _cleanup_msg_ struct mv_msg *m = NULL;

    send_packet(fd, MV_PROC_CONNECT_GET_TYPE, MV_CALL, serial, MV_OK, NULL, NULL);
    m = mv_test_recv(fd);
    ck_assert_ptr_nonnull(m);
    /* nothing else came first: a stray stream packet gets no answer */
    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_int_eq(m->hdr.proc, MV_PROC_CONNECT_GET_TYPE);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_OK);
}

START_TEST(test_wire_finish_and_abort)
{
    _cleanup_close_ int fd = mv_test_dial(sock_path);

    raw_handshake(fd);
    raw_open_console(fd, 2);
    send_data(fd, 2, "abc");
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 2, MV_CONTINUE, "abc");
    /* finish: STREAM/OK, empty, same proc and serial; answered in kind */
    send_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 2, MV_OK, NULL, NULL);
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 2, MV_OK, "");
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    /* late data for the closed stream: ignored */
    send_data(fd, 2, "late");
    raw_expect_type(fd, 3);
    /* abort: STREAM/ERROR, empty; confirmed with STREAM/OK */
    raw_open_console(fd, 4);
    send_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 4, MV_ERROR, NULL, NULL);
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 4, MV_OK, "");
    ck_assert_int_eq(wait_count(&n_release, 2), 2);
    ck_assert_int_eq(atomic_load(&n_finish), 1);
    ck_assert_int_eq(atomic_load(&n_abort), 1);
    /* server EOF is an empty CONTINUE */
    raw_open_console(fd, 5);
    send_data(fd, 5, "!eof");
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 5, MV_CONTINUE, "");
}
END_TEST

START_TEST(test_wire_unknown_serial_ignored)
{
    _cleanup_close_ int fd = mv_test_dial(sock_path);

    raw_handshake(fd);
    send_data(fd, 77, "nobody listens");
    send_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 78, MV_OK, NULL, NULL);
    raw_expect_type(fd, 2);
    /* a live stream is not matched by a packet with another serial */
    raw_open_console(fd, 3);
    send_data(fd, 4, "wrong serial");
    send_data(fd, 3, "right");
    expect_packet(fd, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_STREAM, 3, MV_CONTINUE, "right");
    ck_assert_int_eq(atomic_load(&n_recv), 1);
}
END_TEST

/* A hole on a stream opened without the sparse flag breaks the protocol:
 * the connection is closed (libvirt: "Unexpected stream hole"), the
 * stream released without finish or abort. */
START_TEST(test_wire_hole_closes_nonsparse)
{
    mv_stream_hole hole = { .length = 4096, .flags = 0 };
    mv_storage_vol_transfer_args up = { .vol = { .pool = "p", .name = "v", .key = "k" } };

    for (int i = 0; i < 2; i++) {
        _cleanup_close_ int fd = mv_test_dial(sock_path);
        int proc = i ? MV_PROC_STORAGE_VOL_UPLOAD : MV_PROC_DOMAIN_OPEN_CONSOLE;

        raw_handshake(fd);
        if (i) {
            send_packet(fd, proc, MV_CALL, 2, MV_OK, (xdrproc_t)xdr_mv_storage_vol_transfer_args, &up);
            expect_packet(fd, proc, MV_REPLY, 2, MV_OK, "");
        } else {
            raw_open_console(fd, 2);
        }
        send_packet(fd, proc, MV_STREAM_HOLE, 2, MV_CONTINUE, (xdrproc_t)xdr_mv_stream_hole, &hole);
        ck_assert_ptr_null(mv_test_recv(fd));
        ck_assert_int_eq(wait_count(&n_release, i + 1), i + 1);
    }
    ck_assert_int_eq(atomic_load(&n_finish) + atomic_load(&n_abort), 0);
    ck_assert_str_eq(srv_log, "");
}
END_TEST

static void send_upload_data(int fd, unsigned serial, const char *text)
{
    struct mv_message_header h = { MV_REMOTE_PROGRAM, MV_REMOTE_VERSION, MV_PROC_STORAGE_VOL_UPLOAD,
                                   MV_STREAM, serial, MV_CONTINUE };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();

    ck_assert_int_eq(mv_msg_encode_raw(m, &h, text, strlen(text)), 0);
    ck_assert_int_eq(send(fd, m->buf, m->len, MSG_NOSIGNAL), (ssize_t)m->len);
}

static void send_upload_hole(int fd, unsigned serial, int64_t length)
{
    mv_stream_hole hole = { .length = length, .flags = 0 };

    send_packet(fd, MV_PROC_STORAGE_VOL_UPLOAD, MV_STREAM_HOLE, serial, MV_CONTINUE,
                (xdrproc_t)xdr_mv_stream_hole, &hole);
}

static void expect_hole(int fd, unsigned serial, int64_t length)
{
    _cleanup_msg_ struct mv_msg *m = mv_test_recv(fd);
    mv_stream_hole hole = { 0 };

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.proc, MV_PROC_STORAGE_VOL_UPLOAD);
    ck_assert_int_eq(m->hdr.type, MV_STREAM_HOLE);
    ck_assert_uint_eq(m->hdr.serial, serial);
    ck_assert_int_eq(m->hdr.status, MV_CONTINUE);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_stream_hole, &hole), 0);
    ck_assert_int_eq(hole.length, length);
    ck_assert_uint_eq(hole.flags, 0);
}

/* On a sparse stream data and holes reach the sink in order (a hole the
 * sink refuses once is held and offered again after its resume, the data
 * behind it waits), and the server's holes go out as STREAM_HOLE {length,
 * flags 0} packets between its data. */
START_TEST(test_wire_sparse_in_order)
{
    _cleanup_close_ int fd = mv_test_dial(sock_path);
    mv_storage_vol_transfer_args up = { .vol = { .pool = "p", .name = "v", .key = "k" }, .flags = 1 };
    int proc = MV_PROC_STORAGE_VOL_UPLOAD;

    atomic_store(&hole_block, 1);
    raw_handshake(fd);
    send_packet(fd, proc, MV_CALL, 2, MV_OK, (xdrproc_t)xdr_mv_storage_vol_transfer_args, &up);
    expect_packet(fd, proc, MV_REPLY, 2, MV_OK, "");
    send_upload_data(fd, 2, "abc");
    send_upload_hole(fd, 2, 4096);
    send_upload_data(fd, 2, "defg");
    send_upload_hole(fd, 2, 0);                     /* says nothing: ignored */
    send_upload_hole(fd, 2, INT64_C(1) << 42);
    expect_packet(fd, proc, MV_STREAM, 2, MV_CONTINUE, "abc");
    expect_hole(fd, 2, 4096);
    expect_packet(fd, proc, MV_STREAM, 2, MV_CONTINUE, "defg");
    expect_hole(fd, 2, INT64_C(1) << 42);
    send_upload_data(fd, 2, "!eof");
    expect_packet(fd, proc, MV_STREAM, 2, MV_CONTINUE, "");
    send_packet(fd, proc, MV_STREAM, 2, MV_OK, NULL, NULL);
    expect_packet(fd, proc, MV_STREAM, 2, MV_OK, "");
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_hole_eagain), 1);
    ck_assert_str_eq(srv_log, "D3 H4096 D4 H4398046511104 ");
}
END_TEST

/* A negative hole on a sparse stream fails that stream, not the connection. */
START_TEST(test_wire_sparse_bad_hole)
{
    _cleanup_close_ int fd = mv_test_dial(sock_path);
    mv_storage_vol_transfer_args up = { .vol = { .pool = "p", .name = "v", .key = "k" }, .flags = 1 };
    _cleanup_msg_ struct mv_msg *m = NULL;
    mv_error e = { 0 };

    raw_handshake(fd);
    send_packet(fd, MV_PROC_STORAGE_VOL_UPLOAD, MV_CALL, 2, MV_OK,
                (xdrproc_t)xdr_mv_storage_vol_transfer_args, &up);
    expect_packet(fd, MV_PROC_STORAGE_VOL_UPLOAD, MV_REPLY, 2, MV_OK, "");
    send_upload_hole(fd, 2, -5);
    m = mv_test_recv(fd);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->hdr.type, MV_STREAM);
    ck_assert_int_eq(m->hdr.status, MV_ERROR);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &e), 0);
    ck_assert_str_eq(*e.message, "malformed stream hole packet");
    xdr_free((xdrproc_t)xdr_mv_error, (char *)&e);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    raw_expect_type(fd, 3);
}
END_TEST

/* The client API side of a hole on a non-sparse stream: a fake peer on a
 * socketpair answers the call and sends a hole; like libvirt the client
 * gives up the connection, and the stream's callback hears why. */
START_TEST(test_client_sees_hole)
{
    int sv[2];
    struct mv_rpc_client *c = NULL;
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;
    mv_domain_open_console_args a = { .dom = { .name = "vm" } };
    bool failed = false;

    sink_init(&s);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(mv_rpc_client_new_fd(sv[0], "fakepeer", &c), 0);
    /* the reply and the hole are in the socket before the call is even sent */
    {
        struct mv_message_header h = { MV_REMOTE_PROGRAM, 1, MV_PROC_DOMAIN_OPEN_CONSOLE, MV_REPLY, 0, MV_OK };
        _cleanup_msg_ struct mv_msg *reply = mv_msg_new(), *hole = mv_msg_new();
        mv_stream_hole hb = { .length = 1 };

        ck_assert_int_eq(mv_msg_encode(reply, &h, NULL, NULL), 0);
        h.type = MV_STREAM_HOLE;
        h.status = MV_CONTINUE;
        ck_assert_int_eq(mv_msg_encode(hole, &h, (xdrproc_t)xdr_mv_stream_hole, &hb), 0);
        ck_assert_int_eq(write(sv[1], reply->buf, reply->len), (ssize_t)reply->len);
        ck_assert_int_eq(write(sv[1], hole->buf, hole->len), (ssize_t)hole->len);
    }
    ck_assert_int_eq(mv_rpc_client_call_stream(c, MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_OPEN_CONSOLE,
                                               (xdrproc_t)xdr_mv_domain_open_console_args, &a,
                                               NULL, NULL, on_stream, &s, &st, &err), 0);
    for (int i = 0; i < 1000 && !failed; i++) {
        pthread_mutex_lock(&s.lock);
        failed = s.nerr > 0;
        pthread_mutex_unlock(&s.lock);
        if (!failed && mv_rpc_client_process(c, 10) < 0)
            break;
    }
    mv_rpc_client_process(c, 0);
    ck_assert_int_eq(s.nerr, 1);
    ck_assert_ptr_nonnull(strstr(s.err.message, "unexpected stream hole"));
    ck_assert(!mv_rpc_client_is_alive(c));
    ck_assert_int_eq(mv_rpc_stream_send_hole(st, 1, &err), -EINVAL);
    mv_err_clear(&err);
    /* the connection is dead: the abort says so, and frees the stream */
    ck_assert_int_eq(mv_rpc_stream_abort(st, &err), -EPROTO);
    mv_err_clear(&err);
    mv_rpc_client_free(c);
    close(sv[1]);
    sink_clear(&s);
}
END_TEST

/* The client API on a sparse stream: holes are sent and received in order
 * with the data, back from the server's sparse echo. */
START_TEST(test_client_sparse_round_trip)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;
    mv_storage_vol_transfer_args up = { .vol = { .pool = "p", .name = "v", .key = "k" }, .flags = 1 };
    _cleanup_free_ char *big = malloc(300000);

    ck_assert_ptr_nonnull(big);
    fill_pattern(big, 0, 300000);
    sink_init(&s);
    atomic_store(&hole_block, 2);
    ck_assert_int_eq(mv_rpc_client_call_stream_sparse(c, MV_REMOTE_PROGRAM, MV_PROC_STORAGE_VOL_UPLOAD,
                                                      (xdrproc_t)xdr_mv_storage_vol_transfer_args, &up,
                                                      NULL, NULL, on_stream, on_hole, &s, &st, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send_hole(st, 0, &err), -EINVAL);
    mv_err_clear(&err);
    ck_assert_int_eq(mv_rpc_stream_send(st, "abc", 3, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send_hole(st, INT64_C(4) << 30, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send_hole(st, 512, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send(st, big, 300000, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send(st, "!eof", 4, &err), 0);
    ck_assert(pump_until(c, &s, has_eof, 0));
    ck_assert_str_eq(s.log, "D3 H4294967296 H512 D262120 D37880 E0 ");
    ck_assert_uint_eq(s.len, 300003);
    ck_assert(memcmp(s.buf + 3, big, 300000) == 0);
    ck_assert_str_eq(srv_log, "D3 H4294967296 H512 D262120 D37880 ");
    ck_assert_int_eq(atomic_load(&n_hole_eagain), 2);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    ck_assert_int_eq(s.nerr, 0);
    sink_clear(&s);
}
END_TEST

/* A finish the sink confirms later (mv_stream_defer_finish): the client's
 * finish returns once it is confirmed, and the stream is released once. */
START_TEST(test_deferred_finish)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;
    mv_storage_vol_transfer_args up = { .vol = { .pool = "p", .name = "v", .key = "k" }, .flags = 1 };

    sink_init(&s);
    ck_assert_int_eq(mv_rpc_client_call_stream_sparse(c, MV_REMOTE_PROGRAM, MV_PROC_STORAGE_VOL_UPLOAD,
                                                      (xdrproc_t)xdr_mv_storage_vol_transfer_args, &up,
                                                      NULL, NULL, on_stream, on_hole, &s, &st, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send(st, "!defer", 6, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    ck_assert_int_eq(atomic_load(&n_deferred), 1);
    ck_assert_int_eq(wait_count(&n_release, 1), 1);
    ck_assert_int_eq(atomic_load(&n_finish), 1);
    expect_usable(c);
    sink_clear(&s);
}
END_TEST

/* A hole cannot be sent on a stream opened without the sparse flag. */
START_TEST(test_client_no_hole_on_plain_stream)
{
    _cleanup_rpc_client_ struct mv_rpc_client *c = connect_client();
    struct mv_rpc_stream *st = NULL;
    struct mv_err err = { 0 };
    struct sink s;

    sink_init(&s);
    ck_assert_int_eq(open_stream(c, MV_PROC_DOMAIN_OPEN_CONSOLE, NULL, &s, &st, &err), 0);
    ck_assert_int_eq(mv_rpc_stream_send_hole(st, 4096, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "non-sparse"));
    mv_err_clear(&err);
    expect_usable(c);
    ck_assert_int_eq(mv_rpc_stream_finish(st, &err), 0);
    sink_clear(&s);
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("rpc_stream");
    TCase *api = tcase_create("client_api");
    TCase *wire = tcase_create("wire");

    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 180);     /* deadlines for liveness, on a loaded machine */
    tcase_add_test(api, test_echo_eof_finish);
    tcase_add_test(api, test_abort);
    tcase_add_test(api, test_client_disconnects_mid_stream);
    tcase_add_test(api, test_handler_failure);
    tcase_add_test(api, test_chunking);
    tcase_add_test(api, test_server_fails_stream);
    tcase_add_test(api, test_server_back_pressure);
    tcase_add_test(api, test_finish_from_callback);
    tcase_add_test(api, test_client_sees_hole);
    tcase_add_test(api, test_client_sparse_round_trip);
    tcase_add_test(api, test_client_no_hole_on_plain_stream);
    tcase_add_test(api, test_deferred_finish);
    tcase_add_test(api, test_sink_back_pressure);
    tcase_add_test(api, test_sink_full_client_gone);
    suite_add_tcase(s, api);

    tcase_add_checked_fixture(wire, setup, teardown);
    tcase_set_timeout(wire, 30);
    tcase_add_test(wire, test_wire_finish_and_abort);
    tcase_add_test(wire, test_wire_unknown_serial_ignored);
    tcase_add_test(wire, test_wire_hole_closes_nonsparse);
    tcase_add_test(wire, test_wire_sparse_in_order);
    tcase_add_test(wire, test_wire_sparse_bad_hole);
    suite_add_tcase(s, wire);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stream_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
