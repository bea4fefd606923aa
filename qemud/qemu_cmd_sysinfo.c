/*
 * The guest's SMBIOS strings (<os><smbios mode>): -smbios type=0 (BIOS),
 * 1 (system), 2 (base board), 3 (chassis) and 11 (OEM strings) from the
 * domain's <sysinfo> (mode='sysinfo') or from the host's DMI facts
 * (mode='host'); mode='emulate' and no mode leave QEMU's own.  As in
 * libvirt, a <sysinfo> without mode='sysinfo' is kept in the definition
 * but not given to the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* -smbios type=TYPE with KEY=VALUE per entry set but SKIP (-1: none);
 * nothing when none is.  libvirt's entry names are QEMU's keys. */
static int smbios_table(struct cmd *c, int type, char *const *values, size_t n, const char *(*name)(int),
                        int skip)
{
    _cleanup_opt_ struct opt o = { 0 };
    bool any = false;

    opt_kv(&o, "type", "%d", type);
    for (size_t i = 0; i < n; i++) {
        if (!values[i] || (int)i == skip)
            continue;
        opt_kv(&o, name((int)i), "%s", values[i]);
        any = true;
    }
    return any ? cmd_opt(c, "-smbios", &o) : o.err;
}

static int smbios_oem(struct cmd *c, const struct mv_dom_sysinfo *si)
{
    _cleanup_opt_ struct opt o = { 0 };

    if (si->noem_strings == 0)
        return 0;
    opt_kv(&o, "type", "11");
    for (size_t i = 0; i < si->noem_strings; i++)
        opt_kv(&o, "value", "%s", si->oem_strings[i]);
    return cmd_opt(c, "-smbios", &o);
}

/* SI's tables; SKIP_UUID for the host's, whose uuid is not the guest's. */
static int smbios_tables(struct cmd *c, const struct mv_dom_sysinfo *si, bool skip_uuid)
{
    int r;

    /* QEMU builds a single type 2 table */
    if (si->nboards > 1)
        return cmd_refuse(c, "QEMU gives a guest one SMBIOS base board; <sysinfo> has %zu <baseBoard>",
                          si->nboards);
    if ((r = smbios_table(c, 0, si->bios, MV_SYSINFO_BIOS_LAST, mv_sysinfo_bios_to_string, -1)) < 0 ||
        (r = smbios_table(c, 1, si->system, MV_SYSINFO_SYSTEM_LAST, mv_sysinfo_system_to_string,
                          skip_uuid ? MV_SYSINFO_SYSTEM_UUID : -1)) < 0)
        return r;
    if (si->nboards == 1 &&
        (r = smbios_table(c, 2, si->boards[0], MV_SYSINFO_BOARD_LAST, mv_sysinfo_board_to_string, -1)) < 0)
        return r;
    if ((r = smbios_table(c, 3, si->chassis, MV_SYSINFO_CHASSIS_LAST, mv_sysinfo_chassis_to_string, -1)) < 0)
        return r;
    return smbios_oem(c, si);
}

int build_smbios(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;

    switch (def->os.smbios) {
    case MV_DOM_SMBIOS_SYSINFO:
        if (!def->sysinfo.given)
            return cmd_refuse(c, "<smbios mode='sysinfo'> of domain '%s' needs a <sysinfo type='smbios'>",
                              cmd_quote(c, def->name));
        return smbios_tables(c, &def->sysinfo, false);
    case MV_DOM_SMBIOS_HOST:
        if (!c->ctx->host_sysinfo)
            return cmd_refuse(c, "<smbios mode='host'>: host SMBIOS information is not available");
        return smbios_tables(c, c->ctx->host_sysinfo, true);
    default:
        return 0;
    }
}
