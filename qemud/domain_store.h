/*
 * What survives the daemon, on the driver core's store (common/store.h,
 * qemud.store): persistent definitions (<confdir>/qemu/NAME.xml), autostart
 * links (<confdir>/qemu/autostart/NAME.xml) and the status of running
 * domains (<rundir>/qemu/NAME.xml: pid, monitor, state and the live
 * definition).  Every file is written atomically (temp, fsync, rename).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "domain_obj.h"
#include "error.h"
#include "paths.h"
#include "sidecar.h"

/* Creates the store (qemud.store) and the directories under PATHS, and
 * removes temp files a killed write left behind. */
int qemud_store_init(const struct mv_paths *paths);
void qemud_store_cleanup(void);

/* Writes DEF as NAME.xml; ERR names the file on failure. */
int qemud_store_save_config(const struct mv_dom_def *def, struct mv_err *err);
/* Removes NAME.xml and its autostart link; 0 if already gone. */
int qemud_store_delete_config(const char *name, struct mv_err *err);
/* Creates or removes the autostart link of NAME. */
int qemud_store_set_autostart(const char *name, bool on, struct mv_err *err);

/* The status document of a running DOM; call WITHOUT dom->lock and with
 * its job held (the sidecars are read as the job keeps them): it takes
 * it only to snapshot the fields and a reference to the live definition,
 * and formats after (defect 4: no slow work under the lock inline readers
 * take).  NULL if out of memory or DOM is not running.
 * STARTING: the definition a start is filling in (its taps, ports and
 * paths), written instead of dom->live and marked starting="yes": the
 * start is not complete, and a daemon that finds it so at its start
 * stops what it left (pid and id may still be 0 and -1). */
char *qemud_store_status_xml(struct qemud_dom *dom, struct mv_dom_def *starting);
/* Writes the status document XML for NAME. */
int qemud_store_write_status(const char *name, const char *xml);
int qemud_store_delete_status(const char *name);

/* A running domain's status as read back at daemon start. */
struct qemud_status {
    struct mv_dom_def *live;
    pid_t pid;
    unsigned long long starttime;
    int id, state, reason;
    bool starting;                      /* an unfinished start: pid may be 0, id -1 */
    unsigned int undefine_flags;        /* of an undefine while it ran (struct qemud_dom's) */
    char *monitor_path;
    struct qemud_sidecars sidecars;     /* as recorded: not adopted yet (qemud_sidecars_adopt) */
    struct qemud_isolation iso;         /* the run's identity and grants, as recorded */
};
void qemud_status_clear(struct qemud_status *st);
/* Reads the status file PATH; -errno with *ERRMSG on a damaged file. */
int qemud_store_read_status(const char *path, struct qemud_status *st, char **errmsg);

/* Malloc'd paths: QEMU's log and monitor socket of a domain (in its
 * directory, domain_dir.h; a status file of an older daemon may name
 * another path: the status is what counts for a running QEMU). */
char *qemud_store_log_path(const char *name);
char *qemud_store_monitor_path(const char *uuid_str);
