/*
 * TLS for the server side of remote connections (gnutls, x509): loading and
 * checking the certificates once (a daemon refuses to start on a bad file,
 * naming it), then one session per client with the client's certificate
 * required and verified (chain, dates, key usage, CRL) and its DN matched
 * against an allowlist.  wire-protocol.md 5.2; libvirt's file layout.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "transport.h"

struct mv_tls_config {
    const char *ca_file;        /* required: the CA(s) client certificates must chain to */
    const char *cert_file;      /* required: the server's certificate */
    const char *key_file;       /* required: its private key (no group/other access) */
    const char *crl_file;       /* optional: NULL, or a file that must exist */
    char *const *allowed_dn;    /* NULL: any verified client; else fnmatch(3) globs on the DN */
    const char *priority;       /* gnutls priority string; NULL: "NORMAL" */
};

struct mv_tls_context;
struct mv_tls_session;

/* Loads and checks everything CFG names (files readable, key private and
 * matching the certificate, the server certificate valid now and signed
 * by the CA, the priority string understood).  On failure *errmsg names
 * the file and what is wrong ("key file '/x/serverkey.pem' is readable by
 * group or others (mode 0644); chmod 0600 it"); -EINVAL / -ENOENT / -EACCES. */
int mv_tls_context_new(const struct mv_tls_config *cfg, struct mv_tls_context **ret, char **errmsg);
/* Sessions hold a reference: a reload (a new context) leaves live
 * sessions on the old one until they end. */
struct mv_tls_context *mv_tls_context_ref(struct mv_tls_context *ctx);
void mv_tls_context_unref(struct mv_tls_context *ctx);

/* A server session on the connected non-blocking socket FD (not taken). */
int mv_tls_session_new(struct mv_tls_context *ctx, int fd, struct mv_tls_session **ret);
/* Advances the handshake.  1 = done, the client's certificate verified and
 * its DN allowed; 0 = call again when the socket is ready in the direction
 * mv_tls_session_wants_write() says; <0 = refused: *why (malloc'd) says
 * what, naming the certificate's subject where there is one ("client
 * certificate 'CN=x,O=y' has expired", "… is not signed by a trusted CA",
 * "DN 'CN=x' is not in tls_allowed_dn_list", "client sent no certificate",
 * "not a TLS handshake: …").  No TLS 1.3 session tickets are sent (libvirt's
 * client expects the confirmation byte as the first record). */
int mv_tls_session_handshake(struct mv_tls_session *s, char **why);
bool mv_tls_session_wants_write(const struct mv_tls_session *s);
/* The client certificate's DN (RFC 4514), once the handshake is done. */
const char *mv_tls_session_dname(const struct mv_tls_session *s);
/* The same DN in gnutls' compat order ("C=GB,ST=London,...,CN=x"): what
 * libvirt's server reports as the x509 identity and its deployments'
 * tls_allowed_dn_list entries are written against. */
const char *mv_tls_session_dname_compat(const struct mv_tls_session *s);
/* The cipher's key size in bits (SASL's external SSF), after the handshake. */
unsigned int mv_tls_session_ssf(const struct mv_tls_session *s);
/* The transport (ops + S as ctx) for the connection after the handshake;
 * its free() frees S. */
struct mv_transport mv_tls_session_transport(struct mv_tls_session *s);
/* Frees S (no close_notify is sent: the socket owner closes). NULL ok. */
void mv_tls_session_free(struct mv_tls_session *s);
