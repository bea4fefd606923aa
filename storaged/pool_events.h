/*
 * Storage pool events (CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY; messages
 * STORAGE_POOL_EVENT_LIFECYCLE and _REFRESH, wire-protocol.md 6.3).
 * Emitting is safe from any thread (a pool's own thread included) and
 * takes no pool lock.
 */
#pragma once

#include "pool_obj.h"

/* virStoragePoolEventLifecycleType; the detail is always 0 */
enum stor_event {
    STOR_EVENT_DEFINED = 0, STOR_EVENT_UNDEFINED = 1, STOR_EVENT_STARTED = 2, STOR_EVENT_STOPPED = 3,
    STOR_EVENT_CREATED = 4, STOR_EVENT_DELETED = 5,
};

int stor_events_init(void);
void stor_events_cleanup(void);
void stor_event_lifecycle(const struct stor_pool *pool, int event);
void stor_event_refresh(const struct stor_pool *pool);
