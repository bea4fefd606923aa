/*
 * The single-purpose devices: watchdog, random number generator, memory
 * balloon and panic notifier.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* The watchdog device's -device option; itco has none (see below). */
static int watchdog_device(struct cmd *c, const struct mv_dom_watchdog *w, struct opt *o)
{
    int r;

    if (streq(w->model, "i6300esb")) {
        opt_kv(o, NULL, "i6300esb");
        r = opt_id(c, o, w->alias, "watchdog");
        return r < 0 ? r : opt_pci_addr(c, o, &w->addr, "watchdog");
    }
    if (streq(w->model, "ib700") && w->addr.type == MV_DOM_ADDR_NONE) {
        opt_kv(o, NULL, "ib700");
        return opt_id(c, o, w->alias, "watchdog");
    }
    return cmd_refuse(c, "watchdog model '%s' is not supported (i6300esb, itco on q35, or ib700 "
                      "without an address)", cmd_quote(c, w->model));
}

/* iTCO is part of q35's ICH9 LPC bridge, always there; QEMU keeps it from
 * resetting the machine (noreboot) unless told otherwise. */
static int watchdog_itco(struct cmd *c, const struct mv_dom_watchdog *w)
{
    if (c->machine != MACHINE_Q35)
        return cmd_refuse(c, "watchdog model 'itco' needs a q35 machine (it is part of the ICH9 chipset)");
    if (w->addr.type != MV_DOM_ADDR_NONE)
        return cmd_refuse(c, "watchdog model 'itco' takes no <address>: it sits in the ICH9 LPC bridge");
    return cmd_pair(c, "-global", "ICH9-LPC.noreboot=off");
}

int build_watchdog(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_watchdog *w = d->watchdogs;
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (d->nwatchdogs == 0)
        return 0;
    if (d->nwatchdogs > 1)
        return cmd_refuse(c, "only one watchdog is supported");
    if (w->action && !streq(w->action, "reset") && !streq(w->action, "shutdown") &&
        !streq(w->action, "poweroff") && !streq(w->action, "pause") && !streq(w->action, "none") &&
        !streq(w->action, "inject-nmi"))
        return cmd_refuse(c, "watchdog action '%s' is not supported", cmd_quote(c, w->action));
    if (streq(w->model, "itco"))
        r = watchdog_itco(c, w);
    else if ((r = watchdog_device(c, w, &o)) >= 0)
        r = cmd_opt(c, "-device", &o);
    if (r >= 0 && w->action)
        r = cmd_action(c, "watchdog", w->action);
    return r;
}

int build_rng(struct cmd *c, size_t i)
{
    const struct mv_dom_rng *rng = &c->def->devices.rngs[i];
    _cleanup_opt_ struct opt obj = { 0 };
    _cleanup_opt_ struct opt dev = { 0 };
    char what[32];
    int r;

    snprintf(what, sizeof(what), "rng %zu", i);
    if (rng->model && !streq(rng->model, "virtio"))
        return cmd_refuse(c, "%s: model '%s' is not supported (only virtio)", what, cmd_quote(c, rng->model));
    opt_kv(&obj, NULL, "rng-random");
    opt_kv(&obj, "id", "objrng%zu", i);
    opt_kv(&obj, "filename", "%s", rng->backend ? rng->backend : "/dev/urandom");
    r = cmd_opt(c, "-object", &obj);
    if (r < 0)
        return r;
    opt_kv(&dev, NULL, "virtio-rng-pci");
    opt_kv(&dev, "rng", "objrng%zu", i);
    r = opt_id(c, &dev, rng->alias, what);
    if (r >= 0)
        r = opt_pci_addr(c, &dev, &rng->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &dev);
}

int build_memballoon(struct cmd *c)
{
    const struct mv_dom_memballoon *b = &c->def->devices.memballoon;
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (b->given && streq(b->model, "none"))
        return 0;
    if (b->given && b->model && !streq(b->model, "virtio"))
        return cmd_refuse(c, "memballoon model '%s' is not supported (virtio or none)", cmd_quote(c, b->model));
    opt_kv(&o, NULL, "virtio-balloon-pci");
    r = opt_id(c, &o, b->alias, "memballoon");
    if (r >= 0)
        r = opt_pci_addr(c, &o, &b->addr, "memballoon");
    if (r < 0)
        return r;
    if (b->stats_period)
        opt_kv(&o, "guest-stats-polling-interval", "%u", b->stats_period);
    return cmd_opt(c, "-device", &o);
}

/* -device for panic P (isa or pvpanic). */
static int build_panic_device(struct cmd *c, const struct mv_dom_panic *p, bool pci)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    opt_kv(&o, NULL, pci ? "pvpanic-pci" : "pvpanic");
    r = opt_id(c, &o, p->alias, "panic");
    if (r >= 0 && pci)
        r = opt_pci_addr(c, &o, &p->addr, "panic model 'pvpanic'");
    else if (r >= 0 && p->addr.type != MV_DOM_ADDR_NONE)
        r = cmd_refuse(c, "panic model 'isa' takes no PCI or drive <address>: it sits at I/O port 0x505");
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

/* One panic notifier per model: isa is the pvpanic ISA device (port
 * 0x505), pvpanic its PCI form, hyperv the guest's Hyper-V crash MSRs
 * (hv-crash, a -cpu property: qemu_cmd_features.c). */
int build_panic(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    bool seen_isa = false, seen_pci = false, seen_hv = false;
    int r = 0;

    for (size_t i = 0; i < d->npanics && r >= 0; i++) {
        const struct mv_dom_panic *p = &d->panics[i];
        const char *model = p->model ? p->model : "isa";
        bool *seen = streq(model, "isa") ? &seen_isa : streq(model, "pvpanic") ? &seen_pci : &seen_hv;

        if (*seen)
            return cmd_refuse(c, "<panic model='%s'> given more than once", cmd_quote(c, model));
        *seen = true;
        if (streq(model, "isa") || streq(model, "pvpanic"))
            r = build_panic_device(c, p, streq(model, "pvpanic"));
        else if (p->addr.type != MV_DOM_ADDR_NONE)
            r = cmd_refuse(c, "panic model 'hyperv' takes no <address>: it is a CPU feature");
        else if (!streq(model, "hyperv"))
            r = cmd_refuse(c, "panic model '%s' is not supported (isa, pvpanic or hyperv)", cmd_quote(c, model));
    }
    return r;
}
