/*
 * SASL sessions (rpc/sasl.c) against a real cyrus-sasl client in the same
 * process: a sasldb made by saslpasswd2, SCRAM-SHA-256 and DIGEST-MD5, the
 * allowlist, the SSF rule of plain TCP, and bytes through the security
 * layer over a socketpair.  Then the AUTH_SASL_* handlers (conn_sasl.c,
 * compiled into this test) over the same exchanges, with the server's
 * client accessors played by this file.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "cleanup.h"
#include "conn_sasl.h"
#include "log.h"
#include "sasl.h"
#include "server_internal.h"
#include "testutil.h"

#define USER "fred"
#define PASSWORD "s3cret pass"

static char tmpdir[256];
static char hostname[256];

/* LeakSanitizer: cyrus-sasl 2.1.28's DIGEST-MD5 plugin never frees the
 * OpenSSL 3 ciphers it fetches for its layer (about 10 KB a session, on
 * both sides).  Not ours, and nothing here uses libcrypto otherwise. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcrypto.so\n";
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* ---- fixture: libvirt.conf and a sasldb in a fresh directory ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

static void add_user(const char *db, const char *user, const char *password)
{
    _cleanup_free_ char *cmd = NULL;
    FILE *p;

    ck_assert_int_ge(asprintf(&cmd, "saslpasswd2 -f '%s' -a libvirt -c -p '%s'", db, user), 0);
    p = popen(cmd, "w");
    ck_assert_ptr_nonnull(p);
    fputs(password, p);
    ck_assert_int_eq(pclose(p), 0);
}

static void setup(void)
{
    _cleanup_free_ char *conf = NULL, *db = NULL, *text = NULL, *errmsg = NULL;

    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_rpc_sasl");
    ck_assert_int_ge(asprintf(&conf, "%s/libvirt.conf", tmpdir), 0);
    ck_assert_int_ge(asprintf(&db, "%s/passwd.db", tmpdir), 0);
    ck_assert_int_ge(asprintf(&text, "mech_list: scram-sha-256 digest-md5\nsasldb_path: %s\n", db), 0);
    write_file(conf, text);
    add_user(db, USER, PASSWORD);
    ck_assert_int_eq(gethostname(hostname, sizeof(hostname) - 1), 0);
    ck_assert_msg(mv_sasl_init(tmpdir, &errmsg) == 0, "mv_sasl_init: %s", errmsg ? errmsg : "?");
    ck_assert_int_eq(sasl_client_init(NULL), SASL_OK);
}

static void teardown(void)
{
    sasl_client_done();
    mv_sasl_done();
    mv_test_rmtree(tmpdir);
}

/* ---- the client side: cyrus-sasl with fixed credentials ---- */

struct creds {
    const char *user;
    const char *password;
    sasl_secret_t *secret;
};

typedef int (*sasl_cb_fn)(void);

static int cb_simple(void *context, int id, const char **result, unsigned *len)
{
    struct creds *c = context;

    *result = c->user;
    if (len)
        *len = strlen(c->user);
    return SASL_OK;
}

static int cb_pass(sasl_conn_t *conn, void *context, int id, sasl_secret_t **psecret)
{
    struct creds *c = context;
    size_t n = strlen(c->password);

    free(c->secret);
    c->secret = calloc(1, sizeof(sasl_secret_t) + n);
    ck_assert_ptr_nonnull(c->secret);
    c->secret->len = n;
    memcpy(c->secret->data, c->password, n);
    *psecret = c->secret;
    return SASL_OK;
}

struct client {
    struct creds creds;
    sasl_callback_t cbs[4];
    sasl_conn_t *conn;
};

/* A client wanting MIN..MAX SSF. */
static void client_new(struct client *cl, const char *user, const char *password,
                       unsigned min_ssf, unsigned max_ssf)
{
    sasl_security_properties_t props = { .min_ssf = min_ssf, .max_ssf = max_ssf,
                                         .maxbufsize = 65536 };

    cl->creds = (struct creds){ .user = user, .password = password };
    cl->cbs[0] = (sasl_callback_t){ SASL_CB_AUTHNAME, (sasl_cb_fn)(void (*)(void))cb_simple, &cl->creds };
    cl->cbs[1] = (sasl_callback_t){ SASL_CB_USER, (sasl_cb_fn)(void (*)(void))cb_simple, &cl->creds };
    cl->cbs[2] = (sasl_callback_t){ SASL_CB_PASS, (sasl_cb_fn)(void (*)(void))cb_pass, &cl->creds };
    cl->cbs[3] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
    ck_assert_int_eq(sasl_client_new("libvirt", hostname, "127.0.0.1;40000", "127.0.0.1;16509",
                                     cl->cbs, 0, &cl->conn), SASL_OK);
    ck_assert_int_eq(sasl_setprop(cl->conn, SASL_SEC_PROPS, &props), SASL_OK);
}

static void client_free(struct client *cl)
{
    sasl_dispose(&cl->conn);
    free(cl->creds.secret);
}

static const struct mv_sasl_conn_info tcp_info = {
    .local_addr = "127.0.0.1;16509",
    .remote_addr = "127.0.0.1;40000",
    .need_layer = true,
};

static const struct mv_sasl_conn_info tls_info = {
    .local_addr = "127.0.0.1;16514",
    .remote_addr = "127.0.0.1;40000",
    .external_ssf = 256,
};

/* The whole exchange as virsh drives it (START, STEPs, a last local step
 * on the server's final data).  0 with the server complete, or the
 * server's error. */
static int exchange(struct mv_sasl_session *s, struct client *cl, const char *mech_wanted,
                    struct mv_err *err)
{
    const char *cout = NULL, *mech = NULL;
    unsigned coutlen = 0;
    char *sout = NULL;
    size_t soutlen = 0;
    int complete = 0, r, cr;

    cr = sasl_client_start(cl->conn, mech_wanted, NULL, &cout, &coutlen, &mech);
    ck_assert_msg(cr == SASL_OK || cr == SASL_CONTINUE, "client start: %s", sasl_errdetail(cl->conn));
    r = mv_sasl_session_step(s, mech, cout, coutlen, &sout, &soutlen, &complete, err);
    while (r == 0 && !complete) {
        cr = sasl_client_step(cl->conn, sout, soutlen, NULL, &cout, &coutlen);
        ck_assert_msg(cr == SASL_OK || cr == SASL_CONTINUE, "client step: %s", sasl_errdetail(cl->conn));
        free(sout);
        sout = NULL;
        r = mv_sasl_session_step(s, NULL, cout, coutlen, &sout, &soutlen, &complete, err);
    }
    if (r == 0 && sout) {
        /* the client checks the server's proof (mutual authentication) */
        cr = sasl_client_step(cl->conn, sout, soutlen, NULL, &cout, &coutlen);
        ck_assert_msg(cr == SASL_OK, "client final step: %s", sasl_errdetail(cl->conn));
    }
    free(sout);
    return r;
}

static void assert_auth_failed(int r, const struct mv_err *err)
{
    ck_assert_int_lt(r, 0);
    ck_assert_int_eq(err->code, 45);
    ck_assert_int_eq(err->domain, 7);
    ck_assert_ptr_nonnull(err->message);
    ck_assert_msg(strncmp(err->message, "authentication failed: ", 23) == 0, "%s", err->message);
}

/* ---- exchanges ---- */

START_TEST(test_scram_right_password)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    _cleanup_free_ char *mechs = NULL;
    struct client cl;

    ck_assert_int_eq(mv_sasl_session_new(&tls_info, NULL, &s, &err), 0);
    ck_assert_int_eq(mv_sasl_session_mechlist(s, &mechs, &err), 0);
    ck_assert_msg(strstr(mechs, "SCRAM-SHA-256") && strstr(mechs, "DIGEST-MD5") && strchr(mechs, ','),
                  "mechlist '%s'", mechs);
    client_new(&cl, USER, PASSWORD, 0, 0);
    ck_assert_int_eq(exchange(s, &cl, "SCRAM-SHA-256", &err), 0);
    ck_assert_str_eq(mv_sasl_session_user(s), USER);
    ck_assert(!mv_sasl_session_has_layer(s));
    /* nothing more once complete */
    {
        char *out = NULL;
        size_t outlen;
        int complete;

        assert_auth_failed(mv_sasl_session_step(s, NULL, "x", 1, &out, &outlen, &complete, &err), &err);
    }
    client_free(&cl);
    mv_sasl_session_free(s);
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_scram_wrong_password)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    struct client cl;

    ck_assert_int_eq(mv_sasl_session_new(&tls_info, NULL, &s, &err), 0);
    client_new(&cl, USER, "not the password", 0, 0);
    assert_auth_failed(exchange(s, &cl, "SCRAM-SHA-256", &err), &err);
    ck_assert_str_eq(err.message, "authentication failed: authentication failed");
    ck_assert_ptr_null(mv_sasl_session_user(s));
    client_free(&cl);
    mv_sasl_session_free(s);
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_unknown_user)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    struct client cl;

    ck_assert_int_eq(mv_sasl_session_new(&tls_info, NULL, &s, &err), 0);
    client_new(&cl, "nobody", PASSWORD, 0, 0);
    assert_auth_failed(exchange(s, &cl, "SCRAM-SHA-256", &err), &err);
    client_free(&cl);
    mv_sasl_session_free(s);
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_allowlist)
{
    char *deny[] = { "adm*", "root", NULL };
    char *allow[] = { "adm*", "fr?d", NULL };
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    struct client cl;

    /* the password is right, the name matches no glob */
    ck_assert_int_eq(mv_sasl_session_new(&tls_info, deny, &s, &err), 0);
    client_new(&cl, USER, PASSWORD, 0, 0);
    assert_auth_failed(exchange(s, &cl, "SCRAM-SHA-256", &err), &err);
    ck_assert_str_eq(err.message, "authentication failed: authentication failed");
    ck_assert_ptr_null(mv_sasl_session_user(s));
    client_free(&cl);
    mv_sasl_session_free(s);
    mv_err_clear(&err);

    ck_assert_int_eq(mv_sasl_session_new(&tls_info, allow, &s, &err), 0);
    client_new(&cl, USER, PASSWORD, 0, 0);
    ck_assert_int_eq(exchange(s, &cl, "SCRAM-SHA-256", &err), 0);
    ck_assert_str_eq(mv_sasl_session_user(s), USER);
    client_free(&cl);
    mv_sasl_session_free(s);
}
END_TEST

/* Plain TCP: SCRAM gives no layer (SSF 0), so it is neither offered nor
 * accepted. */
START_TEST(test_tcp_refuses_scram)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    _cleanup_free_ char *mechs = NULL;
    struct client cl;

    ck_assert_int_eq(mv_sasl_session_new(&tcp_info, NULL, &s, &err), 0);
    ck_assert_int_eq(mv_sasl_session_mechlist(s, &mechs, &err), 0);
    ck_assert_msg(!strstr(mechs, "SCRAM"), "mechlist '%s'", mechs);
    client_new(&cl, USER, PASSWORD, 0, 0);
    assert_auth_failed(exchange(s, &cl, "SCRAM-SHA-256", &err), &err);
    ck_assert_ptr_null(mv_sasl_session_user(s));
    client_free(&cl);
    mv_sasl_session_free(s);
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_order)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    char *out = NULL;
    size_t outlen;
    int complete;

    ck_assert_int_eq(mv_sasl_session_new(&tls_info, NULL, &s, &err), 0);
    /* a STEP before START */
    assert_auth_failed(mv_sasl_session_step(s, NULL, NULL, 0, &out, &outlen, &complete, &err), &err);
    ck_assert_ptr_null(out);
    mv_sasl_session_free(s);
    mv_err_clear(&err);

    /* a mechanism the server does not have */
    ck_assert_int_eq(mv_sasl_session_new(&tls_info, NULL, &s, &err), 0);
    assert_auth_failed(mv_sasl_session_step(s, "PLAIN", "\0fred\0x", 7, &out, &outlen, &complete, &err),
                       &err);
    mv_sasl_session_free(s);
    mv_err_clear(&err);
}
END_TEST

/* ---- the security layer ---- */

/* DIGEST-MD5 on plain TCP: authenticated with a layer (SSF >= 56). */
static struct mv_sasl_session *layer_session(struct client *cl)
{
    struct mv_sasl_session *s = NULL;
    struct mv_err err = { 0 };
    const void *v;
    int r;

    ck_assert_int_eq(mv_sasl_session_new(&tcp_info, NULL, &s, &err), 0);
    client_new(cl, USER, PASSWORD, 56, 100000);
    r = exchange(s, cl, "DIGEST-MD5", &err);
    ck_assert_msg(r == 0, "DIGEST-MD5: %s", err.message ? err.message : "?");
    ck_assert_str_eq(mv_sasl_session_user(s), USER);
    ck_assert(mv_sasl_session_has_layer(s));
    ck_assert_int_eq(sasl_getprop(cl->conn, SASL_SSF, &v), SASL_OK);
    ck_assert_uint_ge(*(const sasl_ssf_t *)v, 56);
    return s;
}

static void nonblocking(int fd)
{
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Client -> server: encoded by the client, read plain through the layer. */
static void client_to_server(struct client *cl, struct mv_transport *t, int cfd)
{
    static const char msg[] = "client says hello through the layer";
    const char *enc;
    unsigned enclen;
    char buf[256];
    size_t got = 0;
    ssize_t r;

    ck_assert_int_eq(sasl_encode(cl->conn, msg, sizeof(msg), &enc, &enclen), SASL_OK);
    ck_assert_uint_gt(enclen, sizeof(msg));     /* framed and sealed, not identity */
    ck_assert(memmem(enc, enclen, "hello", 5) == NULL);
    /* in two pieces: the server must wait for the rest of the packet */
    ck_assert_int_eq(write(cfd, enc, 3), 3);
    ck_assert_int_eq(t->ops->recv(t->ctx, buf, sizeof(buf)), -EAGAIN);
    ck_assert_int_eq(write(cfd, enc + 3, enclen - 3), (ssize_t)enclen - 3);
    /* read 5 bytes, the rest is held decoded */
    r = t->ops->recv(t->ctx, buf, 5);
    ck_assert_int_eq(r, 5);
    got = 5;
    ck_assert_uint_eq(t->ops->pending(t->ctx), sizeof(msg) - 5);
    r = t->ops->recv(t->ctx, buf + got, sizeof(buf) - got);
    ck_assert_int_eq(r, (ssize_t)(sizeof(msg) - 5));
    got += r;
    ck_assert_uint_eq(t->ops->pending(t->ctx), 0);
    ck_assert_mem_eq(buf, msg, sizeof(msg));
}

/* Drains what the client socket has, decoding into OUT. */
static void client_drain(struct client *cl, int cfd, char *out, size_t *got, size_t cap)
{
    char raw[8192];
    const char *dec;
    unsigned declen;
    ssize_t n;

    while ((n = read(cfd, raw, sizeof(raw))) > 0) {
        ck_assert_int_eq(sasl_decode(cl->conn, raw, n, &dec, &declen), SASL_OK);
        ck_assert_uint_le(*got + declen, cap);
        if (declen)             /* 0: the packet's rest is still on its way */
            memcpy(out + *got, dec, declen);
        *got += declen;
    }
    ck_assert(n < 0 && errno == EAGAIN);
}

/* Server -> client: 1 MiB (many layer packets, more than the socket
 * holds), sent under the transport.h contract: -EAGAIN is answered by
 * draining the client, then the same call again. */
static void server_to_client(struct client *cl, struct mv_transport *t, int cfd)
{
    const size_t total = 1 << 20;
    _cleanup_free_ char *data = malloc(total), *got_buf = malloc(total);
    size_t sent = 0, got = 0;
    unsigned eagain = 0;
    ssize_t r;

    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(got_buf);
    for (size_t i = 0; i < total; i++)
        data[i] = (char)(i * 7 + i / 251);
    while (sent < total) {
        r = t->ops->send(t->ctx, data + sent, total - sent);
        if (r == -EAGAIN) {
            eagain++;
            client_drain(cl, cfd, got_buf, &got, total);
            continue;
        }
        ck_assert_int_gt(r, 0);
        sent += r;
    }
    client_drain(cl, cfd, got_buf, &got, total);
    ck_assert_uint_gt(eagain, 0);
    ck_assert_uint_eq(got, total);
    ck_assert_mem_eq(got_buf, data, total);
}

START_TEST(test_layer_round_trip)
{
    struct client cl;
    struct mv_sasl_session *s = layer_session(&cl);
    struct mv_transport t;
    int sv[2];
    char b;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    nonblocking(sv[0]);
    nonblocking(sv[1]);
    t = mv_sasl_session_transport(s, sv[0]);
    ck_assert_ptr_nonnull(t.ops);
    client_to_server(&cl, &t, sv[1]);
    server_to_client(&cl, &t, sv[1]);
    /* end of file from the client */
    close(sv[1]);
    ck_assert_int_eq(t.ops->recv(t.ctx, &b, 1), 0);
    t.ops->free(t.ctx);
    close(sv[0]);
    client_free(&cl);
    mv_sasl_session_free(s);
}
END_TEST

/* Bytes that were not sealed with the session's keys are refused. */
START_TEST(test_layer_garbage)
{
    static const char junk[] = "\0\0\0\x20" "0123456789abcdef0123456789abcdef";
    struct client cl;
    struct mv_sasl_session *s = layer_session(&cl);
    struct mv_transport t;
    int sv[2];
    char buf[64];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    nonblocking(sv[0]);
    t = mv_sasl_session_transport(s, sv[0]);
    ck_assert_int_eq(write(sv[1], junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
    ck_assert_int_eq(t.ops->recv(t.ctx, buf, sizeof(buf)), -EBADMSG);
    t.ops->free(t.ctx);
    close(sv[0]);
    close(sv[1]);
    client_free(&cl);
    mv_sasl_session_free(s);
}
END_TEST

/* ---- the handlers, with the server's side played here ---- */

/* What the accessors see: one client. */
static struct {
    bool is_sasl;
    struct mv_sasl_conn_info info;
    struct mv_sasl_session *slot;
    char *user;
    int layers_started;
    int failures;
} fake;

bool mv_client_auth_is_sasl(const struct mv_client *c) { return fake.is_sasl; }
struct mv_sasl_session **mv_client_sasl_slot(struct mv_client *c) { return &fake.slot; }

int mv_client_sasl_info(struct mv_client *c, struct mv_sasl_conn_info *info)
{
    *info = fake.info;
    return 0;
}

int mv_client_set_sasl_user(struct mv_client *c, const char *user)
{
    ck_assert_ptr_null(fake.user);      /* once per connection */
    fake.user = strdup(user);
    return fake.user ? 0 : -ENOMEM;
}

void mv_client_start_sasl_layer(struct mv_client *c) { fake.layers_started++; }
void mv_client_sasl_failed(struct mv_client *c) { fake.failures++; }

/* dispatch.c's, for the handlers alone */
int mv_call_error(struct mv_call *call, int code, int domain, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    ck_assert_int_ge(vasprintf(&msg, fmt, ap), 0);
    va_end(ap);
    return mv_err_set(&call->err, code, domain, "%s", msg);
}

static void fake_reset(bool is_sasl, const struct mv_sasl_conn_info *info)
{
    mv_sasl_session_free(fake.slot);
    free(fake.user);
    memset(&fake, 0, sizeof(fake));
    fake.is_sasl = is_sasl;
    fake.info = *info;
}

static int client_dummy;

static struct mv_call new_call(void)
{
    return (struct mv_call){ .client = (struct mv_client *)&client_dummy };
}

/* INIT, START, STEPs as remote_driver.c sends them (nil for NULL data).
 * 0 when the server said complete, or the failing handler's result with
 * *ERR moved out. */
static int handler_exchange(struct client *cl, const char *mech_wanted, struct mv_err *err)
{
    struct mv_call call = new_call();
    mv_auth_sasl_init_ret iret = { 0 };
    mv_auth_sasl_start_args sa = { 0 };
    mv_auth_sasl_start_ret sr = { 0 };
    const char *cout = NULL, *mech = NULL;
    unsigned coutlen = 0;
    int r, cr, complete, nil;
    u_int len;
    char *val;

    r = mv_conn_auth_sasl_init(&call, NULL, &iret);
    if (r < 0)
        goto out;
    ck_assert_ptr_nonnull(strstr(iret.mechlist, mech_wanted));
    free(iret.mechlist);
    cr = sasl_client_start(cl->conn, mech_wanted, NULL, &cout, &coutlen, &mech);
    ck_assert(cr == SASL_OK || cr == SASL_CONTINUE);
    sa.mech = (char *)mech;
    sa.nil = cout == NULL;
    sa.data.data_val = (char *)cout;
    sa.data.data_len = coutlen;
    r = mv_conn_auth_sasl_start(&call, &sa, &sr);
    complete = sr.complete, nil = sr.nil, len = sr.data.data_len, val = sr.data.data_val;
    while (r == 0 && !complete) {
        mv_auth_sasl_step_args ta = { 0 };
        mv_auth_sasl_step_ret tr = { 0 };

        ck_assert(nil == (val == NULL));
        cr = sasl_client_step(cl->conn, nil ? NULL : val, len, NULL, &cout, &coutlen);
        ck_assert_msg(cr == SASL_OK || cr == SASL_CONTINUE, "client step: %s", sasl_errdetail(cl->conn));
        free(val);
        ta.nil = cout == NULL;
        ta.data.data_val = (char *)cout;
        ta.data.data_len = coutlen;
        r = mv_conn_auth_sasl_step(&call, &ta, &tr);
        complete = tr.complete, nil = tr.nil, len = tr.data.data_len, val = tr.data.data_val;
    }
    if (r == 0 && !nil)
        ck_assert_int_eq(sasl_client_step(cl->conn, val, len, NULL, &cout, &coutlen), SASL_OK);
    if (r == 0)
        free(val);
out:
    mv_err_move(err, &call.err);
    return r;
}

START_TEST(test_handlers_not_sasl)
{
    struct mv_call call = new_call();
    mv_auth_sasl_init_ret iret = { 0 };
    mv_auth_sasl_start_args sa = { .mech = "SCRAM-SHA-256", .nil = 1 };
    mv_auth_sasl_start_ret sr = { 0 };

    fake_reset(false, &tls_info);
    ck_assert_int_lt(mv_conn_auth_sasl_init(&call, NULL, &iret), 0);
    ck_assert_int_eq(call.err.code, 45);
    ck_assert_int_eq(call.err.domain, 7);
    ck_assert_str_eq(call.err.message, "authentication failed: SASL is not enabled on this socket");
    ck_assert_ptr_null(fake.slot);
    mv_err_clear(&call.err);
    ck_assert_int_lt(mv_conn_auth_sasl_start(&call, &sa, &sr), 0);
    ck_assert_str_eq(call.err.message, "authentication failed: SASL is not enabled on this socket");
    mv_err_clear(&call.err);

    /* START before INIT on a SASL socket */
    fake_reset(true, &tls_info);
    ck_assert_int_lt(mv_conn_auth_sasl_start(&call, &sa, &sr), 0);
    ck_assert_int_eq(call.err.code, 45);
    ck_assert_int_eq(call.err.domain, 7);
    mv_err_clear(&call.err);
    fake_reset(false, &tls_info);
}
END_TEST

START_TEST(test_handlers_scram)
{
    struct mv_err err = { 0 };
    struct mv_call call = new_call();
    mv_auth_sasl_init_ret iret = { 0 };
    struct client cl;

    fake_reset(true, &tls_info);
    client_new(&cl, USER, PASSWORD, 0, 0);
    ck_assert_int_eq(handler_exchange(&cl, "SCRAM-SHA-256", &err), 0);
    ck_assert_str_eq(fake.user, USER);
    ck_assert_int_eq(fake.layers_started, 0);       /* over TLS: no layer */
    ck_assert_ptr_nonnull(fake.slot);
    /* the session stays; a second INIT is refused */
    ck_assert_int_lt(mv_conn_auth_sasl_init(&call, NULL, &iret), 0);
    ck_assert_int_eq(call.err.code, 45);
    mv_err_clear(&call.err);
    client_free(&cl);
    fake_reset(false, &tls_info);
}
END_TEST

START_TEST(test_handlers_wrong_password_then_retry)
{
    struct mv_err err = { 0 };
    struct client cl;

    fake_reset(true, &tls_info);
    client_new(&cl, USER, "wrong", 0, 0);
    assert_auth_failed(handler_exchange(&cl, "SCRAM-SHA-256", &err), &err);
    ck_assert_str_eq(err.message, "authentication failed: authentication failed");
    ck_assert_ptr_null(fake.user);
    ck_assert_ptr_null(fake.slot);      /* discarded: INIT may come again */
    ck_assert_int_eq(fake.failures, 1); /* counted towards closing the connection */
    mv_err_clear(&err);
    client_free(&cl);

    client_new(&cl, USER, PASSWORD, 0, 0);
    ck_assert_int_eq(handler_exchange(&cl, "SCRAM-SHA-256", &err), 0);
    ck_assert_str_eq(fake.user, USER);
    client_free(&cl);
    fake_reset(false, &tls_info);
}
END_TEST

START_TEST(test_handlers_allowlist)
{
    char *deny[] = { "admin", NULL };
    struct mv_err err = { 0 };
    struct client cl;

    mv_sasl_allowed_users = deny;
    fake_reset(true, &tls_info);
    client_new(&cl, USER, PASSWORD, 0, 0);
    assert_auth_failed(handler_exchange(&cl, "SCRAM-SHA-256", &err), &err);
    ck_assert_ptr_null(fake.user);
    ck_assert_ptr_null(fake.slot);
    mv_err_clear(&err);
    client_free(&cl);
    mv_sasl_allowed_users = NULL;
    fake_reset(false, &tls_info);
}
END_TEST

START_TEST(test_handlers_layer)
{
    struct mv_err err = { 0 };
    struct client cl;

    fake_reset(true, &tcp_info);
    client_new(&cl, USER, PASSWORD, 56, 100000);
    ck_assert_int_eq(handler_exchange(&cl, "DIGEST-MD5", &err), 0);
    ck_assert_str_eq(fake.user, USER);
    ck_assert_int_eq(fake.layers_started, 1);
    ck_assert(mv_sasl_session_has_layer(fake.slot));
    client_free(&cl);
    fake_reset(false, &tls_info);
}
END_TEST

/* ---- the wire form (wire-protocol.md 5.4 and 1.1) ---- */

/* START's reply: complete, nil, then DATA with every byte widened to 4
 * (libvirt's char array), as a libvirt client decodes it. */
START_TEST(test_wire_start_ret)
{
    static const unsigned char want[] = {
        0, 0, 0, 1,             /* complete */
        0, 0, 0, 0,             /* nil */
        0, 0, 0, 2,             /* data length */
        0, 0, 0, 'o', 0, 0, 0, 'k',
    };
    char ok[] = "ok";           /* writable: tirpc's xdr_char stores back even when encoding */
    mv_auth_sasl_start_ret ret = { .complete = 1, .data = { .data_len = 2, .data_val = ok } };
    unsigned char buf[64];
    XDR x;

    xdrmem_create(&x, (char *)buf, sizeof(buf), XDR_ENCODE);
    ck_assert(xdr_mv_auth_sasl_start_ret(&x, &ret));
    ck_assert_uint_eq(xdr_getpos(&x), sizeof(want));
    ck_assert_mem_eq(buf, want, sizeof(want));
    xdr_destroy(&x);
}
END_TEST

/* STEP's arguments bigger than 65536 bytes do not decode. */
START_TEST(test_wire_step_args_bound)
{
    const size_t n = 65537;
    _cleanup_free_ char *big = calloc(n, 1);
    _cleanup_free_ char *buf = malloc(n * 4 + 64);
    mv_auth_sasl_step_args a = { .data = { .data_len = n, .data_val = big } }, b = { 0 };
    XDR x;

    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(buf);
    /* encode the length by hand: the encoder refuses too */
    xdrmem_create(&x, buf, n * 4 + 64, XDR_ENCODE);
    ck_assert(!xdr_mv_auth_sasl_step_args(&x, &a));
    xdr_destroy(&x);
    memset(buf, 0, 8);
    buf[5] = 0x01;              /* length 65537 = 0x00010001 */
    buf[7] = 0x01;
    xdrmem_create(&x, buf, n * 4 + 64, XDR_DECODE);
    ck_assert(!xdr_mv_auth_sasl_step_args(&x, &b));
    xdr_destroy(&x);
    xdr_free((xdrproc_t)xdr_mv_auth_sasl_step_args, (char *)&b);
}
END_TEST

static Suite *sasl_suite(void)
{
    Suite *s = suite_create("rpc_sasl");
    TCase *tc = tcase_create("sasl");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scram_right_password);
    tcase_add_test(tc, test_scram_wrong_password);
    tcase_add_test(tc, test_unknown_user);
    tcase_add_test(tc, test_allowlist);
    tcase_add_test(tc, test_tcp_refuses_scram);
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_layer_round_trip);
    tcase_add_test(tc, test_layer_garbage);
    tcase_add_test(tc, test_handlers_not_sasl);
    tcase_add_test(tc, test_handlers_scram);
    tcase_add_test(tc, test_handlers_wrong_password_then_retry);
    tcase_add_test(tc, test_handlers_allowlist);
    tcase_add_test(tc, test_handlers_layer);
    tcase_add_test(tc, test_wire_start_ret);
    tcase_add_test(tc, test_wire_step_args_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sasl_suite());
    int failed;

    /* MV_TEST_LOG=1 shows why each refusal happened */
    if (getenv("MV_TEST_LOG"))
        mv_log_set_level(MV_LOG_DEBUG);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
