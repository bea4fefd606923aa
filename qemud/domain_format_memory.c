/*
 * <memoryBacking> and <numatune> back to XML, in libvirt's element order.
 */
#include "config.h"

#include "domain_format_cpumem.h"

static void leaf_flag(struct mv_xml_out *o, const char *name, bool on)
{
    if (!on)
        return;
    mv_xml_out_start(o, name);
    mv_xml_out_end(o);
}

static void hugepages(struct mv_xml_out *o, const struct mv_dom_memory_backing *mb)
{
    if (!mb->hugepages)
        return;
    mv_xml_out_start(o, "hugepages");
    for (size_t i = 0; i < mb->npages; i++) {
        mv_xml_out_start(o, "page");
        mv_xml_out_attrf(o, "size", "%llu", mb->pages[i].size_kib);
        mv_xml_out_attr(o, "unit", "KiB");
        dom_format_idset(o, "nodeset", &mb->pages[i].nodeset);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

void dom_format_memory_backing(struct mv_xml_out *o, const struct mv_dom_memory_backing *mb)
{
    if (!mb->given)
        return;
    mv_xml_out_start(o, "memoryBacking");
    hugepages(o, mb);
    leaf_flag(o, "nosharepages", mb->nosharepages);
    leaf_flag(o, "locked", mb->locked);
    mv_xml_out_leaf(o, "source", "type", mv_dom_mem_source_to_string(mb->source));
    mv_xml_out_leaf(o, "access", "mode", mv_dom_mem_access_to_string(mb->access));
    if (mb->allocation != MV_DOM_MEM_ALLOC_DEFAULT || mb->alloc_threads) {
        mv_xml_out_start(o, "allocation");
        mv_xml_out_attr(o, "mode", mv_dom_mem_alloc_to_string(mb->allocation));
        if (mb->alloc_threads)
            mv_xml_out_attrf(o, "threads", "%u", mb->alloc_threads);
        mv_xml_out_end(o);
    }
    leaf_flag(o, "discard", mb->discard);
    mv_xml_out_end(o);
}

void dom_format_numatune(struct mv_xml_out *o, const struct mv_dom_numatune *nt)
{
    if (!nt->given)
        return;
    mv_xml_out_start(o, "numatune");
    if (nt->memory_given) {
        mv_xml_out_start(o, "memory");
        mv_xml_out_attr(o, "mode", mv_dom_numatune_mode_to_string(nt->mode));
        dom_format_idset(o, "nodeset", &nt->nodeset);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < nt->nmemnodes; i++) {
        const struct mv_dom_memnode *m = &nt->memnodes[i];

        mv_xml_out_start(o, "memnode");
        mv_xml_out_attrf(o, "cellid", "%u", m->cellid);
        mv_xml_out_attr(o, "mode", mv_dom_numatune_mode_to_string(m->mode));
        dom_format_idset(o, "nodeset", &m->nodeset);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}
