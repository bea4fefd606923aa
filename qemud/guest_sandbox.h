/*
 * The confinement a guest's QEMU is spawned in (common/confine.h), built
 * from what its start collected: the guest's identity, a private root with
 * the base layout, the domain's own directory, each granted host file bound
 * at its path from the fd the daemon checked (read-only when granted so),
 * the /dev nodes its devices use, and limits derived from the domain.
 */
#pragma once

#include <stdbool.h>

#include "confine.h"
#include "domain_def.h"
#include "error.h"
#include "guest_isolation.h"

/* Fills C (initialised here; the caller clears it) for LIVE's QEMU run as
 * EMULATOR.  KVM: whether it will use /dev/kvm.  0, or -errno with ERR. */
int qemud_guest_sandbox_build(const char *domname, const char *emulator, const struct mv_dom_def *live, bool kvm,
                              const struct qemud_isolation *iso, const char *domdir, struct mv_confine *c,
                              struct mv_err *err);
