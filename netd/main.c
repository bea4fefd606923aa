/* modvirt-netd: virtual networks. */
#include "daemon.h"
#include "netd.h"

static const char *const netd_config_keys[] = { "dnsmasq", "job_wait_timeout", NULL };
static const char *const netd_uri_schemes[] = { "network", "qemu", "modvirt", NULL };
static const struct mv_dispatch_table *const netd_tables[] = {
    &netd_network_table, &netd_network_life_table, &netd_port_table, &netd_event_table, NULL,
};
/* What wire-protocol.md 5.6 has a non-QEMU daemon answer beyond the
 * features rpc/conn_procs.c answers for every daemon (9, 10, 14, 15, 16):
 * fd passing, which netd's UNIX sockets carry; 0 for the migration ones. */
static int netd_supports_feature(int feature)
{
    enum { FEATURE_FD_PASSING = 8 };

    return feature == FEATURE_FD_PASSING;
}

static const struct mv_server_driver netd_server = {
    .name = "netd", .type = "network", .uri = "network:///system",
    .uri_schemes = netd_uri_schemes, .subsystem = MV_SUBSYS_NETWORK,
    .tables = netd_tables, .client_close = netd_client_close, .busy = netd_driver_busy,
    .supports_feature = netd_supports_feature,
};
static const struct mv_daemon_desc netd_desc = {
    .name = "netd", .driver = &netd_server, .config_keys = netd_config_keys,
    .init = netd_driver_init, .start = netd_driver_start, .cleanup = netd_driver_cleanup,
};

int main(int argc, char **argv) { return mv_daemon_main(argc, argv, &netd_desc); }
