/*
 * TLS for remote connections, server side (gnutls, x509).  The context is
 * loaded and checked once per (re)load: a file that would only fail at the
 * first client's handshake, or that leaks the key, stops the daemon with a
 * message naming it.  Sessions verify the client's certificate themselves
 * after the handshake so the refusal can say which check failed and whose
 * certificate it was; libvirt's server does the same checks (virnettlscontext.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cleanup.h"
#include "tls.h"

/* PEM files this large are not certificates: refuse rather than read them */
#define MV_TLS_FILE_MAX (4u << 20)
/* non-fatal gnutls results (warning alerts) retried in one call before
 * waiting for the socket again */
#define MV_TLS_RETRY_MAX 16

struct mv_tls_context {
    atomic_uint refs;
    gnutls_certificate_credentials_t creds;
    gnutls_priority_t prio;
    char **allowed_dn;          /* NULL: any verified client */
};

struct mv_tls_session {
    struct mv_tls_context *ctx;
    gnutls_session_t gs;
    char *dname;                /* RFC 4514 */
    char *dname_compat;         /* gnutls' compat order, as libvirt's server reports it */
    bool done;
};

static int fail(char **msg, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char **msg, int r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(msg, fmt, ap) < 0)
        *msg = NULL;
    va_end(ap);
    return r;
}

static void datum_clear(gnutls_datum_t *d)
{
    gnutls_free(d->data);
    d->data = NULL;
    d->size = 0;
}

static void free_file_datum(gnutls_datum_t *d)
{
    free(d->data);
    d->data = NULL;
}

/* ---- the context: files ---- */

/* Reads WHAT's file PATH whole, from the descriptor whose mode was checked
 * (no window for a swap between check and read).  KEY: no group/other
 * access at all; otherwise no group/other write, since whoever can replace
 * the certificate or the CA decides who gets in. */
static int read_pem(const char *what, const char *path, bool key, gnutls_datum_t *out, char **msg)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    unsigned char *buf;
    size_t got = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return fail(msg, -ENOENT, "%s '%s' does not exist", what, path);
        return fail(msg, -e, "%s '%s' cannot be opened: %s", what, path, strerror(e));
    }
    if (fstat(fd, &st) < 0)
        return fail(msg, -errno, "%s '%s': %s", what, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(msg, -EINVAL, "%s '%s' is not a regular file", what, path);
    if (key && (st.st_mode & 077))
        return fail(msg, -EACCES, "%s '%s' is readable by group or others (mode %04o); chmod 0600 it", what,
                    path, (unsigned)(st.st_mode & 07777));
    if (!key && (st.st_mode & 022))
        return fail(msg, -EACCES, "%s '%s' is writable by group or others (mode %04o); chmod 0644 it", what,
                    path, (unsigned)(st.st_mode & 07777));
    if ((unsigned long long)st.st_size > MV_TLS_FILE_MAX)
        return fail(msg, -EFBIG, "%s '%s' is larger than %u MiB", what, path, MV_TLS_FILE_MAX >> 20);
    buf = malloc(st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            free(buf);
            return fail(msg, -e, "%s '%s' cannot be read: %s", what, path, strerror(e));
        }
        got += n;
    }
    buf[got] = 0;
    out->data = buf;
    out->size = got;
    return 0;
}

static char *crt_dn(gnutls_x509_crt_t crt, unsigned flags)
{
    gnutls_datum_t d = { 0 };
    char *s;

    if (gnutls_x509_crt_get_dn3(crt, &d, flags) < 0)
        return strdup("(no subject)");
    s = strndup((const char *)d.data, d.size);
    datum_clear(&d);
    return s;
}

static char *crt_issuer(gnutls_x509_crt_t crt)
{
    gnutls_datum_t d = { 0 };
    char *s;

    if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) < 0)
        return strdup("(no issuer)");
    s = strndup((const char *)d.data, d.size);
    datum_clear(&d);
    return s;
}

static void fmt_time(time_t t, char buf[32])
{
    struct tm tm;

    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, 32, "(unknown)");
}

/* Why a verification STATUS (gnutls_certificate_status_t bits) failed, as
 * the rest of a sentence that starts with the certificate's name; ROLE is
 * "client" or "server" (the TLS purpose the certificate must allow). */
static char *status_reason(unsigned status, gnutls_x509_crt_t crt, const char *ca_name, const char *role)
{
    char t[32];
    char *s = NULL;
    int r;

    if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
        _cleanup_free_ char *issuer = crt_issuer(crt);
        r = asprintf(&s, "is not signed by %s (issuer '%s')", ca_name, issuer ? issuer : "?");
    } else if (status & GNUTLS_CERT_REVOKED) {
        r = asprintf(&s, "has been revoked (listed in the CRL)");
    } else if (status & GNUTLS_CERT_EXPIRED) {
        fmt_time(gnutls_x509_crt_get_expiration_time(crt), t);
        r = asprintf(&s, "has expired (not after %s)", t);
    } else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
        fmt_time(gnutls_x509_crt_get_activation_time(crt), t);
        r = asprintf(&s, "is not yet valid (not before %s)", t);
    } else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
        r = asprintf(&s, "is signed with an insecure algorithm");
    } else if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
        r = asprintf(&s, "does not allow TLS %s use (its key purposes lack TLS WWW %s)", role, role);
    } else if (status & GNUTLS_CERT_SIGNATURE_FAILURE) {
        r = asprintf(&s, "has a signature that does not verify");
    } else {
        gnutls_datum_t d = { 0 };
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &d, 0) == 0) {
            r = asprintf(&s, "failed verification: %.*s", (int)d.size, d.data);
            datum_clear(&d);
        } else {
            r = asprintf(&s, "failed verification (status 0x%x)", status);
        }
    }
    return r < 0 ? NULL : s;
}

/* The server certificate, checked now rather than at a client's first
 * handshake: signed by the CA, valid today, usable by a TLS server (the
 * libvirt client checks the purpose and would refuse with less to go on). */
static int check_server_cert(const struct mv_tls_config *cfg, const gnutls_datum_t *ca, const gnutls_datum_t *crl,
                             const gnutls_datum_t *cert, char **msg)
{
    gnutls_x509_trust_list_t tl = NULL;
    gnutls_x509_crt_t *crts = NULL;
    unsigned ncrts = 0, status = 0, i;
    gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
                                      .data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER };
    int r;

    r = gnutls_x509_crt_list_import2(&crts, &ncrts, cert, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0 || ncrts == 0)
        return fail(msg, -EINVAL, "certificate file '%s' holds no usable certificate: %s", cfg->cert_file,
                    r < 0 ? gnutls_strerror(r) : "none found");
    r = gnutls_x509_trust_list_init(&tl, 0);
    if (r >= 0)
        r = gnutls_x509_trust_list_add_trust_mem(tl, ca, crl, GNUTLS_X509_FMT_PEM, 0, 0);
    if (r >= 0)
        r = gnutls_x509_trust_list_verify_crt2(tl, crts, ncrts, &purpose, 1, 0, &status, NULL);
    if (r < 0) {
        r = fail(msg, -EINVAL, "certificate file '%s' cannot be verified against CA file '%s': %s",
                 cfg->cert_file, cfg->ca_file, gnutls_strerror(r));
    } else if (status) {
        _cleanup_free_ char *dn = crt_dn(crts[0], 0);
        _cleanup_free_ char *ca_name = NULL;
        _cleanup_free_ char *why = NULL;
        if (asprintf(&ca_name, "a CA in CA file '%s'", cfg->ca_file) < 0)
            ca_name = NULL;
        why = status_reason(status, crts[0], ca_name ? ca_name : "the CA", "server");
        r = fail(msg, -EINVAL, "server certificate '%s' in '%s' %s", dn ? dn : "?", cfg->cert_file,
                 why ? why : "failed verification");
    } else {
        r = 0;
    }
    if (tl)
        gnutls_x509_trust_list_deinit(tl, 1);
    for (i = 0; i < ncrts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    return r;
}

/* The server's certificate chain and key into CREDS: each file's own
 * problems named on their own, then the pair (a key that is not the
 * certificate's is the common mistake). */
static int load_keypair(const struct mv_tls_config *cfg, gnutls_certificate_credentials_t creds,
                        const gnutls_datum_t *cert, const gnutls_datum_t *key, char **msg)
{
    gnutls_x509_privkey_t pk = NULL;
    int r;

    r = gnutls_x509_privkey_init(&pk);
    if (r >= 0)
        r = gnutls_x509_privkey_import2(pk, key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
    if (r < 0) {
        if (pk)
            gnutls_x509_privkey_deinit(pk);
        return fail(msg, -EINVAL, "key file '%s' holds no usable private key (an unencrypted PEM key is "
                    "needed): %s", cfg->key_file, gnutls_strerror(r));
    }
    gnutls_x509_privkey_deinit(pk);
    r = gnutls_certificate_set_x509_key_mem2(creds, cert, key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return fail(msg, -EINVAL, "key file '%s' is not the key of certificate file '%s'", cfg->key_file,
                    cfg->cert_file);
    if (r < 0)
        return fail(msg, -EINVAL, "certificate file '%s' with key file '%s' cannot be used: %s", cfg->cert_file,
                    cfg->key_file, gnutls_strerror(r));
    return 0;
}

static int load_trust(const struct mv_tls_config *cfg, gnutls_certificate_credentials_t creds,
                      const gnutls_datum_t *ca, const gnutls_datum_t *crl, char **msg)
{
    int r = gnutls_certificate_set_x509_trust_mem(creds, ca, GNUTLS_X509_FMT_PEM);

    if (r < 0)
        return fail(msg, -EINVAL, "CA file '%s' cannot be used: %s", cfg->ca_file, gnutls_strerror(r));
    if (r == 0)
        return fail(msg, -EINVAL, "CA file '%s' holds no certificate", cfg->ca_file);
    if (!crl->data)
        return 0;
    r = gnutls_certificate_set_x509_crl_mem(creds, crl, GNUTLS_X509_FMT_PEM);
    if (r < 0)
        return fail(msg, -EINVAL, "CRL file '%s' cannot be used: %s", cfg->crl_file, gnutls_strerror(r));
    return 0;
}

static int load_priority(const char *prio, gnutls_priority_t *out, char **msg)
{
    const char *err = NULL;
    int r = gnutls_priority_init(out, prio, &err);

    if (r == GNUTLS_E_INVALID_REQUEST && err)
        return fail(msg, -EINVAL, "tls_priority '%s' is not understood at position %ld ('%s')", prio,
                    (long)(err - prio) + 1, err);
    if (r < 0)
        return fail(msg, -EINVAL, "tls_priority '%s' cannot be used: %s", prio, gnutls_strerror(r));
    return 0;
}

static char **strv_copy(char *const *v)
{
    size_t n = 0, i;
    char **c;

    while (v[n])
        n++;
    c = calloc(n + 1, sizeof(*c));
    if (!c)
        return NULL;
    for (i = 0; i < n; i++)
        if (!(c[i] = strdup(v[i]))) {
            mv_strv_free(c);
            return NULL;
        }
    return c;
}

static void context_free(struct mv_tls_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->creds)
        gnutls_certificate_free_credentials(ctx->creds);
    if (ctx->prio)
        gnutls_priority_deinit(ctx->prio);
    mv_strv_free(ctx->allowed_dn);
    free(ctx);
}
MV_DEFINE_CLEANUP(struct mv_tls_context, context_free)

static void file_datums_free(gnutls_datum_t (*d)[4])
{
    for (unsigned i = 0; i < 4; i++)
        free_file_datum(&(*d)[i]);
}

static int context_new(const struct mv_tls_config *cfg, struct mv_tls_context **ret, char **errmsg)
{
    _cleanup_(context_freep) struct mv_tls_context *ctx = NULL;
    /* ca, cert, key, crl */
    _cleanup_(file_datums_free) gnutls_datum_t f[4] = { { 0 } };
    int r;

    *errmsg = NULL;
    if (!cfg->ca_file || !cfg->cert_file || !cfg->key_file)
        return fail(errmsg, -EINVAL, "TLS needs ca_file, cert_file and key_file");
    if ((r = read_pem("CA file", cfg->ca_file, false, &f[0], errmsg)) < 0 ||
        (r = read_pem("certificate file", cfg->cert_file, false, &f[1], errmsg)) < 0 ||
        (r = read_pem("key file", cfg->key_file, true, &f[2], errmsg)) < 0 ||
        (cfg->crl_file && (r = read_pem("CRL file", cfg->crl_file, false, &f[3], errmsg)) < 0))
        return r;

    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    atomic_init(&ctx->refs, 1);
    if (cfg->allowed_dn && !(ctx->allowed_dn = strv_copy(cfg->allowed_dn)))
        return -ENOMEM;
    if (gnutls_certificate_allocate_credentials(&ctx->creds) < 0) {
        ctx->creds = NULL;
        return -ENOMEM;
    }
    if ((r = load_trust(cfg, ctx->creds, &f[0], &f[3], errmsg)) < 0 ||
        (r = load_keypair(cfg, ctx->creds, &f[1], &f[2], errmsg)) < 0 ||
        (r = check_server_cert(cfg, &f[0], f[3].data ? &f[3] : NULL, &f[1], errmsg)) < 0 ||
        (r = load_priority(cfg->priority ? cfg->priority : "NORMAL", &ctx->prio, errmsg)) < 0)
        return r;
    *ret = TAKE_PTR(ctx);
    return 0;
}

int mv_tls_context_new(const struct mv_tls_config *cfg, struct mv_tls_context **ret, char **errmsg)
{
    int r = context_new(cfg, ret, errmsg);

    /* every failure has its message, out of memory too */
    if (r < 0 && !*errmsg)
        *errmsg = strdup(strerror(-r));
    return r;
}

struct mv_tls_context *mv_tls_context_ref(struct mv_tls_context *ctx)
{
    if (ctx)
        atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void mv_tls_context_unref(struct mv_tls_context *ctx)
{
    if (ctx && atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
        context_free(ctx);
}

/* ---- sessions ---- */

int mv_tls_session_new(struct mv_tls_context *ctx, int fd, struct mv_tls_session **ret)
{
    struct mv_tls_session *s;
    int r;

    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    /* no tickets: libvirt's client reads the confirmation byte as the
     * first record after the handshake and a TLS 1.3 ticket would be it */
    r = gnutls_init(&s->gs, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
    if (r < 0) {
        free(s);
        return -ENOMEM;
    }
    s->ctx = mv_tls_context_ref(ctx);
    r = gnutls_priority_set(s->gs, ctx->prio);
    if (r >= 0)
        r = gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, ctx->creds);
    if (r < 0) {
        mv_tls_session_free(s);
        return -ENOMEM;
    }
    gnutls_certificate_server_set_request(s->gs, GNUTLS_CERT_REQUIRE);
    /* Not advertising the CA names makes a gnutls client (libvirt's) send
     * the certificate it has even when another CA issued it, so the
     * refusal can say "not signed by a trusted CA" about that certificate
     * instead of "sent no certificate". */
    gnutls_certificate_send_x509_rdn_sequence(s->gs, 1);
    gnutls_transport_set_int(s->gs, fd);
    *ret = s;
    return 0;
}

static bool dn_allowed(char *const *allowed, const char *dn, const char *compat)
{
    if (!allowed)
        return true;
    for (; *allowed; allowed++)
        if (fnmatch(*allowed, dn, 0) == 0 || (compat && fnmatch(*allowed, compat, 0) == 0))
            return true;
    return false;
}

/* Best effort: the client learns why before the close (its handshake may
 * already have ended: TLS 1.3 clients finish before the server checks). */
static void send_alert(struct mv_tls_session *s, gnutls_alert_description_t a)
{
    gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, a);
}

static gnutls_alert_description_t status_alert(unsigned status)
{
    if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
        return GNUTLS_A_UNKNOWN_CA;
    if (status & GNUTLS_CERT_REVOKED)
        return GNUTLS_A_CERTIFICATE_REVOKED;
    if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
        return GNUTLS_A_CERTIFICATE_EXPIRED;
    return GNUTLS_A_BAD_CERTIFICATE;
}

/* After the handshake: the client's certificate chains to the CA, is valid
 * now, not revoked, allows TLS client use (if it names purposes at all),
 * and its DN is on the allowlist. */
static int verify_peer(struct mv_tls_session *s, char **why)
{
    const gnutls_datum_t *certs;
    unsigned ncerts = 0, status = 0;
    gnutls_x509_crt_t crt = NULL;
    gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
                                      .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
    _cleanup_free_ char *dn = NULL;
    _cleanup_free_ char *compat = NULL;
    int r;

    certs = gnutls_certificate_get_peers(s->gs, &ncerts);
    if (!certs || ncerts == 0 || gnutls_certificate_type_get(s->gs) != GNUTLS_CRT_X509) {
        send_alert(s, GNUTLS_A_CERTIFICATE_REQUIRED);
        return fail(why, -EACCES, "client sent no certificate");
    }
    if (gnutls_x509_crt_init(&crt) < 0)
        return -ENOMEM;
    r = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
    if (r < 0) {
        gnutls_x509_crt_deinit(crt);
        send_alert(s, GNUTLS_A_BAD_CERTIFICATE);
        return fail(why, -EACCES, "client certificate cannot be parsed: %s", gnutls_strerror(r));
    }
    dn = crt_dn(crt, 0);
    compat = crt_dn(crt, GNUTLS_X509_DN_FLAG_COMPAT);
    if (!dn) {
        gnutls_x509_crt_deinit(crt);
        return -ENOMEM;
    }

    r = gnutls_certificate_verify_peers(s->gs, &purpose, 1, &status);
    if (r < 0) {
        gnutls_x509_crt_deinit(crt);
        send_alert(s, GNUTLS_A_BAD_CERTIFICATE);
        return fail(why, -EACCES, "client certificate '%s' cannot be verified: %s", dn, gnutls_strerror(r));
    }
    if (status) {
        _cleanup_free_ char *reason = status_reason(status, crt, "a trusted CA", "client");
        gnutls_x509_crt_deinit(crt);
        send_alert(s, status_alert(status));
        return fail(why, -EACCES, "client certificate '%s' %s", dn, reason ? reason : "failed verification");
    }
    gnutls_x509_crt_deinit(crt);

    if (!dn_allowed(s->ctx->allowed_dn, dn, compat)) {
        send_alert(s, GNUTLS_A_ACCESS_DENIED);
        return fail(why, -EACCES, "client certificate DN '%s' (compat order '%s') is not in tls_allowed_dn_list",
                    dn, compat ? compat : dn);
    }
    s->dname = TAKE_PTR(dn);
    s->dname_compat = TAKE_PTR(compat);
    return 0;
}

/* Why gnutls_handshake() failed fatally with R.  gnutls leaves the alert
 * to the caller: without it the client waits for a reply that never comes
 * until its socket closes, and learns nothing. */
static int handshake_error(struct mv_tls_session *s, int r, char **why)
{
    if (r != GNUTLS_E_PREMATURE_TERMINATION && r != GNUTLS_E_PULL_ERROR && r != GNUTLS_E_PUSH_ERROR &&
        r != GNUTLS_E_FATAL_ALERT_RECEIVED)
        gnutls_alert_send_appropriate(s->gs, r);
    switch (r) {
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED:
        return fail(why, -EACCES, "client sent no certificate");
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
        return fail(why, -EPROTO, "client ended the TLS handshake with alert '%s'",
                    gnutls_alert_get_name(gnutls_alert_get(s->gs)));
    case GNUTLS_E_PREMATURE_TERMINATION:
    case GNUTLS_E_PULL_ERROR:
    case GNUTLS_E_PUSH_ERROR:
        return fail(why, -ECONNRESET, "client closed the connection during the TLS handshake (gnutls: %s)",
                    gnutls_strerror(r));
    default:
        break;
    }
    /* no ClientHello yet: whatever arrived was not TLS (HTTP, a plain
     * libvirt RPC client on the TLS port, a scanner) */
    if (gnutls_handshake_get_last_in(s->gs) != GNUTLS_HANDSHAKE_CLIENT_HELLO &&
        gnutls_handshake_get_last_out(s->gs) == (gnutls_handshake_description_t)-1)
        return fail(why, -EPROTO, "not a TLS handshake (gnutls: %s)", gnutls_strerror(r));
    return fail(why, -EPROTO, "TLS handshake failed: %s", gnutls_strerror(r));
}

static int handshake(struct mv_tls_session *s, char **why)
{
    int r = 0;

    if (s->done)
        return 1;
    for (int i = 0; i < MV_TLS_RETRY_MAX; i++) {
        r = gnutls_handshake(s->gs);
        if (r == GNUTLS_E_SUCCESS)
            break;
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            return 0;
        if (gnutls_error_is_fatal(r))
            return handshake_error(s, r, why);
        /* a warning alert: carry on */
    }
    if (r != GNUTLS_E_SUCCESS)
        return 0;
    r = verify_peer(s, why);
    if (r < 0)
        return r;
    s->done = true;
    return 1;
}

int mv_tls_session_handshake(struct mv_tls_session *s, char **why)
{
    int r;

    *why = NULL;
    r = handshake(s, why);
    if (r < 0 && !*why)
        *why = strdup(strerror(-r));
    return r;
}

bool mv_tls_session_wants_write(const struct mv_tls_session *s)
{
    return gnutls_record_get_direction(s->gs) == 1;
}

const char *mv_tls_session_dname(const struct mv_tls_session *s)
{
    return s->dname;
}

const char *mv_tls_session_dname_compat(const struct mv_tls_session *s)
{
    return s->dname_compat;
}

unsigned int mv_tls_session_ssf(const struct mv_tls_session *s)
{
    return gnutls_cipher_get_key_size(gnutls_cipher_get(s->gs)) * 8;
}

void mv_tls_session_free(struct mv_tls_session *s)
{
    if (!s)
        return;
    if (s->gs)
        gnutls_deinit(s->gs);
    mv_tls_context_unref(s->ctx);
    free(s->dname);
    free(s->dname_compat);
    free(s);
}

/* ---- the transport after the handshake ---- */

static ssize_t tls_recv(void *ctx, void *buf, size_t n)
{
    struct mv_tls_session *s = ctx;
    ssize_t r = 0;

    for (int i = 0; i < MV_TLS_RETRY_MAX; i++) {
        r = gnutls_record_recv(s->gs, buf, n);
        if (r >= 0)
            return r;
        switch (r) {
        case GNUTLS_E_AGAIN:
            return -EAGAIN;
        case GNUTLS_E_INTERRUPTED:
            return -EINTR;
        case GNUTLS_E_PREMATURE_TERMINATION:
            /* closed without close_notify: libvirt clients do that; the
             * framing above tells a cut packet from a clean end */
            return 0;
        case GNUTLS_E_PULL_ERROR:
            return -ECONNRESET;
        default:
            break;
        }
        if (gnutls_error_is_fatal(r))
            return -EPROTO;
        /* a warning alert, or a TLS 1.2 renegotiation request (refused by
         * ignoring it: the session stays as verified) */
    }
    return -EAGAIN;
}

static ssize_t tls_send(void *ctx, const void *buf, size_t n)
{
    struct mv_tls_session *s = ctx;
    ssize_t r = gnutls_record_send(s->gs, buf, n);

    if (r >= 0)
        return r;
    switch (r) {
    case GNUTLS_E_AGAIN:
        return -EAGAIN;
    case GNUTLS_E_INTERRUPTED:
        return -EINTR;
    case GNUTLS_E_PUSH_ERROR:
        return -EPIPE;
    default:
        return -EPROTO;
    }
}

static size_t tls_pending(void *ctx)
{
    return gnutls_record_check_pending(((struct mv_tls_session *)ctx)->gs);
}

static void tls_free(void *ctx)
{
    mv_tls_session_free(ctx);
}

static const struct mv_transport_ops tls_ops = {
    .recv = tls_recv,
    .send = tls_send,
    .pending = tls_pending,
    .free = tls_free,
};

struct mv_transport mv_tls_session_transport(struct mv_tls_session *s)
{
    return (struct mv_transport){ .ops = &tls_ops, .ctx = s };
}
