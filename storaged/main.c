/* modvirt-storaged: storage pools, volumes and secrets. */
#include "daemon.h"
#include "storaged.h"

static const char *const storaged_config_keys[] = { "pool_timeout", "copy_timeout", "job_wait_timeout", "qemu_img", NULL };
static const char *const storaged_uri_schemes[] = { "storage", "secret", "qemu", "modvirt", NULL };
static const struct mv_dispatch_table *const storaged_tables[] = {
    &storaged_pool_table, &storaged_pool_life_table, &storaged_volume_table, &storaged_stream_table,
    &storaged_secret_table, &storaged_event_table, NULL,
};
/* What wire-protocol.md 5.6 has a non-QEMU daemon answer beyond the
 * features rpc/conn_procs.c answers for every daemon (9, 10, 14, 15, 16):
 * fd passing, which storaged's UNIX sockets carry; 0 for the migration ones. */
static int storaged_supports_feature(int feature)
{
    enum { FEATURE_FD_PASSING = 8 };

    return feature == FEATURE_FD_PASSING;
}

static const struct mv_server_driver storaged_server = {
    .name = "storaged", .type = "storage", .uri = "storage:///system",
    .uri_schemes = storaged_uri_schemes, .subsystem = MV_SUBSYS_STORAGE,
    .tables = storaged_tables, .client_close = storaged_client_close, .busy = storaged_driver_busy,
    .supports_feature = storaged_supports_feature,
};
static const struct mv_daemon_desc storaged_desc = {
    .name = "storaged", .driver = &storaged_server, .config_keys = storaged_config_keys,
    .init = storaged_driver_init, .start = storaged_driver_start, .cleanup = storaged_driver_cleanup,
};

int main(int argc, char **argv) { return mv_daemon_main(argc, argv, &storaged_desc); }
