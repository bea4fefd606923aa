/*
 * SPICE around a start: ports and socket paths before QEMU runs, what it
 * listens on and the password once its monitor is up (display_ports.h).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "display_ports.h"
#include "domain_monitor.h"
#include "error_codes.h"
#include "uuid.h"

/* Ports handed out by this daemon and not yet returned: a port stays
 * bindable for us until the QEMU we chose it for has bound it. */
static pthread_mutex_t reserved_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t reserved[(DISPLAY_PORT_MAX + 1) / 8];

static bool is_reserved(int port)
{
    return reserved[port / 8] & (1u << (port % 8));
}

static void set_reserved(int port, bool on)
{
    if (on)
        reserved[port / 8] |= (uint8_t)(1u << (port % 8));
    else
        reserved[port / 8] &= (uint8_t)~(1u << (port % 8));
}

/* Whether PORT can be bound on every address HOST resolves to; without
 * SO_REUSEADDR, so that a port with connections still closing is passed
 * over rather than handed to a QEMU that may not get it. */
static bool port_free(const struct addrinfo *addrs, int port)
{
    for (const struct addrinfo *ai = addrs; ai; ai = ai->ai_next) {
        struct sockaddr_storage sa;
        _cleanup_close_ int fd = -1;

        if (ai->ai_addrlen > sizeof(sa))
            return false;
        memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
        if (sa.ss_family == AF_INET)
            ((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
        else if (sa.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);
        else
            return false;
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, ai->ai_addrlen) < 0)
            return false;
    }
    return true;
}

/* The lowest port free on HOST and not reserved, reserved now. */
static int take_port(const char *host, const char *name, int *port, struct mv_err *err)
{
    struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM };
    struct addrinfo *addrs = NULL;
    int r = getaddrinfo(host, NULL, &hints, &addrs);

    if (r != 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: SPICE listen address '%s' of domain '%s' does not "
                          "resolve: %s", host, name, gai_strerror(r));
    pthread_mutex_lock(&reserved_lock);
    for (int p = DISPLAY_PORT_MIN; p <= DISPLAY_PORT_MAX; p++) {
        if (is_reserved(p) || !port_free(addrs, p))
            continue;
        set_reserved(p, true);
        *port = p;
        break;
    }
    pthread_mutex_unlock(&reserved_lock);
    freeaddrinfo(addrs);
    if (*port <= 0)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: no free port in %d-%d on '%s' for the SPICE display of domain '%s'",
                          DISPLAY_PORT_MIN, DISPLAY_PORT_MAX, host, name);
    return 0;
}

static bool tcp_autoport(const struct mv_dom_graphics *g)
{
    return g->type == MV_DOM_GRAPHICS_SPICE && g->autoport &&
           (g->listen_type == MV_DOM_LISTEN_ABSENT || g->listen_type == MV_DOM_LISTEN_ADDRESS);
}

void qemud_display_release(const struct mv_dom_def *live)
{
    pthread_mutex_lock(&reserved_lock);
    for (size_t i = 0; live && i < live->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &live->devices.graphics[i];

        if (tcp_autoport(g) && g->port >= DISPLAY_PORT_MIN && g->port <= DISPLAY_PORT_MAX)
            set_reserved(g->port, false);
    }
    pthread_mutex_unlock(&reserved_lock);
}

#define UUID_CHARS (MV_UUID_STRING_LEN - 1)

/* PATH is a socket this daemon picked (RUNDIR/UUID.spiceN.sock), for
 * whichever domain: the live XML shows it, and a definition made from that
 * XML must not have two guests listen on one socket. */
static bool is_daemon_socket(const char *rundir, const char *path)
{
    size_t n = strlen(rundir);
    unsigned int idx;
    int end = 0;

    return strncmp(path, rundir, n) == 0 && path[n] == '/' && strlen(path + n + 1) > UUID_CHARS &&
           sscanf(path + n + 1 + UUID_CHARS, ".spice%u.sock%n", &idx, &end) == 1 && end > 0 &&
           path[n + 1 + UUID_CHARS + end] == '\0';
}

int qemud_display_prepare(const char *rundir, const char *uuid, const char *name, struct mv_dom_def *live,
                          struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &live->devices.graphics[i];
        int r;

        if (g->type != MV_DOM_GRAPHICS_SPICE)
            continue;
        if (g->listen_type == MV_DOM_LISTEN_SOCKET && (!g->socket || is_daemon_socket(rundir, g->socket))) {
            free(g->socket);
            if (asprintf(&g->socket, "%s/%s.spice%zu.sock", rundir, uuid, i) < 0) {
                g->socket = NULL;
                return -ENOMEM;
            }
        }
        if (g->listen_type == MV_DOM_LISTEN_ABSENT ||
            (g->listen_type == MV_DOM_LISTEN_ADDRESS && !g->listen)) {
            /* the live XML says where it listens, as libvirt's does */
            g->listen_type = MV_DOM_LISTEN_ADDRESS;
            if (!g->listen && !(g->listen = strdup("127.0.0.1")))
                return -ENOMEM;
        }
        if (!tcp_autoport(g))
            continue;
        g->port = -1;
        if ((r = take_port(g->listen ? g->listen : "127.0.0.1", name, &g->port, err)) < 0) {
            g->port = -1;
            qemud_display_release(live);
            return r;
        }
    }
    return 0;
}

/* "2025-01-02T03:04:05" (UTC) as seconds since the epoch for QEMU. */
static int valid_to_epoch(const char *s, long long *out)
{
    struct tm tm = { 0 };
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

    if (!end || *end)
        return -EINVAL;
    *out = (long long)timegm(&tm);
    return 0;
}

/* QEMU started with ticketing on and no password: nobody gets in before this. */
static int set_password(struct qemud_dom *dom, const struct mv_dom_graphics *g, struct mv_err *err)
{
    json_object *args = json_object_new_object();
    long long epoch;
    char when[32];
    int r;

    if (!args)
        return -ENOMEM;
    json_object_object_add(args, "protocol", json_object_new_string("spice"));
    json_object_object_add(args, "password", json_object_new_string(g->passwd));
    if ((r = qemud_monitor_command(dom, "set_password", args, NULL, err)) < 0 || !g->passwd_valid_to)
        return r;
    if (valid_to_epoch(g->passwd_valid_to, &epoch) < 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: passwdValidTo '%s' of domain '%s' is not a date",
                          g->passwd_valid_to, dom->name);
    snprintf(when, sizeof(when), "%lld", epoch);
    if (!(args = json_object_new_object()))
        return -ENOMEM;
    json_object_object_add(args, "protocol", json_object_new_string("spice"));
    json_object_object_add(args, "time", json_object_new_string(when));
    return qemud_monitor_command(dom, "expire_password", args, NULL, err);
}

int qemud_display_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &live->devices.graphics[i];
        json_object *info = NULL, *port;
        int r;

        if (g->type != MV_DOM_GRAPHICS_SPICE)
            continue;
        if (g->passwd && (r = set_password(dom, g, err)) < 0)
            return r;
        if (!tcp_autoport(g))
            continue;
        if ((r = qemud_monitor_command(dom, "query-spice", NULL, &info, err)) < 0)
            return r;
        /* QEMU reports the port it was given: a difference is our bug */
        if (!json_object_object_get_ex(info, "port", &port) || json_object_get_int(port) != g->port) {
            json_object_put(info);
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                              "internal error: QEMU of domain '%s' does not report SPICE port %d", dom->name,
                              g->port);
        }
        json_object_put(info);
    }
    return 0;
}
