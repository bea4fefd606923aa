/*
 * Network lifecycle events (CONNECT_NETWORK_EVENT_REGISTER_ANY, message
 * NETWORK_EVENT_LIFECYCLE; wire-protocol.md 6.3).  Emitting is safe from
 * any thread and takes no network lock.
 */
#pragma once

#include "network_obj.h"

/* virNetworkEventLifecycleType; the detail is always 0 */
enum netd_event {
    NETD_EVENT_DEFINED = 0, NETD_EVENT_UNDEFINED = 1, NETD_EVENT_STARTED = 2, NETD_EVENT_STOPPED = 3,
};

int netd_events_init(void);
void netd_events_cleanup(void);
/* Sends EVENT for NET to every registration that wants it. */
void netd_event_lifecycle(const struct netd_net *net, int event);
