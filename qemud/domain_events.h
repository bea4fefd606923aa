/*
 * Domain event registrations (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY)
 * and the lifecycle / reboot events sent to them (wire-protocol.md 6).
 * Emitting is safe from any thread and takes no domain lock.
 */
#pragma once

#include "domain_obj.h"
#include "server.h"

/* virDomainEventType and the detail values used here (wire-protocol.md 6.4) */
enum qemud_event {
    QEMUD_EVENT_DEFINED = 0, QEMUD_EVENT_UNDEFINED = 1, QEMUD_EVENT_STARTED = 2,
    QEMUD_EVENT_SUSPENDED = 3, QEMUD_EVENT_RESUMED = 4, QEMUD_EVENT_STOPPED = 5,
    QEMUD_EVENT_SHUTDOWN = 6, QEMUD_EVENT_CRASHED = 8,
};

/* Sends a lifecycle event for DOM (running as ID, -1 if not) to every
 * registration that wants it. */
void qemud_event_lifecycle(const struct qemud_dom *dom, int id, int event, int detail);
/* Sends a reboot event. */
void qemud_event_reboot(const struct qemud_dom *dom, int id);
/* Drops every registration of CLIENT (it is closing). */
void qemud_events_client_close(struct mv_client *client);
void qemud_events_cleanup(void);
