/*
 * A session's event callbacks (see session_events.h): events.h decides,
 * this moves the packets and keeps reconnecting a lost leg whose daemon
 * holds the client's registrations.
 */
#define MV_LOG_MODULE "proxyd.events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "events.h"
#include "log.h"
#include "session.h"
#include "session_events.h"
#include "upstream.h"

/* First retry after a leg with registrations was lost, and the longest
 * wait between two: a restarted daemon is back within a second or two. */
#define RETRY_FIRST_USEC (100 * 1000ull)
#define RETRY_MAX_USEC (2 * 1000 * 1000ull)

/* Reconnecting the leg of one subsystem. */
struct leg_retry {
    struct proxy_session *s;
    enum mv_subsystem sub;
    sd_event_source *timer;
    uint64_t delay;             /* the last wait; 0: none yet */
};

int session_events_init(struct proxy_session *s)
{
    int r = proxyd_events_new(&s->events);

    if (r < 0)
        return r;
    s->retry = calloc(MV_SUBSYS_COUNT, sizeof(*s->retry));
    if (!s->retry)
        return -ENOMEM;
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        s->retry[i] = (struct leg_retry){ .s = s, .sub = i };
    return 0;
}

void session_events_stop(struct proxy_session *s)
{
    if (!s->retry)
        return;
    for (int i = 0; i < MV_SUBSYS_COUNT; i++)
        s->retry[i].timer = sd_event_source_disable_unref(s->retry[i].timer);
}

void session_events_free(struct proxy_session *s)
{
    session_events_stop(s);
    free(s->retry);
    s->retry = NULL;
    proxyd_events_free(s->events);
    s->events = NULL;
}

/* ---- packets ---- */

bool session_events_call(struct proxy_session *s, const struct mv_proc_info *info, struct mv_msg *req)
{
    struct mv_msg *answer = NULL;
    int r = proxyd_events_call(s->events, info, req, &answer);

    if (r == PROXYD_EVENTS_FORWARD)
        return false;
    if (r < 0)
        answer = session_error_packet(&req->hdr, MV_REPLY, MV_ERR_NO_MEMORY, MV_FROM_RPC,
                                      "out of memory");
    mv_client_forward_reply(s->client, answer);
    return true;
}

void session_events_reply(struct proxy_session *s, struct mv_msg **m)
{
    /* out of memory for a replacement error: the reply goes as it is */
    if (*m)
        proxyd_events_reply(s->events, m);
}

bool session_events_message(struct proxy_session *s, enum mv_subsystem sub, struct mv_msg *m)
{
    return proxyd_events_message(s->events, sub, m) == 0;
}

/* ---- replays ---- */

static int send_own(void *opaque, struct mv_msg *call, int token)
{
    return upstream_call_own(opaque, call, token);
}

/* The daemon's message in an error reply, for the log. */
static void log_refusal(struct upstream *u, int token, const struct mv_msg *m, int r)
{
    mv_error wire = { 0 };
    struct mv_err e = { 0 };

    if (r == -EREMOTEIO && mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &wire) == 0) {
        mv_err_from_wire(&e, &wire);
        xdr_free((xdrproc_t)xdr_mv_error, (char *)&wire);
    }
    mv_warn("modvirt-%s did not take back a client's event callback %d (socket %s): %s", upstream_daemon(u),
            token, upstream_path(u), e.message ? e.message : r == -EBADMSG ? "its reply has no callback id" :
            "it could not be sent");
    mv_err_clear(&e);
}

void session_events_own_reply(struct proxy_session *s, struct upstream *u, struct mv_msg *m,
                              const struct proxy_pending *p)
{
    /* the proxy's own calls are (de)registrations: of the leg's subsystem */
    const struct mv_proc_info *info = mv_program_proc_lookup(p->prog, p->proc);
    int r = proxyd_events_internal_reply(s->events, p->token, m, send_own, u);

    if (r < 0)
        log_refusal(u, p->token, m, r);
    else if (p->token && info)
        s->retry[info->subsystem].delay = 0;    /* the daemon is back: a later loss starts over */
    mv_msg_free(m);
}

void session_events_leg_ready(struct proxy_session *s, enum mv_subsystem sub, struct upstream *u)
{
    int r = proxyd_events_leg_ready(s->events, sub, send_own, u);

    if (r > 0)
        mv_info("re-registering %d event callbacks of a client with modvirt-%s", r, upstream_daemon(u));
    else if (r < 0)
        mv_warn("cannot re-register a client's event callbacks with modvirt-%s: %s", upstream_daemon(u),
                strerror(-r));
}

/* ---- reconnecting ---- */

static void schedule(struct leg_retry *retry);

static int on_retry(sd_event_source *src, uint64_t now, void *opaque)
{
    struct leg_retry *retry = opaque;
    struct proxy_session *s = retry->s;

    (void)src;
    (void)now;
    /* a call of the client may have opened the leg meanwhile */
    if (s->closed || s->legs[retry->sub] || !proxyd_events_wanted(s->events, retry->sub))
        return 0;
    if (!session_leg(s, retry->sub, NULL))
        schedule(retry);
    return 0;
}

static void schedule(struct leg_retry *retry)
{
    uint64_t now = 0;

    retry->delay = retry->delay ? retry->delay * 2 : RETRY_FIRST_USEC;
    if (retry->delay > RETRY_MAX_USEC)
        retry->delay = RETRY_MAX_USEC;
    sd_event_now(proxy_config.event, CLOCK_MONOTONIC, &now);
    if (!retry->timer) {
        if (sd_event_add_time(proxy_config.event, &retry->timer, CLOCK_MONOTONIC, now + retry->delay, 0,
                              on_retry, retry) < 0) {
            mv_warn("cannot reconnect to modvirt-%s for a client's event callbacks: no timer",
                    proxy_daemon_name(retry->sub));
            return;
        }
    } else {
        sd_event_source_set_time(retry->timer, now + retry->delay);
    }
    sd_event_source_set_enabled(retry->timer, SD_EVENT_ONESHOT);
}

void session_events_leg_dead(struct proxy_session *s, enum mv_subsystem sub)
{
    if (!proxyd_events_leg_lost(s->events, sub) || s->closed)
        return;
    mv_info("a client's leg to modvirt-%s carried event callbacks: reconnecting", proxy_daemon_name(sub));
    schedule(&s->retry[sub]);
}
