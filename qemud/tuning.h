/*
 * What the tuning procedures share (tuning_procs.c, sched_params.c,
 * numa_params.c): the domain's job around a change, which definitions a
 * call's flags affect, and replacing a definition with a changed copy.
 */
#pragma once

#include <stdbool.h>

#include "domain_obj.h"
#include "remote_protocol.h"
#include "proc_handlers.h"
#include "server.h"

/* virDomainModificationImpact */
enum { QEMUD_AFFECT_LIVE = 1, QEMUD_AFFECT_CONFIG = 2 };

/* Runs FN on the call's domain with its job taken as JOB. */
typedef int (*qemud_tuning_fn)(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque);
int qemud_tuning_with_job(struct mv_call *call, const mv_nonnull_domain *wire, const char *job,
                          qemud_tuning_fn fn, unsigned int flags, void *opaque);

/* FLAGS' LIVE and CONFIG bits resolved for DOM (neither: live if it runs,
 * else config) into *LIVE and *CONFIG; BOTH_OK says whether a call may
 * name both.  0, or -EIO with CALL's error (not running, transient, both). */
int qemud_tuning_affect(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, bool both_ok,
                        bool *live, bool *config);

/* Changes a copy of DOM's persistent (CONFIG) or live definition with FN
 * and puts it in place: the config saved first, the live one followed by
 * the status file.  FN returns 0 or -EIO with CALL's error. */
typedef int (*qemud_def_edit_fn)(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque);
int qemud_tuning_edit(struct mv_call *call, struct qemud_dom *dom, bool config, qemud_def_edit_fn fn, void *opaque);

/* The host's online CPUs (or NUMA nodes, NODES) as a set; -EIO with CALL's error. */
int qemud_tuning_host_set(struct mv_call *call, bool nodes, struct mv_dom_idset *out);

/* numa_params.c */
int qemud_numa_get(struct mv_call *call, mv_domain_get_numa_parameters_args *args,
                   mv_domain_get_numa_parameters_ret *ret);
int qemud_numa_set(struct mv_call *call, mv_domain_set_numa_parameters_args *args, void *ret);
