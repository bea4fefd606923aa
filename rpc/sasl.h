/*
 * SASL authentication for remote connections (cyrus-sasl, service
 * "libvirt"): AUTH_SASL_INIT / START / STEP (wire-protocol.md 5.4), the
 * username allowlist, and the security layer a mechanism may negotiate on
 * plain TCP (every byte after the last SASL reply goes through
 * sasl_encode / sasl_decode).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "transport.h"

/* Once per process, before any session: CONFDIR is where cyrus-sasl finds
 * libvirt.conf (mech_list, sasldb_path): /etc/sasl2, or ROOT/etc/sasl2
 * under --root.  -EIO with *errmsg on failure. */
int mv_sasl_init(const char *confdir, char **errmsg);
void mv_sasl_done(void);

struct mv_sasl_session;

/* What the connection under the session is. */
struct mv_sasl_conn_info {
    const char *local_addr;     /* "IP;PORT" as cyrus-sasl wants, NULL for a unix socket */
    const char *remote_addr;
    unsigned int external_ssf;  /* TLS cipher bits, 0 on plain TCP / unix */
    bool need_layer;            /* plain TCP: a mechanism must give SSF >= 56 */
};

/* A session for one client; ALLOWED (NULL: any authenticated user) are
 * fnmatch(3) globs on the user name. */
int mv_sasl_session_new(const struct mv_sasl_conn_info *info, char *const *allowed,
                        struct mv_sasl_session **ret, struct mv_err *err);
/* AUTH_SASL_INIT: the mechanisms, comma-separated (malloc'd). */
int mv_sasl_session_mechlist(struct mv_sasl_session *s, char **mechlist, struct mv_err *err);
/* START (MECH non-NULL) or STEP (MECH NULL) with the client's data (IN NULL
 * = nil).  *COMPLETE is 1 when the exchange succeeded, the SSF rule held
 * and the user is allowed; *OUT (malloc'd or NULL = nil) goes back either
 * way.  Failure: ERR set, code 45 domain 7 ("authentication failed: …"),
 * the reason (wrong password, user not allowed, SSF too weak) logged. */
int mv_sasl_session_step(struct mv_sasl_session *s, const char *mech, const char *in,
                         size_t inlen, char **out, size_t *outlen, int *complete,
                         struct mv_err *err);
/* The authenticated user name (after *COMPLETE = 1). */
const char *mv_sasl_session_user(const struct mv_sasl_session *s);
/* True if the completed exchange negotiated a security layer (SSF > 0
 * beyond the external one): the connection must switch to the transport. */
bool mv_sasl_session_has_layer(const struct mv_sasl_session *s);
/* The security layer over socket FD (not taken) as a transport; its free()
 * does not free S (the client owns S). */
struct mv_transport mv_sasl_session_transport(struct mv_sasl_session *s, int fd);
void mv_sasl_session_free(struct mv_sasl_session *s);
