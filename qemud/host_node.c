#define MV_LOG_MODULE "qemud.host"
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "host_node.h"
#include "host_cpuinfo.h"
#include "sysfs.h"
#include "log.h"

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"

static void topology_clear_cell(struct mv_host_cell *cell)
{
    for (int i = 0; i < cell->ncpus; i++)
        free(cell->cpus[i].siblings);
    free(cell->cpus);
    free(cell->distances);
}

void mv_host_topology_clear(struct mv_host_topology *topo)
{
    if (!topo)
        return;
    for (int i = 0; i < topo->ncells; i++)
        topology_clear_cell(&topo->cells[i]);
    free(topo->cells);
    topo->cells = NULL;
    topo->ncells = 0;
}

static bool id_in(const int *ids, int n, int id)
{
    int lo = 0, hi = n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (ids[mid] == id)
            return true;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int read_idlist(const char *sysroot, const char *path, int **ids, int *n)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_sysfs_read(sysroot, path, &text);

    if (r < 0)
        return r;
    return mv_sysfs_parse_idlist(text, ids, n);
}

/* A topology id file; absent or "-1" (some hypervisors, s390) counts as 0 as in libvirt. */
static int read_topology_id(const char *sysroot, int cpu, const char *name, int *id)
{
    _cleanup_free_ char *line = NULL;
    char *end;
    long v;
    int r;

    r = mv_sysfs_read_linef(sysroot, &line, SYS_CPU "/cpu%d/topology/%s", cpu, name);
    if (r == -ENOENT) {
        *id = 0;
        return 0;
    }
    if (r < 0)
        return r;
    errno = 0;
    v = strtol(line, &end, 10);
    if (errno || end == line || *end || v > 0x7fffffffL)
        return -EINVAL;
    *id = v < 0 ? 0 : (int)v;
    return 0;
}

static int read_cpu(const char *sysroot, int id, bool online, struct mv_host_cpu *cpu)
{
    _cleanup_free_ char *siblings = NULL;
    _cleanup_free_ int *sib_ids = NULL;
    int nsib, r;

    cpu->id = id;
    cpu->online = online;
    cpu->socket_id = cpu->die_id = cpu->core_id = -1;
    cpu->siblings = NULL;
    if (!online)
        return 0;

    if ((r = read_topology_id(sysroot, id, "physical_package_id", &cpu->socket_id)) < 0 ||
        (r = read_topology_id(sysroot, id, "die_id", &cpu->die_id)) < 0 ||
        (r = read_topology_id(sysroot, id, "core_id", &cpu->core_id)) < 0)
        return r;
    r = mv_sysfs_read_linef(sysroot, &siblings, SYS_CPU "/cpu%d/topology/thread_siblings_list", id);
    if (r == -ENOENT) {
        if (asprintf(&siblings, "%d", id) < 0)
            return -ENOMEM;
    } else if (r < 0) {
        return r;
    }
    /* validated here so that the XML only ever carries a well-formed cpuset */
    r = mv_sysfs_parse_idlist(siblings, &sib_ids, &nsib);
    if (r < 0)
        return r;
    if (nsib == 0)
        return -EINVAL;
    cpu->siblings = TAKE_PTR(siblings);
    return 0;
}

static int fill_cell_cpus(const char *sysroot, struct mv_host_cell *cell, const int *ids, int n,
                          const int *online, int nonline)
{
    if (n == 0)
        return 0;
    cell->cpus = calloc((size_t)n, sizeof(*cell->cpus));
    if (!cell->cpus)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        int r = read_cpu(sysroot, ids[i], id_in(online, nonline, ids[i]), &cell->cpus[i]);

        if (r < 0)
            return r;
        cell->ncpus++;
    }
    return 0;
}

/* nodeN/distance holds one value per online node, in node order. */
static int read_distances(const char *sysroot, struct mv_host_cell *cell, const int *nodes, int nnodes)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ struct mv_host_distance *d = NULL;
    const char *p;
    int r, k = 0;

    r = mv_sysfs_readf(sysroot, &text, SYS_NODE "/node%d/distance", cell->id);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    d = calloc((size_t)nnodes, sizeof(*d));
    if (!d)
        return -ENOMEM;
    p = text;
    for (;;) {
        char *end;
        long v;

        p += strspn(p, " \t\n");
        if (!*p)
            break;
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > 255 || k >= nnodes) {
            mv_debug("node%d/distance: unexpected content, distances omitted", cell->id);
            return 0;
        }
        d[k].node = nodes[k];
        d[k].value = (int)v;
        k++;
        p = end;
    }
    if (k != nnodes) {
        mv_debug("node%d/distance: %d values for %d nodes, distances omitted", cell->id, k, nnodes);
        return 0;
    }
    cell->distances = TAKE_PTR(d);
    cell->ndistances = k;
    return 0;
}

static int meminfo_value(const char *sysroot, const char *key, unsigned long long *kib)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_sysfs_read(sysroot, "/proc/meminfo", &text);

    if (r < 0)
        return r;
    r = mv_sysfs_find_ull(text, NULL, key, kib);
    return r == -ENOENT ? -EINVAL : r;
}

static int node_meminfo_value(const char *sysroot, int node, const char *key,
                              unsigned long long *kib)
{
    _cleanup_free_ char *text = NULL;
    char prefix[32];
    int r = mv_sysfs_readf(sysroot, &text, SYS_NODE "/node%d/meminfo", node);

    if (r < 0)
        return r;
    snprintf(prefix, sizeof(prefix), "Node %d ", node);
    r = mv_sysfs_find_ull(text, prefix, key, kib);
    return r == -ENOENT ? -EINVAL : r;
}

int mv_host_topology_read(const char *sysroot, struct mv_host_topology *topo)
{
    _cleanup_(mv_host_topology_clear) struct mv_host_topology local = { 0 };
    struct mv_host_topology *t = &local;
    _cleanup_free_ int *online = NULL;
    _cleanup_free_ int *nodes = NULL;
    int nonline, nnodes, r;

    r = read_idlist(sysroot, SYS_CPU "/online", &online, &nonline);
    if (r < 0)
        return r;

    r = read_idlist(sysroot, SYS_NODE "/online", &nodes, &nnodes);
    if (r == -ENOENT || (r == 0 && nnodes == 0)) {
        /* no NUMA in sysfs: one cell with everything, as libvirt fakes it */
        t->cells = calloc(1, sizeof(*t->cells));
        if (!t->cells)
            return -ENOMEM;
        t->ncells = 1;
        r = meminfo_value(sysroot, "MemTotal", &t->cells[0].memory_kib);
        if (r < 0)
            return r;
        r = fill_cell_cpus(sysroot, &t->cells[0], online, nonline, online, nonline);
        if (r < 0)
            return r;
    } else if (r < 0) {
        return r;
    } else {
        t->cells = calloc((size_t)nnodes, sizeof(*t->cells));
        if (!t->cells)
            return -ENOMEM;
        for (int i = 0; i < nnodes; i++) {
            struct mv_host_cell *cell = &t->cells[i];
            _cleanup_free_ int *cpus = NULL;
            _cleanup_free_ char *path = NULL;
            int ncpus;

            cell->id = nodes[i];
            t->ncells++;
            r = node_meminfo_value(sysroot, cell->id, "MemTotal", &cell->memory_kib);
            if (r < 0)
                return r;
            if (asprintf(&path, SYS_NODE "/node%d/cpulist", cell->id) < 0)
                return -ENOMEM;
            r = read_idlist(sysroot, path, &cpus, &ncpus);
            if (r < 0)
                return r;
            r = fill_cell_cpus(sysroot, cell, cpus, ncpus, online, nonline);
            if (r < 0)
                return r;
            r = read_distances(sysroot, cell, nodes, nnodes);
            if (r < 0)
                return r;
        }
    }
    *topo = local;
    local = (struct mv_host_topology){ 0 };
    return 0;
}

struct cpu_key {
    int cell, socket, core;
};

static int cpu_key_cmp(const void *a, const void *b)
{
    const struct cpu_key *x = a, *y = b;

    if (x->cell != y->cell)
        return x->cell < y->cell ? -1 : 1;
    if (x->socket != y->socket)
        return x->socket < y->socket ? -1 : 1;
    if (x->core != y->core)
        return x->core < y->core ? -1 : 1;
    return 0;
}

/*
 * nodes/sockets/cores/threads are the largest counts found (sockets per node,
 * cores per socket, threads per core); when they do not multiply to the
 * number of online CPUs (asymmetric or odd topologies) libvirt reports one
 * node, one socket, one thread and every CPU a core, and so do we.
 */
static int count_topology(const struct mv_host_topology *topo, int cpus, struct mv_node_info *info)
{
    _cleanup_free_ struct cpu_key *keys = NULL;
    int n = 0, nodes = 0, sockets = 0, cores = 0, threads = 0;

    keys = calloc((size_t)cpus + 1, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    for (int c = 0; c < topo->ncells; c++) {
        bool any = false;

        for (int i = 0; i < topo->cells[c].ncpus; i++) {
            const struct mv_host_cpu *cpu = &topo->cells[c].cpus[i];

            if (!cpu->online || n >= cpus)
                continue;
            keys[n++] = (struct cpu_key){ c, cpu->socket_id, cpu->core_id };
            any = true;
        }
        nodes += any;
    }
    qsort(keys, (size_t)n, sizeof(*keys), cpu_key_cmp);

    for (int i = 0; i < n;) {
        int node_sockets = 0;
        int cell = keys[i].cell;

        while (i < n && keys[i].cell == cell) {
            int socket = keys[i].socket, socket_cores = 0;

            node_sockets++;
            while (i < n && keys[i].cell == cell && keys[i].socket == socket) {
                int core = keys[i].core, core_threads = 0;

                socket_cores++;
                while (i < n && keys[i].cell == cell && keys[i].socket == socket &&
                       keys[i].core == core) {
                    core_threads++;
                    i++;
                }
                if (core_threads > threads)
                    threads = core_threads;
            }
            if (socket_cores > cores)
                cores = socket_cores;
        }
        if (node_sockets > sockets)
            sockets = node_sockets;
    }

    if (n != cpus || (long long)nodes * sockets * cores * threads != cpus) {
        mv_debug("asymmetric CPU topology (%d nodes, %d sockets, %d cores, %d threads for %d CPUs):"
                 " reporting a flat one", nodes, sockets, cores, threads, cpus);
        nodes = sockets = threads = 1;
        cores = cpus;
    }
    info->nodes = nodes;
    info->sockets = sockets;
    info->cores = cores;
    info->threads = threads;
    return 0;
}

/*
 * The /proc/cpuinfo key libvirt reads the clock from on ARCH (a uname machine
 * name), or NULL where it reports 0 (ARM has no usable field, other
 * architectures are unknown to it).
 */
static const char *mhz_key(const char *arch)
{
    if (strcmp(arch, "x86_64") == 0 || (arch[0] == 'i' && strcmp(arch + 2, "86") == 0))
        return "cpu MHz";
    if (strncmp(arch, "ppc", 3) == 0)
        return "clock";
    if (strncmp(arch, "s390", 4) == 0)
        return "cpu MHz dynamic";
    return NULL;
}

/*
 * As virHostCPUParseFrequency (libvirt 9.0): every "KEY : N[.frac]" line
 * overwrites the value, so the last CPU listed wins; the fraction is dropped,
 * not rounded ("2694.860" is 2694, the integer part libvirt keeps); a line
 * that does not parse ends the scan with the value found so far.
 */
int mv_host_cpuinfo_mhz(const char *cpuinfo, const char *arch)
{
    const char *key = mhz_key(arch);
    size_t klen;
    int value = 0;

    if (!key)
        return 0;
    klen = strlen(key);
    for (const char *line = cpuinfo; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *p = line;
        unsigned long v;
        char *end;

        line = nl ? nl + 1 : NULL;
        if (strncmp(p, key, klen) != 0)
            continue;
        p += klen;
        p += strspn(p, " \t");
        if (*p != ':')
            continue;           /* "cpu MHz dynamic" is not "cpu MHz" */
        p++;
        p += strspn(p, " \t");
        if (!isdigit((unsigned char)*p))
            break;
        errno = 0;
        v = strtoul(p, &end, 10);
        if (errno || v > 0x7fffffffUL || (*end != '.' && *end != '\0' && !isspace((unsigned char)*end)))
            break;
        value = (int)v;
    }
    return value;
}

static int read_mhz(const char *sysroot, const char *arch, int *mhz)
{
    _cleanup_free_ char *cpuinfo = NULL;
    int r;

    if (!mhz_key(arch)) {
        *mhz = 0;
        return 0;
    }
    r = mv_sysfs_read(sysroot, "/proc/cpuinfo", &cpuinfo);
    if (r < 0)
        return r;
    *mhz = mv_host_cpuinfo_mhz(cpuinfo, arch);
    return 0;
}

/* Copies SRC into MODEL, cut to fit (machine names are far shorter than 32). */
static void copy_model(char *model, size_t size, const char *src)
{
    size_t len = strnlen(src, size - 1);

    memcpy(model, src, len);
    model[len] = '\0';
}

static void read_model(const char *sysroot, char *model, size_t size)
{
    _cleanup_free_ char *arch = NULL;
    struct utsname u;

    /* the fixture override; on a real host this file matches uname */
    if (mv_sysfs_read_linef(sysroot, &arch, "/proc/sys/kernel/arch") == 0 && *arch)
        copy_model(model, size, arch);
    else if (uname(&u) == 0)
        copy_model(model, size, u.machine);
    else
        copy_model(model, size, "unknown");
}

/*
 * Whether the clock /proc/cpuinfo shows can change from one read to the next:
 * with a cpufreq driver, or on x86 with APERF/MPERF (the kernel then samples
 * the running frequency), and always on s390 ("cpu MHz dynamic").  Otherwise
 * x86 prints the constant TSC clock and ppc its fixed "clock".
 */
static bool mhz_moves(const char *sysroot, const char *arch, int first_cpu)
{
    _cleanup_free_ char *cpuinfo = NULL;
    _cleanup_free_ char *flags = NULL;
    const char *key = mhz_key(arch);

    if (!key)
        return false;           /* always 0 */
    if (strncmp(arch, "s390", 4) == 0 ||
        mv_sysfs_existsf(sysroot, SYS_CPU "/cpu%d/cpufreq", first_cpu))
        return true;
    if (strcmp(key, "cpu MHz") != 0)
        return false;
    if (mv_sysfs_read(sysroot, "/proc/cpuinfo", &cpuinfo) < 0)
        return true;            /* cannot tell: read it every time, as libvirt */
    if (mv_host_cpuinfo_value(cpuinfo, "flags", &flags) < 0)
        return false;           /* no flags, so no aperfmperf either */
    for (char *w = strtok(flags, " \t"); w; w = strtok(NULL, " \t"))
        if (strcmp(w, "aperfmperf") == 0)
            return true;
    return false;
}

/* Everything of NODE_GET_INFO but the memory, read afresh. */
static int node_info_read(const char *sysroot, struct mv_node_info *info, bool *mhz_dynamic)
{
    _cleanup_(mv_host_topology_clear) struct mv_host_topology topo = { 0 };
    _cleanup_free_ int *online = NULL;
    struct mv_node_info out = { 0 };
    int nonline, r;

    r = read_idlist(sysroot, SYS_CPU "/online", &online, &nonline);
    if (r < 0)
        return r;
    if (nonline == 0)
        return -EINVAL;
    r = mv_host_topology_read(sysroot, &topo);
    if (r < 0)
        return r;
    out.cpus = nonline;
    r = count_topology(&topo, nonline, &out);
    if (r < 0)
        return r;
    read_model(sysroot, out.model, sizeof(out.model));
    r = read_mhz(sysroot, out.model, &out.mhz);
    if (r < 0)
        return r;
    *mhz_dynamic = mhz_moves(sysroot, out.model, online[0]);
    *info = out;
    return 0;
}

/*
 * What NODE_GET_INFO reports that changes only when CPUs or NUMA nodes go
 * online or offline (the topology), or never (the model, a constant clock):
 * read once per set of online CPUs and nodes, for one sysroot.  libvirt reads
 * all of it on every call; here that was ~10 files and most of the call's
 * time (/proc/sys/kernel/arch alone can cost 250 us).  The memory, and a
 * clock that moves, are still read on every call, as libvirt does.
 */
static struct {
    pthread_mutex_t lock;
    bool valid;
    char *sysroot;              /* "" for the host */
    char *cpus_online;          /* the key: the two lists as read */
    char *nodes_online;
    struct mv_node_info info;   /* memory_kib unused */
    bool mhz_dynamic;
} node_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool node_cache_matches(const char *root, const char *cpus, const char *nodes)
{
    return node_cache.valid && strcmp(node_cache.sysroot, root) == 0 &&
           strcmp(node_cache.cpus_online, cpus) == 0 && strcmp(node_cache.nodes_online, nodes) == 0;
}

static void node_cache_store(const char *root, const char *cpus, const char *nodes,
                             const struct mv_node_info *info, bool mhz_dynamic)
{
    char *r = strdup(root), *c = strdup(cpus), *n = strdup(nodes);

    if (!r || !c || !n) {       /* no cache this time: nothing is wrong */
        free(r);
        free(c);
        free(n);
        return;
    }
    free(node_cache.sysroot);
    free(node_cache.cpus_online);
    free(node_cache.nodes_online);
    node_cache.sysroot = r;
    node_cache.cpus_online = c;
    node_cache.nodes_online = n;
    node_cache.info = *info;
    node_cache.mhz_dynamic = mhz_dynamic;
    node_cache.valid = true;
}

int mv_node_get_info(const char *sysroot, struct mv_node_info *info)
{
    _cleanup_free_ char *cpus = NULL;
    _cleanup_free_ char *nodes = NULL;
    const char *root = sysroot ? sysroot : "";
    struct mv_node_info out;
    bool dynamic, hit;
    int r;

    r = mv_sysfs_read(sysroot, SYS_CPU "/online", &cpus);
    if (r < 0)
        return r;
    r = mv_sysfs_read(sysroot, SYS_NODE "/online", &nodes);
    if (r == -ENOENT)
        nodes = strdup("");
    else if (r < 0)
        return r;
    if (!nodes)
        return -ENOMEM;

    pthread_mutex_lock(&node_cache.lock);
    hit = node_cache_matches(root, cpus, nodes);
    if (hit) {
        out = node_cache.info;
        dynamic = node_cache.mhz_dynamic;
    }
    pthread_mutex_unlock(&node_cache.lock);
    if (!hit) {
        r = node_info_read(sysroot, &out, &dynamic);
        if (r < 0)
            return r;
        pthread_mutex_lock(&node_cache.lock);
        node_cache_store(root, cpus, nodes, &out, dynamic);
        pthread_mutex_unlock(&node_cache.lock);
    } else if (dynamic && (r = read_mhz(sysroot, out.model, &out.mhz)) < 0) {
        return r;
    }
    r = meminfo_value(sysroot, "MemTotal", &out.memory_kib);
    if (r < 0)
        return r;
    *info = out;
    return 0;
}

static void set_field(struct mv_node_stat_field *f, const char *name, unsigned long long value)
{
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->value = value;
}

static bool cell_exists(const char *sysroot, int cell)
{
    return cell >= 0 && cell < MV_SYSFS_ID_MAX &&
           mv_sysfs_existsf(sysroot, SYS_NODE "/node%d/meminfo", cell);
}

int mv_node_get_memory_stats(const char *sysroot, int cell, struct mv_node_stat_field *out,
                             int max, int *n)
{
    static const char *const keys[] = { "MemTotal", "MemFree", "Buffers", "Cached" };
    static const char *const names[] = { "total", "free", "buffers", "cached" };
    unsigned long long v[MV_NODE_MEMORY_STATS_ALL];
    int count, r;

    if (cell < -1 || (cell >= 0 && !cell_exists(sysroot, cell)))
        return -EINVAL;
    count = cell == -1 ? MV_NODE_MEMORY_STATS_ALL : MV_NODE_MEMORY_STATS_CELL;
    if (max < count)
        return -ENOBUFS;
    for (int i = 0; i < count; i++) {
        r = cell == -1 ? meminfo_value(sysroot, keys[i], &v[i])
                       : node_meminfo_value(sysroot, cell, keys[i], &v[i]);
        if (r < 0)
            return r;
    }
    for (int i = 0; i < count; i++)
        set_field(&out[i], names[i], v[i]);
    *n = count;
    return 0;
}

int mv_node_get_cpu_stats(const char *sysroot, int cpu, struct mv_node_stat_field *out,
                          int max, int *n)
{
    _cleanup_free_ char *stat = NULL;
    char want[32];
    size_t wlen;
    long tck = sysconf(_SC_CLK_TCK);
    unsigned long long ns_per_tick;
    int r;

    if (cpu < -1)
        return -EINVAL;
    if (max < MV_NODE_CPU_STATS_ALL)
        return -ENOBUFS;
    if (tck <= 0 || tck > 1000000000L)
        return -EIO;
    ns_per_tick = 1000000000ULL / (unsigned long long)tck;
    if (cpu == -1)
        snprintf(want, sizeof(want), "cpu ");
    else
        snprintf(want, sizeof(want), "cpu%d ", cpu);
    wlen = strlen(want);

    r = mv_sysfs_read(sysroot, "/proc/stat", &stat);
    if (r < 0)
        return r;
    for (const char *line = stat; line && *line;) {
        const char *nl = strchr(line, '\n');

        if (strncmp(line, want, wlen) == 0) {
            unsigned long long usr, nice, sys, idle, iowait, irq, softirq;

            if (sscanf(line + wlen, "%llu %llu %llu %llu %llu %llu %llu",
                       &usr, &nice, &sys, &idle, &iowait, &irq, &softirq) != 7)
                return -EINVAL;
            set_field(&out[0], "kernel", (sys + irq + softirq) * ns_per_tick);
            set_field(&out[1], "user", (usr + nice) * ns_per_tick);
            set_field(&out[2], "idle", idle * ns_per_tick);
            set_field(&out[3], "iowait", iowait * ns_per_tick);
            *n = MV_NODE_CPU_STATS_ALL;
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    /* only online CPUs have a line: an offline or absent one is no valid cpuNum */
    return cpu == -1 ? -ENODATA : -EINVAL;
}

int mv_node_get_free_memory(const char *sysroot, uint64_t *bytes)
{
    unsigned long long kib;
    int r = meminfo_value(sysroot, "MemFree", &kib);

    if (r < 0)
        return r;
    *bytes = kib * 1024ULL;
    return 0;
}

int mv_node_get_cells_free_memory(const char *sysroot, int start, int max, uint64_t *bytes,
                                  int *highest)
{
    _cleanup_free_ int *nodes = NULL;
    int nnodes, count, r;

    if (start < 0 || max <= 0)
        return -EINVAL;
    r = read_idlist(sysroot, SYS_NODE "/online", &nodes, &nnodes);
    if (r == -ENOENT || (r == 0 && nnodes == 0)) {
        /* no NUMA in sysfs: one cell 0 holding all the memory, as libvirt fakes it */
        *highest = 0;
        if (start != 0)
            return -ERANGE;
        r = mv_node_get_free_memory(sysroot, &bytes[0]);
        return r < 0 ? r : 1;
    }
    if (r < 0)
        return r;
    *highest = nodes[nnodes - 1];
    if (start > *highest)
        return -ERANGE;
    /* start <= highest < MV_SYSFS_ID_MAX, so this cannot overflow whatever START and MAX are */
    count = *highest - start + 1;
    if (count > max)
        count = max;
    for (int i = 0; i < count; i++) {
        unsigned long long kib = 0;

        r = node_meminfo_value(sysroot, start + i, "MemFree", &kib);
        if (r < 0 && r != -ENOENT)
            return r;
        bytes[i] = kib * 1024ULL;       /* a hole in the node ids reads as 0, as in libvirt */
    }
    return count;
}
