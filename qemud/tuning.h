/*
 * What the tuning procedures share (tuning_procs.c, sched_params.c,
 * numa_params.c): editing a definition through a changed copy, and the
 * host's CPUs and nodes (the job and flags are domain_call.h's).
 */
#pragma once

#include <stdbool.h>

#include "domain_call.h"
#include "domain_obj.h"
#include "remote_protocol.h"
#include "proc_handlers.h"
#include "server.h"

/* Changes a copy of DOM's persistent (CONFIG) or live definition with FN
 * and puts it in place: the config saved first, the live one followed by
 * the status file.  FN returns 0 or -EIO with CALL's error; so does this,
 * never 0 with the change dropped. */
typedef int (*qemud_def_edit_fn)(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def *def, void *opaque);
int qemud_tuning_edit(struct mv_call *call, struct qemud_dom *dom, bool config, qemud_def_edit_fn fn, void *opaque);

/* The host's online CPUs (or NUMA nodes, NODES) as a set; -EIO with CALL's error. */
int qemud_tuning_host_set(struct mv_call *call, bool nodes, struct mv_dom_idset *out);

/* numa_params.c */
int qemud_numa_get(struct mv_call *call, mv_domain_get_numa_parameters_args *args,
                   mv_domain_get_numa_parameters_ret *ret);
int qemud_numa_set(struct mv_call *call, mv_domain_set_numa_parameters_args *args, void *ret);
