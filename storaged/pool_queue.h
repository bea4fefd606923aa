/*
 * One stuck pool stalls nothing else: each pool's slow work (build, start
 * and mount, refresh, volume create/clone/wipe/resize/delete, stop) runs
 * on a thread of its own, and the call that asked for it waits a bounded
 * time (storaged.pool_timeout_ms, or copy_timeout_ms for data copies).
 *
 * Design.  A pool has at most ONE thread in flight (pool->in_flight).  A
 * call (on an RPC worker, with the pool's job held) starts a fresh
 * detached thread for its work and waits for it with a deadline.  If the
 * work does not finish in time the CALL fails, "storage pool 'p' did not
 * answer within N s", and returns its RPC worker to the pool of workers;
 * the stuck thread cannot be cancelled (a process in D state on a hung
 * filesystem cannot be) and stays stuck, still counted as the pool's one
 * thread in flight.  Later calls on that pool wait for it up to their own
 * deadline and fail the same way ("is busy"), so a stuck pool costs one
 * thread, whatever number of calls are made on it: the RPC workers are
 * never used up, and other pools, volumes elsewhere and inline calls
 * (which read the pool's published snapshots, never its job or thread)
 * keep working.  When the stuck work finally finishes it applies its
 * result itself (the work function updates the pool and sends events),
 * because its caller has gone: the pool ends up in the state the work
 * reached, as after any call whose reply was lost.
 *
 * A thread per piece of work, not a shared worker pool, because a shared
 * pool of N threads is used up by N stuck pools; thread creation costs
 * microseconds next to any file or helper the work touches.
 */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "pool_obj.h"

/* The slow work: runs on the pool's thread with a reference on POOL;
 * returns 0 or -errno with ERR set.  It must apply its result to POOL
 * itself (under pool->lock), since its caller may have given up. */
typedef int (*stor_op_fn)(struct stor_pool *pool, void *arg, struct mv_err *err);
typedef void (*stor_op_free_fn)(void *arg);

/*
 * Runs FN(POOL, ARG) on POOL's thread and waits at most TIMEOUT_MS in all
 * (for the work before it, then for this work).  WHAT names the work in
 * messages ("refresh").  Returns FN's result (ERR set by FN on failure),
 * or -errno with ERR if it could not run it (out of memory, no thread);
 * either way ARG is the caller's again (to read FN's outputs and free).
 * -ETIMEDOUT with ERR (OPERATION_TIMEOUT, naming the pool, the work and
 * the time) if the work or the one before it did not finish in time: ARG
 * then belongs to the work, freed with ARG_FREE when it ends (at once if
 * it never started).
 */
int stor_queue_run(struct stor_pool *pool, const char *what, stor_op_fn fn, void *arg, stor_op_free_fn arg_free,
                   unsigned int timeout_ms, struct mv_err *err);

/*
 * Admission, so that one stuck pool cannot tie up the RPC workers either:
 * every worker call that may wait on a pool (for its job or its thread)
 * enters first.  A pool whose work has already outlived a caller's
 * deadline is known to be stuck: calls on it fail at once, "is busy",
 * instead of each holding a worker for another timeout.  Before that is
 * known, at most STOR_POOL_CALLS_MAX calls wait on one pool; more fail at
 * once the same way.  With the default 8 RPC workers, a pool that hangs
 * holds at most 4 of them, for one pool_timeout, and none after.
 * 0, or -EBUSY with ERR (OPERATION_TIMEOUT naming the pool and its work).
 */
#define STOR_POOL_CALLS_MAX 4
int stor_queue_enter(struct stor_pool *pool, struct mv_err *err);
void stor_queue_leave(struct stor_pool *pool);

/* 0 if POOL has no work in flight; else -EBUSY with ERR naming the work
 * (for calls that must not overlap it but do no slow work: undefine). */
int stor_queue_check_idle(struct stor_pool *pool, struct mv_err *err);

/* True while any pool has work in flight (keeps storaged from exiting idle). */
bool stor_queue_any_in_flight(void);
