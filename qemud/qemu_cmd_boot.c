/*
 * Firmware, direct kernel boot and the boot order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

int build_loader(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;
    _cleanup_opt_ struct opt o = { 0 };

    if (!os->loader) {
        if (os->loader_type != MV_DOM_LOADER_DEFAULT)
            return cmd_refuse(c, "<loader> type '%s' has no path",
                          mv_dom_loader_type_to_string(os->loader_type));
        return 0;
    }
    if (os->loader_type != MV_DOM_LOADER_PFLASH) {
        if (os->loader_readonly == MV_TRISTATE_NO)
            return cmd_refuse(c, "a ROM <loader> cannot be writable (readonly='no')");
        return cmd_pair(c, "-bios", os->loader);
    }
    opt_kv(&o, "if", "pflash");
    opt_kv(&o, "format", "raw");
    opt_onoff(&o, "readonly", os->loader_readonly != MV_TRISTATE_NO);
    opt_kv(&o, "file", "%s", os->loader);
    return cmd_opt(c, "-drive", &o);
}

int build_kernel(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;
    int r = 0;

    if (os->kernel)
        r = cmd_pair(c, "-kernel", os->kernel);
    if (r >= 0 && os->initrd)
        r = cmd_pair(c, "-initrd", os->initrd);
    if (r >= 0 && os->cmdline)
        r = cmd_pair(c, "-append", os->cmdline);
    if (r >= 0 && os->dtb)
        r = cmd_pair(c, "-dtb", os->dtb);
    return r;
}

int build_boot(struct cmd *c)
{
    static const char letters[MV_DOM_BOOT_LAST] = {
        [MV_DOM_BOOT_HD] = 'c', [MV_DOM_BOOT_CDROM] = 'd', [MV_DOM_BOOT_NETWORK] = 'n', [MV_DOM_BOOT_FD] = 'a',
    };
    const struct mv_dom_os *os = &c->def->os;
    _cleanup_opt_ struct opt o = { 0 };
    char order[MV_DOM_BOOT_DEVS_MAX + 1] = "";

    if (os->nboot > MV_DOM_BOOT_DEVS_MAX)
        return cmd_refuse(c, "more than %d <boot dev> elements", MV_DOM_BOOT_DEVS_MAX);
    for (size_t i = 0; i < os->nboot; i++) {
        if ((unsigned int)os->boot[i] >= MV_DOM_BOOT_LAST)
            return cmd_refuse(c, "boot device %d is not supported", (int)os->boot[i]);
        order[i] = letters[os->boot[i]];
    }
    if (os->nboot > 0)
        opt_kv(&o, "order", "%s", order);
    if (os->bootmenu != MV_TRISTATE_ABSENT)
        opt_onoff(&o, "menu", os->bootmenu == MV_TRISTATE_YES);
    if (o.len == 0 && !o.err)
        return 0;
    return cmd_opt(c, "-boot", &o);
}
