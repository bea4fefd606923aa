/*
 * CPU sets as libvirt's XML writes them ("0-3,^2,8"): <cputune> pinning,
 * and the host's online CPUs as sysfs lists them (same syntax, no '^').
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* CPU numbers 0 .. MV_CPUSET_MAX-1: far beyond the hosts QEMU runs on,
 * small enough to keep a set on the stack. */
#define MV_CPUSET_MAX 4096

struct mv_cpuset {
    uint64_t bits[MV_CPUSET_MAX / 64];
};

/* Parses S: comma-separated N, N-M (N <= M) and ^N (removes N from what
 * the earlier items selected).  -EINVAL if S is malformed, names a CPU of
 * MV_CPUSET_MAX or above, or selects no CPU at all. */
int mv_cpuset_parse(const char *s, struct mv_cpuset *set);

bool mv_cpuset_has(const struct mv_cpuset *set, unsigned int cpu);

/* The lowest CPU of A that is not in B, or -1 if A is within B. */
int mv_cpuset_first_outside(const struct mv_cpuset *a, const struct mv_cpuset *b);
