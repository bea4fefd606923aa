/*
 * Names for domain states, their reasons and lifecycle events, worded as
 * virsh words them (virsh-domain-monitor.c, virsh-domain-event.c of
 * libvirt 9.0), so that output and scripts written against virsh match.
 */
#include <stddef.h>

#include "cleanup.h"
#include "internal.h"

struct names {
    const char *const *v;
    size_t n;
};

#define NAMES(...) { (const char *const[]){ __VA_ARGS__ }, \
                     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *) }

static const char *pick(const struct names *table, size_t ntable, int i, int j,
                        const char *fallback)
{
    if (i < 0 || (size_t)i >= ntable || j < 0 || (size_t)j >= table[i].n)
        return fallback;
    return table[i].v[j];
}

static const char *const states[] = {
    "no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended",
};

const char *modvirt_domain_state_name(int state)
{
    /* virsh shows an unknown state as "no state", not as an error */
    if (state < 0 || (size_t)state >= MV_ARRAY_SIZE(states))
        return states[0];
    return states[state];
}

/* Indexed by state, then reason (libvirt's virDomain<State>Reason enums). */
static const struct names reasons[] = {
    NAMES("unknown"),
    NAMES("unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
          "migration canceled", "save canceled", "event wakeup", "crashed", "post-copy",
          "post-copy failed"),
    NAMES("unknown"),
    NAMES("unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog",
          "from snapshot", "shutting down", "creating snapshot", "crashed", "starting up",
          "post-copy", "post-copy failed", "api error"),
    NAMES("unknown", "user"),
    NAMES("unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
          "from snapshot", "daemon"),
    NAMES("unknown", "panicked"),
    NAMES("unknown"),
};

const char *modvirt_domain_state_reason_name(int state, int reason)
{
    return pick(reasons, MV_ARRAY_SIZE(reasons), state, reason, "unknown");
}

static const char *const event_types[] = {
    "Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown",
    "PMSuspended", "Crashed",
};

const char *modvirt_domain_event_type_name(int type)
{
    if (type < 0 || (size_t)type >= MV_ARRAY_SIZE(event_types))
        return "unknown";
    return event_types[type];
}

/* Indexed by event type, then detail. */
static const struct names details[] = {
    NAMES("Added", "Updated", "Renamed", "Snapshot"),
    NAMES("Removed", "Renamed"),
    NAMES("Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"),
    NAMES("Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot", "API error",
          "Post-copy", "Post-copy Error"),
    NAMES("Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"),
    NAMES("Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot"),
    NAMES("Finished", "Finished after guest request", "Finished after host request"),
    NAMES("Memory", "Disk"),
    NAMES("Panicked", "Crashloaded"),
};

const char *modvirt_domain_event_detail_name(int type, int detail)
{
    return pick(details, MV_ARRAY_SIZE(details), type, detail, "unknown");
}
