/* Placeholder until rpc/sasl.c lands (issue 13, helper B). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"

int mv_sasl_init(const char *confdir, char **errmsg) { return 0; }
void mv_sasl_done(void) {}
int mv_sasl_session_new(const struct mv_sasl_conn_info *info, char *const *allowed,
                        struct mv_sasl_session **ret, struct mv_err *err) { return -ENOTSUP; }
int mv_sasl_session_mechlist(struct mv_sasl_session *s, char **mechlist, struct mv_err *err) { return -ENOTSUP; }
int mv_sasl_session_step(struct mv_sasl_session *s, const char *mech, const char *in,
                         size_t inlen, char **out, size_t *outlen, int *complete,
                         struct mv_err *err) { return -ENOTSUP; }
const char *mv_sasl_session_user(const struct mv_sasl_session *s) { return NULL; }
bool mv_sasl_session_has_layer(const struct mv_sasl_session *s) { return false; }
struct mv_transport mv_sasl_session_transport(struct mv_sasl_session *s, int fd) { return (struct mv_transport){ 0 }; }
void mv_sasl_session_free(struct mv_sasl_session *s) {}
