/*
 * The guest CPU: -cpu with the model, <cpu>'s own properties, and those
 * the clock's paravirtual timers (qemu_cmd_clock.c) and <features>
 * (qemu_cmd_features.c) add to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "cpu_x86_features.h"
#include "qemu_command_priv.h"

static bool is_cpu_model_name(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The -cpu model for the mode, or NULL to leave QEMU's default. */
static int cpu_model(struct cmd *c, const char **model)
{
    const struct mv_dom_cpu *cpu = &c->def->cpu;

    *model = NULL;
    switch (cpu->mode) {
    case MV_DOM_CPU_MODE_ABSENT:
        return 0;
    case MV_DOM_CPU_MODE_CUSTOM:
        if (!cpu->model)
            return 0;
        if (!is_cpu_model_name(cpu->model))
            return cmd_refuse(c, "CPU model '%s' is not a QEMU CPU model name", cmd_quote(c, cpu->model));
        *model = cpu->model;
        return 0;
    case MV_DOM_CPU_MODE_HOST_PASSTHROUGH:
        if (!c->kvm)
            return cmd_refuse(c, "CPU mode 'host-passthrough' needs KVM; with type='qemu' use "
                          "mode='maximum', mode='host-model' or a custom model");
        *model = "host";
        return 0;
    case MV_DOM_CPU_MODE_HOST_MODEL:
        *model = c->kvm ? "host" : "max";
        return 0;
    case MV_DOM_CPU_MODE_MAXIMUM:
        *model = "max";
        return 0;
    default:
        return cmd_refuse(c, "CPU mode %d is not supported", (int)cpu->mode);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the accelerator can give feature NAME (the list is sorted). */
static bool accel_has(const struct cmd *c, const char *name)
{
    size_t n = 0;

    while (c->ctx->accel_cpu_features[n])
        n++;
    return bsearch(&name, c->ctx->accel_cpu_features, n, sizeof(*c->ctx->accel_cpu_features), cmp_str) != NULL;
}

/* Whether feature F (QEMU's NAME) is on.  optional is decided here, at
 * start, from what the accelerator can give (QEMU's "max" model under it,
 * probed once): on when it can, off when it cannot, so that a feature the
 * host or TCG lacks never stops the start, as in libvirt. */
static int feature_on(struct cmd *c, const struct mv_dom_cpu_feature *f, const char *name, bool *on)
{
    switch (f->policy) {
    case MV_DOM_CPU_FEATURE_FORCE:
    case MV_DOM_CPU_FEATURE_REQUIRE:
        *on = true;
        return 0;
    case MV_DOM_CPU_FEATURE_DISABLE:
    case MV_DOM_CPU_FEATURE_FORBID:
        *on = false;
        return 0;
    case MV_DOM_CPU_FEATURE_OPTIONAL:
        if (!c->ctx->accel_cpu_features)
            return cmd_refuse(c, "<cpu><feature policy='optional' name='%s'>: the CPU features %s can give "
                              "are not known (QEMU could not be probed for them)", cmd_quote(c, f->name),
                              c->kvm ? "KVM" : "TCG");
        *on = accel_has(c, name);
        return 0;
    default:
        return cmd_refuse(c, "<cpu><feature> policy %d is not supported", (int)f->policy);
    }
}

/* Whether feature F (QEMU's NAME, turned ON) is written here: not when the
 * <features>/<clock> element that owns the property sets it (it writes it),
 * refused when that element says otherwise (optional yields to it) or when it is
 * a KVM paravirt feature turned on without KVM (QEMU clears that CPUID leaf
 * without KVM, as qemu_cmd_features.c refuses for the owners). */
static int feature_check(struct cmd *c, const struct mv_dom_cpu_feature *f, const char *name, bool on,
                         bool *write)
{
    const char *element = NULL;
    enum mv_tristate owner = cpu_prop_owner(c, name, &element);

    *write = owner == MV_TRISTATE_ABSENT;
    /* optional asks for nothing the owner does not decide */
    if (owner != MV_TRISTATE_ABSENT && f->policy == MV_DOM_CPU_FEATURE_OPTIONAL)
        return 0;
    if (owner != MV_TRISTATE_ABSENT && (owner == MV_TRISTATE_YES) != on)
        return cmd_refuse(c, "<cpu><feature policy='%s' name='%s'> contradicts %s, which sets QEMU's "
                          "-cpu property %s %s", mv_dom_cpu_feature_policy_to_string(f->policy),
                          cmd_quote(c, f->name), element, name, owner == MV_TRISTATE_YES ? "on" : "off");
    if (on && !c->kvm && strncmp(name, "kvm", 3) == 0)
        return cmd_refuse(c, "<cpu><feature policy='%s' name='%s'> needs KVM (domain type='kvm'): it is "
                          "in the KVM paravirtual CPUID leaf", mv_dom_cpu_feature_policy_to_string(f->policy),
                          cmd_quote(c, f->name));
    return 0;
}

/* <cpu> migratable, <cache>, the features by policy and check as -cpu
 * properties.  A feature QEMU cannot give under the accelerator is left
 * out with a warning unless the CPU is enforced, which check='partial' and
 * 'full' ask for: then QEMU refuses to start instead, as libvirt's check
 * refuses a CPU that differs from the definition (optional features are
 * resolved first, so they never count). */
static int cpu_def_props(struct cmd *c, struct opt *o)
{
    const struct mv_dom_cpu *cpu = &c->def->cpu;

    if (cpu->migratable != MV_TRISTATE_ABSENT)
        opt_onoff(o, "migratable", cpu->migratable == MV_TRISTATE_YES);
    if (cpu->cache_mode == MV_DOM_CPU_CACHE_PASSTHROUGH)
        opt_onoff(o, "host-cache-info", true);
    else if (cpu->cache_mode != MV_DOM_CPU_CACHE_ABSENT)
        opt_onoff(o, "l3-cache", cpu->cache_mode == MV_DOM_CPU_CACHE_EMULATE);
    for (size_t i = 0; i < cpu->nfeatures; i++) {
        const struct mv_dom_cpu_feature *f = &cpu->features[i];
        const char *name = mv_cpu_x86_feature(f->name);
        bool on = false, write;
        int r;

        if (!name)
            return cmd_refuse(c, "unknown CPU feature '%s'", cmd_quote(c, f->name));
        if ((r = feature_on(c, f, name, &on)) < 0 || (r = feature_check(c, f, name, on, &write)) < 0)
            return r;
        if (write)
            opt_onoff(o, name, on);
    }
    if (streq(cpu->check, "partial") || streq(cpu->check, "full"))
        opt_onoff(o, "enforce", true);
    return 0;
}

int build_cpu(struct cmd *c)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *model;
    size_t model_len;
    int r = cpu_model(c, &model);

    if (r < 0)
        return r;
    /* properties need a model in front: QEMU's own default for x86_64 */
    opt_kv(&o, NULL, "%s", model ? model : QEMU_DEFAULT_CPU_MODEL);
    model_len = o.len;
    if ((r = cpu_def_props(c, &o)) < 0 || (r = cpu_clock_props(c, &o)) < 0 ||
        (r = cpu_feature_props(c, &o)) < 0)
        return r;
    if (!model && o.len == model_len)
        return 0;
    return cmd_opt(c, "-cpu", &o);
}
