/*
 * <features> on the QEMU command line: machine properties (vmport, smm,
 * kernel_irqchip for <ioapic>), -accel tcg's tb-size (<tcg><tb-cache>),
 * -cpu properties (hv-* for <hyperv>, kvm=off and kvm-* for <kvm>,
 * kvm-pv-unhalt for <pvspinlock>, kvm-pv-eoi for <apic eoi>, pmu), ACPI,
 * the extended TSEG and the vmcoreinfo device.
 *
 * What QEMU 7.2 does with these under TCG (checked against the real binary):
 * it takes every hv-* property, but builds the Hyper-V CPUID leaves only in
 * its KVM code, so a TCG guest runs without them, as it does under libvirt,
 * which writes the same properties.  Refused under TCG, by name, is only
 * what QEMU itself refuses (hv-vpindex: "kernel doesn't allow setting HyperV
 * VP_INDEX") and what exists only as a KVM mechanism: eVMCS (nested VMX),
 * AVIC, passthrough of the host's list, and the KVM paravirt leaf features
 * (QEMU clears that leaf without KVM, so asking for them on would be lost).
 * Under KVM, QEMU checks the enlightenments' dependencies at start; they are
 * refused here first so that the message names the XML elements.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* QEMU's -cpu property for each <hyperv> child; spinlocks and vendor_id
 * take a value instead of on/off, stimer's <direct> is hv-stimer-direct */
static const char *const hv_props[MV_DOM_HV_LAST] = {
    [MV_DOM_HV_RELAXED] = "hv-relaxed",
    [MV_DOM_HV_VAPIC] = "hv-vapic",
    [MV_DOM_HV_SPINLOCKS] = "hv-spinlocks",
    [MV_DOM_HV_VPINDEX] = "hv-vpindex",
    [MV_DOM_HV_RUNTIME] = "hv-runtime",
    [MV_DOM_HV_SYNIC] = "hv-synic",
    [MV_DOM_HV_STIMER] = "hv-stimer",
    [MV_DOM_HV_RESET] = "hv-reset",
    [MV_DOM_HV_VENDOR_ID] = "hv-vendor-id",
    [MV_DOM_HV_FREQUENCIES] = "hv-frequencies",
    [MV_DOM_HV_REENLIGHTENMENT] = "hv-reenlightenment",
    [MV_DOM_HV_TLBFLUSH] = "hv-tlbflush",
    [MV_DOM_HV_IPI] = "hv-ipi",
    [MV_DOM_HV_EVMCS] = "hv-evmcs",
    [MV_DOM_HV_AVIC] = "hv-avic",
};

/* An enlightenment and the one it builds on, as QEMU checks them under
 * KVM (target/i386/kvm: the feature dependencies of its Hyper-V table). */
struct hv_dep {
    enum mv_dom_hyperv_feature feature, needs;
};

static const struct hv_dep hv_deps[] = {
    { MV_DOM_HV_SYNIC, MV_DOM_HV_VPINDEX },
    { MV_DOM_HV_STIMER, MV_DOM_HV_SYNIC },
    { MV_DOM_HV_IPI, MV_DOM_HV_VPINDEX },
    { MV_DOM_HV_TLBFLUSH, MV_DOM_HV_VPINDEX },
    { MV_DOM_HV_EVMCS, MV_DOM_HV_VAPIC },
};

static bool on(enum mv_tristate t)
{
    return t == MV_TRISTATE_YES;
}

/* The <clock> timer NAME, or NULL. */
static const struct mv_dom_timer *find_timer(const struct cmd *c, const char *name)
{
    for (size_t i = 0; i < c->def->clock.ntimers; i++)
        if (streq(c->def->clock.timers[i].name, name))
            return &c->def->clock.timers[i];
    return NULL;
}

/* ---- machine ---- */

static void opt_tristate(struct opt *o, const char *key, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        opt_onoff(o, key, on(t));
}

int machine_feature_props(struct cmd *c, struct opt *m)
{
    const struct mv_dom_features *f = &c->def->features;

    if (f->ioapic == MV_DOM_IOAPIC_KVM && !c->kvm)
        return cmd_refuse(c, "<features><ioapic driver='kvm'> needs KVM (domain type='kvm'); "
                          "without it the IOAPIC is QEMU's (driver='qemu')");
    opt_tristate(m, "vmport", f->vmport);
    opt_tristate(m, "smm", f->smm);
    /* split: the IOAPIC in QEMU, the local APICs where the accelerator has them */
    if (f->ioapic != MV_DOM_IOAPIC_ABSENT)
        opt_kv(m, "kernel_irqchip", "%s", f->ioapic == MV_DOM_IOAPIC_KVM ? "on" : "split");
    return 0;
}

int accel_feature_props(struct cmd *c, struct opt *a)
{
    const struct mv_dom_features *f = &c->def->features;

    if (f->tcg_given && c->kvm)
        return cmd_refuse(c, "<features><tcg> is for domain type 'qemu' (TCG), not 'kvm'");
    if (f->tcg_tb_cache_mib)
        opt_kv(a, "tb-size", "%llu", f->tcg_tb_cache_mib);
    return 0;
}

/* ---- -cpu ---- */

static int check_hyperv_tcg(struct cmd *c, const struct mv_dom_hyperv *hv)
{
    if (hv->mode == MV_DOM_HYPERV_MODE_PASSTHROUGH)
        return cmd_refuse(c, "<features><hyperv mode='passthrough'> needs KVM (domain type='kvm'): it "
                          "passes on the host KVM's enlightenments");
    if (on(hv->state[MV_DOM_HV_VPINDEX]))
        return cmd_refuse(c, "<features><hyperv><vpindex> needs KVM (domain type='kvm'): QEMU 7.2 "
                          "sets the VP index only through KVM");
    if (on(hv->state[MV_DOM_HV_EVMCS]))
        return cmd_refuse(c, "<features><hyperv><evmcs> needs KVM (domain type='kvm'): enlightened "
                          "VMCS is KVM's nested VMX");
    if (on(hv->state[MV_DOM_HV_AVIC]))
        return cmd_refuse(c, "<features><hyperv><avic> needs KVM (domain type='kvm'): it is the "
                          "host's AMD AVIC");
    if (on(hv->stimer_direct))
        return cmd_refuse(c, "<features><hyperv><stimer><direct> needs KVM (domain type='kvm')");
    return 0;
}

static int check_hyperv_kvm(struct cmd *c, const struct mv_dom_hyperv *hv)
{
    const struct mv_dom_timer *hvclock = find_timer(c, "hypervclock");

    for (size_t i = 0; i < MV_ARRAY_SIZE(hv_deps); i++)
        if (on(hv->state[hv_deps[i].feature]) && !on(hv->state[hv_deps[i].needs]))
            return cmd_refuse(c, "<features><hyperv><%s state='on'> needs <%s state='on'>",
                              mv_dom_hyperv_feature_to_string(hv_deps[i].feature),
                              mv_dom_hyperv_feature_to_string(hv_deps[i].needs));
    /* the synthetic timers count in the reference time the clock gives */
    if (on(hv->state[MV_DOM_HV_STIMER]) && !(hvclock && on(hvclock->present)))
        return cmd_refuse(c, "<features><hyperv><stimer state='on'> needs <clock><timer name='hypervclock' "
                          "present='yes'>");
    return 0;
}

static void hyperv_props(struct opt *o, const struct mv_dom_hyperv *hv)
{
    for (int i = 0; i < MV_DOM_HV_LAST; i++) {
        bool is_value = i == MV_DOM_HV_SPINLOCKS || i == MV_DOM_HV_VENDOR_ID;

        /* a value property turned off is QEMU's default: nothing to write */
        if (hv->state[i] == MV_TRISTATE_ABSENT || (is_value && !on(hv->state[i])))
            continue;
        if (i == MV_DOM_HV_SPINLOCKS)
            opt_kv(o, hv_props[i], "0x%x", hv->spinlocks_retries);
        else if (i == MV_DOM_HV_VENDOR_ID)
            opt_kv(o, hv_props[i], "%s", hv->vendor_id);
        else
            opt_onoff(o, hv_props[i], on(hv->state[i]));
        if (i == MV_DOM_HV_STIMER && hv->stimer_direct != MV_TRISTATE_ABSENT)
            opt_onoff(o, "hv-stimer-direct", on(hv->stimer_direct));
    }
}

static int hyperv_cpu_props(struct cmd *c, struct opt *o)
{
    const struct mv_dom_hyperv *hv = &c->def->features.hyperv;
    int r;

    if (!hv->given)
        return 0;
    r = c->kvm ? check_hyperv_kvm(c, hv) : check_hyperv_tcg(c, hv);
    if (r < 0)
        return r;
    if (hv->mode == MV_DOM_HYPERV_MODE_PASSTHROUGH)
        opt_onoff(o, "hv-passthrough", true);
    else
        hyperv_props(o, hv);
    return 0;
}

/* QEMU's -cpu property for each <kvm> child */
static const char *const kvm_props[MV_DOM_KVM_LAST] = {
    [MV_DOM_KVM_HIDDEN] = "kvm",
    [MV_DOM_KVM_HINT_DEDICATED] = "kvm-hint-dedicated",
    [MV_DOM_KVM_POLL_CONTROL] = "kvm-poll-control",
    [MV_DOM_KVM_PV_IPI] = "kvm-pv-ipi",
};

static int kvm_cpu_props(struct cmd *c, struct opt *o)
{
    const struct mv_dom_features *f = &c->def->features;

    for (int i = 0; i < MV_DOM_KVM_LAST; i++) {
        if (f->kvm[i] == MV_TRISTATE_ABSENT)
            continue;
        /* hiding a signature TCG does not show is honoured as it is */
        if (i != MV_DOM_KVM_HIDDEN && on(f->kvm[i]) && !c->kvm)
            return cmd_refuse(c, "<features><kvm><%s state='on'> needs KVM (domain type='kvm')",
                              mv_dom_kvm_feature_to_string(i));
        /* hidden='on' is QEMU's kvm=off: no KVM signature in CPUID */
        opt_onoff(o, kvm_props[i], i == MV_DOM_KVM_HIDDEN ? !on(f->kvm[i]) : on(f->kvm[i]));
    }
    return 0;
}

int cpu_feature_props(struct cmd *c, struct opt *o)
{
    const struct mv_dom_features *f = &c->def->features;
    int r;

    /* both are in the KVM paravirt CPUID leaf QEMU clears without KVM */
    if (on(f->apic_eoi) && !c->kvm)
        return cmd_refuse(c, "<features><apic eoi='on'> needs KVM (domain type='kvm')");
    if (on(f->pvspinlock) && !c->kvm)
        return cmd_refuse(c, "<features><pvspinlock state='on'> needs KVM (domain type='kvm')");
    opt_tristate(o, "kvm-pv-eoi", f->apic_eoi);
    opt_tristate(o, "kvm-pv-unhalt", f->pvspinlock);
    if ((r = hyperv_cpu_props(c, o)) < 0)
        return r;
    for (size_t i = 0; i < c->def->devices.npanics; i++)
        if (streq(c->def->devices.panics[i].model, "hyperv"))
            opt_onoff(o, "hv-crash", true);
    if ((r = kvm_cpu_props(c, o)) < 0)
        return r;
    /* TCG has no performance counters to show (QEMU fills the PMU leaf only from KVM) */
    if (on(f->pmu) && !c->kvm)
        return cmd_refuse(c, "<features><pmu state='on'> needs KVM (domain type='kvm')");
    opt_tristate(o, "pmu", f->pmu);
    return 0;
}

/* ---- -cpu properties <features> and <clock> own ---- */

enum mv_tristate cpu_prop_owner(const struct cmd *c, const char *prop, const char **element)
{
    const struct mv_dom_features *f = &c->def->features;
    const struct mv_dom_timer *kvmclock = find_timer(c, "kvmclock");
    const struct {
        const char *prop, *element;
        enum mv_tristate state;
    } owned[] = {
        { "kvm-pv-eoi", "<features><apic eoi>", f->apic_eoi },
        { "kvm-pv-unhalt", "<features><pvspinlock>", f->pvspinlock },
        { "kvmclock", "<clock><timer name='kvmclock'>", kvmclock ? kvmclock->present : MV_TRISTATE_ABSENT },
        { "kvm-hint-dedicated", "<features><kvm><hint-dedicated>", f->kvm[MV_DOM_KVM_HINT_DEDICATED] },
        { "kvm-poll-control", "<features><kvm><poll-control>", f->kvm[MV_DOM_KVM_POLL_CONTROL] },
        { "kvm-pv-ipi", "<features><kvm><pv-ipi>", f->kvm[MV_DOM_KVM_PV_IPI] },
        { "pmu", "<features><pmu>", f->pmu },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(owned); i++)
        if (streq(owned[i].prop, prop)) {
            *element = owned[i].element;
            return owned[i].state;
        }
    return MV_TRISTATE_ABSENT;
}

/* ---- the rest ---- */

static int build_tseg(struct cmd *c)
{
    const struct mv_dom_features *f = &c->def->features;
    _cleanup_free_ char *arg = NULL;

    if (!f->smm_tseg_given)
        return 0;
    /* the extended TSEG is a property of q35's host bridge (mch) */
    if (c->machine != MACHINE_Q35)
        return cmd_refuse(c, "<features><smm><tseg> needs a q35 machine");
    if (asprintf(&arg, "mch.extended-tseg-mbytes=%llu", f->smm_tseg_mib) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-global", arg);
}

int build_features(struct cmd *c)
{
    const struct mv_dom_features *f = &c->def->features;
    int r = 0;

    /* only a written <features> without <acpi/> turns ACPI off */
    if (f->given && !f->acpi)
        r = cmd_arg(c, "-no-acpi");
    if (r >= 0)
        r = build_tseg(c);
    if (r >= 0 && on(f->vmcoreinfo))
        r = cmd_pair(c, "-device", "vmcoreinfo");
    return r;
}
