/*
 * From an sd-device to a node device: the one place that decides which
 * sysfs devices nodedevd lists, what each is called and which capability
 * readers describe it (caps.h).
 *
 * Everything is read through sd-device, which reads /sys only.  nodedevd
 * sees a fake tree (tests, "sysfs_root" in modvirt-nodedevd.conf) because it
 * then runs in its own mount namespace with that tree mounted on /sys.
 * sd-device also checks that a device's directory is on a real sysfs
 * (statfs): whoever mounts a fake tree must set SYSTEMD_DEVICE_VERIFY_SYSFS=0
 * (its documented switch) before reading, or only the computer is found.
 */
#pragma once

#include <systemd/sd-device.h>

#include "device.h"

struct nodedev_pci_ids;     /* pci_ids.h */

/* What readers share; read-only once built, so safe from any thread. */
struct nodedev_read_ctx {
    const struct nodedev_pci_ids *pci_ids;  /* vendor/product names, may be NULL */
    const char *usb_ids_path;               /* usb.ids (usb_ids.h); NULL: where distributions put it */
};

/* Reads D into a new *OUT (one reference, parent and xml not set: the tree
 * sets them; a reader may set dev->name or dev->parent itself when libvirt
 * names or places that family otherwise, e.g. mdevs), or *OUT = NULL when D is not a device libvirt lists (a
 * partition, an unused loop device, a class nodedevd does not describe).
 * 0 or -errno; a device that vanished while being read is -ENODEV. */
int nodedev_read(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device **out);

/* The computer device (cap_system.c: DMI from /sys/class/dmi/id, honest when absent). */
int nodedev_read_computer(struct nodedev_device **out);

/* libvirt's name for a device: SUBSYSTEM_SYSNAME[_SUFFIX] with every
 * character that is not a letter or digit made '_' ("pci_0000_00_1f_2",
 * "net_eth0_52_54_00_12_34_56", "usb_1_1", "scsi_host0").  New string or NULL. */
char *nodedev_make_name(const char *subsystem, const char *sysname, const char *suffix);

/* Text of sysfs attribute ATTR of D (nodedev_attr_str) or of its uevent /
 * udev property KEY (nodedev_prop_str) as libvirt keeps such text: control
 * characters dropped, none (*OUT = NULL) when it is missing, empty or not
 * UTF-8.  *OUT (freed first) gets a new string or NULL; 0 or -ENOMEM.  For
 * the capability readers, so that no reader writes text the XML writer
 * would refuse. */
int nodedev_attr_str(sd_device *d, const char *attr, char **out);
int nodedev_prop_str(sd_device *d, const char *key, char **out);
