/* modvirt-qemud: the compute daemon. */
#define MV_LOG_MODULE "qemud"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "daemon.h"
#include "driver.h"
#include "host_facts.h"
#include "qemu_program.h"
#include "job_info.h"
#include "qemud.h"
#include "save_procs.h"

int qemud_bad_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                  "invalid argument: unsupported flags (0x%x) in function %s", flags, api);
    return -EINVAL;
}

int qemud_call_fail(struct mv_call *call, struct mv_err *err)
{
    int r = mv_call_error(call, err->code ? err->code : MV_ERR_INTERNAL_ERROR,
                          err->domain ? err->domain : MV_FROM_QEMU, "%s",
                          err->message ? err->message : "internal error");

    mv_err_clear(err);
    return r;
}

static const char *const qemud_config_keys[] = {
    "emulator", "monitor_timeout", "job_wait_timeout", "destroy_grace_period",
    "user", "group", "guest_uid_range", "path_denylist", NULL,
};

/* The main loop is ending: the server joins its workers next, so a call
 * that could wait forever (an agent call with timeout -2) must end now,
 * while the QMP thread still serves it; qemud_cleanup runs after. */
static int qemud_on_exit(sd_event_source *s, void *opaque)
{
    qemud_agent_abort_all();
    return 0;
}

static int qemud_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    int r = qemud_driver_init(ctx, conf, errmsg);

    if (r < 0)
        return r;
    if ((r = sd_event_add_exit(ctx->event, NULL, qemud_on_exit, NULL)) < 0) {
        *errmsg = strdup("cannot add the event loop's exit handler");
        return r;
    }
    return qemud_host_facts_init(qemud.emulator, ctx->paths->statedir);
}

static void qemud_cleanup(void)
{
    qemud_driver_cleanup();
    qemud_host_facts_cleanup();
}

static const char *const qemud_uri_schemes[] = { "qemu", "modvirt", NULL };

static const struct mv_dispatch_table *const qemud_tables[] = {
    &qemud_host_table, &qemud_domain_table, &qemud_lifecycle_table, &qemud_event_table,
    &qemud_console_table, &qemud_tuning_table,
    &qemud_snapshot_table,
    &qemud_qemu_program_table,
    &qemud_hotplug_table,
    &qemud_stats_table, &qemud_stats_bulk_table,
    &qemud_agent_table,
    &qemud_save_table, &qemud_job_info_table,
    NULL,
};

static const struct mv_server_driver qemud_driver = {
    .name = "qemud",
    .type = "QEMU",
    .uri = "qemu:///system",
    .uri_schemes = qemud_uri_schemes,
    .subsystem = MV_SUBSYS_QEMU,
    .tables = qemud_tables,
    .client_close = qemud_driver_client_close,
    .busy = qemud_driver_busy,
};

static const struct mv_daemon_desc qemud_desc = {
    .name = "qemud",
    .driver = &qemud_driver,
    .config_keys = qemud_config_keys,
    .init = qemud_init,
    .start = qemud_driver_start,
    .cleanup = qemud_cleanup,
};

int main(int argc, char **argv)
{
    return mv_daemon_main(argc, argv, &qemud_desc);
}
