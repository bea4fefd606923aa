/* RPC handlers for the host procedures: version, hostname, node facts. */
#define MV_LOG_MODULE "qemud.procs"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_caps.h"
#include "hostdev_pci.h"
#include "firmware.h"
#include "host_facts.h"
#include "host_node.h"
#include "host_sysinfo.h"
#include "kvm_probe.h"
#include "qemud.h"
#include "virtiofs.h"
#include "tpm.h"

/* libvirt's limit for TCG guests */
#define QEMUD_TCG_MAX_VCPUS 255

static int facts_or_error(struct mv_call *call, const struct qemud_host_facts **f)
{
    const char *err = NULL;

    *f = qemud_host_facts_get(&err);
    if (!*f)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: %s", err);
    return 0;
}

static int get_version(struct mv_call *call, void *args, mv_connect_get_version_ret *ret)
{
    const struct qemud_host_facts *f;
    int r = facts_or_error(call, &f);

    if (r < 0)
        return r;
    ret->hv_ver = f->qemu.version;
    return 0;
}

static int get_capabilities(struct mv_call *call, void *args, mv_connect_get_capabilities_ret *ret)
{
    const struct qemud_host_facts *f;
    int r = facts_or_error(call, &f);

    if (r < 0)
        return r;
    ret->capabilities = strdup(f->capabilities);
    return ret->capabilities ? 0 : -ENOMEM;
}

static const char *opt_string(mv_string s)
{
    return s ? *s : NULL;
}

/* KVM's own vCPU limit, or an error reply when KVM is chosen and it cannot be read. */
static int domcaps_kvm_max_vcpus(struct mv_call *call, bool kvm, int *max)
{
    int r;

    *max = 0;
    if (!kvm)
        return 0;
    r = mv_kvm_max_vcpus("/dev/kvm");
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot query the KVM vCPU limit: %s", strerror(-r));
    *max = r;
    return 0;
}

static int get_domain_capabilities(struct mv_call *call, mv_connect_get_domain_capabilities_args *args,
                                   mv_connect_get_domain_capabilities_ret *ret)
{
    const struct mv_domain_caps_request req = {
        .emulatorbin = opt_string(args->emulatorbin), .arch = opt_string(args->arch),
        .machine = opt_string(args->machine), .virttype = opt_string(args->virttype),
    };
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list firmware = { 0 };
    _cleanup_free_ char *err = NULL;
    struct mv_domain_caps_input in = { 0 };
    struct mv_domain_caps_tpm tpm;
    const struct qemud_host_facts *f;
    int r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virConnectGetDomainCapabilities");
    if ((r = facts_or_error(call, &f)) < 0)
        return r;
    r = mv_domain_caps_choose(&f->qemu, f->kvm_usable, &req, &in.choice, &err);
    if (r == -EINVAL || r == -ENOTSUP)
        return mv_call_error(call, r == -EINVAL ? MV_ERR_INVALID_ARG : MV_ERR_CONFIG_UNSUPPORTED,
                             MV_FROM_QEMU, "%s: %s",
                             r == -EINVAL ? "invalid argument" : "unsupported configuration", err);
    if (r < 0 || (r = domcaps_kvm_max_vcpus(call, in.choice.kvm, &in.kvm_max_vcpus)) < 0)
        return r;
    in.vfio_usable = qemud_host_vfio_usable();
    /* read at each call: installing or removing ovmf needs no daemon restart */
    r = mv_firmware_scan(NULL, "x86_64", &firmware);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read the firmware descriptors in '%s': %s",
                             MV_FIRMWARE_DESCRIPTOR_DIR, strerror(-r));
    /* read at each call too: installing swtpm needs no daemon restart */
    qemud_tpm_probe(&tpm);
    in.qemu = &f->qemu;
    in.firmware = &firmware;
    /* looked for at each call, as the firmware: installing it needs no restart */
    in.virtiofs = access(MV_VIRTIOFSD_PATH, X_OK) == 0;
    in.tpm = &tpm;
    return mv_domain_caps_format(&in, &ret->capabilities);
}

static int get_hostname(struct mv_call *call, void *args, mv_connect_get_hostname_ret *ret)
{
    char name[256];

    if (gethostname(name, sizeof(name)) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot get the host name: %s", strerror(errno));
    name[sizeof(name) - 1] = '\0';
    ret->hostname = strdup(name);
    return ret->hostname ? 0 : -ENOMEM;
}

static int get_sysinfo(struct mv_call *call, mv_connect_get_sysinfo_args *args,
                       mv_connect_get_sysinfo_ret *ret)
{
    _cleanup_free_ char *err = NULL;
    int r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virConnectGetSysinfo");
    r = mv_host_sysinfo_format(NULL, &ret->sysinfo, &err);
    if (r < 0)
        return mv_call_error(call, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                             "unsupported configuration: %s", err ? err : strerror(-r));
    return 0;
}

static int get_max_vcpus(struct mv_call *call, mv_connect_get_max_vcpus_args *args,
                         mv_connect_get_max_vcpus_ret *ret)
{
    const char *type = args->type && *args->type ? *args->type : "qemu";
    const struct qemud_host_facts *f;
    int r;

    if (strcasecmp(type, "qemu") == 0) {
        ret->max_vcpus = QEMUD_TCG_MAX_VCPUS;
        return 0;
    }
    if (strcasecmp(type, "kvm") != 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: unknown guest type '%s' (use 'qemu' or 'kvm')", type);
    if ((r = facts_or_error(call, &f)) < 0)
        return r;
    if (!f->kvm_usable)
        return mv_call_error(call, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                             "unsupported configuration: KVM is not usable on this host: %s",
                             f->kvm_reason ? f->kvm_reason : "unknown reason");
    r = mv_kvm_max_vcpus("/dev/kvm");
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot query the KVM vCPU limit: %s", strerror(-r));
    ret->max_vcpus = r;
    return 0;
}

static int node_get_info(struct mv_call *call, void *args, mv_node_get_info_ret *ret)
{
    struct mv_node_info info;
    int r = mv_node_get_info(NULL, &info);

    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read host information: %s", strerror(-r));
    /* a fixed char array on the wire: NUL-padded */
    memset(ret->model, 0, sizeof(ret->model));
    memcpy(ret->model, info.model, strnlen(info.model, sizeof(ret->model) - 1));
    ret->memory = info.memory_kib;
    ret->cpus = info.cpus;
    ret->mhz = info.mhz;
    ret->nodes = info.nodes;
    ret->sockets = info.sockets;
    ret->cores = info.cores;
    ret->threads = info.threads;
    return 0;
}

/* The two-step typed-stats protocol: nparams 0 asks how many fields exist. */
static int fill_stats(struct mv_call *call, const struct mv_node_stat_field *fields, int n,
                      int nparams, mv_node_stat **vals, u_int *len, int *nret)
{
    if (nparams == 0) {
        *nret = n;
        return 0;
    }
    if (nparams < n)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: nparams %d is smaller than the %d fields available",
                             nparams, n);
    *vals = calloc((size_t)n, sizeof(**vals));
    if (!*vals)
        return -ENOMEM;
    *len = (u_int)n;
    for (int i = 0; i < n; i++) {
        (*vals)[i].field = strdup(fields[i].name);
        if (!(*vals)[i].field)
            return -ENOMEM;
        (*vals)[i].value = fields[i].value;
    }
    *nret = n;
    return 0;
}

static int node_get_memory_stats(struct mv_call *call, mv_node_get_memory_stats_args *args,
                                 mv_node_get_memory_stats_ret *ret)
{
    struct mv_node_stat_field fields[MV_NODE_MEMORY_STATS_MAX];
    int n = 0, r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virNodeGetMemoryStats");
    if (args->nparams < 0 || args->nparams > MV_NODE_MEMORY_STATS_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: nparams must be 0..%d", MV_NODE_MEMORY_STATS_MAX);
    r = mv_node_get_memory_stats(NULL, args->cellNum, fields, MV_NODE_MEMORY_STATS_MAX, &n);
    if (r == -EINVAL)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: NUMA cell %d does not exist", args->cellNum);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read memory statistics: %s", strerror(-r));
    return fill_stats(call, fields, n, args->nparams, &ret->params.params_val,
                      &ret->params.params_len, &ret->nparams);
}

static int node_get_cpu_stats(struct mv_call *call, mv_node_get_cpu_stats_args *args,
                              mv_node_get_cpu_stats_ret *ret)
{
    struct mv_node_stat_field fields[MV_NODE_CPU_STATS_MAX];
    int n = 0, r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virNodeGetCPUStats");
    if (args->nparams < 0 || args->nparams > MV_NODE_CPU_STATS_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: nparams must be 0..%d", MV_NODE_CPU_STATS_MAX);
    r = mv_node_get_cpu_stats(NULL, args->cpuNum, fields, MV_NODE_CPU_STATS_MAX, &n);
    if (r == -EINVAL)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: CPU %d does not exist", args->cpuNum);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read CPU statistics: %s", strerror(-r));
    return fill_stats(call, fields, n, args->nparams, &ret->params.params_val,
                      &ret->params.params_len, &ret->nparams);
}

static int node_get_free_memory(struct mv_call *call, void *args, mv_node_get_free_memory_ret *ret)
{
    int r = mv_node_get_free_memory(NULL, &ret->freeMem);

    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot read free memory: %s", strerror(-r));
    return 0;
}

/*
 * The checks, messages and error domains of virNodeGetCellsFreeMemory and
 * virHostMemGetCellsFree (libvirt 9.0, VIR_FROM_NONE) and of its RPC dispatcher.
 */
static int node_get_cells_free_memory(struct mv_call *call, mv_node_get_cells_free_memory_args *args,
                                      mv_node_get_cells_free_memory_ret *ret)
{
    int n = args->maxcells, highest = 0, r;

    if (n > MV_NODE_MAX_CELLS)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC,
                             "maxCells > REMOTE_NODE_MAX_CELLS");
    if (n <= 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                             "invalid argument: maxCells in virNodeGetCellsFreeMemory must be greater than zero");
    if (args->startCell < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                             "invalid argument: startCell in virNodeGetCellsFreeMemory must be zero or greater");
    ret->cells.cells_val = calloc((size_t)n, sizeof(*ret->cells.cells_val));
    if (!ret->cells.cells_val)
        return -ENOMEM;
    r = mv_node_get_cells_free_memory(NULL, args->startCell, n, ret->cells.cells_val, &highest);
    if (r == -ERANGE)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                             "internal error: start cell %d out of range (0-%d)",
                             args->startCell, highest);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                             "cannot read the free memory of NUMA cells: %s", strerror(-r));
    ret->cells.cells_len = (u_int)r;
    return 0;
}

/* No security driver (SELinux/AppArmor labelling) yet: an empty model,
 * which clients read as "none". */
static int node_get_security_model(struct mv_call *call, void *args,
                                   mv_node_get_security_model_ret *ret)
{
    ret->model.model_val = calloc(1, 1);
    ret->doi.doi_val = calloc(1, 1);
    if (!ret->model.model_val || !ret->doi.doi_val)
        return -ENOMEM;
    ret->model.model_len = 1;
    ret->doi.doi_len = 1;
    return 0;
}

static const struct mv_dispatch_entry host_procs[] = {
    /* these wait for the QEMU/KVM probe: never on the event loop */
    MV_HANDLER(CONNECT_GET_VERSION, get_version),
    MV_HANDLER(CONNECT_GET_CAPABILITIES, get_capabilities),
    MV_HANDLER(CONNECT_GET_MAX_VCPUS, get_max_vcpus),
    MV_HANDLER(CONNECT_GET_DOMAIN_CAPABILITIES, get_domain_capabilities),
    /* small procfs/sysfs reads answer at once */
    MV_HANDLER(CONNECT_GET_HOSTNAME, get_hostname),
    MV_HANDLER(CONNECT_GET_SYSINFO, get_sysinfo),
    MV_HANDLER(NODE_GET_INFO, node_get_info),
    MV_HANDLER(NODE_GET_MEMORY_STATS, node_get_memory_stats),
    MV_HANDLER(NODE_GET_CPU_STATS, node_get_cpu_stats),
    MV_HANDLER(NODE_GET_FREE_MEMORY, node_get_free_memory),
    MV_HANDLER(NODE_GET_CELLS_FREE_MEMORY, node_get_cells_free_memory),
    MV_HANDLER(NODE_GET_SECURITY_MODEL, node_get_security_model),
};
const struct mv_dispatch_table qemud_host_table = { host_procs, MV_ARRAY_SIZE(host_procs) };
