/* The settings every daemon's config file shares (modvirt-<daemon>.conf(5)). */
#pragma once

#include <grp.h>
#include <sys/types.h>

#include "conf.h"
#include "server.h"

struct mv_daemon_config {
    gid_t sock_gid;                 /* unix_sock_group, -1 = keep */
    mode_t rw_perms;                /* unix_sock_rw_perms */
    mode_t ro_perms;                /* unix_sock_ro_perms */
    enum mv_auth_method auth_rw;    /* auth_unix_rw */
    enum mv_auth_method auth_ro;    /* auth_unix_ro */
    struct mv_server_config server;
    int log_level;
    char *log_filters;
    char *log_outputs;
};

/* The keys handled here, NULL-terminated. */
extern const char *const mv_daemon_config_keys[];

/* Built-in defaults. */
void mv_daemon_config_defaults(struct mv_daemon_config *cfg);
/* Applies the settings present in CONF; errmsg names the key and the problem. */
int mv_daemon_config_load(struct mv_daemon_config *cfg, const mv_conf *conf, char **errmsg);
void mv_daemon_config_clear(struct mv_daemon_config *cfg);
