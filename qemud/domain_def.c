/* Enum tables and the destructor of struct mv_dom_def. */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"

#define MV_ENUM_IMPL(name, last, ...) \
    static const char *const name##_names[] = { __VA_ARGS__ }; \
    _Static_assert(MV_ARRAY_SIZE(name##_names) == (last), #name " table size"); \
    const char *name##_to_string(int value) \
    { \
        return value >= 0 && (size_t)value < MV_ARRAY_SIZE(name##_names) ? name##_names[value] : NULL; \
    } \
    int name##_from_string(const char *s) \
    { \
        for (size_t i = 0; s && i < MV_ARRAY_SIZE(name##_names); i++) \
            if (name##_names[i] && strcmp(name##_names[i], s) == 0) \
                return (int)i; \
        return -1; \
    }

MV_ENUM_IMPL(mv_dom_addr_type, MV_DOM_ADDR_LAST, NULL, "pci", "drive")
MV_ENUM_IMPL(mv_dom_virt, MV_DOM_VIRT_LAST, "qemu", "kvm")
MV_ENUM_IMPL(mv_dom_lifecycle_action, MV_DOM_LIFECYCLE_LAST, NULL, "destroy", "restart", "preserve")
MV_ENUM_IMPL(mv_dom_boot_dev, MV_DOM_BOOT_LAST, "hd", "cdrom", "network", "fd")
MV_ENUM_IMPL(mv_dom_loader_type, MV_DOM_LOADER_LAST, NULL, "rom", "pflash")
MV_ENUM_IMPL(mv_dom_os_firmware, MV_DOM_OS_FIRMWARE_LAST, NULL, "bios", "efi")
MV_ENUM_IMPL(mv_dom_smbios_mode, MV_DOM_SMBIOS_LAST, NULL, "emulate", "host", "sysinfo")
MV_ENUM_IMPL(mv_sysinfo_bios, MV_SYSINFO_BIOS_LAST, "vendor", "version", "date", "release")
MV_ENUM_IMPL(mv_sysinfo_system, MV_SYSINFO_SYSTEM_LAST, "manufacturer", "product", "version", "serial", "uuid",
             "sku", "family")
MV_ENUM_IMPL(mv_sysinfo_board, MV_SYSINFO_BOARD_LAST, "manufacturer", "product", "version", "serial", "asset",
             "location")
MV_ENUM_IMPL(mv_sysinfo_chassis, MV_SYSINFO_CHASSIS_LAST, "manufacturer", "version", "serial", "asset", "sku")
MV_ENUM_IMPL(mv_dom_cpu_mode, MV_DOM_CPU_MODE_LAST, NULL, "custom", "host-model", "host-passthrough", "maximum")
MV_ENUM_IMPL(mv_dom_cpu_feature_policy, MV_DOM_CPU_FEATURE_LAST, "force", "require", "optional", "disable",
             "forbid")
MV_ENUM_IMPL(mv_dom_cpu_cache_mode, MV_DOM_CPU_CACHE_LAST, NULL, "emulate", "passthrough", "disable")
MV_ENUM_IMPL(mv_dom_mem_access, MV_DOM_MEM_ACCESS_LAST, NULL, "shared", "private")
MV_ENUM_IMPL(mv_dom_mem_source, MV_DOM_MEM_SOURCE_LAST, NULL, "file", "anonymous", "memfd")
MV_ENUM_IMPL(mv_dom_mem_alloc, MV_DOM_MEM_ALLOC_LAST, NULL, "immediate", "ondemand")
MV_ENUM_IMPL(mv_dom_numatune_mode, MV_DOM_NUMATUNE_LAST, NULL, "strict", "preferred", "interleave", "restrictive")
MV_ENUM_IMPL(mv_dom_clock_offset, MV_DOM_CLOCK_LAST, "utc", "localtime")
MV_ENUM_IMPL(mv_dom_hyperv_feature, MV_DOM_HV_LAST, "relaxed", "vapic", "spinlocks", "vpindex", "runtime",
             "synic", "stimer", "reset", "vendor_id", "frequencies", "reenlightenment", "tlbflush", "ipi",
             "evmcs", "avic")
MV_ENUM_IMPL(mv_dom_hyperv_mode, MV_DOM_HYPERV_MODE_LAST, NULL, "custom", "passthrough")
MV_ENUM_IMPL(mv_dom_kvm_feature, MV_DOM_KVM_LAST, "hidden", "hint-dedicated", "poll-control", "pv-ipi")
MV_ENUM_IMPL(mv_dom_ioapic, MV_DOM_IOAPIC_LAST, NULL, "qemu", "kvm")
MV_ENUM_IMPL(mv_dom_disk_type, MV_DOM_DISK_TYPE_LAST, "file", "block", "volume")
MV_ENUM_IMPL(mv_dom_disk_device, MV_DOM_DISK_DEVICE_LAST, "disk", "cdrom")
MV_ENUM_IMPL(mv_dom_disk_format, MV_DOM_DISK_FORMAT_LAST, NULL, "raw", "qcow2")
MV_ENUM_IMPL(mv_dom_disk_cache, MV_DOM_DISK_CACHE_LAST, NULL, "none", "writethrough", "writeback",
             "directsync", "unsafe")
MV_ENUM_IMPL(mv_dom_disk_discard, MV_DOM_DISK_DISCARD_LAST, NULL, "unmap", "ignore")
MV_ENUM_IMPL(mv_dom_disk_bus, MV_DOM_DISK_BUS_LAST, "virtio", "sata", "scsi", "ide")
MV_ENUM_IMPL(mv_dom_disk_encryption, MV_DOM_DISK_ENCRYPTION_LAST, NULL, "luks")
MV_ENUM_IMPL(mv_dom_controller_type, MV_DOM_CONTROLLER_LAST, "usb", "scsi", "pci", "virtio-serial", "sata", "ide")
MV_ENUM_IMPL(mv_dom_net_type, MV_DOM_NET_LAST, "user", "bridge", "network")
MV_ENUM_IMPL(mv_dom_chr_type, MV_DOM_CHR_LAST, "pty", "file", "unix", "null", "spicevmc")
MV_ENUM_IMPL(mv_dom_seclabel_type, MV_DOM_SECLABEL_TYPE_LAST, NULL, "none", "dynamic", "static")
MV_ENUM_IMPL(mv_dom_graphics_type, MV_DOM_GRAPHICS_LAST, "vnc", "spice")
MV_ENUM_IMPL(mv_dom_fs_driver, MV_DOM_FS_DRIVER_LAST, NULL, "path", "virtiofs")
MV_ENUM_IMPL(mv_dom_fs_access, MV_DOM_FS_ACCESS_LAST, NULL, "passthrough", "mapped", "squash")
MV_ENUM_IMPL(mv_dom_fs_multidevs, MV_DOM_FS_MULTIDEVS_LAST, NULL, "default", "remap", "forbid", "warn")
MV_ENUM_IMPL(mv_dom_fs_cache, MV_DOM_FS_CACHE_LAST, NULL, "none", "always")
MV_ENUM_IMPL(mv_dom_fs_sandbox, MV_DOM_FS_SANDBOX_LAST, NULL, "namespace", "chroot")
MV_ENUM_IMPL(mv_dom_graphics_listen, MV_DOM_LISTEN_LAST, NULL, "address", "none", "socket", "network")
MV_ENUM_IMPL(mv_dom_audio_type, MV_DOM_AUDIO_LAST, "none", "spice", "file")
MV_ENUM_IMPL(mv_dom_tpm_model, MV_DOM_TPM_MODEL_LAST, "tpm-tis", "tpm-crb")
MV_ENUM_IMPL(mv_dom_tpm_backend, MV_DOM_TPM_BACKEND_LAST, "passthrough", "emulator")
MV_ENUM_IMPL(mv_dom_tpm_version, MV_DOM_TPM_VERSION_LAST, NULL, "1.2", "2.0")
MV_ENUM_IMPL(mv_dom_tpm_pcr_bank, MV_DOM_TPM_PCR_LAST, "sha1", "sha256", "sha384", "sha512")

static void strs_clear(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

void mv_dom_sysinfo_clear(struct mv_dom_sysinfo *si)
{
    strs_clear(si->bios, MV_SYSINFO_BIOS_LAST);
    strs_clear(si->system, MV_SYSINFO_SYSTEM_LAST);
    for (size_t i = 0; i < si->nboards; i++)
        strs_clear(si->boards[i], MV_SYSINFO_BOARD_LAST);
    free(si->boards);
    strs_clear(si->chassis, MV_SYSINFO_CHASSIS_LAST);
    strs_clear(si->oem_strings, si->noem_strings);
    free(si->oem_strings);
    *si = (struct mv_dom_sysinfo){ 0 };
}

static void chr_clear(struct mv_dom_chr *c)
{
    free(c->path);
    free(c->log_file);
    free(c->target_type);
    free(c->target_name);
    free(c->alias);
}

static void chrs_free(struct mv_dom_chr *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        chr_clear(&v[i]);
    free(v);
}

static void graphics_clear(struct mv_dom_graphics *g)
{
    free(g->listen);
    free(g->socket);
    free(g->network);
    free(g->passwd);
    free(g->passwd_valid_to);
    free(g->image_compression);
    free(g->jpeg);
    free(g->zlib);
    free(g->streaming);
    free(g->mouse_mode);
}

/* sounds, their audio backends and the SPICE USB redirections */
static void sounds_free(struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nsounds; i++) {
        free(d->sounds[i].model);
        for (size_t k = 0; k < d->sounds[i].ncodecs; k++)
            free(d->sounds[i].codecs[k]);
        free(d->sounds[i].codecs);
        free(d->sounds[i].alias);
    }
    free(d->sounds);
    for (size_t i = 0; i < d->naudios; i++)
        free(d->audios[i].path);
    free(d->audios);
    for (size_t i = 0; i < d->nredirdevs; i++) {
        free(d->redirdevs[i].bus);
        free(d->redirdevs[i].alias);
    }
    free(d->redirdevs);
}

static void devices_clear(struct mv_dom_devices *d)
{
    free(d->emulator);
    for (size_t i = 0; i < d->ndisks; i++) {
        free(d->disks[i].driver_name);
        free(d->disks[i].source);
        free(d->disks[i].pool);
        free(d->disks[i].volume);
        free(d->disks[i].target);
        free(d->disks[i].serial);
        free(d->disks[i].alias);
    }
    free(d->disks);
    for (size_t i = 0; i < d->ncontrollers; i++) {
        free(d->controllers[i].model);
        free(d->controllers[i].alias);
    }
    free(d->controllers);
    for (size_t i = 0; i < d->nnets; i++) {
        free(d->nets[i].source);
        free(d->nets[i].portid);
        free(d->nets[i].bridge);
        free(d->nets[i].model);
        free(d->nets[i].ifname);
        free(d->nets[i].alias);
    }
    free(d->nets);
    chrs_free(d->serials, d->nserials);
    chrs_free(d->consoles, d->nconsoles);
    chrs_free(d->channels, d->nchannels);
    for (size_t i = 0; i < d->ngraphics; i++)
        graphics_clear(&d->graphics[i]);
    free(d->graphics);
    for (size_t i = 0; i < d->nvideos; i++) {
        free(d->videos[i].model);
        free(d->videos[i].alias);
    }
    free(d->videos);
    for (size_t i = 0; i < d->ninputs; i++) {
        free(d->inputs[i].type);
        free(d->inputs[i].bus);
        free(d->inputs[i].alias);
    }
    free(d->inputs);
    for (size_t i = 0; i < d->nrngs; i++) {
        free(d->rngs[i].model);
        free(d->rngs[i].backend);
        free(d->rngs[i].alias);
    }
    free(d->rngs);
    for (size_t i = 0; i < d->nwatchdogs; i++) {
        free(d->watchdogs[i].model);
        free(d->watchdogs[i].action);
        free(d->watchdogs[i].alias);
    }
    free(d->watchdogs);
    for (size_t i = 0; i < d->npanics; i++) {
        free(d->panics[i].model);
        free(d->panics[i].alias);
    }
    free(d->panics);
    for (size_t i = 0; i < d->nhostdevs; i++)
        free(d->hostdevs[i].alias);
    free(d->hostdevs);
    sounds_free(d);
    for (size_t i = 0; i < d->ntpms; i++) {
        free(d->tpms[i].device_path);
        free(d->tpms[i].alias);
    }
    free(d->tpms);
    free(d->memballoon.model);
    free(d->memballoon.alias);
    for (size_t i = 0; i < d->nfilesystems; i++) {
        free(d->filesystems[i].model);
        free(d->filesystems[i].source_dir);
        free(d->filesystems[i].source_socket);
        free(d->filesystems[i].target);
        free(d->filesystems[i].binary.path);
        free(d->filesystems[i].alias);
    }
    free(d->filesystems);
}

static void cpu_clear(struct mv_dom_cpu *cpu)
{
    free(cpu->match);
    free(cpu->check);
    free(cpu->model);
    free(cpu->model_fallback);
    for (size_t i = 0; i < cpu->nfeatures; i++)
        free(cpu->features[i].name);
    free(cpu->features);
    for (size_t i = 0; i < cpu->ncells; i++) {
        free(cpu->cells[i].cpus.ids);
        free(cpu->cells[i].distances);
    }
    free(cpu->cells);
}

static void memory_clear(struct mv_dom_memory_backing *mb, struct mv_dom_numatune *nt)
{
    for (size_t i = 0; i < mb->npages; i++)
        free(mb->pages[i].nodeset.ids);
    free(mb->pages);
    free(nt->nodeset.ids);
    for (size_t i = 0; i < nt->nmemnodes; i++)
        free(nt->memnodes[i].nodeset.ids);
    free(nt->memnodes);
}

static void tuning_clear(struct mv_dom_def *def)
{
    struct mv_dom_cputune *t = &def->cputune;

    free(def->iothreads.ids);
    for (size_t i = 0; i < t->nvcpupins; i++)
        free(t->vcpupins[i].cpuset.ids);
    free(t->vcpupins);
    free(t->emulatorpin.ids);
    for (size_t i = 0; i < t->niothreadpins; i++)
        free(t->iothreadpins[i].cpuset.ids);
    free(t->iothreadpins);
    for (size_t i = 0; i < def->nseclabels; i++) {
        free(def->seclabels[i].model);
        free(def->seclabels[i].label);
        free(def->seclabels[i].imagelabel);
    }
    free(def->seclabels);
}

struct mv_dom_def *mv_dom_def_ref(struct mv_dom_def *def)
{
    atomic_fetch_add(&def->refs, 1);
    return def;
}

void mv_dom_def_free(struct mv_dom_def *def)
{
    /* refs counts the references beyond the first: a fresh (calloc'd)
     * definition has one owner and refs 0 */
    if (!def || atomic_fetch_sub(&def->refs, 1) > 0)
        return;
    free(def->name);
    free(def->title);
    free(def->description);
    free(def->metadata);
    free(def->os.type);
    free(def->os.arch);
    free(def->os.machine);
    free(def->os.kernel);
    free(def->os.initrd);
    free(def->os.cmdline);
    free(def->os.dtb);
    free(def->os.loader);
    free(def->os.nvram);
    free(def->os.nvram_template);
    mv_dom_sysinfo_clear(&def->sysinfo);
    cpu_clear(&def->cpu);
    memory_clear(&def->memory_backing, &def->numatune);
    for (size_t i = 0; i < def->clock.ntimers; i++) {
        free(def->clock.timers[i].name);
        free(def->clock.timers[i].tickpolicy);
        free(def->clock.timers[i].track);
        free(def->clock.timers[i].mode);
    }
    free(def->features.hyperv.vendor_id);
    free(def->clock.timers);
    devices_clear(&def->devices);
    tuning_clear(def);
    free(def);
}
