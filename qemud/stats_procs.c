/*
 * The per-domain statistics procedures: block, interface and memory
 * statistics, the balloon's statistics period, block info, CPU statistics
 * and vCPU info.  Those that ask QEMU take the domain's job (stats.h), so
 * they run on workers; errors name the domain and the device.
 */
#define MV_LOG_MODULE "qemud.stats"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "domain_call.h"
#include "domain_idset.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "guest_cgroup.h"
#include "qemud.h"
#include "stats_params.h"

#define TYPED_PARAM_STRING_OKAY 4u

/* ST of the call's domain for GROUPS, running (else the call's error). */
static int collect(struct mv_call *call, const mv_nonnull_domain *wire, unsigned int groups, struct qemud_stats *st,
                   struct qemud_dom **ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, wire);
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if ((r = qemud_stats_collect(dom, groups, (int)qemud.job_wait_ms, true, st, &err)) < 0) {
        qemud_stats_clear(st);
        return r == -ENOMEM ? r : qemud_call_fail(call, &err);
    }
    if (ret)
        *ret = TAKE_PTR(dom);
    return 0;
}

static int no_disk(struct mv_call *call, const struct mv_nonnull_domain *wire, const char *path)
{
    return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: no disk '%s' in domain '%s'",
                         path, wire->name);
}

/* The disk PATH names, with QEMU's counters; "" sums every disk (libvirt's
 * meaning of an empty path). */
static int disk_stats(struct mv_call *call, const mv_nonnull_domain *wire, const char *path,
                      struct qemud_stats_block *out)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    int r, k;

    if ((r = collect(call, wire, QEMUD_STATS_BLOCK, &st, NULL)) < 0)
        return r;
    memset(out, 0, sizeof(*out));
    if (!path[0]) {
        for (size_t i = 0; i < st.def->devices.ndisks; i++) {
            const struct qemud_stats_block *b = &st.blocks[i];

            out->rd_reqs += b->rd_reqs, out->rd_bytes += b->rd_bytes, out->rd_times += b->rd_times;
            out->wr_reqs += b->wr_reqs, out->wr_bytes += b->wr_bytes, out->wr_times += b->wr_times;
            out->fl_reqs += b->fl_reqs, out->fl_times += b->fl_times, out->errs += b->errs;
        }
        return 0;
    }
    if ((k = qemud_stats_find_disk(st.def, path)) < 0)
        return no_disk(call, wire, path);
    if (!st.blocks[k].have)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: disk '%s' of domain '%s' has no medium",
                             path, wire->name);
    *out = st.blocks[k];
    return 0;
}

static int block_stats(struct mv_call *call, mv_domain_block_stats_args *args, mv_domain_block_stats_ret *ret)
{
    struct qemud_stats_block b;
    int r;

    if ((r = disk_stats(call, &args->dom, args->path, &b)) < 0)
        return r;
    ret->rd_req = (int64_t)b.rd_reqs;
    ret->rd_bytes = (int64_t)b.rd_bytes;
    ret->wr_req = (int64_t)b.wr_reqs;
    ret->wr_bytes = (int64_t)b.wr_bytes;
    ret->errs = -1;         /* as libvirt's QEMU driver: QEMU counts failed requests, not errors */
    return 0;
}

static int block_stats_flags(struct mv_call *call, mv_domain_block_stats_flags_args *args,
                             mv_domain_block_stats_flags_ret *ret)
{
    struct qemud_stat_params tp = { .max = MV_DOMAIN_BLOCK_STATS_PARAMETERS_MAX };
    struct qemud_stats_block b;
    int r;

    if (args->flags & ~TYPED_PARAM_STRING_OKAY)
        return qemud_bad_flags(call, args->flags & ~TYPED_PARAM_STRING_OKAY, "virDomainBlockStatsFlags");
    if (args->nparams < 0 || args->nparams > MV_DOMAIN_BLOCK_STATS_PARAMETERS_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "nparams too large: %d > %d", args->nparams,
                             MV_DOMAIN_BLOCK_STATS_PARAMETERS_MAX);
    if ((r = disk_stats(call, &args->dom, args->path, &b)) < 0)
        return r;
    /* libvirt's order; nparams = 0 asks how many there are */
    tp.max = args->nparams ? (size_t)args->nparams : 8;
    qemud_sp_ll(&tp, (long long)b.wr_bytes, "wr_bytes");
    qemud_sp_ll(&tp, (long long)b.wr_reqs, "wr_operations");
    qemud_sp_ll(&tp, (long long)b.rd_bytes, "rd_bytes");
    qemud_sp_ll(&tp, (long long)b.rd_reqs, "rd_operations");
    qemud_sp_ll(&tp, (long long)b.fl_reqs, "flush_operations");
    qemud_sp_ll(&tp, (long long)b.wr_times, "wr_total_times");
    qemud_sp_ll(&tp, (long long)b.rd_times, "rd_total_times");
    qemud_sp_ll(&tp, (long long)b.fl_times, "flush_total_times");
    if (tp.err == -ENOMEM) {
        qemud_sp_free(&tp);
        return -ENOMEM;
    }
    ret->nparams = args->nparams ? (int)tp.n : 8;
    if (args->nparams) {
        ret->params.params_val = TAKE_PTR(tp.v);
        ret->params.params_len = (unsigned int)tp.n;
    }
    qemud_sp_free(&tp);
    return 0;
}

static int interface_stats(struct mv_call *call, mv_domain_interface_stats_args *args,
                           mv_domain_interface_stats_ret *ret)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    const struct mv_dom_net *net;
    int r, k;

    if ((r = collect(call, &args->dom, QEMUD_STATS_INTERFACE, &st, NULL)) < 0)
        return r;
    if ((k = qemud_stats_find_net(st.def, args->device)) < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: no interface '%s' in domain '%s'", args->device, args->dom.name);
    net = &st.def->devices.nets[k];
    if (net->type == MV_DOM_NET_USER || !net->ifname)
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: interface '%s' of domain '%s' is QEMU's user network: "
                             "it has no host interface to count", args->device, args->dom.name);
    if (!st.nets[k].have)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: cannot read the counters of interface '%s' of domain '%s'",
                             net->ifname, args->dom.name);
    ret->rx_bytes = (int64_t)st.nets[k].rx_bytes, ret->rx_packets = (int64_t)st.nets[k].rx_pkts;
    ret->rx_errs = (int64_t)st.nets[k].rx_errs, ret->rx_drop = (int64_t)st.nets[k].rx_drop;
    ret->tx_bytes = (int64_t)st.nets[k].tx_bytes, ret->tx_packets = (int64_t)st.nets[k].tx_pkts;
    ret->tx_errs = (int64_t)st.nets[k].tx_errs, ret->tx_drop = (int64_t)st.nets[k].tx_drop;
    return 0;
}

static int memory_stats(struct mv_call *call, mv_domain_memory_stats_args *args, mv_domain_memory_stats_ret *ret)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    size_t n;
    int r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainMemoryStats");
    if (args->maxStats > MV_DOMAIN_MEMORY_STATS_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "maxStats too large: %u > %d", args->maxStats,
                             MV_DOMAIN_MEMORY_STATS_MAX);
    if ((r = collect(call, &args->dom, QEMUD_STATS_BALLOON, &st, NULL)) < 0)
        return r;
    n = st.nmem < args->maxStats ? st.nmem : args->maxStats;
    if (!(ret->stats.stats_val = calloc(n ? n : 1, sizeof(mv_domain_memory_stat))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ret->stats.stats_val[i].tag = st.mem[i].tag;
        ret->stats.stats_val[i].val = st.mem[i].val;
    }
    ret->stats.stats_len = (unsigned int)n;
    return 0;
}

/* ---- the balloon's statistics period ---- */

static bool virtio_balloon(const struct mv_dom_def *def)
{
    return def && def->devices.memballoon.given && def->devices.memballoon.model &&
           strcmp(def->devices.memballoon.model, "virtio") == 0;
}

/* DOM's live or persistent definition with PERIOD swapped in (readers keep their snapshots). */
static int replace_period(struct mv_call *call, struct qemud_dom *dom, bool config, struct mv_dom_def *cur,
                          int period)
{
    struct mv_dom_def *next = mv_dom_def_copy(cur);
    struct mv_err err = { 0 };

    if (!next)
        return -ENOMEM;
    next->devices.memballoon.stats_period = (unsigned int)period;
    if (qemud_dom_replace_def(dom, config, cur, next, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int period_live(struct mv_call *call, struct qemud_dom *dom, int period)
{
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);
    const char *alias = live ? live->devices.memballoon.alias : NULL;
    struct mv_err err = { 0 };
    char path[128];
    json_object *args;

    if (!virtio_balloon(live))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: domain '%s' has no virtio memory balloon "
                             "to collect statistics", dom->name);
    snprintf(path, sizeof(path), "/machine/peripheral/%s", alias ? alias : "balloon0");
    if (!(args = json_object_new_object()))
        return -ENOMEM;
    json_object_object_add(args, "path", json_object_new_string(path));
    json_object_object_add(args, "property", json_object_new_string("guest-stats-polling-interval"));
    json_object_object_add(args, "value", json_object_new_int(period));
    if (qemud_monitor_command(dom, "qom-set", args, NULL, &err) < 0)
        return qemud_call_fail(call, &err);
    return replace_period(call, dom, false, live, period);
}

static int period_config(struct mv_call *call, struct qemud_dom *dom, int period)
{
    _cleanup_dom_def_ struct mv_dom_def *def = qemud_dom_snapshot(dom, true);

    if (!def)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: transient domain '%s' has no persistent config",
                             dom->name);
    if (!virtio_balloon(def))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: domain '%s' has no virtio memory balloon "
                             "to collect statistics", dom->name);
    return replace_period(call, dom, true, def, period);
}

static int do_set_period(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    int period = *(const int *)opaque;
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0)
        return r;
    if (live && (r = period_live(call, dom, period)) < 0)
        return r;
    return config ? period_config(call, dom, period) : 0;
}

static int set_memory_stats_period(struct mv_call *call, mv_domain_set_memory_stats_period_args *args, void *ret)
{
    const unsigned int known = QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainSetMemoryStatsPeriod");
    if (args->period < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: the statistics period of domain '%s' must be 0 or more seconds, "
                             "not %d", args->dom.name, args->period);
    return qemud_with_job(call, &args->dom, "memstat-period", do_set_period, args->flags, &args->period);
}

/* ---- block info ---- */

static int get_block_info(struct mv_call *call, mv_domain_get_block_info_args *args,
                          mv_domain_get_block_info_ret *ret)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    unsigned long long alloc, cap, phys;
    const char *src;
    bool active;
    int r, k;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainGetBlockInfo");
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    if (!(def = qemud_dom_snapshot(dom, false)) || (k = qemud_stats_find_disk(def, args->path)) < 0)
        return no_disk(call, &args->dom, args->path);
    if (!(src = def->devices.disks[k].source))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: disk '%s' of domain '%s' has no source", args->path, args->dom.name);
    if ((r = qemud_stats_image_sizes(src, &alloc, &cap, &phys)) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read disk '%s' of domain '%s' (%s): %s",
                             args->path, args->dom.name, src, strerror(-r));
    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    /* running: QEMU knows the image's virtual size and what it occupies */
    if (active && (r = collect(call, &args->dom, QEMUD_STATS_BLOCK, &st, NULL)) < 0)
        return r;
    if (active && (k = qemud_stats_find_disk(st.def, args->path)) >= 0 && st.blocks[k].have_size) {
        cap = st.blocks[k].capacity;
        alloc = st.blocks[k].physical;
    }
    ret->allocation = alloc;
    ret->capacity = cap;
    ret->physical = phys;
    return 0;
}

/* ---- CPU statistics and vCPU info ---- */

static int get_cpu_stats(struct mv_call *call, mv_domain_get_cpu_stats_args *args, mv_domain_get_cpu_stats_ret *ret)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    struct qemud_stat_params tp = { 0 };
    int r;

    if (args->flags & ~TYPED_PARAM_STRING_OKAY)
        return qemud_bad_flags(call, args->flags & ~TYPED_PARAM_STRING_OKAY, "virDomainGetCPUStats");
    if (args->start_cpu != -1 || args->ncpus != 1) {
        if (args->ncpus > MV_DOMAIN_GET_CPU_STATS_NCPUS_MAX || args->nparams > MV_NODE_CPU_STATS_MAX)
            return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many CPU statistics asked for");
        /* per host CPU times need the cpuacct controller, which cgroup v2 does not have */
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: per-CPU statistics of domain '%s': only its totals "
                             "(start_cpu -1) are known", args->dom.name);
    }
    if (args->nparams > MV_NODE_CPU_STATS_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "nparams too large: %u > %d", args->nparams,
                             MV_NODE_CPU_STATS_MAX);
    if ((r = collect(call, &args->dom, QEMUD_STATS_CPU_TOTAL, &st, NULL)) < 0)
        return r;
    if (args->nparams == 0) {
        ret->nparams = 3;
        return 0;
    }
    tp.max = args->nparams;
    qemud_sp_ull(&tp, st.cpu_time, "cpu_time");
    qemud_sp_ull(&tp, st.cpu_user, "user_time");
    qemud_sp_ull(&tp, st.cpu_system, "system_time");
    if (tp.err == -ENOMEM) {
        qemud_sp_free(&tp);
        return -ENOMEM;
    }
    ret->params.params_val = TAKE_PTR(tp.v);
    ret->params.params_len = (unsigned int)tp.n;
    ret->nparams = (int)tp.n;
    return 0;
}

/* The host CPUs thread TID may run on, as a libvirt cpumap of MAPLEN bytes. */
static void vcpu_map(pid_t tid, unsigned char *map, int maplen)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    if (sched_getaffinity(tid, sizeof(set), &set) < 0)
        return;
    for (int c = 0; c < maplen * 8 && c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            mv_cpumap_set(map, (size_t)maplen, (unsigned int)c);
}

static int get_vcpus(struct mv_call *call, mv_domain_get_vcpus_args *args, mv_domain_get_vcpus_ret *ret)
{
    _cleanup_(qemud_stats_clear) struct qemud_stats st = { 0 };
    size_t n;
    int r;

    if (args->maxinfo < 1 || args->maxinfo > MV_VCPUINFO_MAX || args->maplen < 0 ||
        (args->maplen > 0 && args->maxinfo > MV_CPUMAPS_MAX / args->maplen))
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "maxinfo %d or maplen %d out of range",
                             args->maxinfo, args->maplen);
    if ((r = collect(call, &args->dom, QEMUD_STATS_VCPU, &st, NULL)) < 0)
        return r;
    n = st.nvcpus < (size_t)args->maxinfo ? st.nvcpus : (size_t)args->maxinfo;
    if (!(ret->info.info_val = calloc(n ? n : 1, sizeof(mv_vcpu_info))) ||
        !(ret->cpumaps.cpumaps_val = calloc(n * (size_t)args->maplen + 1, 1)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        mv_vcpu_info *v = &ret->info.info_val[i];

        v->number = st.vcpus[i].index;
        v->state = 1;                   /* VIR_VCPU_RUNNING */
        v->cpu_time = st.vcpus[i].time_ns;
        v->cpu = st.vcpus[i].have ? st.vcpus[i].cpu : -1;
        if (args->maplen)
            vcpu_map(st.vcpus[i].tid, (unsigned char *)ret->cpumaps.cpumaps_val + i * (size_t)args->maplen,
                     args->maplen);
    }
    ret->info.info_len = (unsigned int)n;
    ret->cpumaps.cpumaps_len = (unsigned int)(n * (size_t)args->maplen);
    return 0;
}

static const struct mv_dispatch_entry stats_procs[] = {
    MV_HANDLER(DOMAIN_BLOCK_STATS, block_stats),
    MV_HANDLER(DOMAIN_BLOCK_STATS_FLAGS, block_stats_flags),
    MV_HANDLER(DOMAIN_INTERFACE_STATS, interface_stats),
    MV_HANDLER(DOMAIN_MEMORY_STATS, memory_stats),
    MV_HANDLER(DOMAIN_SET_MEMORY_STATS_PERIOD, set_memory_stats_period),
    MV_HANDLER(DOMAIN_GET_BLOCK_INFO, get_block_info),
    MV_HANDLER(DOMAIN_GET_CPU_STATS, get_cpu_stats),
    MV_HANDLER(DOMAIN_GET_VCPUS, get_vcpus),
};
const struct mv_dispatch_table qemud_stats_table = { stats_procs, MV_ARRAY_SIZE(stats_procs) };
