/*
 * The computer device and its <capability type='system'>: DMI from the dmi
 * class device, as libvirt's udevGetDMIData reads it.  When the machine
 * has no DMI (no /sys/class/dmi, as on this VM) the capability says only
 * what is known: a nil UUID and empty hardware/firmware, like libvirt.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-device.h>

#include "cleanup.h"
#include "read.h"
#include "uuid.h"

/* the dmi class device; libvirt's DMI_DEVPATH and its fallback */
static const char *const dmi_paths[] = { "/sys/devices/virtual/dmi/id", "/sys/class/dmi/id" };

struct system_cap {
    char *product;
    char *hw_vendor, *hw_version, *hw_serial;
    unsigned char uuid[MV_UUID_LEN];    /* nil when unknown */
    char *fw_vendor, *fw_version, *fw_date;
};

static void system_free(void *data)
{
    struct system_cap *s = data;

    if (!s)
        return;
    free(s->product);
    free(s->hw_vendor);
    free(s->hw_version);
    free(s->hw_serial);
    free(s->fw_vendor);
    free(s->fw_version);
    free(s->fw_date);
    free(s);
}

static void system_format(struct mv_xml_out *o, const void *data)
{
    const struct system_cap *s = data;
    bool fw_empty = !s->fw_vendor && !s->fw_version && !s->fw_date;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "system");
    mv_xml_out_text_elem(o, "product", s->product);
    mv_xml_out_start(o, "hardware");
    mv_xml_out_text_elem(o, "vendor", s->hw_vendor);
    mv_xml_out_text_elem(o, "version", s->hw_version);
    mv_xml_out_text_elem(o, "serial", s->hw_serial);
    mv_xml_out_uuid(o, s->uuid);
    mv_xml_out_end(o);
    mv_xml_out_start(o, "firmware");
    mv_xml_out_text_elem(o, "vendor", s->fw_vendor);
    mv_xml_out_text_elem(o, "version", s->fw_version);
    mv_xml_out_text_elem(o, "release_date", s->fw_date);
    /* libvirt writes an empty <firmware> open and closed on two lines
     * (depth 2 inside <device><capability>) */
    if (fw_empty)
        mv_xml_out_raw(o, "\n    ");
    if (!o->failed && xmlTextWriterFullEndElement(o->w.writer) < 0)
        o->failed = true;
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops system_ops = { .format = system_format, .free = system_free };

/* The host's UUID as libvirt's virGetHostUUID finds it: DMI's product_uuid,
 * unless it is missing or not a real one (all digits the same). */
static void read_uuid(sd_device *dmi, unsigned char uuid[MV_UUID_LEN])
{
    const char *v = NULL;
    bool same = true;

    memset(uuid, 0, MV_UUID_LEN);
    if (sd_device_get_sysattr_value(dmi, "product_uuid", &v) < 0 || mv_uuid_parse(v, uuid) < 0)
        return;
    for (size_t i = 1; i < MV_UUID_LEN; i++)
        same = same && uuid[i] == uuid[0] && (uuid[0] >> 4) == (uuid[0] & 0xf);
    if (same)
        memset(uuid, 0, MV_UUID_LEN);
}

static int read_dmi(sd_device *dmi, struct system_cap *s)
{
    struct { const char *attr; char **field; } attrs[] = {
        { "product_name", &s->product },
        { "sys_vendor", &s->hw_vendor },
        { "product_version", &s->hw_version },
        { "product_serial", &s->hw_serial },
        { "bios_vendor", &s->fw_vendor },
        { "bios_version", &s->fw_version },
        { "bios_date", &s->fw_date },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(attrs); i++) {
        int r = nodedev_attr_str(dmi, attrs[i].attr, attrs[i].field);

        if (r < 0)
            return r;
    }
    read_uuid(dmi, s->uuid);
    return 0;
}

static sd_device *open_dmi(void)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(dmi_paths); i++) {
        sd_device *d = NULL;

        if (sd_device_new_from_syspath(&d, dmi_paths[i]) >= 0)
            return d;
    }
    return NULL;
}

int nodedev_read_computer(struct nodedev_device **out)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedev_device_new("computer");
    struct system_cap *s = calloc(1, sizeof(*s));
    sd_device *dmi;
    int r = 0;

    if (!dev || !s) {
        free(s);
        return -ENOMEM;
    }
    dmi = open_dmi();
    if (dmi) {
        r = read_dmi(dmi, s);
        sd_device_unref(dmi);
    }
    if (r < 0) {
        system_free(s);
        return r;
    }
    r = nodedev_device_add_cap(dev, NODEDEV_CAP_SYSTEM, &system_ops, s);
    if (r < 0)
        return r;
    *out = TAKE_PTR(dev);
    return 0;
}
