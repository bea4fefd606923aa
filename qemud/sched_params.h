/*
 * Scheduler parameters of a domain (sched_params.c): GET_SCHEDULER_TYPE
 * and GET/SET_SCHEDULER_PARAMETERS(_FLAGS) over <cputune> shares, period
 * and quota, live through the guest's cgroup v2 group (guest_cgroup.h:
 * cpu.weight, cpu.max).  The handlers of tuning_procs.c's table.
 */
#pragma once

#include "remote_protocol.h"
#include "server.h"

int qemud_sched_get_type(struct mv_call *call, mv_domain_args *args, mv_domain_get_scheduler_type_ret *ret);
int qemud_sched_get(struct mv_call *call, mv_domain_get_scheduler_parameters_args *args,
                    mv_domain_get_scheduler_parameters_ret *ret);
int qemud_sched_get_flags(struct mv_call *call, mv_domain_get_scheduler_parameters_flags_args *args,
                          mv_domain_get_scheduler_parameters_flags_ret *ret);
int qemud_sched_set(struct mv_call *call, mv_domain_set_scheduler_parameters_args *args, void *ret);
int qemud_sched_set_flags(struct mv_call *call, mv_domain_set_scheduler_parameters_flags_args *args, void *ret);
