/*
 * The host's SMBIOS facts (virConnectGetSysinfo) as libvirt's
 * <sysinfo type='smbios'>, read from <sysroot>/sys/class/dmi/id rather than
 * by running dmidecode.
 */
#pragma once

#include "domain_def.h"

/*
 * Formats <sysinfo type='smbios'> with <bios>, <system>, <baseBoard> and
 * <chassis> entries from the DMI files that exist and are readable (others
 * are left out) into *xml (caller frees).  -ENOENT with *errmsg "Host SMBIOS
 * information is not available" when the host has no /sys/class/dmi/id;
 * other -errno with *errmsg set too.  *errmsg (caller frees) is set only on failure.
 */
int mv_host_sysinfo_format(const char *sysroot, char **xml, char **errmsg);

/*
 * The same facts as a domain's <sysinfo> (for <smbios mode='host'>): the
 * readable DMI files into SI (caller clears it).  -ENOENT when the host has
 * no /sys/class/dmi/id, -ENOMEM.
 */
int mv_host_sysinfo_read(const char *sysroot, struct mv_dom_sysinfo *si);
