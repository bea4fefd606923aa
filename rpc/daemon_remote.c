/* Remote access settings and listeners (daemon_remote.h). */
#define MV_LOG_MODULE "daemon.remote"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cleanup.h"
#include "conn_sasl.h"
#include "daemon_remote.h"
#include "log.h"
#include "sasl.h"
#include "tls.h"


const char *const mv_remote_config_keys[] = {
    "listen_tls", "listen_tcp", "tls_port", "tcp_port", "listen_addr",
    "auth_tls", "auth_tcp",
    "ca_file", "cert_file", "key_file", "crl_file",
    "tls_allowed_dn_list", "tls_priority", "tls_handshake_timeout",
    "sasl_allowed_username_list", "max_anonymous_clients",
    NULL,
};

static int fail(char **errmsg, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **errmsg, int r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(errmsg, fmt, ap) < 0)
        *errmsg = NULL;
    va_end(ap);
    return r;
}

/* libvirt's file layout (/etc/pki), relocated under --root. */
static int default_path(const struct mv_paths *paths, const char *rel, char **out)
{
    if (*out)
        return 0;
    if (asprintf(out, "%s/etc/pki/%s", paths->root ? paths->root : "", rel) < 0) {
        *out = NULL;
        return -ENOMEM;
    }
    return 0;
}

static int load_auth(const mv_conf *conf, const char *key, enum mv_auth_method *out, char **errmsg)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_conf_get_string(conf, key, &s, errmsg);

    if (r <= 0)
        return r;
    if (strcmp(s, "none") == 0)
        *out = MV_AUTH_METHOD_NONE;
    else if (strcmp(s, "sasl") == 0)
        *out = MV_AUTH_METHOD_SASL;
    else
        return fail(errmsg, -EINVAL, "%s: unknown method '%s' (use \"none\" or \"sasl\")", key, s);
    return 0;
}

static int load_uint(const mv_conf *conf, const char *key, long long max, unsigned int *out,
                     char **errmsg)
{
    long long v;
    int r = mv_conf_get_int(conf, key, 0, max, &v, errmsg);

    if (r > 0)
        *out = (unsigned int)v;
    return r < 0 ? r : 0;
}

static int load_settings(struct mv_remote_config *rc, const mv_conf *conf, char **errmsg)
{
    int r;

    if ((r = mv_conf_get_bool(conf, "listen_tls", &rc->listen_tls, errmsg)) < 0 ||
        (r = mv_conf_get_bool(conf, "listen_tcp", &rc->listen_tcp, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "tls_port", &rc->tls_port, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "tcp_port", &rc->tcp_port, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "listen_addr", &rc->listen_addr, errmsg)) < 0 ||
        (r = load_auth(conf, "auth_tls", &rc->auth_tls, errmsg)) < 0 ||
        (r = load_auth(conf, "auth_tcp", &rc->auth_tcp, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "ca_file", &rc->ca_file, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "cert_file", &rc->cert_file, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "key_file", &rc->key_file, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "crl_file", &rc->crl_file, errmsg)) < 0 ||
        (r = mv_conf_get_strv(conf, "tls_allowed_dn_list", &rc->allowed_dn, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "tls_priority", &rc->tls_priority, errmsg)) < 0 ||
        (r = load_uint(conf, "tls_handshake_timeout", 3600, &rc->tls_handshake_timeout, errmsg)) < 0 ||
        (r = mv_conf_get_strv(conf, "sasl_allowed_username_list", &rc->allowed_users, errmsg)) < 0 ||
        (r = load_uint(conf, "max_anonymous_clients", 100000, &rc->max_anonymous_clients, errmsg)) < 0)
        return r;
    rc->crl_explicit = rc->crl_file != NULL;
    return 0;
}

static int load_defaults(struct mv_remote_config *rc, const struct mv_paths *paths)
{
    if ((!rc->tls_port && !(rc->tls_port = strdup("16514"))) ||
        (!rc->tcp_port && !(rc->tcp_port = strdup("16509"))) ||
        (!rc->listen_addr && !(rc->listen_addr = strdup("0.0.0.0"))))
        return -ENOMEM;
    if (default_path(paths, "CA/cacert.pem", &rc->ca_file) < 0 ||
        default_path(paths, "libvirt/servercert.pem", &rc->cert_file) < 0 ||
        default_path(paths, "libvirt/private/serverkey.pem", &rc->key_file) < 0 ||
        default_path(paths, "CA/cacrl.pem", &rc->crl_file) < 0)
        return -ENOMEM;
    if (asprintf(&rc->sasl_confdir, "%s/etc/sasl2", paths->root ? paths->root : "") < 0) {
        rc->sasl_confdir = NULL;
        return -ENOMEM;
    }
    return 0;
}

static int load_tls(struct mv_remote_config *rc, struct mv_tls_context **ret, char **errmsg)
{
    /* a defaulted CRL is optional, as with libvirt; a named one is not */
    bool crl = rc->crl_explicit || access(rc->crl_file, F_OK) == 0;
    struct mv_tls_config tc = {
        .ca_file = rc->ca_file, .cert_file = rc->cert_file, .key_file = rc->key_file,
        .crl_file = crl ? rc->crl_file : NULL, .allowed_dn = rc->allowed_dn,
        .priority = rc->tls_priority,
    };

    return mv_tls_context_new(&tc, ret, errmsg);
}

/* True if the sockets systemd passes (not taken yet) include one named NAME. */
static bool activated(const char *name)
{
    _cleanup_strv_free_ char **names = NULL;
    int n = sd_listen_fds_with_names(false, &names);

    for (int i = 0; i < n && names; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return true;
    return false;
}

int mv_remote_config_load(struct mv_remote_config *rc, const mv_conf *conf,
                          const struct mv_paths *paths, char **errmsg)
{
    bool tls, tcp;
    int r;

    memset(rc, 0, sizeof(*rc));
    rc->auth_tls = MV_AUTH_METHOD_NONE;     /* the certificate is the credential */
    rc->auth_tcp = MV_AUTH_METHOD_SASL;
    rc->max_anonymous_clients = 20;
    rc->tls_handshake_timeout = 10;
    if ((r = load_settings(rc, conf, errmsg)) < 0 || (r = load_defaults(rc, paths)) < 0)
        return r;
    /* a socket systemd hands over counts as asked for: its certificates
     * and SASL must be ready (and bad files refused) before serving it */
    tls = rc->listen_tls || activated("tls");
    tcp = rc->listen_tcp || activated("tcp");
    if (tls && (r = load_tls(rc, &rc->tls, errmsg)) < 0)
        return r;
    if ((tls && rc->auth_tls == MV_AUTH_METHOD_SASL) || (tcp && rc->auth_tcp == MV_AUTH_METHOD_SASL)) {
        if ((r = mv_sasl_init(rc->sasl_confdir, errmsg)) < 0)
            return r;
        rc->sasl_ready = true;
        mv_sasl_allowed_users = rc->allowed_users;
    }
    return 0;
}

/* One remote socket: the activated FD, or our own on PORT. */
static int listen_kind(struct mv_remote_config *rc, struct mv_server *srv, int fd, const char *port,
                       const struct mv_listen_opts *o, const char *what, char **errmsg)
{
    int r;

    if (fd >= 0) {
        if ((r = mv_server_add_listener(srv, fd, o)) < 0)
            return fail(errmsg, r, "cannot serve the activated %s socket: %s", what, strerror(-r));
        mv_info("serving the activated %s socket", what);
        return 0;
    }
    if ((r = mv_server_listen_tcp(srv, rc->listen_addr, port, o, errmsg)) < 0)
        return r;
    mv_info("listening for %s on %s port %s", what, rc->listen_addr, port);
    return 0;
}

int mv_remote_listen(struct mv_remote_config *rc, struct mv_server *srv, int tls_fd, int tcp_fd,
                     char **errmsg)
{
    int r;

    if (tls_fd >= 0 && !rc->tls && (r = load_tls(rc, &rc->tls, errmsg)) < 0)
        return r;
    if (tls_fd >= 0 || rc->listen_tls) {
        struct mv_listen_opts o = { .remote = true, .auth = rc->auth_tls, .tls = rc->tls };

        if ((r = listen_kind(rc, srv, tls_fd, rc->tls_port, &o, "TLS", errmsg)) < 0)
            return r;
    }
    if (tcp_fd >= 0 || rc->listen_tcp) {
        struct mv_listen_opts o = { .remote = true, .auth = rc->auth_tcp };

        if (rc->auth_tcp == MV_AUTH_METHOD_NONE)
            mv_warn("auth_tcp = \"none\": anyone who can reach %s port %s gets full access, "
                    "unencrypted; use TLS or SASL", rc->listen_addr, rc->tcp_port);
        if ((r = listen_kind(rc, srv, tcp_fd, rc->tcp_port, &o, "TCP", errmsg)) < 0)
            return r;
    }
    return 0;
}

void mv_remote_reload(struct mv_remote_config *rc, struct mv_server *srv)
{
    _cleanup_free_ char *err = NULL;
    struct mv_tls_context *ctx = NULL;
    int r;

    if (!rc->tls) {
        mv_info("received SIGHUP: no TLS certificates to reload");
        return;
    }
    r = load_tls(rc, &ctx, &err);
    if (r < 0) {
        mv_error("received SIGHUP: keeping the current TLS certificates: %s",
                 err ? err : strerror(-r));
        return;
    }
    mv_server_set_tls(srv, ctx);
    mv_tls_context_unref(rc->tls);
    rc->tls = ctx;
    mv_info("received SIGHUP: TLS certificates reloaded from %s", rc->cert_file);
}

void mv_remote_config_clear(struct mv_remote_config *rc)
{
    mv_tls_context_unref(rc->tls);
    if (rc->sasl_ready) {
        mv_sasl_allowed_users = NULL;
        mv_sasl_done();
    }
    free(rc->tls_port);
    free(rc->tcp_port);
    free(rc->listen_addr);
    free(rc->ca_file);
    free(rc->cert_file);
    free(rc->key_file);
    free(rc->crl_file);
    free(rc->tls_priority);
    free(rc->sasl_confdir);
    mv_strv_free(rc->allowed_dn);
    mv_strv_free(rc->allowed_users);
    memset(rc, 0, sizeof(*rc));
}
