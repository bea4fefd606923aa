/* The server: listeners, the client list, the worker hand-off and idle exit. */
#define MV_LOG_MODULE "rpc.server"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "server_internal.h"

static bool server_idle(struct mv_server *srv)
{
    return srv->nclients == 0 &&
           (!srv->workers || mv_worker_pool_pending(srv->workers) == 0) &&
           !(srv->driver->busy && srv->driver->busy());
}

static int idle_expired(sd_event_source *s, uint64_t usec, void *opaque)
{
    struct mv_server *srv = opaque;

    if (server_idle(srv)) {
        mv_info("idle for %u s with no clients, jobs or guests: exiting", srv->cfg.idle_timeout);
        sd_event_exit(srv->event, 0);
        return 0;
    }
    /* still busy (guests running): look again later */
    sd_event_source_set_time(s, usec + (uint64_t)srv->cfg.idle_timeout * 1000000);
    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    return 0;
}

void mv_server_update_idle(struct mv_server *srv)
{
    uint64_t now;

    if (!srv->cfg.idle_timeout)
        return;
    if (srv->nclients > 0) {
        if (srv->idle_timer)
            sd_event_source_set_enabled(srv->idle_timer, SD_EVENT_OFF);
        return;
    }
    sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
    now += (uint64_t)srv->cfg.idle_timeout * 1000000;
    if (!srv->idle_timer) {
        if (sd_event_add_time(srv->event, &srv->idle_timer, CLOCK_MONOTONIC, now, 0,
                              idle_expired, srv) < 0)
            return;
    } else {
        sd_event_source_set_time(srv->idle_timer, now);
    }
    sd_event_source_set_enabled(srv->idle_timer, SD_EVENT_ONESHOT);
}

void mv_server_client_gone(struct mv_server *srv, struct mv_client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    srv->nclients--;
    if (c->listener->opts.readonly)
        srv->nclients_ro--;
    mv_server_update_listeners(srv);
    mv_server_update_idle(srv);
}

void mv_server_rx_released(struct mv_server *srv)
{
    for (struct mv_client *c = srv->clients; c; c = c->next)
        if (c->rx_held)
            mv_client_update_events(c);
}

unsigned int mv_server_nclients(const struct mv_server *srv)
{
    return srv->nclients;
}

/* ---- packets produced on other threads ---- */

void mv_server_post(struct mv_server *srv, struct mv_client *c, struct mv_msg *msg,
                    enum mv_out_kind kind)
{
    struct mv_outgoing *o = calloc(1, sizeof(*o));
    uint64_t one = 1;

    /* losing a completion would leave the client waiting forever */
    if (!o)
        abort();
    o->client = mv_client_ref(c);
    o->msg = msg;
    o->kind = kind;
    pthread_mutex_lock(&srv->out_lock);
    if (srv->out_tail)
        srv->out_tail->next = o;
    else
        srv->out_head = o;
    srv->out_tail = o;
    pthread_mutex_unlock(&srv->out_lock);
    if (write(srv->out_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        mv_debug("eventfd write failed: %s", strerror(errno));
}

static int outgoing_ready(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct mv_server *srv = opaque;
    struct mv_outgoing *list;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        mv_debug("eventfd read failed: %s", strerror(errno));
    pthread_mutex_lock(&srv->out_lock);
    list = srv->out_head;
    srv->out_head = srv->out_tail = NULL;
    pthread_mutex_unlock(&srv->out_lock);

    while (list) {
        struct mv_outgoing *o = list;
        struct mv_client *c = o->client;

        list = o->next;
        if (o->kind == MV_OUT_EVENT) {
            mv_client_queue_event(c, o->msg);
        } else {
            c->inflight--;
            if (o->msg)
                mv_client_queue_tx(c, o->msg);
            else if (!atomic_load(&c->closed))
                mv_client_reply_lost(c, "no reply could be encoded for a call, not even an error");
        }
        mv_client_unref(c);
        free(o);
    }
    mv_server_update_idle(srv);
    return 0;
}

/* ---- listeners ---- */

/* Slots a listener may fill: read-only listeners leave rw_reserve of
 * max_clients to the read-write socket, so that clients of the world-open
 * read-only socket can never lock the administrator out. */
static bool listener_has_room(const struct mv_server *srv, const struct mv_listener *l)
{
    unsigned int max = srv->cfg.max_clients, reserve = srv->cfg.rw_reserve;

    if (srv->nclients >= max || mv_server_anonymous_full(srv, l))
        return false;
    if (!l->opts.readonly)
        return true;
    return srv->nclients_ro + (reserve < max ? reserve : max - 1) < max;
}

/* At the limit a listener is switched off instead of accepting and closing:
 * new connections wait in the kernel's backlog until a slot frees up. */
void mv_server_update_listeners(struct mv_server *srv)
{
    for (struct mv_listener *l = srv->listeners; l; l = l->next) {
        bool room = listener_has_room(srv, l);

        if (!l->io)     /* stopped: the server is going away */
            continue;
        if (room == l->accepting)
            continue;
        if (sd_event_source_set_enabled(l->io, room ? SD_EVENT_ON : SD_EVENT_OFF) < 0)
            continue;
        l->accepting = room;
        if (room)
            mv_info("accepting %s connections again", l->opts.readonly ? "read-only" : "read-write");
        else if (mv_server_anonymous_full(srv, l))
            mv_warn("%u remote clients have not authenticated yet (max_anonymous_clients): "
                    "new remote connections wait", srv->nanonymous);
        else
            mv_warn("%u clients connected (%u read-only, limit %u, %u kept for read-write): "
                    "new %s connections wait", srv->nclients, srv->nclients_ro,
                    srv->cfg.max_clients, srv->cfg.rw_reserve,
                    l->opts.readonly ? "read-only" : "read-write");
    }
}

static int listener_accept(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct mv_listener *l = opaque;
    struct mv_server *srv = l->srv;
    int cfd, r;

    if (!listener_has_room(srv, l)) {
        mv_server_update_listeners(srv);
        return 0;
    }
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR)
            mv_warn("accept failed: %s", strerror(errno));
        return 0;
    }
    r = mv_client_accept(srv, l, cfd);
    if (r < 0)
        mv_warn("cannot accept a client: %s", strerror(-r));
    mv_server_update_listeners(srv);
    mv_server_update_idle(srv);
    return 0;
}

int mv_server_add_listener(struct mv_server *srv, int fd_in, const struct mv_listen_opts *opts)
{
    _cleanup_close_ int fd = fd_in;
    struct mv_listener *l;
    int r, flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->srv = srv;
    l->opts = *opts;
    if (opts->polkit_action) {
        l->polkit_action = strdup(opts->polkit_action);
        if (!l->polkit_action) {
            free(l);
            return -ENOMEM;
        }
        l->opts.polkit_action = l->polkit_action;
    }
    r = sd_event_add_io(srv->event, &l->io, fd, EPOLLIN, listener_accept, l);
    if (r < 0) {
        free(l->polkit_action);
        free(l);
        return r;
    }
    if (opts->tls)
        l->opts.tls = mv_tls_context_ref(opts->tls);
    l->fd = TAKE_FD(fd);
    l->accepting = true;
    l->next = srv->listeners;
    srv->listeners = l;
    mv_server_update_listeners(srv);
    return 0;
}

/* A socket file nobody answers on is left over from a dead daemon. */
static int remove_stale_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    strcpy(sa.sun_path, path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return -EADDRINUSE;
    if (errno == ENOENT)
        return 0;
    if (errno != ECONNREFUSED)
        return -errno;
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int mv_server_listen_unix(struct mv_server *srv, const char *path, mode_t mode, gid_t gid,
                          const struct mv_listen_opts *opts)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = -1;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    r = remove_stale_socket(path);
    if (r < 0)
        return r;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    /* mode and group before listen(): no window with looser access */
    if (chmod(path, mode) < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
        listen(fd, 128) < 0) {
        r = -errno;
        unlink(path);
        return r;
    }
    return mv_server_add_listener(srv, TAKE_FD(fd), opts);
}

/* ---- lifetime ---- */

/* Files the entries of T by program and procedure number; COVERED marks
 * not-implemented ones too.  A procedure the facts do not know as a call, or
 * one with two entries, is a programming error.  A program with an entry is
 * served. */
static int index_table(struct mv_server *srv, const struct mv_dispatch_table *t,
                       bool (*covered)[MV_PROC_NUMBER_MAX])
{
    for (size_t i = 0; i < t->n; i++) {
        const struct mv_dispatch_entry *e = &t->entries[i];
        const struct mv_proc_info *info = mv_program_call_lookup(e->prog, e->proc);
        int p = mv_program_index(e->prog);

        if (!info || p < 0 || e->proc >= MV_PROC_NUMBER_MAX || covered[p][e->proc]) {
            mv_error("driver %s: procedure %d of program 0x%x is no call or has two entries",
                     srv->driver->name, e->proc, e->prog);
            return -EINVAL;
        }
        covered[p][e->proc] = true;
        srv->serves[p] = true;
        if (!e->not_implemented)
            srv->handlers[p][e->proc] = e;
    }
    return 0;
}

/* Every procedure of the connection level and of the driver's subsystem,
 * in every program, has an entry: a handler or an explicit
 * MV_NOT_IMPLEMENTED. */
static int check_covered(const struct mv_server *srv, bool (*covered)[MV_PROC_NUMBER_MAX])
{
    enum mv_subsystem own = srv->driver->subsystem;
    int r = 0;

    for (size_t p = 0; p < mv_programs_len; p++) {
        for (int proc = 1; proc < MV_PROC_NUMBER_MAX; proc++) {
            const struct mv_proc_info *info = mv_program_call_lookup(mv_programs[p].prog, proc);

            if (!info || covered[p][proc] ||
                (info->subsystem != MV_SUBSYS_CONNECT && info->subsystem != own))
                continue;
            mv_error("driver %s: procedure %s (%d) of subsystem %s has no handler and no "
                     "MV_NOT_IMPLEMENTED entry", srv->driver->name, info->name, proc,
                     mv_subsystem_name(info->subsystem));
            r = -EINVAL;
        }
    }
    return r;
}

static int index_handlers(struct mv_server *srv)
{
    bool covered[MV_PROGRAMS_MAX][MV_PROC_NUMBER_MAX] = { { false } };
    int r = index_table(srv, &mv_conn_procs_table, covered);

    for (const struct mv_dispatch_table *const *t = srv->driver->tables; r == 0 && t && *t; t++)
        r = index_table(srv, *t, covered);
    /* the remote program always (its connection level is everyone's); a
     * proxy hands every program's calls on to the daemon that serves them */
    srv->serves[mv_program_index(MV_REMOTE_PROGRAM)] = true;
    for (size_t p = 0; srv->driver->forwarder && p < mv_programs_len; p++)
        srv->serves[p] = true;
    return r < 0 ? r : check_covered(srv, covered);
}

int mv_server_new(sd_event *event, const struct mv_server_driver *driver,
                  const struct mv_server_config *cfg, struct mv_server **ret)
{
    struct mv_server *srv = calloc(1, sizeof(*srv));
    int r;

    if (!srv)
        return -ENOMEM;
    srv->event = sd_event_ref(event);
    srv->driver = driver;
    srv->cfg = *cfg;
    srv->out_efd = -1;
    pthread_mutex_init(&srv->out_lock, NULL);
    r = index_handlers(srv);
    if (r < 0)
        goto fail;
    srv->out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (srv->out_efd < 0) {
        r = -errno;
        goto fail;
    }
    r = sd_event_add_io(event, &srv->out_src, srv->out_efd, EPOLLIN, outgoing_ready, srv);
    if (r < 0)
        goto fail;
    r = mv_worker_pool_new(cfg->max_workers, mv_dispatch_run, &srv->workers);
    if (r < 0)
        goto fail;
    mv_server_update_idle(srv);
    *ret = srv;
    return 0;
fail:
    mv_server_free(srv);
    return r;
}

/* Stops accepting: the sockets close, the structures stay for the clients
 * that still point at them (c->listener). */
static void listeners_stop(struct mv_server *srv)
{
    for (struct mv_listener *l = srv->listeners; l; l = l->next) {
        l->io = sd_event_source_disable_unref(l->io);
        l->accepting = false;
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
    }
}

static void listeners_free(struct mv_server *srv)
{
    struct mv_listener *l;

    while ((l = srv->listeners)) {
        srv->listeners = l->next;
        free(l->polkit_action);
        mv_tls_context_unref(l->opts.tls);
        free(l);
    }
}

/* Order matters: a client (and a call of it still running on a worker,
 * e.g. AUTH_POLKIT reading c->listener) borrows its listener, so listeners
 * are freed only once every client is closed and every call is done. */
void mv_server_free(struct mv_server *srv)
{
    struct mv_outgoing *o;

    if (!srv)
        return;
    listeners_stop(srv);
    while (srv->clients)
        mv_client_close(srv->clients, "the daemon is shutting down");
    /* running handlers finish and post their replies; nobody reads them now */
    mv_worker_pool_free(srv->workers, mv_dispatch_drop);
    while ((o = srv->out_head)) {
        srv->out_head = o->next;
        mv_msg_free(o->msg);
        mv_client_unref(o->client);
        free(o);
    }
    listeners_free(srv);
    sd_event_source_disable_unref(srv->out_src);
    sd_event_source_disable_unref(srv->idle_timer);
    if (srv->out_efd >= 0)
        close(srv->out_efd);
    pthread_mutex_destroy(&srv->out_lock);
    sd_event_unref(srv->event);
    free(srv);
}
