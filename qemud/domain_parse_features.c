/*
 * Domain XML: <features> (the hypervisor switches: acpi, apic, pae, vmport,
 * pmu, smm, vmcoreinfo, pvspinlock, ioapic, <hyperv>, <kvm>, <tcg>) and <clock>
 * with its timers, into struct mv_dom_features / mv_dom_clock.
 *
 * A switch written without state= means on, as libvirt reads it, and is
 * written back with state='on' so that what the domain runs with is visible.
 * Which of these QEMU can honour under the chosen accelerator is the command
 * line builder's business (qemu_cmd_features.c): here only what the XML
 * itself makes impossible is refused.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "xml.h"

/* Hyper-V's guidance: fewer spinlock retries than this are not meaningful
 * (QEMU and Windows treat 0xFFFFFFFF as "never notify"). */
#define HV_SPINLOCKS_MIN 4095
/* The Hyper-V vendor id is three 32-bit CPUID registers. */
#define HV_VENDOR_ID_MAX 12

/* state='on|off' into a tristate: 1 found, 0 absent, <0 error. */
static int attr_state(struct mv_xml_ctx *c, xmlNodePtr n, enum mv_tristate *out)
{
    bool on;
    int r = mv_xml_attr_onoff(c, n, "state", &on);

    if (r == 1)
        *out = on ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return r;
}

/* A switch whose state= is required (<hyperv> and <kvm> children). */
static int required_state(struct mv_xml_ctx *c, xmlNodePtr n, enum mv_tristate *out)
{
    int r = attr_state(c, n, out);

    return r == 0 ? mv_xml_fail_missing_attr(c, n, "state") : r;
}

/* A switch whose state= may be left out, meaning on. */
static int optional_state(struct mv_xml_ctx *c, xmlNodePtr n, enum mv_tristate *out)
{
    int r = attr_state(c, n, out);

    if (r == 0)
        *out = MV_TRISTATE_YES;
    return r < 0 ? r : 0;
}

/* ------------------------------------------------------------- hyperv */

/* Which <hyperv> child N is, by its name. */
static enum mv_dom_hyperv_feature hv_index(xmlNodePtr n)
{
    return (enum mv_dom_hyperv_feature)mv_dom_hyperv_feature_from_string((const char *)n->name);
}

static int hv_plain(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = obj;
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("state"));

    return r < 0 ? r : required_state(c, n, &hv->state[hv_index(n)]);
}

static int hv_spinlocks(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("state", "retries"))) < 0 ||
        (r = required_state(c, n, &hv->state[MV_DOM_HV_SPINLOCKS])) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "retries", false, 0, UINT32_MAX, &hv->spinlocks_retries)) < 0)
        return r;
    if (r == 1 && hv->spinlocks_retries < HV_SPINLOCKS_MIN)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<features><hyperv><spinlocks retries='%u'> is below "
                           "the minimum of %u", hv->spinlocks_retries, HV_SPINLOCKS_MIN);
    /* the retry count is what the enlightenment tells the guest */
    if (r == 0 && hv->state[MV_DOM_HV_SPINLOCKS] == MV_TRISTATE_YES)
        return mv_xml_fail_missing_attr(c, n, "retries");
    return 0;
}

static int hv_vendor_id(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = obj;
    const char *v;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("state", "value"))) < 0 ||
        (r = required_state(c, n, &hv->state[MV_DOM_HV_VENDOR_ID])) < 0 ||
        (r = mv_xml_attr_get(n, "value", &hv->vendor_id)) < 0)
        return r;
    v = hv->vendor_id;
    if (!v && hv->state[MV_DOM_HV_VENDOR_ID] == MV_TRISTATE_YES)
        return mv_xml_fail_missing_attr(c, n, "value");
    /* libvirt's schema allows up to 12 characters (the CPUID leaf's 12
     * bytes) and no comma; our set is narrower still, all a vendor id needs */
    if (v && (strlen(v) > HV_VENDOR_ID_MAX || !mv_xml_token_ok(v, "_.-+ ")))
        return mv_xml_fail_value(c, n, "value", v);
    return 0;
}

static int hv_stimer_direct(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = obj;
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("state"));

    return r < 0 ? r : required_state(c, n, &hv->stimer_direct);
}

static const struct mv_xml_rule hv_stimer_rules[] = {
    { "direct", hv_stimer_direct, false },
};

static int hv_stimer(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = obj;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("state"))) < 0 ||
        (r = required_state(c, n, &hv->state[MV_DOM_HV_STIMER])) < 0)
        return r;
    return MV_XML_WALK(c, n, hv_stimer_rules, hv);
}

static const struct mv_xml_rule hyperv_rules[] = {
    { "relaxed", hv_plain, false },
    { "vapic", hv_plain, false },
    { "spinlocks", hv_spinlocks, false },
    { "vpindex", hv_plain, false },
    { "runtime", hv_plain, false },
    { "synic", hv_plain, false },
    { "stimer", hv_stimer, false },
    { "reset", hv_plain, false },
    { "vendor_id", hv_vendor_id, false },
    { "frequencies", hv_plain, false },
    { "reenlightenment", hv_plain, false },
    { "tlbflush", hv_plain, false },
    { "ipi", hv_plain, false },
    { "evmcs", hv_plain, false },
    { "avic", hv_plain, false },
};

static int feature_hyperv(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hyperv *hv = &((struct mv_dom_features *)obj)->hyperv;
    int mode, r;

    hv->given = true;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", mv_dom_hyperv_mode_from_string, &mode)) < 0)
        return r;
    if (r == 1)
        hv->mode = mode;
    if ((r = MV_XML_WALK(c, n, hyperv_rules, hv)) < 0)
        return r;
    /* passthrough hands the guest every enlightenment the host has: a
     * list beside it would be ignored */
    if (hv->mode == MV_DOM_HYPERV_MODE_PASSTHROUGH && xmlFirstElementChild(n))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<features><hyperv mode='passthrough'> takes no <%s>",
                           (const char *)xmlFirstElementChild(n)->name);
    if (hv->state[MV_DOM_HV_STIMER] != MV_TRISTATE_YES && hv->stimer_direct == MV_TRISTATE_YES)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<features><hyperv><stimer><direct state='on'> "
                           "needs <stimer state='on'>");
    return 0;
}

/* ---------------------------------------------------------------- kvm */

static int kvm_switch(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    int which = mv_dom_kvm_feature_from_string((const char *)n->name);
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("state"));

    return r < 0 ? r : required_state(c, n, &f->kvm[which]);
}

static const struct mv_xml_rule kvm_rules[] = {
    { "hidden", kvm_switch, false },
    { "hint-dedicated", kvm_switch, false },
    { "poll-control", kvm_switch, false },
    { "pv-ipi", kvm_switch, false },
};

static int feature_kvm(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    f->kvm_given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, kvm_rules, f);
}

/* ---------------------------------------------------- the plain switches */

static int feature_flag(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    const char *name = (const char *)n->name;

    if (strcmp(name, "acpi") == 0)
        f->acpi = true;
    else
        f->pae = true;
    return mv_xml_leaf(c, n, MV_XML_NO_ATTRS);
}

static int feature_apic(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    bool on;
    int r;

    f->apic = true;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("eoi"))) < 0 || (r = mv_xml_attr_onoff(c, n, "eoi", &on)) < 0)
        return r;
    if (r == 1)
        f->apic_eoi = on ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return 0;
}

/* MiB in BYTES, refused unless whole and at most MAX: WHAT names the element. */
static int whole_mib(struct mv_xml_ctx *c, const char *what, unsigned long long bytes, unsigned long long max,
                     unsigned long long *mib)
{
    if (bytes % (1024 * 1024) != 0 || bytes / (1024 * 1024) > max)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s must be a whole number of MiB up to %llu MiB, "
                           "not %llu bytes", what, max, bytes);
    *mib = bytes / (1024 * 1024);
    return 0;
}

static int tcg_tb_cache(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    unsigned long long bytes;
    int r = mv_xml_text_scaled(c, n, MV_XML_ATTRS("unit"), "KiB", 1, false, &bytes);

    /* QEMU's tb-size is in MiB (a 32-bit count of them is far beyond any host) */
    return r < 0 ? r : whole_mib(c, "<features><tcg><tb-cache>", bytes, UINT32_MAX, &f->tcg_tb_cache_mib);
}

static const struct mv_xml_rule tcg_rules[] = {
    { "tb-cache", tcg_tb_cache, false },
};

static int feature_tcg(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    f->tcg_given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, tcg_rules, f);
}

/* vmport, pmu, vmcoreinfo, pvspinlock: <NAME state='on|off'/> */
static int feature_switch(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    const char *name = (const char *)n->name;
    enum mv_tristate *t = strcmp(name, "vmport") == 0       ? &f->vmport
                          : strcmp(name, "pmu") == 0        ? &f->pmu
                          : strcmp(name, "vmcoreinfo") == 0 ? &f->vmcoreinfo
                                                            : &f->pvspinlock;
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("state"));

    return r < 0 ? r : optional_state(c, n, t);
}

static int smm_tseg(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    unsigned long long bytes;
    int r = mv_xml_text_scaled(c, n, MV_XML_ATTRS("unit"), "MiB", 1, true, &bytes);

    /* QEMU sizes the extended TSEG in whole MiB (mch.extended-tseg-mbytes, 16 bits) */
    if (r < 0 || (r = whole_mib(c, "<features><smm><tseg>", bytes, UINT16_MAX, &f->smm_tseg_mib)) < 0)
        return r;
    f->smm_tseg_given = true;
    return 0;
}

static const struct mv_xml_rule smm_rules[] = {
    { "tseg", smm_tseg, false },
};

static int feature_smm(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("state"))) < 0 || (r = optional_state(c, n, &f->smm)) < 0 ||
        (r = MV_XML_WALK(c, n, smm_rules, f)) < 0)
        return r;
    if (f->smm_tseg_given && f->smm != MV_TRISTATE_YES)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<features><smm><tseg> needs <smm state='on'>");
    return 0;
}

static int feature_ioapic(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    int driver, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("driver"))) < 0 ||
        (r = dom_attr_enum_required(c, n, "driver", mv_dom_ioapic_from_string, &driver)) < 0)
        return r;
    f->ioapic = driver;
    return 0;
}

static const struct mv_xml_rule features_rules[] = {
    { "acpi", feature_flag, false },
    { "apic", feature_apic, false },
    { "pae", feature_flag, false },
    { "hyperv", feature_hyperv, false },
    { "kvm", feature_kvm, false },
    { "pvspinlock", feature_switch, false },
    { "pmu", feature_switch, false },
    { "vmport", feature_switch, false },
    { "smm", feature_smm, false },
    { "ioapic", feature_ioapic, false },
    { "vmcoreinfo", feature_switch, false },
    { "tcg", feature_tcg, false },
};

int dom_parse_features(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = &((struct mv_dom_def *)obj)->features;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    f->given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, features_rules, f);
}

/* --------------------------------------------------------------- clock */

/* The attributes only some timers take (libvirt's schema groups). */
static int timer_check_attrs(struct mv_xml_ctx *c, const struct mv_dom_timer *t)
{
    bool rtc = strcmp(t->name, "rtc") == 0;
    bool tsc = strcmp(t->name, "tsc") == 0;

    /* paravirtual clocks have no ticks to lose */
    if (t->tickpolicy && (strcmp(t->name, "kvmclock") == 0 || strcmp(t->name, "hypervclock") == 0))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<timer name='%s'> takes no tickpolicy", t->name);
    if (t->track && !rtc)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<timer name='%s'> takes no track (only rtc does)", t->name);
    if ((t->frequency || t->mode) && !tsc)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<timer name='%s'> takes no %s (only tsc does)", t->name,
                           t->frequency ? "frequency" : "mode");
    return 0;
}

static int timer_frequency(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_timer *t)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, "frequency", &s);

    if (r <= 0)
        return r;
    if (mv_xml_parse_ull(s, false, &t->frequency) < 0 || t->frequency == 0)
        return mv_xml_fail_value(c, n, "frequency", s);
    return 1;
}

static int clock_timer(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const names[] = { "rtc", "pit", "hpet", "kvmclock", "tsc", "hypervclock", NULL };
    static const char *const policies[] = { "delay", "catchup", "merge", "discard", NULL };
    static const char *const tracks[] = { "boot", "guest", "wall", "realtime", NULL };
    static const char *const modes[] = { "auto", "native", "emulate", "paravirt", "smpsafe", NULL };
    struct mv_dom_clock *clock = obj;
    struct mv_dom_timer *t = MV_XML_GROW(clock->timers, clock->ntimers);
    int r;

    if (!t)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "tickpolicy", "present", "track", "frequency", "mode"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "name", names, &t->name)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "tickpolicy", policies, &t->tickpolicy)) < 0 ||
        (r = dom_attr_yesno(c, n, "present", &t->present)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "track", tracks, &t->track)) < 0 ||
        (r = timer_frequency(c, n, t)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "mode", modes, &t->mode)) < 0)
        return r;
    if (!t->name)
        return mv_xml_fail_missing_attr(c, n, "name");
    if ((r = timer_check_attrs(c, t)) < 0)
        return r;
    for (size_t i = 0; i + 1 < clock->ntimers; i++)
        if (strcmp(clock->timers[i].name, t->name) == 0)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "timer '%s' given more than once", t->name);
    return 0;
}

static const struct mv_xml_rule clock_rules[] = {
    { "timer", clock_timer, true },
};

int dom_parse_clock(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_clock *clock = &((struct mv_dom_def *)obj)->clock;
    int offset, r;

    clock->given = true;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("offset"))) < 0 ||
        (r = dom_attr_enum_required(c, n, "offset", mv_dom_clock_offset_from_string, &offset)) < 0)
        return r;
    clock->offset = offset;
    return MV_XML_WALK(c, n, clock_rules, clock);
}
