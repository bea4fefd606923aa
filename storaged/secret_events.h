/*
 * Secret events (wire-protocol.md 6.3): LIFECYCLE (message 382, DEFINED or
 * UNDEFINED, detail 0) and VALUE_CHANGED (message 383).  Emitting is safe
 * from any thread; registrations live in storaged_secrets.events.
 */
#pragma once

#include "remote_protocol.h"
#include "secret_obj.h"
#include "server.h"

/* virSecretEventLifecycleType */
enum storaged_secret_event { STORAGED_SECRET_DEFINED = 0, STORAGED_SECRET_UNDEFINED = 1 };

/* Call with SEC's lock held or with its definition otherwise stable. */
void storaged_secret_event_lifecycle(const struct storaged_secret *sec, int event);
void storaged_secret_event_value_changed(const struct storaged_secret *sec);

/* CONNECT_SECRET_EVENT_REGISTER_ANY and DEREGISTER_ANY (secret_procs.c lists them). */
int storaged_secret_event_register(struct mv_call *call, mv_connect_secret_event_register_any_args *args,
                                   mv_event_callback_ret *ret);
int storaged_secret_event_deregister(struct mv_call *call, mv_event_deregister_args *args, void *ret);

/* The wire form of SEC (borrowing its usage id); call with SEC's lock held. */
void storaged_secret_to_wire_borrowed(const struct storaged_secret *sec, mv_nonnull_secret *out);
