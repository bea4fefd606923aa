/*
 * A PCI function to vfio-pci and back (pci_detach.h), as the kernel wants
 * it since 3.16: driver_override names the driver, an unbind frees the
 * function, drivers_probe binds it.  Probing may be asynchronous, so every
 * step that changes the driver link is waited for (probe_timeout); a
 * detach that does not end on vfio-pci gives the function back.
 *
 * What the function was bound to is recorded before the first write,
 * <statedir>/nodedevd/detached/DDDD:BB:SS.F holding the driver's name (an
 * empty line: none), so that a reattach, also after a restart, restores it.
 * One detach, reattach or reset at a time (detach_lock): they are rare and
 * two of them on one function would interleave their writes.
 */
#define MV_LOG_MODULE "nodedevd.detach"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "monotime.h"
#include "nodedevd.h"
#include "pci_detach.h"
#include "pci_host_use.h"
#include "sysfs.h"

#define VFIO_DRIVER "vfio-pci"
/* real sysfs sends no inotify events for the driver link: looked at this often */
#define DRIVER_RECHECK_MS 10
#define DEFAULT_PROBE_TIMEOUT_MS 5000

static pthread_mutex_t detach_lock = PTHREAD_MUTEX_INITIALIZER;

/* The function being worked on: its sysfs directory and its name there. */
struct pci_fn {
    const char *name;           /* the node device's: pci_0000_03_00_0 */
    const char *syspath;
    char addr[NAME_MAX + 1];    /* 0000:03:00.0 */
};

static unsigned int probe_timeout_ms(void)
{
    return nodedevd.probe_timeout_ms ? nodedevd.probe_timeout_ms : DEFAULT_PROBE_TIMEOUT_MS;
}

static int fn_init(const struct nodedev_device *dev, struct pci_fn *f, struct mv_err *err)
{
    const char *base;

    bool pci = dev->is_pci || (dev->subsystem && strcmp(dev->subsystem, "pci") == 0);

    if (!pci || !dev->syspath)
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV, "invalid argument: device %s is not a PCI device",
                          dev->name);
    base = strrchr(dev->syspath, '/');
    base = base ? base + 1 : dev->syspath;
    f->name = dev->name;
    f->syspath = dev->syspath;
    snprintf(f->addr, sizeof(f->addr), "%s", base);
    if (access(f->syspath, F_OK) < 0)
        return mv_err_set(err, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                          "Node device not found: PCI device %s is gone (no %s)", f->addr, f->syspath);
    return 0;
}

/* The driver F is bound to now into DRV ("" for none). */
static int current_driver(const struct pci_fn *f, char *drv, size_t size)
{
    char path[PATH_MAX];
    int r;

    snprintf(path, sizeof(path), "%s/driver", f->syspath);
    if ((r = mv_sysfs_link_name(path, drv, size)) < 0)
        drv[0] = '\0';
    return r == -ENOENT ? 0 : r;
}

/* Writes VALUE to the sysfs attribute PATH (the kernel acts on the write). */
static int write_attr(const struct pci_fn *f, const char *path, const char *value, struct mv_err *err)
{
    int r = mv_sysfs_write(path, value);

    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot write '%.*s' to %s for PCI device %s", (int)strcspn(value, "\n"), value,
                                path, f->addr);
    mv_debug("PCI device %s: wrote '%.*s' to %s", f->addr, (int)strcspn(value, "\n"), value, path);
    return 0;
}

static int write_driver_file(const struct pci_fn *f, const char *driver, const char *file, struct mv_err *err)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver, file);
    return write_attr(f, path, f->addr, err);
}

static int write_fn_file(const struct pci_fn *f, const char *file, const char *value, struct mv_err *err)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", f->syspath, file);
    return write_attr(f, path, value, err);
}

static int probe(const struct pci_fn *f, struct mv_err *err)
{
    return write_attr(f, "/sys/bus/pci/drivers_probe", f->addr, err);
}

/* Waits up to MS for F's driver link to name WANT ("": unbound); GOT is
 * what it names at the end.  inotify wakes us at once on a tree whose
 * links are files (a fixture), the recheck on real sysfs. */
static bool wait_driver(const struct pci_fn *f, const char *want, unsigned int ms, char *got, size_t size)
{
    long long deadline = mv_now_ms() + ms;
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    bool ok;

    if (fd >= 0)
        inotify_add_watch(fd, f->syspath, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM);
    for (;;) {
        long long left = deadline - mv_now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char buf[4096];

        ok = current_driver(f, got, size) == 0 && strcmp(got, want) == 0;
        if (ok || left <= 0)
            break;
        if (poll(&p, fd >= 0 ? 1 : 0, left < DRIVER_RECHECK_MS ? (int)left : DRIVER_RECHECK_MS) > 0)
            while (read(fd, buf, sizeof(buf)) > 0)
                ;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

/* ---- the record of the driver a detached function had ---- */

static char *record_path(const struct pci_fn *f)
{
    char *path = NULL;
    const char *statedir = nodedevd.paths ? nodedevd.paths->statedir : NULL;

    if (!statedir || asprintf(&path, "%s/nodedevd/detached/%s", statedir, f->addr) < 0)
        return NULL;
    return path;
}

/* The recorded driver into DRV: 1 recorded, 0 no record. */
static int record_read(const struct pci_fn *f, char *drv, size_t size)
{
    _cleanup_free_ char *path = record_path(f), *line = NULL;

    drv[0] = '\0';
    if (!path || mv_file_read_line(path, &line) < 0)
        return 0;
    snprintf(drv, size, "%s", line);
    return 1;
}

static int record_write(const struct pci_fn *f, const char *drv, struct mv_err *err)
{
    _cleanup_free_ char *path = record_path(f), *text = NULL;
    char *slash;
    int r;

    if (!path || asprintf(&text, "%s\n", drv) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NODEDEV, "out of memory");
    slash = strrchr(path, '/');
    *slash = '\0';
    r = mv_mkdir_p(path, 0700);
    *slash = '/';
    if (r < 0 || (r = mv_file_write_atomic(path, text, strlen(text), 0600)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot record the driver of PCI device %s in %s", f->addr, path);
    return 0;
}

static void record_remove(const struct pci_fn *f)
{
    _cleanup_free_ char *path = record_path(f);
    int r = path ? mv_file_unlink_durable(path) : -ENOMEM;

    if (r < 0)
        mv_warn("PCI device %s: cannot remove the record %s: %s", f->addr, path ? path : "", strerror(-r));
}

/* ---- giving a function back ---- */

/* Whether F's driver_override names a driver ("(null)" when unset). */
static bool override_set(const struct pci_fn *f)
{
    _cleanup_free_ char *value = NULL;

    return mv_sysfs_read_linef(NULL, &value, "%s/driver_override", f->syspath) == 0 && value[0] &&
           strcmp(value, "(null)") != 0;
}

/* Binds F back to ORIG ("": none; NULL: unknown, the kernel chooses):
 * driver_override cleared, vfio-pci unbound (never a host driver: F may
 * have been given to one meanwhile), drivers_probe, and the recorded
 * driver's bind file if probing chose another.  0 once F is on ORIG. */
static int restore(const struct pci_fn *f, const char *orig, struct mv_err *err)
{
    char cur[NAME_MAX + 1];
    unsigned int ms = probe_timeout_ms();
    int r;

    if (override_set(f) && (r = write_fn_file(f, "driver_override", "\n", err)) < 0)
        return r;
    if ((r = current_driver(f, cur, sizeof(cur))) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot read the driver of PCI device %s", f->addr);
    if (cur[0] && strcmp(cur, VFIO_DRIVER) != 0)
        return 0;       /* on a host driver already: nothing of ours to undo */
    if (cur[0] && ((r = write_driver_file(f, VFIO_DRIVER, "unbind", err)) < 0))
        return r;
    if (cur[0] && !wait_driver(f, "", ms, cur, sizeof(cur)))
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: PCI device %s is "
                          "still bound to '%s' %u ms after the unbind", f->addr, cur, ms);
    if ((r = probe(f, err)) < 0 || !orig || !orig[0])
        return r;
    if (wait_driver(f, orig, ms, cur, sizeof(cur)))
        return 0;
    /* probing chose nothing (the driver lost the device's id) or another */
    if (!cur[0] && (r = write_driver_file(f, orig, "bind", err)) == 0 && wait_driver(f, orig, ms, cur, sizeof(cur)))
        return 0;
    if (r < 0)
        return r;
    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: PCI device %s did not "
                      "bind to its driver '%s' again within %u ms (bound to %s%s%s)", f->addr, orig, ms,
                      cur[0] ? "'" : "", cur[0] ? cur : "nothing", cur[0] ? "'" : "");
}

/* ---- detach ---- */

/* DRIVER as DETACH_FLAGS takes it: NULL or "vfio", as libvirt's QEMU driver. */
static int check_driver_name(const char *driver, struct mv_err *err)
{
    if (!driver || strcmp(driver, "vfio") == 0)
        return 0;
    if (strcmp(driver, "kvm") == 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_NODEDEV, "unsupported configuration: KVM device "
                          "assignment is no longer supported on this system");
    return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV, "invalid argument: unknown driver name '%s' "
                      "(only 'vfio' is supported)", driver);
}

/* What must hold before anything is written (the host's use last: it
 * reads the most). */
static int detach_checks(const struct pci_fn *f, struct mv_err *err)
{
    if (!mv_sysfs_existsf(NULL, "/sys/bus/pci/drivers/" VFIO_DRIVER))
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_NODEDEV, "unsupported configuration: VFIO device "
                          "assignment is currently not supported on this system: PCI device %s cannot be given "
                          "to vfio-pci, which is not loaded (no /sys/bus/pci/drivers/vfio-pci; modprobe vfio-pci)",
                          f->addr);
    if (!mv_sysfs_existsf(NULL, "%s/driver_override", f->syspath))
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_NODEDEV, "Operation not supported: PCI device "
                          "%s has no driver_override (the kernel is older than 3.16)", f->addr);
    if (!mv_sysfs_existsf(NULL, "%s/iommu_group", f->syspath))
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV, "Requested operation is not valid: PCI "
                          "device %s has no IOMMU group: vfio-pci needs the IOMMU enabled", f->addr);
    return nodedev_pci_host_use(f->syspath, f->addr, err);
}

/* The record of ORIG, the driver F has now.  A record of an unfinished
 * detach (F is on no driver now) keeps what it says. */
static int record_driver(const struct pci_fn *f, const char *orig, struct mv_err *err)
{
    char had[NAME_MAX + 1];

    if (!orig[0] && record_read(f, had, sizeof(had)))
        return 0;
    return record_write(f, orig, err);
}

/* After a failed step: F back on ORIG (the record goes once it is). */
static int roll_back(const struct pci_fn *f, const char *orig, struct mv_err *err)
{
    struct mv_err undo = { 0 };
    int r = restore(f, orig, &undo);

    if (r == 0) {
        record_remove(f);
        mv_warn("PCI device %s: detach failed (%s); back on %s%s%s", f->addr, err->message, orig[0] ? "'" : "",
                orig[0] ? orig : "no driver", orig[0] ? "'" : "");
    } else {
        mv_error("PCI device %s: detach failed (%s) and so did giving it back: %s", f->addr, err->message,
                 undo.message);
    }
    mv_err_clear(&undo);
    return -EIO;
}

static int do_detach(const struct pci_fn *f, struct mv_err *err)
{
    char orig[NAME_MAX + 1], cur[NAME_MAX + 1];
    unsigned int ms = probe_timeout_ms();
    int r;

    if ((r = current_driver(f, orig, sizeof(orig))) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot read the driver of PCI device %s", f->addr);
    if (strcmp(orig, VFIO_DRIVER) == 0)
        return 0;
    if ((r = detach_checks(f, err)) < 0 || (r = record_driver(f, orig, err)) < 0)
        return r;
    if ((r = write_fn_file(f, "driver_override", VFIO_DRIVER, err)) < 0)
        return roll_back(f, orig, err);
    if (orig[0] && ((r = write_driver_file(f, orig, "unbind", err)) < 0 || !wait_driver(f, "", ms, cur, sizeof(cur)))) {
        if (r == 0)
            mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: PCI device %s is still "
                       "bound to '%s' %u ms after the unbind", f->addr, cur, ms);
        return roll_back(f, orig, err);
    }
    if ((r = probe(f, err)) < 0)
        return roll_back(f, orig, err);
    if (!wait_driver(f, VFIO_DRIVER, ms, cur, sizeof(cur))) {
        mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: PCI device %s did not bind "
                   "to vfio-pci within %u ms (bound to %s%s%s); given back to %s%s%s", f->addr, ms,
                   cur[0] ? "'" : "", cur[0] ? cur : "nothing", cur[0] ? "'" : "", orig[0] ? "'" : "",
                   orig[0] ? orig : "no driver", orig[0] ? "'" : "");
        return roll_back(f, orig, err);
    }
    mv_info("PCI device %s (%s) detached from %s%s%s to vfio-pci", f->addr, f->name, orig[0] ? "'" : "",
            orig[0] ? orig : "no driver", orig[0] ? "'" : "");
    return 0;
}

int nodedev_pci_detach(const struct nodedev_device *dev, const char *driver, struct mv_err *err)
{
    struct pci_fn f;
    int r;

    if ((r = check_driver_name(driver, err)) < 0 || (r = fn_init(dev, &f, err)) < 0)
        return r;
    pthread_mutex_lock(&detach_lock);
    r = do_detach(&f, err);
    pthread_mutex_unlock(&detach_lock);
    return r;
}

/* ---- reattach and reset ---- */

/* A guest holding F's VFIO group: the group's node opens once at a time
 * (EBUSY while QEMU has it).  No node (a fake tree, no IOMMU): no user. */
static int vfio_group_busy(const struct pci_fn *f, struct mv_err *err)
{
    char link[PATH_MAX], group[NAME_MAX + 1], node[PATH_MAX];
    int fd;

    snprintf(link, sizeof(link), "%s/iommu_group", f->syspath);
    if (mv_sysfs_link_name(link, group, sizeof(group)) < 0)
        return 0;
    if ((size_t)snprintf(node, sizeof(node), "/dev/vfio/%s", group) >= sizeof(node))
        return 0;
    if ((fd = open(node, O_RDWR | O_CLOEXEC)) >= 0) {
        close(fd);
        return 0;
    }
    if (errno != EBUSY)
        return 0;
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV, "Requested operation is not valid: PCI "
                      "device %s is in use: its VFIO group %s is open (a guest runs with it)", f->addr, node);
}

int nodedev_pci_reattach(const struct nodedev_device *dev, struct mv_err *err)
{
    char orig[NAME_MAX + 1], cur[NAME_MAX + 1];
    struct pci_fn f;
    int r, known;

    if ((r = fn_init(dev, &f, err)) < 0)
        return r;
    pthread_mutex_lock(&detach_lock);
    known = record_read(&f, orig, sizeof(orig));
    /* vfio-pci's unbind waits for the guest to let go of the device:
     * refused rather than a worker stuck until the guest stops */
    r = current_driver(&f, cur, sizeof(cur)) == 0 && strcmp(cur, VFIO_DRIVER) == 0 ? vfio_group_busy(&f, err) : 0;
    if (r == 0)
        r = restore(&f, known ? orig : NULL, err);
    if (r == 0) {
        if (known)
            record_remove(&f);
        mv_info("PCI device %s (%s) reattached%s%s%s", f.addr, f.name, known && orig[0] ? " to '" : "",
                known && orig[0] ? orig : "", known && orig[0] ? "'" : "");
    }
    pthread_mutex_unlock(&detach_lock);
    return r;
}

int nodedev_pci_reset(const struct nodedev_device *dev, struct mv_err *err)
{
    char cur[NAME_MAX + 1];
    struct pci_fn f;
    int r;

    if ((r = fn_init(dev, &f, err)) < 0)
        return r;
    pthread_mutex_lock(&detach_lock);
    if ((r = current_driver(&f, cur, sizeof(cur))) < 0)
        r = mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV, "cannot read the driver of PCI device %s",
                             f.addr);
    else if (cur[0] && strcmp(cur, VFIO_DRIVER) != 0)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV, "Requested operation is not valid: PCI "
                       "device %s is bound to the host driver '%s': detach it before resetting it", f.addr, cur);
    else if (!mv_sysfs_existsf(NULL, "%s/reset", f.syspath))
        r = mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: unable to reset PCI "
                       "device %s: no FLR, PM reset or bus reset available (no %s/reset)", f.addr, f.syspath);
    else if ((r = vfio_group_busy(&f, err)) == 0 && (r = write_fn_file(&f, "reset", "1", err)) == 0)
        mv_info("PCI device %s (%s) reset", f.addr, f.name);
    pthread_mutex_unlock(&detach_lock);
    return r;
}
