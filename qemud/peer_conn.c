/* qemud's connections to the other modvirt daemons (peer_conn.h). */
#define MV_LOG_MODULE "qemud.peer"
#include <errno.h>

#include "cleanup.h"
#include "peer_conn.h"
#include "remote_protocol.h"

void qemud_peer_close(struct qemud_peer *p)
{
    mv_rpc_client_free(p->rpc);
    p->rpc = NULL;
}

int qemud_peer_call(struct qemud_peer *p, int proc, xdrproc_t af, const void *args, xdrproc_t rf, void *ret,
                    struct mv_err *err)
{
    return mv_rpc_client_call(p->rpc, MV_REMOTE_PROGRAM, proc, af, args, rf, ret, err);
}

/* AUTH_LIST, then polkit if the daemon asks for it (root passes), as any client. */
static int authenticate(struct qemud_peer *p, const char *path, struct mv_err *err)
{
    mv_auth_list_ret list = { 0 };
    mv_auth_polkit_ret polkit = { 0 };
    mv_auth_type method;
    int r = qemud_peer_call(p, MV_PROC_AUTH_LIST, NULL, NULL, (xdrproc_t)xdr_mv_auth_list_ret, &list, err);

    if (r < 0)
        return r;
    method = list.types.types_len ? list.types.types_val[0] : MV_AUTH_NONE;
    xdr_free((xdrproc_t)xdr_mv_auth_list_ret, (char *)&list);
    if (method == MV_AUTH_NONE)
        return 0;
    if (method != MV_AUTH_POLKIT)
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                          "authentication failed: '%s' asks for an authentication qemud does not do", path);
    r = qemud_peer_call(p, MV_PROC_AUTH_POLKIT, NULL, NULL, (xdrproc_t)xdr_mv_auth_polkit_ret, &polkit, err);
    if (r == 0 && polkit.complete != 1)
        r = mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                       "authentication failed: polkit at '%s' did not complete", path);
    return r;
}

int qemud_peer_open(struct qemud_peer *p, struct mv_err *err)
{
    _cleanup_free_ char *path = NULL;
    char *uri = (char *)p->uri;
    mv_connect_open_args args = { .name = &uri, .flags = 0 };
    int r;

    if (p->rpc && mv_rpc_client_is_alive(p->rpc))
        return 0;
    qemud_peer_close(p);
    if (!(path = mv_paths_socket(p->paths, p->daemon, false)))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    /* the error names the socket and asks whether the daemon runs */
    if ((r = mv_rpc_client_connect_unix(path, &p->rpc, err)) < 0)
        return r;
    mv_rpc_client_set_timeout(p->rpc, p->timeout_ms);
    if ((r = authenticate(p, path, err)) < 0 ||
        (r = qemud_peer_call(p, MV_PROC_CONNECT_OPEN, (xdrproc_t)xdr_mv_connect_open_args, &args, NULL, NULL,
                             err)) < 0)
        qemud_peer_close(p);
    return r;
}
