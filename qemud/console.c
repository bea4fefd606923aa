/*
 * DOMAIN_OPEN_CONSOLE: a stream between the client and the pty QEMU gave
 * the guest's serial console.  Everything here runs on the RPC loop and
 * never waits: the pty is non-blocking, read only while the client keeps up
 * and written only as far as the guest takes it; the rest of a paste stays
 * in the stream (which stops reading that client) until the pty is
 * writable again.
 */
#define MV_LOG_MODULE "qemud.console"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_wire.h"
#include "log.h"
#include "qemud.h"
#include "stream.h"

/* virDomainConsoleFlags */
enum { CONSOLE_FORCE = 1, CONSOLE_SAFE = 2 };
#define CONSOLE_READ_MAX 65536

struct qemud_console {
    struct qemud_dom *dom;          /* referenced */
    struct mv_stream *st;
    int fd;                         /* our end of the guest's pty */
    sd_event_source *io;
    bool reading;                   /* the client keeps up: read the guest's output */
    bool write_wait;                /* the guest's input is full: wait until writable */
};

/* One IO source for both directions; off when neither is wanted, since a
 * hung-up pty would otherwise wake the loop for nothing. */
static void console_update_io(struct qemud_console *con)
{
    uint32_t ev = (con->reading ? EPOLLIN : 0) | (con->write_wait ? EPOLLOUT : 0);

    if (!con->io)
        return;
    if (ev)
        sd_event_source_set_io_events(con->io, ev);
    sd_event_source_set_enabled(con->io, ev ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void console_read(struct qemud_console *con)
{
    char buf[CONSOLE_READ_MAX];
    ssize_t n = read(con->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* EIO: QEMU closed the other side (the guest stopped) */
        con->reading = false;
        mv_stream_send_eof(con->st);
        return;
    }
    if (mv_stream_send(con->st, buf, (size_t)n) == -EAGAIN)
        con->reading = false;       /* until console_writable */
}

static int on_pty(sd_event_source *s, int fd, uint32_t revents, void *opaque)
{
    struct qemud_console *con = opaque;
    bool resume = con->write_wait && (revents & (EPOLLOUT | EPOLLHUP | EPOLLERR));

    if (con->reading && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        console_read(con);
    /* a hangup too: the next write then fails the stream with its reason */
    if (resume)
        con->write_wait = false;
    console_update_io(con);
    if (resume)
        mv_stream_resume(con->st);
    return 0;
}

/* Keystrokes and pastes: as much as the pty takes now; the stream keeps the
 * rest (and stops reading the client) until on_pty sees it writable. */
static ssize_t console_recv(struct mv_stream *st, const void *data, size_t len, void *opaque)
{
    struct qemud_console *con = opaque;
    ssize_t n = write(con->fd, data, len);

    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        mv_stream_fail(st, MV_ERR_RPC, MV_FROM_STREAMS, "cannot write to the console of domain '%s': %s",
                       con->dom->name, strerror(errno));
        return -EIO;
    }
    if (n < 0 || (size_t)n < len) {
        con->write_wait = true;
        console_update_io(con);
    }
    return n < 0 ? -EAGAIN : n;
}

static void console_finish(struct mv_stream *st, bool abort, void *opaque)
{
    struct qemud_console *con = opaque;

    con->reading = false;
    con->write_wait = false;
    console_update_io(con);
}

static void console_writable(struct mv_stream *st, void *opaque)
{
    struct qemud_console *con = opaque;

    con->reading = true;
    console_update_io(con);
}

static void console_release(void *opaque)
{
    struct qemud_console *con = opaque;

    sd_event_source_disable_unref(con->io);
    if (con->fd >= 0)
        close(con->fd);
    pthread_mutex_lock(&con->dom->lock);
    if (con->dom->console == con)
        con->dom->console = NULL;
    pthread_mutex_unlock(&con->dom->lock);
    mv_debug("console of domain '%s' closed", con->dom->name);
    qemud_dom_unref(con->dom);
    free(con);
}

static const struct mv_stream_ops console_ops = {
    .recv = console_recv,
    .finish = console_finish,
    .release = console_release,
    .writable = console_writable,
};

/* The device DEV_NAME names by its alias, as libvirt looks it up. */
static const struct mv_dom_chr *find_chr_alias(const struct mv_dom_devices *d, const char *dev_name)
{
    const struct { const struct mv_dom_chr *v; size_t n; } kinds[] = {
        { d->consoles, d->nconsoles }, { d->serials, d->nserials }, { d->channels, d->nchannels },
    };

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (size_t i = 0; i < kinds[k].n; i++)
            if (kinds[k].v[i].alias && strcmp(kinds[k].v[i].alias, dev_name) == 0)
                return &kinds[k].v[i];
    return NULL;
}

/* The pty behind DEV_NAME: an alias ("serial0", "ua-com1"), or "consoleN"
 * (a serial console's alias is "serial0"); NULL = the primary console. */
static const struct mv_dom_chr *find_chr(const struct mv_dom_def *live, const char *dev_name)
{
    const struct mv_dom_devices *d = &live->devices;
    const struct mv_dom_chr *chr;
    unsigned int idx;
    char extra;

    if (!dev_name)
        return d->nconsoles ? &d->consoles[0] : d->nserials ? &d->serials[0] : NULL;
    if ((chr = find_chr_alias(d, dev_name)))
        return chr;
    if (sscanf(dev_name, "serial%u%c", &idx, &extra) == 1 && idx < d->nserials)
        return &d->serials[idx];
    if (sscanf(dev_name, "console%u%c", &idx, &extra) == 1 && idx < d->nconsoles)
        return &d->consoles[idx];
    return NULL;
}

static int open_pty(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    /* raw: no echo or line editing on our side of the guest's terminal */
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

/* With DOM locked: the pty path to open, or the call's error. */
static char *console_path(struct mv_call *call, struct qemud_dom *dom, const char *dev_name)
{
    const struct mv_dom_chr *chr;

    if (!qemud_dom_is_active(dom)) {
        qemud_error_not_running(call, dom);
        return NULL;
    }
    chr = find_chr(dom->live, dev_name);
    if (!chr) {
        mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                      "internal error: cannot find character device %s of domain '%s'",
                      dev_name ? dev_name : "<null>", dom->name);
        return NULL;
    }
    if (chr->type != MV_DOM_CHR_PTY || !chr->path) {
        mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                      "Operation not supported: character device %s of domain '%s' is not using a PTY",
                      dev_name ? dev_name : "console", dom->name);
        return NULL;
    }
    return strdup(chr->path);
}

/* With DOM locked: refuses a second session, or ends it with FORCE. */
static int take_console(struct mv_call *call, struct qemud_dom *dom, unsigned int flags)
{
    struct qemud_console *old = dom->console;

    if (!old)
        return 0;
    if (!(flags & CONSOLE_FORCE))
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: Active console session exists for domain '%s'", dom->name);
    dom->console = NULL;
    pthread_mutex_unlock(&dom->lock);
    mv_stream_fail(old->st, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                   "operation failed: console of domain '%s' taken over by another session", dom->name);
    pthread_mutex_lock(&dom->lock);
    return 0;
}

static int open_console(struct mv_call *call, mv_domain_open_console_args *args, void *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_free_ char *path = NULL;
    struct qemud_console *con;
    int fd, r;

    if (args->flags & ~(unsigned int)(CONSOLE_FORCE | CONSOLE_SAFE))
        return qemud_bad_flags(call, args->flags & ~(unsigned int)(CONSOLE_FORCE | CONSOLE_SAFE),
                               "virDomainOpenConsole");
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    pthread_mutex_lock(&dom->lock);
    path = console_path(call, dom, args->dev_name ? *args->dev_name : NULL);
    r = path ? take_console(call, dom, args->flags) : -EIO;
    pthread_mutex_unlock(&dom->lock);
    if (r < 0)
        return r;
    if ((fd = open_pty(path)) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot open the console '%s' of domain '%s': %s", path, dom->name, strerror(-fd));
    if (!(con = calloc(1, sizeof(*con)))) {
        close(fd);
        return -ENOMEM;
    }
    con->fd = fd;
    con->dom = qemud_dom_ref(dom);
    if (!(con->st = mv_call_open_stream(call, &console_ops, con)))
        return -ENOMEM;     /* released already */
    if ((r = sd_event_add_io(qemud.event, &con->io, fd, EPOLLIN, on_pty, con)) < 0)
        return r;           /* the failed call releases the stream */
    con->reading = true;
    pthread_mutex_lock(&dom->lock);
    dom->console = con;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

static const struct mv_dispatch_entry console_procs[] = {
    MV_HANDLER(DOMAIN_OPEN_CONSOLE, open_console),
};
const struct mv_dispatch_table qemud_console_table = { console_procs, MV_ARRAY_SIZE(console_procs) };
