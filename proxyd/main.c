/* modvirt-proxyd: libvirt's legacy sockets in front of every daemon. */
#define MV_LOG_MODULE "proxyd"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "proxyd.h"
#include "session.h"

struct proxy_config proxy_config;

/* The daemon of each subsystem and the key naming its socket. */
static const struct {
    const char *daemon;
    const char *key;
} subsys_daemon[MV_SUBSYS_COUNT] = {
    [MV_SUBSYS_QEMU] = { "qemud", "qemud_socket" },
    [MV_SUBSYS_NETWORK] = { "netd", "netd_socket" },
    [MV_SUBSYS_STORAGE] = { "storaged", "storaged_socket" },
    [MV_SUBSYS_NODEDEV] = { "nodedevd", "nodedevd_socket" },
};

const char *proxy_daemon_name(enum mv_subsystem s)
{
    return s < MV_SUBSYS_COUNT ? subsys_daemon[s].daemon : NULL;
}

static int proxyd_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    long long timeout = 10;
    int r;

    proxy_config.event = ctx->event;
    for (int i = 0; i < MV_SUBSYS_COUNT; i++) {
        if (!subsys_daemon[i].daemon)
            continue;
        if ((r = mv_conf_get_string(conf, subsys_daemon[i].key, &proxy_config.socket[i], errmsg)) < 0)
            return r;
        /* relative to what? the proxy's working directory is nobody's business */
        if (proxy_config.socket[i] && proxy_config.socket[i][0] != '/') {
            if (asprintf(errmsg, "%s: '%s' is not an absolute path", subsys_daemon[i].key,
                         proxy_config.socket[i]) < 0)
                *errmsg = NULL;
            return -EINVAL;
        }
        if (!proxy_config.socket[i] &&
            !(proxy_config.socket[i] = mv_paths_socket(ctx->paths, subsys_daemon[i].daemon, false)))
            return -ENOMEM;
    }
    if ((r = mv_conf_get_int(conf, "upstream_timeout", 1, 3600, &timeout, errmsg)) < 0)
        return r;
    proxy_config.upstream_timeout = (unsigned int)timeout;
    return 0;
}

static void proxyd_cleanup(void)
{
    for (int i = 0; i < MV_SUBSYS_COUNT; i++) {
        free(proxy_config.socket[i]);
        proxy_config.socket[i] = NULL;
    }
}

/* Beyond rpc/conn_procs.c's features (9, 10, 14, 15, 16) the proxy claims
 * none: not fd passing (8), which some daemons' own sockets answer, since
 * the legs relay bytes, not SCM_RIGHTS (an fd-carrying call is refused by
 * the server's dispatch instead). */
static const char *const proxyd_config_keys[] = {
    "qemud_socket", "netd_socket", "storaged_socket", "nodedevd_socket", "upstream_timeout", NULL,
};
static const char *const proxyd_uri_schemes[] = { "qemu", "network", "storage", "nodedev", "modvirt", NULL };
static const struct mv_dispatch_table *const proxyd_tables[] = { NULL };

static const struct mv_server_driver proxyd_server = {
    .name = "proxyd", .type = "QEMU", .uri = "qemu:///system",
    .uri_schemes = proxyd_uri_schemes, .subsystem = MV_SUBSYS_CONNECT, .tables = proxyd_tables,
    .client_open = session_open, .client_close = session_client_close,
    .forwarder = &session_forwarder,
};
static const struct mv_daemon_desc proxyd_desc = {
    .name = "proxyd", .driver = &proxyd_server, .config_keys = proxyd_config_keys,
    .init = proxyd_init, .cleanup = proxyd_cleanup,
    .socket_dir = "libvirt", .socket_name = "libvirt",
    .remote = true,
};

int main(int argc, char **argv) { return mv_daemon_main(argc, argv, &proxyd_desc); }
