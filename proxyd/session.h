/*
 * One client of the proxy: created by its CONNECT_OPEN, ended by its
 * close.  It routes each forwarded CALL to the leg of the procedure's
 * subsystem (opened lazily), answers for legs that cannot be reached, and
 * moves replies, events and stream packets back with back-pressure both
 * ways (the client's output full: legs are not read; a leg's queue full:
 * the client is not read).
 */
#pragma once

#include <systemd/sd-event.h>

#include "proxyd.h"
#include "server.h"

struct proxy_relay;
struct proxyd_events;
struct leg_retry;

/*
 * Lifetime.  The session is held by its client (until session_client_close)
 * and by each leg it opened (until that leg is freed: upstream_ops.release),
 * plus a reference per callback on the stack that needs one.  So S is valid
 * in every leg callback, but the client may go away during one: whatever
 * sends to the client can close it synchronously (mv_client_forward_reply
 * with no reply packet, mv_client_forward_packet past the event backlog),
 * and session_client_close then runs inside the call, sets s->closed and
 * closes every leg (s->legs[] NULL).  Callbacks that may see s->closed flip
 * mid-call: leg_reply, leg_packet, leg_fail (and relay_leg_dead inside
 * leg_dead), the forwarder's call and stream_packet hooks (reply_error,
 * relay_from_daemon, session_to_client).  After any of these, re-check
 * s->closed before touching s->legs[] or the client.
 */
struct proxy_session {
    unsigned int refs;                  /* the client's, one per open leg, one per callback on the stack */
    struct mv_client *client;           /* referenced */
    bool closed;                        /* the client went away: nothing more is sent */
    bool readonly;                      /* legs on the daemons' ro sockets */
    bool output_full;                   /* the client's backlog is full: legs are held */
    unsigned int legs_over;             /* bit per subsystem: its leg's queue is full */
    struct upstream *legs[MV_SUBSYS_COUNT];
    mv_connect_set_identity_args identity;  /* the client's, for CONNECT_SET_IDENTITY (made at the first leg) */
    struct proxy_relay *relays;         /* streams (stream_relay.c) */
    unsigned int nrelays;
    struct proxyd_events *events;       /* event callback ids (events.h) */
    struct leg_retry *retry;            /* per subsystem: reconnecting (session_events.c) */
};

/* The server's hooks (main.c puts them in the driver). */
int session_open(struct mv_call *call);
void session_client_close(struct mv_client *c);
extern const struct mv_forwarder session_forwarder;

/* The client's leg for SUB, connected now if there is none; NULL if the
 * daemon cannot be reached (REQ, if given, is then answered with why). */
struct upstream *session_leg(struct proxy_session *s, enum mv_subsystem sub, const struct mv_msg *req);
/* For stream_relay.c: M (taken) to the client; false once it is gone. */
bool session_to_client(struct proxy_session *s, struct mv_msg *m);
/* A packet was queued on LEG: hold the client while the leg is full. */
void session_leg_queued(struct proxy_session *s, struct upstream *leg);
/* An error packet with HDR's prog/vers/proc/serial and TYPE/STATUS. */
struct mv_msg *session_error_packet(const struct mv_message_header *hdr, int type, int code,
                                    int domain, const char *msg);

/* stream_relay.c */
/* A stream-opening call goes out on LEG with CLIENT_SERIAL as UP_SERIAL.
 * -EMFILE when the client has MV_PROXY_STREAMS_MAX open already. */
int relay_add(struct proxy_session *s, struct upstream *leg, int proc, uint32_t client_serial,
              uint32_t up_serial);
/* Its reply came (OK: the stream is live) or it was never sent. */
void relay_call_done(struct proxy_session *s, struct upstream *leg, uint32_t up_serial, bool ok);
/* A STREAM / STREAM_HOLE packet (taken) from the client / from LEG. */
void relay_from_client(struct proxy_session *s, struct mv_msg *m);
void relay_from_daemon(struct proxy_session *s, struct upstream *leg, struct mv_msg *m);
/* LEG died: its streams end with STREAM/ERROR saying WHY. */
void relay_leg_dead(struct proxy_session *s, struct upstream *leg, int code, const char *why);
void relay_free_all(struct proxy_session *s);
