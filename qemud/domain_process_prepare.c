/*
 * What a start prepares before QEMU's command line is built: the live
 * definition completed (channel sockets, firmware, display sockets and
 * ports, aliases and addresses) and the host's facts the command line
 * reads (KVM, CPUs, memory, LSMs, DMI).  None of it starts a process.
 */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "cputune.h"
#include "guest_cgroup.h"
#include "display_ports.h"
#include "hostdev_claims.h"
#include "domain_address.h"
#include "domain_dir.h"
#include "domain_process_priv.h"
#include "file.h"
#include "firmware.h"
#include "host_facts.h"
#include "hostdev_pci.h"
#include "qemud.h"
#include "seclabel.h"

/* Whether KVM can run LIVE's guest; the probe is slow, so it is only
 * waited for when the domain asks for KVM. */
static bool kvm_usable_for(const struct mv_dom_def *live)
{
    const struct qemud_host_facts *facts;
    const char *msg = NULL;

    if (live->virt != MV_DOM_VIRT_KVM)
        return false;
    facts = qemud_host_facts_get(&msg);
    return facts && facts->kvm_usable;
}

/* Unix channels the user gave no path get one in the domain's directory
 * (domain_dir.h), as the command line needs a socket path for QEMU to
 * listen on. */
static int assign_channel_paths(struct qemud_dom *dom, struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.nchannels; i++) {
        struct mv_dom_chr *ch = &live->devices.channels[i];

        if (ch->type != MV_DOM_CHR_UNIX || (ch->path && !qemud_is_daemon_socket(qemud.rundir, ch->path, "channel")))
            continue;
        free(ch->path);
        if (asprintf(&ch->path, "%s/%s.d/channel%zu.sock", qemud.rundir, dom->uuid_str, i) < 0) {
            ch->path = NULL;
            return -ENOMEM;
        }
    }
    return 0;
}

/* What the host offers the guest's memory right now (free huge pages
 * change), and the directory file-backed RAM goes to, "ram" in the
 * domain's directory (domain_dir.h): QEMU creates and at once unlinks its
 * file there, and the directory goes with the domain's at stop. */
static int memory_facts(const struct mv_dom_def *live, struct mv_host_memory *mem, char **ramdir,
                        struct mv_err *err)
{
    _cleanup_free_ char *dir = NULL;
    char uuid_str[MV_UUID_STRING_LEN];
    int r = mv_host_memory_read(NULL, mem);

    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot read the host's NUMA nodes and huge pages");
    if (live->memory_backing.source != MV_DOM_MEM_SOURCE_FILE)
        return 0;
    mv_uuid_format(live->uuid, uuid_str);
    if (!(dir = qemud_domain_dir(uuid_str)) || asprintf(ramdir, "%s/ram", dir) < 0) {
        *ramdir = NULL;
        return -ENOMEM;
    }
    if (mkdir(*ramdir, 0700) < 0 && (r = -errno) != -EEXIST)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create '%s' for the memory of domain '%s'", *ramdir, live->name);
    return 0;
}

/* What the command line needs to know of the host for <cputune> and
 * <seclabel>: the online CPUs (*CPUS, malloc'd) and the LSMs (read only
 * for a domain with a <seclabel>: they only word its refusal). */
static int host_tuning_facts(const struct mv_dom_def *live, struct mv_qemu_cmd_ctx *ctx, char **cpus,
                             struct mv_err *err)
{
    const struct mv_dom_cputune *t = &live->cputune;

    if (live->nseclabels)
        qemud_host_lsms(&ctx->host_selinux, &ctx->host_apparmor);
    ctx->cgroup_cpu = qemud_guest_cgroup_offers("cpu");
    if (!t->nvcpupins && !t->niothreadpins && !t->emulatorpin.n)
        return 0;
    if (!(*cpus = qemud_host_cpus_online()))
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read the host's online "
                                "CPUs to check the <cputune> of domain '%s'", live->name);
    ctx->host_cpus_online = *cpus;
    return 0;
}

/* LIVE's firmware resolved (firmware='efi' chosen from the descriptors,
 * which name canonical machine types) and its variable store created; a
 * store created stays when the start fails later, as the user's would. */
static int prepare_firmware(struct mv_dom_def *live, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    const char *why = NULL, *machine = live->os.machine;
    const struct qemud_host_facts *facts = qemud_host_facts_get(&why);
    int code = MV_ERR_INTERNAL_ERROR, r, i;

    if (!machine && facts)
        machine = facts->qemu.default_machine;
    if (machine && facts && (i = mv_qemu_caps_find_machine(&facts->qemu, machine)) >= 0)
        machine = facts->qemu.machines[i];
    r = mv_firmware_prepare(live, machine ? machine : "pc", qemud.paths->statedir, &code, &msg);
    if (r < 0)
        mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot prepare the firmware");
    return r;
}

void qemud_start_host_clear(struct qemud_start_host *h)
{
    free(h->cpus_online);
    mv_dom_sysinfo_clear(&h->sysinfo);
    mv_host_memory_clear(&h->mem);
    free(h->ramdir);
    *h = (struct qemud_start_host){ 0 };
}

int qemud_process_prepare_def(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    int r, code = MV_ERR_INTERNAL_ERROR;

    if (assign_channel_paths(dom, live) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    /* the firmware first: its store is the only thing it leaves, and kept */
    if ((r = prepare_firmware(live, err)) < 0 ||
        (r = qemud_display_prepare(qemud.rundir, dom->uuid_str, live, err)) < 0 ||
        (r = qemud_hostdevs_claim(live, err)) < 0)
        return r;
    /* the aliases and addresses the live XML shows are the command line's */
    if ((r = mv_dom_assign(live, &code, &msg)) < 0)
        return mv_err_set(err, code, MV_FROM_QEMU, "%s", msg ? msg : "cannot assign device addresses");
    return 0;
}

int qemud_process_host_facts(const struct mv_dom_def *live, struct qemud_start_host *h,
                             struct mv_qemu_cmd_ctx *ctx, struct mv_err *err)
{
    int r;

    /* none known: the command line refuses <smbios mode='host'> by name */
    if (live->os.smbios == MV_DOM_SMBIOS_HOST && mv_host_sysinfo_read(NULL, &h->sysinfo) == 0)
        ctx->host_sysinfo = &h->sysinfo;
    ctx->kvm_usable = kvm_usable_for(live);
    ctx->accel_cpu_features = qemud_host_accel_cpu_features(ctx->kvm_usable);
    /* managed hostdevs are checked once nodedevd detached them (lend_host_resources) */
    if ((r = qemud_hostdevs_check(live, false, err)) < 0 || (r = host_tuning_facts(live, ctx, &h->cpus_online, err)) < 0 ||
        (r = memory_facts(live, &h->mem, &h->ramdir, err)) < 0)
        return r;
    ctx->host_nodes = h->mem.nodes;
    ctx->nhost_nodes = h->mem.nnodes;
    ctx->hugepages = h->mem.pages;
    ctx->nhugepages = h->mem.npages;
    ctx->memory_dir = h->ramdir;
    return 0;
}
