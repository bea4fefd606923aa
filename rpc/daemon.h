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
    /* Where the daemon listens when it creates its sockets, if not at
     * <rundir>/NAME-sock and NAME-sock-ro: SOCKET_DIR replaces the last
     * component of rundir (the proxy's "libvirt": /run/libvirt), and
     * SOCKET_NAME the NAME ("libvirt": libvirt-sock, libvirt-sock-ro).
     * Either may be NULL.  Socket activation names its fds rw/ro as ever. */
    const char *socket_dir;
    const char *socket_name;
    /* Serves remote clients (TLS, TCP, SASL; daemon_remote.h): the remote
     * settings are accepted in its config file, activated sockets named
     * "tls" and "tcp" are served, and SIGHUP reloads the certificates. */
    bool remote;
};

/* Runs the daemon; returns the process exit status. */
int mv_daemon_main(int argc, char **argv, const struct mv_daemon_desc *desc);
