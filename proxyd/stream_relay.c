/*
 * Streams through the proxy: once a stream-opening call is forwarded, the
 * STREAM and STREAM_HOLE packets with its serial go both ways, their
 * serial rewritten, until the daemon ends the stream (STREAM OK confirming
 * a finish or abort, or STREAM ERROR).  Packets are passed as they are; the
 * back-pressure is the queues': a full leg holds the client's socket, a
 * full client holds the legs' (session.c).
 */
#define MV_LOG_MODULE "proxyd.stream"
#include <errno.h>
#include <stdlib.h>

#include "error.h"
#include "log.h"
#include "session.h"
#include "upstream.h"

struct proxy_relay {
    struct upstream *leg;               /* borrowed: relays of a leg end when it dies */
    int proc;
    uint32_t client_serial;
    uint32_t up_serial;
    struct proxy_relay *next;
};

int relay_add(struct proxy_session *s, struct upstream *leg, int proc, uint32_t client_serial,
              uint32_t up_serial)
{
    struct proxy_relay *r;

    if (s->nrelays >= MV_PROXY_STREAMS_MAX)
        return -EMFILE;
    if (!(r = calloc(1, sizeof(*r))))
        return -ENOMEM;
    s->nrelays++;
    *r = (struct proxy_relay){ .leg = leg, .proc = proc, .client_serial = client_serial,
                               .up_serial = up_serial, .next = s->relays };
    s->relays = r;
    return 0;
}

static void relay_remove(struct proxy_session *s, struct proxy_relay *r)
{
    for (struct proxy_relay **p = &s->relays; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            free(r);
            s->nrelays--;
            return;
        }
    }
}

static struct proxy_relay *find_up(struct proxy_session *s, const struct upstream *leg, uint32_t serial)
{
    for (struct proxy_relay *r = s->relays; r; r = r->next)
        if (r->leg == leg && r->up_serial == serial)
            return r;
    return NULL;
}

void relay_call_done(struct proxy_session *s, struct upstream *leg, uint32_t up_serial, bool ok)
{
    struct proxy_relay *r = find_up(s, leg, up_serial);

    if (r && !ok)
        relay_remove(s, r);
}

void relay_from_client(struct proxy_session *s, struct mv_msg *m)
{
    struct proxy_relay *r = s->relays;

    while (r && !(r->client_serial == m->hdr.serial && r->proc == m->hdr.proc))
        r = r->next;
    if (!r || m->hdr.prog != MV_REMOTE_PROGRAM) {
        /* late packets of a stream that ended meanwhile are normal */
        mv_debug("client %lu: ignoring a stream packet for serial %u (procedure %d): no such stream",
                 mv_client_id(s->client), m->hdr.serial, m->hdr.proc);
        mv_msg_free(m);
        return;
    }
    proxy_msg_set_serial(m, r->up_serial);
    upstream_send(r->leg, m);
    session_leg_queued(s, r->leg);
}

void relay_from_daemon(struct proxy_session *s, struct upstream *leg, struct mv_msg *m)
{
    struct proxy_relay *r = find_up(s, leg, m->hdr.serial);

    if (!r) {
        mv_debug("modvirt-%s: dropping a stream packet for serial %u: no such stream",
                 upstream_daemon(leg), m->hdr.serial);
        mv_msg_free(m);
        return;
    }
    proxy_msg_set_serial(m, r->client_serial);
    /* the daemon's OK confirms a finish or abort, its ERROR ends the stream */
    if (m->hdr.type == MV_STREAM && m->hdr.status != MV_CONTINUE)
        relay_remove(s, r);
    session_to_client(s, m);
}

void relay_leg_dead(struct proxy_session *s, struct upstream *leg, int code, const char *why)
{
    struct proxy_relay **p = &s->relays;

    while (*p) {
        struct proxy_relay *r = *p;
        struct mv_message_header hdr = {
            .prog = MV_REMOTE_PROGRAM, .vers = MV_REMOTE_VERSION, .proc = r->proc,
            .serial = r->client_serial,
        };

        if (r->leg != leg) {
            p = &r->next;
            continue;
        }
        *p = r->next;
        free(r);
        s->nrelays--;
        if (s->closed)
            continue;
        struct mv_msg *m = session_error_packet(&hdr, MV_STREAM, code, MV_FROM_STREAMS, why);
        /* a client closed by this (its backlog) took the list with it */
        if (m && !session_to_client(s, m))
            return;
    }
}

void relay_free_all(struct proxy_session *s)
{
    struct proxy_relay *r;

    while ((r = s->relays)) {
        s->relays = r->next;
        free(r);
    }
    s->nrelays = 0;
}
