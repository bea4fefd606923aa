/*
 * vCPUs of a running QEMU changed while it runs: one vCPU's thread pinned
 * (sched_setaffinity on the thread query-cpus-fast names), and vCPUs
 * plugged (device_add of a free slot of query-hotpluggable-cpus) or
 * unplugged (device_del, then QEMU's DEVICE_DELETED once the guest let
 * go).  Every function here runs with the domain's job held.
 */
#pragma once

#include <sys/types.h>

#include "domain_def.h"
#include "domain_obj.h"
#include "error.h"

/* Registers the DEVICE_DELETED handler unplugs wait for; once, at start-up. */
void qemud_vcpu_live_init(void);

/* Pins the thread of online vCPU VCPU of DOM to CPUSET.  0, or <0 with ERR:
 * "vCPU 3 of domain 'vm1' is not online", a thread shared with another
 * vCPU (single-threaded TCG), the kernel's refusal. */
int qemud_vcpu_pin_live(struct qemud_dom *dom, unsigned int vcpu, const struct mv_dom_idset *cpuset,
                        struct mv_err *err);

/* Plugs vCPUs into or unplugs them from DOM until CURRENT (what runs now)
 * becomes WANTED, in vCPU order (unplug from the last).  0, or <0 with ERR;
 * *NOW is the count reached either way (a failure half-way leaves the
 * vCPUs that did change changed).  Only vCPUs plugged while running (ids
 * "vcpuN") can go: QEMU cannot unplug those the command line made. */
int qemud_vcpu_set_live(struct qemud_dom *dom, unsigned int current, unsigned int wanted, unsigned int *now,
                        struct mv_err *err);
