/*
 * Controllers added and removed while a domain runs (hotplug.h): a
 * virtio-scsi controller for SCSI disks, given explicitly or added by the
 * assign pass when a SCSI disk needs one; removed only when nothing sits
 * on it.
 */
#include "config.h"

#include <stdbool.h>

#include "hotplug.h"

static bool has_controller(const struct mv_dom_def *def, const struct mv_dom_controller *ctl)
{
    for (size_t i = 0; def && i < def->devices.ncontrollers; i++)
        if (def->devices.controllers[i].type == ctl->type && def->devices.controllers[i].index == ctl->index)
            return true;
    return false;
}

size_t hotplug_controllers_added(const struct mv_dom_def *old, const struct mv_dom_def *new, size_t *idx,
                                 size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < new->devices.ncontrollers && n < max; i++)
        if (!has_controller(old, &new->devices.controllers[i]))
            idx[n++] = i;
    return n;
}

/* The bus of a disk that sits on a controller of TYPE. */
static bool disk_on(const struct mv_dom_disk *d, const struct mv_dom_controller *ctl)
{
    bool bus = (ctl->type == MV_DOM_CONTROLLER_SCSI && d->bus == MV_DOM_DISK_BUS_SCSI) ||
               (ctl->type == MV_DOM_CONTROLLER_SATA && d->bus == MV_DOM_DISK_BUS_SATA) ||
               (ctl->type == MV_DOM_CONTROLLER_IDE && d->bus == MV_DOM_DISK_BUS_IDE);

    return bus && d->addr.type == MV_DOM_ADDR_DRIVE && d->addr.controller == ctl->index;
}

int hotplug_controller_check_detach(const struct mv_dom_def *def, const struct mv_dom_controller *ctl,
                                    struct mv_err *err)
{
    if (ctl->type != MV_DOM_CONTROLLER_SCSI)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: controller of type '%s' cannot be detached from running "
                          "domain '%s'; only scsi controllers", mv_dom_controller_type_to_string(ctl->type),
                          def->name);
    for (size_t i = 0; i < def->devices.ndisks; i++)
        if (disk_on(&def->devices.disks[i], ctl))
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: controller %s %u of domain '%s' is in use by disk '%s'",
                              mv_dom_controller_type_to_string(ctl->type), ctl->index, def->name,
                              def->devices.disks[i].target);
    return 0;
}
