/*
 * NUMA parameters: GET/SET_NUMA_PARAMETERS over <numatune><memory> (mode
 * and nodeset).
 *
 * Decisions:
 * - A domain without <numatune> answers mode strict (0) and an empty
 *   nodeset, as libvirt does.
 * - Live, only the nodeset of a strict or restrictive domain can change,
 *   and only through cpuset.mems of the domain's cgroup: QEMU's memory
 *   policy (mbind) was set at start and cannot be changed from outside.
 *   Without the cpuset controller in the group the call fails by name.
 */
#define MV_LOG_MODULE "qemud.numa"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_idset.h"
#include "domain_wire.h"
#include "guest_cgroup.h"
#include "qemud.h"
#include "tuning.h"
#include "typed_params.h"

#define NPARAMS 2
/* virDomainNumatuneMemMode, libvirt's numbers */
enum { MODE_STRICT, MODE_PREFERRED, MODE_INTERLEAVE, MODE_RESTRICTIVE, MODE_LAST };

static const struct qemud_tparam_spec specs[] = {
    { "numa_mode", QEMUD_TP_INT },
    { "numa_nodeset", QEMUD_TP_STRING },
    { NULL, 0 },
};

static int to_wire_mode(enum mv_dom_numatune_mode m)
{
    switch (m) {
    case MV_DOM_NUMATUNE_PREFERRED: return MODE_PREFERRED;
    case MV_DOM_NUMATUNE_INTERLEAVE: return MODE_INTERLEAVE;
    case MV_DOM_NUMATUNE_RESTRICTIVE: return MODE_RESTRICTIVE;
    default: return MODE_STRICT;
    }
}

static enum mv_dom_numatune_mode from_wire_mode(int m)
{
    static const enum mv_dom_numatune_mode modes[] = { MV_DOM_NUMATUNE_STRICT, MV_DOM_NUMATUNE_PREFERRED,
                                                       MV_DOM_NUMATUNE_INTERLEAVE, MV_DOM_NUMATUNE_RESTRICTIVE };

    return modes[m];
}

/* ---- get ---- */

int qemud_numa_get(struct mv_call *call, mv_domain_get_numa_parameters_args *args,
                   mv_domain_get_numa_parameters_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *nodeset = NULL;
    struct qemud_tparams tp = { &ret->params.params_val, &ret->params.params_len, MV_DOMAIN_NUMA_PARAMETERS_MAX };
    const unsigned int known = QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG | QEMUD_TP_STRING_OKAY;
    bool live, config;
    int r;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainGetNumaParameters");
    if (args->nparams < 0 || args->nparams > MV_DOMAIN_NUMA_PARAMETERS_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: nparams %d is not 0 to %d",
                             args->nparams, MV_DOMAIN_NUMA_PARAMETERS_MAX);
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    if ((r = qemud_affect(call, dom, args->flags, false, &live, &config)) < 0)
        return r;
    if (args->nparams == 0) {       /* the caller asks how many there are */
        ret->nparams = NPARAMS;
        return 0;
    }
    if (!(def = qemud_dom_snapshot(dom, config)))
        return qemud_error_not_running(call, dom);
    nodeset = def->numatune.nodeset.n ? mv_dom_idset_format(&def->numatune.nodeset, ",") : strdup("");
    if (!nodeset)
        return -ENOMEM;
    if ((r = qemud_tparams_add_int(&tp, "numa_mode", to_wire_mode(def->numatune.mode))) < 0)
        return r;
    /* a client without string parameters gets the mode alone */
    if (args->nparams > 1 && (args->flags & QEMUD_TP_STRING_OKAY) &&
        (r = qemud_tparams_add_string(&tp, "numa_nodeset", nodeset)) < 0)
        return r;
    ret->nparams = (int)ret->params.params_len;
    return 0;
}

/* ---- set ---- */

struct change {
    bool has_mode, has_nodeset;
    int mode;
    struct mv_dom_idset nodeset;    /* ours */
};

static int edit(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque)
{
    const struct change *c = opaque;
    struct mv_dom_numatune *nt = &def->numatune;

    (void)call, (void)dom;
    if (c->has_nodeset) {
        unsigned int *ids = malloc(c->nodeset.n * sizeof(*ids));

        if (!ids)
            return -ENOMEM;
        memcpy(ids, c->nodeset.ids, c->nodeset.n * sizeof(*ids));
        free(nt->nodeset.ids);
        nt->nodeset.ids = ids;
        nt->nodeset.n = c->nodeset.n;
    }
    if (c->has_mode)
        nt->mode = from_wire_mode(c->mode);
    else if (nt->mode == MV_DOM_NUMATUNE_ABSENT)
        nt->mode = MV_DOM_NUMATUNE_STRICT;
    nt->given = nt->memory_given = true;
    return 0;
}

static int set_live(struct mv_call *call, struct qemud_dom *dom, struct change *c)
{
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);
    _cleanup_free_ char *text = NULL;
    enum mv_dom_numatune_mode mode;
    int r;

    if (!live)
        return qemud_error_not_running(call, dom);
    mode = live->numatune.mode;
    if (c->has_mode && from_wire_mode(c->mode) != (mode == MV_DOM_NUMATUNE_ABSENT ? MV_DOM_NUMATUNE_STRICT : mode))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: "
                             "can't change numatune mode for running domain '%s'", dom->name);
    if (!c->has_nodeset)
        return 0;
    if (mode != MV_DOM_NUMATUNE_ABSENT && mode != MV_DOM_NUMATUNE_STRICT && mode != MV_DOM_NUMATUNE_RESTRICTIVE)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: "
                             "change of nodeset for running domain '%s' requires strict or restrictive numa mode",
                             dom->name);
    if (!qemud_guest_cgroup_has(dom->uuid_str, "cpuset.mems"))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: "
                             "cgroup cpuset controller is not available for domain '%s' (its cgroup2 group has no "
                             "cpuset.mems)", dom->name);
    if (!(text = mv_dom_idset_format(&c->nodeset, ",")))
        return -ENOMEM;
    if ((r = qemud_guest_cgroup_write(dom->uuid_str, "cpuset.mems", text)) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write cpuset.mems '%s' of the "
                             "cgroup of domain '%s': %s", text, dom->name, strerror(-r));
    return qemud_tuning_edit(call, dom, false, edit, c);
}

static int do_set(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    struct change *c = opaque;
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0)
        return r;
    if (live && (r = set_live(call, dom, c)) < 0)
        return r;
    if (config)
        return qemud_tuning_edit(call, dom, true, edit, c);
    return 0;
}

/* The values of PARAMS into C, each checked; the nodeset against the host's nodes. */
static int read_change(struct mv_call *call, const mv_typed_param *params, u_int n, struct change *c)
{
    const mv_typed_param *p;
    struct mv_dom_idset host = { 0 };
    int r;

    if ((p = qemud_tparams_find(params, n, "numa_mode"))) {
        c->has_mode = true;
        c->mode = p->value.mv_typed_param_value_u.i;
        if (c->mode < 0 || c->mode >= MODE_LAST)
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: unsupported numatune "
                                 "mode: '%d'", c->mode);
    }
    if (!(p = qemud_tparams_find(params, n, "numa_nodeset")))
        return 0;
    c->has_nodeset = true;
    r = mv_dom_idset_parse(p->value.mv_typed_param_value_u.s, MV_DOM_CPUSET_MAX, &c->nodeset);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: Invalid nodeset of '%s' "
                             "for numatune", p->value.mv_typed_param_value_u.s);
    if ((r = qemud_tuning_host_set(call, true, &host)) < 0)
        return r;
    for (size_t i = 0; r >= 0 && i < c->nodeset.n; i++)
        if (!mv_dom_idset_has(&host, c->nodeset.ids[i]))
            r = mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: NUMA node %u is "
                              "unavailable on this host", c->nodeset.ids[i]);
    free(host.ids);
    return r;
}

int qemud_numa_set(struct mv_call *call, mv_domain_set_numa_parameters_args *args, void *ret)
{
    struct change c = { 0 };
    int r;

    (void)ret;
    if (args->flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG))
        return qemud_bad_flags(call, args->flags & ~(unsigned int)(QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG),
                               "virDomainSetNumaParameters");
    if ((r = qemud_tparams_check(call, args->params.params_val, args->params.params_len, specs)) >= 0 &&
        (r = read_change(call, args->params.params_val, args->params.params_len, &c)) >= 0)
        r = qemud_with_job(call, &args->dom, "numatune", do_set, args->flags, &c);
    free(c.nodeset.ids);
    return r;
}
