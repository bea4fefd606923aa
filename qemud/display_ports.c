/*
 * SPICE around a start: ports and socket paths before QEMU runs, what it
 * listens on and the password once its monitor is up (display_ports.h).
 */
#define MV_LOG_MODULE "qemud.display"
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
#include "log.h"
#include "uuid.h"

/* Ports this daemon gave its running domains (or is giving one that
 * starts), each with the UUID of the domain that holds it: VNC and SPICE,
 * autoport or fixed, in one list, so that no two starts pick one port
 * before their QEMUs bind it.  A domain holds a few at most. */
struct reservation {
    int port;
    unsigned char uuid[MV_UUID_LEN];
};

static pthread_mutex_t reserved_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reservation *reserved;
static size_t nreserved;

/* The reservation of PORT, or NULL; with reserved_lock held. */
static struct reservation *find_reserved(int port)
{
    for (size_t i = 0; i < nreserved; i++)
        if (reserved[i].port == port)
            return &reserved[i];
    return NULL;
}

/* With reserved_lock held; -ENOMEM. */
static int add_reserved(int port, const unsigned char *uuid)
{
    struct reservation *grown = realloc(reserved, (nreserved + 1) * sizeof(*reserved));

    if (!grown)
        return -ENOMEM;
    reserved = grown;
    reserved[nreserved].port = port;
    memcpy(reserved[nreserved].uuid, uuid, MV_UUID_LEN);
    nreserved++;
    return 0;
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

static const char *display_name(const struct mv_dom_graphics *g)
{
    return g->type == MV_DOM_GRAPHICS_VNC ? "VNC" : "SPICE";
}

/* The lowest port free on HOST and not reserved, reserved now for DEF. */
static int take_port(const char *host, const struct mv_dom_def *def, const struct mv_dom_graphics *g, int *port,
                     struct mv_err *err)
{
    struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM };
    struct addrinfo *addrs = NULL;
    int r = getaddrinfo(host, NULL, &hints, &addrs);

    if (r != 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: %s listen address '%s' of domain '%s' does not "
                          "resolve: %s", display_name(g), host, def->name, gai_strerror(r));
    r = 0;
    pthread_mutex_lock(&reserved_lock);
    for (int p = DISPLAY_PORT_MIN; p <= DISPLAY_PORT_MAX; p++) {
        if (find_reserved(p) || !port_free(addrs, p))
            continue;
        if ((r = add_reserved(p, def->uuid)) == 0)
            *port = p;
        break;
    }
    pthread_mutex_unlock(&reserved_lock);
    freeaddrinfo(addrs);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (*port <= 0)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: no free port in %d-%d on '%s' for the %s display of domain '%s'",
                          DISPLAY_PORT_MIN, DISPLAY_PORT_MAX, host, display_name(g), def->name);
    return 0;
}

/* A display QEMU listens for on TCP: the port is the daemon's to choose
 * (autoport) or the one written. */
static bool tcp_listen(const struct mv_dom_graphics *g)
{
    return g->listen_type == MV_DOM_LISTEN_ABSENT || g->listen_type == MV_DOM_LISTEN_ADDRESS;
}

static bool tcp_autoport(const struct mv_dom_graphics *g)
{
    return g->autoport && tcp_listen(g);
}

/* Reserves the port written in G for DEF (libvirt refuses a port another
 * guest of the daemon has, whatever the address, and so do we). */
static int reserve_fixed(const struct mv_dom_def *def, const struct mv_dom_graphics *g, struct mv_err *err)
{
    char other[MV_UUID_STRING_LEN] = "";
    struct reservation *holder;
    bool own = false;
    int r = 0;

    pthread_mutex_lock(&reserved_lock);
    if ((holder = find_reserved(g->port))) {
        own = memcmp(holder->uuid, def->uuid, MV_UUID_LEN) == 0;
        mv_uuid_format(holder->uuid, other);
    } else {
        r = add_reserved(g->port, def->uuid);
    }
    pthread_mutex_unlock(&reserved_lock);
    if (holder && own)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: port %d of the %s display of domain '%s' is the port of "
                          "another of its displays", g->port, display_name(g), def->name);
    if (holder)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "operation invalid: port %d of the %s display of domain '%s' is taken by the running "
                          "domain with uuid %s", g->port, display_name(g), def->name, other);
    return r < 0 ? mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory") : 0;
}

void qemud_display_release(const struct mv_dom_def *live)
{
    size_t kept = 0;

    if (!live)
        return;
    pthread_mutex_lock(&reserved_lock);
    for (size_t i = 0; i < nreserved; i++)
        if (memcmp(reserved[i].uuid, live->uuid, MV_UUID_LEN) != 0)
            reserved[kept++] = reserved[i];
    nreserved = kept;
    pthread_mutex_unlock(&reserved_lock);
}

void qemud_display_reserve_running(const struct mv_dom_def *live)
{
    struct mv_err err = { 0 };

    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &live->devices.graphics[i];

        /* its QEMU holds the port; a clash is an older daemon's doing */
        if (tcp_listen(g) && g->port > 0 && reserve_fixed(live, g, &err) < 0) {
            mv_warn("%s", err.message);
            mv_err_clear(&err);
        }
    }
}

#define UUID_CHARS (MV_UUID_STRING_LEN - 1)

/* REST is "KINDN.sock". */
static bool kind_socket(const char *rest, const char *kind)
{
    size_t k = strlen(kind);
    unsigned int idx;
    int end = 0;

    if (strncmp(rest, kind, k) != 0)
        return false;
    rest += k;
    return sscanf(rest, "%u.sock%n", &idx, &end) == 1 && end > 0 && rest[end] == '\0';
}

bool qemud_is_daemon_socket(const char *rundir, const char *path, const char *kind)
{
    size_t n = strlen(rundir);
    const char *rest;

    if (strncmp(path, rundir, n) != 0 || path[n] != '/' || strlen(path + n + 1) <= UUID_CHARS)
        return false;
    rest = path + n + 1 + UUID_CHARS;
    /* today's UUID.d/KINDN.sock, or UUID.KINDN.sock of a live XML an older daemon showed */
    if (strncmp(rest, ".d/", 3) == 0)
        return kind_socket(rest + 3, kind);
    return rest[0] == '.' && kind_socket(rest + 1, kind);
}

/* The SPICE socket path and listen address LIVE shows for G. */
static int spice_defaults(const char *rundir, const char *uuid, size_t i, struct mv_dom_graphics *g)
{
    if (g->listen_type == MV_DOM_LISTEN_SOCKET && (!g->socket || qemud_is_daemon_socket(rundir, g->socket, "spice"))) {
        free(g->socket);
        if (asprintf(&g->socket, "%s/%s.d/spice%zu.sock", rundir, uuid, i) < 0) {
            g->socket = NULL;
            return -ENOMEM;
        }
    }
    if (g->listen_type == MV_DOM_LISTEN_ABSENT || (g->listen_type == MV_DOM_LISTEN_ADDRESS && !g->listen)) {
        /* the live XML says where it listens, as libvirt's does */
        g->listen_type = MV_DOM_LISTEN_ADDRESS;
        if (!g->listen && !(g->listen = strdup("127.0.0.1")))
            return -ENOMEM;
    }
    return 0;
}

/* The written ports first, so that autoport passes over them. */
static int reserve_ports(struct mv_dom_def *live, struct mv_err *err)
{
    int r;

    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &live->devices.graphics[i];

        if (!g->autoport && tcp_listen(g) && g->port > 0 && (r = reserve_fixed(live, g, err)) < 0)
            return r;
    }
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &live->devices.graphics[i];

        if (!tcp_autoport(g))
            continue;
        g->port = -1;
        if ((r = take_port(g->listen ? g->listen : "127.0.0.1", live, g, &g->port, err)) < 0) {
            g->port = -1;
            return r;
        }
    }
    return 0;
}

int qemud_display_prepare(const char *rundir, const char *uuid, struct mv_dom_def *live, struct mv_err *err)
{
    int r;

    for (size_t i = 0; i < live->devices.ngraphics; i++)
        if (live->devices.graphics[i].type == MV_DOM_GRAPHICS_SPICE &&
            (r = spice_defaults(rundir, uuid, i, &live->devices.graphics[i])) < 0)
            return mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = reserve_ports(live, err)) < 0)
        qemud_display_release(live);
    return r;
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
    if (mv_dom_valid_to_epoch(g->passwd_valid_to, &epoch) < 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: passwdValidTo '%s' of domain '%s' is not a date",
                          g->passwd_valid_to, dom->name);
    /* a date before 1970 has passed: expired, as QEMU's 0 says */
    snprintf(when, sizeof(when), "%lld", epoch < 0 ? 0 : epoch);
    if (!(args = json_object_new_object()))
        return -ENOMEM;
    json_object_object_add(args, "protocol", json_object_new_string("spice"));
    json_object_object_add(args, "time", json_object_new_string(when));
    return qemud_monitor_command(dom, "expire_password", args, NULL, err);
}

/* QEMU reports the port it was given (QUERY's reply, member MEMBER, a
 * number or a numeric string): a difference is our bug. */
static int check_port(struct qemud_dom *dom, const struct mv_dom_graphics *g, const char *query,
                      const char *member, struct mv_err *err)
{
    json_object *info = NULL, *port;
    int r;

    if ((r = qemud_monitor_command(dom, query, NULL, &info, err)) < 0)
        return r;
    if (!json_object_object_get_ex(info, member, &port) || atoi(json_object_get_string(port)) != g->port)
        r = mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                       "internal error: QEMU of domain '%s' does not report %s port %d", dom->name,
                       display_name(g), g->port);
    json_object_put(info);
    return r;
}

int qemud_display_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &live->devices.graphics[i];
        bool vnc = g->type == MV_DOM_GRAPHICS_VNC;
        int r;

        if (!vnc && g->passwd && (r = set_password(dom, g, err)) < 0)
            return r;
        if (tcp_autoport(g) && (r = check_port(dom, g, vnc ? "query-vnc" : "query-spice",
                                               vnc ? "service" : "port", err)) < 0)
            return r;
    }
    return 0;
}
