/*
 * <cputune> pinning applied to a running QEMU: each vCPU's and iothread's
 * thread, and the emulator's other threads, get their CPU affinity with
 * sched_setaffinity().  The thread ids come from QMP (query-cpus-fast,
 * query-iothreads), so this runs after the monitor is open and before the
 * guest runs.  Affinity stays with the threads: a daemon that re-attaches
 * has nothing to redo.
 */
#pragma once

#include "domain_def.h"
#include "error.h"

struct qemud_dom;

/* The host's online CPUs as sysfs lists them ("0-3"), malloc'd; NULL with
 * errno set if they cannot be read.  The command line checks <cputune>
 * cpusets against it before QEMU starts. */
char *qemud_host_cpus_online(void);

/* Pins the threads of DOM's QEMU as LIVE's <cputune> says.  0, or <0 with
 * ERR naming the thread, the cpuset and the cause. */
int qemud_cputune_apply(struct qemud_dom *dom, const struct mv_dom_def *live, struct mv_err *err);
