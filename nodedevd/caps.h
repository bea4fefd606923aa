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
