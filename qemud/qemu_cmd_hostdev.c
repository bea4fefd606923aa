/*
 * <hostdev type='pci'>: -device vfio-pci,host=DDDD:BB:SS.F.  Whether the
 * host can hand the function over (VFIO, the device, its driver) is checked
 * by the daemon before QEMU runs (qemud/hostdev_pci.c), not here: the
 * command line stays a pure function of the definition.
 */
#include <stdio.h>

#include "cleanup.h"
#include "qemu_command_priv.h"

static int build_hostdev(struct cmd *c, size_t i)
{
    const struct mv_dom_hostdev *h = &c->def->devices.hostdevs[i];
    _cleanup_opt_ struct opt o = { 0 };
    char what[64];
    int r;

    snprintf(what, sizeof(what), "hostdev %04x:%02x:%02x.%x", h->domain, h->bus, h->slot, h->function);
    opt_kv(&o, NULL, "vfio-pci");
    opt_kv(&o, "host", "%04x:%02x:%02x.%x", h->domain, h->bus, h->slot, h->function);
    r = opt_id(c, &o, h->alias, what);
    if (r >= 0)
        r = opt_pci_addr(c, &o, &h->addr, what);
    if (r < 0)
        return r;
    opt_bootindex(&o, h->boot_order);
    return cmd_opt(c, "-device", &o);
}

int build_hostdevs(struct cmd *c)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < c->def->devices.nhostdevs; i++)
        r = build_hostdev(c, i);
    return r;
}
