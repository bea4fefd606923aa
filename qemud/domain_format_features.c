/*
 * <features> and <clock> of struct mv_dom_def back to domain XML, in the
 * order libvirt writes them (so that a dumpxml diff against libvirt's shows
 * only real differences).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>

#include "domain_def.h"
#include "domain_format_priv.h"
#include "xml_format.h"

static void state_attr(struct mv_xml_out *o, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "state", t == MV_TRISTATE_YES ? "on" : "off");
}

/* <NAME state='on|off'/> when written. */
static void switch_elem(struct mv_xml_out *o, const char *name, enum mv_tristate t)
{
    if (t == MV_TRISTATE_ABSENT)
        return;
    mv_xml_out_start(o, name);
    state_attr(o, t);
    mv_xml_out_end(o);
}

/* <NAME unit='MiB'>MIB</NAME>: the sizes under <features> (smm's tseg,
 * tcg's tb-cache) are kept in MiB, and written so. */
static void mib_elem(struct mv_xml_out *o, const char *name, unsigned long long mib)
{
    char text[24];

    snprintf(text, sizeof(text), "%llu", mib);
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, "unit", "MiB");
    mv_xml_out_text(o, text);
    mv_xml_out_end(o);
}

static void empty_elem(struct mv_xml_out *o, const char *name, bool on)
{
    if (!on)
        return;
    mv_xml_out_start(o, name);
    mv_xml_out_end(o);
}

static void hyperv_feature(struct mv_xml_out *o, const struct mv_dom_hyperv *hv, enum mv_dom_hyperv_feature i)
{
    mv_xml_out_start(o, mv_dom_hyperv_feature_to_string(i));
    state_attr(o, hv->state[i]);
    if (i == MV_DOM_HV_SPINLOCKS && hv->spinlocks_retries)
        mv_xml_out_attrf(o, "retries", "%u", hv->spinlocks_retries);
    if (i == MV_DOM_HV_VENDOR_ID)
        mv_xml_out_attr(o, "value", hv->vendor_id);
    if (i == MV_DOM_HV_STIMER)
        switch_elem(o, "direct", hv->stimer_direct);
    mv_xml_out_end(o);
}

static void hyperv(struct mv_xml_out *o, const struct mv_dom_hyperv *hv)
{
    if (!hv->given)
        return;
    mv_xml_out_start(o, "hyperv");
    mv_xml_out_attr(o, "mode", mv_dom_hyperv_mode_to_string(hv->mode));
    for (int i = 0; i < MV_DOM_HV_LAST; i++)
        if (hv->state[i] != MV_TRISTATE_ABSENT)
            hyperv_feature(o, hv, i);
    mv_xml_out_end(o);
}

static void kvm(struct mv_xml_out *o, const struct mv_dom_features *f)
{
    if (!f->kvm_given)
        return;
    mv_xml_out_start(o, "kvm");
    for (int i = 0; i < MV_DOM_KVM_LAST; i++)
        switch_elem(o, mv_dom_kvm_feature_to_string(i), f->kvm[i]);
    mv_xml_out_end(o);
}

static void smm(struct mv_xml_out *o, const struct mv_dom_features *f)
{
    if (f->smm == MV_TRISTATE_ABSENT)
        return;
    mv_xml_out_start(o, "smm");
    state_attr(o, f->smm);
    if (f->smm_tseg_given)
        mib_elem(o, "tseg", f->smm_tseg_mib);
    mv_xml_out_end(o);
}

static void tcg(struct mv_xml_out *o, const struct mv_dom_features *f)
{
    if (!f->tcg_given)
        return;
    mv_xml_out_start(o, "tcg");
    if (f->tcg_tb_cache_mib)
        mib_elem(o, "tb-cache", f->tcg_tb_cache_mib);
    mv_xml_out_end(o);
}

void dom_format_features(struct mv_xml_out *o, const struct mv_dom_features *f)
{
    if (!f->given)
        return;
    mv_xml_out_start(o, "features");
    empty_elem(o, "acpi", f->acpi);
    if (f->apic) {
        mv_xml_out_start(o, "apic");
        if (f->apic_eoi != MV_TRISTATE_ABSENT)
            mv_xml_out_attr(o, "eoi", f->apic_eoi == MV_TRISTATE_YES ? "on" : "off");
        mv_xml_out_end(o);
    }
    empty_elem(o, "pae", f->pae);
    hyperv(o, &f->hyperv);
    kvm(o, f);
    switch_elem(o, "pvspinlock", f->pvspinlock);
    switch_elem(o, "pmu", f->pmu);
    switch_elem(o, "vmport", f->vmport);
    smm(o, f);
    if (f->ioapic != MV_DOM_IOAPIC_ABSENT)
        mv_xml_out_leaf(o, "ioapic", "driver", mv_dom_ioapic_to_string(f->ioapic));
    switch_elem(o, "vmcoreinfo", f->vmcoreinfo);
    tcg(o, f);
    mv_xml_out_end(o);
}

static void timer(struct mv_xml_out *o, const struct mv_dom_timer *t)
{
    mv_xml_out_start(o, "timer");
    mv_xml_out_attr(o, "name", t->name);
    mv_xml_out_attr(o, "tickpolicy", t->tickpolicy);
    mv_xml_out_attr(o, "track", t->track);
    if (t->frequency)
        mv_xml_out_attrf(o, "frequency", "%llu", t->frequency);
    mv_xml_out_attr(o, "mode", t->mode);
    if (t->present != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "present", t->present == MV_TRISTATE_YES ? "yes" : "no");
    mv_xml_out_end(o);
}

void dom_format_clock(struct mv_xml_out *o, const struct mv_dom_clock *clock)
{
    if (!clock->given)
        return;
    mv_xml_out_start(o, "clock");
    mv_xml_out_attr(o, "offset", mv_dom_clock_offset_to_string(clock->offset));
    for (size_t i = 0; i < clock->ntimers; i++)
        timer(o, &clock->timers[i]);
    mv_xml_out_end(o);
}
