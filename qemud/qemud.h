/* What the parts of modvirt-qemud share. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "paths.h"
#include "server.h"

struct mv_events;
struct mv_qmp_loop;
struct mv_registry;
struct mv_store;
struct mv_worker_pool;

extern const struct mv_dispatch_table qemud_host_table;
extern const struct mv_dispatch_table qemud_domain_table;
extern const struct mv_dispatch_table qemud_lifecycle_table;
extern const struct mv_dispatch_table qemud_event_table;
extern const struct mv_dispatch_table qemud_hotplug_table;
extern const struct mv_dispatch_table qemud_console_table;
extern const struct mv_dispatch_table qemud_tuning_table;
extern const struct mv_dispatch_table qemud_snapshot_table;
extern const struct mv_dispatch_table qemud_stats_table;
extern const struct mv_dispatch_table qemud_stats_bulk_table;
extern const struct mv_dispatch_table qemud_agent_table;

/* The daemon's state outside any one domain; set up by qemud_driver_init(). */
struct qemud_driver {
    const struct mv_paths *paths;
    sd_event *event;                /* the RPC loop (console streams live there) */
    char *emulator;                 /* QEMU binary when a domain names none */
    struct mv_registry *domains;    /* every domain, by name, UUID and id (domain_obj.c) */
    struct mv_store *store;         /* definitions, autostart links, status files (domain_store.c) */
    const char *rundir;             /* <rundir>/qemu (the store's): status files, UUID.d domain dirs */
    char *logdir;                   /* <logdir>/qemu: NAME.log, QEMU's output */
    struct mv_qmp_loop *qmp;        /* the monitor thread */
    struct mv_worker_pool *tasks;   /* domain work nobody waits for (QEMU exits, autostart) */
    struct mv_events *events;       /* domain event registrations (domain_events.c) */
    unsigned int monitor_timeout_ms;
    unsigned int job_wait_ms;
    unsigned int destroy_grace_ms;
};

extern struct qemud_driver qemud;

/* The error for flag bits an API does not know; returns -EINVAL. */
int qemud_bad_flags(struct mv_call *call, unsigned int flags, const char *api);
/* Hands ERR to CALL (and clears it); returns -EIO. */
int qemud_call_fail(struct mv_call *call, struct mv_err *err);
