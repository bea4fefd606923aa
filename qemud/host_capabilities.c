#define MV_LOG_MODULE "qemud.host"
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "host_capabilities.h"
#include "host_cpuinfo.h"
#include "sysfs.h"
#include "host_xml.h"
#include "log.h"

struct cpu_facts {
    const char *vendor;             /* libvirt's vendor name, NULL if unknown */
    unsigned long family, model, stepping;
    bool have_signature;
    unsigned long long microcode;
};

static int parse_ulong(const char *s, int base, unsigned long long *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, base);
    return errno || end == s || *end ? -EINVAL : 0;
}

static unsigned long long cpuinfo_number(const char *cpuinfo, const char *key, int base, bool *ok)
{
    _cleanup_free_ char *value = NULL;
    unsigned long long v = 0;

    if (mv_host_cpuinfo_value(cpuinfo, key, &value) < 0 || parse_ulong(value, base, &v) < 0)
        *ok = false;
    return v;
}

/* What /proc/cpuinfo says of the first CPU; anything it does not say is left out of the XML. */
static void read_cpu_facts(const char *sysroot, struct cpu_facts *f)
{
    static const struct { const char *id, *name; } vendors[] = {
        { "GenuineIntel", "Intel" },
        { "AuthenticAMD", "AMD" },
        { "HygonGenuine", "Hygon" },
    };
    _cleanup_free_ char *cpuinfo = NULL;
    _cleanup_free_ char *vendor = NULL;
    bool ok = true;

    *f = (struct cpu_facts){ 0 };
    if (mv_sysfs_read(sysroot, "/proc/cpuinfo", &cpuinfo) < 0)
        return;
    if (mv_host_cpuinfo_value(cpuinfo, "vendor_id", &vendor) == 0)
        for (size_t i = 0; i < MV_ARRAY_SIZE(vendors); i++)
            if (strcmp(vendor, vendors[i].id) == 0)
                f->vendor = vendors[i].name;
    f->family = (unsigned long)cpuinfo_number(cpuinfo, "cpu family", 10, &ok);
    f->model = (unsigned long)cpuinfo_number(cpuinfo, "model", 10, &ok);
    f->stepping = (unsigned long)cpuinfo_number(cpuinfo, "stepping", 10, &ok);
    f->have_signature = ok && f->family > 0;
    ok = true;
    f->microcode = cpuinfo_number(cpuinfo, "microcode", 16, &ok);
    if (!ok)
        f->microcode = 0;
}

/* IOMMU groups exist only when an IOMMU is enabled (intel_iommu=on, amd_iommu). */
static bool have_iommu(const char *sysroot)
{
    _cleanup_free_ char *path = mv_sysfs_path(sysroot, "/sys/kernel/iommu_groups");
    DIR *d;
    struct dirent *e;
    bool found = false;

    if (!path || !(d = opendir(path)))
        return false;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            found = true;
            break;
        }
    closedir(d);
    return found;
}

static int write_host_cpu(xmlTextWriterPtr w, const struct mv_host_caps_input *in)
{
    const struct mv_node_info *node = in->node;
    struct cpu_facts f;

    read_cpu_facts(in->sysroot, &f);
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cpu"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "arch", BAD_CAST node->model));
    /* no <model>: naming one honestly needs libvirt's CPU map and a CPUID walk */
    if (f.vendor)
        MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "vendor", BAD_CAST f.vendor));
    if (f.microcode > 0) {
        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "microcode"));
        MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "version", "%llu", f.microcode));
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    if (f.have_signature) {
        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "signature"));
        MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "family", "%lu", f.family));
        MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "model", "%lu", f.model));
        MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "stepping", "%lu", f.stepping));
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "topology"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "sockets", "%d", node->sockets));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "dies", BAD_CAST "1"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "cores", "%d", node->cores));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "threads", "%d", node->threads));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_cell(xmlTextWriterPtr w, const struct mv_host_cell *cell)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cell"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "id", "%d", cell->id));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "memory"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "unit", BAD_CAST "KiB"));
    MV_XML_TRY(xmlTextWriterWriteFormatString(w, "%llu", cell->memory_kib));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    if (cell->ndistances > 0) {
        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "distances"));
        for (int i = 0; i < cell->ndistances; i++) {
            MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "sibling"));
            MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "id", "%d",
                                                         cell->distances[i].node));
            MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "value", "%d",
                                                         cell->distances[i].value));
            MV_XML_TRY(xmlTextWriterEndElement(w));
        }
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cpus"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "num", "%d", cell->ncpus));
    for (int i = 0; i < cell->ncpus; i++) {
        const struct mv_host_cpu *cpu = &cell->cpus[i];

        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cpu"));
        MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "id", "%d", cpu->id));
        if (cpu->online) {
            MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "socket_id", "%d",
                                                         cpu->socket_id));
            MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "die_id", "%d", cpu->die_id));
            MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "core_id", "%d",
                                                         cpu->core_id));
            MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "siblings", BAD_CAST cpu->siblings));
        }
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_host(xmlTextWriterPtr w, const struct mv_host_caps_input *in)
{
    _cleanup_(mv_host_topology_clear) struct mv_host_topology topo = { 0 };
    int r;

    r = mv_host_topology_read(in->sysroot, &topo);
    if (r < 0)
        return r;

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "host"));
    if (in->host_uuid)
        MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "uuid", BAD_CAST in->host_uuid));
    r = write_host_cpu(w, in);
    if (r < 0)
        return r;
    /* modvirt implements no virNodeSuspendForDuration: no suspend targets */
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "power_management"));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "iommu"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "support",
                                           BAD_CAST (have_iommu(in->sysroot) ? "yes" : "no")));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    /* no <migration_features>: modvirt does not migrate */

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "topology"));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cells"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "num", "%d", topo.ncells));
    for (int i = 0; i < topo.ncells; i++) {
        r = write_cell(w, &topo.cells[i]);
        if (r < 0)
            return r;
    }
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));

    /* no sVirt driver: guests run under no security label */
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "secmodel"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "model", BAD_CAST "none"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "doi", BAD_CAST "0"));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_machine(xmlTextWriterPtr w, const struct mv_qemu_caps *qemu, size_t i,
                         const char *name, const char *canonical)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "machine"));
    if (canonical)
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "canonical", BAD_CAST canonical));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "maxCpus", "%d",
                                                 mv_qemu_caps_machine_max_cpus(qemu, i)));
    if (qemu->machine_deprecated && qemu->machine_deprecated[i])
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "deprecated", BAD_CAST "yes"));
    MV_XML_TRY(xmlTextWriterWriteString(w, BAD_CAST name));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_empty(xmlTextWriterPtr w, const char *name)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST name));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_toggle(xmlTextWriterPtr w, const char *name, const char *def, const char *toggle)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST name));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "default", BAD_CAST def));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "toggle", BAD_CAST toggle));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_domain_type(xmlTextWriterPtr w, const char *type)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "domain"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST type));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/*
 * One x86_64 guest, as libvirt's QEMU driver lists it: each canonical machine
 * then its alias (canonical='...'), default first.  Features are those libvirt
 * gives an x86_64 QEMU guest; pae/nonpae belong to its i686 guest only.
 */
static int write_guest(xmlTextWriterPtr w, const struct mv_qemu_caps *qemu, bool kvm_usable)
{
    int r;

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "guest"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "os_type", BAD_CAST "hvm"));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "arch"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST "x86_64"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "wordsize", BAD_CAST "64"));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "emulator", BAD_CAST qemu->binary));
    for (size_t i = 0; i < qemu->nmachines; i++) {
        r = write_machine(w, qemu, i, qemu->machines[i], NULL);
        if (r == 0 && qemu->machine_aliases && qemu->machine_aliases[i])
            r = write_machine(w, qemu, i, qemu->machine_aliases[i], qemu->machines[i]);
        if (r < 0)
            return r;
    }
    if ((r = write_domain_type(w, "qemu")) < 0)
        return r;
    /* only when a test vCPU really ran: a /dev/kvm that hangs is no KVM */
    if (kvm_usable && (r = write_domain_type(w, "kvm")) < 0)
        return r;
    MV_XML_TRY(xmlTextWriterEndElement(w));

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "features"));
    if ((r = write_toggle(w, "acpi", "on", "yes")) < 0 ||
        (r = write_toggle(w, "apic", "on", "no")) < 0 ||
        (r = write_empty(w, "cpuselection")) < 0 ||
        (r = write_empty(w, "deviceboot")) < 0 ||
        (r = write_toggle(w, "disksnapshot", "on", "no")) < 0)
        return r;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* 8-4-4-4-12 hex digits, or 32 hex digits: the two forms libvirt's schema accepts */
static bool valid_uuid(const char *s)
{
    size_t len = strlen(s), digits = 0;

    for (size_t i = 0; i < len; i++) {
        if (isxdigit((unsigned char)s[i]))
            digits++;
        else if (s[i] != '-' || len != 36 || !(i == 8 || i == 13 || i == 18 || i == 23))
            return false;
    }
    return digits == 32 && (len == 32 || len == 36);
}

int mv_host_capabilities_format(const struct mv_host_caps_input *in, char **xml)
{
    _cleanup_(mv_host_xml_discard) struct mv_host_xml x = { 0 };
    int r;

    if (!in || !in->node || !in->node->model[0])
        return -EINVAL;
    if (in->host_uuid && !valid_uuid(in->host_uuid))
        return -EINVAL;
    if (in->qemu && (!in->qemu->binary || in->qemu->binary[0] != '/'))
        return -EINVAL;

    r = mv_host_xml_new(&x);
    if (r < 0)
        return r;
    MV_XML_TRY(xmlTextWriterStartElement(x.w, BAD_CAST "capabilities"));
    r = write_host(x.w, in);
    if (r == 0 && in->qemu)
        r = write_guest(x.w, in->qemu, in->kvm_usable);
    if (r < 0)
        return r;
    return mv_host_xml_finish(&x, xml);
}
