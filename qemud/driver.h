/* The compute driver's hooks into the daemon skeleton (rpc/daemon.h). */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "daemon.h"

/* Reads driver settings, creates directories, starts the monitor and task threads. */
int qemud_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg);
/* Loads definitions, re-attaches to running guests, autostarts (once per boot). */
int qemud_driver_start(struct mv_daemon_ctx *ctx);
/* True while any guest runs (keeps the idle timeout from firing). */
bool qemud_driver_busy(void);
void qemud_driver_client_close(struct mv_client *client);
/* Lets go of guests without stopping them. */
void qemud_driver_cleanup(void);
