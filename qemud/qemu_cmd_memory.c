/*
 * The guest's RAM: -m, and a memory backend object for it when
 * <memoryBacking> or <numatune> asks for more than QEMU's default anonymous
 * memory ("-machine memory-backend=pc.ram"), or one backend per guest NUMA
 * cell ("-numa node,memdev=ram-nodeN") with the cells' distances.
 *
 * Decisions:
 * - The backend type: memory-backend-memfd for <source type='memfd'/>, and
 *   for shared access without a source (shared memory other processes such
 *   as virtiofsd can map needs an fd, and memfd needs no files);
 *   memory-backend-file in ctx->memory_dir for type='file'; with hugepages
 *   memory-backend-file on the hugetlbfs mount of that page size, or memfd
 *   with hugetlb=on; memory-backend-ram otherwise.
 * - share= is always written: QEMU's default differs between backend types
 *   (memfd shares unless told otherwise).
 * - Huge pages are preallocated unless <allocation mode='ondemand'/>: a
 *   guest touching a page the pool cannot give is killed with SIGBUS.
 * - <discard/> becomes discard-data=on on file-backed RAM; anonymous and
 *   memfd RAM is gone when QEMU exits anyway.
 * - <numatune> modes map to the backends' mbind policy (strict: bind); the
 *   nodes must be host NUMA nodes with memory.  'restrictive' only limits a
 *   cpuset cgroup, which qemud does not manage: refused.  'preferred' takes
 *   one node (QEMU 7.2 uses MPOL_PREFERRED).
 * - <locked/> is -overcommit mem-lock=on; <nosharepages/> -machine mem-merge=off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_idset.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* The whole RAM's backend without NUMA cells (libvirt's id). */
#define RAM_ID "pc.ram"

/* What the backends of one command line use up. */
struct mem_state {
    unsigned long long *pages_used;     /* by ctx->hugepages index */
};

static enum mv_dom_mem_access cell_access(const struct mv_dom_def *def, int cell)
{
    if (cell >= 0 && def->cpu.cells[cell].mem_access != MV_DOM_MEM_ACCESS_DEFAULT)
        return def->cpu.cells[cell].mem_access;
    return def->memory_backing.access;
}

static bool cell_discard(const struct mv_dom_def *def, int cell)
{
    if (cell >= 0 && def->cpu.cells[cell].discard != MV_TRISTATE_ABSENT)
        return def->cpu.cells[cell].discard == MV_TRISTATE_YES;
    return def->memory_backing.discard;
}

/* The huge page size (KiB) CELL's memory comes in (-1: the whole RAM); 0
 * for ordinary pages, or <0 when the host has none to offer. */
static long long cell_page_kib(struct cmd *c, int cell)
{
    const struct mv_dom_memory_backing *mb = &c->def->memory_backing;
    const struct mv_dom_hugepage *fallback = NULL;

    if (!mb->hugepages)
        return 0;
    if (mb->npages == 0) {
        if (c->ctx->nhugepages == 0)
            return cmd_refuse(c, "<memoryBacking><hugepages>: this host has no huge pages");
        return (long long)c->ctx->hugepages[0].page_kib;
    }
    for (size_t i = 0; i < mb->npages; i++) {
        if (mb->pages[i].nodeset.n == 0)
            fallback = &mb->pages[i];
        else if (cell >= 0 && mv_dom_idset_has(&mb->pages[i].nodeset, (unsigned int)cell))
            return (long long)mb->pages[i].size_kib;
    }
    return fallback ? (long long)fallback->size_kib : 0;
}

/* The host's pool of PAGE_KIB pages, with room taken for KIB of guest RAM. */
static const struct mv_qemu_hugepages *take_pages(struct cmd *c, struct mem_state *st, unsigned long long page_kib,
                                                  unsigned long long kib, const char *what)
{
    const struct mv_qemu_cmd_ctx *ctx = c->ctx;

    for (size_t i = 0; i < ctx->nhugepages; i++) {
        if (ctx->hugepages[i].page_kib != page_kib)
            continue;
        if (kib % page_kib) {
            cmd_refuse(c, "%s: %llu KiB of memory is not a whole number of %llu KiB huge pages", what, kib,
                       page_kib);
            return NULL;
        }
        st->pages_used[i] += kib / page_kib;
        if (st->pages_used[i] > ctx->hugepages[i].free_pages) {
            cmd_refuse(c, "%s needs %llu huge pages of %llu KiB; this host has %llu free", what,
                       st->pages_used[i], page_kib, ctx->hugepages[i].free_pages);
            return NULL;
        }
        return &ctx->hugepages[i];
    }
    cmd_refuse(c, "%s: this host has no huge pages of %llu KiB", what, page_kib);
    return NULL;
}

/* A backend's type and where its memory comes from. */
struct backend_kind {
    const char *type;
    const char *mem_path;               /* memory-backend-file */
    unsigned long long hugetlb_kib;     /* memory-backend-memfd on huge pages */
};

static int backend_kind(struct cmd *c, struct mem_state *st, int cell, unsigned long long kib, const char *what,
                        struct backend_kind *k)
{
    const struct mv_dom_memory_backing *mb = &c->def->memory_backing;
    long long page_kib = cell_page_kib(c, cell);
    const struct mv_qemu_hugepages *pool;

    if (page_kib < 0)
        return (int)page_kib;
    if (page_kib > 0) {
        if (!(pool = take_pages(c, st, (unsigned long long)page_kib, kib, what)))
            return -ENOTSUP;
        if (mb->source == MV_DOM_MEM_SOURCE_MEMFD) {
            *k = (struct backend_kind){ "memory-backend-memfd", NULL, (unsigned long long)page_kib };
            return 0;
        }
        if (!pool->mount)
            return cmd_refuse(c, "%s: no hugetlbfs is mounted for the %lld KiB huge pages", what, page_kib);
        *k = (struct backend_kind){ "memory-backend-file", pool->mount, 0 };
        return 0;
    }
    if (mb->source == MV_DOM_MEM_SOURCE_FILE) {
        if (!c->ctx->memory_dir)
            return cmd_internal(c, "no directory for the file-backed memory of domain '%s'",
                                cmd_quote(c, c->def->name));
        *k = (struct backend_kind){ "memory-backend-file", c->ctx->memory_dir, 0 };
    } else if (mb->source == MV_DOM_MEM_SOURCE_MEMFD ||
               (mb->source == MV_DOM_MEM_SOURCE_DEFAULT && cell_access(c->def, cell) == MV_DOM_MEM_ACCESS_SHARED)) {
        *k = (struct backend_kind){ "memory-backend-memfd", NULL, 0 };
    } else {
        *k = (struct backend_kind){ "memory-backend-ram", NULL, 0 };
    }
    return 0;
}

static bool host_has_node(const struct mv_qemu_cmd_ctx *ctx, unsigned int node)
{
    for (size_t i = 0; i < ctx->nhost_nodes; i++)
        if (ctx->host_nodes[i] == node)
            return true;
    return false;
}

static int check_host_nodes(struct cmd *c, const struct mv_dom_idset *set, const char *what)
{
    struct mv_dom_idset host = { .ids = (unsigned int *)c->ctx->host_nodes, .n = c->ctx->nhost_nodes };
    _cleanup_free_ char *have = NULL;

    for (size_t i = 0; i < set->n; i++) {
        if (host_has_node(c->ctx, set->ids[i]))
            continue;
        have = mv_dom_idset_format(&host, ",");
        if (!have)
            return -ENOMEM;
        return cmd_refuse(c, "%s names host NUMA node %u, which does not exist on this host (nodes with "
                          "memory: %s)", what, set->ids[i], host.n ? have : "none known");
    }
    return 0;
}

/* host-nodes and policy from <numatune> for CELL (-1: the whole RAM). */
static int backend_policy(struct cmd *c, struct opt *o, int cell)
{
    static const char *const policies[] = { [MV_DOM_NUMATUNE_ABSENT] = "bind", [MV_DOM_NUMATUNE_STRICT] = "bind",
                                            [MV_DOM_NUMATUNE_PREFERRED] = "preferred",
                                            [MV_DOM_NUMATUNE_INTERLEAVE] = "interleave" };
    const struct mv_dom_numatune *nt = &c->def->numatune;
    const struct mv_dom_idset *set = nt->memory_given ? &nt->nodeset : NULL;
    enum mv_dom_numatune_mode mode = nt->mode;
    const char *what = "<numatune><memory>";
    size_t i = 0;
    unsigned int first, last;
    int r;

    for (size_t m = 0; cell >= 0 && m < nt->nmemnodes; m++)
        if (nt->memnodes[m].cellid == (unsigned int)cell) {
            set = &nt->memnodes[m].nodeset;
            mode = nt->memnodes[m].mode;
            what = "<numatune><memnode>";
        }
    if (!set)
        return 0;
    if (mode == MV_DOM_NUMATUNE_RESTRICTIVE)
        return cmd_refuse(c, "%s mode 'restrictive' limits memory through a cpuset cgroup, which modvirt-qemud "
                          "does not manage; use 'strict'", what);
    if (mode == MV_DOM_NUMATUNE_PREFERRED && set->n > 1)
        return cmd_refuse(c, "%s mode 'preferred' takes a single host NUMA node", what);
    if ((r = check_host_nodes(c, set, what)) < 0)
        return r;
    while (mv_dom_idset_range(set, &i, &first, &last)) {
        if (first == last)
            opt_kv(o, "host-nodes", "%u", first);
        else
            opt_kv(o, "host-nodes", "%u-%u", first, last);
    }
    opt_kv(o, "policy", "%s", policies[mode]);
    return 0;
}

/* -object memory-backend-*,id=ID for KIB of RAM: cell CELL's, or all (-1). */
static int build_backend(struct cmd *c, struct mem_state *st, const char *id, int cell, unsigned long long kib)
{
    const struct mv_dom_memory_backing *mb = &c->def->memory_backing;
    _cleanup_opt_ struct opt o = { 0 };
    struct backend_kind k = { 0 };
    char what[48];
    int r;

    if (cell < 0)
        snprintf(what, sizeof(what), "the guest's memory");
    else
        snprintf(what, sizeof(what), "guest NUMA cell %d", cell);
    if ((r = backend_kind(c, st, cell, kib, what, &k)) < 0)
        return r;
    opt_kv(&o, NULL, "%s", k.type);
    opt_kv(&o, "id", "%s", id);
    if (k.mem_path)
        opt_kv(&o, "mem-path", "%s", k.mem_path);
    if (k.hugetlb_kib) {
        opt_onoff(&o, "hugetlb", true);
        opt_kv(&o, "hugetlbsize", "%llu", k.hugetlb_kib * 1024);
    }
    opt_onoff(&o, "share", cell_access(c->def, cell) == MV_DOM_MEM_ACCESS_SHARED);
    if (mb->allocation == MV_DOM_MEM_ALLOC_IMMEDIATE ||
        (mb->allocation == MV_DOM_MEM_ALLOC_DEFAULT && (k.hugetlb_kib || cell_page_kib(c, cell) > 0))) {
        opt_onoff(&o, "prealloc", true);
        if (mb->alloc_threads)
            opt_kv(&o, "prealloc-threads", "%u", mb->alloc_threads);
    }
    if (k.mem_path && cell_discard(c->def, cell))
        opt_onoff(&o, "discard-data", true);
    opt_kv(&o, "size", "%llu", kib * 1024);
    if ((r = backend_policy(c, &o, cell)) < 0)
        return r;
    return cmd_opt(c, "-object", &o);
}

static int build_cells(struct cmd *c, struct mem_state *st)
{
    const struct mv_dom_cpu *cpu = &c->def->cpu;
    char id[32];
    int r = 0;

    for (size_t i = 0; r >= 0 && i < cpu->ncells; i++) {
        _cleanup_opt_ struct opt o = { 0 };
        size_t at = 0;
        unsigned int first, last;

        snprintf(id, sizeof(id), "ram-node%zu", i);
        if ((r = build_backend(c, st, id, (int)i, cpu->cells[i].memory_kib)) < 0)
            return r;
        opt_kv(&o, NULL, "node");
        opt_kv(&o, "nodeid", "%zu", i);
        while (mv_dom_idset_range(&cpu->cells[i].cpus, &at, &first, &last)) {
            if (first == last)
                opt_kv(&o, "cpus", "%u", first);
            else
                opt_kv(&o, "cpus", "%u-%u", first, last);
        }
        opt_kv(&o, "memdev", "%s", id);
        r = cmd_opt(c, "-numa", &o);
    }
    for (size_t i = 0; r >= 0 && i < cpu->ncells; i++)
        for (size_t j = 0; r >= 0 && j < cpu->cells[i].ndistances; j++) {
            _cleanup_opt_ struct opt o = { 0 };

            opt_kv(&o, NULL, "dist");
            opt_kv(&o, "src", "%zu", i);
            opt_kv(&o, "dst", "%u", cpu->cells[i].distances[j].cell);
            opt_kv(&o, "val", "%u", cpu->cells[i].distances[j].value);
            r = cmd_opt(c, "-numa", &o);
        }
    return r;
}

/* Whether the RAM without NUMA cells needs a backend of its own: anything
 * but QEMU's default private anonymous memory on any host node. */
static bool needs_ram_backend(const struct mv_dom_def *def)
{
    const struct mv_dom_memory_backing *mb = &def->memory_backing;

    return mb->source != MV_DOM_MEM_SOURCE_DEFAULT || mb->access != MV_DOM_MEM_ACCESS_DEFAULT || mb->hugepages ||
           mb->allocation == MV_DOM_MEM_ALLOC_IMMEDIATE || mb->discard || def->numatune.memory_given;
}

static int build_size(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    _cleanup_opt_ struct opt o = { 0 };

    if (def->memory_kib == 0)
        return cmd_refuse(c, "memory size 0 is not possible");
    opt_kv(&o, "size", "%lluk", def->memory_kib);
    if (def->max_memory_kib > 0) {
        if (def->max_memory_kib < def->memory_kib)
            return cmd_refuse(c, "maxMemory %llu KiB is less than memory %llu KiB",
                              def->max_memory_kib, def->memory_kib);
        if (def->max_memory_slots > 0)
            opt_kv(&o, "slots", "%u", def->max_memory_slots);
        opt_kv(&o, "maxmem", "%lluk", def->max_memory_kib);
    }
    return cmd_opt(c, "-m", &o);
}

static int build_machine_memory(struct cmd *c, bool ram_backend)
{
    _cleanup_opt_ struct opt o = { 0 };

    if (!ram_backend && !c->def->memory_backing.nosharepages)
        return 0;
    /* QEMU merges repeated -machine options */
    if (ram_backend)
        opt_kv(&o, "memory-backend", RAM_ID);
    if (c->def->memory_backing.nosharepages)
        opt_onoff(&o, "mem-merge", false);
    return cmd_opt(c, "-machine", &o);
}

int build_memory(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    _cleanup_free_ unsigned long long *used = calloc(c->ctx->nhugepages + 1, sizeof(*used));
    struct mem_state st = { .pages_used = used };
    bool ram_backend = def->cpu.ncells == 0 && needs_ram_backend(def);
    int r;

    if (!used)
        return -ENOMEM;
    if ((r = build_size(c)) < 0)
        return r;
    if (ram_backend)
        r = build_backend(c, &st, RAM_ID, -1, def->memory_kib);
    else if (def->cpu.ncells)
        r = build_cells(c, &st);
    if (r >= 0)
        r = build_machine_memory(c, ram_backend);
    if (r >= 0 && def->memory_backing.locked)
        r = cmd_pair(c, "-overcommit", "mem-lock=on");
    return r;
}

bool memory_is_shared(const struct mv_dom_def *def)
{
    size_t n = def->cpu.ncells ? def->cpu.ncells : 1;

    if (def->memory_backing.source == MV_DOM_MEM_SOURCE_ANONYMOUS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (cell_access(def, def->cpu.ncells ? (int)i : -1) != MV_DOM_MEM_ACCESS_SHARED)
            return false;
    return true;
}
