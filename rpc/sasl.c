/*
 * cyrus-sasl server sessions (service "libvirt") and the security layer a
 * mechanism may negotiate on plain TCP.  libvirt's rules
 * (virnetsaslcontext.c, remote_daemon_dispatch.c): on plain TCP a mechanism
 * must give SSF >= 56 and anonymous / plaintext mechanisms are refused; over
 * TLS or a unix socket the transport's strength is the external SSF and no
 * layer of our own is negotiated.  Every refusal reaches the client as the
 * same "authentication failed" (it must not learn which part was wrong); the
 * log says why.
 */
#define MV_LOG_MODULE "rpc.sasl"
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "cleanup.h"
#include "log.h"
#include "sasl.h"

/* The strength plain TCP needs (libvirt's value: single DES). */
#define SSF_NEEDED 56
/* Largest security layer packet we accept (cyrus enforces it on decode). */
#define LAYER_MAXBUF 65536
/* Raw socket bytes read at once before decoding. */
#define LAYER_READ_CHUNK 16384

struct mv_sasl_session {
    sasl_conn_t *conn;
    char **allowed;             /* owned copy; NULL = any user */
    bool need_layer;
    bool started, complete, failed;
    bool layer;                 /* the completed exchange negotiated SSF > 0 */
    char *user;
};

/* The config directory cyrus-sasl reads libvirt.conf from; it asks through
 * the callback during sasl_server_init and never frees what it gets. */
static char *sasl_confdir;
static bool sasl_initialised;

static int cb_getconfpath(void *context, char **path)
{
    *path = sasl_confdir;
    return SASL_OK;
}

/* cyrus-sasl's own messages.  SASL_LOG_PASS traces may carry passwords:
 * never written. */
static int cb_log(void *context, int level, const char *message)
{
    if (level >= SASL_LOG_PASS)
        return SASL_OK;
    if (level <= SASL_LOG_WARN)
        mv_info("cyrus-sasl: %s", message);
    else
        mv_debug("cyrus-sasl: %s", message);
    return SASL_OK;
}

typedef int (*sasl_cb_fn)(void);

static const sasl_callback_t server_callbacks[] = {
    { SASL_CB_GETCONFPATH, (sasl_cb_fn)(void (*)(void))cb_getconfpath, NULL },
    { SASL_CB_LOG, (sasl_cb_fn)(void (*)(void))cb_log, NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

int mv_sasl_init(const char *confdir, char **errmsg)
{
    char *dir;
    int r;

    if (sasl_initialised)
        return 0;
    dir = strdup(confdir);
    if (!dir)
        return -ENOMEM;
    free(sasl_confdir);
    sasl_confdir = dir;
    r = sasl_server_init(server_callbacks, "libvirt");
    if (r != SASL_OK) {
        if (asprintf(errmsg, "cannot initialise SASL (config directory '%s'): %s", confdir,
                     sasl_errstring(r, NULL, NULL)) < 0)
            *errmsg = NULL;
        return -EIO;
    }
    sasl_initialised = true;
    return 0;
}

void mv_sasl_done(void)
{
    if (!sasl_initialised)
        return;
    sasl_server_done();
    sasl_initialised = false;
    free(sasl_confdir);
    sasl_confdir = NULL;
}

/* What the client is told for every refusal (libvirt's words). */
static int auth_failed(struct mv_err *err)
{
    return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC, "authentication failed: authentication failed");
}

static char **strv_copy(char *const *v)
{
    size_t n = 0;
    char **c;

    while (v[n])
        n++;
    c = calloc(n + 1, sizeof(*c));
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        c[i] = strdup(v[i]);
        if (!c[i]) {
            mv_strv_free(c);
            return NULL;
        }
    }
    return c;
}

/* Plain TCP: a layer of at least 56 bits, no anonymous or plaintext
 * mechanisms.  TLS / unix: the transport's strength counts, and SASL adds
 * no layer of its own (one layer per connection, transport.h). */
static int set_security(sasl_conn_t *conn, const struct mv_sasl_conn_info *info)
{
    sasl_security_properties_t props = { .maxbufsize = LAYER_MAXBUF };
    sasl_ssf_t ext = info->external_ssf;
    int r;

    if (info->need_layer) {
        props.min_ssf = SSF_NEEDED;
        props.max_ssf = 100000;
        props.security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_NOPLAINTEXT;
    } else {
        /* TLS protects a plaintext password; an anonymous login is never
         * a login, whatever mech_list says */
        props.security_flags = SASL_SEC_NOANONYMOUS;
        r = sasl_setprop(conn, SASL_SSF_EXTERNAL, &ext);
        if (r != SASL_OK)
            return r;
    }
    return sasl_setprop(conn, SASL_SEC_PROPS, &props);
}

int mv_sasl_session_new(const struct mv_sasl_conn_info *info, char *const *allowed,
                        struct mv_sasl_session **ret, struct mv_err *err)
{
    struct mv_sasl_session *s = calloc(1, sizeof(*s));
    int r;

    if (!s)
        return -ENOMEM;
    s->need_layer = info->need_layer;
    if (allowed && !(s->allowed = strv_copy(allowed))) {
        free(s);
        return -ENOMEM;
    }
    r = sasl_server_new("libvirt", NULL, NULL, info->local_addr, info->remote_addr, NULL, 0, &s->conn);
    if (r == SASL_OK)
        r = set_security(s->conn, info);
    if (r != SASL_OK) {
        mv_info("cannot start a SASL session for client %s: %s",
                info->remote_addr ? info->remote_addr : "(local)",
                s->conn ? sasl_errdetail(s->conn) : sasl_errstring(r, NULL, NULL));
        mv_sasl_session_free(s);
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                          "authentication failed: cannot start a SASL session: %s",
                          sasl_errstring(r, NULL, NULL));
    }
    *ret = s;
    return 0;
}

int mv_sasl_session_mechlist(struct mv_sasl_session *s, char **mechlist, struct mv_err *err)
{
    const char *list;
    char *copy;
    int r;

    r = sasl_listmech(s->conn, NULL, "", ",", "", &list, NULL, NULL);
    if (r != SASL_OK) {
        /* typically: no mechanism meets the security rule, or none configured */
        mv_info("no SASL mechanism available: %s", sasl_errdetail(s->conn));
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                          "authentication failed: no SASL mechanism available: %s",
                          sasl_errstring(r, NULL, NULL));
    }
    copy = strdup(list);
    if (!copy)
        return -ENOMEM;
    *mechlist = copy;
    return 0;
}

/* The user name cyrus settled on, or what it knows so far (for the log). */
static const char *conn_user(sasl_conn_t *conn)
{
    const void *v = NULL;

    if (sasl_getprop(conn, SASL_USERNAME, &v) == SASL_OK && v)
        return v;
    if (sasl_getprop(conn, SASL_AUTHUSER, &v) == SASL_OK && v)
        return v;
    return "(unknown)";
}

static bool user_allowed(char *const *allowed, const char *user)
{
    if (!allowed)
        return true;
    for (size_t i = 0; allowed[i]; i++)
        if (fnmatch(allowed[i], user, 0) == 0)
            return true;
    return false;
}

/* The checks after cyrus said SASL_OK: the layer's strength, the
 * allowlist.  Records the user on success. */
static int finish(struct mv_sasl_session *s, struct mv_err *err)
{
    const void *v = NULL;
    const char *user;
    unsigned int ssf;

    if (sasl_getprop(s->conn, SASL_SSF, &v) != SASL_OK || !v) {
        mv_info("SASL: cannot read the negotiated SSF: %s", sasl_errdetail(s->conn));
        return auth_failed(err);
    }
    ssf = *(const sasl_ssf_t *)v;
    user = conn_user(s->conn);
    if (s->need_layer && ssf < SSF_NEEDED) {
        mv_info("SASL user '%s' refused: negotiated SSF %u was not strong enough (%d needed)",
                user, ssf, SSF_NEEDED);
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                          "authentication failed: negotiated SSF %u was not strong enough (%d needed)",
                          ssf, SSF_NEEDED);
    }
    if (!user_allowed(s->allowed, user)) {
        mv_info("SASL user '%s' refused: not in sasl_allowed_username_list", user);
        return auth_failed(err);
    }
    s->user = strdup(user);
    if (!s->user)
        return -ENOMEM;
    s->layer = ssf > 0;
    s->complete = true;
    return 0;
}

static int copy_out(const char *data, unsigned int len, char **out, size_t *outlen)
{
    char *c;

    if (!data) {
        *out = NULL;
        *outlen = 0;
        return 0;
    }
    c = malloc(len ? len : 1);
    if (!c)
        return -ENOMEM;
    memcpy(c, data, len);
    *out = c;
    *outlen = len;
    return 0;
}

int mv_sasl_session_step(struct mv_sasl_session *s, const char *mech, const char *in,
                         size_t inlen, char **out, size_t *outlen, int *complete,
                         struct mv_err *err)
{
    const char *data = NULL;
    unsigned int len = 0;
    int r;

    /* START once, then STEPs, nothing after the end */
    if (s->failed || s->complete || (mech != NULL) == s->started || inlen > LAYER_MAXBUF) {
        mv_info("SASL: client sent %s %s", mech ? "START" : "STEP",
                s->failed || s->complete ? "after the exchange ended"
                : inlen > LAYER_MAXBUF ? "with too much data"
                : mech ? "twice" : "before START");
        s->failed = true;
        return auth_failed(err);
    }
    s->started = true;
    if (mech)
        r = sasl_server_start(s->conn, mech, in, (unsigned int)inlen, &data, &len);
    else
        r = sasl_server_step(s->conn, in, (unsigned int)inlen, &data, &len);
    if (r != SASL_OK && r != SASL_CONTINUE) {
        mv_info("SASL authentication of user '%s'%s%s%s failed: %s", conn_user(s->conn),
                mech ? " (mechanism " : "", mech ? mech : "", mech ? ")" : "",
                sasl_errdetail(s->conn));
        s->failed = true;
        return auth_failed(err);
    }
    if (r == SASL_OK && (r = finish(s, err)) < 0) {
        s->failed = true;
        return r;
    }
    r = copy_out(data, len, out, outlen);
    if (r < 0)
        return r;
    *complete = s->complete;
    return 0;
}

const char *mv_sasl_session_user(const struct mv_sasl_session *s)
{
    return s->complete ? s->user : NULL;
}

bool mv_sasl_session_has_layer(const struct mv_sasl_session *s)
{
    return s->complete && s->layer;
}

void mv_sasl_session_free(struct mv_sasl_session *s)
{
    if (!s)
        return;
    if (s->conn)
        sasl_dispose(&s->conn);
    mv_strv_free(s->allowed);
    free(s->user);
    free(s);
}

/* ---- the security layer as a transport ---- */

struct sasl_layer {
    struct mv_sasl_session *s;
    int fd;
    unsigned int maxout;        /* plaintext bytes sasl_encode takes at once */
    /* cyrus' decode output, valid until the next sasl_decode (with no
     * layer it points into RAW, which is why RAW lives here) */
    const char *dec;
    unsigned int dec_len, dec_off;
    /* cyrus' encode output being written, valid until the next
     * sasl_encode, and the plaintext bytes it stands for */
    const char *enc;
    unsigned int enc_len, enc_off;
    size_t enc_plain;
    char raw[LAYER_READ_CHUNK];
};

static size_t take_decoded(struct sasl_layer *l, void *buf, size_t n)
{
    size_t k = l->dec_len - l->dec_off;

    if (k > n)
        k = n;
    memcpy(buf, l->dec + l->dec_off, k);
    l->dec_off += k;
    return k;
}

/* Reads and decodes until cyrus yields bytes (a layer packet may arrive
 * in pieces): >0, 0 at end of file, -EAGAIN, -EBADMSG, -errno. */
static ssize_t layer_recv(void *ctx, void *buf, size_t n)
{
    struct sasl_layer *l = ctx;
    const char *out;
    unsigned int outlen;
    ssize_t r;

    if (n == 0)
        return 0;
    if (l->dec_off < l->dec_len)
        return take_decoded(l, buf, n);
    for (;;) {
        r = read(l->fd, l->raw, sizeof(l->raw));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (r == 0)
            return 0;
        if (sasl_decode(l->s->conn, l->raw, (unsigned int)r, &out, &outlen) != SASL_OK) {
            mv_debug("SASL layer: cannot decode %zd bytes from the client: %s", r,
                     sasl_errdetail(l->s->conn));
            return -EBADMSG;
        }
        if (outlen > 0)
            break;
    }
    l->dec = out;
    l->dec_len = outlen;
    l->dec_off = 0;
    return take_decoded(l, buf, n);
}

/* Encodes one chunk and writes it.  The plaintext count is returned only
 * once its encoded form is all on the socket; until then -EAGAIN, and the
 * caller calls again with the same BUF and N (transport.h), which finishes
 * the write of the held chunk instead of encoding anew.  So nothing is ever
 * left in here unsent after the caller believes its message written. */
static ssize_t layer_send(void *ctx, const void *buf, size_t n)
{
    struct sasl_layer *l = ctx;
    size_t taken;
    ssize_t w;

    if (n == 0)
        return 0;
    if (!l->enc) {
        unsigned int chunk = n < l->maxout ? (unsigned int)n : l->maxout;

        if (sasl_encode(l->s->conn, buf, chunk, &l->enc, &l->enc_len) != SASL_OK) {
            mv_debug("SASL layer: cannot encode %u bytes: %s", chunk, sasl_errdetail(l->s->conn));
            l->enc = NULL;
            return -EIO;
        }
        l->enc_off = 0;
        l->enc_plain = chunk;
    } else if (n < l->enc_plain) {
        return -EINVAL;         /* not the call that was told -EAGAIN */
    }
    while (l->enc_off < l->enc_len) {
        w = send(l->fd, l->enc + l->enc_off, l->enc_len - l->enc_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        l->enc_off += (unsigned int)w;
    }
    taken = l->enc_plain;
    l->enc = NULL;
    l->enc_len = l->enc_off = 0;
    l->enc_plain = 0;
    return (ssize_t)taken;
}

static size_t layer_pending(void *ctx)
{
    struct sasl_layer *l = ctx;

    return l->dec_len - l->dec_off;
}

static void layer_free(void *ctx)
{
    free(ctx);
}

static const struct mv_transport_ops sasl_layer_ops = {
    .recv = layer_recv,
    .send = layer_send,
    .pending = layer_pending,
    .free = layer_free,
};

struct mv_transport mv_sasl_session_transport(struct mv_sasl_session *s, int fd)
{
    struct sasl_layer *l = calloc(1, sizeof(*l));
    const void *v = NULL;

    if (!l)
        return (struct mv_transport){ 0 };
    l->s = s;
    l->fd = fd;
    l->maxout = LAYER_MAXBUF;
    if (sasl_getprop(s->conn, SASL_MAXOUTBUF, &v) == SASL_OK && v && *(const unsigned int *)v > 0)
        l->maxout = *(const unsigned int *)v;
    return (struct mv_transport){ .ops = &sasl_layer_ops, .ctx = l };
}
