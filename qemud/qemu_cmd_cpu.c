/*
 * The guest CPU model, <features> and the clock with its timers.
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

/* <cpu> migratable, <cache>, the features by policy and check as -cpu
 * properties.  A feature QEMU cannot give under the accelerator is left
 * out with a warning unless the CPU is enforced, which check='partial' and
 * 'full' ask for: then QEMU refuses to start instead, as libvirt's check
 * refuses a CPU that differs from the definition. */
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

        if (!name)
            return cmd_refuse(c, "unknown CPU feature '%s'", cmd_quote(c, f->name));
        opt_onoff(o, name, f->policy == MV_DOM_CPU_FEATURE_FORCE || f->policy == MV_DOM_CPU_FEATURE_REQUIRE ||
                               f->policy == MV_DOM_CPU_FEATURE_OPTIONAL);
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
    opt_kv(&o, NULL, "%s", model ? model : "qemu64");
    model_len = o.len;
    if ((r = cpu_def_props(c, &o)) < 0)
        return r;
    if (!model && o.len == model_len)
        return 0;
    return cmd_opt(c, "-cpu", &o);
}

/* ---- clock, features, power management, lifecycle ---- */

struct timers {
    bool rtc_catchup, no_hpet;
    const char *pit_policy;             /* QEMU's lost_tick_policy, NULL = default */
};

static int timer_rtc(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->present == MV_TRISTATE_NO)
        return cmd_refuse(c, "timer 'rtc' cannot be removed");
    if (!t->tickpolicy || streq(t->tickpolicy, "delay"))
        return 0;
    if (streq(t->tickpolicy, "catchup")) {
        out->rtc_catchup = true;
        return 0;
    }
    return cmd_refuse(c, "timer 'rtc' tickpolicy '%s' is not supported (use delay or catchup)",
                  cmd_quote(c, t->tickpolicy));
}

static int timer_pit(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->present == MV_TRISTATE_NO)
        return cmd_refuse(c, "timer 'pit' cannot be removed");
    /* TCG's PIT has no lost-tick policy: the setting only matters to KVM */
    if (!t->tickpolicy || !c->kvm)
        return 0;
    if (streq(t->tickpolicy, "delay") || streq(t->tickpolicy, "discard")) {
        out->pit_policy = t->tickpolicy;
        return 0;
    }
    return cmd_refuse(c, "timer 'pit' tickpolicy '%s' is not supported by KVM's PIT (use delay or discard)",
                  cmd_quote(c, t->tickpolicy));
}

static int timer_hpet(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->tickpolicy)
        return cmd_refuse(c, "timer 'hpet' does not take a tickpolicy");
    out->no_hpet = t->present == MV_TRISTATE_NO;
    return 0;
}

static int read_timers(struct cmd *c, struct timers *out)
{
    const struct mv_dom_clock *clock = &c->def->clock;
    int r;

    for (size_t i = 0; i < clock->ntimers; i++) {
        const struct mv_dom_timer *t = &clock->timers[i];

        if (streq(t->name, "rtc"))
            r = timer_rtc(c, t, out);
        else if (streq(t->name, "pit"))
            r = timer_pit(c, t, out);
        else if (streq(t->name, "hpet"))
            r = timer_hpet(c, t, out);
        else
            r = cmd_refuse(c, "timer '%s' is not supported", cmd_quote(c, t->name));
        if (r < 0)
            return r;
    }
    return 0;
}

int build_clock(struct cmd *c)
{
    struct timers t = { 0 };
    _cleanup_opt_ struct opt rtc = { 0 };
    _cleanup_free_ char *pit = NULL;
    int r = read_timers(c, &t);

    if (r < 0)
        return r;
    if ((unsigned int)c->def->clock.offset >= MV_DOM_CLOCK_LAST)
        return cmd_refuse(c, "clock offset %d is not supported", (int)c->def->clock.offset);
    opt_kv(&rtc, "base", "%s", mv_dom_clock_offset_to_string(c->def->clock.offset));
    if (t.rtc_catchup)
        opt_kv(&rtc, "driftfix", "slew");
    r = cmd_opt(c, "-rtc", &rtc);
    if (r >= 0 && t.no_hpet)
        r = cmd_arg(c, "-no-hpet");
    if (r < 0 || !t.pit_policy)
        return r;
    if (asprintf(&pit, "kvm-pit.lost_tick_policy=%s", t.pit_policy) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-global", pit);
}

int build_features(struct cmd *c)
{
    /* only a written <features> without <acpi/> turns ACPI off */
    if (c->def->features.given && !c->def->features.acpi)
        return cmd_arg(c, "-no-acpi");
    return 0;
}
