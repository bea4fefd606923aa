/* A fixed set of threads running jobs off the event loop, in FIFO order. */
#pragma once

struct mv_worker_pool;

typedef void (*mv_worker_fn)(void *job);

/* Starts NTHREADS threads that run FN on each pushed job.  -errno on failure. */
int mv_worker_pool_new(unsigned int nthreads, mv_worker_fn fn, struct mv_worker_pool **ret);
/* Queues JOB; -ECANCELED once the pool is stopping. */
int mv_worker_pool_push(struct mv_worker_pool *pool, void *job);
/* Number of jobs queued or running. */
unsigned int mv_worker_pool_pending(struct mv_worker_pool *pool);
/* Lets running jobs finish, drops queued ones through DROP, joins, frees. NULL ok. */
void mv_worker_pool_free(struct mv_worker_pool *pool, mv_worker_fn drop);
