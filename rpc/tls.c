/* Placeholder until rpc/tls.c lands (issue 13, helper A). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int mv_tls_context_new(const struct mv_tls_config *cfg, struct mv_tls_context **ret, char **errmsg)
{
    *errmsg = strdup("TLS is not built yet");
    return -ENOTSUP;
}
struct mv_tls_context *mv_tls_context_ref(struct mv_tls_context *ctx) { return ctx; }
void mv_tls_context_unref(struct mv_tls_context *ctx) {}
int mv_tls_session_new(struct mv_tls_context *ctx, int fd, struct mv_tls_session **ret) { return -ENOTSUP; }
int mv_tls_session_handshake(struct mv_tls_session *s, char **why) { return -ENOTSUP; }
bool mv_tls_session_wants_write(const struct mv_tls_session *s) { return false; }
const char *mv_tls_session_dname(const struct mv_tls_session *s) { return NULL; }
unsigned int mv_tls_session_ssf(const struct mv_tls_session *s) { return 0; }
struct mv_transport mv_tls_session_transport(struct mv_tls_session *s) { return (struct mv_transport){ 0 }; }
void mv_tls_session_free(struct mv_tls_session *s) {}
