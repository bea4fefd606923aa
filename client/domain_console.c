/*
 * Domain consoles: DOMAIN_OPEN_CONSOLE opens a bidirectional stream on the
 * daemon connection that serves domains (wire-protocol.md 7.1-7.2).  Guest
 * output arrives through the RPC client's stream callback on whichever
 * thread reads that connection; input goes out as stream data; closing
 * finishes the stream (or aborts it if it already failed).
 */
#define MV_LOG_MODULE "client.console"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

struct modvirt_console {
    struct mv_rpc_client *rpc;  /* the connection carrying the stream */
    struct mv_rpc_stream *st;   /* NULL once finished or aborted */
    modvirt_console_fn fn;
    void *opaque;
    bool failed;                /* the daemon ended the stream with an error */
};

/* The RPC client's stream callback: output, end of file, or failure. */
static void on_stream(struct mv_rpc_stream *st, const void *data, size_t len,
                      const struct mv_err *e, void *opaque)
{
    modvirt_console *con = opaque;

    if (e) {
        modvirt_error me = { .code = e->code, .domain = e->domain, .message = e->message };

        con->failed = true;
        con->fn(con, NULL, 0, &me, con->opaque);
        return;
    }
    con->fn(con, len ? data : NULL, len, NULL, con->opaque);
}

int modvirt_domain_console_open(modvirt_domain *dom, const char *devname, unsigned int flags,
                                modvirt_console_fn fn, void *opaque, modvirt_console **con,
                                modvirt_error **err)
{
    _cleanup_free_ modvirt_console *c = calloc(1, sizeof(*c));
    char *dev = (char *)devname;
    mv_domain_open_console_args args = {
        .dom = modvirt_domain_to_wire(dom), .dev_name = devname ? &dev : NULL, .flags = flags,
    };
    struct mv_err e = { 0 };
    int r;

    if (!fn)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_STREAMS,
                                 "invalid argument: no console output callback");
    if (!c)
        return modvirt_error_nomem(err);
    c->fn = fn;
    c->opaque = opaque;
    r = modvirt_conn_rpc(dom->conn, MV_PROC_DOMAIN_OPEN_CONSOLE, &c->rpc, err);
    if (r < 0)
        return r;
    r = mv_rpc_client_call_stream(c->rpc, MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_OPEN_CONSOLE,
                                  (xdrproc_t)xdr_mv_domain_open_console_args, &args, NULL, NULL,
                                  on_stream, c, &c->st, &e);
    if (r < 0)
        return modvirt_rpc_fail(&e, err, r);
    *con = TAKE_PTR(c);
    return 0;
}

int modvirt_domain_console_send(modvirt_console *con, const void *data, size_t len,
                                modvirt_error **err)
{
    struct mv_err e = { 0 };
    int r;

    if (!con->st || con->failed)
        return modvirt_error_set(err, -EPIPE, MV_ERR_OPERATION_INVALID, MV_FROM_STREAMS,
                                 "the console is closed");
    r = mv_rpc_stream_send(con->st, data, len, &e);
    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}

int modvirt_domain_console_fd(modvirt_console *con)
{
    return mv_rpc_client_fd(con->rpc);
}

int modvirt_domain_console_process(modvirt_console *con, int timeout_ms, modvirt_error **err)
{
    return modvirt_rpc_process(con->rpc, timeout_ms, err);
}

int modvirt_domain_console_close(modvirt_console *con, modvirt_error **err)
{
    struct mv_err e = { 0 };
    int r;

    if (!con)
        return 0;
    if (con->failed) {
        /* the daemon already ended it and the caller has had the error */
        mv_rpc_stream_abort(con->st, &e);
        mv_err_clear(&e);
        r = 0;
    } else {
        r = mv_rpc_stream_finish(con->st, &e);
    }
    free(con);
    return r < 0 ? modvirt_rpc_fail(&e, err, r) : 0;
}
