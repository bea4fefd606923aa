/*
 * <memoryBacking> and <numatune>: how the guest's RAM is backed on the host
 * and which host NUMA nodes hold it.  Whether the host can give it (free
 * huge pages, the NUMA nodes named) is the command line's question, asked
 * at start (qemu_cmd_memory.c): a definition stays valid when the host changes.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_idset.h"
#include "domain_parse_priv.h"
#include "error_codes.h"

/* Host NUMA node ids as the kernel allows them (MAX_NUMNODES is at most 1024). */
#define HOST_NODES_MAX 1024
/* QEMU's prealloc-threads has no limit of its own; more than the vCPU cap makes no sense. */
#define ALLOC_THREADS_MAX 4096

int dom_attr_idset(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, unsigned int max,
                   struct mv_dom_idset *out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    r = mv_dom_idset_parse(s, max, out);
    if (r == -ENOMEM)
        return r;
    if (r == -ERANGE) {
        _cleanup_free_ char *q = mv_xml_quote(s);

        return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s '%s' of <%s> names an id above %u", name, q,
                               n->name, max - 1)
                 : -ENOMEM;
    }
    return r < 0 ? mv_xml_fail_value(c, n, name, s) : 1;
}

int dom_attr_scaled_kib(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, unsigned long long *kib)
{
    _cleanup_free_ char *v = NULL;
    _cleanup_free_ char *unit = NULL;
    unsigned long long num, scale;
    int r;

    if ((r = mv_xml_attr_get(n, name, &v)) <= 0 || (r = mv_xml_attr_get(n, "unit", &unit)) < 0)
        return r;
    scale = mv_xml_unit_scale(unit ? unit : "KiB");
    if (scale == 0)
        return mv_xml_fail_value(c, n, "unit", unit);
    if (mv_xml_parse_ull(v, false, &num) < 0 || num == 0)
        return mv_xml_fail_value(c, n, name, v);
    if (num > ULLONG_MAX / scale)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s '%s' of <%s> is too large", name, v, n->name);
    *kib = num * scale / 1024 + (num * scale % 1024 != 0);
    return 1;
}

/* ------------------------------------------------------- memoryBacking */

static int mb_page(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    struct mv_dom_hugepage *p = MV_XML_GROW(mb->pages, mb->npages);
    int r;

    if (!p)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("size", "unit", "nodeset"))) < 0 ||
        (r = dom_attr_scaled_kib(c, n, "size", &p->size_kib)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "size");
    /* guest cells: checked against <cpu><numa> once the whole domain is read */
    r = dom_attr_idset(c, n, "nodeset", HOST_NODES_MAX, &p->nodeset);
    return r < 0 ? r : 0;
}

static const struct mv_xml_rule hugepages_rules[] = {
    { "page", mb_page, true },
};

static int mb_hugepages(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    mb->hugepages = true;
    return r < 0 ? r : MV_XML_WALK(c, n, hugepages_rules, mb);
}

/* <nosharepages/>, <locked/>, <discard/>: flags without attributes */
static int mb_flag(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    const char *name = (const char *)n->name;

    if (strcmp(name, "nosharepages") == 0)
        mb->nosharepages = true;
    else if (strcmp(name, "locked") == 0)
        mb->locked = true;
    else
        mb->discard = true;
    return mv_xml_leaf(c, n, MV_XML_NO_ATTRS);
}

static int mb_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    int v, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_dom_mem_source_from_string, &v)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    mb->source = v;
    return 0;
}

static int mb_access(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    int v, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", mv_dom_mem_access_from_string, &v)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "mode");
    mb->access = v;
    return 0;
}

static int mb_allocation(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = obj;
    int v, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode", "threads"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", mv_dom_mem_alloc_from_string, &v)) < 0)
        return r;
    if (r)
        mb->allocation = v;
    r = mv_xml_attr_uint_range(c, n, "threads", false, 1, ALLOC_THREADS_MAX, &mb->alloc_threads);
    if (r < 0)
        return r;
    /* the threads fill the memory in at start: nothing to do on demand */
    if (mb->alloc_threads && mb->allocation == MV_DOM_MEM_ALLOC_ONDEMAND)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<allocation threads> needs mode='immediate'");
    return 0;
}

static const struct mv_xml_rule mb_rules[] = {
    { "hugepages", mb_hugepages, false },
    { "nosharepages", mb_flag, false },
    { "locked", mb_flag, false },
    { "source", mb_source, false },
    { "access", mb_access, false },
    { "allocation", mb_allocation, false },
    { "discard", mb_flag, false },
};

int dom_parse_memory_backing(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memory_backing *mb = &((struct mv_dom_def *)obj)->memory_backing;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    mb->given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, mb_rules, mb);
}

/* ----------------------------------------------------------- numatune */

static int numatune_mode(struct mv_xml_ctx *c, xmlNodePtr n, enum mv_dom_numatune_mode *mode)
{
    int v, r = mv_xml_attr_enum(c, n, "mode", mv_dom_numatune_mode_from_string, &v);

    if (r == 1)
        *mode = v;
    return r;
}

static int nt_memory(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_numatune *nt = obj;
    _cleanup_free_ char *placement = NULL;
    int r;

    nt->memory_given = true;
    /* placement='auto' asks numad for the nodes: there is no numad here */
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode", "nodeset", "placement"))) < 0 ||
        (r = numatune_mode(c, n, &nt->mode)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "placement", (const char *const[]){ "static", "auto", NULL }, &placement)) < 0)
        return r;
    if (placement && strcmp(placement, "auto") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<numatune><memory placement='auto'> needs numad, "
                           "which modvirt-qemud does not use; give a nodeset");
    if ((r = dom_attr_idset(c, n, "nodeset", HOST_NODES_MAX, &nt->nodeset)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numatune><memory> needs a nodeset (placement is static)");
    return 0;
}

static int nt_memnode(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_numatune *nt = obj;
    struct mv_dom_memnode *m = MV_XML_GROW(nt->memnodes, nt->nmemnodes);
    int r;

    if (!m)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("cellid", "mode", "nodeset"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "cellid", false, 0, UINT_MAX - 1, &m->cellid)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "cellid");
    if ((r = numatune_mode(c, n, &m->mode)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "mode");
    if ((r = dom_attr_idset(c, n, "nodeset", HOST_NODES_MAX, &m->nodeset)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "nodeset");
    for (size_t i = 0; i + 1 < nt->nmemnodes; i++)
        if (nt->memnodes[i].cellid == m->cellid)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numatune><memnode cellid='%u'> given more than once",
                               m->cellid);
    return 0;
}

static const struct mv_xml_rule numatune_rules[] = {
    { "memory", nt_memory, false },
    { "memnode", nt_memnode, true },
};

int dom_parse_numatune(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_numatune *nt = &((struct mv_dom_def *)obj)->numatune;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    nt->given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, numatune_rules, nt);
}

/* --------------------------------------------------- whole-domain checks */

/* A cell comes in one page size: page I may share no cell with an earlier
 * page, or one of the two sizes would be dropped without a word. */
static int check_page_overlap(struct mv_xml_ctx *c, const struct mv_dom_memory_backing *mb, size_t i)
{
    const struct mv_dom_hugepage *p = &mb->pages[i];

    for (size_t j = 0; j < i; j++)
        for (size_t k = 0; k < p->nodeset.n; k++)
            if (mv_dom_idset_has(&mb->pages[j].nodeset, p->nodeset.ids[k]))
                return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                                   "<hugepages>: the <page> of %llu KiB and the <page> of %llu KiB both name "
                                   "guest NUMA cell %u in their nodeset", mb->pages[j].size_kib,
                                   p->size_kib, p->nodeset.ids[k]);
    return 0;
}

static int check_pages(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_memory_backing *mb = &def->memory_backing;
    int r;

    for (size_t i = 0; i < mb->npages; i++) {
        const struct mv_dom_hugepage *p = &mb->pages[i];

        for (size_t j = 0; j < p->nodeset.n; j++)
            if (p->nodeset.ids[j] >= def->cpu.ncells)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                                   "<hugepages><page nodeset> names guest NUMA cell %u, which <cpu><numa> "
                                   "does not define", p->nodeset.ids[j]);
        /* one size for everything left: only one page may leave the nodeset out */
        for (size_t j = 0; j < i; j++)
            if (p->nodeset.n == 0 && mb->pages[j].nodeset.n == 0)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                                   "only one <hugepages><page> may leave out nodeset");
        if ((r = check_page_overlap(c, mb, i)) < 0)
            return r;
    }
    return 0;
}

static int check_numatune(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_numatune *nt = &def->numatune;

    for (size_t i = 0; i < nt->nmemnodes; i++) {
        if (def->cpu.ncells == 0)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numatune><memnode> needs guest NUMA cells in <cpu><numa>");
        if (nt->memnodes[i].cellid >= def->cpu.ncells)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numatune><memnode cellid='%u'>: there is no such "
                               "guest NUMA cell", nt->memnodes[i].cellid);
    }
    return 0;
}

int dom_check_memory_backing(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_memory_backing *mb = &def->memory_backing;
    int r;

    if (mb->hugepages && mb->source == MV_DOM_MEM_SOURCE_ANONYMOUS)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<memoryBacking><hugepages> cannot be <source type='anonymous'>");
    /* the threads only fill memory in at start, which is done for
     * mode='immediate' and for huge pages (as libvirt writes prealloc-threads
     * only beside prealloc); anywhere else they would be dropped */
    if (mb->alloc_threads && mb->allocation != MV_DOM_MEM_ALLOC_IMMEDIATE && !mb->hugepages)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<memoryBacking><allocation threads='%u'> needs "
                           "mode='immediate' or <hugepages>: the threads only preallocate memory",
                           mb->alloc_threads);
    if ((r = check_pages(c, def)) < 0)
        return r;
    return check_numatune(c, def);
}
