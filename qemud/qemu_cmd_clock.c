/*
 * The clock: -rtc with its base, drift fix and clock source, the PIT's and
 * HPET's settings, and the -cpu properties of the paravirtual timers
 * (hypervclock, kvmclock) and of the TSC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

struct timers {
    bool rtc_catchup, no_hpet;
    const char *pit_policy;             /* QEMU's lost_tick_policy, NULL = default */
    const char *rtc_clock;              /* -rtc clock=, NULL = default (host) */
};

/* <timer name='rtc' track=>: the clock QEMU's RTC follows.  "boot" (time
 * since the guest started, libvirt's Xen meaning) has no QEMU counterpart. */
static int rtc_track(struct cmd *c, const char *track, struct timers *out)
{
    if (!track)
        return 0;
    if (streq(track, "guest"))
        out->rtc_clock = "vm";
    else if (streq(track, "wall"))
        out->rtc_clock = "host";
    else if (streq(track, "realtime"))
        out->rtc_clock = "rt";
    else
        return cmd_refuse(c, "<clock><timer name='rtc' track='%s'> is not supported by QEMU "
                          "(guest, wall or realtime)", cmd_quote(c, track));
    return 0;
}

static int timer_rtc(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    int r;

    if (t->present == MV_TRISTATE_NO)
        return cmd_refuse(c, "timer 'rtc' cannot be removed");
    if ((r = rtc_track(c, t->track, out)) < 0)
        return r;
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
        else if (streq(t->name, "kvmclock") || streq(t->name, "hypervclock") || streq(t->name, "tsc"))
            r = 0;              /* -cpu properties: cpu_clock_props() */
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
    if (t.rtc_clock)
        opt_kv(&rtc, "clock", "%s", t.rtc_clock);
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

/* ---- -cpu properties ---- */

static int timer_kvmclock(struct cmd *c, const struct mv_dom_timer *t, struct opt *o)
{
    if (t->present == MV_TRISTATE_ABSENT)
        return 0;
    /* QEMU clears the KVM paravirt CPUID leaf without KVM */
    if (t->present == MV_TRISTATE_YES && !c->kvm)
        return cmd_refuse(c, "<clock><timer name='kvmclock' present='yes'> needs KVM (domain type='kvm')");
    opt_onoff(o, "kvmclock", t->present == MV_TRISTATE_YES);
    return 0;
}

static int timer_tsc(struct cmd *c, const struct mv_dom_timer *t, struct opt *o)
{
    if (t->present == MV_TRISTATE_NO)
        return cmd_refuse(c, "<clock><timer name='tsc' present='no'> is not supported: QEMU's x86 CPUs "
                          "always have a TSC");
    if (t->tickpolicy)
        return cmd_refuse(c, "<clock><timer name='tsc' tickpolicy='%s'> is not supported by QEMU",
                          cmd_quote(c, t->tickpolicy));
    /* QEMU has one TSC behaviour: what libvirt calls auto */
    if (t->mode && !streq(t->mode, "auto"))
        return cmd_refuse(c, "<clock><timer name='tsc' mode='%s'> is not supported by QEMU (only auto)",
                          cmd_quote(c, t->mode));
    if (t->frequency)
        opt_kv(o, "tsc-frequency", "%llu", t->frequency);
    return 0;
}

int cpu_clock_props(struct cmd *c, struct opt *o)
{
    const struct mv_dom_clock *clock = &c->def->clock;
    int r = 0;

    for (size_t i = 0; i < clock->ntimers && r >= 0; i++) {
        const struct mv_dom_timer *t = &clock->timers[i];

        if (streq(t->name, "kvmclock"))
            r = timer_kvmclock(c, t, o);
        else if (streq(t->name, "tsc"))
            r = timer_tsc(c, t, o);
        /* the Hyper-V reference time counter (see qemu_cmd_features.c for
         * what QEMU does with hv-* under TCG) */
        else if (streq(t->name, "hypervclock") && t->present != MV_TRISTATE_ABSENT)
            opt_onoff(o, "hv-time", t->present == MV_TRISTATE_YES);
    }
    return r;
}
