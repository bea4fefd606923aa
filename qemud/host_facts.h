/*
 * Host facts modvirt-qemud reports, gathered once: the installed QEMU
 * (version, machine types), whether KVM really runs guest code, and the
 * capabilities XML built from them.  Gathering forks QEMU and a KVM test
 * vCPU, so it happens off the event loop, started at daemon start.
 */
#pragma once

#include <stdbool.h>

#include "qemu_probe.h"

struct qemud_host_facts {
    struct mv_qemu_caps qemu;
    bool kvm_usable;
    char *kvm_reason;       /* why not, when not */
    char *capabilities;     /* host capabilities XML */
    /* what KVM can give a guest, as qemu.tcg_cpu_features is for TCG;
     * NULL without KVM or when QEMU could not tell */
    char **kvm_cpu_features;
};

/* Remembers the emulator to probe; starts probing in the background.  The
 * KVM verdict is cached in STATEDIR (NULL: not cached). */
int qemud_host_facts_init(const char *emulator, const char *statedir);
/* Waits for the probe and returns the facts, or NULL with *errmsg (static
 * until cleanup) if QEMU could not be probed. */
const struct qemud_host_facts *qemud_host_facts_get(const char **errmsg);
void qemud_host_facts_cleanup(void);
/* The CPU features the accelerator (KVM when KVM, else TCG) can give a
 * guest, for the command line's <feature policy='optional'>; NULL when they
 * could not be probed.  Waits for the probe like qemud_host_facts_get. */
const char *const *qemud_host_accel_cpu_features(bool kvm);
