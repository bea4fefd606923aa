/*
 * Host node facts as libvirt's virNodeGetInfo, virNodeGetMemoryStats,
 * virNodeGetCPUStats and virNodeGetFreeMemory report them, read from
 * <sysroot>/proc and <sysroot>/sys (sysroot NULL or "" = the real host).
 *
 * Safe to call from any thread.  They read files, so handlers should not
 * call them on the event loop if /proc may be slow (it never is in
 * practice).  The only shared state is mv_node_get_info's cache of what
 * changes only with the CPUs online (see there).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mv_node_info {
    char model[32];                 /* uname machine, e.g. "x86_64" */
    unsigned long long memory_kib;  /* MemTotal */
    int cpus;                       /* online CPUs */
    int mhz;
    int nodes;                      /* NUMA nodes that have online CPUs */
    int sockets;                    /* per node */
    int cores;                      /* per socket */
    int threads;                    /* per core */
};

/*
 * Fills INFO as virNodeGetInfo does; nodes*sockets*cores*threads == cpus
 * always holds; 0 / -errno.  The topology, model and a constant clock are
 * read again only when the online CPU or NUMA node list changes (or SYSROOT
 * does); the memory and a clock that moves (cpufreq, APERF/MPERF) every call.
 */
int mv_node_get_info(const char *sysroot, struct mv_node_info *info);

/*
 * The clock libvirt reports for ARCH from a /proc/cpuinfo text: the integer
 * part of the last "cpu MHz" line (x86; "clock" on ppc, "cpu MHz dynamic" on
 * s390); 0 on ARM and unknown architectures or when absent.
 */
int mv_host_cpuinfo_mhz(const char *cpuinfo, const char *arch);

struct mv_node_stat_field {
    char name[16];
    unsigned long long value;
};

/* Field counts: whole-host memory (total, free, buffers, cached), one cell (total, free), CPU (kernel, user, idle, iowait). */
#define MV_NODE_MEMORY_STATS_ALL 4
#define MV_NODE_MEMORY_STATS_CELL 2
#define MV_NODE_CPU_STATS_ALL 4

/*
 * cell -1 = whole host: "total","free","buffers","cached" in KiB from
 * /proc/meminfo; cell >= 0: "total","free" from that NUMA node.  Fills up to
 * MAX fields and sets *n; -EINVAL for a cell that does not exist, -ENOBUFS if
 * MAX is smaller than the field count.
 */
int mv_node_get_memory_stats(const char *sysroot, int cell, struct mv_node_stat_field *out,
                             int max, int *n);

/*
 * cpu -1 = all CPUs (sum): "kernel","user","idle","iowait" in nanoseconds
 * from /proc/stat (kernel = system+irq+softirq, user = user+nice, as libvirt);
 * -EINVAL for a CPU that does not exist or is offline, -ENOBUFS if MAX < 4.
 */
int mv_node_get_cpu_stats(const char *sysroot, int cpu, struct mv_node_stat_field *out,
                          int max, int *n);

/* MemFree of the whole host in BYTES (uint64_t: the wire type of freeMem); 0 / -errno. */
int mv_node_get_free_memory(const char *sysroot, uint64_t *bytes);

/*
 * MemFree of NUMA cells START, START+1... in BYTES (room for MAX), stopping at
 * the highest cell, as virHostMemGetCellsFree: the number of cells filled (> 0);
 * -EINVAL if START < 0 or MAX <= 0, -ERANGE if START is past the highest cell
 * (*HIGHEST says which it is), -errno.  Without NUMA in sysfs there is one cell
 * 0 with the host's MemFree.  Overflow-free for any START and MAX.
 */
int mv_node_get_cells_free_memory(const char *sysroot, int start, int max, uint64_t *bytes,
                                  int *highest);

/*
 * The host's NUMA topology as sysfs describes it, for the <topology> of the
 * capabilities XML.  Without /sys/devices/system/node one cell 0 holds all
 * online CPUs and MemTotal (as libvirt fakes it).
 */
struct mv_host_cpu {
    int id;
    bool online;                    /* offline CPUs have no topology below */
    int socket_id, die_id, core_id; /* -1 when offline */
    char *siblings;                 /* thread_siblings_list, NULL when offline */
};

struct mv_host_distance {
    int node;
    int value;
};

struct mv_host_cell {
    int id;
    unsigned long long memory_kib;  /* node MemTotal */
    int ncpus;
    struct mv_host_cpu *cpus;       /* ascending id */
    int ndistances;
    struct mv_host_distance *distances;
};

struct mv_host_topology {
    int ncells;
    struct mv_host_cell *cells;     /* ascending id; owned, freed by clear */
};

/* Reads the cells, their memory, distances and CPUs; 0 / -errno (TOPO untouched on failure). */
int mv_host_topology_read(const char *sysroot, struct mv_host_topology *topo);

/* Frees what TOPO owns and zeroes it; safe on a zeroed or already-cleared struct. */
void mv_host_topology_clear(struct mv_host_topology *topo);
