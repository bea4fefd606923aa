/*
 * One client's session (see session.h): routing, the client's identity for
 * the legs, error answers for legs that cannot be reached, back-pressure.
 */
#define MV_LOG_MODULE "proxyd.session"
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "identity.h"
#include "log.h"
#include "session.h"
#include "session_events.h"
#include "upstream.h"

static void session_ref(struct proxy_session *s)
{
    s->refs++;
}

static void session_unref(struct proxy_session *s)
{
    if (--s->refs > 0)
        return;
    xdr_free((xdrproc_t)xdr_mv_connect_set_identity_args, (char *)&s->identity);
    session_events_free(s);
    mv_client_unref(s->client);
    free(s);
}

/* ---- packets the proxy makes ---- */

struct mv_msg *session_error_packet(const struct mv_message_header *req, int type, int code,
                                    int domain, const char *msg)
{
    struct mv_err e = { 0 };
    struct mv_msg *m = NULL;

    mv_err_set(&e, code, domain, "%s", msg);
    if (mv_msg_error_packet(req, type, &e, &m) < 0)
        m = NULL;
    mv_err_clear(&e);
    return m;
}

/* Answers the client's call PROC/SERIAL of program PROG with an error (ends it). */
static void reply_error(struct proxy_session *s, uint32_t prog, int proc, uint32_t serial, int code,
                        const char *msg)
{
    const struct mv_program *p = mv_program_lookup(prog);
    struct mv_message_header hdr = {
        .prog = prog, .vers = p ? p->vers : MV_REMOTE_VERSION, .proc = proc, .serial = serial,
    };
    struct mv_msg *m = session_error_packet(&hdr, MV_REPLY, code, MV_FROM_RPC, msg);

    session_events_reply(s, &m);    /* a (de)registration that failed is none */
    mv_client_forward_reply(s->client, m);
}

/* ---- the client's identity (wire-protocol.md 5.7) ---- */

/* The identity the legs send: the client's (its SO_PEERCRED, or what a
 * root client forwarded to us), its process start time (against pid
 * reuse) and the names of its user and group. */
static int identity_build(const struct mv_identity *id, mv_connect_set_identity_args *a)
{
    char pwbuf[4096], grbuf[4096];
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    struct mv_forwarded_identity fwd = {
        .uid = id->uid, .gid = id->gid, .pid = id->pid,
        /* read by the server at accept (or forwarded to us), not now: the
         * pid may name another process by the time of the first leg */
        .start_time = id->start_time,
        /* a TLS or SASL client is its certificate DN / user name */
        .remote = id->remote, .x509_dname = id->x509_dname, .sasl_user = id->sasl_user,
    };

    if (id->remote)
        return mv_identity_to_params(&fwd, a);
    if (getpwuid_r(id->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
        fwd.user_name = pwp->pw_name;
    if (getgrgid_r(id->gid, &gr, grbuf, sizeof(grbuf), &grp) == 0 && grp)
        fwd.group_name = grp->gr_name;
    return mv_identity_to_params(&fwd, a);
}

/* ---- back-pressure ---- */

/* The client reads slowly: leave the daemons' data in their sockets. */
static void watch_output(struct proxy_session *s)
{
    if (s->output_full || !mv_client_output_full(s->client))
        return;
    s->output_full = true;
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        if (s->legs[i])
            upstream_hold_input(s->legs[i], true);
}

bool session_to_client(struct proxy_session *s, struct mv_msg *m)
{
    if (s->closed) {
        mv_msg_free(m);
        return false;
    }
    if (!mv_client_forward_packet(s->client, m))
        return false;
    watch_output(s);
    return true;
}

static void session_drained(struct mv_client *c)
{
    struct proxy_session *s = mv_client_get_data(c);

    if (!s || s->closed || !s->output_full)
        return;
    s->output_full = false;
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        if (s->legs[i])
            upstream_hold_input(s->legs[i], false);
}

static int leg_index(struct proxy_session *s, const struct upstream *leg)
{
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        if (s->legs[i] == leg)
            return i;
    return -1;
}

void session_leg_queued(struct proxy_session *s, struct upstream *leg)
{
    int i = leg_index(s, leg);

    if (i < 0 || upstream_tx_bytes(leg) < MV_PROXY_LEG_TX_MAX)
        return;
    /* the daemon reads slowly: leave the client's data in its socket */
    s->legs_over |= 1u << i;
    mv_client_hold_input(s->client, true);
}

/* ---- what the legs report ---- */

static void leg_reply(struct upstream *u, struct mv_msg *m, const struct proxy_pending *p, void *opaque)
{
    struct proxy_session *s = opaque;

    if (p->own) {
        /* the proxy's own calls besides the handshake: event re-registrations */
        session_events_own_reply(s, u, m, p);
        return;
    }
    session_ref(s);
    if (p->flags & MV_PROC_STREAM)
        relay_call_done(s, u, p->up_serial, m->hdr.status == MV_OK);
    if (p->flags & (MV_PROC_EVENT_REGISTER | MV_PROC_EVENT_DEREGISTER))
        session_events_reply(s, &m);
    if (!s->closed) {
        mv_client_forward_reply(s->client, m);
        watch_output(s);
    } else {
        mv_msg_free(m);
    }
    session_unref(s);
}

static void leg_packet(struct upstream *u, struct mv_msg *m, void *opaque)
{
    struct proxy_session *s = opaque;

    session_ref(s);
    if (m->hdr.type == MV_STREAM || m->hdr.type == MV_STREAM_HOLE)
        relay_from_daemon(s, u, m);
    else if (m->hdr.type == MV_MESSAGE && mv_program_lookup(m->hdr.prog) &&
             leg_index(s, u) >= 0 && session_events_message(s, leg_index(s, u), m))
        session_to_client(s, m);
    else
        mv_msg_free(m);             /* nothing else comes from a daemon unasked */
    session_unref(s);
}

/* S stays valid (the leg holds it) though reply_error may close the
 * client: a failed reply packet does (out of memory). */
static void leg_fail(struct upstream *u, const struct proxy_pending *p, int code, const char *why,
                     void *opaque)
{
    struct proxy_session *s = opaque;

    if (p->own || s->closed)
        return;
    if (p->flags & MV_PROC_STREAM)
        relay_call_done(s, u, p->up_serial, false);
    reply_error(s, p->prog, p->proc, p->client_serial, code, why);
}

static void leg_dead(struct upstream *u, int code, const char *why, void *opaque)
{
    struct proxy_session *s = opaque;
    int i;

    session_ref(s);
    relay_leg_dead(s, u, code, why);
    /* the client may have been closed by that (then its legs are closed
     * already): look the leg up only now */
    i = s->closed ? -1 : leg_index(s, u);
    if (i >= 0) {
        s->legs[i] = NULL;
        session_events_leg_dead(s, i);
        if (s->legs_over & (1u << i)) {
            s->legs_over &= ~(1u << i);
            if (!s->legs_over && !s->closed)
                mv_client_hold_input(s->client, false);
        }
        upstream_close(u);
    }
    session_unref(s);
}

static void leg_tx_drained(struct upstream *u, void *opaque)
{
    struct proxy_session *s = opaque;
    int i = leg_index(s, u);

    if (i < 0 || !(s->legs_over & (1u << i)))
        return;
    s->legs_over &= ~(1u << i);
    if (!s->legs_over && !s->closed)
        mv_client_hold_input(s->client, false);
}

/* The handshake is done: the daemon gets back the registrations it lacks. */
static void leg_ready(struct upstream *u, void *opaque)
{
    struct proxy_session *s = opaque;
    int i = leg_index(s, u);

    if (i >= 0 && !s->closed)
        session_events_leg_ready(s, i, u);
}

/* The leg is freed: its reference on the session goes (see session_leg). */
static void leg_release(void *opaque)
{
    session_unref(opaque);
}

static const struct upstream_ops leg_ops = {
    .reply = leg_reply, .packet = leg_packet, .fail = leg_fail, .dead = leg_dead,
    .tx_drained = leg_tx_drained, .ready = leg_ready, .release = leg_release,
};

/* ---- routing ---- */

/* Answers REQ, the client's call that wanted a leg (NULL: a reconnect
 * wanted it), with an error. */
static void leg_unavailable(struct proxy_session *s, const struct mv_msg *req, int code, const char *msg)
{
    if (req)
        reply_error(s, req->hdr.prog, req->hdr.proc, req->hdr.serial, code, msg);
}

/* The identity the legs carry, made at the first leg rather than at
 * CONNECT_OPEN: a root client (a daemon talking for its user) sends
 * CONNECT_SET_IDENTITY after opening.  False if out of memory. */
static bool identity_ready(struct proxy_session *s)
{
    if (s->identity.params.params_val)
        return true;
    if (identity_build(mv_client_identity(s->client), &s->identity) == 0)
        return true;
    xdr_free((xdrproc_t)xdr_mv_connect_set_identity_args, (char *)&s->identity);
    memset(&s->identity, 0, sizeof(s->identity));
    return false;
}

/* Answers REQ (if any) for a daemon that could not be reached at PATH. */
static void connect_failed(struct proxy_session *s, const struct mv_msg *req, const char *daemon,
                           const char *path, int err)
{
    _cleanup_free_ char *msg = NULL;
    int r;

    if (err == -ENOENT || err == -ECONNREFUSED)
        r = asprintf(&msg, "modvirt-%s is not running (socket %s)", daemon, path);
    else
        r = asprintf(&msg, "cannot connect to modvirt-%s (socket %s): %s", daemon, path, strerror(-err));
    leg_unavailable(s, req, MV_ERR_SYSTEM_ERROR, r < 0 ? "cannot connect to the daemon" : msg);
}

/* The client's leg for subsystem SUB, connected now if there is none.
 * NULL with an error answered on REQ when the daemon cannot be reached. */
struct upstream *session_leg(struct proxy_session *s, enum mv_subsystem sub, const struct mv_msg *req)
{
    const char *daemon = proxy_daemon_name(sub);
    _cleanup_free_ char *path = NULL;
    struct upstream_spec spec;
    int r;

    if (s->legs[sub])
        return s->legs[sub];
    if (!identity_ready(s)) {
        leg_unavailable(s, req, MV_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (!daemon || !proxy_config.socket[sub] ||
        asprintf(&path, "%s%s", proxy_config.socket[sub], s->readonly ? "-ro" : "") < 0) {
        leg_unavailable(s, req, MV_ERR_INTERNAL_ERROR, "internal error: no daemon serves this procedure");
        return NULL;
    }
    spec = (struct upstream_spec){ .daemon = daemon, .path = path, .readonly = s->readonly,
                                   .identity = &s->identity, .timeout = proxy_config.upstream_timeout };
    r = upstream_new(proxy_config.event, &spec, &leg_ops, s, &s->legs[sub]);
    if (r < 0) {
        connect_failed(s, req, daemon, path, r);
        return NULL;
    }
    /* the leg's own: S outlives every callback of the leg, even one during
     * which the client is closed (leg_release drops it) */
    session_ref(s);
    if (s->output_full)
        upstream_hold_input(s->legs[sub], true);
    return s->legs[sub];
}

static void forward_call(struct mv_client *c, struct mv_msg *req, const struct mv_proc_info *info)
{
    _cleanup_msg_ struct mv_msg *m = req;
    struct proxy_session *s = mv_client_get_data(c);
    struct upstream *leg;
    bool stream = info->flags & MV_PROC_STREAM;
    uint32_t serial = m->hdr.serial;
    int r;

    if (!s) {   /* the server lets no call through before CONNECT_OPEN */
        mv_client_forward_reply(c, NULL);
        return;
    }
    /* an event (de)registration may be answered here, the daemon not asked */
    if (session_events_call(s, info, m))
        return;
    if (!(leg = session_leg(s, info->subsystem, m)))
        return;
    if (stream && (r = relay_add(s, leg, m->hdr.proc, serial, upstream_next_serial(leg))) < 0) {
        char msg[96];

        snprintf(msg, sizeof(msg), "operation failed: too many open streams on this connection "
                 "(limit %u)", MV_PROXY_STREAMS_MAX);
        reply_error(s, m->hdr.prog, m->hdr.proc, serial, r == -EMFILE ? MV_ERR_OPERATION_FAILED : MV_ERR_NO_MEMORY,
                    r == -EMFILE ? msg : "out of memory");
        return;
    }
    if (upstream_call(leg, m, info->flags) < 0) {
        if (stream)
            relay_call_done(s, leg, upstream_next_serial(leg), false);
        reply_error(s, m->hdr.prog, m->hdr.proc, serial, MV_ERR_INTERNAL_ERROR,
                    "internal error: too many calls in flight to the daemon");
        return;
    }
    TAKE_PTR(m);
    session_leg_queued(s, leg);
}

static void stream_packet(struct mv_client *c, struct mv_msg *m)
{
    struct proxy_session *s = mv_client_get_data(c);

    if (!s) {
        mv_msg_free(m);
        return;
    }
    relay_from_client(s, m);
}

/* The legs' identity is built once, at the first leg (identity_ready), and
 * every leg sends it: after that, a new one would not reach the daemons. */
static bool identity_used(struct mv_client *c)
{
    struct proxy_session *s = mv_client_get_data(c);

    return s && s->identity.params.params_val;
}

const struct mv_forwarder session_forwarder = {
    .call = forward_call, .stream_packet = stream_packet, .drained = session_drained,
    .identity_used = identity_used,
};

/* ---- life ---- */

int session_open(struct mv_call *call)
{
    struct mv_client *c = mv_call_client(call);
    struct proxy_session *s = calloc(1, sizeof(*s));
    int r;

    if (!s)
        return -ENOMEM;
    s->refs = 1;
    s->client = mv_client_ref(c);
    s->readonly = mv_client_identity(c)->readonly;
    if ((r = session_events_init(s)) < 0) {
        session_unref(s);
        return r;
    }
    mv_client_set_data(c, s);
    return 0;
}

void session_client_close(struct mv_client *c)
{
    struct proxy_session *s = mv_client_get_data(c);

    if (!s)
        return;
    mv_client_set_data(c, NULL);
    s->closed = true;
    session_events_stop(s);
    relay_free_all(s);
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        upstream_close(TAKE_PTR(s->legs[i]));
    session_unref(s);
}
