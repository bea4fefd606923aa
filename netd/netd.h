/* What the parts of modvirt-netd share: the driver's state. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "dnsmasq.h"
#include "error.h"
#include "paths.h"
#include "server.h"

struct mv_events;
struct mv_netlink;
struct mv_registry;
struct mv_store;
struct mv_worker_pool;

extern const struct mv_dispatch_table netd_network_table;  /* network_procs.c */
extern const struct mv_dispatch_table netd_port_table;     /* port_procs.c */
extern const struct mv_dispatch_table netd_event_table;    /* network_events.c */

struct netd_driver {
    const struct mv_paths *paths;
    sd_event *event;                /* the RPC loop (dnsmasq pidfd watches live there) */
    struct mv_registry *networks;   /* every network by name and UUID (network_obj.c) */
    struct mv_store *store;         /* definitions, autostart links, status (network_store.c) */
    struct mv_events *events;       /* lifecycle registrations (network_events.c) */
    struct mv_worker_pool *tasks;   /* work nobody waits for (dnsmasq restarts, autostart) */
    struct mv_dnsmasq_paths dnsmasq;
    char *dnsmasq_dir;              /* <rundir>/network/dnsmasq */
    char *portdir;                  /* <rundir>/network/ports: one status file per port */
    unsigned int job_wait_ms;
};

extern struct netd_driver netd;

int netd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
int netd_driver_start(struct mv_daemon_ctx *ctx);
void netd_driver_cleanup(void);
void netd_client_close(struct mv_client *client);

/* The error for flag bits an API does not know; returns -EINVAL. */
int netd_bad_flags(struct mv_call *call, unsigned int flags, const char *api);
