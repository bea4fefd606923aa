/*
 * <cpu> back to XML: what the user wrote, with the policy of each feature
 * filled in ("require" when left out, as libvirt writes it).
 */
#include "config.h"

#include <stdlib.h>

#include "cleanup.h"
#include "domain_format_cpumem.h"
#include "domain_idset.h"

void dom_format_idset(struct mv_xml_out *o, const char *name, const struct mv_dom_idset *set)
{
    _cleanup_free_ char *s = NULL;

    if (set->n == 0)
        return;
    s = mv_dom_idset_format(set, ",");
    if (!s)
        o->failed = true;
    mv_xml_out_attr(o, name, s);
}

static void topology(struct mv_xml_out *o, const struct mv_dom_cpu *cpu)
{
    if (!cpu->sockets)
        return;
    mv_xml_out_start(o, "topology");
    mv_xml_out_attrf(o, "sockets", "%u", cpu->sockets);
    if (cpu->dies)
        mv_xml_out_attrf(o, "dies", "%u", cpu->dies);
    mv_xml_out_attrf(o, "cores", "%u", cpu->cores);
    mv_xml_out_attrf(o, "threads", "%u", cpu->threads);
    mv_xml_out_end(o);
}

static void cache(struct mv_xml_out *o, const struct mv_dom_cpu *cpu)
{
    if (cpu->cache_mode == MV_DOM_CPU_CACHE_ABSENT)
        return;
    mv_xml_out_start(o, "cache");
    /* the parser takes level 3 or none, and 3 with emulate */
    if (cpu->cache_mode == MV_DOM_CPU_CACHE_EMULATE)
        mv_xml_out_attr(o, "level", "3");
    mv_xml_out_attr(o, "mode", mv_dom_cpu_cache_mode_to_string(cpu->cache_mode));
    mv_xml_out_end(o);
}

static void cell(struct mv_xml_out *o, const struct mv_dom_numa_cell *cell)
{
    mv_xml_out_start(o, "cell");
    mv_xml_out_attrf(o, "id", "%u", cell->id);
    dom_format_idset(o, "cpus", &cell->cpus);
    mv_xml_out_attrf(o, "memory", "%llu", cell->memory_kib);
    mv_xml_out_attr(o, "unit", "KiB");
    mv_xml_out_attr(o, "memAccess", mv_dom_mem_access_to_string(cell->mem_access));
    if (cell->discard != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "discard", cell->discard == MV_TRISTATE_YES ? "yes" : "no");
    if (cell->ndistances) {
        mv_xml_out_start(o, "distances");
        for (size_t i = 0; i < cell->ndistances; i++) {
            mv_xml_out_start(o, "sibling");
            mv_xml_out_attrf(o, "id", "%u", cell->distances[i].cell);
            mv_xml_out_attrf(o, "value", "%u", cell->distances[i].value);
            mv_xml_out_end(o);
        }
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

void dom_format_cpu(struct mv_xml_out *o, const struct mv_dom_cpu *cpu)
{
    if (cpu->mode == MV_DOM_CPU_MODE_ABSENT)
        return;
    mv_xml_out_start(o, "cpu");
    if (cpu->mode_given)
        mv_xml_out_attr(o, "mode", mv_dom_cpu_mode_to_string(cpu->mode));
    mv_xml_out_attr(o, "match", cpu->match);
    mv_xml_out_attr(o, "check", cpu->check);
    if (cpu->migratable != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "migratable", cpu->migratable == MV_TRISTATE_YES ? "on" : "off");
    if (cpu->model) {
        mv_xml_out_start(o, "model");
        mv_xml_out_attr(o, "fallback", cpu->model_fallback);
        mv_xml_out_text(o, cpu->model);
        mv_xml_out_end(o);
    }
    topology(o, cpu);
    cache(o, cpu);
    for (size_t i = 0; i < cpu->nfeatures; i++) {
        mv_xml_out_start(o, "feature");
        mv_xml_out_attr(o, "policy", mv_dom_cpu_feature_policy_to_string(cpu->features[i].policy));
        mv_xml_out_attr(o, "name", cpu->features[i].name);
        mv_xml_out_end(o);
    }
    if (cpu->ncells) {
        mv_xml_out_start(o, "numa");
        for (size_t i = 0; i < cpu->ncells; i++)
            cell(o, &cpu->cells[i]);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}
