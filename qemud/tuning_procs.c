/*
 * Tuning procedures of a domain: vCPU pinning and count, and migration
 * speed; scheduler and NUMA parameters are in sched_params.c and
 * numa_params.c.  Every change takes the domain's job; live changes reach
 * QEMU first and then the live definition (and status file), config
 * changes replace the persistent definition after it was saved.
 */
#define MV_LOG_MODULE "qemud.tuning"
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cleanup.h"
#include "cputune.h"
#include "domain_idset.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "file.h"
#include "guest_cgroup.h"
#include "log.h"
#include "qemud.h"
#include "sched_params.h"
#include "tuning.h"
#include "vcpu_live.h"

/* virDomainVcpuFlags beyond LIVE and CONFIG */
enum { VCPU_MAXIMUM = 4, VCPU_GUEST = 8, VCPU_HOTPLUGGABLE = 16 };
/* VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY */
enum { SPEED_POSTCOPY = 1 };
/* libvirt's limit: MiB/s that still fit QEMU's int64 bytes/s */
#define SPEED_MAX_MIB (INT64_MAX / (1024 * 1024))
#define MIB (1024ULL * 1024)

/* ---- shared (tuning.h) ---- */

int qemud_tuning_edit(struct mv_call *call, struct qemud_dom *dom, bool config, qemud_def_edit_fn fn, void *opaque)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = NULL;
    _cleanup_dom_def_ struct mv_dom_def *next = NULL;
    struct mv_err err = { 0 };
    int r;

    pthread_mutex_lock(&dom->lock);
    cur = config ? dom->def : dom->live;
    if (cur)
        mv_dom_def_ref(cur);
    pthread_mutex_unlock(&dom->lock);
    if (!cur)       /* stopped or undefined meanwhile (under our job only a QEMU exit does that) */
        return config ? mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                                      "Requested operation is not valid: transient domain '%s' has no "
                                      "persistent config", dom->name)
                      : qemud_error_not_running(call, dom);
    if (!(next = mv_dom_def_copy(cur)))     /* published snapshots never change */
        return -ENOMEM;
    if ((r = fn(call, dom, next, opaque)) < 0)
        return r;
    if (qemud_dom_replace_def(dom, config, cur, TAKE_PTR(next), &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

int qemud_tuning_host_set(struct mv_call *call, bool nodes, struct mv_dom_idset *out)
{
    _cleanup_free_ char *text = NULL;
    int r;

    if (nodes) {
        r = mv_file_read_all("/sys/devices/system/node/online", 4096, &text, NULL);
        if (r == -ENOENT)       /* a kernel without NUMA: one node, 0 */
            text = strdup("0"), r = text ? 0 : -ENOMEM;
    } else {
        text = qemud_host_cpus_online();
        r = text ? 0 : -errno;
    }
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read the host's online %s: %s",
                             nodes ? "NUMA nodes" : "CPUs", strerror(-r));
    text[strcspn(text, "\n")] = '\0';
    r = mv_dom_idset_parse(text, MV_DOM_CPUSET_MAX, out);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: cannot parse the "
                             "host's online %s '%s'", nodes ? "NUMA nodes" : "CPUs", text);
    return 0;
}

/* ---- pinning ---- */

struct pin {
    unsigned int vcpu;
    struct mv_dom_idset cpuset;     /* borrowed */
};

/* The bits of MAP (LEN bytes, CPU i at bit i%8 of byte i/8) as a set. */
static int cpumap_to_set(struct mv_call *call, const unsigned char *map, size_t len, struct mv_dom_idset *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len * 8; i++)
        n += (map[i / 8] >> (i % 8)) & 1;
    if (n == 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: Empty cpu list for pinning");
    if (!(out->ids = calloc(n, sizeof(*out->ids))))
        return -ENOMEM;
    for (size_t i = 0; i < len * 8; i++)
        if ((map[i / 8] >> (i % 8)) & 1)
            out->ids[out->n++] = (unsigned int)i;
    return 0;
}

static int check_host_cpus(struct mv_call *call, const struct mv_dom_idset *set)
{
    struct mv_dom_idset host = { 0 };
    int r = qemud_tuning_host_set(call, false, &host);

    for (size_t i = 0; r >= 0 && i < set->n; i++)
        if (!mv_dom_idset_has(&host, set->ids[i])) {
            _cleanup_free_ char *online = mv_dom_idset_format(&host, ",");

            r = mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: CPU %u is not online "
                              "on this host (online: %s)", set->ids[i], online ? online : "?");
        }
    free(host.ids);
    return r;
}

static int edit_pin(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque)
{
    const struct pin *p = opaque;
    struct mv_dom_cputune *t = &def->cputune;
    struct mv_dom_vcpupin *slot = NULL;
    unsigned int *ids;

    if (p->vcpu >= def->vcpus)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: vCPU %u is out of range "
                             "of the %u vCPUs of domain '%s'", p->vcpu, def->vcpus, dom->name);
    if (!(ids = malloc(p->cpuset.n * sizeof(*ids))))
        return -ENOMEM;
    memcpy(ids, p->cpuset.ids, p->cpuset.n * sizeof(*ids));
    for (size_t i = 0; i < t->nvcpupins && !slot; i++)
        if (t->vcpupins[i].vcpu == p->vcpu)
            slot = &t->vcpupins[i];
    if (!slot) {
        struct mv_dom_vcpupin *grown = realloc(t->vcpupins, (t->nvcpupins + 1) * sizeof(*grown));

        if (!grown) {
            free(ids);
            return -ENOMEM;
        }
        t->vcpupins = grown;
        slot = &grown[t->nvcpupins++];
        memset(slot, 0, sizeof(*slot));
        slot->vcpu = p->vcpu;
    }
    free(slot->cpuset.ids);
    slot->cpuset.ids = ids;
    slot->cpuset.n = p->cpuset.n;
    t->given = true;
    return 0;
}

static int do_pin(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    struct pin *p = opaque;
    _cleanup_dom_def_ struct mv_dom_def *cur = NULL;
    struct mv_err err = { 0 };
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0)
        return r;
    if (live) {
        cur = qemud_dom_snapshot(dom, false);
        if (cur && p->vcpu >= cur->vcpus)
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: vCPU %u is out of "
                                 "range of the %u vCPUs of domain '%s'", p->vcpu, cur->vcpus, dom->name);
        if (qemud_vcpu_pin_live(dom, p->vcpu, &p->cpuset, &err) < 0)
            return qemud_call_fail(call, &err);
        if ((r = qemud_tuning_edit(call, dom, false, edit_pin, p)) < 0)
            return r;
    }
    if (config)
        return qemud_tuning_edit(call, dom, true, edit_pin, p);
    return 0;
}

static int pin(struct mv_call *call, const mv_nonnull_domain *wire, unsigned int vcpu, const char *map, u_int len,
               unsigned int flags)
{
    struct pin p = { vcpu, { 0 } };
    int r;

    if (flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG))
        return qemud_bad_flags(call, flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG),
                               "virDomainPinVcpuFlags");
    if ((r = cpumap_to_set(call, (const unsigned char *)map, len, &p.cpuset)) < 0)
        return r;
    if ((r = check_host_cpus(call, &p.cpuset)) >= 0)
        r = qemud_with_job(call, wire, "vcpupin", do_pin, flags, &p);
    free(p.cpuset.ids);
    return r;
}

static int pin_vcpu(struct mv_call *call, mv_domain_pin_vcpu_args *args, void *ret)
{
    (void)ret;
    return pin(call, &args->dom, args->vcpu, args->cpumap.cpumap_val, args->cpumap.cpumap_len, QEMUD_AFFECT_LIVE);
}

static int pin_vcpu_flags(struct mv_call *call, mv_domain_pin_vcpu_flags_args *args, void *ret)
{
    (void)ret;
    return pin(call, &args->dom, args->vcpu, args->cpumap.cpumap_val, args->cpumap.cpumap_len, args->flags);
}

/* Inline: reads a snapshot of the definition, never QEMU.  A vCPU without
 * a pin may run on every online host CPU. */
static int get_vcpu_pin_info(struct mv_call *call, mv_domain_get_vcpu_pin_info_args *args,
                             mv_domain_get_vcpu_pin_info_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    struct mv_dom_idset host = { 0 };
    bool live, config;
    size_t n;
    int r;

    if (args->flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG))
        return qemud_bad_flags(call, args->flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG),
                               "virDomainGetVcpuPinInfo");
    if (args->ncpumaps <= 0 || args->maplen <= 0 ||
        (unsigned long long)args->ncpumaps * (unsigned long long)args->maplen > MV_CPUMAPS_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: %d cpumaps of %d bytes "
                             "each are not possible (at most %d bytes in all)", args->ncpumaps, args->maplen,
                             MV_CPUMAPS_MAX);
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    if ((r = qemud_affect(call, dom, args->flags, false, &live, &config)) < 0)
        return r;
    if (!(def = qemud_dom_snapshot(dom, config)))
        return qemud_error_not_running(call, dom);
    if ((r = qemud_tuning_host_set(call, false, &host)) < 0)
        return r;
    n = (size_t)args->ncpumaps * (size_t)args->maplen;
    if (!(ret->cpumaps.cpumaps_val = calloc(n, 1))) {
        free(host.ids);
        return -ENOMEM;
    }
    ret->cpumaps.cpumaps_len = (u_int)n;
    ret->num = (int)(def->vcpus < (unsigned int)args->ncpumaps ? def->vcpus : (unsigned int)args->ncpumaps);
    for (int v = 0; v < ret->num; v++) {
        const struct mv_dom_idset *set = &host;
        unsigned char *map = (unsigned char *)ret->cpumaps.cpumaps_val + (size_t)v * (size_t)args->maplen;

        for (size_t i = 0; i < def->cputune.nvcpupins; i++)
            if (def->cputune.vcpupins[i].vcpu == (unsigned int)v)
                set = &def->cputune.vcpupins[i].cpuset;
        mv_dom_idset_to_cpumap(set, map, (size_t)args->maplen);
    }
    free(host.ids);
    return 0;
}

/* ---- vCPU count ---- */

struct count {
    unsigned int nvcpus;
    bool config;                    /* for the message: which definition */
};

static int edit_count(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque)
{
    const struct count *c = opaque;

    if (c->nvcpus > def->vcpus)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: requested vcpus is "
                             "greater than max allowable vcpus for the %s domain '%s': %u > %u",
                             c->config ? "persistent" : "live", dom->name, c->nvcpus, def->vcpus);
    def->vcpus_current = c->nvcpus;
    return 0;
}

static int edit_maximum(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque)
{
    const struct count *c = opaque;
    size_t kept = 0;

    if (def->cpu.sockets || def->cpu.ncells)
        return mv_call_error(call, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU, "unsupported configuration: domain "
                             "'%s' has a <cpu> %s naming its vCPUs: change the maximum in its XML", dom->name,
                             def->cpu.sockets ? "<topology>" : "<numa>");
    def->vcpus = c->nvcpus;
    if (def->vcpus_current > c->nvcpus)
        def->vcpus_current = c->nvcpus;
    /* pins of vCPUs that no longer exist go (the parser refuses them) */
    for (size_t i = 0; i < def->cputune.nvcpupins; i++) {
        if (def->cputune.vcpupins[i].vcpu < c->nvcpus)
            def->cputune.vcpupins[kept++] = def->cputune.vcpupins[i];
        else
            free(def->cputune.vcpupins[i].cpuset.ids);
    }
    def->cputune.nvcpupins = kept;
    return 0;
}

/* New vCPUs get their <vcpupin> from the live definition. */
static int pin_plugged(struct qemud_dom *dom, const struct mv_dom_def *live, unsigned int from, unsigned int to,
                       struct mv_err *err)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < live->cputune.nvcpupins; i++) {
        unsigned int v = live->cputune.vcpupins[i].vcpu;

        if (v >= from && v < to)
            r = qemud_vcpu_pin_live(dom, v, &live->cputune.vcpupins[i].cpuset, err);
    }
    return r;
}

static int set_live_count(struct mv_call *call, struct qemud_dom *dom, struct count *c)
{
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);
    struct mv_err err = { 0 };
    struct count reached = { 0, false };
    int r, r2;

    if (!live)
        return qemud_error_not_running(call, dom);
    if (c->nvcpus > live->vcpus)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: requested vcpus is "
                             "greater than max allowable vcpus for the live domain '%s': %u > %u", dom->name,
                             c->nvcpus, live->vcpus);
    r = qemud_vcpu_set_live(dom, live->vcpus_current, c->nvcpus, &reached.nvcpus, &err);
    if (r >= 0 && reached.nvcpus > live->vcpus_current)
        r = pin_plugged(dom, live, live->vcpus_current, reached.nvcpus, &err);
    /* <quota> is per vCPU: the group's cpu.max follows the count */
    if (r >= 0 && live->cputune.quota > 0 && qemud_guest_cgroup_has_cpu(dom->uuid_str)) {
        const char *failed = "cpu.max";
        int w = qemud_guest_cgroup_set_cpu(dom->uuid_str, 0, 0, live->cputune.quota, reached.nvcpus, &failed);

        if (w < 0)
            r = mv_err_set_errno(&err, w, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write %s of the cgroup of "
                                 "domain '%s'", failed, dom->name);
    }
    /* what changed is recorded, also when the rest failed */
    if (reached.nvcpus != live->vcpus_current && (r2 = qemud_tuning_edit(call, dom, false, edit_count, &reached)) < 0)
        mv_err_clear(&err), r = r2;
    if (r < 0 && err.message)
        return qemud_call_fail(call, &err);
    mv_info("domain '%s': %u vCPUs online (were %u)", dom->name, reached.nvcpus, live->vcpus_current);
    return r;
}

static int do_set_vcpus(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    struct count *c = opaque;
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0)
        return r;
    if ((flags & VCPU_MAXIMUM) && live)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: the maximum vCPU count "
                             "of running domain '%s' cannot be changed", dom->name);
    if (live && (r = set_live_count(call, dom, c)) < 0)
        return r;
    c->config = true;
    if (config)
        return qemud_tuning_edit(call, dom, true, flags & VCPU_MAXIMUM ? edit_maximum : edit_count, c);
    return 0;
}

static int set_vcpus_flags(struct mv_call *call, mv_domain_set_vcpus_flags_args *args, void *ret)
{
    const unsigned int known = QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST | VCPU_HOTPLUGGABLE;
    struct count c = { args->nvcpus, false };

    (void)ret;
    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainSetVcpusFlags");
    if (args->flags & VCPU_GUEST)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU, "argument unsupported: setting the "
                             "guest's own vCPU count (--guest) needs the guest agent, which modvirt-qemud does not "
                             "use for it");
    if (args->flags & VCPU_HOTPLUGGABLE)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU, "argument unsupported: "
                             "--hotpluggable: modvirt-qemud keeps no per-vCPU <vcpus> list; every vCPU beyond "
                             "<vcpu current=> can be plugged");
    if (args->nvcpus == 0 || args->nvcpus > 4096)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: %u vCPUs: a domain has "
                             "1 to 4096", args->nvcpus);
    return qemud_with_job(call, &args->dom, "setvcpus", do_set_vcpus, args->flags, &c);
}

static int set_vcpus(struct mv_call *call, mv_domain_set_vcpus_args *args, void *ret)
{
    mv_domain_set_vcpus_flags_args a = { args->dom, args->nvcpus, QEMUD_AFFECT_LIVE };

    return set_vcpus_flags(call, &a, ret);
}

/* ---- migration speed ---- */

static int do_set_speed(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    const unsigned long long *mib = opaque;
    struct mv_err err = { 0 };
    json_object *args;

    pthread_mutex_lock(&dom->lock);
    bool active = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    /* nothing keeps a shut-off domain's speed until its start */
    if (!active)
        return qemud_error_not_running(call, dom);
    if (!(args = json_object_new_object()))
        return -ENOMEM;
    json_object_object_add(args, flags & SPEED_POSTCOPY ? "max-postcopy-bandwidth" : "max-bandwidth",
                           json_object_new_int64((int64_t)(*mib * MIB)));
    if (qemud_monitor_command(dom, "migrate-set-parameters", args, NULL, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int migrate_set_max_speed(struct mv_call *call, mv_domain_migrate_set_max_speed_args *args, void *ret)
{
    unsigned long long mib = args->bandwidth;

    (void)ret;
    if (args->flags & ~(unsigned int)SPEED_POSTCOPY)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)SPEED_POSTCOPY, "virDomainMigrateSetMaxSpeed");
    if (mib > SPEED_MAX_MIB)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: bandwidth must be less "
                             "than %llu MiB/s", (unsigned long long)SPEED_MAX_MIB + 1);
    return qemud_with_job(call, &args->dom, "migrate-setspeed", do_set_speed, args->flags, &mib);
}

static int do_get_speed(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    unsigned long long *mib = opaque;
    struct mv_err err = { 0 };
    json_object *reply = NULL, *v;
    const char *key = flags & SPEED_POSTCOPY ? "max-postcopy-bandwidth" : "max-bandwidth";

    pthread_mutex_lock(&dom->lock);
    bool active = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    if (!active)
        return qemud_error_not_running(call, dom);
    if (qemud_monitor_command(dom, "query-migrate-parameters", NULL, &reply, &err) < 0)
        return qemud_call_fail(call, &err);
    if (!reply || !json_object_object_get_ex(reply, key, &v) || !json_object_is_type(v, json_type_int)) {
        json_object_put(reply);
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: QEMU of "
                             "domain '%s' reports no '%s'", dom->name, key);
    }
    *mib = (unsigned long long)json_object_get_int64(v) / MIB;
    json_object_put(reply);
    return 0;
}

static int migrate_get_max_speed(struct mv_call *call, mv_domain_flags_args *args,
                                 mv_domain_migrate_get_max_speed_ret *ret)
{
    unsigned long long mib = 0;
    int r;

    if (args->flags & ~(unsigned int)SPEED_POSTCOPY)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)SPEED_POSTCOPY, "virDomainMigrateGetMaxSpeed");
    r = qemud_with_job(call, &args->dom, "migrate-getspeed", do_get_speed, args->flags, &mib);
    ret->bandwidth = mib;
    return r;
}

/* ---- the host's CPUs, for pinning clients ---- */

/* Inline: two small sysfs reads. */
static int node_get_cpu_map(struct mv_call *call, mv_node_get_cpu_map_args *args, mv_node_get_cpu_map_ret *ret)
{
    struct mv_dom_idset online = { 0 }, present = { 0 };
    _cleanup_free_ char *text = NULL;
    int r;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virNodeGetCPUMap");
    if ((r = qemud_tuning_host_set(call, false, &online)) < 0)
        return r;
    /* present CPUs bound the map: an offline CPU still has its bit */
    if (mv_file_read_all("/sys/devices/system/cpu/present", 4096, &text, NULL) == 0) {
        text[strcspn(text, "\n")] = '\0';
        if (mv_dom_idset_parse(text, MV_DOM_CPUSET_MAX, &present) < 0)
            present.n = 0;
    }
    ret->ret = (int)((present.n ? present.ids[present.n - 1] : online.ids[online.n - 1]) + 1);
    if (args->need_online)
        ret->online = (unsigned int)online.n;
    if (args->need_map) {
        size_t len = ((size_t)ret->ret + 7) / 8;

        if (!(ret->cpumap.cpumap_val = calloc(len, 1))) {
            r = -ENOMEM;
            goto out;
        }
        ret->cpumap.cpumap_len = (u_int)len;
        mv_dom_idset_to_cpumap(&online, (unsigned char *)ret->cpumap.cpumap_val, len);
    }
out:
    free(online.ids);
    free(present.ids);
    return r;
}

static const struct mv_dispatch_entry tuning_procs[] = {
    MV_HANDLER(NODE_GET_CPU_MAP, node_get_cpu_map),
    MV_HANDLER(DOMAIN_PIN_VCPU, pin_vcpu),
    MV_HANDLER(DOMAIN_PIN_VCPU_FLAGS, pin_vcpu_flags),
    MV_HANDLER(DOMAIN_GET_VCPU_PIN_INFO, get_vcpu_pin_info),
    MV_HANDLER(DOMAIN_SET_VCPUS, set_vcpus),
    MV_HANDLER(DOMAIN_SET_VCPUS_FLAGS, set_vcpus_flags),
    MV_HANDLER(DOMAIN_GET_SCHEDULER_TYPE, qemud_sched_get_type),
    MV_HANDLER(DOMAIN_GET_SCHEDULER_PARAMETERS, qemud_sched_get),
    MV_HANDLER(DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, qemud_sched_get_flags),
    MV_HANDLER(DOMAIN_SET_SCHEDULER_PARAMETERS, qemud_sched_set),
    MV_HANDLER(DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, qemud_sched_set_flags),
    MV_HANDLER(DOMAIN_GET_NUMA_PARAMETERS, qemud_numa_get),
    MV_HANDLER(DOMAIN_SET_NUMA_PARAMETERS, qemud_numa_set),
    MV_HANDLER(DOMAIN_MIGRATE_SET_MAX_SPEED, migrate_set_max_speed),
    MV_HANDLER(DOMAIN_MIGRATE_GET_MAX_SPEED, migrate_get_max_speed),
};
const struct mv_dispatch_table qemud_tuning_table = { tuning_procs, MV_ARRAY_SIZE(tuning_procs) };
