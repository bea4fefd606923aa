/*
 * Progress of a domain's long job (a save now; any later asynchronous job
 * too) and DOMAIN_GET_JOB_INFO / GET_JOB_STATS / ABORT_JOB(_FLAGS).
 *
 * The job's holder keeps a record here, behind a lock of its own, and
 * updates it as it goes (from QEMU's query-migrate); the queries and the
 * abort read or flag that record inline, never waiting for the domain's
 * job, which the long job holds throughout.  An abort only raises a flag
 * and wakes the holder (an eventfd it polls): the holder tells QEMU.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "domain_obj.h"
#include "server.h"

/* virDomainJobOperation values used here */
enum { QEMUD_JOB_OP_SAVE = 2, QEMUD_JOB_OP_RESTORE = 3 };

/* What QEMU's query-migrate says of a migration (0 where it says nothing). */
struct qemud_job_stats {
    uint64_t data_total, data_processed, data_remaining;
    uint64_t mem_total, mem_processed, mem_remaining;
    uint64_t mem_constant, mem_normal, mem_normal_bytes, mem_bps, mem_dirty_rate, mem_iteration, mem_page_size;
    uint64_t setup_time, downtime;
    uint64_t file_processed;         /* bytes the daemon has written to the image */
};

struct qemud_job_progress;

/* Starts DOM's record for an OPERATION job (its holder calls this with the
 * job held).  NULL without memory. */
struct qemud_job_progress *qemud_job_progress_begin(struct qemud_dom *dom, int operation);
/* The fd that becomes readable when an abort was asked for. */
int qemud_job_progress_abort_fd(const struct qemud_job_progress *p);
bool qemud_job_progress_aborted(struct qemud_job_progress *p);
void qemud_job_progress_update(struct qemud_job_progress *p, const struct qemud_job_stats *st);
/* Ends the record; a COMPLETED job's stats stay for GET_JOB_STATS(COMPLETED). */
void qemud_job_progress_end(struct qemud_job_progress *p, bool completed);

/* Fills STATS from QEMU's query-migrate reply R (borrowed). */
void qemud_job_stats_from_qmp(struct json_object *r, struct qemud_job_stats *st);

extern const struct mv_dispatch_table qemud_job_info_table;
