/*
 * What survives netd, on the driver core's store (netd.store):
 * definitions (<confdir>/network/NAME.xml, mv_net_def_format), autostart
 * links, and the status of active networks (<rundir>/network/NAME.xml):
 *
 *   <networkstatus>
 *     <dnsmasq pid='1234'/>        (only while netd runs one for it)
 *     <network>...the live definition...</network>
 *   </networkstatus>
 *
 * Every file is written atomically (temp, fsync, rename).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "network_def.h"
#include "paths.h"

/* The largest definition netd stores, as formatted XML: what it writes it
 * must read back after a restart (and answer within an RPC string). */
#define NETD_DEFINITION_MAX (1024 * 1024)

/* Creates netd.store and its directories, removing temp files a killed
 * write left.  0 or -errno (logged). */
int netd_store_init(const struct mv_paths *paths);
void netd_store_cleanup(void);

/* 0 if DEF fits in NETD_DEFINITION_MAX as netd stores it; else -EFBIG
 * with ERR (XML_ERROR) naming the network and its size. */
int netd_store_check_size(const struct mv_net_def *def, struct mv_err *err);
/* Writes DEF as its NAME.xml; ERR names the file on failure, or says that
 * DEF is larger than NETD_DEFINITION_MAX (XML_ERROR, nothing written). */
int netd_store_save_config(const struct mv_net_def *def, struct mv_err *err);
/* Removes NAME.xml and its autostart link; 0 if already gone. */
int netd_store_delete_config(const char *name, struct mv_err *err);
int netd_store_set_autostart(const char *name, bool on, struct mv_err *err);

/* Writes the status of active network LIVE whose dnsmasq is PID (0: none);
 * the size limit is save_config's. */
int netd_store_write_status(const struct mv_net_def *live, pid_t pid, struct mv_err *err);
/* Writes the status of DEF's start before the start makes anything
 * (<networkstatus starting='yes'>): a netd killed before the start ends
 * finds it at its next start (st->starting) and removes what was made. */
int netd_store_write_starting(const struct mv_net_def *def, struct mv_err *err);
/* Writes the status of LIVE's stop (<networkstatus stopping='yes'>, PID its
 * dnsmasq, 0 if none): before the stop removes anything, and kept if it
 * could not remove every part.  A netd killed meanwhile, or the network's
 * next start, finishes the stop (st->stopping). */
int netd_store_write_stopping(const struct mv_net_def *live, pid_t pid, struct mv_err *err);
int netd_store_delete_status(const char *name);

/* A status file as read back at start. */
struct netd_status {
    struct mv_net_def *live;
    pid_t dnsmasq_pid;
    bool starting;              /* written by a start that never finished */
    bool stopping;              /* written by a stop that could not finish */
};
void netd_status_clear(struct netd_status *st);
/* Reads status file PATH.  0, or -errno with *ERRMSG for a damaged file. */
int netd_store_read_status(const char *path, struct netd_status *st, char **errmsg);
/* The status of network NAME: -ENOENT if it has none. */
int netd_store_read_status_of(const char *name, struct netd_status *st, char **errmsg);
