/*
 * The node device object (device.h): a refcounted, immutable value.  Its
 * capabilities' data belong to it and are freed with their own ops.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "device.h"

/* libvirt's virNodeDevCapType names, indexed by enum nodedev_cap_type */
static const char *const cap_names[NODEDEV_CAP_LAST] = {
    [NODEDEV_CAP_SYSTEM] = "system",
    [NODEDEV_CAP_PCI] = "pci",
    [NODEDEV_CAP_USB_DEV] = "usb_device",
    [NODEDEV_CAP_USB_INTERFACE] = "usb",
    [NODEDEV_CAP_NET] = "net",
    [NODEDEV_CAP_SCSI_HOST] = "scsi_host",
    [NODEDEV_CAP_SCSI_TARGET] = "scsi_target",
    [NODEDEV_CAP_SCSI] = "scsi",
    [NODEDEV_CAP_STORAGE] = "storage",
    [NODEDEV_CAP_FC_HOST] = "fc_host",
    [NODEDEV_CAP_VPORTS] = "vports",
    [NODEDEV_CAP_SCSI_GENERIC] = "scsi_generic",
    [NODEDEV_CAP_DRM] = "drm",
    [NODEDEV_CAP_MDEV_TYPES] = "mdev_types",
    [NODEDEV_CAP_MDEV] = "mdev",
    [NODEDEV_CAP_CCW] = "ccw",
    [NODEDEV_CAP_CSS] = "css",
    [NODEDEV_CAP_VDPA] = "vdpa",
    [NODEDEV_CAP_AP_CARD] = "ap_card",
    [NODEDEV_CAP_AP_QUEUE] = "ap_queue",
    [NODEDEV_CAP_AP_MATRIX] = "ap_matrix",
    [NODEDEV_CAP_VPD] = "vpd",
};

const char *nodedev_cap_name(enum nodedev_cap_type t)
{
    if ((unsigned int)t >= NODEDEV_CAP_LAST)
        return NULL;
    return cap_names[t];
}

int nodedev_cap_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int t = 0; t < NODEDEV_CAP_LAST; t++)
        if (strcmp(cap_names[t], name) == 0)
            return t;
    return -1;
}

struct nodedev_device *nodedev_device_new(const char *name)
{
    struct nodedev_device *dev = calloc(1, sizeof(*dev));

    if (!dev)
        return NULL;
    dev->name = strdup(name);
    if (!dev->name) {
        free(dev);
        return NULL;
    }
    atomic_init(&dev->refs, 1);
    dev->active = true;
    return dev;
}

struct nodedev_device *nodedev_device_ref(struct nodedev_device *dev)
{
    if (dev)
        atomic_fetch_add(&dev->refs, 1);
    return dev;
}

static void device_free(struct nodedev_device *dev)
{
    for (size_t i = 0; i < dev->ncaps; i++)
        if (dev->caps[i].ops && dev->caps[i].ops->free)
            dev->caps[i].ops->free(dev->caps[i].data);
    free(dev->caps);
    mv_strv_free(dev->devlinks);
    free(dev->name);
    free(dev->syspath);
    free(dev->parent);
    free(dev->subsystem);
    free(dev->driver);
    free(dev->devnode);
    free(dev->wwnn);
    free(dev->wwpn);
    free(dev->ifname);
    free(dev->xml);
    free(dev);
}

void nodedev_device_unref(struct nodedev_device *dev)
{
    if (dev && atomic_fetch_sub(&dev->refs, 1) == 1)
        device_free(dev);
}

static int append_cap(struct nodedev_device *dev, enum nodedev_cap_type type,
                      const struct nodedev_cap_ops *ops, void *data)
{
    struct nodedev_cap *caps;

    if ((unsigned int)type >= NODEDEV_CAP_LAST)
        return -EINVAL;
    caps = realloc(dev->caps, (dev->ncaps + 1) * sizeof(*caps));
    if (!caps)
        return -ENOMEM;
    dev->caps = caps;
    caps[dev->ncaps++] = (struct nodedev_cap){ .type = type, .ops = ops, .data = data };
    dev->cap_mask |= 1u << type;
    return 0;
}

int nodedev_device_add_cap(struct nodedev_device *dev, enum nodedev_cap_type type,
                           const struct nodedev_cap_ops *ops, void *data)
{
    int r = append_cap(dev, type, ops, data);

    /* the device owns DATA from here, even when it could not keep it */
    if (r < 0 && ops && ops->free)
        ops->free(data);
    return r;
}

int nodedev_device_add_subcap(struct nodedev_device *dev, enum nodedev_cap_type type)
{
    return append_cap(dev, type, NULL, NULL);
}

int nodedev_set_str(char **field, const char *value)
{
    char *copy = NULL;

    if (value && !(copy = strdup(value)))
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}
