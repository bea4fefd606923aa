/* Placeholder until rpc/conn_sasl.c lands (issue 13, helper B): the
 * AUTH_SASL_* procedures stay "not implemented" in conn_procs.c. */
#include "sasl.h"

char **mv_sasl_allowed_users;
