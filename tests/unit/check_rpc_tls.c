/*
 * rpc/tls.c against a real gnutls client over a socketpair: the PKI comes
 * from tests/data/tls/mkpki.sh (certtool), both ends are non-blocking and
 * driven in turn by one loop, so nothing waits on time.  Each bad client
 * must be refused with its reason; each bad server file must stop the
 * context with a message naming the file.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "tls.h"
#include "testutil.h"

#define GOOD_DN "CN=client1,O=modvirt test,L=London,ST=London,C=GB"
#define GOOD_DN_COMPAT "C=GB,ST=London,L=London,O=modvirt test,CN=client1"
/* turns of the loop that drives both ends; a handshake takes a handful */
#define DRIVE_MAX 1000

static char pki[64];

static char *pki_file(const char *name)
{
    char *p;

    ck_assert(asprintf(&p, "%s/%s", pki, name) > 0);
    return p;
}

struct server_files {
    char *ca, *cert, *key, *crl;
    char *const *allowed;
    const char *priority;
};

static struct mv_tls_config config_of(const struct server_files *f)
{
    return (struct mv_tls_config){ .ca_file = f->ca, .cert_file = f->cert, .key_file = f->key,
                                   .crl_file = f->crl, .allowed_dn = f->allowed, .priority = f->priority };
}

static struct server_files good_files(void)
{
    return (struct server_files){ .ca = pki_file("cacert.pem"), .cert = pki_file("servercert.pem"),
                                  .key = pki_file("serverkey.pem") };
}

static void files_free(struct server_files *f)
{
    free(f->ca);
    free(f->cert);
    free(f->key);
    free(f->crl);
}

static struct mv_tls_context *context_of(struct server_files *f)
{
    struct mv_tls_config cfg = config_of(f);
    struct mv_tls_context *ctx = NULL;
    char *msg = NULL;
    int r = mv_tls_context_new(&cfg, &ctx, &msg);

    ck_assert_msg(r == 0, "context refused (%d): %s", r, msg ? msg : "(no message)");
    ck_assert_ptr_null(msg);
    files_free(f);
    return ctx;
}

/* F must be refused with R and a message holding every NEEDLE (NULL-ended) */
static void expect_context_refused(struct server_files *f, int r, ...)
{
    struct mv_tls_config cfg = config_of(f);
    struct mv_tls_context *ctx = NULL;
    char *msg = NULL;
    const char *needle;
    va_list ap;
    int got = mv_tls_context_new(&cfg, &ctx, &msg);

    ck_assert_msg(got == r, "context_new gave %d, expected %d (%s)", got, r, msg ? msg : "(no message)");
    ck_assert_ptr_null(ctx);
    ck_assert_ptr_nonnull(msg);
    va_start(ap, r);
    while ((needle = va_arg(ap, const char *)))
        ck_assert_msg(strstr(msg, needle), "message '%s' lacks '%s'", msg, needle);
    va_end(ap);
    free(msg);
    files_free(f);
}

/* ---- a server session and a gnutls client on the two ends of a socketpair ---- */

struct pair {
    int fd[2];                  /* [0] server, [1] client */
    struct mv_tls_session *srv;
    gnutls_certificate_credentials_t cred;
    gnutls_session_t cli;
    int srv_r;                  /* mv_tls_session_handshake() */
    char *why;
    int cli_r;                  /* gnutls_handshake() */
};

/* The client's gnutls priority string; NULL: gnutls' default (TLS 1.3) */
static const char *client_priority;

/* PREFIX "client" is clientcert.pem + clientkey.pem; NULL: no certificate */
static void pair_open(struct pair *p, struct mv_tls_context *ctx, const char *prefix)
{
    char *ca = pki_file("cacert.pem");

    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->fd), 0);
    ck_assert_int_eq(mv_tls_session_new(ctx, p->fd[0], &p->srv), 0);
    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&p->cred), 0);
    ck_assert_int_eq(gnutls_certificate_set_x509_trust_file(p->cred, ca, GNUTLS_X509_FMT_PEM), 1);
    if (prefix) {
        char *cert, *key;
        ck_assert(asprintf(&cert, "%s/%scert.pem", pki, prefix) > 0);
        ck_assert(asprintf(&key, "%s/%skey.pem", pki, prefix) > 0);
        ck_assert_int_eq(gnutls_certificate_set_x509_key_file(p->cred, cert, key, GNUTLS_X509_FMT_PEM), 0);
        free(cert);
        free(key);
    }
    ck_assert_int_eq(gnutls_init(&p->cli, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
    if (client_priority)
        ck_assert_int_eq(gnutls_priority_set_direct(p->cli, client_priority, NULL), 0);
    else
        ck_assert_int_eq(gnutls_set_default_priority(p->cli), 0);
    ck_assert_int_eq(gnutls_credentials_set(p->cli, GNUTLS_CRD_CERTIFICATE, p->cred), 0);
    /* what libvirt's client checks of the server: chain and host name */
    gnutls_session_set_verify_cert(p->cli, "127.0.0.1", 0);
    gnutls_transport_set_int(p->cli, p->fd[1]);
    p->cli_r = GNUTLS_E_AGAIN;
    free(ca);
}

static bool again(int r)
{
    return r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED;
}

/* Runs both handshakes until the server has decided (and the client has
 * finished, when the server accepted).  Every turn makes progress on one
 * side or the other, so the bound only catches a hang. */
static void pair_handshake(struct pair *p)
{
    for (int i = 0; i < DRIVE_MAX; i++) {
        if (p->srv_r == 0)
            p->srv_r = mv_tls_session_handshake(p->srv, &p->why);
        if (again(p->cli_r))
            p->cli_r = gnutls_handshake(p->cli);
        if (p->srv_r < 0 || (p->srv_r == 1 && !again(p->cli_r)))
            return;
    }
    ck_abort_msg("handshake made no progress (server %d, client %d)", p->srv_r, p->cli_r);
}

static void pair_close(struct pair *p)
{
    mv_tls_session_free(p->srv);
    gnutls_deinit(p->cli);
    gnutls_certificate_free_credentials(p->cred);
    if (p->fd[0] >= 0)
        close(p->fd[0]);
    close(p->fd[1]);
    free(p->why);
}

/* The client PREFIX is refused with a reason holding NEEDLE, and its own
 * side learns it from an alert rather than a bare close. */
static void expect_client_refused(struct mv_tls_context *ctx, const char *prefix, const char *needle)
{
    struct pair p;
    char buf[8];
    int r = GNUTLS_E_AGAIN;

    pair_open(&p, ctx, prefix);
    pair_handshake(&p);
    ck_assert_msg(p.srv_r < 0, "client '%s' was accepted", prefix ? prefix : "(none)");
    ck_assert_ptr_nonnull(p.why);
    ck_assert_msg(strstr(p.why, needle), "reason '%s' lacks '%s'", p.why, needle);
    ck_assert_ptr_null(mv_tls_session_dname(p.srv));
    if (p.cli_r == 0) {
        for (int i = 0; i < DRIVE_MAX && again(r); i++)
            r = gnutls_record_recv(p.cli, buf, sizeof(buf));
        ck_assert_msg(r == GNUTLS_E_FATAL_ALERT_RECEIVED, "client read %d (%s), not an alert", r,
                      gnutls_strerror(r));
    }
    pair_close(&p);
}

/* ---- the good client ---- */

START_TEST(test_good_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct pair p;
    char c;

    pair_open(&p, ctx, "client");
    pair_handshake(&p);
    ck_assert_msg(p.srv_r == 1, "refused: %s", p.why ? p.why : "(no reason)");
    ck_assert_ptr_null(p.why);
    ck_assert_msg(p.cli_r == 0, "client handshake: %s", gnutls_strerror(p.cli_r));
    ck_assert_str_eq(mv_tls_session_dname(p.srv), GOOD_DN);
    ck_assert_str_eq(mv_tls_session_dname_compat(p.srv), GOOD_DN_COMPAT);
    ck_assert_uint_ge(mv_tls_session_ssf(p.srv), 128);
    /* done stays done */
    ck_assert_int_eq(mv_tls_session_handshake(p.srv, &p.why), 1);

    /* nothing (no TLS 1.3 session ticket) is waiting for the client: the
     * confirmation byte will be the first record libvirt's client reads */
    ck_assert_int_eq(recv(p.fd[1], &c, 1, MSG_PEEK | MSG_DONTWAIT), -1);
    ck_assert_int_eq(errno, EAGAIN);
    mv_tls_context_unref(ctx);
    pair_close(&p);
}
END_TEST

/* The transport after the handshake: the confirmation byte, bulk both
 * ways through a full socket, pending bytes, and the end of the stream. */
START_TEST(test_transport)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct pair p;
    struct mv_transport t;
    enum { BULK = 1 << 20 };
    unsigned char *out = malloc(BULK), *in = malloc(BULK);
    unsigned char one = 1, b[4];
    size_t sent = 0, got = 0;
    ssize_t n;

    for (size_t i = 0; i < BULK; i++)
        out[i] = (unsigned char)(i * 31 + (i >> 11));
    pair_open(&p, ctx, "client");
    pair_handshake(&p);
    ck_assert_msg(p.srv_r == 1, "refused: %s", p.why ? p.why : "(no reason)");
    t = mv_tls_session_transport(p.srv);
    ck_assert_ptr_nonnull(t.ops);
    ck_assert_ptr_eq(t.ctx, p.srv);

    ck_assert_int_eq(t.ops->send(t.ctx, &one, 1), 1);
    for (int i = 0; i < DRIVE_MAX && again(n = gnutls_record_recv(p.cli, b, sizeof(b))); i++)
        ;
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(b[0], 1);

    /* server to client, more than the socket holds: -EAGAIN, then the
     * same buffer and length again once the client has read */
    for (int i = 0; got < BULK; i++) {
        ck_assert_int_lt(i, 100000);
        if (sent < BULK) {
            size_t len = BULK - sent;
            n = t.ops->send(t.ctx, out + sent, len);
            if (n == -EAGAIN) {
                /* the retry must be the same call: keep LEN */
                n = gnutls_record_recv(p.cli, in + got, BULK - got);
                if (n > 0)
                    got += n;
                else
                    ck_assert_msg(again(n), "client recv: %s", gnutls_strerror(n));
                continue;
            }
            ck_assert_int_gt(n, 0);
            sent += n;
        }
        n = gnutls_record_recv(p.cli, in + got, BULK - got);
        if (n > 0)
            got += n;
        else
            ck_assert_msg(again(n), "client recv: %s", gnutls_strerror(n));
    }
    ck_assert_int_eq(memcmp(in, out, BULK), 0);

    /* client to server; a record read in part leaves the rest pending */
    ck_assert_int_eq(gnutls_record_send(p.cli, "hello", 5), 5);
    ck_assert_int_eq(t.ops->recv(t.ctx, b, 2), 2);
    ck_assert_int_eq(memcmp(b, "he", 2), 0);
    ck_assert_uint_eq(t.ops->pending(t.ctx), 3);
    ck_assert_int_eq(t.ops->recv(t.ctx, b, 3), 3);
    ck_assert_int_eq(memcmp(b, "llo", 3), 0);
    ck_assert_uint_eq(t.ops->pending(t.ctx), 0);
    ck_assert_int_eq(t.ops->recv(t.ctx, b, sizeof(b)), -EAGAIN);

    /* a clean close_notify, then a cut without one: both end the stream */
    ck_assert_int_eq(gnutls_bye(p.cli, GNUTLS_SHUT_WR), 0);
    ck_assert_int_eq(t.ops->recv(t.ctx, b, sizeof(b)), 0);

    t.ops->free(t.ctx);
    p.srv = NULL;
    mv_tls_context_unref(ctx);
    pair_close(&p);
    free(in);
    free(out);
}
END_TEST

START_TEST(test_cut_without_close_notify)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct pair p;
    struct mv_transport t;
    char b[4];

    pair_open(&p, ctx, "client");
    pair_handshake(&p);
    ck_assert_int_eq(p.srv_r, 1);
    t = mv_tls_session_transport(p.srv);
    shutdown(p.fd[1], SHUT_WR);
    ck_assert_int_eq(t.ops->recv(t.ctx, b, sizeof(b)), 0);
    mv_tls_context_unref(ctx);
    pair_close(&p);
}
END_TEST

/* A reload drops the daemon's reference; the session keeps the context
 * it started with (ASan catches it if not). */
START_TEST(test_session_outlives_context)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct pair p;

    pair_open(&p, ctx, "client");
    mv_tls_context_unref(ctx);
    pair_handshake(&p);
    ck_assert_msg(p.srv_r == 1, "refused: %s", p.why ? p.why : "(no reason)");
    pair_close(&p);
}
END_TEST

/* ---- refused clients ---- */

START_TEST(test_rogue_ca_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);

    expect_client_refused(ctx, "rogue-client", "client certificate '" GOOD_DN "' is not signed by a trusted CA "
                          "(issuer 'CN=rogue CA,O=modvirt test')");
    mv_tls_context_unref(ctx);
}
END_TEST

START_TEST(test_expired_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);

    expect_client_refused(ctx, "expired-client", "client certificate '" GOOD_DN "' has expired "
                          "(not after 2002-01-01 00:00:00 UTC)");
    mv_tls_context_unref(ctx);
}
END_TEST

START_TEST(test_revoked_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx;
    struct pair p;

    f.crl = pki_file("cacrl.pem");
    ctx = context_of(&f);
    expect_client_refused(ctx, "revoked-client", "client certificate '" GOOD_DN "' has been revoked");
    /* the CRL names that one only */
    pair_open(&p, ctx, "client");
    pair_handshake(&p);
    ck_assert_msg(p.srv_r == 1, "refused: %s", p.why ? p.why : "(no reason)");
    pair_close(&p);
    mv_tls_context_unref(ctx);
}
END_TEST

/* the server's own certificate names TLS server use only */
START_TEST(test_wrong_purpose_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);

    expect_client_refused(ctx, "server", "client certificate 'CN=127.0.0.1,O=modvirt test' does not allow TLS "
                          "client use (its key purposes lack TLS WWW client)");
    mv_tls_context_unref(ctx);
}
END_TEST

START_TEST(test_no_client_cert)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);

    expect_client_refused(ctx, NULL, "client sent no certificate");
    mv_tls_context_unref(ctx);
}
END_TEST

/* libvirt deployments write the compat order; RFC 4514 patterns work too */
START_TEST(test_dn_allowlist)
{
    char *compat[] = { "C=GB,ST=London,L=London,O=modvirt test,CN=client1", NULL };
    char *rfc[] = { "CN=nobody,*", "CN=client?,O=modvirt test,*", NULL };
    char *none[] = { NULL };
    char *const *lists[] = { compat, rfc };
    struct pair p;

    for (unsigned i = 0; i < 2; i++) {
        struct server_files f = good_files();
        struct mv_tls_context *ctx;

        f.allowed = lists[i];
        ctx = context_of(&f);
        pair_open(&p, ctx, "client");
        pair_handshake(&p);
        ck_assert_msg(p.srv_r == 1, "list %u refused: %s", i, p.why ? p.why : "(no reason)");
        pair_close(&p);
        expect_client_refused(ctx, "other-client", "client certificate DN 'CN=intruder,O=modvirt test,L=London,"
                              "ST=London,C=GB' (compat order 'C=GB,ST=London,L=London,O=modvirt test,CN=intruder') "
                              "is not in tls_allowed_dn_list");
        mv_tls_context_unref(ctx);
    }

    /* an empty list lets nobody in */
    {
        struct server_files f = good_files();
        struct mv_tls_context *ctx;

        f.allowed = none;
        ctx = context_of(&f);
        expect_client_refused(ctx, "client", "is not in tls_allowed_dn_list");
        mv_tls_context_unref(ctx);
    }
}
END_TEST

START_TEST(test_garbage)
{
    static const char http[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct mv_tls_session *s;
    int fd[2], r = 0;
    char *why = NULL;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
    ck_assert_int_eq(mv_tls_session_new(ctx, fd[0], &s), 0);
    ck_assert_int_eq(mv_tls_session_handshake(s, &why), 0);
    ck_assert(!mv_tls_session_wants_write(s));
    ck_assert_int_eq(write(fd[1], http, sizeof(http) - 1), (ssize_t)sizeof(http) - 1);
    for (int i = 0; i < DRIVE_MAX && r == 0; i++)
        r = mv_tls_session_handshake(s, &why);
    ck_assert_int_lt(r, 0);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, "not a TLS handshake (gnutls: "), "reason '%s'", why);
    free(why);
    mv_tls_session_free(s);
    close(fd[0]);
    close(fd[1]);

    /* a client that connects and leaves */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
    ck_assert_int_eq(mv_tls_session_new(ctx, fd[0], &s), 0);
    close(fd[1]);
    r = mv_tls_session_handshake(s, &why);
    ck_assert_int_lt(r, 0);
    ck_assert_msg(why && strstr(why, "closed the connection during the TLS handshake"), "reason '%s'",
                  why ? why : "(none)");
    free(why);
    mv_tls_session_free(s);
    close(fd[0]);
    mv_tls_context_unref(ctx);
}
END_TEST

/* A TLS 1.2 client (the server verifies at a different point of the
 * exchange there): accepted, and refused for the same reasons. */
START_TEST(test_tls12_client)
{
    struct server_files f = good_files();
    struct mv_tls_context *ctx = context_of(&f);
    struct pair p;

    client_priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
    pair_open(&p, ctx, "client");
    pair_handshake(&p);
    ck_assert_msg(p.srv_r == 1, "refused: %s", p.why ? p.why : "(no reason)");
    ck_assert_int_eq(gnutls_protocol_get_version(p.cli), GNUTLS_TLS1_2);
    ck_assert_str_eq(mv_tls_session_dname(p.srv), GOOD_DN);
    pair_close(&p);
    expect_client_refused(ctx, NULL, "client sent no certificate");
    expect_client_refused(ctx, "rogue-client", "is not signed by a trusted CA");
    expect_client_refused(ctx, "expired-client", "has expired");
    mv_tls_context_unref(ctx);

    /* a real TLS client the priority string shuts out is no garbage */
    f = good_files();
    f.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
    ctx = context_of(&f);
    expect_client_refused(ctx, "client", "TLS handshake failed: ");
    mv_tls_context_unref(ctx);
}
END_TEST

/* ---- refused server files ---- */

/* A copy of the PKI file NAME in a directory of the test's own, MODE */
static char *copy_with_mode(const char *dir, const char *name, mode_t mode)
{
    char *src = pki_file(name), *dst, cmd[512];

    ck_assert(asprintf(&dst, "%s/%s", dir, name) > 0);
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(chmod(dst, mode), 0);
    free(src);
    return dst;
}

START_TEST(test_loose_permissions)
{
    char dir[64];
    struct server_files f;

    mv_test_mkdtemp(dir, sizeof(dir), "check_rpc_tls");
    f = good_files();
    free(f.key);
    f.key = copy_with_mode(dir, "serverkey.pem", 0644);
    expect_context_refused(&f, -EACCES, "key file '", "/serverkey.pem' is readable by group or others "
                           "(mode 0644); chmod 0600 it", NULL);

    f = good_files();
    free(f.key);
    f.key = copy_with_mode(dir, "serverkey.pem", 0640);
    expect_context_refused(&f, -EACCES, "(mode 0640)", NULL);

    f = good_files();
    free(f.cert);
    f.cert = copy_with_mode(dir, "servercert.pem", 0664);
    expect_context_refused(&f, -EACCES, "certificate file '", "/servercert.pem' is writable by group or "
                           "others (mode 0664)", NULL);

    f = good_files();
    free(f.ca);
    f.ca = copy_with_mode(dir, "cacert.pem", 0666);
    expect_context_refused(&f, -EACCES, "CA file '", "is writable by group or others (mode 0666)", NULL);
    mv_test_rmtree(dir);
}
END_TEST

START_TEST(test_bad_server_files)
{
    struct server_files f;

    /* a key that is not the certificate's */
    f = good_files();
    free(f.key);
    f.key = pki_file("clientkey.pem");
    expect_context_refused(&f, -EINVAL, "/clientkey.pem' is not the key of certificate file '",
                           "/servercert.pem'", NULL);

    f = good_files();
    free(f.cert);
    f.cert = pki_file("expired-servercert.pem");
    expect_context_refused(&f, -EINVAL, "server certificate 'CN=127.0.0.1,O=modvirt test' in '",
                           "/expired-servercert.pem' has expired (not after 2002-01-01 00:00:00 UTC)", NULL);

    /* signed by another CA than the one configured */
    f = good_files();
    free(f.ca);
    f.ca = pki_file("rogue-cacert.pem");
    expect_context_refused(&f, -EINVAL, "/servercert.pem' is not signed by a CA in CA file '",
                           "/rogue-cacert.pem'", NULL);

    /* a client certificate is no server certificate */
    f = good_files();
    free(f.cert);
    free(f.key);
    f.cert = pki_file("clientcert.pem");
    f.key = pki_file("clientkey.pem");
    expect_context_refused(&f, -EINVAL, "does not allow TLS server use", NULL);

    f = good_files();
    free(f.ca);
    f.ca = pki_file("no-such-cacert.pem");
    expect_context_refused(&f, -ENOENT, "CA file '", "/no-such-cacert.pem' does not exist", NULL);

    f = good_files();
    f.crl = pki_file("no-such-cacrl.pem");
    expect_context_refused(&f, -ENOENT, "CRL file '", "/no-such-cacrl.pem' does not exist", NULL);

    /* a key file that holds a certificate */
    f = good_files();
    free(f.ca);
    f.ca = pki_file("serverkey.pem");
    expect_context_refused(&f, -EINVAL, "CA file '", "/serverkey.pem' holds no certificate", NULL);

    f = good_files();
    f.priority = "NORMAL:+NOPE";
    expect_context_refused(&f, -EINVAL, "tls_priority 'NORMAL:+NOPE' is not understood at position 8 ('+NOPE')",
                           NULL);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("rpc_tls");
    TCase *tc = tcase_create("tls");

    tcase_add_test(tc, test_good_client);
    tcase_add_test(tc, test_transport);
    tcase_add_test(tc, test_cut_without_close_notify);
    tcase_add_test(tc, test_session_outlives_context);
    tcase_add_test(tc, test_rogue_ca_client);
    tcase_add_test(tc, test_expired_client);
    tcase_add_test(tc, test_revoked_client);
    tcase_add_test(tc, test_wrong_purpose_client);
    tcase_add_test(tc, test_no_client_cert);
    tcase_add_test(tc, test_dn_allowlist);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_tls12_client);
    tcase_add_test(tc, test_loose_permissions);
    tcase_add_test(tc, test_bad_server_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char cmd[512];
    SRunner *sr;
    int n;

    /* one PKI for every test: certtool is the slow part */
    if (snprintf(pki, sizeof(pki), "/tmp/check_rpc_tls.XXXXXX") >= (int)sizeof(pki) || !mkdtemp(pki)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/data/tls/mkpki.sh' '%s'", top ? top : ".", pki);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s failed\n", cmd);
        mv_test_rmtree(pki);
        return 1;
    }
    sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_rmtree(pki);
    return n ? 1 : 0;
}
