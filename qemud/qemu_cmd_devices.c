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

int build_watchdog(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_watchdog *w = d->watchdogs;
    _cleanup_opt_ struct opt o = { 0 };
    int r = 0;

    if (d->nwatchdogs == 0)
        return 0;
    if (d->nwatchdogs > 1)
        return cmd_refuse(c, "only one watchdog is supported");
    if (w->action && !streq(w->action, "reset") && !streq(w->action, "shutdown") &&
        !streq(w->action, "poweroff") && !streq(w->action, "pause") && !streq(w->action, "none") &&
        !streq(w->action, "inject-nmi"))
        return cmd_refuse(c, "watchdog action '%s' is not supported", cmd_quote(c, w->action));
    if (streq(w->model, "i6300esb")) {
        opt_kv(&o, NULL, "i6300esb");
        r = opt_id(c, &o, w->alias, "watchdog");
        if (r >= 0)
            r = opt_pci_addr(c, &o, &w->addr, "watchdog");
    } else if (streq(w->model, "ib700") && w->addr.type == MV_DOM_ADDR_NONE) {
        opt_kv(&o, NULL, "ib700");
        r = opt_id(c, &o, w->alias, "watchdog");
    } else {
        return cmd_refuse(c, "watchdog model '%s' is not supported (i6300esb, or ib700 without an address)",
                      cmd_quote(c, w->model));
    }
    if (r >= 0)
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

int build_panic(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    _cleanup_opt_ struct opt o = { 0 };
    const char *model;
    int r;

    if (d->npanics == 0)
        return 0;
    if (d->npanics > 1)
        return cmd_refuse(c, "only one panic device is supported");
    model = d->panics[0].model;
    if (model && !streq(model, "isa"))
        return cmd_refuse(c, "panic model '%s' is not supported (only isa)", cmd_quote(c, model));
    opt_kv(&o, NULL, "pvpanic");
    r = opt_id(c, &o, d->panics[0].alias, "panic");
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}
