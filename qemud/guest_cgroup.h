/*
 * A cgroup v2 group per running guest, <hierarchy>/modvirt/UUID, when the
 * host has a writable cgroup2 hierarchy (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid hosts): QEMU joins it before it
 * executes (mv_confine.cgroup_procs_fd), so its memory and pids are
 * accounted and, where those controllers are available, limited from the
 * domain; and everything it started can be found and killed.  Without
 * such a hierarchy nothing happens (a debug log line, no error).
 *
 * Processes never live in "modvirt" itself (cgroup v2's no-internal-process
 * rule would keep it from handing controllers to the guests' groups).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Finds the hierarchy in MOUNTS (NULL: /proc/self/mounts) and creates its
 * "modvirt" group ("modvirt-HASH" for a daemon under --root INSTANCE_ROOT,
 * so instances never sweep each other's groups), enabling memory and pids
 * below it where the hierarchy offers them (and cpu and cpuset, for the
 * tuning calls).  Called once, before any start;
 * never fails (without a usable hierarchy the other calls do nothing). */
void qemud_guest_cgroup_init(const char *mounts, const char *instance_root);

/* The group directory "<hierarchy>/modvirt" (NULL: no hierarchy). */
const char *qemud_guest_cgroup_parent(void);

/* Creates (or reuses) the group NAME (a domain's UUID) with memory.max =
 * MEM_KIB + QEMU's own 512 MiB and pids.max = 256 + 4 x VCPUS where those
 * controllers are available, and opens its cgroup.procs (O_WRONLY |
 * O_CLOEXEC) into *PROCS_FD for the child to join.  *PROCS_FD is -1 and 0
 * returned when there is no hierarchy; else 0, or -errno with *FAILED
 * naming what failed ("the group", "memory.max"...) and the group left
 * removed. */
int qemud_guest_cgroup_create(const char *name, unsigned long long mem_kib, unsigned vcpus, int *procs_fd,
                              const char **failed);

/* Whether the guests' groups get CONTROLLER ("cpu", "cpuset"): it is in
 * the "modvirt" group's cgroup.subtree_control. */
bool qemud_guest_cgroup_offers(const char *controller);

/* Whether the group NAME has the interface file FILE ("cpu.weight",
 * "cpuset.mems"): its controller is enabled for it.  False without a
 * hierarchy or a group. */
bool qemud_guest_cgroup_has(const char *name, const char *file);

/* Whether the group NAME has the cpu controller (cpu.weight, cpu.max). */
bool qemud_guest_cgroup_has_cpu(const char *name);

/* <cputune> in the group NAME: SHARES (0: leave) as cpu.weight, PERIOD and
 * QUOTA (per vCPU, as libvirt means them; 0: leave, quota -1: no limit) as
 * cpu.max of the whole group, QUOTA x VCPUS over PERIOD (QEMU's threads
 * share the one group).  0, or -errno with *FAILED naming the file. */
int qemud_guest_cgroup_set_cpu(const char *name, unsigned long long shares, unsigned long long period,
                               long long quota, unsigned int vcpus, const char **failed);

/* Writes VALUE to FILE of the group NAME (the tuning calls: cpu.weight,
 * cpu.max, cpuset.mems); 0 or -errno (-ENOENT without the group or file). */
int qemud_guest_cgroup_write(const char *name, const char *file, const char *value);

/* The first line of FILE of the group NAME into BUF (SIZE bytes, newline
 * cut); 0 or -errno. */
int qemud_guest_cgroup_read(const char *name, const char *file, char *buf, size_t size);

/* Removes the group NAME (after its processes exited); fine when absent,
 * a warning when it cannot (a process still in it). */
void qemud_guest_cgroup_remove(const char *name);

/* At daemon start: removes every group below "modvirt" for which KEEP
 * (the domain's UUID) says false, left by a daemon that died before its
 * clean-up. */
void qemud_guest_cgroup_sweep(bool (*keep)(const char *name));

/* At daemon exit: removes the instance's "modvirt" group if no guest's
 * group is left in it, so that test runs and --root instances leave no
 * empty groups behind. */
void qemud_guest_cgroup_done(void);
