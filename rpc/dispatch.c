/*
 * From a received packet to a reply.  Every CALL goes through the same
 * checks in the same order: program and version, status, authentication,
 * the read-only rule, CONNECT_OPEN, then the handler.  A failed check
 * answers with an error reply and keeps the connection.
 */
#define MV_LOG_MODULE "rpc.dispatch"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "keepalive_protocol.h"
#include "log.h"
#include "proc_table.h"
#include "server_internal.h"

/* The reply packet: the result, or the call's error, with the call's
 * header.  -errno if it cannot be encoded (too large, out of memory, a
 * value the filter refuses). */
static int encode_result(const struct mv_msg *req, const struct mv_err *err, xdrproc_t filter,
                         const void *ret, struct mv_msg **out)
{
    struct mv_message_header hdr = req->hdr;
    _cleanup_msg_ struct mv_msg *m = NULL;
    int r;

    if (mv_err_is_set(err))
        return mv_msg_error_packet(&req->hdr, MV_REPLY, err, out);
    if (!(m = mv_msg_new()))
        return -ENOMEM;
    hdr.type = MV_REPLY;
    hdr.status = MV_OK;
    if ((r = mv_msg_encode(m, &hdr, filter, ret)) < 0)
        return r;
    *out = TAKE_PTR(m);
    return 0;
}

/* The error that replaces a reply which could not be encoded.  A static
 * message, so that it needs as little memory as possible. */
static struct mv_msg *encode_fallback(const struct mv_msg *req, int cause)
{
    struct mv_err e = { 0 };
    struct mv_msg *m = NULL;
    const char *what = cause == -EMSGSIZE ? "the reply is too large to send" :
                       cause == -ENOMEM ? "out of memory while encoding the reply" :
                       "the reply cannot be encoded";

    /* without memory for the message, the error travels without one */
    mv_err_set(&e, cause == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_RPC, MV_FROM_RPC,
               "%s (procedure %d)", what, req->hdr.proc);
    if (encode_result(req, &e, NULL, NULL, &m) < 0)
        m = NULL;
    mv_err_clear(&e);
    return m;
}

/* A reply for every call: the result, else an error saying why it could
 * not be sent.  NULL only if not even that could be built (the caller then
 * closes the connection rather than let the client wait forever). */
static struct mv_msg *encode_reply(const struct mv_msg *req, const struct mv_err *err,
                                   xdrproc_t filter, const void *ret)
{
    struct mv_msg *m = NULL;
    int r = encode_result(req, err, filter, ret, &m);

    if (r < 0) {
        mv_debug("procedure %d: the %s reply cannot be encoded: %s", req->hdr.proc,
                 mv_err_is_set(err) ? "error" : "OK", strerror(-r));
        m = encode_fallback(req, r);
    }
    return m;
}

/* Immediate error answer on the event loop thread. */
static void reply_error(struct mv_client *c, const struct mv_msg *req, int code, int domain,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reply_error(struct mv_client *c, const struct mv_msg *req, int code, int domain,
                        const char *fmt, ...)
{
    struct mv_err err = { 0 };
    _cleanup_free_ char *msg = NULL;
    struct mv_msg *reply;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    mv_err_set(&err, code, domain, "%s", msg ? msg : "unknown error");
    reply = encode_reply(req, &err, NULL, NULL);
    mv_err_clear(&err);
    if (reply)
        mv_client_queue_tx(c, reply);
    else
        mv_client_reply_lost(c, "no error reply could be encoded for a call");
}

static const struct mv_dispatch_entry *find_handler(const struct mv_server *srv, uint32_t prog, int proc)
{
    int p = mv_program_index(prog);

    return p >= 0 && proc > 0 && proc < MV_PROC_NUMBER_MAX ? srv->handlers[p][proc] : NULL;
}

/* Check 1: a program and version this server serves. */
static bool program_served(const struct mv_server *srv, const struct mv_message_header *h)
{
    const struct mv_program *p = mv_program_lookup(h->prog);

    return p && p->vers == h->vers && srv->serves[mv_program_index(h->prog)];
}

/* The access checks, in their fixed order.  Returns true if the call may run. */
static bool call_permitted(struct mv_client *c, const struct mv_msg *req,
                           const struct mv_proc_info *info)
{
    if (!info)
        return true;    /* unknown procedures get "unknown procedure" below */
    if (!atomic_load(&c->authenticated) && !(info->flags & MV_PROC_BEFORE_AUTH)) {
        reply_error(c, req, MV_ERR_RPC, MV_FROM_RPC, "authentication required");
        return false;
    }
    if (c->ident.readonly && !(info->flags & MV_PROC_READONLY_OK)) {
        reply_error(c, req, MV_ERR_OPERATION_DENIED, mv_proc_denial_domain(info),
                    "operation forbidden: read only access prevents %s", info->api);
        return false;
    }
    if (!c->opened && !(info->flags & MV_PROC_BEFORE_OPEN)) {
        reply_error(c, req, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                    "internal error: the connection is not open (CONNECT_OPEN first)");
        return false;
    }
    return true;
}

static void call_free(struct mv_call *call)
{
    /* a stream whose call was never answered OK is released here */
    mv_stream_call_done(call, false);
    if (call->args) {
        xdr_free(call->info->args_filter, call->args);
        free(call->args);
    }
    if (call->ret) {
        xdr_free(call->info->ret_filter, call->ret);
        free(call->ret);
    }
    mv_err_clear(&call->err);
    mv_msg_free(call->req);
    mv_client_unref(call->client);
    free(call);
}

void mv_dispatch_drop(void *job)
{
    call_free(job);
}

static struct mv_msg *call_execute(struct mv_call *call)
{
    const struct mv_proc_info *info = call->info;
    /* the generated switch calls the handler with the procedure's own types */
    int r = mv_handler_invoke(info->prog, info->proc, &call->entry->fn, call, call->args, call->ret);

    if (r < 0 && !mv_err_is_set(&call->err))
        mv_err_set(&call->err, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                   "internal error: %s failed: %s", info->name, strerror(-r));
    return encode_reply(call->req, &call->err, info->ret_filter, call->ret);
}

/* Worker side: run the handler, hand the reply back to the event loop. */
void mv_dispatch_run(void *job)
{
    struct mv_call *call = job;
    struct mv_msg *reply = call_execute(call);

    mv_server_post(call->client->srv, call->client, reply, MV_OUT_REPLY);
    call_free(call);
}

static int call_prepare(struct mv_client *c, struct mv_msg *req, const struct mv_proc_info *info,
                        const struct mv_dispatch_entry *entry, struct mv_call **ret)
{
    struct mv_call *call = calloc(1, sizeof(*call));

    if (!call)
        return -ENOMEM;
    call->client = mv_client_ref(c);
    call->req = req;
    call->info = info;
    call->entry = entry;
    call->args = calloc(1, info->args_size ? info->args_size : 1);
    call->ret = calloc(1, info->ret_size ? info->ret_size : 1);
    if (!call->args || !call->ret) {
        call->req = NULL;
        call_free(call);
        return -ENOMEM;
    }
    /* void arguments are decoded too: trailing bytes make the call invalid */
    if (mv_msg_decode_payload(req, info->args_filter, call->args) < 0) {
        free(call->args);
        call->args = NULL;
        call->req = NULL;
        call_free(call);
        return -EBADMSG;
    }
    *ret = call;
    return 0;
}

static void dispatch_call(struct mv_client *c, struct mv_msg *req)
{
    struct mv_server *srv = c->srv;
    /* an event's number is "unknown" like any other */
    const struct mv_proc_info *info = mv_program_call_lookup(req->hdr.prog, req->hdr.proc);
    const struct mv_dispatch_entry *entry;
    struct mv_call *call = NULL;
    int r;

    if (!call_permitted(c, req, info))
        goto done;
    /* a proxy answers connection-level calls itself, forwards the rest */
    if (srv->driver->forwarder && info && info->subsystem != MV_SUBSYS_CONNECT) {
        c->inflight++;
        srv->driver->forwarder->call(c, req, info);
        return;
    }
    entry = find_handler(srv, req->hdr.prog, req->hdr.proc);
    if (!entry || !info) {
        reply_error(c, req, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: %d", req->hdr.proc);
        goto done;
    }
    r = call_prepare(c, req, info, entry, &call);
    if (r == -EBADMSG) {
        reply_error(c, req, MV_ERR_RPC, MV_FROM_RPC,
                    "cannot decode the arguments of procedure %s", info->name);
        goto done;
    }
    if (r < 0) {
        reply_error(c, req, MV_ERR_NO_MEMORY, MV_FROM_RPC, "out of memory");
        goto done;
    }
    if (info->flags & MV_PROC_INLINE) {
        struct mv_msg *reply = call_execute(call);
        bool ok = reply && reply->hdr.status == MV_OK;

        if (reply)
            mv_client_queue_tx(c, reply);
        /* after the reply: stream data never overtakes it */
        mv_stream_call_done(call, ok);
        call_free(call);
        if (!reply)
            mv_client_reply_lost(c, "no reply could be encoded for a call, not even an error");
        return;
    }
    c->inflight++;
    if (mv_worker_pool_push(srv->workers, call) < 0) {
        c->inflight--;
        call->req = NULL;
        call_free(call);
        reply_error(c, req, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: the daemon is shutting down");
        goto done;
    }
    return;
done:
    mv_msg_free(req);
}

void mv_dispatch_packet(struct mv_client *c, struct mv_msg *msg)
{
    const struct mv_message_header *h = &msg->hdr;

    if (h->prog == MV_KEEPALIVE_PROGRAM) {
        mv_client_handle_keepalive(c, msg);
        mv_msg_free(msg);
        return;
    }
    if (h->type == MV_STREAM || h->type == MV_STREAM_HOLE) {
        mv_stream_dispatch(c, msg);
        return;
    }
    /* no server here receives file descriptors (feature 8 says so): an
     * fd-carrying call is refused rather than dropped, so no client waits
     * for its reply forever */
    if (h->type == MV_CALL_WITH_FDS) {
        reply_error(c, msg, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_RPC,
                    "this operation is not supported: modvirt-%s does not accept file "
                    "descriptors (procedure %d)", c->srv->driver->name, h->proc);
        mv_msg_free(msg);
        return;
    }
    /* libvirt answers only CALLs; anything else from a client is dropped */
    if (h->type != MV_CALL) {
        mv_debug("client %lu: dropping packet of type %d for procedure %d",
                 c->id, h->type, h->proc);
        mv_msg_free(msg);
        return;
    }
    if (!program_served(c->srv, h)) {
        reply_error(c, msg, MV_ERR_RPC, MV_FROM_RPC, "Cannot find program %u version %u",
                    h->prog, h->vers);
        mv_msg_free(msg);
        return;
    }
    if (h->status != MV_OK) {
        reply_error(c, msg, MV_ERR_RPC, MV_FROM_RPC, "Unexpected message status %d", h->status);
        mv_msg_free(msg);
        return;
    }
    dispatch_call(c, msg);
}

/* ---- accessors for handlers ---- */

const struct mv_identity *mv_call_identity(const struct mv_call *call)
{
    return &call->client->ident;
}

struct mv_client *mv_call_client(struct mv_call *call)
{
    return call->client;
}

int mv_call_proc(const struct mv_call *call)
{
    return call->req->hdr.proc;
}

int mv_call_error(struct mv_call *call, int code, int domain, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    return mv_err_set(&call->err, code, domain, "%s", msg ? msg : "unknown error");
}
