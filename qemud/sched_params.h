/*
 * A running domain's CPU scheduling in its cgroup v2 group (guest_cgroup.h):
 * <cputune><shares> as cpu.weight, <period>/<quota> (per vCPU, as libvirt
 * means them) as cpu.max of the whole group, quota x vCPUs over period.
 * The group holds all of QEMU, so the emulator's own period and quota have
 * no group to go to and are kept in the definition only.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"

/* Whether the group of the domain UUID has the cpu controller. */
bool qemud_sched_available(const char *uuid);

/* Writes SHARES (0: leave) as cpu.weight and PERIOD/QUOTA (0: leave; quota
 * -1: no limit) for VCPUS vCPUs as cpu.max of the group UUID.  0, or
 * -errno with *FAILED naming the file. */
int qemud_sched_apply(const char *uuid, unsigned long long shares, unsigned long long period, long long quota,
                      unsigned int vcpus, const char **failed);
