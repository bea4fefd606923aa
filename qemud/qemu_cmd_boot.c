/*
 * Firmware (a ROM, or pflash code and variable store), direct kernel boot,
 * the boot order and menu, and the BIOS's serial console.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* The loader is mapped as pflash unit 0 (code) and its variable store as
 * unit 1, both through -blockdev and -machine pflashN=, as QEMU 7.2 wants
 * (-drive if=pflash is the legacy way). */
static bool uses_pflash(const struct mv_dom_os *os)
{
    return os->loader && os->loader_type == MV_DOM_LOADER_PFLASH;
}

void opt_machine_firmware(const struct cmd *c, struct opt *m)
{
    const struct mv_dom_os *os = &c->def->os;

    if (uses_pflash(os)) {
        opt_kv(m, "pflash0", "pflash0-format");
        if (os->nvram)
            opt_kv(m, "pflash1", "pflash1-format");
    }
    if (os->bios_useserial == MV_TRISTATE_YES)
        opt_onoff(m, "graphics", false);
}

static int build_flash(struct cmd *c, unsigned int unit, const char *path, bool readonly)
{
    _cleanup_opt_ struct opt file = { 0 };
    _cleanup_opt_ struct opt fmt = { 0 };
    int r;

    opt_kv(&file, "driver", "file");
    opt_kv(&file, "filename", "%s", path);
    opt_kv(&file, "node-name", "pflash%u-storage", unit);
    opt_onoff(&file, "read-only", readonly);
    if ((r = cmd_opt(c, "-blockdev", &file)) < 0)
        return r;
    opt_kv(&fmt, "driver", "raw");
    opt_kv(&fmt, "node-name", "pflash%u-format", unit);
    opt_onoff(&fmt, "read-only", readonly);
    opt_kv(&fmt, "file", "pflash%u-storage", unit);
    return cmd_opt(c, "-blockdev", &fmt);
}

/* secure='yes': the flash is writable only from SMM, so that the OS cannot
 * rewrite the variables secure boot relies on. */
static int build_secure_flash(struct cmd *c)
{
    if (c->machine != MACHINE_Q35)
        return cmd_refuse(c, "<loader secure='yes'> needs a q35 machine (OVMF's SMM works only there)");
    if (c->def->features.smm != MV_TRISTATE_YES)
        return cmd_refuse(c, "<loader secure='yes'> needs SMM: <features><smm state='on'/>");
    return cmd_pair(c, "-global", "driver=cfi.pflash01,property=secure,value=on");
}

int build_loader(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;
    int r;

    /* the daemon resolves it on the live definition before the command line */
    if (os->firmware == MV_DOM_OS_FIRMWARE_EFI)
        return cmd_internal(c, "firmware='efi' of domain '%s' was not resolved to a loader",
                            cmd_quote(c, c->def->name));
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
    if (os->loader_secure == MV_TRISTATE_YES && (r = build_secure_flash(c)) < 0)
        return r;
    if ((r = build_flash(c, 0, os->loader, os->loader_readonly != MV_TRISTATE_NO)) < 0)
        return r;
    return os->nvram ? build_flash(c, 1, os->nvram, false) : 0;
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
    if (os->bootmenu_timeout_given)
        opt_kv(&o, "splash-time", "%u", os->bootmenu_timeout);
    if (os->bios_reboot_timeout_given)
        opt_kv(&o, "reboot-timeout", "%d", os->bios_reboot_timeout);
    if (o.len == 0 && !o.err)
        return 0;
    return cmd_opt(c, "-boot", &o);
}

/* <bios useserial='yes'>: SeaBIOS's screen on the first serial port.
 * QEMU 7.2 deprecates the sgabios ROM (-device sga) for -machine
 * graphics=off, which points SeaBIOS's own serial console at the port
 * (opt_machine_firmware). */
int check_bios_serial(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;

    if (os->bios_useserial != MV_TRISTATE_YES)
        return 0;
    if (os->loader || os->firmware == MV_DOM_OS_FIRMWARE_EFI)
        return cmd_refuse(c, "<bios useserial='yes'> is for QEMU's own BIOS (SeaBIOS), not a <loader>");
    if (c->def->devices.nserials == 0)
        return cmd_refuse(c, "<bios useserial='yes'> needs a <serial> port to write to");
    return 0;
}
