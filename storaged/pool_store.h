/*
 * What survives storaged, on the driver core's store (storaged.store):
 * definitions (<confdir>/storage/NAME.xml, mv_pool_def_format), autostart
 * links, and the running definition of each active pool
 * (<rundir>/storage/NAME.xml), all written atomically.  A status file says
 * the pool was started; at storaged's next start the backend says whether
 * it still is (is_started: the directory is there, the filesystem still
 * mounted, the VG present) and the pool is re-adopted or dropped.
 */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "paths.h"
#include "pool_def.h"

/* The largest definition storaged stores, as formatted XML. */
#define STOR_DEFINITION_MAX (256 * 1024)

int stor_store_init(const struct mv_paths *paths);
void stor_store_cleanup(void);

/* Writes DEF as its NAME.xml; ERR names the file on failure. */
int stor_store_save_config(const struct mv_pool_def *def, struct mv_err *err);
/* Removes NAME.xml and its autostart link; 0 if already gone. */
int stor_store_delete_config(const char *name, struct mv_err *err);
int stor_store_set_autostart(const char *name, bool on, struct mv_err *err);
/* Writes / removes the status of active pool LIVE. */
int stor_store_write_status(const struct mv_pool_def *live, struct mv_err *err);
int stor_store_delete_status(const char *name);
/* Reads definition or status file PATH.  0 or -errno with *ERRMSG. */
int stor_store_read(const char *path, struct mv_pool_def **def, char **errmsg);
