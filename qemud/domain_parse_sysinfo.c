/*
 * <sysinfo type='smbios'>: the SMBIOS strings a guest sees with <os><smbios
 * mode='sysinfo'/> (QEMU's -smbios type=0,1,2,3,11).  Entries are checked
 * for what QEMU takes (a BIOS release "major.minor", a date mm/dd/yy[yy]),
 * so that a start does not fail on them; <sysinfo type='fwcfg'> is refused
 * by name.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "uuid.h"
#include "xml.h"

/* One section being read: its value slots and their names. */
struct section {
    const char *element;
    char **slots;
    int (*from_string)(const char *);
    const char *(*to_string)(int);
};

/* "N.N", each part 0-255: QEMU parses the BIOS release as two bytes. */
static bool release_ok(const char *s)
{
    unsigned int major, minor;
    char tail;

    return sscanf(s, "%3u.%3u%c", &major, &minor, &tail) == 2 && major <= 255 && minor <= 255 &&
           s[0] >= '0' && s[0] <= '9';
}

/* mm/dd/yy or mm/dd/yyyy, the form SMBIOS gives BIOS dates. */
static bool date_ok(const char *s)
{
    size_t n = strlen(s);

    if (n != 8 && n != 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((i == 2 || i == 5) ? s[i] != '/' : !(s[i] >= '0' && s[i] <= '9'))
            return false;
    return true;
}

static int check_bios_value(struct mv_xml_ctx *c, int which, const char *value)
{
    _cleanup_free_ char *q = NULL;

    if ((which != MV_SYSINFO_BIOS_RELEASE || release_ok(value)) && (which != MV_SYSINFO_BIOS_DATE || date_ok(value)))
        return 0;
    if (!(q = mv_xml_quote(value)))
        return -ENOMEM;
    if (which == MV_SYSINFO_BIOS_RELEASE)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                           "invalid <sysinfo><bios> release '%s' (QEMU takes 'major.minor', each 0-255)", q);
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid <sysinfo><bios> date '%s' (mm/dd/yy or mm/dd/yyyy)", q);
}

static int section_entry(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct section *s = obj;
    _cleanup_free_ char *value = NULL;
    int which, r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_ATTRS("name"), &value)) < 0 ||
        (r = dom_attr_enum_required(c, n, "name", s->from_string, &which)) < 0)
        return r;
    if (s->slots[which])
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<sysinfo><%s> entry '%s' given more than once", s->element,
                           s->to_string(which));
    if (s->from_string == mv_sysinfo_bios_from_string && (r = check_bios_value(c, which, value)) < 0)
        return r;
    s->slots[which] = TAKE_PTR(value);
    return 0;
}

static const struct mv_xml_rule entry_rules[] = {
    { "entry", section_entry, true },
};

static int parse_section(struct mv_xml_ctx *c, xmlNodePtr n, struct section *s)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, entry_rules, s);
}

static int si_bios(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    struct section s = { "bios", si->bios, mv_sysinfo_bios_from_string, mv_sysinfo_bios_to_string };

    return parse_section(c, n, &s);
}

static int si_system(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    struct section s = { "system", si->system, mv_sysinfo_system_from_string, mv_sysinfo_system_to_string };

    return parse_section(c, n, &s);
}

static int si_board(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    char *(*grown)[MV_SYSINFO_BOARD_LAST] = reallocarray(si->boards, si->nboards + 1, sizeof(*grown));
    struct section s = { "baseBoard", NULL, mv_sysinfo_board_from_string, mv_sysinfo_board_to_string };

    if (!grown)
        return -ENOMEM;
    si->boards = grown;
    memset(grown[si->nboards], 0, sizeof(grown[0]));
    s.slots = grown[si->nboards++];
    return parse_section(c, n, &s);
}

static int si_chassis(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    struct section s = { "chassis", si->chassis, mv_sysinfo_chassis_from_string, mv_sysinfo_chassis_to_string };

    return parse_section(c, n, &s);
}

static int oem_entry(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    char **slot = MV_XML_GROW(si->oem_strings, si->noem_strings);

    return slot ? mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, slot) : -ENOMEM;
}

static const struct mv_xml_rule oem_rules[] = {
    { "entry", oem_entry, true },
};

static int si_oem(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    if (r < 0 || (r = MV_XML_WALK(c, n, oem_rules, si)) < 0)
        return r;
    return si->noem_strings ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "<sysinfo><oemStrings> has no <entry>");
}

static const struct mv_xml_rule sysinfo_rules[] = {
    { "bios", si_bios, false },
    { "system", si_system, false },
    { "baseBoard", si_board, true },
    { "chassis", si_chassis, false },
    { "oemStrings", si_oem, false },
};

int dom_parse_sysinfo(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sysinfo *si = &((struct mv_dom_def *)obj)->sysinfo;
    _cleanup_free_ char *type = NULL;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_get(n, "type", &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(type, "fwcfg") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<sysinfo type='fwcfg'> is not supported");
    if (strcmp(type, "smbios") != 0)
        return mv_xml_fail_value(c, n, "type", type);
    si->given = true;
    return MV_XML_WALK(c, n, sysinfo_rules, si);
}

/* The system UUID is the domain's: taken as it when <uuid> is left out,
 * refused when the two differ (a guest would see two identities). */
int dom_check_sysinfo(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    const char *text = def->sysinfo.system[MV_SYSINFO_SYSTEM_UUID];
    _cleanup_free_ char *q = NULL;
    unsigned char uuid[MV_UUID_LEN];
    char given[MV_UUID_STRING_LEN];

    if (!text)
        return 0;
    if (!(q = mv_xml_quote(text)))
        return -ENOMEM;
    if (mv_uuid_parse(text, uuid) < 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid <sysinfo><system> uuid '%s'", q);
    if (mv_uuid_is_null(def->uuid)) {
        memcpy(def->uuid, uuid, MV_UUID_LEN);
        return 0;
    }
    if (memcmp(def->uuid, uuid, MV_UUID_LEN) == 0)
        return 0;
    mv_uuid_format(def->uuid, given);
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<sysinfo><system> uuid '%s' differs from the domain's <uuid> %s",
                       q, given);
}
