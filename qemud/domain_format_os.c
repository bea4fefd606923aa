/*
 * <sysinfo> and <os> in libvirt's layout: the firmware choice and its
 * features, loader and variable store, the boot menu, BIOS settings and
 * the SMBIOS mode.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "domain_format_priv.h"

static void attr_yesno(struct mv_xml_out *o, const char *name, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, name, t == MV_TRISTATE_YES ? "yes" : "no");
}

/* <ELEMENT> with an <entry name=...> per value set; nothing when none is. */
static void section(struct mv_xml_out *o, const char *element, char *const *values, size_t n,
                    const char *(*name)(int))
{
    bool any = false;

    for (size_t i = 0; i < n; i++)
        any |= values[i] != NULL;
    if (!any)
        return;
    mv_xml_out_start(o, element);
    for (size_t i = 0; i < n; i++) {
        if (!values[i])
            continue;
        mv_xml_out_start(o, "entry");
        mv_xml_out_attr(o, "name", name((int)i));
        mv_xml_out_text(o, values[i]);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

void dom_format_sysinfo(struct mv_xml_out *o, const struct mv_dom_sysinfo *si)
{
    if (!si->given)
        return;
    mv_xml_out_start(o, "sysinfo");
    mv_xml_out_attr(o, "type", "smbios");
    section(o, "bios", si->bios, MV_SYSINFO_BIOS_LAST, mv_sysinfo_bios_to_string);
    section(o, "system", si->system, MV_SYSINFO_SYSTEM_LAST, mv_sysinfo_system_to_string);
    for (size_t i = 0; i < si->nboards; i++)
        section(o, "baseBoard", si->boards[i], MV_SYSINFO_BOARD_LAST, mv_sysinfo_board_to_string);
    section(o, "chassis", si->chassis, MV_SYSINFO_CHASSIS_LAST, mv_sysinfo_chassis_to_string);
    if (si->noem_strings) {
        mv_xml_out_start(o, "oemStrings");
        for (size_t i = 0; i < si->noem_strings; i++)
            mv_xml_out_text_elem(o, "entry", si->oem_strings[i]);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void fw_features(struct mv_xml_out *o, const struct mv_dom_os *os)
{
    if (!os->fw_enrolled_keys && !os->fw_secure_boot)
        return;
    mv_xml_out_start(o, "firmware");
    if (os->fw_enrolled_keys) {
        mv_xml_out_start(o, "feature");
        attr_yesno(o, "enabled", os->fw_enrolled_keys);
        mv_xml_out_attr(o, "name", "enrolled-keys");
        mv_xml_out_end(o);
    }
    if (os->fw_secure_boot) {
        mv_xml_out_start(o, "feature");
        attr_yesno(o, "enabled", os->fw_secure_boot);
        mv_xml_out_attr(o, "name", "secure-boot");
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void loader(struct mv_xml_out *o, const struct mv_dom_os *os)
{
    if (os->loader_given || os->loader) {
        mv_xml_out_start(o, "loader");
        attr_yesno(o, "readonly", os->loader_readonly);
        attr_yesno(o, "secure", os->loader_secure);
        mv_xml_out_attr(o, "type", mv_dom_loader_type_to_string(os->loader_type));
        mv_xml_out_text(o, os->loader);
        mv_xml_out_end(o);
    }
    if (os->nvram || os->nvram_template) {
        mv_xml_out_start(o, "nvram");
        mv_xml_out_attr(o, "template", os->nvram_template);
        mv_xml_out_text(o, os->nvram);
        mv_xml_out_end(o);
    }
}

static void bios(struct mv_xml_out *o, const struct mv_dom_os *os)
{
    if (os->bootmenu != MV_TRISTATE_ABSENT) {
        mv_xml_out_start(o, "bootmenu");
        attr_yesno(o, "enable", os->bootmenu);
        if (os->bootmenu_timeout_given)
            mv_xml_out_attrf(o, "timeout", "%u", os->bootmenu_timeout);
        mv_xml_out_end(o);
    }
    mv_xml_out_leaf(o, "smbios", "mode", mv_dom_smbios_mode_to_string(os->smbios));
    if (os->bios_given) {
        mv_xml_out_start(o, "bios");
        attr_yesno(o, "useserial", os->bios_useserial);
        if (os->bios_reboot_timeout_given)
            mv_xml_out_attrf(o, "rebootTimeout", "%d", os->bios_reboot_timeout);
        mv_xml_out_end(o);
    }
}

void dom_format_os(struct mv_xml_out *o, const struct mv_dom_os *os)
{
    mv_xml_out_start(o, "os");
    mv_xml_out_attr(o, "firmware", mv_dom_os_firmware_to_string(os->firmware));
    mv_xml_out_start(o, "type");
    mv_xml_out_attr(o, "arch", os->arch);
    mv_xml_out_attr(o, "machine", os->machine);
    mv_xml_out_text(o, os->type ? os->type : "hvm");
    mv_xml_out_end(o);
    fw_features(o, os);
    loader(o, os);
    mv_xml_out_text_elem(o, "kernel", os->kernel);
    mv_xml_out_text_elem(o, "initrd", os->initrd);
    mv_xml_out_text_elem(o, "cmdline", os->cmdline);
    mv_xml_out_text_elem(o, "dtb", os->dtb);
    for (size_t i = 0; i < os->nboot; i++)
        mv_xml_out_leaf(o, "boot", "dev", mv_dom_boot_dev_to_string(os->boot[i]));
    bios(o, os);
    mv_xml_out_end(o);
}
