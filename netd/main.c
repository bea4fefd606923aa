/* modvirt-netd: virtual networks. */
#include "daemon.h"
#include "netd.h"

static const char *const netd_config_keys[] = { "dnsmasq", "job_wait_timeout", NULL };
static const char *const netd_uri_schemes[] = { "network", "qemu", "modvirt", NULL };
static const struct mv_dispatch_table *const netd_tables[] = {
    &netd_network_table, &netd_network_life_table, &netd_port_table, &netd_event_table, NULL,
};
static const struct mv_server_driver netd_server = {
    .name = "netd", .type = "network", .uri = "network:///system",
    .uri_schemes = netd_uri_schemes, .subsystem = MV_SUBSYS_NETWORK,
    .tables = netd_tables, .client_close = netd_client_close, .busy = netd_driver_busy,
};
static const struct mv_daemon_desc netd_desc = {
    .name = "netd", .driver = &netd_server, .config_keys = netd_config_keys,
    .init = netd_driver_init, .start = netd_driver_start, .cleanup = netd_driver_cleanup,
};

int main(int argc, char **argv) { return mv_daemon_main(argc, argv, &netd_desc); }
