/*
 * What calls acting on one domain share: running under the domain's job,
 * and which of its definitions (live, persistent) a call's flags affect.
 */
#pragma once

#include <stdbool.h>

#include "domain_obj.h"
#include "remote_protocol.h"
#include "server.h"

/* virDomainModificationImpact (and the LIVE/CONFIG bits of the device and
 * memory calls' flags, which have the same values) */
enum { QEMUD_AFFECT_LIVE = 1, QEMUD_AFFECT_CONFIG = 2 };

/* Runs FN on the call's domain with its job taken as JOB (waiting the
 * configured job_wait_timeout); FN's result, or -EIO with CALL's error
 * (no such domain, busy). */
typedef int (*qemud_job_fn)(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque);
int qemud_with_job(struct mv_call *call, const mv_nonnull_domain *wire, const char *job, qemud_job_fn fn,
                   unsigned int flags, void *opaque);

/* FLAGS' LIVE and CONFIG bits resolved for DOM (neither, CURRENT: live if
 * it runs, else config) into *LIVE and *CONFIG; BOTH_OK says whether a
 * call may name both.  0, or -EIO with CALL's error (not running,
 * transient, both). */
int qemud_affect(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, bool both_ok, bool *live,
                 bool *config);
