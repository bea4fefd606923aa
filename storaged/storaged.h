/* What the parts of modvirt-storaged share: the driver's state. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "daemon.h"
#include "error.h"
#include "paths.h"
#include "server.h"

struct mv_events;
struct mv_registry;
struct mv_store;
struct mv_worker_pool;

/* Each part exports its own table (storaged/README.md). */
extern const struct mv_dispatch_table storaged_pool_table;     /* pool_procs.c */
extern const struct mv_dispatch_table storaged_pool_life_table; /* pool_start.c */
extern const struct mv_dispatch_table storaged_volume_table;   /* volume_procs.c */
extern const struct mv_dispatch_table storaged_stream_table;   /* volume_stream.c */
extern const struct mv_dispatch_table storaged_secret_table;   /* secret_procs.c */
extern const struct mv_dispatch_table storaged_event_table;    /* pool_events.c */

struct storaged_driver {
    const struct mv_paths *paths;
    sd_event *event;                /* the RPC loop */
    struct mv_registry *pools;      /* every pool by name and UUID (pool_obj.c) */
    struct mv_store *store;         /* definitions, autostart links, status (pool_store.c) */
    struct mv_events *events;       /* pool lifecycle and refresh registrations (pool_events.c) */
    struct mv_worker_pool *tasks;   /* work nobody waits for (autostart) */
    /* How long a call waits for a pool's slow work (pool_queue.h) before it
     * fails with a timeout naming the pool ("pool_timeout", seconds) */
    unsigned int pool_timeout_ms;
    /* The same for work that moves a volume's data (clone, wipe, full
     * preallocation: "copy_timeout") */
    unsigned int copy_timeout_ms;
    /* How long a call waits for another call's job on the same pool */
    unsigned int job_wait_ms;
    char *qemu_img;                 /* config key "qemu_img": the qemu-img volumes are made with */
};

extern struct storaged_driver storaged;

int storaged_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
int storaged_driver_start(struct mv_daemon_ctx *ctx);
void storaged_driver_cleanup(void);
void storaged_client_close(struct mv_client *client);
bool storaged_driver_busy(void);

/* The error for flag bits an API does not know; returns -EINVAL. */
int storaged_bad_flags(struct mv_call *call, unsigned int flags, const char *api);
/* The libvirt error code a part's message stands for, by its leading
 * phrase ("invalid argument:", "XML error:"...), else FALLBACK. */
int storaged_code_of(const char *msg, int fallback);
