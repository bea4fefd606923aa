/*
 * The drm capability: a DRM minor (card0, renderD128, controlD64) as
 * libvirt's udev backend describes it, <capability type='drm'> with the
 * node's type.  Its parent is the GPU above it (tree.c), its device node
 * /dev/dri/... (read.c).
 *
 * The type is the minor's range, as the kernel allocates them and libvirt
 * reads them: 0-63 primary (card), 64-127 control, 128-191 render.  libvirt
 * drops a minor outside those ranges (or without MINOR), and so does this.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "caps.h"

enum drm_type { DRM_PRIMARY, DRM_CONTROL, DRM_RENDER, DRM_LAST };

static const char *const drm_type_names[DRM_LAST] = { "primary", "control", "render" };

static void drm_cap_format(struct mv_xml_out *o, const void *data)
{
    const enum drm_type *t = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "drm");
    mv_xml_out_text_elem(o, "type", drm_type_names[*t]);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops drm_cap_ops = {
    .format = drm_cap_format,
    .free = free,
};

/* The minor from the uevent's MINOR, -1 without a valid one. */
static long drm_minor(sd_device *d)
{
    const char *s;
    char *end;
    long v;

    if (sd_device_get_property_value(d, "MINOR", &s) < 0)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    return v;
}

int nodedev_cap_drm(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    enum drm_type *t;
    long minor = drm_minor(d);

    (void)ctx;
    if (minor < 0 || minor >> 6 >= DRM_LAST)
        return NODEDEV_READ_SKIP;
    if (!(t = malloc(sizeof(*t))))
        return -ENOMEM;
    *t = (enum drm_type)(minor >> 6);
    return nodedev_device_add_cap(dev, NODEDEV_CAP_DRM, &drm_cap_ops, t);
}
