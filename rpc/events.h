/*
 * Event registrations of one driver and their delivery, the same for every
 * kind of object (domains, networks, pools, node devices).  A client
 * registers for an event id, optionally for one object only (filtered by an
 * opaque key: a UUID, or a name where the object has none), and gets a
 * callback id; its registrations go when it closes.  An event is encoded
 * once and each recipient gets a copy with its own callback id written in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* Registrations one client may hold in one registry: enough for virsh
 * event --all (one per event id) over many objects, and a bound on what a
 * client of the world-open read-only socket makes us fan out. */
#define MV_EVENTS_PER_CLIENT_MAX 256
/* Longest object key (a UUID is 16 bytes, a node device name is longer). */
#define MV_EVENTS_KEY_MAX 256

struct mv_events;

/* A registry; WHAT ("domain") names the objects in debug lines. */
int mv_events_new(const char *what, struct mv_events **ret);
/* Drops every registration (and its client reference).  NULL is fine. */
void mv_events_free(struct mv_events *ev);

/* Registers CLIENT for EVENT_ID, of the object with KEY only if KEY is not
 * NULL.  Returns the callback id (> 0), -EDQUOT when CLIENT already holds
 * MV_EVENTS_PER_CLIENT_MAX registrations, -EINVAL for a key longer than
 * MV_EVENTS_KEY_MAX, -ENOTCONN if CLIENT is closed already, -ENOMEM.  The
 * driver's client_close hook must call mv_events_client_close(). */
int mv_events_register(struct mv_events *ev, struct mv_client *client, int event_id,
                       const void *key, size_t keylen);
/* A registration's own test of the events it gets, beyond the event id and
 * the object: for an event emitted with a subject (the QMP event name of the
 * qemu program's monitor events), MATCH(DATA, SUBJECT) decides; FREE (may be
 * NULL) releases DATA with the registration.  MATCH runs under the
 * registry's lock, on the emitting thread: it must be quick and not block. */
struct mv_events_match {
    bool (*match)(const void *data, const char *subject);
    void (*free)(void *data);
    void *data;
};

/* mv_events_register() with MATCH (copied; its DATA is taken, and freed
 * through MATCH->free also on failure). */
int mv_events_register_match(struct mv_events *ev, struct mv_client *client, int event_id,
                             const void *key, size_t keylen, const struct mv_events_match *match);
/* Event ids from this one up belong to a program other than the remote
 * one (libvirt's QEMU program's monitor events): a registration of either
 * kind is removed only by its own program's DEREGISTER, as libvirt answers
 * "not registered" for the other's callback id. */
#define MV_EVENTS_OTHER_PROGRAM_ID 0x10000

/* Removes CLIENT's registration CALLBACK_ID for EVENT_ID (MV_EVENTS_REMOTE_IDS:
 * any id below MV_EVENTS_OTHER_PROGRAM_ID); -ENOENT if it has none. */
#define MV_EVENTS_REMOTE_IDS (-1)
int mv_events_deregister(struct mv_events *ev, struct mv_client *client, int callback_id, int event_id);
/* The two above as a driver's REGISTER_ANY and DEREGISTER_ANY procedures
 * answer them for the client of CALL: an error set on CALL, from error
 * domain FROM, names the registry's kind of objects. */
int mv_events_register_call(struct mv_events *ev, struct mv_call *call, int from, int event_id,
                            const void *key, size_t keylen);
int mv_events_deregister_call(struct mv_events *ev, struct mv_call *call, int from, int callback_id,
                              int event_id);
/* Removes every registration of CLIENT (it is closing). */
void mv_events_client_close(struct mv_events *ev, struct mv_client *client);

/* Sends event EVENT_ID of the object KEY to every registration that wants
 * it, as a MESSAGE of procedure PROC: DATA is encoded once through FILTER,
 * and its payload must begin with the int callbackID, which is overwritten
 * for each recipient.  Any thread; no lock is held while sending.  Returns
 * the number of recipients or -errno (nothing sent). */
int mv_events_emit(struct mv_events *ev, int event_id, const void *key, size_t keylen,
                   int proc, xdrproc_t filter, const void *data);
/* The same for an event PROC of program PROG (MV_QEMU_PROGRAM) with
 * SUBJECT (may be NULL) for the registrations' own MATCH. */
int mv_events_emit_program(struct mv_events *ev, uint32_t prog, int event_id, const void *key,
                           size_t keylen, const char *subject, int proc, xdrproc_t filter,
                           const void *data);
