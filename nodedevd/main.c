/* modvirt-nodedevd: host devices, their events, PCI detach/reattach and mdevs. */
#include "nodedevd.h"

static const char *const nodedevd_config_keys[] = { "sysfs_root", "pci_ids", "usb_ids", "probe_timeout", NULL };
static const char *const nodedevd_uri_schemes[] = { "nodedev", "qemu", "modvirt", NULL };
static const struct mv_dispatch_table *const nodedevd_tables[] = {
    &nodedevd_device_table, &nodedevd_event_table, &nodedevd_detach_table, &nodedevd_mdev_table, NULL,
};

static const struct mv_server_driver nodedevd_server = {
    .name = "nodedevd", .type = "nodedev", .uri = "nodedev:///system",
    .uri_schemes = nodedevd_uri_schemes, .subsystem = MV_SUBSYS_NODEDEV,
    .tables = nodedevd_tables, .client_close = nodedevd_client_close,
};
static const struct mv_daemon_desc nodedevd_desc = {
    .name = "nodedevd", .driver = &nodedevd_server, .config_keys = nodedevd_config_keys,
    .init = nodedevd_driver_init, .start = nodedevd_driver_start, .cleanup = nodedevd_driver_cleanup,
};

int main(int argc, char **argv) { return mv_daemon_main(argc, argv, &nodedevd_desc); }
