/* What the parts of modvirt-netd share: the driver's state. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "dnsmasq.h"
#include "error.h"
#include "conf.h"
#include "daemon.h"
#include "paths.h"
#include "server.h"

struct mv_events;
struct mv_registry;
struct mv_store;
struct mv_worker_pool;
struct netd_watcher;

extern const struct mv_dispatch_table netd_network_table;  /* network_procs.c */
extern const struct mv_dispatch_table netd_network_life_table;  /* network_life_procs.c */
extern const struct mv_dispatch_table netd_port_table;     /* port_procs.c */
extern const struct mv_dispatch_table netd_event_table;    /* network_events.c */

struct netd_driver {
    const struct mv_paths *paths;
    sd_event *event;                /* the RPC loop */
    struct mv_registry *networks;   /* every network by name and UUID (network_obj.c) */
    struct mv_store *store;         /* definitions, autostart links, status (network_store.c) */
    struct mv_events *events;       /* lifecycle registrations (network_events.c) */
    struct mv_worker_pool *tasks;   /* work nobody waits for (dnsmasq restarts, autostart) */
    struct netd_watcher *watcher;   /* the thread that sees dnsmasq processes exit (network_watch.c) */
    struct mv_dnsmasq_paths dnsmasq;
    char *dnsmasq_binary;           /* config key "dnsmasq" (dnsmasq.binary points here) */
    char *dnsmasq_dir;              /* <rundir>/network/dnsmasq */
    char *dnsmasq_logdir;           /* <logdir>/network: dnsmasq's own logs (dnsmasq.h) */
    char *portdir;                  /* <rundir>/network/ports: one status file per port */
    char *statedir;                 /* <statedir>/network: the "default was defined" marker */
    /* Held while a definition's bridge name is picked or checked against the
     * other networks' and attached to its object, so two defines never pick
     * the same virbrN (bridge names, network_procs.c). */
    pthread_mutex_t bridge_lock;
    /* Held by a start from its checks of the host (subnets in use, the
     * bridge name free) until its bridge exists (network_start.c): two
     * networks on one subnet started at once cannot both pass the check.
     * Only netlink calls and a status write run under it. */
    pthread_mutex_t start_lock;
    unsigned int job_wait_ms;
};

extern struct netd_driver netd;

int netd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
int netd_driver_start(struct mv_daemon_ctx *ctx);
void netd_driver_cleanup(void);
void netd_client_close(struct mv_client *client);
bool netd_driver_busy(void);
/* default_network.c: on the first start with no definitions, defines
 * 'default' (nat, virbr0, 192.168.122.0/24 or the next free /24, DHCP,
 * autostart), as a packaged libvirt ships it. */
void netd_default_network(void);

struct netd_net;
/* Runs FN(NET, ARG) on a task thread, NET referenced until it returns.
 * 0, or -errno (logged) if it cannot be queued. */
typedef void (*netd_task_fn)(struct netd_net *net, long arg);
int netd_task_push(netd_task_fn fn, struct netd_net *net, long arg);
/* The same, DELAY_MS from now; a task still waiting when netd stops is
 * dropped.  0, or -errno (-ECANCELED once netd stops). */
int netd_task_push_after(netd_task_fn fn, struct netd_net *net, long arg, unsigned int delay_ms);

/* The error for flag bits an API does not know; returns -EINVAL. */
int netd_bad_flags(struct mv_call *call, unsigned int flags, const char *api);
