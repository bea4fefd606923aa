#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "daemon_config.h"
#include "log.h"

const char *const mv_daemon_config_keys[] = {
    "unix_sock_group", "unix_sock_rw_perms", "unix_sock_ro_perms",
    "auth_unix_rw", "auth_unix_ro",
    "max_clients", "rw_client_reserve", "max_workers", "max_client_requests",
    "keepalive_interval", "keepalive_count", "packet_timeout",
    "log_level", "log_filters", "log_outputs",
    NULL,
};

void mv_daemon_config_defaults(struct mv_daemon_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sock_gid = (gid_t)-1;
    /* the rw socket is open to all; polkit decides for users other than root */
    cfg->rw_perms = 0666;
    cfg->ro_perms = 0666;
    cfg->auth_rw = MV_AUTH_METHOD_POLKIT;
    cfg->auth_ro = MV_AUTH_METHOD_NONE;
    cfg->server.max_clients = 5000;
    cfg->server.rw_reserve = 10;
    cfg->server.max_workers = 8;
    cfg->server.max_client_requests = 5;
    cfg->server.keepalive_interval = 5;
    cfg->server.keepalive_count = 5;
    cfg->server.packet_timeout = 30;
    cfg->log_level = MV_LOG_WARN;
}

static int parse_perms(const char *key, const char *s, mode_t *out, char **errmsg)
{
    char *end;
    unsigned long v = strtoul(s, &end, 8);

    if (!*s || *end || v > 0777) {
        if (asprintf(errmsg, "%s: '%s' is not an octal mode like \"0660\"", key, s) < 0)
            *errmsg = NULL;
        return -EINVAL;
    }
    *out = (mode_t)v;
    return 0;
}

static int parse_auth(const char *key, const char *s, enum mv_auth_method *out, char **errmsg)
{
    if (strcmp(s, "none") == 0)
        *out = MV_AUTH_METHOD_NONE;
    else if (strcmp(s, "polkit") == 0)
        *out = MV_AUTH_METHOD_POLKIT;
    else {
        if (asprintf(errmsg, "%s: unknown method '%s' (use \"none\" or \"polkit\")", key, s) < 0)
            *errmsg = NULL;
        return -EINVAL;
    }
    return 0;
}

static int load_group(struct mv_daemon_config *cfg, const mv_conf *conf, char **errmsg)
{
    _cleanup_free_ char *name = NULL;
    struct group *gr;
    int r = mv_conf_get_string(conf, "unix_sock_group", &name, errmsg);

    if (r <= 0)
        return r;
    gr = getgrnam(name);
    if (!gr) {
        if (asprintf(errmsg, "unix_sock_group: no group named '%s'", name) < 0)
            *errmsg = NULL;
        return -ENOENT;
    }
    cfg->sock_gid = gr->gr_gid;
    return 0;
}

static int load_perms(const mv_conf *conf, const char *key, mode_t *out, char **errmsg)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_conf_get_string(conf, key, &s, errmsg);

    return r <= 0 ? r : parse_perms(key, s, out, errmsg);
}

static int load_auth(const mv_conf *conf, const char *key, enum mv_auth_method *out, char **errmsg)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_conf_get_string(conf, key, &s, errmsg);

    return r <= 0 ? r : parse_auth(key, s, out, errmsg);
}

static int load_uint(const mv_conf *conf, const char *key, long long min, long long max,
                     unsigned int *out, char **errmsg)
{
    long long v;
    int r = mv_conf_get_int(conf, key, min, max, &v, errmsg);

    if (r > 0)
        *out = (unsigned int)v;
    return r < 0 ? r : 0;
}

/* Slots only the read-write socket may use: a value given must leave room
 * for read-only clients; the default shrinks with a small max_clients. */
static int load_rw_reserve(struct mv_daemon_config *cfg, const mv_conf *conf, char **errmsg)
{
    unsigned int max = cfg->server.max_clients, reserve = UINT_MAX;
    int r = load_uint(conf, "rw_client_reserve", 0, 100000, &reserve, errmsg);

    if (r < 0)
        return r;
    if (reserve == UINT_MAX) {
        if (cfg->server.rw_reserve >= max)
            cfg->server.rw_reserve = max / 2;
        return 0;
    }
    if (reserve >= max) {
        if (asprintf(errmsg, "rw_client_reserve (%u) must be less than max_clients (%u)",
                     reserve, max) < 0)
            *errmsg = NULL;
        return -EINVAL;
    }
    cfg->server.rw_reserve = reserve;
    return 0;
}

int mv_daemon_config_load(struct mv_daemon_config *cfg, const mv_conf *conf, char **errmsg)
{
    long long level;
    int r;

    if ((r = load_group(cfg, conf, errmsg)) < 0 ||
        (r = load_perms(conf, "unix_sock_rw_perms", &cfg->rw_perms, errmsg)) < 0 ||
        (r = load_perms(conf, "unix_sock_ro_perms", &cfg->ro_perms, errmsg)) < 0 ||
        (r = load_auth(conf, "auth_unix_rw", &cfg->auth_rw, errmsg)) < 0 ||
        (r = load_auth(conf, "auth_unix_ro", &cfg->auth_ro, errmsg)) < 0 ||
        (r = load_uint(conf, "max_clients", 1, 100000, &cfg->server.max_clients, errmsg)) < 0 ||
        (r = load_uint(conf, "packet_timeout", 1, 3600, &cfg->server.packet_timeout, errmsg)) < 0 ||
        (r = load_uint(conf, "max_workers", 1, 1000, &cfg->server.max_workers, errmsg)) < 0 ||
        (r = load_uint(conf, "max_client_requests", 1, 1000, &cfg->server.max_client_requests, errmsg)) < 0 ||
        (r = load_uint(conf, "keepalive_interval", 0, 3600, &cfg->server.keepalive_interval, errmsg)) < 0 ||
        (r = load_uint(conf, "keepalive_count", 0, 1000, &cfg->server.keepalive_count, errmsg)) < 0)
        return r;
    if ((r = load_rw_reserve(cfg, conf, errmsg)) < 0)
        return r;
    r = mv_conf_get_int(conf, "log_level", MV_LOG_DEBUG, MV_LOG_ERROR, &level, errmsg);
    if (r < 0)
        return r;
    if (r > 0)
        cfg->log_level = (int)level;
    if ((r = mv_conf_get_string(conf, "log_filters", &cfg->log_filters, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "log_outputs", &cfg->log_outputs, errmsg)) < 0)
        return r;
    return 0;
}

void mv_daemon_config_clear(struct mv_daemon_config *cfg)
{
    free(cfg->log_filters);
    free(cfg->log_outputs);
    cfg->log_filters = cfg->log_outputs = NULL;
}
