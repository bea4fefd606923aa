/*
 * Which sysfs devices are node devices, what they are called and which
 * capability reader describes them (read.h).  libvirt decides the type
 * from DEVTYPE and the subsystem (udevGetDeviceType); the table below is
 * that decision, one row per reader of caps.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "read.h"
#include "utf8.h"

typedef int (*cap_reader)(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev);

struct reader_row {
    const char *subsystem;
    const char *devtype;        /* NULL: any */
    cap_reader read;
};

static const struct reader_row readers[] = {
    { "pci", NULL, nodedev_cap_pci },
    { "net", NULL, nodedev_cap_net },
    { "block", "disk", nodedev_cap_storage },
    { "scsi", "scsi_host", nodedev_cap_scsi_host },
    { "scsi", "scsi_target", nodedev_cap_scsi_target },
    { "scsi", "scsi_device", nodedev_cap_scsi },
    { "scsi_generic", NULL, nodedev_cap_scsi_generic },
    { "usb", "usb_device", nodedev_cap_usb_device },
    { "usb", "usb_interface", nodedev_cap_usb_interface },
    { "drm", NULL, nodedev_cap_drm },
    { "mdev", NULL, nodedev_cap_mdev },
};

static cap_reader find_reader(const char *subsystem, const char *devtype)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(readers); i++) {
        const struct reader_row *row = &readers[i];

        if (strcmp(row->subsystem, subsystem) != 0)
            continue;
        if (!row->devtype || (devtype && strcmp(row->devtype, devtype) == 0))
            return row->read;
    }
    return NULL;
}

char *nodedev_make_name(const char *subsystem, const char *sysname, const char *suffix)
{
    char *name;
    int r;

    if (suffix)
        r = asprintf(&name, "%s_%s_%s", subsystem, sysname, suffix);
    else
        r = asprintf(&name, "%s_%s", subsystem, sysname);
    if (r < 0)
        return NULL;
    /* libvirt's nodeDeviceGenerateName: ASCII letters and digits only */
    for (char *p = name; *p; p++)
        if (!isascii((unsigned char)*p) || !isalnum((unsigned char)*p))
            *p = '_';
    return name;
}

static int clean_copy(const char *v, char **out)
{
    char *s, *w;

    free(*out);
    *out = NULL;
    if (!v || !mv_utf8_valid(v, strlen(v)))
        return 0;
    s = strdup(v);
    if (!s)
        return -ENOMEM;
    /* libvirt's virStringStripControlChars */
    w = s;
    for (const char *p = s; *p; p++)
        if (!iscntrl((unsigned char)*p))
            *w++ = *p;
    *w = '\0';
    if (!*s)
        free(s);
    else
        *out = s;
    return 0;
}

int nodedev_attr_str(sd_device *d, const char *attr, char **out)
{
    const char *v = NULL;

    if (sd_device_get_sysattr_value(d, attr, &v) < 0)
        v = NULL;
    return clean_copy(v, out);
}

int nodedev_prop_str(sd_device *d, const char *key, char **out)
{
    const char *v = NULL;

    if (sd_device_get_property_value(d, key, &v) < 0)
        v = NULL;
    return clean_copy(v, out);
}

/* The part of the name after SYSNAME: a net device's MAC address, a
 * disk's serial number (udev's ID_SERIAL, absent without udevd), as
 * libvirt's udevProcessNetworkInterface / udevProcessStorage give it. */
static int name_suffix(sd_device *d, const char *subsystem, char **suffix)
{
    if (strcmp(subsystem, "net") == 0)
        return nodedev_attr_str(d, "address", suffix);
    if (strcmp(subsystem, "block") == 0)
        return nodedev_prop_str(d, "ID_SERIAL", suffix);
    *suffix = NULL;
    return 0;
}

static int strv_sorted_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* udev's symlinks of the device node (its database; none without udevd),
 * sorted: sd-device keeps them in a set. */
static int read_devlinks(sd_device *d, char ***out)
{
    _cleanup_strv_free_ char **v = NULL;
    size_t n = 0;

    for (const char *l = sd_device_get_devlink_first(d); l; l = sd_device_get_devlink_next(d)) {
        char **nv = realloc(v, (n + 2) * sizeof(*v));

        if (!nv)
            return -ENOMEM;
        v = nv;
        v[n] = strdup(l);
        v[n + 1] = NULL;
        if (!v[n])
            return -ENOMEM;
        n++;
    }
    if (n)
        qsort(v, n, sizeof(*v), strv_sorted_cmp);
    *out = TAKE_PTR(v);
    return 0;
}

/* The header facts: path, subsystem, driver, device node and its links. */
static int read_header(sd_device *d, const char *subsystem, struct nodedev_device *dev)
{
    const char *syspath, *v;
    int r;

    r = sd_device_get_syspath(d, &syspath);
    if (r < 0)
        return r;
    if (nodedev_set_str(&dev->syspath, syspath) < 0 || nodedev_set_str(&dev->subsystem, subsystem) < 0)
        return -ENOMEM;
    if (sd_device_get_driver(d, &v) >= 0 && nodedev_set_str(&dev->driver, v) < 0)
        return -ENOMEM;
    if (sd_device_get_devname(d, &v) >= 0 && nodedev_set_str(&dev->devnode, v) < 0)
        return -ENOMEM;
    return read_devlinks(d, &dev->devlinks);
}

int nodedev_read(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device **out)
{
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;
    _cleanup_free_ char *suffix = NULL, *name = NULL;
    const char *subsystem, *sysname, *devtype = NULL;
    cap_reader reader;
    int r;

    *out = NULL;
    /* a device without a subsystem (a bare directory with a uevent) is
     * nothing libvirt lists */
    if (sd_device_get_subsystem(d, &subsystem) < 0)
        return 0;
    r = sd_device_get_sysname(d, &sysname);
    if (r < 0)
        return r;
    (void)sd_device_get_devtype(d, &devtype);
    reader = find_reader(subsystem, devtype);
    if (!reader)
        return 0;

    r = name_suffix(d, subsystem, &suffix);
    if (r < 0)
        return r;
    name = nodedev_make_name(subsystem, sysname, suffix);
    if (!name || !(dev = nodedev_device_new(name)))
        return -ENOMEM;
    r = read_header(d, subsystem, dev);
    if (r < 0)
        return r;
    r = reader(d, ctx, dev);
    if (r < 0)
        return r;
    if (r == NODEDEV_READ_SKIP)
        return 0;
    *out = TAKE_PTR(dev);
    return 0;
}
