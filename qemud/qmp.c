/*
 * QMP client: every monitor is served by one thread running its own sd-event
 * loop.  Other threads hand it work through a locked request list and an
 * eventfd; they never touch an sd-event source themselves.
 *
 * A command lives on the stack of the thread waiting for it, linked into its
 * monitor's pending list under loop->lock.  Whoever finishes it (the monitor
 * thread with the answer, the waiter on timeout) unlinks it under that lock,
 * so an abandoned command never outlives its waiter and a late answer finds
 * no id to match and is dropped.
 */
#define MV_LOG_MODULE "qemud.qmp"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "monotime.h"
#include "qmp.h"

/* A hostile or broken QEMU must not make the daemon grow without bound. */
#define QMP_MAX_MESSAGE (16u * 1024 * 1024)
/* Read per wake-up, so one chatty monitor cannot starve the others. */
#define QMP_READ_CHUNK (64u * 1024)
/* Read buffers grown beyond this by one large reply are dropped once drained. */
#define QMP_KEEP_BUFFER (1024u * 1024)
/* JSON nesting: query-block nests one level per backing image. */
#define QMP_MAX_DEPTH 128
/* QEMU creates its socket a few ms after exec. */
#define QMP_CONNECT_RETRY_MS 10
/* The socket closes a moment before the pidfd reports the exit. */
#define QMP_EXIT_GRACE_MS 100

enum qmp_state {
    QMP_GREETING,       /* waiting for {"QMP": ...} */
    QMP_CAPS,           /* qmp_capabilities sent */
    QMP_HELD,           /* negotiated; paused until mv_qmp_open has handed MON out */
    QMP_RUNNING,
};

/* Work other threads ask the monitor thread to do (mv_qmp.req bits). */
enum {
    REQ_REGISTER = 1 << 0,
    REQ_START = 1 << 1,
    REQ_FLUSH = 1 << 2,
    REQ_CLOSE = 1 << 3,
    REQ_ABORT = 1 << 4,
};

/* A command on the stack of the thread waiting in mv_qmp_command. */
struct qmp_cmd {
    struct qmp_cmd *next;
    uint64_t id;
    char *line;                 /* "{...}\n"; the monitor thread takes it to send it */
    size_t len;
    bool has_fd;                /* FD is sent with the line (SCM_RIGHTS); the monitor thread
                                 * takes it over with the line */
    int fd;
    bool sent;
    bool no_reply;              /* done once its line is handed to the socket */
    bool done;
    bool raw;                   /* mv_qmp_command_raw: the whole reply as text */
    int r;
    json_object *reply;
    char *errmsg;               /* a QMP error's "desc"; with RAW, the whole reply */
    pthread_cond_t cond;
};

/* mv_qmp_open's caller waiting for the handshake. */
struct qmp_open_wait {
    bool done;
    bool gone;                  /* the loop stopped and freed the monitor */
    int r;
    char *msg;
};

/* mv_qmp_close's caller on another thread waiting for the teardown. */
struct qmp_close_wait {
    bool done;
};

struct mv_qmp_loop {
    pthread_t thread;
    bool thread_started;
    sd_event *event;
    sd_event_source *wake_src;
    int wake_fd;
    uint64_t next_id;           /* atomic */

    struct mv_qmp *monitors;    /* monitor thread only */

    pthread_mutex_t lock;
    pthread_cond_t cond;        /* open and close hand-shakes */
    struct mv_qmp *req_head, *req_tail;
    bool stopping;
    unsigned nwaiters;          /* threads that will lock again: stop frees after them */
};

struct mv_qmp {
    struct mv_qmp_loop *loop;
    struct mv_qmp_callbacks cb;
    void *opaque;
    unsigned int flags;         /* MV_QMP_OPEN_*: immutable */

    /* monitor thread only */
    struct mv_qmp *prev, *next; /* loop->monitors */
    bool linked;
    int fd;
    sd_event_source *io;
    enum qmp_state state;
    json_tokener *tok;
    char *rbuf;
    size_t rlen, rcap;
    size_t rscan;               /* rbuf[0..rscan) holds no newline */
    char *wbuf;
    size_t wlen, woff;
    int wfd;                    /* to send with wbuf's first byte, -1: none (or sent) */
    uint64_t caps_id;
    bool in_callback;
    long long ev_seconds;       /* the timestamp of the event in its callback */
    unsigned int ev_micros;
    bool closing;               /* closed from its own callback: free once it returns */
    bool ids_echoed;            /* agent: its replies carry our ids, so one without is no reply of ours */

    /* under loop->lock (dead is written only by the monitor thread) */
    struct mv_qmp *req_next;
    unsigned req;
    bool queued;
    bool dead;
    struct qmp_cmd *pending;    /* in submission order; the unsent ones are a suffix */
    struct qmp_open_wait *opener;
    struct qmp_close_wait *closer;
};

static void mon_flush(struct mv_qmp *mon);

/* ---- time and small helpers ---- */

struct deadline {
    struct timespec ts;
    bool forever;               /* negative timeout */
};

static void deadline_init(struct deadline *dl, int timeout_ms)
{
    dl->forever = timeout_ms < 0;
    mv_deadline_after(&dl->ts, dl->forever ? 0 : timeout_ms);
}

static int deadline_left_ms(const struct deadline *dl)
{
    struct timespec now;
    int64_t ms;

    if (dl->forever)
        return INT_MAX;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (int64_t)(dl->ts.tv_sec - now.tv_sec) * 1000 + (dl->ts.tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* 0 when woken, ETIMEDOUT once DL has passed. */
static int cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, const struct deadline *dl)
{
    if (dl->forever)
        return pthread_cond_wait(cond, lock);
    return pthread_cond_timedwait(cond, lock, &dl->ts);
}

/* Sets *ERRMSG (if wanted) and returns R. */
__attribute__((format(printf, 3, 4)))
static int fail_msg(char **errmsg, int r, const char *fmt, ...)
{
    va_list ap;

    if (!errmsg)
        return r;
    va_start(ap, fmt);
    if (vasprintf(errmsg, fmt, ap) < 0)
        *errmsg = NULL;
    va_end(ap);
    return r;
}

static bool on_monitor_thread(const struct mv_qmp_loop *loop)
{
    return loop->thread_started && pthread_equal(pthread_self(), loop->thread);
}

static void loop_wake(struct mv_qmp_loop *loop)
{
    uint64_t one = 1;

    if (write(loop->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        mv_debug("cannot wake the QMP thread: %s", strerror(errno));
}

/* ---- requests and commands (under loop->lock) ---- */

/* A thread waiting in this file still needs loop->lock after the monitor
 * thread has woken it; mv_qmp_loop_stop must not free the loop before. */
static void waiter_enter_locked(struct mv_qmp_loop *loop)
{
    loop->nwaiters++;
}

static void waiter_leave_locked(struct mv_qmp_loop *loop)
{
    if (--loop->nwaiters == 0 && loop->stopping)
        pthread_cond_broadcast(&loop->cond);
}

static void request_locked(struct mv_qmp *mon, unsigned req)
{
    struct mv_qmp_loop *loop = mon->loop;

    mon->req |= req;
    if (mon->queued)
        return;
    mon->queued = true;
    mon->req_next = NULL;
    if (loop->req_tail)
        loop->req_tail->req_next = mon;
    else
        loop->req_head = mon;
    loop->req_tail = mon;
}

static void request_unlink_locked(struct mv_qmp *mon)
{
    struct mv_qmp_loop *loop = mon->loop;
    struct mv_qmp **p, *prev = NULL;

    if (!mon->queued)
        return;
    for (p = &loop->req_head; *p != mon; p = &(*p)->req_next)
        prev = *p;
    *p = mon->req_next;
    if (loop->req_tail == mon)
        loop->req_tail = prev;
    mon->queued = false;
    mon->req_next = NULL;
}

static void pending_append_locked(struct mv_qmp *mon, struct qmp_cmd *cmd)
{
    struct qmp_cmd **p = &mon->pending;

    while (*p)
        p = &(*p)->next;
    *p = cmd;
}

static void pending_unlink_locked(struct mv_qmp *mon, struct qmp_cmd *cmd)
{
    struct qmp_cmd **p;

    for (p = &mon->pending; *p; p = &(*p)->next)
        if (*p == cmd) {
            *p = cmd->next;
            cmd->next = NULL;
            return;
        }
}

/* Hands the result to the waiter; it must not be touched after the unlock. */
static void cmd_finish_locked(struct mv_qmp *mon, struct qmp_cmd *cmd, int r, json_object *reply,
                              char *errmsg)
{
    pending_unlink_locked(mon, cmd);
    cmd->r = r;
    cmd->reply = reply;
    cmd->errmsg = errmsg;
    cmd->done = true;
    pthread_cond_signal(&cmd->cond);
}

static void abort_pending_locked(struct mv_qmp *mon)
{
    while (mon->pending)
        cmd_finish_locked(mon, mon->pending, -ECONNRESET, NULL, NULL);
}

static void open_finish_locked(struct mv_qmp *mon, int r, const char *msg)
{
    struct qmp_open_wait *w = mon->opener;

    if (!w)
        return;
    w->r = r;
    w->msg = msg ? strdup(msg) : NULL;
    w->done = true;
    mon->opener = NULL;
    pthread_cond_broadcast(&mon->loop->cond);
}

/* ---- monitor lifetime (monitor thread) ---- */

static void mon_release_io(struct mv_qmp *mon)
{
    mon->io = sd_event_source_disable_unref(mon->io);
    if (mon->fd >= 0)
        close(mon->fd);
    mon->fd = -1;
    free(mon->rbuf);
    mon->rbuf = NULL;
    mon->rlen = mon->rcap = mon->rscan = 0;
    free(mon->wbuf);
    mon->wbuf = NULL;
    mon->wlen = mon->woff = 0;
    if (mon->wfd >= 0)
        close(TAKE_FD(mon->wfd));
    if (mon->tok)
        json_tokener_free(mon->tok);
    mon->tok = NULL;
}

/* Frees MON without any callback: mv_qmp_close, or the loop stopping. */
static void mon_destroy(struct mv_qmp *mon)
{
    struct mv_qmp_loop *loop = mon->loop;

    if (mon->linked) {
        if (mon->prev)
            mon->prev->next = mon->next;
        else
            loop->monitors = mon->next;
        if (mon->next)
            mon->next->prev = mon->prev;
    }
    pthread_mutex_lock(&loop->lock);
    request_unlink_locked(mon);
    mon->dead = true;
    abort_pending_locked(mon);
    if (mon->opener) {
        mon->opener->gone = true;
        open_finish_locked(mon, -ECANCELED, "the QMP thread stopped");
    }
    if (mon->closer)
        mon->closer->done = true;
    pthread_cond_broadcast(&loop->cond);
    pthread_mutex_unlock(&loop->lock);
    mon_release_io(mon);
    free(mon);
}

static void mon_call_closed(struct mv_qmp *mon)
{
    if (!mon->cb.closed || mon->closing)
        return;
    mon->in_callback = true;
    mon->cb.closed(mon, mon->opaque);
    mon->in_callback = false;
}

/* The connection is unusable: waiters get -ECONNRESET, the owner one closed call. */
__attribute__((format(printf, 3, 4)))
static void mon_fail(struct mv_qmp *mon, int r, const char *fmt, ...)
{
    struct mv_qmp_loop *loop = mon->loop;
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    if (mon->dead)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    mv_debug("QMP monitor on fd %d: %s", mon->fd, msg ? msg : strerror(-r));
    pthread_mutex_lock(&loop->lock);
    mon->dead = true;
    abort_pending_locked(mon);
    open_finish_locked(mon, r, msg);
    pthread_mutex_unlock(&loop->lock);
    mon_release_io(mon);
    if (mon->state == QMP_RUNNING)
        mon_call_closed(mon);
}

static void mon_update_events(struct mv_qmp *mon)
{
    if (mon->dead || mon->state == QMP_HELD)
        return;
    sd_event_source_set_io_events(mon->io, EPOLLIN | (mon->woff < mon->wlen ? EPOLLOUT : 0));
}

/* ---- incoming messages ---- */

/* QEMU's "timestamp" of event MSG, or now if it gave none. */
static void event_timestamp(struct mv_qmp *mon, json_object *msg)
{
    json_object *ts, *sec, *usec;
    struct timespec now;

    if (json_object_object_get_ex(msg, "timestamp", &ts) &&
        json_object_object_get_ex(ts, "seconds", &sec) &&
        json_object_object_get_ex(ts, "microseconds", &usec)) {
        mon->ev_seconds = json_object_get_int64(sec);
        mon->ev_micros = (unsigned int)json_object_get_int64(usec);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    mon->ev_seconds = now.tv_sec;
    mon->ev_micros = (unsigned int)(now.tv_nsec / 1000);
}

void mv_qmp_event_time(const struct mv_qmp *mon, long long *seconds, unsigned int *micros)
{
    *seconds = mon->ev_seconds;
    *micros = mon->ev_micros;
}

static void mon_on_event(struct mv_qmp *mon, json_object *msg, json_object *name)
{
    json_object *data = NULL;

    /* nothing reaches the owner before mv_qmp_open has returned MON to it */
    if (mon->state != QMP_RUNNING || !mon->cb.event)
        return;
    json_object_object_get_ex(msg, "data", &data);
    event_timestamp(mon, msg);
    mon->in_callback = true;
    mon->cb.event(mon, json_object_get_string(name), data, mon->opaque);
    mon->in_callback = false;
}

/* Takes the result out of a reply: the "return" value is detached from MSG so
 * that the waiter's thread alone holds references to it (json-c refcounts are
 * not atomic). */
static int reply_take(json_object *msg, json_object **ret, char **errmsg)
{
    json_object *val, *err, *desc;
    const char *d = "QEMU reported an error without a description";

    if (json_object_object_get_ex(msg, "return", &val)) {
        *ret = json_object_get(val);
        json_object_object_del(msg, "return");
        return 0;
    }
    if (!json_object_object_get_ex(msg, "error", &err))
        return -EPROTO;
    if (json_object_object_get_ex(err, "desc", &desc) && json_object_is_type(desc, json_type_string))
        d = json_object_get_string(desc);
    *errmsg = strdup(d);
    return *errmsg ? -EREMOTEIO : -ENOMEM;
}

static void mon_on_caps_reply(struct mv_qmp *mon, json_object *msg)
{
    struct mv_qmp_loop *loop = mon->loop;
    _cleanup_free_ char *err = NULL;
    json_object *ret = NULL;
    int r = reply_take(msg, &ret, &err);

    json_object_put(ret);
    if (r < 0) {
        mon_fail(mon, r, "qmp_capabilities failed: %s", err ? err : strerror(-r));
        return;
    }
    /* stop reading until the opener has MON: an event or EOF now would reach
     * callbacks for a monitor their owner does not know yet */
    mon->state = QMP_HELD;
    sd_event_source_set_enabled(mon->io, SD_EVENT_OFF);
    pthread_mutex_lock(&loop->lock);
    open_finish_locked(mon, 0, NULL);
    pthread_mutex_unlock(&loop->lock);
}

/* The whole reply MSG to the raw command ID as text, its id shown as
 * libvirt shows its own ("libvirt-ID").  NULL without memory. */
static char *raw_reply_text(json_object *msg, uint64_t id)
{
    _cleanup_free_ char *idstr = NULL;
    json_object *idval;
    const char *s;

    if (asprintf(&idstr, "libvirt-%" PRIu64, id) < 0 || !(idval = json_object_new_string(idstr)))
        return NULL;
    if (json_object_object_add(msg, "id", idval) < 0) {
        json_object_put(idval);
        return NULL;
    }
    s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    return s ? strdup(s) : NULL;
}

static void mon_on_reply_in_order(struct mv_qmp *mon, json_object *msg)
{
    struct mv_qmp_loop *loop = mon->loop;
    json_object *ret = NULL;
    char *err = NULL;
    struct qmp_cmd *c;
    int r = reply_take(msg, &ret, &err);

    pthread_mutex_lock(&loop->lock);
    c = mon->pending && mon->pending->sent ? mon->pending : NULL;
    if (c)
        cmd_finish_locked(mon, c, r, TAKE_PTR(ret), TAKE_PTR(err));
    pthread_mutex_unlock(&loop->lock);
    if (!c)
        mv_debug("dropping an agent reply nobody waits for");
    json_object_put(ret);
    free(err);
}

static void mon_on_reply(struct mv_qmp *mon, json_object *msg, json_object *idobj)
{
    struct mv_qmp_loop *loop = mon->loop;
    json_object *ret = NULL;
    char *err = NULL;
    struct qmp_cmd *c;
    uint64_t id;
    int r;

    /* an agent that echoes no id answers in order: the oldest command sent;
     * one that does sends none only for what it could not parse (a torn
     * line, the 0xFF of MV_QMP_CMD_FLUSH), which answers none of ours */
    if (!idobj && (mon->flags & MV_QMP_OPEN_AGENT)) {
        if (mon->ids_echoed)
            mv_debug("dropping an agent reply without an id: %s", json_object_to_json_string(msg));
        else
            mon_on_reply_in_order(mon, msg);
        return;
    }
    if (!idobj || !json_object_is_type(idobj, json_type_int)) {
        mv_debug("dropping a QMP reply with a foreign id");
        return;
    }
    mon->ids_echoed = true;
    id = json_object_get_uint64(idobj);
    if (mon->state == QMP_CAPS) {
        if (id == mon->caps_id)
            mon_on_caps_reply(mon, msg);
        return;
    }
    pthread_mutex_lock(&loop->lock);
    for (c = mon->pending; c && !(c->sent && c->id == id); c = c->next)
        ;
    /* under the lock (the waiter may give up meanwhile); text and detaching are cheap */
    if (c && c->raw) {
        err = raw_reply_text(msg, id);
        r = err ? 0 : -ENOMEM;
        cmd_finish_locked(mon, c, r, NULL, TAKE_PTR(err));
    } else if (c) {
        r = reply_take(msg, &ret, &err);
        cmd_finish_locked(mon, c, r, TAKE_PTR(ret), TAKE_PTR(err));
    }
    pthread_mutex_unlock(&loop->lock);
    if (!c)
        mv_debug("dropping the late QMP reply %" PRIu64 ": its caller gave up", id);
    json_object_put(ret);
    free(err);
}

static void mon_send_caps(struct mv_qmp *mon)
{
    mon->caps_id = __atomic_add_fetch(&mon->loop->next_id, 1, __ATOMIC_RELAXED);
    if (asprintf(&mon->wbuf, "{\"execute\":\"qmp_capabilities\",\"id\":%" PRIu64 "}\n",
                 mon->caps_id) < 0) {
        mon->wbuf = NULL;
        mon_fail(mon, -ENOMEM, "out of memory");
        return;
    }
    mon->wlen = strlen(mon->wbuf);
    mon->woff = 0;
    mon->state = QMP_CAPS;
    mon_flush(mon);
}

static void mon_dispatch(struct mv_qmp *mon, json_object *msg)
{
    json_object *v;

    if (mon->state == QMP_GREETING) {
        if (!json_object_object_get_ex(msg, "QMP", NULL))
            mon_fail(mon, -EPROTO, "the first message is not a QMP greeting");
        else
            mon_send_caps(mon);
    } else if (json_object_object_get_ex(msg, "id", &v)) {
        mon_on_reply(mon, msg, v);
    } else if ((mon->flags & MV_QMP_OPEN_AGENT) &&
               (json_object_object_get_ex(msg, "return", NULL) || json_object_object_get_ex(msg, "error", NULL))) {
        mon_on_reply(mon, msg, NULL);
    } else if (json_object_object_get_ex(msg, "event", &v) && json_object_is_type(v, json_type_string)) {
        mon_on_event(mon, msg, v);
    } else {
        mv_debug("ignoring a QMP message that is neither a reply nor an event");
    }
}

static bool all_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static void mon_handle_line(struct mv_qmp *mon, const char *line, size_t len)
{
    json_object *msg;

    if (all_space(line, len))
        return;
    json_tokener_reset(mon->tok);
    msg = json_tokener_parse_ex(mon->tok, line, (int)len);
    if (!msg || json_tokener_get_error(mon->tok) != json_tokener_success ||
        !all_space(line + json_tokener_get_parse_end(mon->tok), len - json_tokener_get_parse_end(mon->tok)) ||
        !json_object_is_type(msg, json_type_object)) {
        json_object_put(msg);
        /* an agent restarted in the middle of a line leaves a torn one */
        if (mon->flags & MV_QMP_OPEN_AGENT) {
            mv_debug("dropping a line from the guest agent that is not a JSON object");
            return;
        }
        mon_fail(mon, -EPROTO, "QEMU sent malformed JSON");
        return;
    }
    mon_dispatch(mon, msg);
    json_object_put(msg);
}

/* guest-sync-delimited: the agent writes 0xFF (never part of UTF-8 JSON)
 * before its answer, so whatever came before the last one is a torn or
 * stale message and is dropped. */
static void agent_drop_before_sentinel(struct mv_qmp *mon)
{
    size_t i = mon->rlen;

    while (i > 0 && (unsigned char)mon->rbuf[i - 1] != 0xFF)
        i--;
    if (i == 0)
        return;
    memmove(mon->rbuf, mon->rbuf + i, mon->rlen - i);
    mon->rlen -= i;
    mon->rscan = 0;
}

/* Handles every complete line in rbuf; stops when MON fails, is closed by a
 * callback or is held for the opener. */
static void mon_process(struct mv_qmp *mon)
{
    size_t start = 0;

    if (!mon->rbuf)
        return;
    if (mon->flags & MV_QMP_OPEN_AGENT)
        agent_drop_before_sentinel(mon);
    while (mon->state != QMP_HELD && !mon->dead && !mon->closing) {
        char *nl = memchr(mon->rbuf + mon->rscan, '\n', mon->rlen - mon->rscan);
        size_t len, line = start;

        if (!nl) {
            mon->rscan = mon->rlen;
            break;
        }
        len = (size_t)(nl - mon->rbuf) - start;
        start = mon->rscan = (size_t)(nl - mon->rbuf) + 1;
        if (len > QMP_MAX_MESSAGE) {
            mon_fail(mon, -EMSGSIZE, "a QMP message exceeds %u bytes", QMP_MAX_MESSAGE);
            return;
        }
        mon_handle_line(mon, mon->rbuf + line, len);
    }
    if (mon->dead)
        return;                 /* the buffers are gone */
    memmove(mon->rbuf, mon->rbuf + start, mon->rlen - start);
    mon->rlen -= start;
    mon->rscan -= start;
    if (mon->rlen > QMP_MAX_MESSAGE) {
        mon_fail(mon, -EMSGSIZE, "a QMP message exceeds %u bytes", QMP_MAX_MESSAGE);
        return;
    }
    if (mon->rlen == 0 && mon->rcap > QMP_KEEP_BUFFER) {
        free(mon->rbuf);
        mon->rbuf = NULL;
        mon->rcap = 0;
    }
}

static int mon_grow(struct mv_qmp *mon)
{
    /* rlen <= QMP_MAX_MESSAGE here: mon_process fails beyond */
    size_t cap = mon->rcap * 2 < QMP_MAX_MESSAGE + QMP_READ_CHUNK ? mon->rcap * 2
                                                                   : QMP_MAX_MESSAGE + QMP_READ_CHUNK;
    char *p;

    if (cap < mon->rlen + QMP_READ_CHUNK)
        cap = mon->rlen + QMP_READ_CHUNK;
    p = realloc(mon->rbuf, cap);
    if (!p)
        return -ENOMEM;
    mon->rbuf = p;
    mon->rcap = cap;
    return 0;
}

static void mon_read(struct mv_qmp *mon)
{
    ssize_t n;

    if (mon->rcap - mon->rlen < QMP_READ_CHUNK && mon_grow(mon) < 0) {
        mon_fail(mon, -ENOMEM, "out of memory");
        return;
    }
    n = read(mon->fd, mon->rbuf + mon->rlen, QMP_READ_CHUNK);
    if (n == 0) {
        mon_fail(mon, -ECONNRESET, "QEMU closed the monitor");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            mon_fail(mon, -errno, "cannot read from the monitor: %s", strerror(errno));
        return;
    }
    mon->rlen += (size_t)n;
    mon_process(mon);
}

/* ---- outgoing commands ---- */

/* Takes the next unsent command's line.  Lines are taken one at a time so that
 * a command whose caller gave up before it was sent is never sent, and a QEMU
 * that stops reading holds at most one line here. */
static bool mon_next_line(struct mv_qmp *mon)
{
    struct qmp_cmd *c;

    free(mon->wbuf);
    mon->wbuf = NULL;
    mon->wlen = mon->woff = 0;
    if (mon->wfd >= 0)
        close(TAKE_FD(mon->wfd));
    if (mon->state != QMP_RUNNING)
        return false;
    pthread_mutex_lock(&mon->loop->lock);
    for (c = mon->pending; c && c->sent; c = c->next)
        ;
    if (c) {
        c->sent = true;
        mon->wbuf = TAKE_PTR(c->line);
        mon->wlen = c->len;
        if (c->has_fd) {
            mon->wfd = TAKE_FD(c->fd);
            c->has_fd = false;
        }
        if (c->no_reply)
            cmd_finish_locked(mon, c, 0, NULL, NULL);
    }
    pthread_mutex_unlock(&mon->loop->lock);
    return c != NULL;
}

/* Sends what is left of the line; QEMU takes an fd (getfd, add-fd) from
 * the message that carries the command's first byte. */
static ssize_t mon_send(struct mv_qmp *mon)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { mon->wbuf + mon->woff, mon->wlen - mon->woff };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cm;
    ssize_t n;

    if (mon->wfd < 0)
        return send(mon->fd, iov.iov_base, iov.iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    memset(&u, 0, sizeof(u));
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof(u.buf);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &mon->wfd, sizeof(int));
    n = sendmsg(mon->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
        close(TAKE_FD(mon->wfd));
    return n;
}

static void mon_flush(struct mv_qmp *mon)
{
    while (!mon->dead) {
        ssize_t n;

        if (mon->woff == mon->wlen && !mon_next_line(mon))
            break;
        n = mon_send(mon);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            mon_fail(mon, -errno, "cannot write to the monitor: %s", strerror(errno));
            return;
        }
        mon->woff += (size_t)n;
    }
    mon_update_events(mon);
}

/* ---- event loop handlers ---- */

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct mv_qmp *mon = opaque;

    if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
        mon_read(mon);
    if ((revents & EPOLLOUT) && !mon->dead && !mon->closing)
        mon_flush(mon);
    if (mon->closing)
        mon_destroy(mon);
    return 0;
}

static void mon_register(struct mv_qmp *mon)
{
    struct mv_qmp_loop *loop = mon->loop;
    int r;

    mon->next = loop->monitors;
    if (loop->monitors)
        loop->monitors->prev = mon;
    loop->monitors = mon;
    mon->linked = true;
    r = sd_event_add_io(loop->event, &mon->io, mon->fd, EPOLLIN, on_io, mon);
    if (r < 0) {
        mon_fail(mon, r, "cannot watch the QMP socket: %s", strerror(-r));
        return;
    }
    /* the guest agent sends no greeting: ready at once, held as after caps */
    if (mon->flags & MV_QMP_OPEN_AGENT) {
        mon->state = QMP_HELD;
        sd_event_source_set_enabled(mon->io, SD_EVENT_OFF);
        pthread_mutex_lock(&loop->lock);
        open_finish_locked(mon, 0, NULL);
        pthread_mutex_unlock(&loop->lock);
    }
}

static void mon_start(struct mv_qmp *mon)
{
    mon->state = QMP_RUNNING;
    sd_event_source_set_enabled(mon->io, SD_EVENT_ON);
    /* lines that arrived with the capabilities answer */
    mon_process(mon);
    mon_update_events(mon);
}

static void mon_do_requests(struct mv_qmp *mon, unsigned req)
{
    if (req & REQ_CLOSE) {
        mon_destroy(mon);
        return;
    }
    if (req & REQ_REGISTER)
        mon_register(mon);
    if ((req & REQ_START) && !mon->dead)
        mon_start(mon);
    if ((req & REQ_ABORT) && !mon->dead)
        mon_fail(mon, -ESHUTDOWN, "aborted by its owner");
    if ((req & REQ_FLUSH) && !mon->dead && !mon->closing)
        mon_flush(mon);
    if (mon->closing)
        mon_destroy(mon);
}

static void loop_destroy_all(struct mv_qmp_loop *loop)
{
    struct mv_qmp *mon;

    while (loop->monitors)
        mon_destroy(loop->monitors);
    /* opened but never registered */
    for (;;) {
        pthread_mutex_lock(&loop->lock);
        mon = loop->req_head;
        pthread_mutex_unlock(&loop->lock);
        if (!mon)
            break;
        mon_destroy(mon);
    }
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct mv_qmp_loop *loop = opaque;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        mv_debug("cannot read the QMP wake-up eventfd: %s", strerror(errno));
    for (;;) {
        struct mv_qmp *mon;
        unsigned req = 0;

        /* one monitor at a time: a callback may close any other one */
        pthread_mutex_lock(&loop->lock);
        if (loop->stopping) {
            pthread_mutex_unlock(&loop->lock);
            loop_destroy_all(loop);
            return sd_event_exit(loop->event, 0);
        }
        mon = loop->req_head;
        if (mon) {
            loop->req_head = mon->req_next;
            if (!loop->req_head)
                loop->req_tail = NULL;
            mon->req_next = NULL;
            mon->queued = false;
            req = mon->req;
            mon->req = 0;
        }
        pthread_mutex_unlock(&loop->lock);
        if (!mon)
            return 0;
        mon_do_requests(mon, req);
    }
}

static void *loop_thread(void *opaque)
{
    struct mv_qmp_loop *loop = opaque;
    int r = sd_event_loop(loop->event);

    if (r < 0)
        mv_debug("the QMP event loop failed: %s", strerror(-r));
    return NULL;
}

/* ---- the loop ---- */

static void loop_free(struct mv_qmp_loop *loop)
{
    if (!loop)
        return;
    sd_event_source_disable_unref(loop->wake_src);
    sd_event_unref(loop->event);
    if (loop->wake_fd >= 0)
        close(loop->wake_fd);
    pthread_cond_destroy(&loop->cond);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}
MV_DEFINE_CLEANUP(struct mv_qmp_loop, loop_free)

int mv_qmp_loop_start(struct mv_qmp_loop **ret)
{
    _cleanup_(loop_freep) struct mv_qmp_loop *loop = NULL;
    sigset_t all, old;
    int r;

    loop = calloc(1, sizeof(*loop));
    if (!loop)
        return -ENOMEM;
    loop->wake_fd = -1;
    r = mv_cond_init_monotonic(&loop->cond);
    if (r < 0) {
        free(TAKE_PTR(loop));
        return r;
    }
    pthread_mutex_init(&loop->lock, NULL);
    loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wake_fd < 0)
        return -errno;
    r = sd_event_new(&loop->event);
    if (r < 0)
        return r;
    r = sd_event_add_io(loop->event, &loop->wake_src, loop->wake_fd, EPOLLIN, on_wake, loop);
    if (r < 0)
        return r;
    /* the daemon's signals belong to its main loop, never to this thread */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    r = -pthread_create(&loop->thread, NULL, loop_thread, loop);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r < 0)
        return r;
    pthread_setname_np(loop->thread, "qmp");
    loop->thread_started = true;
    *ret = TAKE_PTR(loop);
    return 0;
}

void mv_qmp_loop_stop(struct mv_qmp_loop *loop)
{
    if (!loop)
        return;
    pthread_mutex_lock(&loop->lock);
    loop->stopping = true;
    pthread_mutex_unlock(&loop->lock);
    loop_wake(loop);
    pthread_join(loop->thread, NULL);
    /* the teardown woke every waiter; let them leave the lock */
    pthread_mutex_lock(&loop->lock);
    while (loop->nwaiters)
        pthread_cond_wait(&loop->cond, &loop->lock);
    pthread_mutex_unlock(&loop->lock);
    loop_free(loop);
}

/* ---- mv_qmp_open ---- */

/* 1 if the process behind PIDFD exited within MS, 0 if not (or no PIDFD). */
static int wait_for_exit(int pidfd, int ms)
{
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int n;

    if (pidfd < 0) {
        poll(NULL, 0, ms);
        return 0;
    }
    n = poll(&p, 1, ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (n > 0 && (p.revents & POLLNVAL))
        return -EBADF;
    return n > 0;
}

static int qmp_connect(const char *path, int pidfd, const struct deadline *dl, int *ret_fd,
                       char **errmsg)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(path);

    if (!mv_unix_path_fits(path))
        return fail_msg(errmsg, -ENAMETOOLONG, "QMP socket path too long: %s", path);
    memcpy(sa.sun_path, path, len + 1);
    for (;;) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int e, r;

        if (fd < 0)
            return fail_msg(errmsg, -errno, "cannot create a socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            *ret_fd = TAKE_FD(fd);
            return 0;
        }
        /* missing: QEMU has not created it yet; refused: not listening yet or stale */
        e = errno;
        if (e != ENOENT && e != ECONNREFUSED && e != EAGAIN)
            return fail_msg(errmsg, -e, "cannot connect to %s: %s", path, strerror(e));
        r = wait_for_exit(pidfd, deadline_left_ms(dl) < QMP_CONNECT_RETRY_MS ? deadline_left_ms(dl)
                                                                             : QMP_CONNECT_RETRY_MS);
        if (r > 0)
            return fail_msg(errmsg, -ESRCH, "QEMU exited before %s accepted a connection", path);
        if (r < 0)
            return fail_msg(errmsg, r, "cannot watch the QEMU process: %s", strerror(-r));
        if (deadline_left_ms(dl) == 0)
            return fail_msg(errmsg, -ETIMEDOUT, "cannot connect to %s: %s", path, strerror(e));
    }
}

static int mon_new(struct mv_qmp_loop *loop, int fd, const struct mv_qmp_callbacks *cb, void *opaque,
                   struct mv_qmp **ret)
{
    struct mv_qmp *mon = calloc(1, sizeof(*mon));

    if (!mon)
        return -ENOMEM;
    mon->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
    if (!mon->tok) {
        free(mon);
        return -ENOMEM;
    }
    mon->loop = loop;
    mon->fd = fd;
    mon->wfd = -1;
    if (cb)
        mon->cb = *cb;
    mon->opaque = opaque;
    *ret = mon;
    return 0;
}

/* Waits for the monitor thread to finish the handshake; 0 once MON is RUNNING. */
static int open_handshake(struct mv_qmp *mon, const struct deadline *dl, struct qmp_open_wait *w)
{
    struct mv_qmp_loop *loop = mon->loop;

    pthread_mutex_lock(&loop->lock);
    mon->opener = w;
    request_locked(mon, REQ_REGISTER);
    waiter_enter_locked(loop);
    pthread_mutex_unlock(&loop->lock);
    loop_wake(loop);

    pthread_mutex_lock(&loop->lock);
    while (!w->done && cond_wait_until(&loop->cond, &loop->lock, dl) == 0)
        ;
    waiter_leave_locked(loop);
    if (!w->done) {
        mon->opener = NULL;
        w->r = -ETIMEDOUT;
    } else if (w->r == 0) {
        request_locked(mon, REQ_START);
    }
    pthread_mutex_unlock(&loop->lock);
    if (w->r == 0)
        loop_wake(loop);
    return w->r;
}

int mv_qmp_open(struct mv_qmp_loop *loop, const char *path, int pidfd, int timeout_ms,
                const struct mv_qmp_callbacks *cb, void *opaque, struct mv_qmp **ret, char **errmsg)
{
    return mv_qmp_open_flags(loop, path, pidfd, timeout_ms, 0, cb, opaque, ret, errmsg);
}

int mv_qmp_open_flags(struct mv_qmp_loop *loop, const char *path, int pidfd, int timeout_ms, unsigned int flags,
                      const struct mv_qmp_callbacks *cb, void *opaque, struct mv_qmp **ret, char **errmsg)
{
    struct qmp_open_wait w = { 0 };
    _cleanup_free_ char *why = NULL;
    struct deadline dl;
    struct mv_qmp *mon;
    int fd = -1, r;

    if (!loop || !path || !ret)
        return fail_msg(errmsg, -EINVAL, "invalid arguments to mv_qmp_open");
    if (on_monitor_thread(loop))
        return fail_msg(errmsg, -EDEADLK, "mv_qmp_open called from a QMP callback");
    deadline_init(&dl, timeout_ms);
    r = qmp_connect(path, pidfd, &dl, &fd, errmsg);
    if (r < 0)
        return r;
    r = mon_new(loop, fd, cb, opaque, &mon);
    if (r < 0) {
        close(fd);
        return fail_msg(errmsg, r, "cannot set up the QMP monitor: %s", strerror(-r));
    }
    mon->flags = flags;
    r = open_handshake(mon, &dl, &w);
    if (r == 0) {
        *ret = mon;
        return 0;
    }
    why = w.msg;
    if (!w.gone)
        mv_qmp_close(mon);
    if (r == -ETIMEDOUT)
        return fail_msg(errmsg, r, "QEMU did not complete the QMP handshake on %s within %d ms",
                        path, timeout_ms);
    if ((r == -ECONNRESET || r == -EPIPE) && pidfd >= 0 &&
        wait_for_exit(pidfd, deadline_left_ms(&dl) < QMP_EXIT_GRACE_MS ? deadline_left_ms(&dl)
                                                                        : QMP_EXIT_GRACE_MS) > 0)
        return fail_msg(errmsg, -ESRCH, "QEMU exited during the QMP handshake on %s", path);
    return fail_msg(errmsg, r, "QMP handshake on %s failed: %s", path, why ? why : strerror(-r));
}

/* ---- mv_qmp_command ---- */

/* Serializes {"execute": CMD, "arguments": ARGS, "id": ID} into CMD's line; takes ARGS. */
static int cmd_format(struct qmp_cmd *c, const char *cmd, json_object *args, bool flush)
{
    json_object *req = json_object_new_object();
    json_object *name = json_object_new_string(cmd);
    json_object *id = json_object_new_uint64(c->id);
    const char *s;
    bool ok = true;
    int r = -ENOMEM;

    if (!req || !name || !id) {
        json_object_put(args);
        json_object_put(name);
        json_object_put(id);
        json_object_put(req);
        return -ENOMEM;
    }
    /* a failed add (out of memory) leaves the value with the caller */
    if (json_object_object_add(req, "execute", name) < 0)
        json_object_put(name), ok = false;
    if (args && json_object_object_add(req, "arguments", args) < 0)
        json_object_put(args), ok = false;
    if (json_object_object_add(req, "id", id) < 0)
        json_object_put(id), ok = false;
    if (!ok) {
        json_object_put(req);
        return -ENOMEM;
    }
    s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    /* 0xFF first: the agent drops whatever it had half-read */
    if (s && asprintf(&c->line, "%s%s\n", flush ? "\xff" : "", s) >= 0) {
        c->len = strlen(c->line);
        r = 0;
    } else {
        c->line = NULL;
    }
    json_object_put(req);
    return r;
}

/* Hands C (formatted) to MON's thread and waits up to DL for its answer;
 * C's result is in c->r, c->reply, c->errmsg.  Frees c->line. */
static void command_run(struct mv_qmp *mon, struct qmp_cmd *c, const struct deadline *dl)
{
    struct mv_qmp_loop *loop = mon->loop;
    bool queued = false;
    int r = mv_cond_init_monotonic(&c->cond);

    if (r < 0) {
        free(c->line);
        c->r = r;
        return;
    }
    pthread_mutex_lock(&loop->lock);
    if (mon->dead) {
        c->r = -ECONNRESET;
        c->done = true;
    } else {
        pending_append_locked(mon, c);
        request_locked(mon, REQ_FLUSH);
        queued = true;
    }
    waiter_enter_locked(loop);
    pthread_mutex_unlock(&loop->lock);
    if (queued)
        loop_wake(loop);

    pthread_mutex_lock(&loop->lock);
    while (!c->done && cond_wait_until(&c->cond, &loop->lock, dl) == 0)
        ;
    /* not done means MON is still alive: its teardown finishes every command */
    if (!c->done) {
        pending_unlink_locked(mon, c);
        c->r = -ETIMEDOUT;
    }
    waiter_leave_locked(loop);
    pthread_mutex_unlock(&loop->lock);

    pthread_cond_destroy(&c->cond);
    free(c->line);
    c->line = NULL;
}

static int command_full(struct mv_qmp *mon, const char *cmd, json_object *args, int fd, int timeout_ms,
                        unsigned int flags, json_object **reply, char **errmsg);

int mv_qmp_command(struct mv_qmp *mon, const char *cmd, json_object *args, int timeout_ms,
                   json_object **reply, char **errmsg)
{
    return command_full(mon, cmd, args, -1, timeout_ms, 0, reply, errmsg);
}

int mv_qmp_command_fd(struct mv_qmp *mon, const char *cmd, json_object *args, int fd, int timeout_ms,
                      json_object **reply, char **errmsg)
{
    return command_full(mon, cmd, args, fd, timeout_ms, 0, reply, errmsg);
}

int mv_qmp_command_flags(struct mv_qmp *mon, const char *cmd, json_object *args, int timeout_ms,
                         unsigned int flags, json_object **reply, char **errmsg)
{
    return command_full(mon, cmd, args, -1, timeout_ms, flags, reply, errmsg);
}

/* CMD with ARGS (taken), FD (>= 0: sent along) and FLAGS (MV_QMP_CMD_*). */
static int command_full(struct mv_qmp *mon, const char *cmd, json_object *args, int fd, int timeout_ms,
                        unsigned int flags, json_object **reply, char **errmsg)
{
    struct qmp_cmd c = { 0 };
    struct deadline dl;
    int r;

    if (!mon || !cmd || (args && !json_object_is_type(args, json_type_object))) {
        json_object_put(args);
        return -EINVAL;
    }
    if (on_monitor_thread(mon->loop)) {
        json_object_put(args);
        return -EDEADLK;
    }
    deadline_init(&dl, timeout_ms);
    c.id = __atomic_add_fetch(&mon->loop->next_id, 1, __ATOMIC_RELAXED);
    c.no_reply = flags & MV_QMP_CMD_NO_REPLY;
    r = cmd_format(&c, cmd, args, flags & MV_QMP_CMD_FLUSH);
    if (r < 0)
        return r;
    /* our own copy: the monitor thread may send it after we gave up */
    if (fd >= 0) {
        if ((c.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
            free(c.line);
            return -errno;
        }
        c.has_fd = true;
    }
    command_run(mon, &c, &dl);
    if (c.has_fd)               /* never sent */
        close(c.fd);
    if (c.r == 0 && reply)
        *reply = TAKE_PTR(c.reply);
    if (c.r == -EREMOTEIO && errmsg)
        *errmsg = TAKE_PTR(c.errmsg);
    json_object_put(c.reply);
    free(c.errmsg);
    return c.r;
}

/* CMD's line with our id in place of any the caller gave. */
static int raw_format(struct qmp_cmd *c, json_object *cmd)
{
    json_object *id = json_object_new_uint64(c->id);
    const char *s;

    if (!id || json_object_object_add(cmd, "id", id) < 0) {
        json_object_put(id);
        return -ENOMEM;
    }
    s = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s || asprintf(&c->line, "%s\n", s) < 0) {
        c->line = NULL;
        return -ENOMEM;
    }
    c->len = strlen(c->line);
    return 0;
}

int mv_qmp_command_raw(struct mv_qmp *mon, json_object *cmd, int timeout_ms, char **reply)
{
    struct qmp_cmd c = { .raw = true };
    struct deadline dl;
    int r;

    if (!mon || !cmd || !json_object_is_type(cmd, json_type_object))
        return -EINVAL;
    if (on_monitor_thread(mon->loop))
        return -EDEADLK;
    deadline_init(&dl, timeout_ms);
    c.id = __atomic_add_fetch(&mon->loop->next_id, 1, __ATOMIC_RELAXED);
    r = raw_format(&c, cmd);
    if (r < 0)
        return r;
    command_run(mon, &c, &dl);
    json_object_put(c.reply);
    if (c.r == 0)
        *reply = TAKE_PTR(c.errmsg);
    free(c.errmsg);
    return c.r;
}

/* ---- mv_qmp_commands ---- */

/* C[0..N) with their conditions and lines; takes every ARGS of CMDS.  0, or
 * -errno with nothing left to free. */
static int batch_prepare(struct mv_qmp_loop *loop, struct qmp_cmd *c, struct mv_qmp_batch *cmds, size_t n)
{
    size_t ncond = 0;
    int r = 0;

    for (; ncond < n && r == 0; ncond++)
        r = mv_cond_init_monotonic(&c[ncond].cond);
    if (r < 0)
        ncond--;
    for (size_t i = 0; i < n; i++) {
        struct json_object *args = TAKE_PTR(cmds[i].args);

        c[i].id = __atomic_add_fetch(&loop->next_id, 1, __ATOMIC_RELAXED);
        if (r == 0 && (!cmds[i].cmd || (args && !json_object_is_type(args, json_type_object))))
            r = -EINVAL;
        if (r == 0)
            r = cmd_format(&c[i], cmds[i].cmd, TAKE_PTR(args), false);
        json_object_put(args);
    }
    if (r < 0)
        for (size_t i = 0; i < n; i++) {
            free(c[i].line);
            if (i < ncond)
                pthread_cond_destroy(&c[i].cond);
        }
    return r;
}

int mv_qmp_commands(struct mv_qmp *mon, struct mv_qmp_batch *cmds, size_t n, int timeout_ms)
{
    _cleanup_free_ struct qmp_cmd *c = NULL;
    struct mv_qmp_loop *loop;
    struct deadline dl;
    bool queued = false;
    int r;

    r = !mon || !cmds || n == 0 || on_monitor_thread(mon->loop) ? -EINVAL
        : !(c = calloc(n, sizeof(*c))) ? -ENOMEM : 0;
    if (r < 0) {
        for (size_t i = 0; cmds && i < n; i++)
            cmds[i].args = (json_object_put(cmds[i].args), NULL);
        return r;
    }
    loop = mon->loop;
    if ((r = batch_prepare(loop, c, cmds, n)) < 0)
        return r;
    deadline_init(&dl, timeout_ms);

    pthread_mutex_lock(&loop->lock);
    for (size_t i = 0; i < n; i++) {
        if (mon->dead) {
            c[i].r = -ECONNRESET;
            c[i].done = true;
        } else {
            pending_append_locked(mon, &c[i]);
            queued = true;
        }
    }
    if (queued)
        request_locked(mon, REQ_FLUSH);
    waiter_enter_locked(loop);
    pthread_mutex_unlock(&loop->lock);
    if (queued)
        loop_wake(loop);

    /* answers come in order: the last one done means all are (a closing
     * monitor finishes every pending command, the last one included) */
    pthread_mutex_lock(&loop->lock);
    while (!c[n - 1].done && cond_wait_until(&c[n - 1].cond, &loop->lock, &dl) == 0)
        ;
    for (size_t i = 0; i < n; i++)
        if (!c[i].done) {
            pending_unlink_locked(mon, &c[i]);
            c[i].r = -ETIMEDOUT;
        }
    waiter_leave_locked(loop);
    pthread_mutex_unlock(&loop->lock);

    for (size_t i = 0; i < n; i++) {
        cmds[i].r = c[i].r;
        cmds[i].reply = c[i].r == 0 ? TAKE_PTR(c[i].reply) : NULL;
        cmds[i].errmsg = c[i].r == -EREMOTEIO ? TAKE_PTR(c[i].errmsg) : NULL;
        json_object_put(c[i].reply);
        free(c[i].errmsg);
        free(c[i].line);
        pthread_cond_destroy(&c[i].cond);
    }
    return 0;
}

/* ---- mv_qmp_abort, mv_qmp_close ---- */

void mv_qmp_abort(struct mv_qmp *mon)
{
    struct mv_qmp_loop *loop;

    if (!mon)
        return;
    loop = mon->loop;
    pthread_mutex_lock(&loop->lock);
    if (!mon->dead)
        request_locked(mon, REQ_ABORT);
    pthread_mutex_unlock(&loop->lock);
    loop_wake(loop);
}

void mv_qmp_close(struct mv_qmp *mon)
{
    struct qmp_close_wait w = { 0 };
    struct mv_qmp_loop *loop;

    if (!mon)
        return;
    loop = mon->loop;
    if (on_monitor_thread(loop)) {
        /* from a callback: MON's own handler is still on the stack */
        if (mon->in_callback)
            mon->closing = true;
        else
            mon_destroy(mon);
        return;
    }
    pthread_mutex_lock(&loop->lock);
    mon->closer = &w;
    request_locked(mon, REQ_CLOSE);
    waiter_enter_locked(loop);
    pthread_mutex_unlock(&loop->lock);
    loop_wake(loop);
    pthread_mutex_lock(&loop->lock);
    while (!w.done)
        pthread_cond_wait(&loop->cond, &loop->lock);
    waiter_leave_locked(loop);
    pthread_mutex_unlock(&loop->lock);
}
