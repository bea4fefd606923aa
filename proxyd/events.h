/*
 * Event callback ids as a client of the proxy sees them.
 *
 * Each daemon numbers the callbacks of a connection on its own, so two legs
 * of one client hand out the same ids.  The proxy gives the client ids of
 * its own (unique across all legs of that client, never reused while
 * registered) and rewrites the int callbackID at the start of REGISTER
 * replies, DEREGISTER arguments and event MESSAGEs (with xdr_int, in place).
 * It keeps a copy of each registration call, so that when a daemon restarts
 * and its leg comes back the registrations are made again and the client
 * keeps its ids.
 *
 * One registry per client session, used from the proxy's loop thread only
 * (no locking).  Pure logic on packets: the session routes, this decides.
 *
 * The contract with the session:
 *  - every CALL whose procedure is an evreg/evdereg goes through
 *    proxyd_events_call() before it is forwarded;
 *  - every REPLY the client gets to such a call (the daemon's, or the
 *    proxy's own error when the leg failed it) goes through
 *    proxyd_events_reply() first, with the client's serial in its header;
 *  - every event MESSAGE from a leg goes through proxyd_events_message();
 *  - a leg that dies: proxyd_events_leg_lost(); a leg whose handshake is
 *    done: proxyd_events_leg_ready(), whose calls the session sends on that
 *    leg as its own, handing their replies to proxyd_events_internal_reply().
 */
#pragma once

#include <stdbool.h>

#include "message.h"
#include "proc_table.h"

/* Registrations one client may hold through the proxy, over all daemons. */
#define PROXYD_EVENTS_MAX 256
/* Largest registration call kept for replay (an object filter is a name and
 * a UUID: far below this). */
#define PROXYD_EVENTS_CALL_MAX 16384

struct proxyd_events;

int proxyd_events_new(struct proxyd_events **ret);
void proxyd_events_free(struct proxyd_events *ev);

enum proxyd_events_verdict {
    PROXYD_EVENTS_FORWARD = 0,      /* send the call on to its leg */
    PROXYD_EVENTS_ANSWERED = 1,     /* *reply is the client's answer; forward nothing */
};

/* A CALL of the client about to be forwarded on the leg of INFO's
 * subsystem.  A REGISTER is remembered until its reply; a DEREGISTER gets
 * the daemon's id in place of the client's.  Answered locally: a REGISTER
 * over the limit, a DEREGISTER of an id the client does not hold (as
 * libvirt's daemon words it), or of one whose daemon is away (success: it
 * holds nothing there).  Other calls: FORWARD, untouched.  -ENOMEM if the
 * answer cannot be built. */
int proxyd_events_call(struct proxyd_events *ev, const struct mv_proc_info *info, struct mv_msg *req,
                       struct mv_msg **reply);

/* A REPLY on its way to the client (client serial).  The success of a
 * REGISTER gets the client's new id written over the daemon's; a reply that
 * carries no id is replaced by an error reply (*reply freed and set anew).
 * Any reply to a DEREGISTER ends the registration (libvirt's client has
 * dropped the callback before it asks).  Other replies pass untouched.  0, or -ENOMEM if the replacement cannot be
 * built (*reply is then unchanged). */
int proxyd_events_reply(struct proxyd_events *ev, struct mv_msg **reply);

/* An event MESSAGE from the leg of SUBSYS: its callbackID becomes the
 * client's.  0: send it to the client; -ENOENT: no registration of this
 * client has that daemon id (a late event): drop it; -EBADMSG: not an
 * event of SUBSYS that starts with a callbackID: drop it. */
int proxyd_events_message(struct proxyd_events *ev, enum mv_subsystem subsys, struct mv_msg *m);

/* The leg of SUBSYS is gone: the daemon's ids mean nothing any more; the
 * registrations stay for the replay.  True if the client holds some on
 * SUBSYS (the leg is worth reconnecting while the client stays). */
bool proxyd_events_leg_lost(struct proxyd_events *ev, enum mv_subsystem subsys);

/* Whether the client holds registrations on SUBSYS. */
bool proxyd_events_wanted(const struct proxyd_events *ev, enum mv_subsystem subsys);

/* Sends CALL (owned by the callee, freed on failure too) on the leg with a
 * serial of the leg's; its reply goes to proxyd_events_internal_reply()
 * with TOKEN.  0 or -errno. */
typedef int (*proxyd_events_send_fn)(void *opaque, struct mv_msg *call, int token);

/* A leg of SUBSYS finished its handshake: each registration of SUBSYS the
 * daemon does not hold is made again through SEND.  Returns how many were
 * sent, or the first error of SEND (the rest wait for the next leg). */
int proxyd_events_leg_ready(struct proxyd_events *ev, enum mv_subsystem subsys,
                            proxyd_events_send_fn send, void *opaque);

/* The daemon's REPLY to a call sent through SEND with TOKEN.  A replayed
 * registration is bound to the daemon's new id (0), or stays without one
 * (-EREMOTEIO: the daemon refused it, -EBADMSG: the reply has no id; the
 * caller logs it).  A registration the client dropped meanwhile is
 * deregistered at the daemon through SEND.  A reply nobody waits for any
 * more is ignored (0). */
int proxyd_events_internal_reply(struct proxyd_events *ev, int token, const struct mv_msg *reply,
                                 proxyd_events_send_fn send, void *opaque);

/* Registrations held (all states), for tests and the session's logs. */
size_t proxyd_events_count(const struct proxyd_events *ev);
