/*
 * A session's event callbacks: the hooks session.c calls into events.h
 * with, and the reconnection of a lost leg that carries registrations
 * (retried with a backoff up to 2 s for as long as the client stays; the
 * new leg replays them, so the client keeps getting its events).
 */
#pragma once

#include <stdbool.h>

#include "proxyd.h"

struct proxy_session;
struct upstream;

int session_events_init(struct proxy_session *s);
/* The client went away: no more reconnecting. */
void session_events_stop(struct proxy_session *s);
void session_events_free(struct proxy_session *s);

/* A (de)registration CALL before it is routed: true if it was answered
 * here (REQ is then the caller's to free). */
bool session_events_call(struct proxy_session *s, const struct mv_proc_info *info, struct mv_msg *req);
/* A REPLY to the client's call, before it is sent (may replace *M). */
void session_events_reply(struct proxy_session *s, struct mv_msg **m);
/* An event MESSAGE from the leg of SUB: true if it goes to the client
 * (its id rewritten); false: drop it. */
bool session_events_message(struct proxy_session *s, enum mv_subsystem sub, struct mv_msg *m);
/* The reply (taken) to one of the proxy's own calls on leg U. */
void session_events_own_reply(struct proxy_session *s, struct upstream *u, struct mv_msg *m,
                              const struct proxy_pending *p);
/* Leg U of SUB finished its handshake: the registrations its daemon lacks
 * are made again. */
void session_events_leg_ready(struct proxy_session *s, enum mv_subsystem sub, struct upstream *u);
/* The leg of SUB is gone: reconnect it if it carried registrations. */
void session_events_leg_dead(struct proxy_session *s, enum mv_subsystem sub);
