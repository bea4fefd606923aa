/*
 * AUTH_SASL_INIT / START / STEP: the client's SASL session lives in its slot
 * from INIT until the connection closes (the security layer, if any, keeps
 * using it).  A failed exchange discards the session, as libvirt does; the
 * client may INIT again.
 */
#define MV_LOG_MODULE "rpc.conn"
#include <errno.h>
#include <stdlib.h>

#include "conn_sasl.h"
#include "log.h"
#include "server_internal.h"

char **mv_sasl_allowed_users;

static int refuse_not_sasl(struct mv_call *call)
{
    return mv_call_error(call, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                         "authentication failed: SASL is not enabled on this socket");
}

static int refuse(struct mv_call *call, const char *why)
{
    mv_info("SASL: %s", why);
    return mv_call_error(call, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                         "authentication failed: authentication failed");
}

int mv_conn_auth_sasl_init(struct mv_call *call, void *args, mv_auth_sasl_init_ret *ret)
{
    struct mv_client *c = call->client;
    struct mv_sasl_session **slot = mv_client_sasl_slot(c);
    struct mv_sasl_conn_info info = { 0 };
    struct mv_sasl_session *s;
    char *mechlist;
    int r;

    if (!mv_client_auth_is_sasl(c))
        return refuse_not_sasl(call);
    if (*slot)
        return refuse(call, "client sent a second INIT");
    r = mv_client_sasl_info(c, &info);
    if (r < 0)
        return r;
    r = mv_sasl_session_new(&info, mv_sasl_allowed_users, &s, &call->err);
    if (r < 0)
        return r;
    r = mv_sasl_session_mechlist(s, &mechlist, &call->err);
    if (r < 0) {
        mv_sasl_session_free(s);
        return r;
    }
    *slot = s;
    ret->mechlist = mechlist;
    return 0;
}

/* After START or STEP: on failure the session goes; on success the user
 * becomes the client's identity and a layer, if negotiated, starts after
 * this reply. */
static int step_done(struct mv_call *call, struct mv_sasl_session **slot, int r, char *out,
                     size_t outlen, int complete, int *ret_complete, int *ret_nil,
                     u_int *ret_len, char **ret_val)
{
    struct mv_client *c = call->client;

    if (r < 0) {
        mv_sasl_session_free(*slot);
        *slot = NULL;
        mv_client_sasl_failed(c);
        return r;
    }
    if (outlen > MV_AUTH_SASL_DATA_MAX) {
        free(out);
        mv_sasl_session_free(*slot);
        *slot = NULL;
        return refuse(call, "mechanism produced more than 65536 bytes");
    }
    if (complete) {
        r = mv_client_set_sasl_user(c, mv_sasl_session_user(*slot));
        if (r < 0) {
            free(out);
            return r;
        }
        if (mv_sasl_session_has_layer(*slot))
            mv_client_start_sasl_layer(c);
    }
    *ret_complete = complete;
    *ret_nil = out == NULL;
    *ret_val = out;
    *ret_len = (u_int)outlen;
    return 0;
}

/* START (MECH set) or STEP (MECH NULL) with the client's data, a nil
 * array being NULL */
static int exchange(struct mv_call *call, const char *mech, int nil, u_int len, const char *val,
                    int *ret_complete, int *ret_nil, u_int *ret_len, char **ret_val)
{
    struct mv_client *c = call->client;
    struct mv_sasl_session **slot = mv_client_sasl_slot(c);
    /* empty, not nil: SASL tells them apart, and val may be NULL */
    const char *in = nil ? NULL : val ? val : "";
    char *out = NULL;
    size_t outlen = 0;
    int complete = 0;
    int r;

    if (!mv_client_auth_is_sasl(c))
        return refuse_not_sasl(call);
    if (!*slot)
        return refuse(call, mech ? "client sent START without INIT" : "client sent STEP without INIT");
    r = mv_sasl_session_step(*slot, mech, in, len, &out, &outlen, &complete, &call->err);
    return step_done(call, slot, r, out, outlen, complete, ret_complete, ret_nil, ret_len, ret_val);
}

int mv_conn_auth_sasl_start(struct mv_call *call, mv_auth_sasl_start_args *args,
                            mv_auth_sasl_start_ret *ret)
{
    return exchange(call, args->mech, args->nil, args->data.data_len, args->data.data_val,
                    &ret->complete, &ret->nil, &ret->data.data_len, &ret->data.data_val);
}

int mv_conn_auth_sasl_step(struct mv_call *call, mv_auth_sasl_step_args *args,
                           mv_auth_sasl_step_ret *ret)
{
    return exchange(call, NULL, args->nil, args->data.data_len, args->data.data_val,
                    &ret->complete, &ret->nil, &ret->data.data_len, &ret->data.data_val);
}
