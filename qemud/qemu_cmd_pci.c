/*
 * PCI addresses: the root bus and the PCI controllers' buses.  The
 * addresses themselves are chosen before (domain_address.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

static const char *pci_root_bus(const struct cmd *c)
{
    return c->machine == MACHINE_Q35 ? "pcie.0" : "pci.0";
}

static const struct pci_model pci_models[] = {
    { "pcie-root-port", "pcie-root-port", MACHINE_Q35, "chassis" },
    { "pci-bridge", "pci-bridge", MACHINE_PC, "chassis_nr" },
    { "pci-bridge", "pci-bridge", MACHINE_Q35, "chassis_nr" },
    { "dmi-to-pci-bridge", "i82801b11-bridge", MACHINE_Q35, NULL },
    { "pcie-to-pci-bridge", "pcie-pci-bridge", MACHINE_Q35, NULL },
};

const struct pci_model *pci_model(const struct cmd *c, const char *model)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(pci_models); i++)
        if (streq(model, pci_models[i].model) && pci_models[i].machine == c->machine)
            return &pci_models[i];
    return NULL;
}

/* The PCI controller with INDEX that devices can plug into, or NULL. */
static const struct mv_dom_controller *pci_bus_controller(const struct cmd *c, unsigned int index)
{
    const struct mv_dom_devices *d = &c->def->devices;

    for (size_t i = 0; i < d->ncontrollers; i++) {
        const struct mv_dom_controller *ctl = &d->controllers[i];

        if (ctl->type == MV_DOM_CONTROLLER_PCI && ctl->index == index && index > 0 &&
            pci_model(c, ctl->model))
            return ctl;
    }
    return NULL;
}

/* bus=/addr= for a PCI device from its <address>: the root bus, or a
 * root port or bridge the XML defines (QEMU names it pci.INDEX). */
int opt_pci_addr(struct cmd *c, struct opt *o, const struct mv_dom_addr *a, const char *what)
{
    const struct mv_dom_controller *bus = NULL;

    /* one algorithm chooses slots, the assign pass's, on the live copy */
    if (a->type == MV_DOM_ADDR_NONE)
        return cmd_internal(c, "%s has no PCI address; the assign pass (domain_address.c) gives every PCI "
                            "device one: its kind needs a row in addr_kinds[] (domain_address_kinds.c)", what);
    if (a->type != MV_DOM_ADDR_PCI)
        return cmd_refuse(c, "%s: a drive address does not fit a PCI device", what);
    if (a->domain != 0)
        return cmd_refuse(c, "%s: PCI domain %04x does not exist; only domain 0", what, a->domain);
    if (a->slot > 0x1f || a->function > 7)
        return cmd_refuse(c, "%s: PCI slot 0x%x function %u is out of range", what, a->slot, a->function);
    if (a->bus != 0) {
        bus = pci_bus_controller(c, a->bus);
        if (!bus)
            return cmd_refuse(c, "%s: PCI bus %u does not exist (no PCI controller with index %u "
                          "that takes devices)", what, a->bus, a->bus);
        if (streq(bus->model, "pcie-root-port") && a->slot != 0)
            return cmd_refuse(c, "%s: a pcie-root-port has only slot 0, not 0x%x", what, a->slot);
        opt_kv(o, "bus", "pci.%u", a->bus);
    } else {
        opt_kv(o, "bus", "%s", pci_root_bus(c));
    }
    opt_kv(o, "addr", "0x%x.%x", a->slot, a->function);
    if (a->multifunction)
        opt_onoff(o, "multifunction", true);
    return 0;
}

/* A built-in controller cannot move: accept only its fixed address. */
int pci_check_builtin_addr(struct cmd *c, const struct mv_dom_addr *a, unsigned int slot,
                              unsigned int function, const char *what)
{
    if (a->type == MV_DOM_ADDR_NONE)
        return 0;
    if (a->type == MV_DOM_ADDR_PCI && a->domain == 0 && a->bus == 0 && a->slot == slot &&
        a->function == function)
        return 0;
    return cmd_refuse(c, "%s is built into the machine at PCI 0000:00:%02x.%x and cannot be moved",
                  what, slot, function);
}

/* id=ALIAS: a device's QEMU id is its alias, which the assign pass gave
 * every device (a user's "ua-..." one or the daemon's). */
int opt_id(struct cmd *c, struct opt *o, const char *alias, const char *what)
{
    if (!alias)
        return cmd_internal(c, "%s has no alias; the assign pass (domain_address.c) gives every device one",
                            what);
    opt_kv(o, "id", "%s", alias);
    return 0;
}

void opt_bootindex(struct opt *o, unsigned int boot_order)
{
    if (boot_order > 0)
        opt_kv(o, "bootindex", "%u", boot_order);
}

bool is_qemu_id(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}
