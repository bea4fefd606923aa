/*
 * One host device as nodedevd describes it: libvirt's node device (its
 * name, sysfs path, device nodes, parent, driver and capabilities).
 *
 * A device is read from sysfs once (read.h) and then never changes: a
 * uevent that changes it produces a new device that replaces the old one
 * in the tree (tree.h).  So readers need no lock, only a reference, and
 * the XML is formatted once, when the tree takes the device.
 *
 * Each capability keeps its own data, private to the file that reads it
 * (cap_pci.c, cap_net.c...), behind a small ops table: the file that knows
 * what a PCI function is also knows how its <capability> is written.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "xml_format.h"

/* libvirt's capability types, in the order of the CONNECT_LIST_ALL_NODE_DEVICES
 * filter bits: type T is bit 1u << T (wire-protocol.md 8, flags table). */
enum nodedev_cap_type {
    NODEDEV_CAP_SYSTEM, NODEDEV_CAP_PCI, NODEDEV_CAP_USB_DEV, NODEDEV_CAP_USB_INTERFACE, NODEDEV_CAP_NET,
    NODEDEV_CAP_SCSI_HOST, NODEDEV_CAP_SCSI_TARGET, NODEDEV_CAP_SCSI, NODEDEV_CAP_STORAGE, NODEDEV_CAP_FC_HOST,
    NODEDEV_CAP_VPORTS, NODEDEV_CAP_SCSI_GENERIC, NODEDEV_CAP_DRM, NODEDEV_CAP_MDEV_TYPES, NODEDEV_CAP_MDEV,
    NODEDEV_CAP_CCW, NODEDEV_CAP_CSS, NODEDEV_CAP_VDPA, NODEDEV_CAP_AP_CARD, NODEDEV_CAP_AP_QUEUE,
    NODEDEV_CAP_AP_MATRIX, NODEDEV_CAP_VPD, NODEDEV_CAP_LAST
};
/* LIST_ALL filter bits that are not capabilities */
#define NODEDEV_LIST_INACTIVE (1u << 30)
#define NODEDEV_LIST_ACTIVE (1u << 31)

/* "system", "pci", "usb_device", "usb", "net", "scsi_host", ... (libvirt's
 * names, as LIST_CAPS and <capability type=> say them); NULL if out of range. */
const char *nodedev_cap_name(enum nodedev_cap_type t);
/* The type named NAME, or -1. */
int nodedev_cap_from_name(const char *name);

/* How one capability's private data is written and freed. */
struct nodedev_cap_ops {
    /* writes the whole <capability type='...'> element (and the sub-
     * capability elements it holds, e.g. pci's mdev_types) */
    void (*format)(struct mv_xml_out *o, const void *data);
    void (*free)(void *data);
};

struct nodedev_cap {
    enum nodedev_cap_type type;
    const struct nodedev_cap_ops *ops;  /* NULL: a sub-capability, listed only */
    void *data;
};

/* The facts of a PCI function that detach/reattach and qemud need. */
struct nodedev_pci_addr {
    unsigned int domain, bus, slot, function;
};

struct nodedev_device {
    atomic_int refs;
    char *name;             /* libvirt's name: computer, pci_0000_00_1f_2, net_eth0_52_54_00_12_34_56 */
    char *syspath;          /* /sys/devices/...; NULL for computer and an inactive mdev */
    char *parent;           /* the parent's name; NULL only for computer (the tree fills it) */
    char *subsystem;        /* sd-device's subsystem ("pci", "net"), NULL for computer */
    char *driver;           /* the bound driver, NULL if none */
    char *devnode;          /* <devnode type='dev'>, NULL if none */
    char **devlinks;        /* <devnode type='link'>, NULL-terminated, may be NULL */
    struct nodedev_cap *caps;   /* in <capability> order; sub-capabilities after their owner */
    size_t ncaps;
    unsigned int cap_mask;  /* 1u << type for every entry of CAPS */
    /* facts the procedures use, filled by the capability readers */
    bool is_pci;
    struct nodedev_pci_addr pci;
    char *wwnn, *wwpn;      /* fc_host: SCSI host lookup by WWN */
    char *ifname;           /* net */
    /* mdevs (mdev.h): a defined device may be inactive; every other device
     * is active, transient and not autostarted */
    bool active, persistent, autostart;
    char *xml;              /* the whole <device> document; set by the tree (format.h) */
};

/* A device with NAME and one reference; NULL on ENOMEM.  active = true. */
struct nodedev_device *nodedev_device_new(const char *name);
struct nodedev_device *nodedev_device_ref(struct nodedev_device *dev);
/* Drops a reference; the last frees the device and its capabilities' data. NULL is fine. */
void nodedev_device_unref(struct nodedev_device *dev);
static inline void nodedev_device_unrefp(struct nodedev_device **d) { nodedev_device_unref(*d); }
#define _cleanup_nodedev_ __attribute__((cleanup(nodedev_device_unrefp)))

/* Appends a capability owning DATA (freed with OPS->free, also on failure). 0 or -ENOMEM. */
int nodedev_device_add_cap(struct nodedev_device *dev, enum nodedev_cap_type type,
                           const struct nodedev_cap_ops *ops, void *data);
/* Appends a sub-capability (fc_host, vports, mdev_types): listed by LIST_CAPS
 * and matched by filters, written by its owner's format.  0 or -ENOMEM. */
int nodedev_device_add_subcap(struct nodedev_device *dev, enum nodedev_cap_type type);
/* Sets *FIELD to a copy of VALUE (NULL clears it); 0 or -ENOMEM. */
int nodedev_set_str(char **field, const char *value);
