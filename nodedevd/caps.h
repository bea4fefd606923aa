/*
 * The capability readers, one file per family.  Each appends D's
 * capabilities to DEV (nodedev_device_add_cap/_subcap, device.h) and fills
 * the facts DEV keeps (pci address, ifname, WWNs, devnode...).
 *
 * Returns 0, NODEDEV_READ_SKIP when D is not a device libvirt lists (read.c
 * then drops it), or -errno (-ENODEV: it vanished while being read).
 * read.c calls them by subsystem and devtype:
 *
 *   pci                            nodedev_cap_pci        cap_pci.c
 *   net                            nodedev_cap_net        cap_net.c
 *   block (devtype disk)           nodedev_cap_storage    cap_storage.c
 *   scsi_host / scsi (scsi_host, scsi_target, scsi_device), scsi_generic
 *                                  nodedev_cap_scsi*      cap_scsi.c
 *   usb (usb_device, usb_interface) nodedev_cap_usb*      cap_usb.c
 *   drm (card*, render*)           nodedev_cap_drm        cap_drm.c
 *   mdev                           nodedev_cap_mdev       cap_mdev.c
 */
#pragma once

#include <systemd/sd-device.h>

#include "device.h"
#include "read.h"

#define NODEDEV_READ_SKIP 1

int nodedev_cap_pci(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_net(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_storage(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_scsi_host(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_scsi_target(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_scsi(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_scsi_generic(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_usb_device(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_usb_interface(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_drm(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);
int nodedev_cap_mdev(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);

/* The <capability type='mdev_types'> element of a parent device (a PCI
 * function, in cap_pci.c's format) whose sysfs directory SYSPATH has
 * mdev_supported_types: read into *TYPES (NULL when it has none).  0 or
 * -errno.  Formatted and freed with the two below (cap_mdev.c). */
struct nodedev_mdev_types;
int nodedev_mdev_types_read(const char *syspath, struct nodedev_mdev_types **types);
void nodedev_mdev_types_format(struct mv_xml_out *o, const struct nodedev_mdev_types *types);
void nodedev_mdev_types_free(struct nodedev_mdev_types *types);

/* ---- mdevs (cap_mdev.c), also used by nodedevd's store of defined mdevs ---- */

/* One <attr name='' value=''/> of an mdev: written to the mdev's sysfs
 * attribute NAME, in order, once it exists (vfio_ap's assign_adapter...). */
struct nodedev_mdev_attr {
    char *name, *value;
};
void nodedev_mdev_attrs_free(struct nodedev_mdev_attr *attrs, size_t n);
/* A deep copy of N attributes into *OUT (NULL when N is 0); 0 or -ENOMEM. */
int nodedev_mdev_attrs_copy(const struct nodedev_mdev_attr *attrs, size_t n, struct nodedev_mdev_attr **out);

/* libvirt's (>= 7.7) name of an mdev: "mdev_UUID_PARENT" from the UUID and
 * the parent's sysfs name ("0000:00:02.0"), non-alphanumerics made '_':
 * mdevctl may define one UUID on several parents.  New string or NULL. */
char *nodedev_mdev_name(const char *uuid, const char *parent_addr);

/* Appends the mdev capability of a defined, inactive mdev to DEV (an mdev
 * not in sysfs has no IOMMU group yet: libvirt writes number='0').  0 or -ENOMEM. */
int nodedev_mdev_add_cap(struct nodedev_device *dev, const char *type, const char *uuid, const char *parent_addr,
                         const struct nodedev_mdev_attr *attrs, size_t nattrs);

/* What nodedevd knows of the defined mdev NAME, for an mdev read from
 * sysfs: 1 (with *AUTOSTART and a copy of its attributes) if it is defined,
 * 0 if not, -ENOMEM.  nodedevd's store (mdev.c) sets it once, before any
 * device is read by another thread; without it every mdev is transient. */
typedef int (*nodedev_mdev_lookup_fn)(const char *name, bool *autostart, struct nodedev_mdev_attr **attrs,
                                      size_t *nattrs);
void nodedev_mdev_set_lookup(nodedev_mdev_lookup_fn fn);
