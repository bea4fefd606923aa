/* Host PCI functions for VFIO (hostdev_pci.h). */
#define MV_LOG_MODULE "qemud.hostdev"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostdev_pci.h"
#include "sysfs.h"

static int check_driver(const char *dev, const char *what, const struct mv_dom_hostdev *h, struct mv_err *err)
{
    char path[PATH_MAX], driver[NAME_MAX + 1];

    if ((size_t)snprintf(path, sizeof(path), "%s/driver", dev) >= sizeof(path) ||
        mv_sysfs_link_name(path, driver, sizeof(driver)) < 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                          " is not bound to any driver; bind it to vfio-pci", what);
    if (strcmp(driver, "vfio-pci") == 0)
        return 0;
    if (h->managed == MV_TRISTATE_YES)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                          " is bound to driver '%s', not vfio-pci, although modvirt-nodedevd detached it "
                          "(managed='yes'): something bound it again", what, driver);
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                      " is bound to driver '%s', not vfio-pci (managed='no': bind it to vfio-pci)",
                      what, driver);
}

static int check_group(const char *root, const char *dev, const char *what, struct mv_err *err)
{
    char path[PATH_MAX], group[NAME_MAX + 1];

    if ((size_t)snprintf(path, sizeof(path), "%s/iommu_group", dev) >= sizeof(path) ||
        mv_sysfs_link_name(path, group, sizeof(group)) < 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                          " has no IOMMU group (%s); VFIO needs the IOMMU enabled", what, path);
    if ((size_t)snprintf(path, sizeof(path), "%s/dev/vfio/%s", root, group) >= sizeof(path) ||
        access(path, F_OK) < 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                          ": its VFIO group %s is missing", what, path);
    return 0;
}

/* Whether ROOT/dev/vfio/vfio is a character device: the one rule for
 * domain capabilities (ROOT "") and for a start. */
static bool vfio_usable(const char *root)
{
    char path[PATH_MAX];
    struct stat st;

    return (size_t)snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root) < sizeof(path) &&
           stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

int qemud_hostdev_pci_check(const char *root, const char *name, const struct mv_dom_hostdev *h, struct mv_err *err)
{
    char addr[32], path[PATH_MAX], dev[PATH_MAX];
    _cleanup_free_ char *what = NULL;

    snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", h->domain, h->bus, h->slot, h->function);
    if (asprintf(&what, "domain '%s': host PCI device %s", name, addr) < 0) {
        what = NULL;
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
    if (!vfio_usable(root))
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: %s"
                          " cannot be passed through: VFIO is not available (%s is missing or is not a "
                          "character device; the vfio-pci module and an IOMMU are needed)", what, path);
    snprintf(dev, sizeof(dev), "%s/sys/bus/pci/devices/%s", root, addr);
    if (access(dev, F_OK) < 0)
        return mv_err_set(err, MV_ERR_NO_NODE_DEVICE, MV_FROM_QEMU, "Node device not found: %s "
                          "does not exist (no %s)", what, dev);
    if (check_driver(dev, what, h, err) < 0)
        return -ENODEV;
    return check_group(root, dev, what, err) < 0 ? -ENODEV : 0;
}

int qemud_hostdevs_check(const struct mv_dom_def *def, bool managed, struct mv_err *err)
{
    for (size_t i = 0; i < def->devices.nhostdevs; i++) {
        const struct mv_dom_hostdev *h = &def->devices.hostdevs[i];

        if ((h->managed == MV_TRISTATE_YES) == managed && qemud_hostdev_pci_check("", def->name, h, err) < 0)
            return -ENODEV;
    }
    return 0;
}

bool qemud_host_vfio_usable(void)
{
    return vfio_usable("");
}

int qemud_hostdev_vfio_group(const struct mv_dom_hostdev *h, char *group, size_t size)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%x/iommu_group", h->domain, h->bus, h->slot,
             h->function);
    return mv_sysfs_link_name(path, group, size);
}
