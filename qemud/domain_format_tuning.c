/*
 * Domain XML out: <iothreads>, <iothreadids>, <cputune>, <hostdev> and
 * <seclabel>, in libvirt's layout; only what the user wrote, plus the
 * iothread ids the parser filled in and the live labels of a running guest.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "domain_idset.h"

#include "domain_format_tuning.h"

static void text_ull(struct mv_xml_out *o, const char *name, unsigned long long v)
{
    char value[32];

    if (!v)
        return;
    snprintf(value, sizeof(value), "%llu", v);
    mv_xml_out_text_elem(o, name, value);
}

static void text_ll(struct mv_xml_out *o, const char *name, long long v)
{
    char value[32];

    if (!v)
        return;
    snprintf(value, sizeof(value), "%lld", v);
    mv_xml_out_text_elem(o, name, value);
}

static void attr_cpuset(struct mv_xml_out *o, const struct mv_dom_idset *set)
{
    char *s = mv_dom_idset_format(set, ",");

    if (!s)
        o->failed = true;
    mv_xml_out_attr(o, "cpuset", s);
    free(s);
}

static void iothreads(struct mv_xml_out *o, const struct mv_dom_iothreads *t)
{
    char value[16];

    if (!t->count)
        return;
    snprintf(value, sizeof(value), "%u", t->count);
    mv_xml_out_text_elem(o, "iothreads", value);
    if (!t->ids_given)
        return;
    mv_xml_out_start(o, "iothreadids");
    for (size_t i = 0; i < t->nids; i++) {
        mv_xml_out_start(o, "iothread");
        mv_xml_out_attrf(o, "id", "%u", t->ids[i]);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void cputune(struct mv_xml_out *o, const struct mv_dom_cputune *t)
{
    if (!t->given)
        return;
    mv_xml_out_start(o, "cputune");
    text_ull(o, "shares", t->shares);
    text_ull(o, "period", t->period);
    text_ll(o, "quota", t->quota);
    text_ull(o, "emulator_period", t->emulator_period);
    text_ll(o, "emulator_quota", t->emulator_quota);
    for (size_t i = 0; i < t->nvcpupins; i++) {
        mv_xml_out_start(o, "vcpupin");
        mv_xml_out_attrf(o, "vcpu", "%u", t->vcpupins[i].vcpu);
        attr_cpuset(o, &t->vcpupins[i].cpuset);
        mv_xml_out_end(o);
    }
    if (t->emulatorpin.n) {
        mv_xml_out_start(o, "emulatorpin");
        attr_cpuset(o, &t->emulatorpin);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < t->niothreadpins; i++) {
        mv_xml_out_start(o, "iothreadpin");
        mv_xml_out_attrf(o, "iothread", "%u", t->iothreadpins[i].iothread);
        attr_cpuset(o, &t->iothreadpins[i].cpuset);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

void dom_format_tuning(struct mv_xml_out *o, const struct mv_dom_def *def)
{
    iothreads(o, &def->iothreads);
    cputune(o, &def->cputune);
}

void dom_format_hostdev(struct mv_xml_out *o, const struct mv_dom_hostdev *h)
{
    mv_xml_out_start(o, "hostdev");
    mv_xml_out_attr(o, "mode", "subsystem");
    mv_xml_out_attr(o, "type", "pci");
    if (h->managed != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "managed", h->managed == MV_TRISTATE_YES ? "yes" : "no");
    if (h->driver_vfio)
        mv_xml_out_leaf(o, "driver", "name", "vfio");
    mv_xml_out_start(o, "source");
    mv_xml_out_start(o, "address");
    mv_xml_out_attrf(o, "domain", "0x%04x", h->domain);
    mv_xml_out_attrf(o, "bus", "0x%02x", h->bus);
    mv_xml_out_attrf(o, "slot", "0x%02x", h->slot);
    mv_xml_out_attrf(o, "function", "0x%x", h->function);
    mv_xml_out_end(o);
    mv_xml_out_end(o);
    dom_format_boot_order(o, h->boot_order);
    dom_format_alias(o, h->alias);
    dom_format_address(o, &h->addr);
    mv_xml_out_end(o);
}

void dom_format_seclabels(struct mv_xml_out *o, const struct mv_dom_def *def)
{
    for (size_t i = 0; i < def->nseclabels; i++) {
        const struct mv_dom_seclabel *s = &def->seclabels[i];

        mv_xml_out_start(o, "seclabel");
        mv_xml_out_attr(o, "type", mv_dom_seclabel_type_to_string(s->type));
        mv_xml_out_attr(o, "model", s->model);
        if (s->relabel != MV_TRISTATE_ABSENT)
            mv_xml_out_attr(o, "relabel", s->relabel == MV_TRISTATE_YES ? "yes" : "no");
        mv_xml_out_text_elem(o, "label", s->label);
        mv_xml_out_text_elem(o, "imagelabel", s->imagelabel);
        mv_xml_out_end(o);
    }
}
