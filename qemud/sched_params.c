/*
 * Scheduler parameters: GET_SCHEDULER_TYPE, GET/SET_SCHEDULER_PARAMETERS
 * (and _FLAGS) over <cputune> and the guest's cgroup (sched_params.h).
 *
 * Decisions:
 * - The type is "posix" with the five parameters a definition holds
 *   (cpu_shares, vcpu_period, vcpu_quota, emulator_period,
 *   emulator_quota), answered also where no cgroup can take them, so that
 *   virsh schedinfo --config works on every host.
 * - Live values need the cpu controller in the domain's group; without it
 *   the call fails by name, as libvirt's does without its cpu controller.
 *   Live they are read back from the group (cpu.weight, cpu.max), so what
 *   is shown is what the kernel applies.
 */
#define MV_LOG_MODULE "qemud.sched"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_wire.h"
#include "guest_cgroup.h"
#include "log.h"
#include "qemud.h"
#include "sched_params.h"
#include "tuning.h"
#include "typed_params.h"

#define NPARAMS 5
/* libvirt's bounds: <shares> 2..262144 (cgroup v1), v2's cpu.weight 1..10000;
 * period 1 ms..1 s, quota 1 ms..2^44 us or -1 */
#define SHARES_MAX 262144ULL
#define WEIGHT_MAX 10000ULL
#define PERIOD_MIN 1000ULL
#define PERIOD_MAX 1000000ULL
#define QUOTA_MIN 1000LL
#define QUOTA_MAX 17592186044415LL

static const struct qemud_tparam_spec specs[] = {
    { "cpu_shares", QEMUD_TP_ULLONG },
    { "vcpu_period", QEMUD_TP_ULLONG },
    { "vcpu_quota", QEMUD_TP_LLONG },
    { "emulator_period", QEMUD_TP_ULLONG },
    { "emulator_quota", QEMUD_TP_LLONG },
    { NULL, 0 },
};

/* ---- the group ---- */

/* What the group applies: cpu.weight, cpu.max's period and its quota per vCPU. */
static int read_live(struct mv_call *call, struct qemud_dom *dom, unsigned int vcpus, struct mv_dom_cputune *t)
{
    char weight[64], max[64], quota[32];
    int r;

    if (!qemud_guest_cgroup_has_cpu(dom->uuid_str))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: "
                             "cgroup CPU controller is not available for domain '%s' (its cgroup2 group has no "
                             "cpu.weight and cpu.max)", dom->name);
    if ((r = qemud_guest_cgroup_read(dom->uuid_str, "cpu.weight", weight, sizeof(weight))) < 0 ||
        (r = qemud_guest_cgroup_read(dom->uuid_str, "cpu.max", max, sizeof(max))) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read the CPU limits of the cgroup "
                             "of domain '%s': %s", dom->name, strerror(-r));
    if (sscanf(weight, "%llu", &t->shares) != 1 || sscanf(max, "%31s %llu", quota, &t->period) != 2)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: cannot parse the cgroup "
                             "of domain '%s': cpu.weight '%s', cpu.max '%s'", dom->name, weight, max);
    t->quota = strcmp(quota, "max") == 0 ? -1 : atoll(quota) / (long long)(vcpus ? vcpus : 1);
    return 0;
}

/* ---- get ---- */

int qemud_sched_get_type(struct mv_call *call, mv_domain_args *args, mv_domain_get_scheduler_type_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);

    if (!dom)
        return -EIO;
    if (!(ret->type = strdup("posix")))
        return -ENOMEM;
    ret->nparams = NPARAMS;
    return 0;
}

static int fill(struct qemud_tparams *tp, const struct mv_dom_cputune *t, int nparams)
{
    int r = 0;

    if (nparams > 0 && (r = qemud_tparams_add_ullong(tp, "cpu_shares", t->shares)) < 0)
        return r;
    if (nparams > 1 && (r = qemud_tparams_add_ullong(tp, "vcpu_period", t->period)) < 0)
        return r;
    if (nparams > 2 && (r = qemud_tparams_add_llong(tp, "vcpu_quota", t->quota)) < 0)
        return r;
    if (nparams > 3 && (r = qemud_tparams_add_ullong(tp, "emulator_period", t->emulator_period)) < 0)
        return r;
    if (nparams > 4)
        r = qemud_tparams_add_llong(tp, "emulator_quota", t->emulator_quota);
    return r;
}

static int get(struct mv_call *call, const mv_nonnull_domain *wire, int nparams, unsigned int flags,
               struct qemud_tparams *tp)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    const unsigned int known = QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG | QEMUD_TP_STRING_OKAY;
    struct mv_dom_cputune t;
    bool live, config;
    int r;

    if (flags & ~known)
        return qemud_bad_flags(call, flags & ~known, "virDomainGetSchedulerParametersFlags");
    if (nparams < 0 || nparams > MV_DOMAIN_SCHEDULER_PARAMETERS_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: nparams %d is not "
                             "0 to %d", nparams, MV_DOMAIN_SCHEDULER_PARAMETERS_MAX);
    if (!(dom = qemud_dom_from_wire(call, wire)))
        return -EIO;
    if ((r = qemud_affect(call, dom, flags, false, &live, &config)) < 0)
        return r;
    if (!(def = qemud_dom_snapshot(dom, config)))
        return qemud_error_not_running(call, dom);
    t = def->cputune;
    if (live && (r = read_live(call, dom, def->vcpus_current, &t)) < 0)
        return r;
    return fill(tp, &t, nparams);
}

int qemud_sched_get(struct mv_call *call, mv_domain_get_scheduler_parameters_args *args,
                    mv_domain_get_scheduler_parameters_ret *ret)
{
    struct qemud_tparams tp = { &ret->params.params_val, &ret->params.params_len, MV_DOMAIN_SCHEDULER_PARAMETERS_MAX };

    return get(call, &args->dom, args->nparams, 0, &tp);
}

int qemud_sched_get_flags(struct mv_call *call, mv_domain_get_scheduler_parameters_flags_args *args,
                          mv_domain_get_scheduler_parameters_flags_ret *ret)
{
    struct qemud_tparams tp = { &ret->params.params_val, &ret->params.params_len, MV_DOMAIN_SCHEDULER_PARAMETERS_MAX };

    return get(call, &args->dom, args->nparams, args->flags, &tp);
}

/* ---- set ---- */

struct change {
    const mv_typed_param *params;
    u_int n;
};

static bool given(const struct change *c, const char *field, const mv_typed_param **p)
{
    return (*p = qemud_tparams_find(c->params, c->n, field)) != NULL;
}

/* Bounds of every value, before anything changes. */
static int check_values(struct mv_call *call, const struct change *c, bool live)
{
    const mv_typed_param *p;
    unsigned long long shares_max = live ? WEIGHT_MAX : SHARES_MAX;

    if (given(c, "cpu_shares", &p) &&
        (p->value.mv_typed_param_value_u.ul < 1 || p->value.mv_typed_param_value_u.ul > shares_max))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: cpu_shares %llu is not "
                             "1 to %llu%s", (unsigned long long)p->value.mv_typed_param_value_u.ul, shares_max,
                             live ? " (the range of cgroup v2's cpu.weight)" : "");
    for (int i = 0; i < 2; i++) {
        const char *field = i ? "emulator_period" : "vcpu_period";
        unsigned long long v;

        if (given(c, field, &p) && (v = p->value.mv_typed_param_value_u.ul) != 0 &&
            (v < PERIOD_MIN || v > PERIOD_MAX))
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: %s %llu is not %llu to "
                                 "%llu (microseconds)", field, v, PERIOD_MIN, PERIOD_MAX);
    }
    for (int i = 0; i < 2; i++) {
        const char *field = i ? "emulator_quota" : "vcpu_quota";
        long long v;

        if (given(c, field, &p) && (v = p->value.mv_typed_param_value_u.l) != 0 &&
            v != -1 && (v < QUOTA_MIN || v > QUOTA_MAX))
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: %s %lld is not -1 "
                                 "(unlimited) or %lld to %lld (microseconds)", field, v, QUOTA_MIN, QUOTA_MAX);
    }
    return 0;
}

static int edit(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque)
{
    const struct change *c = opaque;
    struct mv_dom_cputune *t = &def->cputune;
    const mv_typed_param *p;

    (void)call, (void)dom;
    if (given(c, "cpu_shares", &p))
        t->shares = p->value.mv_typed_param_value_u.ul;
    if (given(c, "vcpu_period", &p))
        t->period = p->value.mv_typed_param_value_u.ul;
    if (given(c, "vcpu_quota", &p))
        t->quota = p->value.mv_typed_param_value_u.l;
    if (given(c, "emulator_period", &p))
        t->emulator_period = p->value.mv_typed_param_value_u.ul;
    if (given(c, "emulator_quota", &p))
        t->emulator_quota = p->value.mv_typed_param_value_u.l;
    t->given = true;
    return 0;
}

static int set_live(struct mv_call *call, struct qemud_dom *dom, const struct change *c)
{
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);
    const mv_typed_param *p, *q;
    const char *failed = "?";
    int r;

    if (given(c, "emulator_period", &p) || given(c, "emulator_quota", &p))
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU, "argument unsupported: %s cannot "
                             "be set on running domain '%s': the emulator threads share the domain's one cgroup "
                             "with its vCPUs (set it with --config)", p->field, dom->name);
    if (!qemud_guest_cgroup_has_cpu(dom->uuid_str))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: "
                             "cgroup CPU controller is not available for domain '%s' (its cgroup2 group has no "
                             "cpu.weight and cpu.max)", dom->name);
    if (!live)
        return qemud_error_not_running(call, dom);
    given(c, "cpu_shares", &p);
    given(c, "vcpu_period", &q);
    r = qemud_guest_cgroup_set_cpu(dom->uuid_str, p ? p->value.mv_typed_param_value_u.ul : 0,
                          q ? q->value.mv_typed_param_value_u.ul : 0,
                          given(c, "vcpu_quota", &p) ? p->value.mv_typed_param_value_u.l : 0, live->vcpus_current,
                          &failed);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write %s of the cgroup of domain "
                             "'%s': %s", failed, dom->name, strerror(-r));
    return qemud_tuning_edit(call, dom, false, edit, (void *)c);
}

static int do_set(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    const struct change *c = opaque;
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0 ||
        (r = check_values(call, c, live)) < 0)
        return r;
    if (live && (r = set_live(call, dom, c)) < 0)
        return r;
    if (config)
        return qemud_tuning_edit(call, dom, true, edit, (void *)c);
    return 0;
}

static int set(struct mv_call *call, const mv_nonnull_domain *wire, const mv_typed_param *params, u_int n,
               unsigned int flags)
{
    struct change c = { params, n };
    int r;

    if (flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG))
        return qemud_bad_flags(call, flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG),
                               "virDomainSetSchedulerParametersFlags");
    if ((r = qemud_tparams_check(call, params, n, specs)) < 0)
        return r;
    return qemud_with_job(call, wire, "schedinfo", do_set, flags, &c);
}

int qemud_sched_set(struct mv_call *call, mv_domain_set_scheduler_parameters_args *args, void *ret)
{
    (void)ret;
    return set(call, &args->dom, args->params.params_val, args->params.params_len, 0);
}

int qemud_sched_set_flags(struct mv_call *call, mv_domain_set_scheduler_parameters_flags_args *args, void *ret)
{
    (void)ret;
    return set(call, &args->dom, args->params.params_val, args->params.params_len, args->flags);
}
