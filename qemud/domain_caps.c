#define MV_LOG_MODULE "qemud.domcaps"
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "domain_caps.h"
#include "domain_def.h"
#include "host_xml.h"
#include "machine_family.h"

/* The only guest architecture qemud starts (qemu_command.c's check_os). */
#define DOMCAPS_ARCH "x86_64"

/*
 * Values qemud's parser accepts that are not in a domain_def.h enum table
 * (domain_parse_devices.c lists them as choices).  The integration test
 * starts a guest with each video model, so a change there shows here.
 */
static const char *const video_models[] = { "vga", "cirrus", "virtio", "qxl", "bochs", "ramfb", "none", NULL };
static const char *const rng_models[] = { "virtio", NULL };
static const char *const rng_backends[] = { "random", NULL };
/* a channel's source types that need nothing from outside the daemon */
static const char *const channel_types[] = { "pty", "unix", "spicevmc", NULL };
/* without SPICE: a spicevmc channel or USB redirection has no display to go through */
static const char *const channel_types_no_spice[] = { "pty", "unix", NULL };
static const char *const redirdev_buses[] = { "usb", NULL };
static const char *const loader_types[] = { "rom", "pflash", NULL };
static const char *const yes_no[] = { "yes", "no", NULL };
static const char *const none[] = { NULL };

static int set_errmsg(char **errmsg, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_errmsg(char **errmsg, int err, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(errmsg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        *errmsg = NULL;
        return -ENOMEM;
    }
    return err;
}

static int choose_machine(const struct mv_qemu_caps *qemu, const char *name, size_t *machine,
                          char **errmsg)
{
    int i;

    if (!name && !(name = qemu->default_machine))
        return set_errmsg(errmsg, -EINVAL, "QEMU binary '%s' names no default machine type; "
                          "give one", qemu->binary);
    i = mv_qemu_caps_find_machine(qemu, name);
    if (i < 0)
        return set_errmsg(errmsg, -EINVAL, "unknown machine type '%s' for emulator '%s'",
                          name, qemu->binary);
    if (mv_machine_family(qemu->machines[i]) == MV_MACHINE_UNSUPPORTED)
        return set_errmsg(errmsg, -EINVAL, "machine type '%s' is not supported by modvirt-qemud; "
                          "use a pc (i440fx) or q35 machine", name);
    *machine = (size_t)i;
    return 0;
}

/* PATH names the file qemud runs, by that name or another (a /bin link on a merged /usr). */
static bool same_emulator(const char *path, const char *binary)
{
    struct stat a, b;

    if (strcmp(path, binary) == 0)
        return true;
    return path[0] == '/' && stat(path, &a) == 0 && stat(binary, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int mv_domain_caps_choose(const struct mv_qemu_caps *qemu, bool kvm_usable,
                          const struct mv_domain_caps_request *req,
                          struct mv_domain_caps_choice *choice, char **errmsg)
{
    struct mv_domain_caps_choice c = { .kvm = kvm_usable };
    int r;

    *errmsg = NULL;
    if (req->emulatorbin && !same_emulator(req->emulatorbin, qemu->binary))
        return set_errmsg(errmsg, -EINVAL, "emulator '%s' is not the QEMU modvirt-qemud runs ('%s')",
                          req->emulatorbin, qemu->binary);
    if (req->arch && strcmp(req->arch, DOMCAPS_ARCH) != 0)
        return set_errmsg(errmsg, -EINVAL, "architecture '%s' is not supported; only '%s'",
                          req->arch, DOMCAPS_ARCH);
    if (req->virttype) {
        if (strcmp(req->virttype, "qemu") != 0 && strcmp(req->virttype, "kvm") != 0)
            return set_errmsg(errmsg, -EINVAL, "unknown virttype '%s' (use 'qemu' or 'kvm')",
                              req->virttype);
        c.kvm = strcmp(req->virttype, "kvm") == 0;
        if (c.kvm && !kvm_usable)
            return set_errmsg(errmsg, -ENOTSUP, "virttype 'kvm' is not usable on this host "
                              "(KVM cannot run guests); use 'qemu'");
    }
    if ((r = choose_machine(qemu, req->machine, &c.machine, errmsg)) < 0)
        return r;
    *choice = c;
    return 0;
}

/* ---- the XML ---- */

static int write_supported(xmlTextWriterPtr w, bool yes)
{
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "supported", BAD_CAST (yes ? "yes" : "no")));
    return 0;
}

/* <NAME supported='no'/> */
static int write_unsupported(xmlTextWriterPtr w, const char *name)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST name));
    if (write_supported(w, false) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_enum(xmlTextWriterPtr w, const char *name, const char *const *values)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "enum"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name));
    for (size_t i = 0; values[i]; i++)
        MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "value", BAD_CAST values[i]));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* The names of an enum table, 0..LAST-1, as a NULL-terminated list into OUT (room for LAST + 1). */
static const char *const *enum_names(const char *(*to_string)(int), int last, const char **out)
{
    int n = 0;

    for (int v = 0; v < last; v++)
        if (to_string(v))
            out[n++] = to_string(v);
    out[n] = NULL;
    return out;
}

/* <NAME supported='yes'> with two enums (the second may be NULL) */
static int write_device(xmlTextWriterPtr w, const char *name, const char *enum1,
                        const char *const *values1, const char *enum2, const char *const *values2)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST name));
    if (write_supported(w, true) < 0 || write_enum(w, enum1, values1) < 0 ||
        (enum2 && write_enum(w, enum2, values2) < 0))
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* <tpm>: the models the command line writes, the backends this host can
 * start (swtpm installed; a host TPM device for passthrough), the versions
 * swtpm emulates. */
static int write_tpm(xmlTextWriterPtr w, const struct mv_domain_caps_tpm *tpm)
{
    const char *backends[3] = { NULL }, *versions[3] = { NULL };
    const char *models[MV_DOM_TPM_MODEL_LAST + 1];
    int nb = 0, nv = 0;

    if (tpm && tpm->passthrough)
        backends[nb++] = mv_dom_tpm_backend_to_string(MV_DOM_TPM_BACKEND_PASSTHROUGH);
    if (tpm && tpm->emulator)
        backends[nb++] = mv_dom_tpm_backend_to_string(MV_DOM_TPM_BACKEND_EMULATOR);
    if (nb == 0)
        return write_unsupported(w, "tpm");
    if (tpm->emulator && tpm->v1_2)
        versions[nv++] = mv_dom_tpm_version_to_string(MV_DOM_TPM_VERSION_1_2);
    if (tpm->emulator && tpm->v2_0)
        versions[nv++] = mv_dom_tpm_version_to_string(MV_DOM_TPM_VERSION_2_0);
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "tpm"));
    if (write_supported(w, true) < 0 ||
        write_enum(w, "model", enum_names(mv_dom_tpm_model_to_string, MV_DOM_TPM_MODEL_LAST, models)) < 0 ||
        write_enum(w, "backendModel", backends) < 0 || write_enum(w, "backendVersion", versions) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* The disk buses this machine has: q35 has no IDE (qemu_command.c refuses it there). */
static const char *const *disk_buses(const struct mv_domain_caps_input *in, const char **out)
{
    const char *machine = in->qemu->machines[in->choice.machine];
    int n = 0;

    for (int v = 0; v < MV_DOM_DISK_BUS_LAST; v++)
        if (v != MV_DOM_DISK_BUS_IDE || mv_machine_family(machine) == MV_MACHINE_PC)
            out[n++] = mv_dom_disk_bus_to_string(v);
    out[n] = NULL;
    return out;
}

/* 9p (path) is QEMU's own; virtiofs needs virtiofsd installed where qemud
 * runs it.  No "handle": QEMU 7.2 removed that 9p backend. */
static const char *const *fs_drivers(const struct mv_domain_caps_input *in, const char **out)
{
    int n = 0;

    out[n++] = mv_dom_fs_driver_to_string(MV_DOM_FS_DRIVER_PATH);
    if (in->virtiofs)
        out[n++] = mv_dom_fs_driver_to_string(MV_DOM_FS_DRIVER_VIRTIOFS);
    out[n] = NULL;
    return out;
}

/* PCI through vfio-pci only (domain_parse_hostdev.c); the backend is
 * offered only where the host has VFIO, as a start needs it. */
static int write_hostdev(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    static const char *const modes[] = { "subsystem", NULL };
    static const char *const subsys[] = { "pci", NULL };
    static const char *const vfio[] = { "vfio", NULL };

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "hostdev"));
    if (write_supported(w, true) < 0 || write_enum(w, "mode", modes) < 0 ||
        write_enum(w, "startupPolicy", none) < 0 || write_enum(w, "subsysType", subsys) < 0 ||
        write_enum(w, "capsType", none) < 0 || write_enum(w, "pciBackend", in->vfio_usable ? vfio : none) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* SPICE only from a QEMU built with it (the probe asked query-spice). */
static const char *const *graphics_types(const struct mv_domain_caps_input *in, const char **out)
{
    size_t n = 0;

    out[n++] = mv_dom_graphics_type_to_string(MV_DOM_GRAPHICS_VNC);
    if (in->qemu->spice)
        out[n++] = mv_dom_graphics_type_to_string(MV_DOM_GRAPHICS_SPICE);
    out[n] = NULL;
    return out;
}

static int write_devices(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    const char *devices[MV_DOM_DISK_DEVICE_LAST + 1], *buses[MV_DOM_DISK_BUS_LAST + 1];
    const char *fsd[MV_DOM_FS_DRIVER_LAST + 1];
    const char *graphics[MV_DOM_GRAPHICS_LAST + 1];
    int r;

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "devices"));
    /* the order domaincaps.rng requires */
    if ((r = write_device(w, "disk", "diskDevice",
                          enum_names(mv_dom_disk_device_to_string, MV_DOM_DISK_DEVICE_LAST, devices),
                          "bus", disk_buses(in, buses))) < 0 ||
        (r = write_device(w, "graphics", "type", graphics_types(in, graphics), NULL, NULL)) < 0 ||
        (r = write_device(w, "video", "modelType", video_models, NULL, NULL)) < 0 ||
        (r = write_hostdev(w, in)) < 0 ||
        (r = write_device(w, "rng", "model", rng_models, "backendModel", rng_backends)) < 0 ||
        (r = write_device(w, "filesystem", "driverType", fs_drivers(in, fsd), NULL, NULL)) < 0 ||
        (r = write_tpm(w, in->tpm)) < 0 ||
        (r = in->qemu->spice ? write_device(w, "redirdev", "bus", redirdev_buses, NULL, NULL)
                             : write_unsupported(w, "redirdev")) < 0 ||
        (r = write_device(w, "channel", "type", in->qemu->spice ? channel_types : channel_types_no_spice,
                          NULL, NULL)) < 0)
        return r;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* The <hyperv> enlightenments the accelerator takes (qemu_cmd_features.c
 * refuses vpindex, evmcs and avic under TCG: QEMU 7.2 cannot set the VP
 * index without KVM, the other two are KVM mechanisms). */
static int write_hyperv(xmlTextWriterPtr w, bool kvm)
{
    const char *names[MV_DOM_HV_LAST + 1];
    int n = 0;

    for (int v = 0; v < MV_DOM_HV_LAST; v++)
        if (kvm || (v != MV_DOM_HV_VPINDEX && v != MV_DOM_HV_EVMCS && v != MV_DOM_HV_AVIC))
            names[n++] = mv_dom_hyperv_feature_to_string(v);
    names[n] = NULL;
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "hyperv"));
    if (write_supported(w, true) < 0 || write_enum(w, "features", names) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* In domaincaps.rng's order: what libvirt's schema knows of x86, with
 * what qemud does not do (yet) as unsupported. */
static int write_features(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    static const char *const unsupported[] = {
        "genid", "backingStoreInput", "backup", "s390-pv", "sev", "sgx",
    };

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "features"));
    if (write_unsupported(w, "gic") < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "vmcoreinfo"));
    if (write_supported(w, true) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    for (size_t i = 0; i < MV_ARRAY_SIZE(unsupported); i++)
        if (write_unsupported(w, unsupported[i]) < 0)
            return -ENOMEM;
    if (write_hyperv(w, in->choice.kvm) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/*
 * <os firmware='efi'> when a descriptor's UEFI fits the machine (chosen at
 * start, qemud/firmware.c), 'bios' always (QEMU's own SeaBIOS); loaders are
 * the descriptors' code images for the machine; secure='yes' only when one
 * of them guards its flash with SMM.
 */
static int write_os(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    static const char *const no[] = { "no", NULL };
    const char *machine = in->qemu->machines[in->choice.machine];
    const char *firmware[3] = { "bios", NULL, NULL };
    bool secure = false;

    for (size_t i = 0; in->firmware && i < in->firmware->n; i++)
        if (mv_firmware_fits_machine(&in->firmware->items[i], machine)) {
            firmware[1] = "efi";
            secure |= in->firmware->items[i].requires_smm;
        }
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "os"));
    if (write_supported(w, true) < 0 || write_enum(w, "firmware", firmware) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "loader"));
    if (write_supported(w, true) < 0)
        return -ENOMEM;
    for (size_t i = 0; in->firmware && i < in->firmware->n; i++)
        if (mv_firmware_fits_machine(&in->firmware->items[i], machine))
            MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "value",
                                                 BAD_CAST in->firmware->items[i].executable));
    if (write_enum(w, "type", loader_types) < 0 || write_enum(w, "readonly", yes_no) < 0 ||
        write_enum(w, "secure", secure ? yes_no : no) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_mode(xmlTextWriterPtr w, const char *name, bool supported)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "mode"));
    MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name));
    return write_supported(w, supported);
}

/* Under KVM usability depends on the host CPU, which the TCG probe does not ask. */
static int write_custom_models(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    const struct mv_qemu_caps *q = in->qemu;

    for (size_t i = 0; i < q->ncpu_models; i++) {
        const char *usable = in->choice.kvm ? "unknown" : q->cpu_models[i].usable_tcg ? "yes" : "no";

        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "model"));
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "usable", BAD_CAST usable));
        if (q->cpu_models[i].deprecated)
            MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "deprecated", BAD_CAST "yes"));
        /* QEMU does not say; libvirt's CPU map would */
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "vendor", BAD_CAST "unknown"));
        MV_XML_TRY(xmlTextWriterWriteString(w, BAD_CAST q->cpu_models[i].name));
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    return 0;
}

/*
 * The modes as qemu_command.c's build_cpu() runs them: host-passthrough is
 * "-cpu host" and needs KVM; host-model is "-cpu host" under KVM and
 * "-cpu max" under TCG, so that is its model there; maximum is "-cpu max".
 */
static int write_cpu(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    /* <cpu migratable='on|off'>: the -cpu host/max property of that name */
    static const char *const onoff[] = { "on", "off", NULL };

    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "cpu"));
    if (write_mode(w, "host-passthrough", in->choice.kvm) < 0 ||
        (in->choice.kvm && write_enum(w, "hostPassthroughMigratable", onoff) < 0))
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    if (write_mode(w, "maximum", true) < 0 || write_enum(w, "maximumMigratable", onoff) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    if (write_mode(w, "host-model", true) < 0)
        return -ENOMEM;
    if (!in->choice.kvm) {
        MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "model"));
        MV_XML_TRY(xmlTextWriterWriteAttribute(w, BAD_CAST "fallback", BAD_CAST "forbid"));
        MV_XML_TRY(xmlTextWriterWriteString(w, BAD_CAST "max"));
        MV_XML_TRY(xmlTextWriterEndElement(w));
    }
    MV_XML_TRY(xmlTextWriterEndElement(w));
    if (write_mode(w, "custom", true) < 0 || write_custom_models(w, in) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

/* The machine's own limit, and KVM's too when KVM runs it. */
static int max_vcpus(const struct mv_domain_caps_input *in)
{
    int max = mv_qemu_caps_machine_max_cpus(in->qemu, in->choice.machine);

    if (in->choice.kvm && in->kvm_max_vcpus > 0 && in->kvm_max_vcpus < max)
        max = in->kvm_max_vcpus;
    return max;
}

static int write_head(xmlTextWriterPtr w, const struct mv_domain_caps_input *in)
{
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "path", BAD_CAST in->qemu->binary));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "domain",
                                         BAD_CAST (in->choice.kvm ? "kvm" : "qemu")));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "machine",
                                         BAD_CAST in->qemu->machines[in->choice.machine]));
    MV_XML_TRY(xmlTextWriterWriteElement(w, BAD_CAST "arch", BAD_CAST DOMCAPS_ARCH));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "vcpu"));
    MV_XML_TRY(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "max", "%d", max_vcpus(in)));
    MV_XML_TRY(xmlTextWriterEndElement(w));
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "iothreads"));
    if (write_supported(w, true) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

static int write_memory_backing(xmlTextWriterPtr w)
{
    MV_XML_TRY(xmlTextWriterStartElement(w, BAD_CAST "memoryBacking"));
    /* qemu_cmd_memory.c's backends: memory-backend-file, -ram, -memfd */
    static const char *const sources[] = { "file", "anonymous", "memfd", NULL };

    if (write_supported(w, true) < 0 || write_enum(w, "sourceType", sources) < 0)
        return -ENOMEM;
    MV_XML_TRY(xmlTextWriterEndElement(w));
    return 0;
}

int mv_domain_caps_format(const struct mv_domain_caps_input *in, char **xml)
{
    _cleanup_(mv_host_xml_discard) struct mv_host_xml x = { 0 };
    int r;

    if (!in || !in->qemu || !in->qemu->binary || in->qemu->binary[0] != '/' ||
        in->choice.machine >= in->qemu->nmachines)
        return -EINVAL;
    r = mv_host_xml_new(&x);
    if (r < 0)
        return r;
    MV_XML_TRY(xmlTextWriterStartElement(x.w, BAD_CAST "domainCapabilities"));
    if ((r = write_head(x.w, in)) < 0 || (r = write_os(x.w, in)) < 0 || (r = write_cpu(x.w, in)) < 0 ||
        (r = write_memory_backing(x.w)) < 0 || (r = write_devices(x.w, in)) < 0 ||
        (r = write_features(x.w, in)) < 0)
        return r;
    return mv_host_xml_finish(&x, xml);
}
