/*
 * What survives a daemon, for one subsystem ("qemu", "network"...):
 *   <confroot>/<subsystem>/NAME.xml              persistent definitions
 *   <confroot>/<subsystem>/autostart/NAME.xml    autostart links to them
 *   <runroot>/<subsystem>/NAME.xml               status of active objects
 *   <runroot>/<subsystem>/autostarted            "autostart ran this boot"
 * Every file is written atomically (mv_file_write_atomic).  The roots come
 * from the daemon (its mv_paths), so tests and several daemons in one
 * process each have their own store.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"

struct mv_store {
    char *word;                 /* "domain": the object kind, for messages */
    char *confdir;              /* <confroot>/<subsystem> */
    char *autostartdir;         /* <confdir>/autostart */
    char *rundir;               /* <runroot>/<subsystem> */
};

/* Malloc'd "DIR/NAMESUFFIX"; NULL if out of memory. */
char *mv_store_path(const char *dir, const char *name, const char *suffix);

/* A store under CONFROOT and RUNROOT (not created yet).  0 or -ENOMEM. */
int mv_store_new(const char *confroot, const char *runroot, const char *subsystem, const char *word,
                 struct mv_store **out);
void mv_store_free(struct mv_store *store);
MV_DEFINE_CLEANUP(struct mv_store, mv_store_free)

/* Creates the directories (the roots 0755: they hold sockets others reach;
 * the store's own 0700) and removes temp files a killed write left behind
 * ('.NAME.xml.XXXXXX').  Call once, before anything is loaded.  0 or
 * -errno with *ERRMSG. */
int mv_store_open(struct mv_store *store, char **errmsg);

/* Writes XML as NAME's definition.  0 or -errno with *ERRMSG
 * "cannot save the definition of domain 'x' to 'PATH': REASON". */
int mv_store_save_config(const struct mv_store *store, const char *name, const char *xml, char **errmsg);
/* Removes NAME's definition and its autostart link; 0 if already gone.
 * The removal is on disk (directory fsynced) when it returns 0. */
int mv_store_delete_config(const struct mv_store *store, const char *name, char **errmsg);
/* Creates or removes NAME's autostart link. */
int mv_store_set_autostart(const struct mv_store *store, const char *name, bool on, char **errmsg);
/* True if NAME has an autostart link. */
bool mv_store_get_autostart(const struct mv_store *store, const char *name);

/* Writes or removes the status file of active NAME. */
int mv_store_write_status(const struct mv_store *store, const char *name, const char *xml, char **errmsg);
int mv_store_delete_status(const struct mv_store *store, const char *name);

/* Calls FN(NAME, PATH) for every NAME.xml definition / status file (in no
 * particular order; temp files and other entries are skipped). */
typedef void (*mv_store_each_fn)(const char *name, const char *path, void *opaque);
int mv_store_each_config(const struct mv_store *store, mv_store_each_fn fn, void *opaque);
int mv_store_each_status(const struct mv_store *store, mv_store_each_fn fn, void *opaque);

/* True the first time it is called after a host boot (the marker lives in
 * the run directory, a tmpfs): autostart runs once per boot, not once per
 * daemon start. */
bool mv_store_autostart_due(const struct mv_store *store);
