/*
 * Whether KVM can really run guest code on this host.
 *
 * A /dev/kvm that answers ioctls, or even runs a bare HLT, is not enough: on a
 * PVM host (kvm_pvm) KVM emulates every guest instruction, ~1.5 million a
 * second, and QEMU guests never finish booting.  The probe runs a 64-bit test
 * guest that spins 10 million loop iterations and then halts, in a forked
 * child that is killed if it has not halted in time: hardware virtualization
 * takes milliseconds, emulation far longer.  It never hangs the caller but
 * takes up to ~2 s, so call it off the event loop and cache the answer.
 */
#pragma once

#include <stdbool.h>

/* How long the test vCPU may take to reach HLT before it is killed. */
#define MV_KVM_PROBE_TIMEOUT_MS 2000

/*
 * 1 if a test vCPU on DEV_PATH (NULL = "/dev/kvm") runs to HLT, 0 if KVM is
 * not usable with *reason (caller frees) saying why, -errno if the probe
 * itself could not run (fork, pipe, ENOMEM).  *reason is only set on 0.
 * SIGCHLD must not be ignored (SIG_IGN) by the caller's process.
 */
int mv_kvm_probe(const char *dev_path, char **reason);

/*
 * mv_kvm_probe, its verdict kept in CACHE_PATH (in the daemon's state dir) so
 * that a daemon start does not spend the probe's ~2 s of CPU again: reused
 * while kernel release, boot, /dev/kvm node and QEMU_BINARY (size, mtime) are
 * those it was made for, probed again and written atomically otherwise.  A
 * cache that is unreadable, corrupt or made for other facts is ignored; with
 * CACHE_PATH or QEMU_BINARY NULL it is plain mv_kvm_probe.  *CACHED says
 * whether the verdict came from the file.  Returns as mv_kvm_probe.
 */
int mv_kvm_probe_cached(const char *dev_path, const char *qemu_binary, const char *cache_path,
                        char **reason, bool *cached);

/* KVM_CAP_MAX_VCPUS (else KVM_CAP_NR_VCPUS) of DEV_PATH (NULL = "/dev/kvm"); > 0, or -errno. */
int mv_kvm_max_vcpus(const char *dev_path);
