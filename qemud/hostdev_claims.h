/*
 * Which running domain of this daemon holds which host PCI function
 * (libvirt's list of active PCI hostdevs).  A start claims every hostdev it
 * names before modvirt-nodedevd is asked to detach any: two domains naming
 * one function never run together, and the second one's failed start can
 * never give the first one's device back to the host.
 */
#pragma once

#include "domain_def.h"
#include "error.h"

/* Claims every hostdev of LIVE for its domain; 0, or -EBUSY with ERR
 * naming the function and the domain holding it (nothing claimed then). */
int qemud_hostdevs_claim(const struct mv_dom_def *live, struct mv_err *err);
/* Releases what LIVE's domain (its uuid) holds; NULL is fine. */
void qemud_hostdevs_release(const struct mv_dom_def *live);
/* The hostdevs of a domain this daemon adopted running: claimed again, as
 * its QEMU holds them.  A clash is logged. */
void qemud_hostdevs_claim_running(const struct mv_dom_def *live);
