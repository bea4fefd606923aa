/*
 * Remote clients: TCP listeners, the TLS handshake and its confirmation
 * byte, the deadline for authenticating, the bound on anonymous clients,
 * and the switch to a SASL security layer (wire-protocol.md 5.2-5.4).
 */
#define MV_LOG_MODULE "rpc.remote"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "server_internal.h"

/* A remote client that has not authenticated by then is closed: with the
 * anonymous-client bound, idle connections must not hold the slots. */
#define REMOTE_AUTH_TIMEOUT_SEC 60
#define TLS_HANDSHAKE_TIMEOUT_DEFAULT_SEC 10
/* failed SASL exchanges a connection may make before it is closed */
#define SASL_FAILURES_MAX 3

/* ---- listeners ---- */

static int listen_one(struct mv_server *srv, const struct addrinfo *ai,
                      const struct mv_listen_opts *opts)
{
    _cleanup_close_ int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                    ai->ai_protocol);
    int on = 1;

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
        return -errno;
    /* "::" and "0.0.0.0" are separate listeners, as getaddrinfo gives both */
    if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
        return -errno;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0)
        return -errno;
    return mv_server_add_listener(srv, TAKE_FD(fd), opts);
}

int mv_server_listen_tcp(struct mv_server *srv, const char *addr, const char *port,
                         const struct mv_listen_opts *opts_in, char **errmsg)
{
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_ADDRCONFIG | AI_NUMERICSERV,
                              .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    struct mv_listen_opts opts = *opts_in;
    int r, n = 0;

    opts.remote = true;
    r = getaddrinfo(addr, port, &hints, &res);
    if (r != 0) {
        if (asprintf(errmsg, "cannot resolve listen_addr '%s' port '%s': %s", addr ? addr : "*",
                     port, gai_strerror(r)) < 0)
            *errmsg = NULL;
        return -EINVAL;
    }
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        r = listen_one(srv, ai, &opts);
        if (r < 0) {
            if (asprintf(errmsg, "cannot listen on '%s' port %s: %s", addr ? addr : "*", port,
                         strerror(-r)) < 0)
                *errmsg = NULL;
            freeaddrinfo(res);
            return r;
        }
        n++;
    }
    freeaddrinfo(res);
    return n ? 0 : -EADDRNOTAVAIL;
}

void mv_server_set_tls(struct mv_server *srv, struct mv_tls_context *ctx)
{
    for (struct mv_listener *l = srv->listeners; l; l = l->next) {
        if (!l->opts.tls)
            continue;
        mv_tls_context_unref(l->opts.tls);
        l->opts.tls = mv_tls_context_ref(ctx);
    }
}

bool mv_server_anonymous_full(const struct mv_server *srv, const struct mv_listener *l)
{
    return l->opts.remote && srv->cfg.max_anonymous_clients &&
           srv->nanonymous >= srv->cfg.max_anonymous_clients;
}

/* ---- one remote client ---- */

/* "IP;PORT", the form cyrus-sasl wants (and readable in logs). */
static char *addr_string(const struct sockaddr_storage *ss)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV], *s = NULL;

    if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return strdup("unknown;0");
    if (asprintf(&s, "%s;%s", host, serv) < 0)
        return NULL;
    return s;
}

static int auth_expired(sd_event_source *s, uint64_t usec, void *opaque)
{
    struct mv_client *c = opaque;

    mv_client_ref(c);
    bool hs = c->tls_hs || c->tls_confirm;

    mv_warn("remote client %lu (%s): %s within %u s; closing the connection", c->id,
            c->peer_addr, hs ? "TLS handshake not completed" : "not authenticated",
            hs ? c->srv->cfg.tls_handshake_timeout : REMOTE_AUTH_TIMEOUT_SEC);
    mv_client_close(c, hs ? "TLS handshake timeout" : "authentication timeout");
    mv_client_unref(c);
    return 0;
}

static int arm_auth_timer(struct mv_client *c, unsigned int secs)
{
    uint64_t now;

    sd_event_now(c->srv->event, CLOCK_MONOTONIC, &now);
    now += (uint64_t)secs * 1000000;
    if (c->auth_timer)
        return sd_event_source_set_time(c->auth_timer, now);
    return sd_event_add_time(c->srv->event, &c->auth_timer, CLOCK_MONOTONIC, now, 0,
                             auth_expired, c);
}

int mv_client_remote_init(struct mv_client *c, const struct mv_listener *l)
{
    struct sockaddr_storage peer = { 0 }, local = { 0 };
    socklen_t plen = sizeof(peer), llen = sizeof(local);
    int r;

    if (getpeername(c->fd, (struct sockaddr *)&peer, &plen) < 0 ||
        getsockname(c->fd, (struct sockaddr *)&local, &llen) < 0)
        return -errno;
    if (!(c->peer_addr = addr_string(&peer)) || !(c->local_addr = addr_string(&local)))
        return -ENOMEM;
    if (!c->srv->cfg.tls_handshake_timeout)
        c->srv->cfg.tls_handshake_timeout = TLS_HANDSHAKE_TIMEOUT_DEFAULT_SEC;
    if (l->opts.tls) {
        if ((r = mv_tls_session_new(l->opts.tls, c->fd, &c->tls_hs)) < 0)
            return r;
        /* the handshake starts with the client's hello */
        sd_event_source_set_io_events(c->io, EPOLLIN);
    }
    if (c->tls_hs || !atomic_load(&c->authenticated)) {
        c->anonymous = true;
        c->srv->nanonymous++;
        r = arm_auth_timer(c, c->tls_hs ? c->srv->cfg.tls_handshake_timeout : REMOTE_AUTH_TIMEOUT_SEC);
        if (r < 0)
            return r;
    }
    mv_info("remote client %lu connected from %s%s", c->id, c->peer_addr,
            l->opts.tls ? " (TLS)" : "");
    return 0;
}

void mv_client_remote_authenticated(struct mv_client *c)
{
    if (!c->anonymous)
        return;
    c->anonymous = false;
    c->srv->nanonymous--;
    c->auth_timer = sd_event_source_disable_unref(c->auth_timer);
    mv_server_update_listeners(c->srv);
}

/* The handshake is done and the certificate passed: the client now waits
 * for one byte, 1, before it sends anything (libvirt's confirmation). */
static int tls_established(struct mv_client *c)
{
    const char *dn = mv_tls_session_dname(c->tls_hs);

    if (dn && !(c->x509_dname = strdup(dn)))
        return -ENOMEM;
    c->ident.x509_dname = c->x509_dname;
    c->transport = mv_tls_session_transport(c->tls_hs);
    c->tls_hs = NULL;
    c->tls_confirm = true;
    mv_info("remote client %lu (%s): TLS client certificate '%s' accepted", c->id, c->peer_addr,
            dn ? dn : "?");
    return 0;
}

static int tls_send_confirm(struct mv_client *c)
{
    static const char ok = 1;
    ssize_t n = c->transport.ops->send(c->transport.ctx, &ok, 1);

    if (n == -EAGAIN || n == -EINTR) {
        sd_event_source_set_io_events(c->io, EPOLLOUT);
        return 0;
    }
    if (n < 0)
        return (int)n;
    c->tls_confirm = false;
    /* the certificate is the credential unless the socket asks for SASL too */
    if (atomic_load(&c->authenticated)) {
        mv_client_remote_authenticated(c);
    } else if (arm_auth_timer(c, REMOTE_AUTH_TIMEOUT_SEC) < 0) {
        return -ENOMEM;
    }
    return 1;
}

int mv_client_remote_io(struct mv_client *c)
{
    _cleanup_free_ char *why = NULL;
    int r;

    if (c->tls_hs) {
        r = mv_tls_session_handshake(c->tls_hs, &why);
        if (r < 0) {
            mv_warn("remote client %lu (%s): TLS refused: %s", c->id, c->peer_addr,
                    why ? why : strerror(-r));
            return r;
        }
        if (r == 0) {
            sd_event_source_set_io_events(c->io, mv_tls_session_wants_write(c->tls_hs) ? EPOLLOUT
                                                                                   : EPOLLIN);
            return 0;
        }
        if ((r = tls_established(c)) < 0)
            return r;
    }
    return tls_send_confirm(c);
}

void mv_client_remote_layer_on(struct mv_client *c)
{
    c->sasl_layer_after = NULL;
    c->transport = mv_sasl_session_transport(c->sasl, c->fd);
    if (!c->transport.ops) {
        /* the peer encodes from now on: bare bytes would be misread */
        mv_client_close(c, "out of memory for the SASL security layer");
        return;
    }
    mv_debug("remote client %lu: SASL security layer on", c->id);
}

void mv_client_remote_close(struct mv_client *c)
{
    c->auth_timer = sd_event_source_disable_unref(c->auth_timer);
    if (c->anonymous) {
        c->anonymous = false;
        c->srv->nanonymous--;
    }
    /* the layer first: a SASL layer uses the session freed after it */
    mv_transport_clear(&c->transport);
    mv_tls_session_free(c->tls_hs);
    c->tls_hs = NULL;
    mv_sasl_session_free(c->sasl);
    c->sasl = NULL;
}

/* ---- what rpc/conn_sasl.c uses ---- */

bool mv_client_auth_is_sasl(const struct mv_client *c)
{
    return c->listener->opts.auth == MV_AUTH_METHOD_SASL;
}

struct mv_sasl_session **mv_client_sasl_slot(struct mv_client *c)
{
    return &c->sasl;
}

int mv_client_sasl_info(struct mv_client *c, struct mv_sasl_conn_info *info)
{
    bool tls = c->transport.ops && !c->sasl;

    *info = (struct mv_sasl_conn_info){
        .local_addr = c->local_addr, .remote_addr = c->peer_addr,
        .external_ssf = 0, .need_layer = c->ident.remote && !c->x509_dname,
    };
    /* over TLS the cipher protects the connection: SASL adds no layer */
    if (tls && c->x509_dname)
        info->external_ssf = mv_tls_session_ssf(c->transport.ctx);
    return 0;
}

int mv_client_set_sasl_user(struct mv_client *c, const char *user)
{
    if (!(c->sasl_user = strdup(user)))
        return -ENOMEM;
    c->ident.sasl_user = c->sasl_user;
    atomic_store(&c->authenticated, true);
    mv_client_remote_authenticated(c);
    mv_info("client %lu (%s): SASL user '%s' authenticated", c->id,
            c->peer_addr ? c->peer_addr : "local", user);
    return 0;
}

void mv_client_sasl_failed(struct mv_client *c)
{
    if (++c->sasl_failures < SASL_FAILURES_MAX)
        return;
    mv_warn("client %lu (%s): %u failed SASL logins; closing the connection", c->id,
            c->peer_addr ? c->peer_addr : "local", c->sasl_failures);
    c->closing = true;      /* once the error reply is out */
}

void mv_client_start_sasl_layer(struct mv_client *c)
{
    c->sasl_layer_next = true;
}
