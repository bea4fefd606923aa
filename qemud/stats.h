/*
 * Domain statistics: what CONNECT_GET_ALL_DOMAIN_STATS and the per-domain
 * stats procedures report, gathered once per domain.
 *
 * A running domain is asked over QMP in one round (qmp.h's
 * mv_qmp_commands: query-blockstats, query-named-block-nodes, query-balloon,
 * the balloon's guest-stats, query-cpus-fast, as the groups need), with its
 * job held so the monitor stays open; the rest comes from the host: CPU
 * time from the guest's cgroup or /proc/PID/stat, vCPU times from
 * /proc/PID/task/TID, interface counters from the tap's
 * /sys/class/net/IF/statistics.  A shut-off domain has no QMP part.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain_obj.h"
#include "error.h"

/* VIR_DOMAIN_STATS_* groups (wire-protocol.md 8.13) */
enum {
    QEMUD_STATS_STATE = 1, QEMUD_STATS_CPU_TOTAL = 2, QEMUD_STATS_BALLOON = 4, QEMUD_STATS_VCPU = 8,
    QEMUD_STATS_INTERFACE = 16, QEMUD_STATS_BLOCK = 32,
};
#define QEMUD_STATS_SUPPORTED 63u

/* VIR_DOMAIN_MEMORY_STAT_* tags */
enum {
    QEMUD_MEM_SWAP_IN, QEMUD_MEM_SWAP_OUT, QEMUD_MEM_MAJOR_FAULT, QEMUD_MEM_MINOR_FAULT, QEMUD_MEM_UNUSED,
    QEMUD_MEM_AVAILABLE, QEMUD_MEM_ACTUAL_BALLOON, QEMUD_MEM_RSS, QEMUD_MEM_USABLE, QEMUD_MEM_LAST_UPDATE,
    QEMUD_MEM_DISK_CACHES, QEMUD_MEM_HUGETLB_PGALLOC, QEMUD_MEM_HUGETLB_PGFAIL, QEMUD_MEM_NR,
};

struct qemud_stats_block {
    bool have;                      /* query-blockstats had the disk */
    unsigned long long rd_reqs, rd_bytes, rd_times, wr_reqs, wr_bytes, wr_times, fl_reqs, fl_times, errs;
    bool have_alloc;
    unsigned long long allocation;  /* running: the storage node's highest written offset;
                                     * shut off: the file's blocks */
    bool have_size;                 /* query-named-block-nodes had its format node (or the file was read) */
    unsigned long long capacity, physical;
};

struct qemud_stats_net {
    bool have;                      /* the tap's counters, as the guest sees them */
    unsigned long long rx_bytes, rx_pkts, rx_errs, rx_drop, tx_bytes, tx_pkts, tx_errs, tx_drop;
};

struct qemud_stats_vcpu {
    unsigned int index;
    pid_t tid;
    bool have;                      /* its /proc task files were read */
    unsigned long long time_ns, wait_ns, delay_ns;
    int cpu;                        /* the host CPU it ran on last */
};

struct qemud_stats_mem {
    int tag;
    unsigned long long val;
};

/* One domain's statistics; qemud_stats_clear() frees it. */
struct qemud_stats {
    int state, reason;
    bool active;
    pid_t pid;
    struct mv_dom_def *def;         /* referenced: the definition callers see now */

    bool have_cpu;
    unsigned long long cpu_time, cpu_user, cpu_system;     /* ns */
    unsigned long long haltpoll_success, haltpoll_fail;     /* ns */

    bool have_balloon;              /* query-balloon answered */
    unsigned long long balloon_kib;
    struct qemud_stats_mem mem[QEMUD_MEM_NR];   /* libvirt's order, ACTUAL_BALLOON and RSS included */
    size_t nmem;

    bool have_vcpus;                /* query-cpus-fast answered */
    struct qemud_stats_vcpu *vcpus;
    size_t nvcpus;

    struct qemud_stats_block *blocks;   /* one per def disk */
    struct qemud_stats_net *nets;       /* one per def interface */
};

/* Gathers GROUPS of DOM into ST.  JOB_WAIT_MS: how long to wait for the
 * domain's job (QMP needs it; < 0 skips the QMP part as NOWAIT does when
 * busy).  Returns 0 (a part that could not be read is left out, as libvirt
 * does) or -ENOMEM; with STRICT, a running domain whose QEMU could not be
 * asked fails instead with ERR set (the per-domain procedures). */
int qemud_stats_collect(struct qemud_dom *dom, unsigned int groups, int job_wait_ms, bool strict,
                        struct qemud_stats *st, struct mv_err *err);
void qemud_stats_clear(struct qemud_stats *st);

/* ---- QMP replies into ST (stats_qmp.c; pure, for the unit test) ---- */
void qemud_stats_parse_blockstats(json_object *reply, struct qemud_stats *st);
void qemud_stats_parse_block_nodes(json_object *reply, struct qemud_stats *st);
/* query-balloon's reply: 0, or -EINVAL when it has no "actual" */
int qemud_stats_parse_balloon(json_object *reply, struct qemud_stats *st);
/* the balloon's guest-stats (qom-get), appended after ACTUAL_BALLOON */
void qemud_stats_parse_guest_stats(json_object *reply, struct qemud_stats *st);
/* query-cpus-fast: 0 or -ENOMEM / -EINVAL */
int qemud_stats_parse_cpus(json_object *reply, struct qemud_stats *st);

/* ---- the host's side (stats_host.c) ---- */
/* CPU time of PID in ns: the guest's cgroup cpu.stat when CGROUP_DIR (may
 * be NULL) has one, else /proc/PID/stat.  0 or -errno. */
int qemud_stats_cpu(const char *cgroup_dir, pid_t pid, unsigned long long *total, unsigned long long *user,
                    unsigned long long *sys);
/* Thread TID of PID: CPU time (ns), time spent waiting for a CPU (ns, the
 * scheduler's wait_sum; 0 where the kernel keeps no schedstats), its run
 * queue delay (ns, /proc/.../schedstat) and the CPU it ran on last (V's
 * time_ns, wait_ns, delay_ns, cpu).  0 or -errno. */
int qemud_stats_task(pid_t pid, struct qemud_stats_vcpu *v);
/* KVM's halt polling time of PID (ns) from debugfs; 0 and 0 where there is
 * none (no debugfs, no KVM: TCG), as libvirt reports then. */
void qemud_stats_haltpoll(pid_t pid, unsigned long long *success_ns, unsigned long long *fail_ns);
/* A shut-off domain's image at PATH: its allocation (blocks on disk),
 * capacity (a qcow2's virtual size, else the file's) and physical size (the
 * file's).  0 or -errno. */
int qemud_stats_image_sizes(const char *path, unsigned long long *allocation, unsigned long long *capacity,
                            unsigned long long *physical);
/* Resident set size of PID in KiB.  0 or -errno. */
int qemud_stats_rss_kib(pid_t pid, unsigned long long *kib);
/* The counters of the host interface IFNAME under SYSFS_NET (NULL:
 * /sys/class/net), swapped into the guest's view (what the tap transmits
 * the guest receives).  0 or -errno. */
int qemud_stats_net_read(const char *sysfs_net, const char *ifname, struct qemud_stats_net *st);

/* The index of DEF's disk PATH (target name or source path), or -1. */
int qemud_stats_find_disk(const struct mv_dom_def *def, const char *path);
/* The index of DEF's interface DEVICE (target dev, alias or MAC), or -1. */
int qemud_stats_find_net(const struct mv_dom_def *def, const char *device);
