/*
 * The controllers QEMU has without being asked, made part of the
 * definition by the assign pass: the root bus and the machine's own disk
 * controller, which libvirt lists too, and those the devices need (SATA,
 * SCSI, virtio-serial, USB) and the builder would otherwise add on its own.
 * Listed, they take their PCI slots in the pass like any device, so the
 * XML shows where they are and a later edit never moves them.  The virtio
 * balloon a missing <memballoon> means is added here for the same reason.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain_address_priv.h"

#define CONTROLLERS_MAX 32

static bool has_controller(const struct mv_dom_devices *d, enum mv_dom_controller_type type, unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return true;
    return false;
}

/* Appends controller TYPE INDEX (MODEL may be NULL) unless there is one. */
static int add_controller(struct mv_dom_devices *d, enum mv_dom_controller_type type, unsigned int index,
                          const char *model)
{
    struct mv_dom_controller *grown;

    if (has_controller(d, type, index))
        return 0;
    grown = realloc(d->controllers, (d->ncontrollers + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    d->controllers = grown;
    grown[d->ncontrollers] = (struct mv_dom_controller){ .type = type, .index = index };
    if (model && !(grown[d->ncontrollers].model = strdup(model)))
        return -ENOMEM;
    d->ncontrollers++;
    return 0;
}

/* The root bus and the machine's own disk controller, at their fixed slots. */
static int add_builtin_controllers(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    bool q35 = a->machine == MV_MACHINE_Q35;
    enum mv_dom_controller_type disk = q35 ? MV_DOM_CONTROLLER_SATA : MV_DOM_CONTROLLER_IDE;
    int r = add_controller(d, MV_DOM_CONTROLLER_PCI, 0, q35 ? "pcie-root" : "pci-root");

    if (r < 0 || (r = add_controller(d, disk, 0, NULL)) < 0)
        return r;
    for (size_t i = 0; i < d->ncontrollers; i++) {
        struct mv_dom_controller *ctl = &d->controllers[i];

        if (addr_builtin_disk_controller(a, ctl) && ctl->addr.type == MV_DOM_ADDR_NONE)
            ctl->addr = (struct mv_dom_addr){ .type = MV_DOM_ADDR_PCI, .slot = q35 ? 0x1f : 1,
                                              .function = q35 ? 2 : 1 };
    }
    return 0;
}

static bool needs_virtio_serial(const struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nconsoles; i++)
        if (streq(d->consoles[i].target_type, "virtio"))
            return true;
    return d->nchannels > 0;
}

/* libvirt's default: a tablet is USB, a mouse or keyboard PS/2; SPICE USB
 * redirection and USB audio plug into USB too */
static bool needs_usb(const struct mv_dom_devices *d)
{
    if (d->nredirdevs)
        return true;
    for (size_t i = 0; i < d->nsounds; i++)
        if (streq(d->sounds[i].model, "usb"))
            return true;
    for (size_t i = 0; i < d->ninputs; i++) {
        const struct mv_dom_input *in = &d->inputs[i];

        if (in->bus ? streq(in->bus, "usb") : streq(in->type, "tablet"))
            return true;
    }
    return false;
}

/* The controllers the devices need, in the order qemu_command.c has
 * always added them after the listed ones (SATA and SCSI by index, then
 * virtio-serial, then USB), so that the command line stays the same. */
static int add_needed_controllers(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    uint32_t sata = 0, scsi = 0;
    int r = 0;

    for (size_t i = 0; i < d->ndisks; i++) {
        const struct mv_dom_disk *disk = &d->disks[i];

        if (disk->addr.type != MV_DOM_ADDR_DRIVE || disk->addr.controller >= CONTROLLERS_MAX)
            continue;
        if (disk->bus == MV_DOM_DISK_BUS_SATA)
            sata |= 1u << disk->addr.controller;
        else if (disk->bus == MV_DOM_DISK_BUS_SCSI)
            scsi |= 1u << disk->addr.controller;
    }
    for (unsigned int i = 0; r >= 0 && i < CONTROLLERS_MAX; i++) {
        if (sata & (1u << i))
            r = add_controller(d, MV_DOM_CONTROLLER_SATA, i, NULL);
        if (r >= 0 && (scsi & (1u << i)))
            r = add_controller(d, MV_DOM_CONTROLLER_SCSI, i, "virtio-scsi");
    }
    if (r >= 0 && needs_virtio_serial(d))
        r = add_controller(d, MV_DOM_CONTROLLER_VIRTIO_SERIAL, 0, NULL);
    if (r >= 0 && needs_usb(d))
        r = add_controller(d, MV_DOM_CONTROLLER_USB, 0,
                           a->machine == MV_MACHINE_Q35 ? "qemu-xhci" : "piix3-uhci");
    return r;
}

/* A missing <memballoon> is a virtio balloon (libvirt's default): shown. */
static int fill_memballoon(struct mv_dom_devices *d)
{
    if (d->memballoon.given)
        return 0;
    d->memballoon.given = true;
    free(d->memballoon.model);
    d->memballoon.model = strdup("virtio");
    return d->memballoon.model ? 0 : -ENOMEM;
}

int addr_add_implicit(struct assign *a)
{
    int r;

    if ((r = add_builtin_controllers(a)) < 0 || (r = add_needed_controllers(a)) < 0)
        return r;
    return fill_memballoon(&a->def->devices);
}
