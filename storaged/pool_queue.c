/* Each pool's slow work on a thread of its own, waited for with a deadline (see pool_queue.h). */
#define MV_LOG_MODULE "storaged.queue"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "monotime.h"
#include "pool_queue.h"

struct stor_op {
    atomic_int refs;                /* the caller's and the thread's */
    struct stor_pool *pool;         /* referenced */
    const char *what;
    stor_op_fn fn;
    void *arg;                      /* NULL once handed back to the caller */
    stor_op_free_fn arg_free;
    long long started_ms;
    /* under pool->lock */
    bool done, abandoned;
    int result;
    struct mv_err err;
};

static atomic_int ops_in_flight;

static void op_unref(struct stor_op *op)
{
    if (atomic_fetch_sub(&op->refs, 1) != 1)
        return;
    if (op->arg && op->arg_free)
        op->arg_free(op->arg);
    mv_err_clear(&op->err);
    stor_pool_unref(op->pool);
    free(op);
}

static void *op_thread(void *opaque)
{
    struct stor_op *op = opaque;
    struct stor_pool *pool = op->pool;
    int r = op->fn(pool, op->arg, &op->err);

    pthread_mutex_lock(&pool->lock);
    op->result = r;
    op->done = true;
    pool->in_flight = NULL;
    pthread_cond_broadcast(&pool->queue_cond);
    if (op->abandoned)
        mv_warn("storage pool '%s': '%s' finished after %lld ms, after its caller had given up (%s)", pool->name,
                op->what, mv_now_ms() - op->started_ms, r < 0 && op->err.message ? op->err.message : "succeeded");
    pthread_mutex_unlock(&pool->lock);
    atomic_fetch_sub(&ops_in_flight, 1);
    op_unref(op);
    return NULL;
}

static int busy_error(struct stor_pool *pool, const struct stor_op *running, unsigned int timeout_ms,
                      struct mv_err *err)
{
    mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE,
               "Timed out during operation: storage pool '%s' is busy: its '%s' has not answered for %lld s "
               "(waited %g s)", pool->name, running->what, (mv_now_ms() - running->started_ms) / 1000,
               timeout_ms / 1000.0);
    return -ETIMEDOUT;
}

/* Waits (pool->lock held) until POOL has no work in flight or DEADLINE. */
static void wait_idle(struct stor_pool *pool, const struct timespec *deadline)
{
    while (pool->in_flight)
        if (pthread_cond_timedwait(&pool->queue_cond, &pool->lock, deadline) == ETIMEDOUT)
            break;
}

static struct stor_op *op_new(struct stor_pool *pool, const char *what, stor_op_fn fn, void *arg,
                              stor_op_free_fn arg_free)
{
    struct stor_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    *op = (struct stor_op){ .pool = stor_pool_ref(pool), .what = what, .fn = fn, .arg = arg,
                            .arg_free = arg_free, .started_ms = mv_now_ms() };
    atomic_init(&op->refs, 2);
    return op;
}

/* Starts OP's thread (pool->lock held, OP in flight).  0 or -errno. */
static int op_start(struct stor_op *op)
{
    pthread_attr_t attr;
    pthread_t t;
    int r;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&ops_in_flight, 1);
    r = -pthread_create(&t, &attr, op_thread, op);
    pthread_attr_destroy(&attr);
    if (r < 0)
        atomic_fetch_sub(&ops_in_flight, 1);
    return r;
}

/* Waits for OP (pool->lock held); false at the deadline. */
static bool wait_done(struct stor_pool *pool, struct stor_op *op, const struct timespec *deadline)
{
    while (!op->done)
        if (pthread_cond_timedwait(&pool->queue_cond, &pool->lock, deadline) == ETIMEDOUT)
            return op->done;
    return true;
}

/* OP's work started on a thread of its own once POOL has none in flight
 * (waiting until DEADLINE; pool->lock held).  0, or -errno with ERR: the
 * work before it did not finish in time, or no thread. */
static int op_begin(struct stor_pool *pool, struct stor_op *op, const struct timespec *deadline,
                    unsigned int timeout_ms, struct mv_err *err)
{
    int r;

    wait_idle(pool, deadline);
    if (pool->in_flight)
        return busy_error(pool, pool->in_flight, timeout_ms, err);
    pool->in_flight = op;
    if ((r = op_start(op)) < 0) {
        pool->in_flight = NULL;
        pthread_cond_broadcast(&pool->queue_cond);
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_STORAGE,
                                "internal error: storage pool '%s': cannot start a thread for '%s'", pool->name,
                                op->what);
    }
    return 0;
}

int stor_queue_run(struct stor_pool *pool, const char *what, stor_op_fn fn, void *arg, stor_op_free_fn arg_free,
                   unsigned int timeout_ms, struct mv_err *err)
{
    struct stor_op *op = op_new(pool, what, fn, arg, arg_free);
    struct timespec deadline;
    int r;

    if (!op)                    /* ARG stays the caller's */
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_STORAGE, "out of memory");
    mv_deadline_after(&deadline, (int)timeout_ms);
    pthread_mutex_lock(&pool->lock);
    if ((r = op_begin(pool, op, &deadline, timeout_ms, err)) < 0) {
        pthread_mutex_unlock(&pool->lock);
        if (r != -ETIMEDOUT)
            op->arg = NULL;     /* no thread: ARG stays the caller's */
        op_unref(op);           /* the thread's, never started */
        op_unref(op);           /* ours: frees ARG after a timeout */
        return r;
    }
    if (!wait_done(pool, op, &deadline)) {
        op->abandoned = true;
        pthread_mutex_unlock(&pool->lock);
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE,
                   "Timed out during operation: storage pool '%s' did not answer within %g s (its '%s' is still "
                   "running)", pool->name, timeout_ms / 1000.0, what);
        mv_warn("storage pool '%s': '%s' did not finish within %g s; the call fails, the work goes on", pool->name,
                what, timeout_ms / 1000.0);
        op_unref(op);
        return -ETIMEDOUT;
    }
    pthread_mutex_unlock(&pool->lock);
    if ((r = op->result) < 0)
        mv_err_move(err, &op->err);
    op->arg = NULL;             /* the caller's again */
    op_unref(op);
    return r;
}

int stor_queue_enter(struct stor_pool *pool, struct mv_err *err)
{
    struct stor_op *op;
    int r = 0;

    pthread_mutex_lock(&pool->lock);
    if ((op = pool->in_flight) && op->abandoned)
        r = mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE,
                       "Timed out during operation: storage pool '%s' is busy: its '%s' has not answered for %lld s",
                       pool->name, op->what, (mv_now_ms() - op->started_ms) / 1000);
    else if (pool->calls >= STOR_POOL_CALLS_MAX)
        r = mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_STORAGE,
                       "Timed out during operation: storage pool '%s' is busy: %u calls are waiting for it already",
                       pool->name, pool->calls);
    else
        pool->calls++;
    pthread_mutex_unlock(&pool->lock);
    return r < 0 ? -EBUSY : 0;
}

void stor_queue_leave(struct stor_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->calls--;
    pthread_mutex_unlock(&pool->lock);
}

int stor_queue_check_idle(struct stor_pool *pool, struct mv_err *err)
{
    int r = 0;

    pthread_mutex_lock(&pool->lock);
    if (pool->in_flight) {
        mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_STORAGE,
                   "Requested operation is not valid: storage pool '%s' is busy: its '%s' has been running for %lld s",
                   pool->name, pool->in_flight->what, (mv_now_ms() - pool->in_flight->started_ms) / 1000);
        r = -EBUSY;
    }
    pthread_mutex_unlock(&pool->lock);
    return r;
}

bool stor_queue_any_in_flight(void)
{
    return atomic_load(&ops_in_flight) > 0;
}
