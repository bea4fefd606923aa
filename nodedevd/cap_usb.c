/*
 * The USB family as libvirt 9.0 shows it: a device (usb_device: bus and
 * device numbers, product and vendor ids and names) and each of its
 * interfaces (usb: number, class, subclass, protocol).
 *
 * libvirt takes the ids and names from udev's properties (ID_VENDOR_ID,
 * ID_VENDOR_FROM_DATABASE...).  Where udevd does not run there are none,
 * so the ids come from the device's idVendor/idProduct and the names from
 * usb.ids, the database udev's names come from; failing that, from the
 * strings the device reports (manufacturer, product), as in libvirt.
 */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "sysattr.h"
#include "usb_ids.h"

static void format_uint(struct mv_xml_out *o, const char *name, unsigned int v)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%u", v);
    mv_xml_out_text_elem(o, name, buf);
}

/* ---- usb_device --------------------------------------------------------- */

struct usb_device_cap {
    unsigned int bus, device, vendor, product;
    char *vendor_name, *product_name;   /* NULL: unknown */
};

static void usb_device_free(void *data)
{
    struct usb_device_cap *u = data;
    if (!u)
        return;
    free(u->vendor_name);
    free(u->product_name);
    free(u);
}

/* <NAME id='0x1d6b'>Linux Foundation</NAME> */
static void format_id(struct mv_xml_out *o, const char *name, unsigned int id, const char *text)
{
    mv_xml_out_start(o, name);
    mv_xml_out_attrf(o, "id", "0x%04x", id);
    mv_xml_out_text(o, text);
    mv_xml_out_end(o);
}

static void usb_device_format(struct mv_xml_out *o, const void *data)
{
    const struct usb_device_cap *u = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "usb_device");
    format_uint(o, "bus", u->bus);
    format_uint(o, "device", u->device);
    format_id(o, "product", u->product, u->product_name);
    format_id(o, "vendor", u->vendor, u->vendor_name);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops usb_device_ops = { .format = usb_device_format, .free = usb_device_free };

/* A number from udev's property KEY, else from sysfs attribute ATTR; 0 if neither. */
static unsigned int prop_or_attr(sd_device *d, const char *key, const char *attr, int base)
{
    unsigned int v;
    if (nodedev_prop_uint(d, key, base, &v) == 0 || nodedev_attr_uint(d, attr, base, &v) == 0)
        return v;
    return 0;
}

/* A name: udev's database property, else usb.ids' (DB_NAME, taken), else
 * the device's own string ATTR. */
static int read_name(sd_device *d, const char *key, char **db_name, const char *attr, char **out)
{
    int r = nodedev_prop_str(d, key, out);
    if (r < 0 || *out)
        return r;
    if (*db_name) {
        *out = TAKE_PTR(*db_name);
        return 0;
    }
    return nodedev_attr_str(d, attr, out);
}

static int read_usb_device(sd_device *d, const struct nodedev_read_ctx *ctx, struct usb_device_cap *u)
{
    u->bus = prop_or_attr(d, "BUSNUM", "busnum", 10);
    u->device = prop_or_attr(d, "DEVNUM", "devnum", 10);
    u->vendor = prop_or_attr(d, "ID_VENDOR_ID", "idVendor", 16);
    u->product = prop_or_attr(d, "ID_MODEL_ID", "idProduct", 16);

    _cleanup_free_ char *db_vendor = NULL, *db_product = NULL;
    int r = nodedev_usb_ids_lookup(ctx->usb_ids_path, u->vendor, u->product, &db_vendor, &db_product);
    if (r < 0)
        return r;
    if ((r = read_name(d, "ID_VENDOR_FROM_DATABASE", &db_vendor, "manufacturer", &u->vendor_name)) < 0)
        return r;
    return read_name(d, "ID_MODEL_FROM_DATABASE", &db_product, "product", &u->product_name);
}

int nodedev_cap_usb_device(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    struct usb_device_cap *u = calloc(1, sizeof(*u));
    if (!u)
        return -ENOMEM;
    int r = read_usb_device(d, ctx, u);
    if (r < 0) {
        usb_device_free(u);
        return r;
    }
    return nodedev_device_add_cap(dev, NODEDEV_CAP_USB_DEV, &usb_device_ops, u);
}

/* ---- usb (an interface) ------------------------------------------------- */

struct usb_interface_cap {
    unsigned int number, klass, subclass, protocol;
};

static void usb_interface_format(struct mv_xml_out *o, const void *data)
{
    const struct usb_interface_cap *i = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "usb");
    format_uint(o, "number", i->number);
    format_uint(o, "class", i->klass);
    format_uint(o, "subclass", i->subclass);
    format_uint(o, "protocol", i->protocol);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops usb_interface_ops = { .format = usb_interface_format, .free = free };

/* A hex descriptor field; 0 when sysfs has none (libvirt's default). */
static unsigned int hex_attr(sd_device *d, const char *attr)
{
    unsigned int v;
    return nodedev_attr_uint(d, attr, 16, &v) == 0 ? v : 0;
}

int nodedev_cap_usb_interface(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    struct usb_interface_cap *i = calloc(1, sizeof(*i));
    if (!i)
        return -ENOMEM;
    i->number = hex_attr(d, "bInterfaceNumber");
    i->klass = hex_attr(d, "bInterfaceClass");
    i->subclass = hex_attr(d, "bInterfaceSubClass");
    i->protocol = hex_attr(d, "bInterfaceProtocol");
    return nodedev_device_add_cap(dev, NODEDEV_CAP_USB_INTERFACE, &usb_interface_ops, i);
}
