/*
 * Remote access for a daemon that serves it (modvirt-proxyd): the settings
 * (libvirt's names: listen_tls, tls_port, auth_tls, key_file, ...), the TLS
 * certificates checked before anything listens, SASL set up, the TCP
 * listeners (own or socket-activated "tls" / "tcp"), and SIGHUP reloading
 * the certificates.  See modvirt-remote(7).
 */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "paths.h"
#include "server.h"

struct mv_remote_config {
    bool listen_tls, listen_tcp;
    char *tls_port, *tcp_port, *listen_addr;
    enum mv_auth_method auth_tls, auth_tcp;
    char *ca_file, *cert_file, *key_file, *crl_file;
    bool crl_explicit;              /* crl_file was set: it must exist */
    char **allowed_dn;              /* tls_allowed_dn_list */
    char **allowed_users;           /* sasl_allowed_username_list */
    char *tls_priority;
    char *sasl_confdir;
    unsigned int max_anonymous_clients;
    unsigned int tls_handshake_timeout;
    struct mv_tls_context *tls;     /* loaded when TLS is used */
    bool sasl_ready;
};

extern const char *const mv_remote_config_keys[];

/* Reads the settings (defaults: libvirt's, files under PATHS->root if
 * set), then loads and checks the certificates and sets up SASL if a
 * socket needs them.  -errno with *errmsg naming the key or file: the
 * daemon must not start (exit 2). */
int mv_remote_config_load(struct mv_remote_config *rc, const mv_conf *conf,
                          const struct mv_paths *paths, char **errmsg);
/* Serves the TLS and TCP sockets: the activated fds TLS_FD / TCP_FD (-1:
 * none; then our own sockets if listen_tls / listen_tcp). */
int mv_remote_listen(struct mv_remote_config *rc, struct mv_server *srv, int tls_fd, int tcp_fd,
                     char **errmsg);
/* SIGHUP: loads the certificates again; on success new connections use
 * them (connected clients keep their sessions), on failure the old ones
 * stay and the error is logged. */
void mv_remote_reload(struct mv_remote_config *rc, struct mv_server *srv);
void mv_remote_config_clear(struct mv_remote_config *rc);
