/* Event callback ids of one proxy client across its daemons: see events.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "events.h"

/* What is on its way to the daemon for a registration. */
enum reg_op {
    OP_NONE,
    OP_REGISTER,        /* the client's REGISTER call (no client id yet) */
    OP_DEREGISTER,      /* the client's DEREGISTER call */
    OP_REPLAY,          /* the proxy's own REGISTER, replayed on a new leg */
};

struct reg {
    enum mv_subsystem subsys;
    enum reg_op op;
    unsigned int serial;        /* the client's serial of OP_REGISTER / OP_DEREGISTER */
    int client_id;              /* 0 until the daemon accepted the registration */
    int upstream_id;            /* the daemon's id, if bound */
    bool bound;                 /* the daemon on the current leg holds it */
    bool abandoned;             /* the client deregistered it while a replay was on its way */
    struct mv_msg *call;        /* the registration call, for the replay */
};

struct proxyd_events {
    struct reg *regs;
    size_t n, cap;
    int next_id;                /* the next client id to try */
};

int proxyd_events_new(struct proxyd_events **ret)
{
    struct proxyd_events *ev = calloc(1, sizeof(*ev));

    if (!ev)
        return -ENOMEM;
    ev->next_id = 1;
    *ret = ev;
    return 0;
}

void proxyd_events_free(struct proxyd_events *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        mv_msg_free(ev->regs[i].call);
    free(ev->regs);
    free(ev);
}

size_t proxyd_events_count(const struct proxyd_events *ev)
{
    return ev->n;
}

static void reg_remove(struct proxyd_events *ev, struct reg *reg)
{
    mv_msg_free(reg->call);
    *reg = ev->regs[--ev->n];
}

/* --- the callbackID at the start of a payload -------------------------- */

static int payload_id_get(const struct mv_msg *m, int *id)
{
    XDR xdr;
    bool ok;

    if (m->payload_off > m->len)
        return -EBADMSG;
    xdrmem_create(&xdr, m->buf + m->payload_off, (unsigned int)(m->len - m->payload_off), XDR_DECODE);
    ok = xdr_int(&xdr, id);
    xdr_destroy(&xdr);
    return ok ? 0 : -EBADMSG;
}

static int payload_id_set(struct mv_msg *m, int id)
{
    XDR xdr;
    bool ok;

    if (m->payload_off > m->len)
        return -EBADMSG;
    xdrmem_create(&xdr, m->buf + m->payload_off, (unsigned int)(m->len - m->payload_off), XDR_ENCODE);
    ok = xdr_int(&xdr, &id);
    xdr_destroy(&xdr);
    return ok ? 0 : -EBADMSG;
}

/* --- answers the proxy gives itself ------------------------------------ */

static int local_reply(const struct mv_msg *req, const struct mv_err *err, struct mv_msg **reply)
{
    struct mv_message_header hdr = req->hdr;
    _cleanup_msg_ struct mv_msg *m = NULL;
    int r;

    if (mv_err_is_set(err)) {
        r = mv_msg_error_packet(&req->hdr, MV_REPLY, err, reply);
        return r < 0 ? r : PROXYD_EVENTS_ANSWERED;
    }
    hdr.type = MV_REPLY;
    hdr.status = MV_OK;
    if (!(m = mv_msg_new()) || mv_msg_encode(m, &hdr, NULL, NULL) < 0)
        return -ENOMEM;
    *reply = TAKE_PTR(m);
    return PROXYD_EVENTS_ANSWERED;
}

/* Answers REQ with the error given by the format. */
static int __attribute__((format(printf, 5, 6)))
local_error(const struct mv_msg *req, struct mv_msg **reply, int code, int domain, const char *fmt, ...)
{
    struct mv_err err = { 0 };
    _cleanup_free_ char *text = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    mv_err_set(&err, code, domain, "%s", text);
    r = local_reply(req, &err, reply);
    mv_err_clear(&err);
    return r;
}

/* The kind of object a (de)registration procedure is about, as libvirt's
 * daemon names it in its errors: "virConnectStoragePoolEventDeregisterAny"
 * -> "storage pool".  Taken from the procedure's API so that a new kind
 * (node devices) needs no table here. */
static void object_kind(const struct mv_proc_info *info, char *out, size_t size)
{
    static const char prefix[] = "virConnect";
    const char *p = info->api ? info->api : "";
    const char *end = strstr(p, "Event");
    size_t o = 0;

    if (strncmp(p, prefix, sizeof(prefix) - 1) != 0 || !end) {
        snprintf(out, size, "%s", mv_subsystem_name(info->subsystem));
        return;
    }
    for (p += sizeof(prefix) - 1; p < end && o + 2 < size; p++) {
        if (isupper((unsigned char)*p) && o > 0)
            out[o++] = ' ';
        out[o++] = (char)tolower((unsigned char)*p);
    }
    out[o] = '\0';
}

/* --- calls -------------------------------------------------------------- */

static struct reg *find_client_id(struct proxyd_events *ev, int id)
{
    for (size_t i = 0; i < ev->n; i++)
        if (ev->regs[i].client_id == id && id != 0)
            return &ev->regs[i];
    return NULL;
}

static struct reg *find_serial(struct proxyd_events *ev, enum reg_op op, unsigned int serial)
{
    for (size_t i = 0; i < ev->n; i++)
        if (ev->regs[i].op == op && ev->regs[i].serial == serial)
            return &ev->regs[i];
    return NULL;
}

static int grow(struct proxyd_events *ev)
{
    size_t cap = ev->cap ? ev->cap * 2 : 8;
    struct reg *v;

    if (ev->n < ev->cap)
        return 0;
    if (cap > PROXYD_EVENTS_MAX)
        cap = PROXYD_EVENTS_MAX;
    v = realloc(ev->regs, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    ev->regs = v;
    ev->cap = cap;
    return 0;
}

static int register_call(struct proxyd_events *ev, const struct mv_proc_info *info, struct mv_msg *req,
                         struct mv_msg **reply)
{
    _cleanup_msg_ struct mv_msg *copy = NULL;
    struct reg *stale = find_serial(ev, OP_REGISTER, req->hdr.serial);

    /* a serial reused while its call is in flight: the older reply is lost anyway */
    if (stale)
        reg_remove(ev, stale);
    if (ev->n >= PROXYD_EVENTS_MAX)
        return local_error(req, reply, MV_ERR_OPERATION_FAILED, mv_proc_denial_domain(info),
                           "operation failed: this connection already has %d event registrations, "
                           "the most one connection may hold through modvirt-proxyd", PROXYD_EVENTS_MAX);
    if (req->len > PROXYD_EVENTS_CALL_MAX)
        return local_error(req, reply, MV_ERR_RPC, MV_FROM_RPC,
                           "event registration call of %zu bytes is over modvirt-proxyd's limit of %d bytes",
                           req->len, PROXYD_EVENTS_CALL_MAX);
    copy = mv_msg_dup(req);
    if (!copy || grow(ev) < 0)
        return -ENOMEM;
    ev->regs[ev->n++] = (struct reg){
        .subsys = info->subsystem, .op = OP_REGISTER, .serial = req->hdr.serial, .call = TAKE_PTR(copy),
    };
    return PROXYD_EVENTS_FORWARD;
}

static int deregister_call(struct proxyd_events *ev, const struct mv_proc_info *info, struct mv_msg *req,
                           struct mv_msg **reply)
{
    char kind[64];
    struct reg *reg;
    int id;

    if (payload_id_get(req, &id) < 0)
        return local_error(req, reply, MV_ERR_RPC, MV_FROM_RPC, "cannot decode the arguments of procedure %s",
                           info->name);
    reg = find_client_id(ev, id);
    /* one whose deregistration is already on its way is no longer the client's */
    if (!reg || reg->subsys != info->subsystem || reg->op == OP_DEREGISTER || reg->abandoned) {
        object_kind(info, kind, sizeof(kind));
        return local_error(req, reply, MV_ERR_RPC, MV_FROM_RPC, "%s event callback %d not registered", kind, id);
    }
    if (reg->op == OP_REPLAY) {
        /* the daemon's id is not known yet: drop it once the replay answers */
        reg->abandoned = true;
        return local_reply(req, &(struct mv_err){ 0 }, reply);
    }
    if (!reg->bound) {
        /* its daemon is away and holds nothing for it */
        reg_remove(ev, reg);
        return local_reply(req, &(struct mv_err){ 0 }, reply);
    }
    if (payload_id_set(req, reg->upstream_id) < 0)
        return -EBADMSG;    /* not reached: the id was just read there */
    reg->op = OP_DEREGISTER;
    reg->serial = req->hdr.serial;
    return PROXYD_EVENTS_FORWARD;
}

int proxyd_events_call(struct proxyd_events *ev, const struct mv_proc_info *info, struct mv_msg *req,
                       struct mv_msg **reply)
{
    if (info->flags & MV_PROC_EVENT_REGISTER)
        return register_call(ev, info, req, reply);
    if (info->flags & MV_PROC_EVENT_DEREGISTER)
        return deregister_call(ev, info, req, reply);
    return PROXYD_EVENTS_FORWARD;
}

/* --- replies ------------------------------------------------------------ */

/* The next client id not in use: ids are never reused while registered. */
static int allocate_id(struct proxyd_events *ev)
{
    for (;;) {
        int id = ev->next_id;

        ev->next_id = id == INT_MAX ? 1 : id + 1;
        if (!find_client_id(ev, id))
            return id;
    }
}

static int register_reply(struct proxyd_events *ev, const struct mv_proc_info *info, struct mv_msg **reply)
{
    struct reg *reg = find_serial(ev, OP_REGISTER, (*reply)->hdr.serial);
    struct mv_msg *fixed = NULL;
    int id, r;

    if (!reg)
        return 0;   /* a reply to a call that never went through proxyd_events_call */
    if ((*reply)->hdr.status != MV_OK) {
        reg_remove(ev, reg);
        return 0;
    }
    if (payload_id_get(*reply, &id) < 0) {
        r = local_error(*reply, &fixed, MV_ERR_RPC, MV_FROM_RPC,
                        "the %s daemon's reply to %s carries no callback id",
                        mv_subsystem_name(info->subsystem), info->name);
        if (r < 0)
            return r;
        reg_remove(ev, reg);
        mv_msg_free(*reply);
        *reply = fixed;
        return 0;
    }
    reg->upstream_id = id;
    reg->bound = true;
    reg->client_id = allocate_id(ev);
    reg->op = OP_NONE;
    return payload_id_set(*reply, reg->client_id);
}

/* Forgotten whatever the answer: libvirt's client drops its callback before
 * it asks, and a daemon that refuses the id (or died meanwhile: the call
 * fails naming it) holds nothing under it that could be replayed. */
static int deregister_reply(struct proxyd_events *ev, const struct mv_msg *reply)
{
    struct reg *reg = find_serial(ev, OP_DEREGISTER, reply->hdr.serial);

    if (reg)
        reg_remove(ev, reg);
    return 0;
}

int proxyd_events_reply(struct proxyd_events *ev, struct mv_msg **reply)
{
    const struct mv_proc_info *info = mv_program_call_lookup((*reply)->hdr.prog, (*reply)->hdr.proc);

    if (!info)
        return 0;
    if (info->flags & MV_PROC_EVENT_REGISTER)
        return register_reply(ev, info, reply);
    if (info->flags & MV_PROC_EVENT_DEREGISTER)
        return deregister_reply(ev, *reply);
    return 0;
}

/* --- events ------------------------------------------------------------- */

int proxyd_events_message(struct proxyd_events *ev, enum mv_subsystem subsys, struct mv_msg *m)
{
    const struct mv_proc_info *info = mv_program_proc_lookup(m->hdr.prog, m->hdr.proc);
    int id;

    if (m->hdr.type != MV_MESSAGE || !info ||
        !(info->flags & MV_PROC_MESSAGE) || info->subsystem != subsys || subsys == MV_SUBSYS_CONNECT)
        return -EBADMSG;
    if (payload_id_get(m, &id) < 0)
        return -EBADMSG;
    for (size_t i = 0; i < ev->n; i++) {
        const struct reg *reg = &ev->regs[i];

        if (reg->subsys == subsys && reg->bound && reg->upstream_id == id && reg->client_id && !reg->abandoned)
            return payload_id_set(m, reg->client_id);
    }
    return -ENOENT;
}

/* --- legs lost and back ------------------------------------------------- */

bool proxyd_events_wanted(const struct proxyd_events *ev, enum mv_subsystem subsys)
{
    for (size_t i = 0; i < ev->n; i++)
        if (ev->regs[i].subsys == subsys && ev->regs[i].client_id && !ev->regs[i].abandoned)
            return true;
    return false;
}

bool proxyd_events_leg_lost(struct proxyd_events *ev, enum mv_subsystem subsys)
{
    for (size_t i = 0; i < ev->n;) {
        struct reg *reg = &ev->regs[i];

        if (reg->subsys != subsys) {
            i++;
            continue;
        }
        if (reg->abandoned) {
            reg_remove(ev, reg);    /* nothing left upstream to drop */
            continue;
        }
        reg->bound = false;
        /* a replay lost with the leg is made again on the next one; the
         * client's own calls still get their (error) replies */
        if (reg->op == OP_REPLAY)
            reg->op = OP_NONE;
        i++;
    }
    return proxyd_events_wanted(ev, subsys);
}

int proxyd_events_leg_ready(struct proxyd_events *ev, enum mv_subsystem subsys,
                            proxyd_events_send_fn send, void *opaque)
{
    int sent = 0;

    for (size_t i = 0; i < ev->n; i++) {
        struct reg *reg = &ev->regs[i];
        struct mv_msg *copy;
        int r;

        if (reg->subsys != subsys || !reg->client_id || reg->bound || reg->op != OP_NONE)
            continue;
        copy = mv_msg_dup(reg->call);
        if (!copy)
            return -ENOMEM;
        r = send(opaque, copy, reg->client_id);
        if (r < 0)
            return r;
        reg->op = OP_REPLAY;
        sent++;
    }
    return sent;
}

/* Deregisters REG's daemon id through SEND; the reply is nobody's (token 0). */
static int drop_upstream(const struct reg *reg, proxyd_events_send_fn send, void *opaque)
{
    const struct mv_proc_info *dereg = mv_program_call_lookup(reg->call->hdr.prog, reg->call->hdr.proc + 1);
    struct mv_message_header hdr = reg->call->hdr;
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    mv_event_deregister_args args = { .callbackID = reg->upstream_id };
    int r;

    /* libvirt numbers every deregistration right after its registration */
    if (!dereg || !(dereg->flags & MV_PROC_EVENT_DEREGISTER) || dereg->subsystem != reg->subsys)
        return -EPROTO;
    if (!m)
        return -ENOMEM;
    hdr.proc = dereg->proc;
    hdr.type = MV_CALL;
    r = mv_msg_encode(m, &hdr, (xdrproc_t)xdr_mv_event_deregister_args, &args);
    if (r < 0)
        return r;
    return send(opaque, TAKE_PTR(m), 0);
}

int proxyd_events_internal_reply(struct proxyd_events *ev, int token, const struct mv_msg *reply,
                                 proxyd_events_send_fn send, void *opaque)
{
    struct reg *reg = find_client_id(ev, token);
    int id, r;

    if (!reg || reg->op != OP_REPLAY)
        return 0;
    reg->op = OP_NONE;
    if (reply->hdr.status != MV_OK)
        r = -EREMOTEIO;
    else
        r = payload_id_get(reply, &id);
    if (r < 0) {
        if (reg->abandoned)
            reg_remove(ev, reg);
        return r;
    }
    reg->upstream_id = id;
    reg->bound = true;
    if (reg->abandoned) {
        r = drop_upstream(reg, send, opaque);
        reg_remove(ev, reg);
        return r;
    }
    return 0;
}
