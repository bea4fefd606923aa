/*
 * Whether the host can give a PCI function to a guest through VFIO, read
 * from sysfs and /dev; nothing is changed.  Binding a managed='yes'
 * device to vfio-pci and back is modvirt-nodedevd's (hostdev_managed.h):
 * these checks run on unmanaged devices before anything is set up, and on
 * managed ones once nodedevd detached them.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "error.h"

/* Checks, in this order, that ROOT/dev/vfio/vfio is a character device (VFIO
 * is usable: the rule qemud_host_vfio_usable() applies to the host),
 * that ROOT/sys/bus/pci/devices/DDDD:BB:SS.F exists, that it is bound to
 * vfio-pci, and that its IOMMU group's ROOT/dev/vfio/N exists.  ROOT is ""
 * for the host (a test passes a directory holding a fake tree).  0, or <0
 * with ERR naming the domain NAME, the device and the missing piece;
 * nothing is changed. */
int qemud_hostdev_pci_check(const char *root, const char *name, const struct mv_dom_hostdev *h, struct mv_err *err);

/* Every hostdev of DEF that is managed='yes' (MANAGED) or not, on the
 * host; stops at the first that is not usable. */
int qemud_hostdevs_check(const struct mv_dom_def *def, bool managed, struct mv_err *err);

/* Whether this host has VFIO at all (/dev/vfio/vfio): domain capabilities
 * offer the vfio PCI backend only then. */
bool qemud_host_vfio_usable(void);

/* The name of H's IOMMU group (its /dev/vfio/NAME node) into GROUP; 0 or
 * -errno (no such device, no IOMMU). */
int qemud_hostdev_vfio_group(const struct mv_dom_hostdev *h, char *group, size_t size);
