/*
 * The capability names of node devices as libvirt 9.0 writes them in the
 * XML and virsh nodedev-list --cap takes them (virNodeDevCapType), and the
 * names virsh nodedev-event gives lifecycle events, so that command lines
 * and scripts written for virsh work with modvirt unchanged.
 */
#include <string.h>

#include "cleanup.h"
#include "internal.h"

/* indexed by enum modvirt_node_device_cap */
static const char *const cap_names[] = {
    "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi",
    "storage", "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw",
    "css", "vdpa", "ap_card", "ap_queue", "ap_matrix", "vpd",
};

const char *modvirt_node_device_cap_name(int cap)
{
    if (cap < 0 || (size_t)cap >= MV_ARRAY_SIZE(cap_names))
        return NULL;
    return cap_names[cap];
}

int modvirt_node_device_cap_from_name(const char *name)
{
    for (size_t i = 0; name && i < MV_ARRAY_SIZE(cap_names); i++)
        if (strcmp(cap_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *modvirt_node_device_event_type_name(int type)
{
    static const char *const names[] = { "Created", "Deleted", "Defined", "Undefined" };

    if (type < 0 || (size_t)type >= MV_ARRAY_SIZE(names))
        return "unknown";
    return names[type];
}
