#define MV_LOG_MODULE "qemud.host"
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "sysfs.h"
#include "host_sysinfo.h"
#include "host_xml.h"

#define DMI_DIR "/sys/class/dmi/id"

struct dmi_entry {
    const char *file;               /* under DMI_DIR */
    const char *name;               /* libvirt's <entry name=...> */
};

/* The sections and entry names libvirt's sysinfo uses, in its order. */
static const struct dmi_entry bios_entries[] = {
    { "bios_vendor", "vendor" }, { "bios_version", "version" },
    { "bios_date", "date" }, { "bios_release", "release" }, { NULL, NULL },
};
static const struct dmi_entry system_entries[] = {
    { "sys_vendor", "manufacturer" }, { "product_name", "product" },
    { "product_version", "version" }, { "product_serial", "serial" },
    { "product_uuid", "uuid" }, { "product_sku", "sku" },
    { "product_family", "family" }, { NULL, NULL },
};
static const struct dmi_entry board_entries[] = {
    { "board_vendor", "manufacturer" }, { "board_name", "product" },
    { "board_version", "version" }, { "board_serial", "serial" },
    { "board_asset_tag", "asset" }, { NULL, NULL },
};
static const struct dmi_entry chassis_entries[] = {
    { "chassis_vendor", "manufacturer" }, { "chassis_version", "version" },
    { "chassis_serial", "serial" }, { "chassis_asset_tag", "asset" }, { NULL, NULL },
};

static const struct {
    const char *element;
    const struct dmi_entry *entries;
} sections[] = {
    { "bios", bios_entries },
    { "system", system_entries },
    { "baseBoard", board_entries },
    { "chassis", chassis_entries },
};

/* A DMI value worth showing, cleaned for XML; NULL if unreadable (serials are root-only) or blank. */
static char *read_dmi(const char *sysroot, const char *file)
{
    _cleanup_free_ char *raw = NULL;
    char *clean;

    if (mv_sysfs_readf(sysroot, &raw, DMI_DIR "/%s", file) < 0)
        return NULL;
    clean = mv_host_xml_clean_text(raw);
    if (clean && !*clean) {
        free(clean);
        return NULL;
    }
    return clean;
}

static int write_section(xmlTextWriterPtr w, const char *sysroot, const char *element,
                         const struct dmi_entry *entries)
{
    bool started = false;

    for (const struct dmi_entry *e = entries; e->file; e++) {
        _cleanup_free_ char *value = read_dmi(sysroot, e->file);

        if (!value)
            continue;
        if (!started) {
            MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST element));
            started = true;
        }
        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "entry"));
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST e->name));
        MV_XML_TRY(xmlTextWriterWriteString(w, BAD_CAST value));
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    if (started)
        MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static void set_errmsg(char **errmsg, const char *msg)
{
    if (errmsg)
        *errmsg = strdup(msg);
}

int mv_host_sysinfo_format(const char *sysroot, char **xml, char **errmsg)
{
    _cleanup_(mv_host_xml_discard) struct mv_host_xml x = { 0 };
    _cleanup_free_ char *dir = mv_sysfs_path(sysroot, DMI_DIR);
    struct stat st;
    int r;

    if (!dir)
        return -ENOMEM;
    r = stat(dir, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOENT;
    if (r == -ENOTDIR)
        r = -ENOENT;
    if (r < 0) {
        if (r == -ENOENT)
            set_errmsg(errmsg, "Host SMBIOS information is not available");
        else
            set_errmsg(errmsg, "Cannot read host SMBIOS information from " DMI_DIR);
        return r;
    }

    r = mv_host_xml_new(&x);
    if (r == 0 && xmlTextWriterStartElement(x.w, BAD_CAST "sysinfo") < 0)
        r = -ENOMEM;
    if (r == 0 && xmlTextWriterWriteAttribute(x.w, BAD_CAST "type", BAD_CAST "smbios") < 0)
        r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < MV_ARRAY_SIZE(sections); i++)
        r = write_section(x.w, sysroot, sections[i].element, sections[i].entries);
    if (r == 0)
        r = mv_host_xml_finish(&x, xml);
    if (r < 0)
        set_errmsg(errmsg, "Cannot format host SMBIOS information");
    return r;
}

/* The DMI files of ENTRIES into SLOTS, indexed by FROM_STRING of their names. */
static void read_section(const char *sysroot, const struct dmi_entry *entries, char **slots,
                         int (*from_string)(const char *))
{
    for (const struct dmi_entry *e = entries; e->file; e++) {
        int i = from_string(e->name);

        if (i < 0 || slots[i])
            continue;
        slots[i] = read_dmi(sysroot, e->file);
    }
}

int mv_host_sysinfo_read(const char *sysroot, struct mv_dom_sysinfo *si)
{
    _cleanup_free_ char *dir = mv_sysfs_path(sysroot, DMI_DIR);
    struct stat st;

    *si = (struct mv_dom_sysinfo){ 0 };
    if (!dir)
        return -ENOMEM;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return -ENOENT;
    si->boards = calloc(1, sizeof(*si->boards));
    if (!si->boards)
        return -ENOMEM;
    si->nboards = 1;
    si->given = true;
    read_section(sysroot, bios_entries, si->bios, mv_sysinfo_bios_from_string);
    read_section(sysroot, system_entries, si->system, mv_sysinfo_system_from_string);
    read_section(sysroot, board_entries, si->boards[0], mv_sysinfo_board_from_string);
    read_section(sysroot, chassis_entries, si->chassis, mv_sysinfo_chassis_from_string);
    return 0;
}
