/*
 * Controllers: USB, SCSI, PCI, virtio-serial, SATA, IDE (the ones the
 * devices need and the XML lacks are added by the assign pass).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

const struct mv_dom_controller *find_controller(const struct mv_dom_devices *d,
                                                       enum mv_dom_controller_type type,
                                                       unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return &d->controllers[i];
    return NULL;
}

static const char *usb_device(struct cmd *c, const char *model)
{
    static const char *const map[][2] = {
        { "qemu-xhci", "qemu-xhci" }, { "nec-xhci", "nec-usb-xhci" },
        { "piix3-uhci", "piix3-usb-uhci" }, { "piix4-uhci", "piix4-usb-uhci" },
        { "ich9-ehci1", "ich9-usb-ehci1" }, { "ich9-uhci1", "ich9-usb-uhci1" },
        { "ich9-uhci2", "ich9-usb-uhci2" }, { "ich9-uhci3", "ich9-usb-uhci3" },
    };

    if (!model)
        return c->machine == MACHINE_Q35 ? "qemu-xhci" : "piix3-usb-uhci";
    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (streq(model, map[i][0]))
            return map[i][1];
    return NULL;
}

/* ---- USB: a controller, or an EHCI with its UHCI companions ---- */

static bool is_companion(const struct mv_dom_controller *ctl)
{
    return ctl->type == MV_DOM_CONTROLLER_USB && ctl->master;
}

/* The controller a companion's ports belong to: same index, no <master>. */
static const struct mv_dom_controller *companion_master(const struct mv_dom_devices *d,
                                                        const struct mv_dom_controller *ctl)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == MV_DOM_CONTROLLER_USB && d->controllers[i].index == ctl->index &&
            !is_companion(&d->controllers[i]))
            return &d->controllers[i];
    return NULL;
}

/* A companion names its master's bus (the master's id is its alias,
 * usb or usbN, which the assign pass gave by index). */
static void opt_masterbus(struct opt *o, unsigned int index)
{
    if (index == 0)
        opt_kv(o, "masterbus", "usb.0");
    else
        opt_kv(o, "masterbus", "usb%u.0", index);
}

/* The assign pass (domain_address.c) put an EHCI and its companions in
 * one multifunction slot when the XML gave them no addresses. */
static int usb_device_opt(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *dev = usb_device(c, ctl->model);
    int r;

    if (!dev)
        return cmd_refuse(c, "%s: model '%s' is not supported", what, cmd_quote(c, ctl->model));
    if (ctl->ports && !strstr(dev, "xhci"))
        return cmd_refuse(c, "%s: ports= needs an xhci model", what);
    opt_kv(&o, NULL, "%s", dev);
    if (is_companion(ctl)) {
        opt_masterbus(&o, ctl->index);
        opt_kv(&o, "firstport", "%u", ctl->master_startport);
    } else if ((r = opt_id(c, &o, ctl->alias, what)) < 0) {
        return r;
    }
    if ((r = opt_pci_addr(c, &o, &ctl->addr, what)) < 0)
        return r;
    if (ctl->ports) {
        opt_kv(&o, "p2", "%u", ctl->ports);
        opt_kv(&o, "p3", "%u", ctl->ports);
    }
    return cmd_opt(c, "-device", &o);
}

/* The master first (the companions name its bus), then its companions. */
static int controller_usb(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r;

    if (is_companion(ctl)) {
        const struct mv_dom_controller *m = companion_master(d, ctl);

        if (!m || !streq(m->model, "ich9-ehci1"))
            return cmd_refuse(c, "%s: companion '%s' needs an ich9-ehci1 controller with index %u", what,
                              cmd_quote(c, ctl->model), ctl->index);
        return 0;   /* built with its master */
    }
    if (streq(ctl->model, "none"))
        return 0;
    r = usb_device_opt(c, ctl, what);
    for (size_t i = 0; r >= 0 && i < d->ncontrollers; i++) {
        const struct mv_dom_controller *comp = &d->controllers[i];
        char comp_what[96];

        if (!is_companion(comp) || comp->index != ctl->index)
            continue;
        snprintf(comp_what, sizeof(comp_what), "controller type 'usb' index %u model '%s'", comp->index,
                 comp->model);
        r = usb_device_opt(c, comp, comp_what);
    }
    return r;
}

/* A PCI controller device DEV, its id its alias, and its address. */
static int controller_device(struct cmd *c, const struct mv_dom_controller *ctl, const char *dev, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    opt_kv(&o, NULL, "%s", dev);
    if ((r = opt_id(c, &o, ctl->alias, what)) < 0 || (r = opt_pci_addr(c, &o, &ctl->addr, what)) < 0)
        return r;
    if (ctl->type == MV_DOM_CONTROLLER_VIRTIO_SERIAL && ctl->ports)
        opt_kv(&o, "max_ports", "%u", ctl->ports);
    opt_iothread(&o, ctl->iothread);
    return cmd_opt(c, "-device", &o);
}

static int controller_pci(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *root = c->machine == MACHINE_Q35 ? "pcie-root" : "pci-root";
    const struct pci_model *m;
    int r;

    if (ctl->index == 0) {
        if (ctl->model && !streq(ctl->model, root))
            return cmd_refuse(c, "%s: this machine's root bus is '%s', not '%s'", what, root,
                          cmd_quote(c, ctl->model));
        return 0;
    }
    m = pci_model(c, ctl->model);
    if (!m)
        return cmd_refuse(c, "%s: model '%s' is not supported on this machine", what, cmd_quote(c, ctl->model));
    opt_kv(&o, NULL, "%s", m->device);
    if ((r = opt_id(c, &o, ctl->alias, what)) < 0)
        return r;
    if (m->chassis)
        opt_kv(&o, m->chassis, "%u", ctl->index);
    /* the PCIe port number only has to be unique among the root ports */
    if (streq(m->model, "pcie-root-port"))
        opt_kv(&o, "port", "0x%x", ctl->index);
    r = opt_pci_addr(c, &o, &ctl->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

static int controller_sata(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    if (c->machine == MACHINE_Q35 && ctl->index == 0)
        return pci_check_builtin_addr(c, &ctl->addr, 0x1f, 2, what);
    return controller_device(c, ctl, "ich9-ahci", what);
}

static int controller_ide(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    if (c->machine != MACHINE_PC || ctl->index != 0)
        return cmd_refuse(c, "%s: only the built-in IDE controller of pc machines exists", what);
    return pci_check_builtin_addr(c, &ctl->addr, 1, 1, what);
}

int build_controller(struct cmd *c, const struct mv_dom_controller *ctl)
{
    char what[64];
    const char *type = mv_dom_controller_type_to_string(ctl->type);

    snprintf(what, sizeof(what), "controller type '%s' index %u", type ? type : "?", ctl->index);
    if (ctl->index >= CONTROLLERS_MAX)
        return cmd_refuse(c, "%s: index is above %d", what, CONTROLLERS_MAX - 1);
    /* the devices on a controller's bus name it by type and index */
    if (ctl->alias && strncmp(ctl->alias, "ua-", 3) == 0)
        return cmd_refuse(c, "%s: user alias '%s' is not supported on controllers; their buses are named "
                          "by type and index", what, cmd_quote(c, ctl->alias));
    if (ctl->ports && ctl->type != MV_DOM_CONTROLLER_USB && ctl->type != MV_DOM_CONTROLLER_VIRTIO_SERIAL)
        return cmd_refuse(c, "%s: ports= is only for usb and virtio-serial controllers", what);
    switch (ctl->type) {
    case MV_DOM_CONTROLLER_USB:
        return controller_usb(c, ctl, what);
    case MV_DOM_CONTROLLER_SCSI:
        if (ctl->model && !streq(ctl->model, "virtio-scsi"))
            return cmd_refuse(c, "%s: model '%s' is not supported (only virtio-scsi)", what, cmd_quote(c, ctl->model));
        return controller_device(c, ctl, "virtio-scsi-pci", what);
    case MV_DOM_CONTROLLER_PCI:
        return controller_pci(c, ctl, what);
    case MV_DOM_CONTROLLER_VIRTIO_SERIAL:
        return controller_device(c, ctl, "virtio-serial-pci", what);
    case MV_DOM_CONTROLLER_SATA:
        return controller_sata(c, ctl, what);
    case MV_DOM_CONTROLLER_IDE:
        return controller_ide(c, ctl, what);
    default:
        return cmd_refuse(c, "%s is not supported", what);
    }
}

/* The PCI buses first, in index order, so that whatever plugs into one
 * (including another bridge) finds it. */
int build_pci_controllers(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r;

    for (unsigned int index = 0; index < CONTROLLERS_MAX; index++) {
        const struct mv_dom_controller *ctl = find_controller(d, MV_DOM_CONTROLLER_PCI, index);

        if (ctl && (r = build_controller(c, ctl)) < 0)
            return r;
    }
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == MV_DOM_CONTROLLER_PCI && d->controllers[i].index >= CONTROLLERS_MAX)
            return build_controller(c, &d->controllers[i]);
    return 0;
}
