/*
 * The skeleton every modvirt daemon's main() stands on: options, config
 * file, logging, paths under --root, listeners (socket activation or our
 * own sockets), signals, readiness notification and the event loop.
 */
#pragma once

#include <systemd/sd-event.h>

#include "conf.h"
#include "paths.h"
#include "server.h"

struct mv_daemon_ctx {
    const struct mv_paths *paths;
    sd_event *event;
    struct mv_server *server;           /* NULL during init */
};

struct mv_daemon_desc {
    const char *name;                   /* "qemud": program modvirt-qemud, sockets qemud-sock* */
    const struct mv_server_driver *driver;
    const char *const *config_keys;     /* driver settings allowed in the config file */
    /* Reads driver settings and prepares state; errmsg names the cause. */
    int (*init)(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
    /* Runs once the server exists and before the loop starts; may be NULL. */
    int (*start)(struct mv_daemon_ctx *ctx);
    /* Releases driver state after the loop ended; may be NULL. */
    void (*cleanup)(void);
};

/* Runs the daemon; returns the process exit status. */
int mv_daemon_main(int argc, char **argv, const struct mv_daemon_desc *desc);
