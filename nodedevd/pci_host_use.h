/*
 * Whether the host itself uses a PCI function (pci_host_use.c): what
 * detaching it would take away from under a running system.  Read from
 * /sys (the devices below the function), /proc/self/mountinfo, /proc/swaps
 * and the interfaces' addresses; nothing is changed.
 */
#pragma once

#include "error.h"

/* 0 if nothing of the host uses the PCI function at SYSPATH (sysfs name
 * ADDR), else -EBUSY with ERR naming the user, e.g. "Requested operation is
 * not valid: PCI device 0000:00:02.0 is in use by the host: block device vda
 * holds the mounted filesystem /".  Users: a block device below it (or one
 * holding it, like device-mapper) that is mounted or is swap, and a network
 * interface below it with an address other than an IPv6 link-local one
 * (every interface that is up has one of those, used or not). */
int nodedev_pci_host_use(const char *syspath, const char *addr, struct mv_err *err);
