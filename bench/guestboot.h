/* Watching a guest boot for dombench: the serial log, the QEMU process, a
 * raw QEMU run of the same guest, and a daemon's memory. */
#pragma once

#include <sched.h>              /* cpu_set_t: _GNU_SOURCE comes from config.h */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GUEST_MARKER "GUEST-BOOTED-OK"
#define MARKER_POLL_NS 10000000u    /* the log is read every 10 ms */

/* Polls PATH every 10 ms (on a grid from START_NS) until it holds MARKER;
 * the file may not exist yet.  Returns 0 with *FOUND_NS (CLOCK_MONOTONIC)
 * set, -ETIMEDOUT after TIMEOUT_S, -EINTR when *STOP became non-zero,
 * -ECHILD when CHILD (if > 0, a child of ours) has exited (and is reaped). */
int wait_marker(const char *path, const char *marker, uint64_t start_ns, unsigned timeout_s,
                pid_t child, volatile int *stop, uint64_t *found_ns);

/* The pid of the qemu-system process whose command line names the guest
 * NAME (-name guest=NAME,...), or -1 if there is none. */
pid_t find_qemu_pid(const char *name);

/* CPUS as a list ("0", "0-1", "0,2-3"), into BUF. */
void cpuset_format(const cpu_set_t *cpus, char *buf, size_t len);

/* Boots KERNEL and INITRD with qemu-system-x86_64 (TCG, 256 MiB, 1 vCPU,
 * serial console on a pty logged to LOG, as both daemons set it up: a
 * "-serial file:" console boots ~15% slower) on the CPUs in AFFINITY; *PID
 * is the child.
 * The caller waits for the marker and calls raw_qemu_kill(). */
int raw_qemu_start(const char *kernel, const char *initrd, const char *log,
                   const cpu_set_t *affinity, pid_t *pid);
void raw_qemu_kill(pid_t *pid);

/* VmRSS of PID in KiB, or -1. */
long proc_rss_kib(pid_t pid);
