/*
 * <cpu>: mode and model, migratable, check, topology, cache, features with
 * their policies and the guest NUMA cells, and the checks that tie them to
 * <vcpu> and <memory> once the whole domain is read.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cpu_x86_features.h"
#include "domain_def.h"
#include "domain_idset.h"
#include "domain_parse_priv.h"
#include "error_codes.h"

/* QEMU's limit on guest NUMA nodes (MAX_NODES) */
#define NUMA_CELLS_MAX 128
/* ACPI SLIT: 10 is a node's distance to itself, 255 means unreachable */
#define DISTANCE_LOCAL 10
#define DISTANCE_MAX 255

static int cpu_model(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_ATTRS("fallback"), &cpu->model)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "fallback", (const char *const[]){ "allow", "forbid", NULL },
                                &cpu->model_fallback)) < 0)
        return r;
    if (!mv_xml_token_ok(cpu->model, "_.+-"))
        return mv_xml_fail_value(c, n, NULL, cpu->model);
    return 0;
}

static int cpu_topology(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const attrs[] = { "sockets", "dies", "cores", "threads", NULL };
    struct mv_dom_cpu *cpu = obj;
    unsigned int *fields[] = { &cpu->sockets, &cpu->dies, &cpu->cores, &cpu->threads };
    int r;

    if ((r = mv_xml_leaf(c, n, attrs)) < 0)
        return r;
    for (size_t i = 0; attrs[i]; i++) {
        r = mv_xml_attr_uint_range(c, n, attrs[i], false, 1, DOM_VCPUS_MAX, fields[i]);
        if (r < 0)
            return r;
        /* dies alone may be left out (one per socket) */
        if (r == 0 && i != 1)
            return mv_xml_fail_missing_attr(c, n, attrs[i]);
    }
    return 0;
}

/* <cache mode level>: QEMU can emulate an L3 cache or hide it, or show the
 * host's caches as they are; other levels have no switch of their own. */
static int cpu_cache(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    unsigned int level = 0;
    int mode, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("level", "mode"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "level", false, 1, 3, &level)) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", mv_dom_cpu_cache_mode_from_string, &mode)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "mode");
    cpu->cache_mode = mode;
    if (mode == MV_DOM_CPU_CACHE_PASSTHROUGH && level)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<cpu><cache mode='passthrough'> takes no level");
    if (mode == MV_DOM_CPU_CACHE_EMULATE && level != 3)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<cpu><cache mode='emulate'> needs level='3' "
                           "(QEMU emulates only the L3 cache's description)");
    if (mode == MV_DOM_CPU_CACHE_DISABLE && level && level != 3)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<cpu><cache mode='disable'> can only hide level 3");
    return 0;
}

static int cpu_feature(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    struct mv_dom_cpu_feature *f = MV_XML_GROW(cpu->features, cpu->nfeatures);
    _cleanup_free_ char *q = NULL;
    int policy, r;

    if (!f)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("policy", "name"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "policy", mv_dom_cpu_feature_policy_from_string, &policy)) < 0)
        return r;
    /* libvirt's default for a guest CPU */
    f->policy = r ? policy : MV_DOM_CPU_FEATURE_REQUIRE;
    if ((r = mv_xml_attr_get(n, "name", &f->name)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "name");
    if (!mv_cpu_x86_feature(f->name)) {
        q = mv_xml_quote(f->name);
        return q ? mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown CPU feature '%s' (QEMU has no such "
                               "x86 CPUID flag)", q)
                 : -ENOMEM;
    }
    for (size_t i = 0; i + 1 < cpu->nfeatures; i++)
        if (strcmp(mv_cpu_x86_feature(cpu->features[i].name), mv_cpu_x86_feature(f->name)) == 0)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "CPU feature '%s' given more than once", f->name);
    return 0;
}

/* ---------------------------------------------------------------- numa */

static int cell_sibling(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_numa_cell *cell = obj;
    struct mv_dom_numa_distance *d = MV_XML_GROW(cell->distances, cell->ndistances);
    int r;

    if (!d)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("id", "value"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "id", false, 0, NUMA_CELLS_MAX - 1, &d->cell)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "id");
    if ((r = mv_xml_attr_uint_range(c, n, "value", false, DISTANCE_LOCAL, DISTANCE_MAX, &d->value)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "value");
    for (size_t i = 0; i + 1 < cell->ndistances; i++)
        if (cell->distances[i].cell == d->cell)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cell id='%u'><distances><sibling id='%u'> given more "
                               "than once", cell->id, d->cell);
    return 0;
}

static const struct mv_xml_rule distances_rules[] = {
    { "sibling", cell_sibling, true },
};

static int cell_distances(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, distances_rules, obj);
}

static const struct mv_xml_rule cell_rules[] = {
    { "distances", cell_distances, false },
};

static int cell_attrs(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_numa_cell *cell)
{
    int access, r;

    if ((r = mv_xml_attr_uint_range(c, n, "id", false, 0, NUMA_CELLS_MAX - 1, &cell->id)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "id");
    if ((r = dom_attr_idset(c, n, "cpus", DOM_VCPUS_MAX, &cell->cpus)) < 0 ||
        (r = dom_attr_scaled_kib(c, n, "memory", &cell->memory_kib)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "memory");
    if ((r = mv_xml_attr_enum(c, n, "memAccess", mv_dom_mem_access_from_string, &access)) < 0)
        return r;
    if (r)
        cell->mem_access = access;
    r = dom_attr_yesno(c, n, "discard", &cell->discard);
    return r < 0 ? r : 0;
}

static int numa_cell(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    struct mv_dom_numa_cell *cell = MV_XML_GROW(cpu->cells, cpu->ncells);
    int r;

    if (!cell)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("id", "cpus", "memory", "unit", "memAccess", "discard"))) < 0 ||
        (r = cell_attrs(c, n, cell)) < 0)
        return r;
    /* QEMU numbers its nodes by position */
    if (cell->id != cpu->ncells - 1)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numa><cell id='%u'> is out of order: cell ids must be "
                           "0, 1, 2... in the order written", cell->id);
    return MV_XML_WALK(c, n, cell_rules, cell);
}

static const struct mv_xml_rule numa_rules[] = {
    { "cell", numa_cell, true },
};

static int cpu_numa(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    if (r < 0 || (r = MV_XML_WALK(c, n, numa_rules, cpu)) < 0)
        return r;
    return cpu->ncells ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cpu><numa> needs at least one <cell>");
}

/* ----------------------------------------------------------------- cpu */

static const struct mv_xml_rule cpu_rules[] = {
    { "model", cpu_model, false },
    { "topology", cpu_topology, false },
    { "cache", cpu_cache, false },
    { "feature", cpu_feature, true },
    { "numa", cpu_numa, false },
};

static int cpu_attrs(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_cpu *cpu)
{
    bool migratable;
    int mode, r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("mode", "match", "check", "migratable"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", mv_dom_cpu_mode_from_string, &mode)) < 0)
        return r;
    cpu->mode_given = r == 1;
    cpu->mode = r ? mode : MV_DOM_CPU_MODE_CUSTOM;
    if ((r = mv_xml_attr_choice(c, n, "match", (const char *const[]){ "exact", "minimum", "strict", NULL },
                                &cpu->match)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "check", (const char *const[]){ "none", "partial", "full", NULL },
                                &cpu->check)) < 0 ||
        (r = mv_xml_attr_onoff(c, n, "migratable", &migratable)) < 0)
        return r;
    if (r == 0)
        return 0;
    cpu->migratable = migratable ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    /* only these two take the host's features as they come, migratable or not */
    if (cpu->mode != MV_DOM_CPU_MODE_HOST_PASSTHROUGH && cpu->mode != MV_DOM_CPU_MODE_MAXIMUM)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cpu migratable> needs mode 'host-passthrough' or 'maximum'");
    return 0;
}

int dom_parse_cpu(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = &((struct mv_dom_def *)obj)->cpu;
    int r;

    if ((r = cpu_attrs(c, n, cpu)) < 0 || (r = MV_XML_WALK(c, n, cpu_rules, cpu)) < 0)
        return r;
    if (cpu->mode == MV_DOM_CPU_MODE_CUSTOM && cpu->nfeatures && !cpu->model)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cpu><feature> in mode 'custom' needs a <model>");
    if (cpu->cache_mode == MV_DOM_CPU_CACHE_PASSTHROUGH && cpu->mode != MV_DOM_CPU_MODE_HOST_PASSTHROUGH &&
        cpu->mode != MV_DOM_CPU_MODE_MAXIMUM)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<cpu><cache mode='passthrough'> needs mode "
                           "'host-passthrough' or 'maximum'");
    return 0;
}

/* --------------------------------------------------- whole-domain checks */

static int check_topology(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_cpu *cpu = &def->cpu;
    unsigned long long product;

    if (cpu->sockets == 0)
        return 0;
    product = (unsigned long long)cpu->sockets * (cpu->dies ? cpu->dies : 1) * cpu->cores * cpu->threads;
    if (product != def->vcpus)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cpu><topology> gives %llu vcpus, but <vcpu> is %u",
                           product, def->vcpus);
    return 0;
}

/* Every vCPU in exactly one cell, and the cells' memory is <memory>. */
static int check_cells(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_cpu *cpu = &def->cpu;
    _cleanup_free_ unsigned int *owner = calloc(def->vcpus, sizeof(*owner));     /* cell + 1 */
    unsigned long long sum = 0;

    if (!owner)
        return -ENOMEM;
    for (size_t i = 0; i < cpu->ncells; i++) {
        const struct mv_dom_idset *s = &cpu->cells[i].cpus;

        sum += cpu->cells[i].memory_kib;
        for (size_t j = 0; j < s->n; j++) {
            if (s->ids[j] >= def->vcpus)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<numa><cell id='%zu'> names vCPU %u, beyond the %u "
                                   "vCPUs of <vcpu>", i, s->ids[j], def->vcpus);
            if (owner[s->ids[j]])
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "vCPU %u is in <numa> cells %u and %zu", s->ids[j],
                                   owner[s->ids[j]] - 1, i);
            owner[s->ids[j]] = (unsigned int)i + 1;
        }
    }
    for (unsigned int v = 0; v < def->vcpus; v++)
        if (!owner[v])
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "vCPU %u is in no <numa><cell> (the cells' cpus must "
                               "cover all %u vCPUs)", v, def->vcpus);
    if (sum != def->memory_kib)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "the <numa> cells hold %llu KiB, but <memory> is %llu KiB",
                           sum, def->memory_kib);
    return 0;
}

/* Distance from cell A to B as written, 0 if not. */
static unsigned int distance(const struct mv_dom_cpu *cpu, size_t a, size_t b)
{
    for (size_t i = 0; i < cpu->cells[a].ndistances; i++)
        if (cpu->cells[a].distances[i].cell == b)
            return cpu->cells[a].distances[i].value;
    return 0;
}

/* QEMU fills a missing direction from the other one; beyond that the
 * table must be whole, and a node is at distance 10 from itself. */
static int check_distances(struct mv_xml_ctx *c, const struct mv_dom_cpu *cpu)
{
    bool any = false, asymmetric = false;

    for (size_t i = 0; i < cpu->ncells; i++) {
        any |= cpu->cells[i].ndistances > 0;
        for (size_t j = 0; j < cpu->cells[i].ndistances; j++)
            if (cpu->cells[i].distances[j].cell >= cpu->ncells)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<cell id='%zu'><distances><sibling id='%u'>: there is "
                                   "no such cell", i, cpu->cells[i].distances[j].cell);
    }
    for (size_t a = 0; any && a < cpu->ncells; a++) {
        unsigned int self = distance(cpu, a, a);

        if (self && self != DISTANCE_LOCAL)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "the distance of <cell id='%zu'> to itself must be %d",
                               a, DISTANCE_LOCAL);
        for (size_t b = a + 1; b < cpu->ncells; b++) {
            unsigned int ab = distance(cpu, a, b), ba = distance(cpu, b, a);

            if (!ab && !ba)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "the distance between <numa> cells %zu and %zu is "
                                   "missing", a, b);
            asymmetric |= ab && ba && ab != ba;
        }
    }
    for (size_t a = 0; asymmetric && a < cpu->ncells; a++)
        for (size_t b = 0; b < cpu->ncells; b++)
            if (a != b && !distance(cpu, a, b))
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "asymmetric <numa> distances need both directions of "
                                   "every pair; cell %zu to %zu is missing", a, b);
    return 0;
}

int dom_check_cpu(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    int r = check_topology(c, def);

    if (r < 0 || def->cpu.ncells == 0)
        return r;
    if ((r = check_cells(c, def)) < 0)
        return r;
    return check_distances(c, &def->cpu);
}
