/*
 * Giving a PCI function to vfio-pci and back (pci_detach.c), through sysfs
 * (/sys, see read.h for fake trees): driver_override, unbind, drivers_probe.
 * Nothing is written before every check passed: the device exists, is a
 * PCI function, is not used by the host (a mounted or swap block device
 * below it, an interface with addresses), vfio-pci is available.  What the
 * device was bound to is recorded (state dir, written atomically before the
 * first write) so that reattach restores it, also after a restart.
 * Errors name the device and the cause, e.g. "PCI device 0000:00:02.0 is in
 * use by the host: block device vda holds the mounted filesystem /".
 */
#pragma once

#include "device.h"
#include "error.h"

/* Binds DEV to vfio-pci ("vfio" or NULL DRIVER; anything else is refused).
 * Already on vfio-pci: 0, nothing written.  0 or -errno with ERR set. */
int nodedev_pci_detach(const struct nodedev_device *dev, const char *driver, struct mv_err *err);
/* Binds DEV back to the driver it had before the detach (or lets the
 * kernel probe); 0 or -errno with ERR. */
int nodedev_pci_reattach(const struct nodedev_device *dev, struct mv_err *err);
/* Function-level reset through DEV's "reset" file; refused while a host
 * driver other than vfio-pci holds it.  0 or -errno with ERR. */
int nodedev_pci_reset(const struct nodedev_device *dev, struct mv_err *err);
