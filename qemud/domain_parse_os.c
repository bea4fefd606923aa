/*
 * <os>: the machine, how it boots (kernel, boot devices, menu), its
 * firmware (a named <loader> with its <nvram>, or firmware='efi|bios' that
 * the daemon picks from QEMU's firmware descriptors at start) and where the
 * guest's SMBIOS strings come from (<smbios mode>, with <sysinfo> in
 * domain_parse_sysinfo.c).
 *
 * What can be told from the XML alone is checked here, so that define
 * refuses it: a template or secure flash without the firmware they belong
 * to, secure boot on a machine without SMM (the i440fx "pc").  What depends
 * on the host (the firmware files, the descriptors) is checked at start.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "machine_family.h"
#include "xml.h"

/* libvirt's limits: a menu timeout and a reboot delay QEMU keeps in 16 bits */
#define BOOTMENU_TIMEOUT_MAX 65535
#define REBOOT_TIMEOUT_MAX 65535

static int os_type(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *q = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_ATTRS("arch", "machine"), &text)) < 0 ||
        (r = mv_xml_attr_token(c, n, "arch", "_", &os->arch)) < 0 ||
        (r = mv_xml_attr_token(c, n, "machine", "_.-", &os->machine)) < 0)
        return r;
    if (strcmp(mv_xml_trim(text), "hvm") != 0) {
        q = mv_xml_quote(mv_xml_trim(text));
        return q ? mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "os type '%s' (only 'hvm' is supported)", q)
                 : -ENOMEM;
    }
    os->type = strdup("hvm");
    return os->type ? 0 : -ENOMEM;
}

/* Text that is an absolute path, or empty (*OUT stays NULL). */
static int optional_path_text(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *attrs, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_text_elem(c, n, attrs, &s);

    if (r < 0)
        return r;
    if (mv_xml_is_blank(BAD_CAST s))
        return 0;
    if (s[0] != '/' || s[1] == '\0')
        return mv_xml_fail_value(c, n, NULL, s);
    *out = TAKE_PTR(s);
    return 0;
}

static int os_loader(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int type, r;

    os->loader_given = true;
    if ((r = optional_path_text(c, n, MV_XML_ATTRS("readonly", "secure", "type"), &os->loader)) < 0 ||
        (r = dom_attr_yesno(c, n, "readonly", &os->loader_readonly)) < 0 ||
        (r = dom_attr_yesno(c, n, "secure", &os->loader_secure)) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_dom_loader_type_from_string, &type)) < 0)
        return r;
    if (r)
        os->loader_type = type;
    return 0;
}

static int os_nvram(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int r;

    if ((r = optional_path_text(c, n, MV_XML_ATTRS("template"), &os->nvram)) < 0 ||
        (r = mv_xml_attr_path(c, n, "template", &os->nvram_template)) < 0)
        return r;
    if (!os->nvram && !os->nvram_template)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<os><nvram> names neither a file nor a template");
    return 0;
}

static int fw_feature(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const names[] = { "enrolled-keys", "secure-boot", NULL };
    struct mv_dom_os *os = obj;
    _cleanup_free_ char *name = NULL;
    enum mv_tristate v = MV_TRISTATE_ABSENT, *slot;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("enabled", "name"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "name", names, &name)) < 0)
        return r;
    if (!name)
        return mv_xml_fail_missing_attr(c, n, "name");
    if ((r = dom_attr_yesno(c, n, "enabled", &v)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "enabled");
    slot = strcmp(name, "secure-boot") == 0 ? &os->fw_secure_boot : &os->fw_enrolled_keys;
    if (*slot != MV_TRISTATE_ABSENT)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "firmware feature '%s' given more than once", name);
    *slot = v;
    return 0;
}

static const struct mv_xml_rule fw_rules[] = {
    { "feature", fw_feature, true },
};

static int os_firmware(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, fw_rules, obj);
}

static int os_kernel(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_path(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_os *)obj)->kernel);
}

static int os_initrd(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_path(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_os *)obj)->initrd);
}

static int os_dtb(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_path(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_os *)obj)->dtb);
}

static int os_cmdline(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_os *)obj)->cmdline);
}

static int os_boot(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int dev, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("dev"))) < 0 ||
        (r = dom_attr_enum_required(c, n, "dev", mv_dom_boot_dev_from_string, &dev)) < 0)
        return r;
    if (os->nboot == MV_DOM_BOOT_DEVS_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "at most %d <os><boot> elements are allowed",
                           MV_DOM_BOOT_DEVS_MAX);
    os->boot[os->nboot++] = dev;
    return 0;
}

static int os_bootmenu(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("enable", "timeout"))) < 0 ||
        (r = dom_attr_yesno(c, n, "enable", &os->bootmenu)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "enable");
    r = mv_xml_attr_uint_range(c, n, "timeout", false, 0, BOOTMENU_TIMEOUT_MAX, &os->bootmenu_timeout);
    if (r < 0)
        return r;
    os->bootmenu_timeout_given = r == 1;
    /* the menu's timeout means nothing without the menu */
    if (r == 1 && os->bootmenu != MV_TRISTATE_YES)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<bootmenu timeout=...> needs enable='yes'");
    return 0;
}

/* rebootTimeout: -1 (never retry) to REBOOT_TIMEOUT_MAX ms. */
static int bios_reboot_timeout(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_os *os)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r = mv_xml_attr_get(n, "rebootTimeout", &s);

    if (r <= 0)
        return r;
    if (strcmp(s, "-1") == 0) {
        os->bios_reboot_timeout = -1;
    } else {
        if (mv_xml_parse_ull(s, false, &v) < 0 || v > REBOOT_TIMEOUT_MAX)
            return mv_xml_fail_value(c, n, "rebootTimeout", s);
        os->bios_reboot_timeout = (int)v;
    }
    os->bios_reboot_timeout_given = true;
    return 1;
}

static int os_bios(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int r;

    os->bios_given = true;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("useserial", "rebootTimeout"))) < 0 ||
        (r = dom_attr_yesno(c, n, "useserial", &os->bios_useserial)) < 0)
        return r;
    r = bios_reboot_timeout(c, n, os);
    return r < 0 ? r : 0;
}

static int os_smbios(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int mode, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = dom_attr_enum_required(c, n, "mode", mv_dom_smbios_mode_from_string, &mode)) < 0)
        return r;
    os->smbios = mode;
    return 0;
}

static const struct mv_xml_rule os_rules[] = {
    { "type", os_type, false },
    { "firmware", os_firmware, false },
    { "loader", os_loader, false },
    { "nvram", os_nvram, false },
    { "kernel", os_kernel, false },
    { "initrd", os_initrd, false },
    { "cmdline", os_cmdline, false },
    { "dtb", os_dtb, false },
    { "boot", os_boot, true },
    { "bootmenu", os_bootmenu, false },
    { "bios", os_bios, false },
    { "smbios", os_smbios, false },
};

/* firmware='efi': the daemon picks the loader and the template. */
static int check_auto_firmware(struct mv_xml_ctx *c, const struct mv_dom_os *os)
{
    if (os->firmware != MV_DOM_OS_FIRMWARE_EFI) {
        if (os->fw_secure_boot || os->fw_enrolled_keys)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<os><firmware> features need <os firmware='efi'>");
        if (os->firmware == MV_DOM_OS_FIRMWARE_BIOS && os->loader_given)
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                               "<os firmware='bios'> is QEMU's own BIOS and takes no <loader>");
        return 0;
    }
    if (os->loader)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<os firmware='efi'> chooses the loader itself: <loader> must not name a file");
    if (os->loader_type == MV_DOM_LOADER_ROM || os->loader_readonly == MV_TRISTATE_NO)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<os firmware='efi'> needs a read-only pflash <loader> (the descriptors' UEFI)");
    if (os->nvram_template)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<os firmware='efi'> chooses the nvram template itself: <nvram template> must be left out");
    if (os->fw_enrolled_keys == MV_TRISTATE_YES && os->fw_secure_boot == MV_TRISTATE_NO)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "firmware feature 'enrolled-keys' needs 'secure-boot' (keys are only for secure boot)");
    return 0;
}

/* A loader named by path, and its variable store. */
static int check_manual_firmware(struct mv_xml_ctx *c, const struct mv_dom_os *os)
{
    bool pflash = os->loader_type == MV_DOM_LOADER_PFLASH;

    if (os->firmware == MV_DOM_OS_FIRMWARE_EFI)
        return 0;
    if (os->loader_given && !os->loader)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<os><loader> names no file (only firmware='efi' chooses one)");
    if ((os->nvram || os->nvram_template) && !os->loader)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<os><nvram> needs a <loader> (or <os firmware='efi'>)");
    if ((os->nvram || os->nvram_template) && (!pflash || os->loader_readonly != MV_TRISTATE_YES))
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<os><nvram> is the variable store of a read-only pflash <loader> "
                           "(type='pflash' readonly='yes')");
    if (os->loader_secure == MV_TRISTATE_YES && !pflash)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<loader secure='yes'> needs type='pflash'");
    return 0;
}

/* Secure boot keeps the variable store out of the OS's reach with SMM;
 * OVMF's SMM code drives the ICH9 chipset, so it runs on q35 only. */
static int check_secure(struct mv_xml_ctx *c, const struct mv_dom_os *os)
{
    const char *what = os->loader_secure == MV_TRISTATE_YES ? "<loader secure='yes'>"
                       : os->fw_secure_boot == MV_TRISTATE_YES ? "firmware feature 'secure-boot'"
                                                              : NULL;
    _cleanup_free_ char *q = NULL;

    if (!what || mv_machine_family(os->machine) == MV_MACHINE_Q35)
        return 0;
    q = mv_xml_quote(os->machine ? os->machine : "pc");
    if (!q)
        return -ENOMEM;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                       "secure boot (%s) needs a q35 machine (OVMF's SMM works only there); "
                       "machine '%s' is an i440fx pc",
                       what, q);
}

int dom_parse_os(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = &((struct mv_dom_def *)obj)->os;
    int fw, r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("firmware"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "firmware", mv_dom_os_firmware_from_string, &fw)) < 0)
        return r;
    if (r)
        os->firmware = fw;
    if ((r = MV_XML_WALK(c, n, os_rules, os)) < 0)
        return r;
    if (!os->type)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <os><type>");
    /* QEMU takes these only together with a kernel */
    if (!os->kernel && (os->initrd || os->cmdline || os->dtb))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<os><%s> needs <os><kernel>",
                           os->initrd ? "initrd" : os->cmdline ? "cmdline" : "dtb");
    if ((r = check_auto_firmware(c, os)) < 0 || (r = check_manual_firmware(c, os)) < 0)
        return r;
    return check_secure(c, os);
}
