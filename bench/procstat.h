/* CPU counters of a process, from /proc: how much a daemon worked for the
 * calls a bench made, whatever else ran on the machine.  bench/run pins
 * client and daemons to one CPU, so a round trip is roughly the sum of the
 * CPU time of everything it wakes, plus the switches between them. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct proc_counters {
    uint64_t cpu_ns;    /* time on a CPU, all threads (schedstat's first field) */
    uint64_t runs;      /* times a thread was put on a CPU (schedstat's third field) */
};

/* Sums the counters of every thread of PID into *OUT; -errno (and *OUT
 * untouched) if the process is gone.  Threads that ended since are not
 * counted: a daemon's worker pool is long-lived. */
int proc_counters_read(pid_t pid, struct proc_counters *out);
