/*
 * Object jobs: at most one modifying operation (start, destroy, define...)
 * runs on an object at a time.  Another caller waits a bounded time and
 * then fails with "busy"; work on other objects never waits.  The job is
 * what slow work holds: the object's lock is only held for short reads and
 * writes, so inline readers never wait behind a job.
 */
#pragma once

#include "object.h"

/* Takes OBJ's job for JOB (a static string naming it), waiting at most
 * WAIT_MS (< 0: for as long as it takes).  Returns 0; -EBUSY with *ERRMSG
 * "Timed out during operation: domain 'vm1' is busy with job 'suspend'"
 * (the word is the object kind's); -ENOENT with *ERRMSG "domain 'vm1' no
 * longer exists" if OBJ left its registry (before or while waiting): the
 * caller lost a race with a removal.  ERRMSG may be NULL. */
int mv_job_begin(struct mv_obj *obj, const char *job, int wait_ms, char **errmsg);

/* Same with OBJ's lock already held (and still held on return). */
int mv_job_begin_locked(struct mv_obj *obj, const char *job, int wait_ms, char **errmsg);

/* Ends the job (also the one mv_registry_add took) and wakes the waiters. */
void mv_job_end(struct mv_obj *obj);
/* Same with OBJ's lock held. */
void mv_job_end_locked(struct mv_obj *obj);
