/*
 * Domain event registrations (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY)
 * and the lifecycle / reboot events sent to them (wire-protocol.md 6).
 * Emitting is safe from any thread and takes no domain lock.  The generic
 * part (registrations, filtering, fan-out) is rpc/events.[ch].
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

/* The event details used here, named EVENT_DETAIL. */
enum qemud_event_detail {
    QEMUD_DETAIL_DEFINED_ADDED = 0, QEMUD_DETAIL_DEFINED_UPDATED = 1,
    QEMUD_DETAIL_UNDEFINED_REMOVED = 0,
    QEMUD_DETAIL_STARTED_BOOTED = 0, QEMUD_DETAIL_STARTED_RESTORED = 2,
    QEMUD_DETAIL_SUSPENDED_PAUSED = 0,
    QEMUD_DETAIL_RESUMED_UNPAUSED = 0,
    QEMUD_DETAIL_STOPPED_SHUTDOWN = 0, QEMUD_DETAIL_STOPPED_DESTROYED = 1, QEMUD_DETAIL_STOPPED_SAVED = 4,
    QEMUD_DETAIL_STOPPED_FAILED = 5,
    QEMUD_DETAIL_SHUTDOWN_GUEST = 1, QEMUD_DETAIL_SHUTDOWN_HOST = 2,
    QEMUD_DETAIL_CRASHED_PANICKED = 0,
};

/* Creates the driver's registry of domain event registrations (qemud.events). */
int qemud_events_init(void);
/* Sends a lifecycle event for DOM (running as ID, -1 if not) to every
 * registration that wants it. */
void qemud_event_lifecycle(const struct qemud_dom *dom, int id, int event, int detail);
/* Sends a reboot event. */
void qemud_event_reboot(const struct qemud_dom *dom, int id);
/* DEVICE_ADDED (19), DEVICE_REMOVED (15), DEVICE_REMOVAL_FAILED (22) for
 * DOM's device ALIAS (hotplug.h). */
void qemud_event_device_added(const struct qemud_dom *dom, int id, const char *alias);
void qemud_event_device_removed(const struct qemud_dom *dom, int id, const char *alias);
void qemud_event_device_removal_failed(const struct qemud_dom *dom, int id, const char *alias);
/* Drops every registration of CLIENT (it is closing). */
void qemud_events_client_close(struct mv_client *client);
void qemud_events_cleanup(void);
