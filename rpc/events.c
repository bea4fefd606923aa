/* Event registrations and fan-out: see events.h. */
#define MV_LOG_MODULE "rpc.events"
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "events.h"
#include "log.h"

struct registration {
    struct mv_client *client;       /* referenced */
    int callback_id;
    int event_id;
    void *key;                      /* NULL: every object */
    size_t keylen;
    struct mv_events_match match;   /* .match NULL: every event of EVENT_ID */
};

struct mv_events {
    pthread_mutex_t lock;           /* guards everything below */
    char *what;
    struct registration *regs;
    size_t n, cap;
    int next_callback_id;
};

/* One recipient of an event, taken under the lock and served outside it. */
struct recipient {
    struct mv_client *client;       /* referenced */
    int callback_id;
};

int mv_events_new(const char *what, struct mv_events **ret)
{
    struct mv_events *ev = calloc(1, sizeof(*ev));

    if (!ev)
        return -ENOMEM;
    ev->what = strdup(what);
    if (!ev->what) {
        free(ev);
        return -ENOMEM;
    }
    pthread_mutex_init(&ev->lock, NULL);
    ev->next_callback_id = 1;
    *ret = ev;
    return 0;
}

static void match_free(const struct mv_events_match *match)
{
    if (match && match->free)
        match->free(match->data);
}

static void registration_clear(struct registration *reg)
{
    mv_client_unref(reg->client);
    free(reg->key);
    match_free(&reg->match);
}

void mv_events_free(struct mv_events *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        registration_clear(&ev->regs[i]);
    free(ev->regs);
    pthread_mutex_destroy(&ev->lock);
    free(ev->what);
    free(ev);
}

static size_t count_of(const struct mv_events *ev, const struct mv_client *client)
{
    size_t n = 0;

    for (size_t i = 0; i < ev->n; i++)
        n += ev->regs[i].client == client;
    return n;
}

static int grow(struct mv_events *ev)
{
    size_t cap = ev->cap ? ev->cap * 2 : 32;
    struct registration *v;

    if (ev->n < ev->cap)
        return 0;
    v = realloc(ev->regs, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    ev->regs = v;
    ev->cap = cap;
    return 0;
}

int mv_events_register(struct mv_events *ev, struct mv_client *client, int event_id,
                       const void *key, size_t keylen)
{
    return mv_events_register_match(ev, client, event_id, key, keylen, NULL);
}

int mv_events_register_match(struct mv_events *ev, struct mv_client *client, int event_id,
                             const void *key, size_t keylen, const struct mv_events_match *match)
{
    _cleanup_free_ void *kcopy = NULL;
    struct registration *reg;
    int r;

    if (key) {
        if (keylen > MV_EVENTS_KEY_MAX || !(kcopy = malloc(keylen ? keylen : 1))) {
            match_free(match);
            return keylen > MV_EVENTS_KEY_MAX ? -EINVAL : -ENOMEM;
        }
        memcpy(kcopy, key, keylen);
    }
    pthread_mutex_lock(&ev->lock);
    /* the close hook runs after closed is set and takes this lock: a
     * registration added before it is removed by it, none is added after */
    if (mv_client_closed(client)) {
        r = -ENOTCONN;
    } else if (count_of(ev, client) >= MV_EVENTS_PER_CLIENT_MAX) {
        r = -EDQUOT;
    } else if ((r = grow(ev)) == 0) {
        reg = &ev->regs[ev->n++];
        *reg = (struct registration){
            .client = mv_client_ref(client), .callback_id = ev->next_callback_id++,
            .event_id = event_id, .key = TAKE_PTR(kcopy), .keylen = keylen,
        };
        if (match)
            reg->match = *match;
        match = NULL;
        r = reg->callback_id;
        /* ids are per registry and never reused; wrap before INT_MAX */
        if (ev->next_callback_id == 0x7fffffff)
            ev->next_callback_id = 1;
    }
    pthread_mutex_unlock(&ev->lock);
    match_free(match);      /* not taken by a registration */
    return r;
}

static bool kind_matches(int registered, int event_id)
{
    return event_id == MV_EVENTS_REMOTE_IDS ? registered < MV_EVENTS_OTHER_PROGRAM_ID : registered == event_id;
}

int mv_events_deregister(struct mv_events *ev, struct mv_client *client, int callback_id, int event_id)
{
    struct registration gone = { 0 };
    int r = -ENOENT;

    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n; i++) {
        if (ev->regs[i].client == client && ev->regs[i].callback_id == callback_id &&
            kind_matches(ev->regs[i].event_id, event_id)) {
            gone = ev->regs[i];
            ev->regs[i] = ev->regs[--ev->n];
            r = 0;
            break;
        }
    }
    pthread_mutex_unlock(&ev->lock);
    if (r == 0)
        registration_clear(&gone);
    return r;
}

int mv_events_register_call(struct mv_events *ev, struct mv_call *call, int from, int event_id,
                            const void *key, size_t keylen)
{
    int r = mv_events_register(ev, mv_call_client(call), event_id, key, keylen);

    if (r == -EDQUOT)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, from,
                             "operation failed: this connection already has %d %s event "
                             "registrations, the most one connection may hold",
                             MV_EVENTS_PER_CLIENT_MAX, ev->what);
    return r;
}

int mv_events_deregister_call(struct mv_events *ev, struct mv_call *call, int from, int callback_id,
                              int event_id)
{
    if (mv_events_deregister(ev, mv_call_client(call), callback_id, event_id) == 0)
        return 0;
    return mv_call_error(call, MV_ERR_INVALID_ARG, from, "invalid argument: %s event callback %d is not registered",
                         ev->what, callback_id);
}

void mv_events_client_close(struct mv_events *ev, struct mv_client *client)
{
    size_t kept = 0, dropped = 0;

    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n; i++) {
        if (ev->regs[i].client == client) {
            /* the closing client still holds its own reference: no free here */
            registration_clear(&ev->regs[i]);
            dropped++;
        } else {
            ev->regs[kept++] = ev->regs[i];
        }
    }
    ev->n = kept;
    pthread_mutex_unlock(&ev->lock);
    if (dropped)
        mv_debug("%s events: %zu registrations of a closing client dropped", ev->what, dropped);
}

static bool wants(const struct registration *reg, int event_id, const void *key, size_t keylen,
                  const char *subject)
{
    return reg->event_id == event_id &&
           (!reg->key || (key && reg->keylen == keylen && memcmp(reg->key, key, keylen) == 0)) &&
           (!reg->match.match || !subject || reg->match.match(reg->match.data, subject));
}

/* The matching registrations with a reference on each client, so the lock
 * is not held while encoding and posting. */
static int snapshot(struct mv_events *ev, int event_id, const void *key, size_t keylen,
                    const char *subject, struct recipient **ret, size_t *nret)
{
    struct recipient *v = NULL;
    size_t n = 0;
    int r = 0;

    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n; i++) {
        if (!wants(&ev->regs[i], event_id, key, keylen, subject))
            continue;
        if (!v && !(v = calloc(ev->n - i, sizeof(*v)))) {
            r = -ENOMEM;
            break;
        }
        v[n].client = mv_client_ref(ev->regs[i].client);
        v[n++].callback_id = ev->regs[i].callback_id;
    }
    pthread_mutex_unlock(&ev->lock);
    *ret = v;
    *nret = n;
    return r;
}

/* A copy of the encoded event M with CALLBACK_ID as the first int of its
 * payload, written through XDR like any other field. */
static struct mv_msg *copy_for(const struct mv_msg *m, int callback_id)
{
    struct mv_msg *copy = mv_msg_dup(m);
    XDR xdr;
    bool ok;

    if (!copy)
        return NULL;
    xdrmem_create(&xdr, copy->buf + copy->payload_off,
                  (u_int)(copy->len - copy->payload_off), XDR_ENCODE);
    ok = xdr_int(&xdr, &callback_id);
    xdr_destroy(&xdr);
    if (!ok) {
        mv_msg_free(copy);
        return NULL;
    }
    return copy;
}

static int encode_event(uint32_t prog, int proc, xdrproc_t filter, const void *data, struct mv_msg **ret)
{
    const struct mv_program *p = mv_program_lookup(prog);
    /* libvirt daemons send events with serial 1; clients ignore it */
    struct mv_message_header hdr = {
        .prog = prog, .vers = p ? p->vers : MV_REMOTE_VERSION, .proc = proc,
        .type = MV_MESSAGE, .serial = 1, .status = MV_OK,
    };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    int r;

    if (!m)
        return -ENOMEM;
    r = mv_msg_encode(m, &hdr, filter, data);
    if (r < 0)
        return r;
    if (m->len - m->payload_off < 4)
        return -EINVAL;     /* no callbackID to write */
    *ret = TAKE_PTR(m);
    return 0;
}

int mv_events_emit(struct mv_events *ev, int event_id, const void *key, size_t keylen,
                   int proc, xdrproc_t filter, const void *data)
{
    return mv_events_emit_program(ev, MV_REMOTE_PROGRAM, event_id, key, keylen, NULL, proc, filter, data);
}

int mv_events_emit_program(struct mv_events *ev, uint32_t prog, int event_id, const void *key,
                           size_t keylen, const char *subject, int proc, xdrproc_t filter,
                           const void *data)
{
    _cleanup_msg_ struct mv_msg *m = NULL;
    _cleanup_free_ struct recipient *to = NULL;
    size_t n = 0, sent = 0;
    int r = snapshot(ev, event_id, key, keylen, subject, &to, &n);

    if (r == 0 && n > 0)
        r = encode_event(prog, proc, filter, data, &m);
    for (size_t i = 0; i < n; i++) {
        struct mv_msg *copy = r == 0 ? copy_for(m, to[i].callback_id) : NULL;

        if (copy && mv_client_send_msg(to[i].client, copy) == 0)
            sent++;
        mv_client_unref(to[i].client);
    }
    if (r < 0)
        mv_debug("%s event %d not sent: %s", ev->what, event_id, strerror(-r));
    return r < 0 ? r : (int)sent;
}
