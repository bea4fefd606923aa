/*
 * Domain jobs on the driver core's (common/job.h): at most one modifying
 * operation (start, destroy, suspend...) runs on a domain at a time.
 * Another caller waits up to the configured job_wait_timeout and then fails
 * with "domain is busy"; work on other domains never waits.
 */
#pragma once

#include "domain_obj.h"
#include "error.h"

/* Takes DOM's job for JOB (a static string naming it), waiting at most
 * WAIT_MS (< 0: for as long as it takes).  0, or -EBUSY with ERR set to
 * "Timed out during operation: domain 'vm1' is busy with job 'suspend'",
 * or -ENOENT with ERR "Domain not found" (code 42) if DOM was removed
 * (undefined) before or while waiting: a lost race, never anything else. */
int qemud_job_begin(struct qemud_dom *dom, const char *job, int wait_ms, struct mv_err *err);

/* Ends the job taken by qemud_job_begin() or qemud_registry_add() and wakes waiters. */
void qemud_job_end(struct qemud_dom *dom);
