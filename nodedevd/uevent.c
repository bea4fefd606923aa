/*
 * Keeping the tree current: see uevent.h.
 *
 * Without udevd (these hosts) we read the kernel's own messages from a
 * NETLINK_KOBJECT_UEVENT socket bound to group 1.  Anyone with
 * CAP_NET_ADMIN in our network namespace may send to that group too, so a
 * message counts only if the kernel sent it (netlink port 0, credentials
 * of pid 0 and uid 0), and the parser (uevent_msg.c) checks every length
 * anyway.  With udevd, its monitor (group 2, after its rules ran) is read
 * through sd_device_monitor instead: what udev renames or tags is then
 * what we read.
 *
 * Either way a message only says which device to look at: we read that one
 * device again from sysfs (nodedev_scan_one) rather than trust the
 * message's fields, and a lost message (the socket's queue overflowed,
 * ENOBUFS) costs a full rescan, which sends the events we missed.
 */
#define MV_LOG_MODULE "nodedevd.uevent"
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "nodedevd.h"
#include "scan.h"
#include "uevent.h"
#include "uevent_msg.h"

/* Where udevd's control socket is when it runs (systemd's udevd.c). */
#define UDEV_CONTROL "/run/udev/control"
/* Events queue here while the loop is busy (the first scan, a client's
 * long call): a burst of hot-plug (a PCI bridge with many functions, a
 * thousand veths of a container host) must not overflow it.  The kernel
 * charges only what is queued. */
#define UEVENT_RCVBUF (64u << 20)
/* Messages read per wake-up, so other sources get their turn in a burst
 * (the io source is level-triggered: the loop comes back for the rest). */
#define UEVENT_BATCH 128

struct nodedev_monitor {
    sd_event_source *io;            /* kernel socket */
    int fd;                         /* kernel socket, -1 with udev */
    sd_device_monitor *udev;        /* udevd's monitor, NULL without udevd */
    struct nodedev_tree *tree;
    const struct nodedev_read_ctx *ctx;
    unsigned long foreign_seen;     /* messages not from the kernel, ignored */
    char buf[NODEDEV_UEVENT_MSG_MAX + 1];
};

/* ---- what an event does ---- */

/* The device at SYSPATH is gone: removed from the tree, its event sent
 * (nodedev_scan_remove: not read again). */
static void device_removed(struct nodedev_monitor *m, const char *syspath)
{
    nodedev_scan_remove(m->tree, syspath, nodedevd_device_changed, NULL);
}

static void device_reread(struct nodedev_monitor *m, const char *syspath, const char *action)
{
    int r = nodedev_scan_one(m->tree, m->ctx, syspath, nodedevd_device_changed, NULL);

    if (r == -ENODEV || r == -ENOENT)
        mv_debug("device %s vanished before its '%s' event was read", syspath, action);
    else if (r < 0)
        mv_warn("cannot read device %s again after its '%s' event: %s", syspath, action, strerror(-r));
}

/* Applies one event; the paths are sysfs paths ("/sys/devices/..."). */
static void apply(struct nodedev_monitor *m, enum nodedev_uevent_action action, const char *syspath,
                  const char *old_syspath)
{
    const char *name = nodedev_uevent_action_name(action);

    switch (action) {
    case NODEDEV_UEVENT_REMOVE:
        device_removed(m, syspath);
        break;
    case NODEDEV_UEVENT_MOVE:
        /* a rename: the old device goes, the new one is read (its name,
         * e.g. a net device's, changes with it) */
        if (old_syspath)
            device_removed(m, old_syspath);
        device_reread(m, syspath, name);
        break;
    default:
        device_reread(m, syspath, name);
        break;
    }
}

/* A full rescan after events were lost: removes what is gone, adds what
 * came, updates what changed, with their events. */
static void rescan(struct nodedev_monitor *m)
{
    int r = nodedev_scan(m->tree, m->ctx, nodedevd_device_changed, NULL);

    if (r < 0)
        mv_error("cannot rescan the devices after lost uevents: %s", strerror(-r));
    else
        mv_info("rescanned the devices after lost uevents: %zu devices", nodedev_tree_count(m->tree));
}

/* ---- the kernel's socket ---- */

/* Whether MSG came from the kernel itself: netlink port 0 and, from the
 * credentials the kernel attaches (SO_PASSCRED), pid 0 and uid 0.  A root
 * process's message has its own port id and pid. */
static bool from_kernel(const struct msghdr *msg, const struct sockaddr_nl *sender)
{
    const struct ucred *cred = NULL;

    if (msg->msg_namelen != sizeof(*sender) || sender->nl_family != AF_NETLINK || sender->nl_pid != 0)
        return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
            cred = (const struct ucred *)CMSG_DATA(c);
    return cred && cred->pid == 0 && cred->uid == 0;
}

/* Parses and applies the LEN-byte message in M->buf. */
static void kernel_message(struct nodedev_monitor *m, size_t len)
{
    struct nodedev_uevent ev;
    char syspath[sizeof("/sys") + NODEDEV_UEVENT_DEVPATH_MAX];
    char old[sizeof("/sys") + NODEDEV_UEVENT_DEVPATH_MAX];
    int r = nodedev_uevent_parse(m->buf, len, &ev);

    if (r == -EOPNOTSUPP) {
        /* a newer kernel's action: nothing we would do with it */
        mv_debug("ignoring a uevent with an action nodedevd does not know: %.32s", m->buf);
        return;
    }
    if (r < 0) {
        /* the kernel's messages always parse; log what did not */
        mv_warn("ignoring a malformed uevent (%zu bytes): %s", len, strerror(-r));
        return;
    }
    /* modules, slabs, firmware loading: not devices */
    if (strncmp(ev.devpath, "/devices/", strlen("/devices/")) != 0)
        return;
    mv_debug("uevent %s %s (%s, seqnum %llu)", nodedev_uevent_action_name(ev.action), ev.devpath,
             ev.subsystem ? ev.subsystem : "no subsystem", (unsigned long long)ev.seqnum);
    /* both fit: the parser bounds a devpath by NODEDEV_UEVENT_DEVPATH_MAX */
    snprintf(syspath, sizeof(syspath), "/sys%s", ev.devpath);
    if (ev.devpath_old)
        snprintf(old, sizeof(old), "/sys%s", ev.devpath_old);
    apply(m, ev.action, syspath, ev.devpath_old ? old : NULL);
}

/* Reads one message into M->buf: its length, 0 for one to skip, -EAGAIN
 * when there is none, -ENOBUFS when some were lost, -errno. */
static ssize_t kernel_receive(struct nodedev_monitor *m)
{
    struct sockaddr_nl sender = { 0 };
    char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = { .iov_base = m->buf, .iov_len = sizeof(m->buf) - 1 };
    struct msghdr msg = {
        .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control, .msg_controllen = sizeof(control),
    };
    ssize_t n = recvmsg(m->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

    if (n < 0)
        return -errno;
    if (!from_kernel(&msg, &sender)) {
        /* once at warning level: whoever sends them may send many */
        mv_log_write(m->foreign_seen++ ? MV_LOG_DEBUG : MV_LOG_WARN, MV_LOG_MODULE,
                     "ignoring a uevent message from netlink port %u: not from the kernel", sender.nl_pid);
        return 0;
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        mv_warn("ignoring a truncated uevent message (%zd bytes)", n);
        return 0;
    }
    m->buf[n] = '\0';               /* not needed by the parser: a guard */
    return n;
}

static int on_kernel_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct nodedev_monitor *m = userdata;
    bool lost = false;

    (void)s, (void)fd, (void)revents;
    for (int i = 0; i < UEVENT_BATCH; i++) {
        ssize_t n = kernel_receive(m);

        if (n == -EAGAIN || n == -EWOULDBLOCK)
            break;
        if (n == -ENOBUFS) {
            /* the queue overflowed: which events are lost is unknown */
            lost = true;
            continue;
        }
        if (n == -EINTR || n == 0)
            continue;
        if (n < 0) {
            mv_error("cannot read uevents: %s", strerror((int)-n));
            break;
        }
        kernel_message(m, (size_t)n);
    }
    if (lost) {
        mv_warn("uevents were lost (the socket's receive queue overflowed): rescanning");
        rescan(m);
    }
    return 0;
}

static int kernel_socket(void)
{
    struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };    /* the kernel's group */
    int size = UEVENT_RCVBUF, on = 1;
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);

    if (fd < 0)
        return -errno;
    /* FORCE passes net.core.rmem_max (we are root); else what it allows */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
        mv_debug("cannot enlarge the uevent socket's receive buffer: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return -errno;
    return TAKE_FD(fd);
}

static int kernel_start(struct nodedev_monitor *m, sd_event *event)
{
    int r;

    m->fd = kernel_socket();
    if (m->fd < 0)
        return mv_log_errno(MV_LOG_ERROR, m->fd, "cannot open the kernel's uevent socket: %s", strerror(-m->fd));
    r = sd_event_add_io(event, &m->io, m->fd, EPOLLIN, on_kernel_uevent, m);
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot watch the kernel's uevent socket: %s", strerror(-r));
    mv_info("reading the kernel's uevents (no udevd: %s is absent)", UDEV_CONTROL);
    return 0;
}

/* ---- udevd's monitor ---- */

static int action_from_sd(sd_device_action_t a)
{
    switch (a) {
    case SD_DEVICE_ADD: return NODEDEV_UEVENT_ADD;
    case SD_DEVICE_REMOVE: return NODEDEV_UEVENT_REMOVE;
    case SD_DEVICE_CHANGE: return NODEDEV_UEVENT_CHANGE;
    case SD_DEVICE_MOVE: return NODEDEV_UEVENT_MOVE;
    case SD_DEVICE_ONLINE: return NODEDEV_UEVENT_ONLINE;
    case SD_DEVICE_OFFLINE: return NODEDEV_UEVENT_OFFLINE;
    case SD_DEVICE_BIND: return NODEDEV_UEVENT_BIND;
    case SD_DEVICE_UNBIND: return NODEDEV_UEVENT_UNBIND;
    default: return -1;
    }
}

static int on_udev_event(sd_device_monitor *mon, sd_device *d, void *userdata)
{
    struct nodedev_monitor *m = userdata;
    const char *syspath, *devpath_old = NULL;
    char old[sizeof("/sys") + NODEDEV_UEVENT_DEVPATH_MAX];
    sd_device_action_t sa;
    int action;

    (void)mon;
    if (sd_device_get_syspath(d, &syspath) < 0 || sd_device_get_action(d, &sa) < 0 ||
        (action = action_from_sd(sa)) < 0)
        return 0;
    if (strncmp(syspath, "/sys/devices/", strlen("/sys/devices/")) != 0)
        return 0;
    mv_debug("udev event %s %s", nodedev_uevent_action_name(action), syspath);
    if (action == NODEDEV_UEVENT_MOVE && sd_device_get_property_value(d, "DEVPATH_OLD", &devpath_old) >= 0 &&
        nodedev_uevent_devpath_ok(devpath_old, strlen(devpath_old)))
        snprintf(old, sizeof(old), "/sys%s", devpath_old);
    else
        devpath_old = NULL;
    apply(m, (enum nodedev_uevent_action)action, syspath, devpath_old ? old : NULL);
    return 0;
}

static int udev_start(struct nodedev_monitor *m, sd_event *event)
{
    int r;

    r = sd_device_monitor_new(&m->udev);
    if (r >= 0)
        r = sd_device_monitor_set_receive_buffer_size(m->udev, UEVENT_RCVBUF);
    if (r >= 0)
        r = sd_device_monitor_attach_event(m->udev, event);
    if (r >= 0)
        r = sd_device_monitor_start(m->udev, on_udev_event, m);
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot listen to udevd's events: %s", strerror(-r));
    mv_info("reading udevd's events (%s exists)", UDEV_CONTROL);
    return 0;
}

/* ---- the monitor ---- */

/* Whether /sys is the kernel's sysfs (not a fixture bind-mounted on it). */
static bool sysfs_mounted(void)
{
    struct statfs st;

    return statfs("/sys", &st) < 0 || st.f_type == SYSFS_MAGIC;
}

int nodedev_monitor_start(sd_event *event, struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx,
                          struct nodedev_monitor **out)
{
    struct nodedev_monitor *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return -ENOMEM;
    m->fd = -1;
    m->tree = tree;
    m->ctx = ctx;
    if (!sysfs_mounted()) {
        /* a fixture (sysfs_root): the kernel's uevents are about the
         * host's devices, not the tree we read; a real "remove" at a path
         * the fixture also has would take its device away */
        mv_info("not listening for uevents: /sys is not a sysfs (a fixture mounted from sysfs_root)");
        *out = m;
        return 0;
    }
    r = access(UDEV_CONTROL, F_OK) == 0 ? udev_start(m, event) : kernel_start(m, event);
    if (r < 0) {
        nodedev_monitor_free(m);
        return r;
    }
    *out = m;
    return 0;
}

void nodedev_monitor_free(struct nodedev_monitor *m)
{
    if (!m)
        return;
    sd_event_source_disable_unref(m->io);
    if (m->fd >= 0)
        close(m->fd);
    sd_device_monitor_unref(m->udev);   /* stops and detaches it */
    free(m);
}
