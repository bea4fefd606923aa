/*
 * proxyd/events: the callback ids a proxy client sees, across daemons that
 * each number their own from 1, and the replay of registrations when a
 * daemon's leg comes back.  Packets are encoded with the .x types, as the
 * client and the daemons encode them.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "proxyd/events.h"
#include "rpc/error.h"
#include "rpc/message.h"
#include "remote_protocol.h"

static struct proxyd_events *ev;

static void setup(void)
{
    ck_assert_int_eq(proxyd_events_new(&ev), 0);
}

static void teardown(void)
{
    proxyd_events_free(ev);
    ev = NULL;
}

static struct mv_msg *packet(int proc, int type, unsigned int serial, int status, xdrproc_t filter,
                             const void *data)
{
    struct mv_message_header hdr = {
        .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = proc, .type = type, .serial = serial, .status = status,
    };
    struct mv_msg *m = mv_msg_new();

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(mv_msg_encode(m, &hdr, filter, data), 0);
    return m;
}

static const struct mv_proc_info *info_of(int proc)
{
    const struct mv_proc_info *info = mv_proc_lookup(proc);

    ck_assert_ptr_nonnull(info);
    return info;
}

static int first_int(const struct mv_msg *m)
{
    int v;

    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_event_callback_ret, &v), 0);
    return v;
}

/* The int at the start of a longer payload (an event, a registration). */
static int leading_int(const struct mv_msg *m)
{
    XDR xdr;
    int v = 0;

    xdrmem_create(&xdr, m->buf + m->payload_off, (unsigned int)(m->len - m->payload_off), XDR_DECODE);
    ck_assert(xdr_int(&xdr, &v));
    xdr_destroy(&xdr);
    return v;
}

static struct mv_msg *network_register_call(unsigned int serial)
{
    mv_connect_network_event_register_any_args a = { .eventID = 0, .net = NULL };

    return packet(MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, MV_CALL, serial, MV_OK,
                  (xdrproc_t)xdr_mv_connect_network_event_register_any_args, &a);
}

static struct mv_msg *domain_register_call(unsigned int serial, int event_id)
{
    mv_connect_domain_event_callback_register_any_args a = { .eventID = event_id, .dom = NULL };

    return packet(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, MV_CALL, serial, MV_OK,
                  (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &a);
}

static struct mv_msg *id_packet(int proc, int type, unsigned int serial, int id)
{
    mv_event_callback_ret r = { .callbackID = id };

    return packet(proc, type, serial, MV_OK, (xdrproc_t)xdr_mv_event_callback_ret, &r);
}

static struct mv_msg *error_reply(int proc, unsigned int serial, const char *text)
{
    struct mv_err e = { 0 };
    mv_error wire;
    struct mv_msg *m;

    mv_err_set(&e, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK, "%s", text);
    mv_err_to_wire(&e, &wire);
    m = packet(proc, MV_REPLY, serial, MV_ERROR, (xdrproc_t)xdr_mv_error, &wire);
    mv_err_clear(&e);
    return m;
}

static struct mv_msg *network_event(int id)
{
    static char name[] = "net1";
    mv_network_event_lifecycle_msg e = { .callbackID = id, .net = { .name = name }, .event = 2 };

    return packet(MV_PROC_NETWORK_EVENT_LIFECYCLE, MV_MESSAGE, 1, MV_OK,
                  (xdrproc_t)xdr_mv_network_event_lifecycle_msg, &e);
}

static struct mv_msg *domain_event(int id)
{
    static char name[] = "vm1";
    mv_domain_event_callback_lifecycle_msg e = { .callbackID = id, .msg = { .dom = { .name = name, .id = -1 } } };

    return packet(MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, MV_MESSAGE, 1, MV_OK,
                  (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &e);
}

/* A client registration through the proxy, answered by the daemon with
 * UPSTREAM; returns the client's id. */
static int do_register(struct mv_msg *call, int upstream)
{
    _cleanup_msg_ struct mv_msg *c = call;
    _cleanup_msg_ struct mv_msg *reply = NULL;
    struct mv_msg *local = NULL;

    ck_assert_int_eq(proxyd_events_call(ev, info_of(c->hdr.proc), c, &local), PROXYD_EVENTS_FORWARD);
    ck_assert_ptr_null(local);
    reply = id_packet(c->hdr.proc, MV_REPLY, c->hdr.serial, upstream);
    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    return first_int(reply);
}

/* The event with daemon id UPSTREAM as the client gets it: its id, or -1 if dropped. */
static int deliver(enum mv_subsystem s, struct mv_msg *event)
{
    _cleanup_msg_ struct mv_msg *m = event;
    int r = proxyd_events_message(ev, s, m);

    if (r == -ENOENT)
        return -1;
    ck_assert_int_eq(r, 0);
    return leading_int(m);
}

/* The error of a reply: "CODE DOMAIN MESSAGE". */
static char *error_of(const struct mv_msg *m)
{
    mv_error wire = { 0 };
    char *s = NULL;

    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_int_eq(m->hdr.status, MV_ERROR);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &wire), 0);
    ck_assert_int_ge(asprintf(&s, "%d %d %s", wire.code, wire.domain, *wire.message), 0);
    xdr_free((xdrproc_t)xdr_mv_error, (char *)&wire);
    return s;
}

/* The client deregisters ID: the call as forwarded (daemon id inside), or NULL if answered locally (*answer). */
static struct mv_msg *deregister(int proc, unsigned int serial, int id, struct mv_msg **answer)
{
    struct mv_msg *c = id_packet(proc, MV_CALL, serial, id);
    int r = proxyd_events_call(ev, info_of(proc), c, answer);

    if (r == PROXYD_EVENTS_FORWARD)
        return c;
    ck_assert_int_eq(r, PROXYD_EVENTS_ANSWERED);
    ck_assert_ptr_nonnull(*answer);
    ck_assert_uint_eq((*answer)->hdr.serial, serial);
    mv_msg_free(c);
    return NULL;
}

/* What a leg's replay sent: copies of the registration calls with their tokens. */
struct sent {
    struct mv_msg *calls[8];
    int tokens[8];
    int n;
    int fail_at;    /* the call that fails with -EPIPE (-1: none) */
};

static int record_send(void *opaque, struct mv_msg *call, int token)
{
    struct sent *s = opaque;

    if (s->n == s->fail_at) {
        mv_msg_free(call);
        return -EPIPE;
    }
    ck_assert_int_lt(s->n, 8);
    s->calls[s->n] = call;
    s->tokens[s->n++] = token;
    return 0;
}

static void sent_clear(struct sent *s)
{
    for (int i = 0; i < s->n; i++)
        mv_msg_free(s->calls[i]);
    *s = (struct sent){ .fail_at = -1 };
}

START_TEST(ids_are_unique_across_daemons)
{
    /* both daemons number from 1: the client sees two ids */
    int net = do_register(network_register_call(5), 1);
    int dom = do_register(domain_register_call(6, 0), 1);

    ck_assert_int_ne(net, dom);
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(1)), net);
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(1)), dom);
    /* an id the client never got from that daemon is dropped */
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(2)), -1);
    ck_assert_uint_eq(proxyd_events_count(ev), 2);
}
END_TEST

START_TEST(event_of_another_subsystem_is_refused)
{
    _cleanup_msg_ struct mv_msg *dom = domain_event(1);
    _cleanup_msg_ struct mv_msg *closed = packet(MV_PROC_CONNECT_EVENT_CONNECTION_CLOSED, MV_MESSAGE, 0, MV_OK,
                                                 (xdrproc_t)xdr_mv_event_callback_ret,
                                                 &(mv_event_callback_ret){ 0 });
    _cleanup_msg_ struct mv_msg *empty = packet(MV_PROC_NETWORK_EVENT_LIFECYCLE, MV_MESSAGE, 1, MV_OK, NULL, NULL);

    do_register(network_register_call(1), 1);
    /* a domain event on the network leg: not one of that daemon's */
    ck_assert_int_eq(proxyd_events_message(ev, MV_SUBSYS_NETWORK, dom), -EBADMSG);
    /* the connection-level message is the proxy's own */
    ck_assert_int_eq(proxyd_events_message(ev, MV_SUBSYS_CONNECT, closed), -EBADMSG);
    /* no callbackID at all */
    ck_assert_int_eq(proxyd_events_message(ev, MV_SUBSYS_NETWORK, empty), -EBADMSG);
}
END_TEST

START_TEST(deregister_rewrites_and_forgets)
{
    int net = do_register(network_register_call(1), 7);
    struct mv_msg *answer = NULL;
    _cleanup_msg_ struct mv_msg *fwd = deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 2, net, &answer);
    _cleanup_msg_ struct mv_msg *reply = NULL;

    ck_assert_ptr_nonnull(fwd);
    ck_assert_int_eq(first_int(fwd), 7);
    /* the daemon keeps sending until it handled the call: still the client's */
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(7)), net);
    reply = packet(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, MV_REPLY, 2, MV_OK, NULL, NULL);
    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(7)), -1);
}
END_TEST

START_TEST(deregister_refused_forgets_it)
{
    /* libvirt's client dropped the callback before it asked; the daemon
     * holds nothing under the id it refused or lost with its connection */
    int net = do_register(network_register_call(1), 3);
    struct mv_msg *answer = NULL;
    _cleanup_msg_ struct mv_msg *fwd = deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 2, net, &answer);
    _cleanup_msg_ struct mv_msg *reply = error_reply(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 2,
                                                     "modvirt-netd closed the connection");
    _cleanup_msg_ struct mv_msg *again = NULL;
    _cleanup_free_ char *e = NULL;
    struct sent s = { .fail_at = -1 };

    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    ck_assert_int_eq(reply->hdr.status, MV_ERROR);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(3)), -1);
    ck_assert(!proxyd_events_leg_lost(ev, MV_SUBSYS_NETWORK));
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_NETWORK, record_send, &s), 0);
    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 3, net, &again));
    e = error_of(again);
    ck_assert_str_eq(e + strlen("39 7 "), "network event callback 1 not registered");
}
END_TEST

START_TEST(deregister_unknown_is_answered_as_libvirt)
{
    _cleanup_msg_ struct mv_msg *answer = NULL;
    _cleanup_msg_ struct mv_msg *answer2 = NULL;
    _cleanup_msg_ struct mv_msg *answer3 = NULL;
    _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
    int dom = do_register(domain_register_call(1, 0), 1);
    int pool;

    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 9, 4242, &answer));
    e1 = error_of(answer);
    ck_assert_str_eq(e1, "39 7 network event callback 4242 not registered");
    /* the client's domain id is no network callback */
    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 10, dom, &answer2));
    e2 = error_of(answer2);
    ck_assert_str_eq(e2 + strlen("39 7 "), "network event callback 1 not registered");
    pool = 77;
    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, 11, pool, &answer3));
    e3 = error_of(answer3);
    ck_assert_str_eq(e3, "39 7 storage pool event callback 77 not registered");
    ck_assert_uint_eq(proxyd_events_count(ev), 1);
}
END_TEST

START_TEST(register_refused_leaves_nothing)
{
    _cleanup_msg_ struct mv_msg *call = network_register_call(4);
    _cleanup_msg_ struct mv_msg *reply = error_reply(MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, 4, "refused");
    struct mv_msg *local = NULL;

    ck_assert_int_eq(proxyd_events_call(ev, info_of(call->hdr.proc), call, &local), PROXYD_EVENTS_FORWARD);
    ck_assert_uint_eq(proxyd_events_count(ev), 1);
    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    ck_assert_int_eq(reply->hdr.status, MV_ERROR);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
}
END_TEST

START_TEST(register_reply_without_id_becomes_an_error)
{
    _cleanup_msg_ struct mv_msg *call = network_register_call(4);
    _cleanup_msg_ struct mv_msg *reply = packet(MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, MV_REPLY, 4, MV_OK,
                                                NULL, NULL);
    _cleanup_free_ char *e = NULL;
    struct mv_msg *local = NULL;

    ck_assert_int_eq(proxyd_events_call(ev, info_of(call->hdr.proc), call, &local), PROXYD_EVENTS_FORWARD);
    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    ck_assert_uint_eq(reply->hdr.serial, 4);
    e = error_of(reply);
    ck_assert_str_eq(e, "39 7 the network daemon's reply to CONNECT_NETWORK_EVENT_REGISTER_ANY carries no callback id");
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
}
END_TEST

START_TEST(other_calls_pass_untouched)
{
    _cleanup_msg_ struct mv_msg *call = packet(MV_PROC_CONNECT_LIST_ALL_NETWORKS, MV_CALL, 3, MV_OK, NULL, NULL);
    _cleanup_msg_ struct mv_msg *reply = id_packet(MV_PROC_CONNECT_LIST_ALL_NETWORKS, MV_REPLY, 3, 5);
    struct mv_msg *before = reply, *local = NULL;

    ck_assert_int_eq(proxyd_events_call(ev, info_of(call->hdr.proc), call, &local), PROXYD_EVENTS_FORWARD);
    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    ck_assert_ptr_eq(reply, before);
    ck_assert_int_eq(first_int(reply), 5);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
}
END_TEST

START_TEST(ids_are_not_reused)
{
    struct mv_msg *answer = NULL;
    int a = do_register(network_register_call(1), 1);
    _cleanup_msg_ struct mv_msg *fwd = deregister(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, 2, a, &answer);
    _cleanup_msg_ struct mv_msg *reply = packet(MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, MV_REPLY, 2, MV_OK,
                                                NULL, NULL);
    int b;

    ck_assert_int_eq(proxyd_events_reply(ev, &reply), 0);
    b = do_register(network_register_call(3), 1);
    ck_assert_int_ne(a, b);
}
END_TEST

START_TEST(registrations_are_bounded)
{
    _cleanup_msg_ struct mv_msg *over = domain_register_call(9999, 0);
    _cleanup_msg_ struct mv_msg *answer = NULL;
    _cleanup_free_ char *e = NULL;

    for (int i = 0; i < PROXYD_EVENTS_MAX; i++)
        do_register(domain_register_call((unsigned int)i + 1, i % 27), i + 1);
    ck_assert_int_eq(proxyd_events_call(ev, info_of(over->hdr.proc), over, &answer), PROXYD_EVENTS_ANSWERED);
    e = error_of(answer);
    ck_assert_str_eq(e, "9 20 operation failed: this connection already has 256 event registrations, "
                        "the most one connection may hold through modvirt-proxyd");
    ck_assert_uint_eq(proxyd_events_count(ev), PROXYD_EVENTS_MAX);
}
END_TEST

START_TEST(leg_back_replays_and_client_keeps_ids)
{
    struct sent s = { .fail_at = -1 };
    int d0 = do_register(domain_register_call(1, 0), 1);
    int d1 = do_register(domain_register_call(2, 13), 2);
    int net = do_register(network_register_call(3), 1);

    ck_assert(!proxyd_events_leg_lost(ev, MV_SUBSYS_STORAGE));
    ck_assert(proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU));
    /* the old daemon's ids mean nothing now; the network leg is untouched */
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(1)), -1);
    ck_assert_int_eq(deliver(MV_SUBSYS_NETWORK, network_event(1)), net);

    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 2);
    ck_assert_int_eq(s.n, 2);
    /* the calls are the client's own registrations, byte for byte after the header */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(s.calls[i]->hdr.proc, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY);
        ck_assert_int_eq(s.calls[i]->hdr.type, MV_CALL);
        ck_assert_int_eq(leading_int(s.calls[i]), s.tokens[i] == d0 ? 0 : 13);
    }
    /* nothing to replay twice while the replies are on their way */
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &(struct sent){ .fail_at = 0 }), 0);

    for (int i = 0; i < 2; i++) {
        _cleanup_msg_ struct mv_msg *r = id_packet(s.calls[i]->hdr.proc, MV_REPLY, 1, 10 + i);

        ck_assert_int_eq(proxyd_events_internal_reply(ev, s.tokens[i], r, record_send, &s), 0);
    }
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(10)), s.tokens[0]);
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(11)), s.tokens[1]);
    ck_assert_int_ne(deliver(MV_SUBSYS_QEMU, domain_event(10)), deliver(MV_SUBSYS_QEMU, domain_event(11)));
    ck_assert((s.tokens[0] == d0 && s.tokens[1] == d1) || (s.tokens[0] == d1 && s.tokens[1] == d0));
    sent_clear(&s);
}
END_TEST

START_TEST(deregister_after_replay_uses_new_id)
{
    struct sent s = { .fail_at = -1 };
    int d = do_register(domain_register_call(1, 0), 1);
    _cleanup_msg_ struct mv_msg *r = NULL;
    _cleanup_msg_ struct mv_msg *fwd = NULL;
    struct mv_msg *answer = NULL;

    proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    r = id_packet(s.calls[0]->hdr.proc, MV_REPLY, 1, 4);
    ck_assert_int_eq(proxyd_events_internal_reply(ev, s.tokens[0], r, record_send, &s), 0);
    fwd = deregister(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 5, d, &answer);
    ck_assert_ptr_nonnull(fwd);
    ck_assert_int_eq(first_int(fwd), 4);
    sent_clear(&s);
}
END_TEST

START_TEST(deregister_while_leg_away_is_local)
{
    _cleanup_msg_ struct mv_msg *answer = NULL;
    struct sent s = { .fail_at = -1 };
    int d = do_register(domain_register_call(1, 0), 1);

    proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU);
    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 2, d, &answer));
    ck_assert_int_eq(answer->hdr.type, MV_REPLY);
    ck_assert_int_eq(answer->hdr.status, MV_OK);
    ck_assert_uint_eq(answer->len, answer->payload_off);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
    ck_assert(!proxyd_events_wanted(ev, MV_SUBSYS_QEMU));
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 0);
}
END_TEST

START_TEST(deregister_during_replay_drops_it_upstream)
{
    _cleanup_msg_ struct mv_msg *answer = NULL;
    _cleanup_msg_ struct mv_msg *late = NULL;
    struct sent s = { .fail_at = -1 };
    int d = do_register(domain_register_call(1, 0), 1);

    proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    ck_assert_ptr_null(deregister(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 2, d, &answer));
    ck_assert_int_eq(answer->hdr.status, MV_OK);
    ck_assert(!proxyd_events_wanted(ev, MV_SUBSYS_QEMU));
    /* the replay answers: the proxy deregisters the daemon's new id itself */
    late = id_packet(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, MV_REPLY, 1, 8);
    ck_assert_int_eq(proxyd_events_internal_reply(ev, d, late, record_send, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.calls[1]->hdr.proc, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY);
    ck_assert_int_eq(s.calls[1]->hdr.type, MV_CALL);
    ck_assert_int_eq(first_int(s.calls[1]), 8);
    ck_assert_int_eq(s.tokens[1], 0);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(8)), -1);
    sent_clear(&s);
}
END_TEST

START_TEST(replay_refused_is_tried_on_the_next_leg)
{
    struct sent s = { .fail_at = -1 };
    int d = do_register(domain_register_call(1, 0), 1);
    _cleanup_msg_ struct mv_msg *no = error_reply(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 1, "busy");
    _cleanup_msg_ struct mv_msg *yes = id_packet(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, MV_REPLY, 1, 2);

    proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    ck_assert_int_eq(proxyd_events_internal_reply(ev, d, no, record_send, &s), -EREMOTEIO);
    ck_assert(proxyd_events_wanted(ev, MV_SUBSYS_QEMU));
    sent_clear(&s);
    /* a send that fails leaves it for the leg after */
    s.fail_at = 0;
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), -EPIPE);
    sent_clear(&s);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    ck_assert_int_eq(proxyd_events_internal_reply(ev, d, yes, record_send, &s), 0);
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(2)), d);
    sent_clear(&s);
}
END_TEST

START_TEST(replay_lost_with_its_leg_is_sent_again)
{
    struct sent s = { .fail_at = -1 };
    int d = do_register(domain_register_call(1, 0), 1);
    _cleanup_msg_ struct mv_msg *stale = id_packet(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, MV_REPLY, 1, 3);

    proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    ck_assert(proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU));
    /* an answer from the dead leg binds nothing */
    ck_assert_int_eq(proxyd_events_internal_reply(ev, d, stale, record_send, &s), 0);
    ck_assert_int_eq(deliver(MV_SUBSYS_QEMU, domain_event(3)), -1);
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 1);
    sent_clear(&s);
}
END_TEST

START_TEST(register_in_flight_when_leg_dies)
{
    _cleanup_msg_ struct mv_msg *call = domain_register_call(6, 0);
    _cleanup_msg_ struct mv_msg *failed = error_reply(MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 6,
                                                      "modvirt-qemud closed the connection");
    struct sent s = { .fail_at = -1 };
    struct mv_msg *local = NULL;

    ck_assert_int_eq(proxyd_events_call(ev, info_of(call->hdr.proc), call, &local), PROXYD_EVENTS_FORWARD);
    /* nothing the client holds yet: no reason to reconnect */
    ck_assert(!proxyd_events_leg_lost(ev, MV_SUBSYS_QEMU));
    ck_assert_int_eq(proxyd_events_leg_ready(ev, MV_SUBSYS_QEMU, record_send, &s), 0);
    ck_assert_int_eq(proxyd_events_reply(ev, &failed), 0);
    ck_assert_uint_eq(proxyd_events_count(ev), 0);
}
END_TEST

START_TEST(every_registration_has_its_deregistration_next)
{
    /* the proxy's own deregistration (a client that left during a replay)
     * relies on libvirt's numbering */
    for (size_t p = 0; p < mv_proc_facts_len; p++) {
        const struct mv_proc_info *i = &mv_proc_facts[p], *next;

        if (!i->name || !(i->flags & MV_PROC_EVENT_REGISTER))
            continue;
        next = mv_proc_lookup(i->proc + 1);
        ck_assert_msg(next && (next->flags & MV_PROC_EVENT_DEREGISTER) && next->subsystem == i->subsystem,
                      "%s is not followed by its deregistration", i->name);
    }
}
END_TEST

static Suite *events_suite(void)
{
    Suite *s = suite_create("proxyd_events");
    TCase *tc = tcase_create("events");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ids_are_unique_across_daemons);
    tcase_add_test(tc, event_of_another_subsystem_is_refused);
    tcase_add_test(tc, deregister_rewrites_and_forgets);
    tcase_add_test(tc, deregister_refused_forgets_it);
    tcase_add_test(tc, deregister_unknown_is_answered_as_libvirt);
    tcase_add_test(tc, register_refused_leaves_nothing);
    tcase_add_test(tc, register_reply_without_id_becomes_an_error);
    tcase_add_test(tc, other_calls_pass_untouched);
    tcase_add_test(tc, ids_are_not_reused);
    tcase_add_test(tc, registrations_are_bounded);
    tcase_add_test(tc, leg_back_replays_and_client_keeps_ids);
    tcase_add_test(tc, deregister_after_replay_uses_new_id);
    tcase_add_test(tc, deregister_while_leg_away_is_local);
    tcase_add_test(tc, deregister_during_replay_drops_it_upstream);
    tcase_add_test(tc, replay_refused_is_tried_on_the_next_leg);
    tcase_add_test(tc, replay_lost_with_its_leg_is_sent_again);
    tcase_add_test(tc, register_in_flight_when_leg_dies);
    tcase_add_test(tc, every_registration_has_its_deregistration_next);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(events_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
