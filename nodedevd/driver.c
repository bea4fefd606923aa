/*
 * The driver's life: settings, the sysfs tree nodedevd reads (the host's,
 * or a fake one mounted over /sys in a private mount namespace), pci.ids,
 * the device tree and its events, the uevent monitor, the first scan and
 * the defined mdevs.
 *
 * The first scan runs in start, after the sockets exist and before the
 * loop does: a client that connects meanwhile waits in the listen backlog
 * for as long as the scan takes and no longer (libvirt's udev thread makes
 * it wait until the whole enumeration is done, and then some).
 */
#define MV_LOG_MODULE "nodedevd"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "errmsg.h"
#include "events.h"
#include "log.h"
#include "mdev.h"
#include "nodedevd.h"
#include "pci_ids.h"
#include "rpc/events.h"
#include "scan.h"
#include "uevent.h"

#define SYSFS "/sys"
#define PCI_IDS_DEFAULT "/usr/share/misc/pci.ids"
/* seconds: the kernel showing a bind, unbind or new mdev in sysfs */
#define PROBE_TIMEOUT_S 10

struct nodedevd_driver nodedevd;
/* owned here; nodedevd.read_ctx lends it to the readers */
static struct nodedev_pci_ids *pci_ids;

/* ---- errors every procedure file uses ---- */

struct nodedev_device *nodedevd_get_device(struct mv_call *call, const char *name)
{
    struct nodedev_device *dev = nodedev_tree_find(nodedevd.tree, name);
    _cleanup_free_ char *q = NULL;

    if (dev)
        return dev;
    /* a client's name may be huge or hold control characters: quoted and cut */
    q = mv_errmsg_quote(name, strlen(name), MV_ERRMSG_QUOTE_MAX);
    mv_call_error(call, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                  "Node device not found: no node device with matching name '%s'", q ? q : "");
    return NULL;
}

int nodedevd_bad_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                  "invalid argument: unsupported flags (0x%x) in function %s", flags, api);
    return -EINVAL;
}

/* ---- settings ---- */

/* An absolute path setting KEY, DEF (may be NULL) when absent. */
static int read_path(const mv_conf *conf, const char *key, const char *def, char **out, char **errmsg)
{
    int r;

    if ((r = mv_conf_get_string(conf, key, out, errmsg)) < 0)
        return r;
    if (!*out)
        return !def || (*out = strdup(def)) ? 0 : -ENOMEM;
    if ((*out)[0] != '/')
        return mv_errmsg_set(errmsg, -EINVAL, "%s = '%s': the path must be absolute", key, *out);
    return 0;
}

/* "/sys/" and "/sys//" are /sys: no namespace for them */
static void strip_trailing_slashes(char *path)
{
    size_t n = strlen(path);

    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
}

static int read_settings(const mv_conf *conf, char **errmsg)
{
    long long s = PROBE_TIMEOUT_S;
    int r;

    if ((r = read_path(conf, "sysfs_root", SYSFS, &nodedevd.sysfs_root, errmsg)) < 0 ||
        (r = read_path(conf, "pci_ids", PCI_IDS_DEFAULT, &nodedevd.pci_ids_path, errmsg)) < 0 ||
        (r = read_path(conf, "usb_ids", NULL, &nodedevd.usb_ids_path, errmsg)) < 0 ||
        (r = mv_conf_get_int(conf, "probe_timeout", 1, 3600, &s, errmsg)) < 0)
        return r;
    strip_trailing_slashes(nodedevd.sysfs_root);
    nodedevd.probe_timeout_ms = (unsigned int)s * 1000u;
    return 0;
}

/* ---- a fake sysfs tree ---- */

/*
 * Mounts sysfs_root on /sys in a mount namespace of our own, so sd-device,
 * the readers and detach's writes all work unchanged on a fixture and the
 * host's /sys stays as it is.  unshare(CLONE_NEWNS) needs a process with
 * one thread: init runs before the server starts any.  Propagation is made
 * private first, or the bind mount would show up in the host's namespace.
 */
static int mount_sysfs_root(char **errmsg)
{
    const char *root = nodedevd.sysfs_root;
    struct stat st;

    if (strcmp(root, SYSFS) == 0)
        return 0;
    if (stat(root, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "sysfs_root = '%s': %s", root, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mv_errmsg_set(errmsg, -ENOTDIR, "sysfs_root = '%s': not a directory", root);
    if (unshare(CLONE_NEWNS) < 0)
        return mv_errmsg_set(errmsg, -errno, "sysfs_root = '%s': cannot make a mount namespace of our own: %s",
                             root, strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return mv_errmsg_set(errmsg, -errno, "sysfs_root = '%s': cannot make our mounts private: %s", root,
                             strerror(errno));
    if (mount(root, SYSFS, NULL, MS_BIND | MS_REC, NULL) < 0)
        return mv_errmsg_set(errmsg, -errno, "sysfs_root = '%s': cannot bind-mount it on " SYSFS ": %s", root,
                             strerror(errno));
    /* sd-device refuses a /sys that is not a sysfs mount (statfs) unless
     * told not to check: a fixture is a plain directory */
    if (setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1) < 0)
        return mv_errmsg_set(errmsg, -errno, "sysfs_root = '%s': %s", root, strerror(errno));
    mv_info("reading devices from %s (mounted on " SYSFS " in nodedevd's mount namespace)", root);
    return 0;
}

/* pci.ids only names vendors and products: without it devices are still
 * listed, with their ids alone, as libvirt does. */
static int load_pci_ids(void)
{
    int r = nodedev_pci_ids_load(nodedevd.pci_ids_path, &pci_ids);

    if (r == -ENOMEM)
        return r;
    if (r < 0)
        mv_warn("cannot read PCI names from '%s' (%s): devices show their ids only", nodedevd.pci_ids_path,
                strerror(-r));
    nodedevd.read_ctx.pci_ids = r < 0 ? NULL : pci_ids;
    return 0;
}

int nodedevd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    int r;

    nodedevd.paths = ctx->paths;
    nodedevd.event = ctx->event;
    if ((r = read_settings(conf, errmsg)) < 0 || (r = mount_sysfs_root(errmsg)) < 0)
        return r;
    if ((r = load_pci_ids()) < 0 || (r = nodedev_tree_new(&nodedevd.tree)) < 0 ||
        (r = nodedevd_events_init()) < 0)
        return mv_errmsg_set(errmsg, r, "cannot set up the node device driver: %s", strerror(-r));
    return 0;
}

/* ---- start ---- */

int nodedevd_driver_start(struct mv_daemon_ctx *ctx)
{
    int r;

    /* listening first: a device added during the scan is then read again
     * from its uevent, never missed.  The scan runs on the loop's thread,
     * where every uevent's re-read runs too: they never overlap (scan.h) */
    r = nodedev_monitor_start(nodedevd.event, nodedevd.tree, &nodedevd.read_ctx, &nodedevd.monitor);
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot listen for device uevents: %s", strerror(-r));
    r = nodedev_scan(nodedevd.tree, &nodedevd.read_ctx, nodedevd_device_changed, NULL);
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot read the devices in " SYSFS ": %s", strerror(-r));
    mv_info("%zu node devices", nodedev_tree_count(nodedevd.tree));
    if ((r = nodedevd_mdev_load(ctx)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot load the defined mediated devices: %s", strerror(-r));
    return 0;
}

void nodedevd_client_close(struct mv_client *client)
{
    if (nodedevd.events)
        mv_events_client_close(nodedevd.events, client);
}

/* The mount namespace ends with the process: nothing to unmount. */
void nodedevd_driver_cleanup(void)
{
    nodedev_monitor_free(nodedevd.monitor);
    nodedevd_mdev_cleanup();
    nodedevd_events_cleanup();
    nodedev_tree_free(nodedevd.tree);
    nodedev_pci_ids_free(pci_ids);
    pci_ids = NULL;
    free(nodedevd.sysfs_root);
    free(nodedevd.pci_ids_path);
    free(nodedevd.usb_ids_path);
    memset(&nodedevd, 0, sizeof(nodedevd));
}
