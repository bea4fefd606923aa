/* The pools' queues (storaged/pool_queue.c): one stuck pool stalls nothing
 * else, and calls on a stuck pool fail at once.  Work that blocks on a pipe stands for a pool whose filesystem
 * stopped answering; the test releases it by writing to the pipe. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "monotime.h"
#include "pool_obj.h"
#include "pool_queue.h"
#include "storaged.h"

struct storaged_driver storaged;        /* the driver's state, without driver.c */

static atomic_int runs, frees;

struct arg {
    int fd;             /* read one byte from it first (-1: none) */
    int result;         /* what the work returns */
    int out;            /* set by the work */
};

static int work(struct stor_pool *pool, void *p, struct mv_err *err)
{
    struct arg *a = p;
    char c;

    atomic_fetch_add(&runs, 1);
    if (a->fd >= 0 && read(a->fd, &c, 1) != 1)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_STORAGE, "read failed");
    a->out = 42;
    if (a->result < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_STORAGE, "operation failed: as asked");
    return a->result;
}

static void arg_free(void *p)
{
    atomic_fetch_add(&frees, 1);
    free(p);
}

static struct arg *arg_new(int fd, int result)
{
    struct arg *a = calloc(1, sizeof(*a));

    ck_assert_ptr_nonnull(a);
    *a = (struct arg){ .fd = fd, .result = result };
    return a;
}

static struct stor_pool *pool_new(const char *name, unsigned char id)
{
    unsigned char uuid[MV_UUID_LEN] = { id };
    struct stor_pool *pool = NULL, *holder = NULL;

    ck_assert_int_eq(stor_registry_add(name, uuid, "test", &pool, &holder), 0);
    pthread_mutex_unlock(&pool->lock);
    stor_job_end(pool);
    return pool;
}

static void setup(void)
{
    atomic_store(&runs, 0);
    atomic_store(&frees, 0);
    ck_assert_int_eq(stor_registry_init(), 0);
}

static void teardown(void)
{
    stor_registry_cleanup();
}

/* Waits (bounded) until no pool has work in flight. */
static void wait_idle(void)
{
    long long end = mv_now_ms() + 5000;

    while (stor_queue_any_in_flight() && mv_now_ms() < end)
        usleep(1000);
    ck_assert(!stor_queue_any_in_flight());
}

START_TEST(test_work_in_time)
{
    _cleanup_(stor_pool_unrefp) struct stor_pool *pool = pool_new("p1", 1);
    struct mv_err err = { 0 };
    struct arg *a = arg_new(-1, 0);

    ck_assert_int_eq(stor_queue_run(pool, "refresh", work, a, arg_free, 5000, &err), 0);
    ck_assert_int_eq(a->out, 42);           /* the caller's again: readable */
    ck_assert_int_eq(atomic_load(&frees), 0);
    arg_free(a);
    a = arg_new(-1, -EIO);
    ck_assert_int_eq(stor_queue_run(pool, "refresh", work, a, arg_free, 5000, &err), -EIO);
    ck_assert_str_eq(err.message, "operation failed: as asked");
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_FAILED);
    mv_err_clear(&err);
    arg_free(a);
    ck_assert_int_eq(stor_queue_check_idle(pool, &err), 0);
    wait_idle();
}
END_TEST

START_TEST(test_stuck_pool_stalls_nothing_else)
{
    _cleanup_(stor_pool_unrefp) struct stor_pool *stuck = pool_new("stuck", 1);
    _cleanup_(stor_pool_unrefp) struct stor_pool *other = pool_new("other", 2);
    struct mv_err err = { 0 };
    long long t0;
    int fds[2];

    ck_assert_int_eq(pipe(fds), 0);
    /* the stuck pool's work never answers: its call fails at the deadline */
    t0 = mv_now_ms();
    ck_assert_int_eq(stor_queue_run(stuck, "refresh", work, arg_new(fds[0], 0), arg_free, 300, &err), -ETIMEDOUT);
    ck_assert_int_ge(mv_now_ms() - t0, 290);
    ck_assert_int_lt(mv_now_ms() - t0, 3000);
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_TIMEOUT);
    ck_assert_str_eq(err.message, "Timed out during operation: storage pool 'stuck' did not answer within 0.3 s "
                                  "(its 'refresh' is still running)");
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&frees), 0);       /* the stuck work still has its argument */

    /* a second call on it waits for the first, fails busy, starts nothing */
    ck_assert_int_eq(stor_queue_run(stuck, "start", work, arg_new(-1, 0), arg_free, 200, &err), -ETIMEDOUT);
    ck_assert(strstr(err.message, "storage pool 'stuck' is busy: its 'refresh' has not answered for"));
    mv_err_clear(&err);
    ck_assert_int_eq(atomic_load(&runs), 1);
    ck_assert_int_eq(atomic_load(&frees), 1);       /* the busy call's, freed at once */
    ck_assert_int_eq(stor_queue_check_idle(stuck, &err), -EBUSY);
    mv_err_clear(&err);

    /* another pool answers at once meanwhile */
    for (int i = 0; i < 20; i++) {
        struct arg *a = arg_new(-1, 0);

        t0 = mv_now_ms();
        ck_assert_int_eq(stor_queue_run(other, "refresh", work, a, arg_free, 5000, &err), 0);
        ck_assert_int_lt(mv_now_ms() - t0, 1000);
        arg_free(a);
    }

    /* the filesystem answers again: the abandoned work ends and frees its argument */
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    wait_idle();
    ck_assert_int_eq(atomic_load(&frees), 22);
    ck_assert_int_eq(stor_queue_check_idle(stuck, &err), 0);
    {
        struct arg *a = arg_new(-1, 0);

        ck_assert_int_eq(stor_queue_run(stuck, "refresh", work, a, arg_free, 5000, &err), 0);
        arg_free(a);
    }
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* Many calls on a stuck pool hold one thread, not one each. */
START_TEST(test_stuck_pool_holds_one_thread)
{
    _cleanup_(stor_pool_unrefp) struct stor_pool *stuck = pool_new("stuck", 1);
    struct mv_err err = { 0 };
    int fds[2];

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(stor_queue_run(stuck, "refresh", work, arg_new(fds[0], 0), arg_free, 50, &err), -ETIMEDOUT);
    mv_err_clear(&err);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(stor_queue_run(stuck, "refresh", work, arg_new(fds[0], 0), arg_free, 20, &err), -ETIMEDOUT);
        mv_err_clear(&err);
    }
    ck_assert_int_eq(atomic_load(&runs), 1);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    wait_idle();
    ck_assert_int_eq(atomic_load(&frees), 11);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* Calls on a pool known to be stuck fail at once; before that, at most
 * STOR_POOL_CALLS_MAX wait on one pool. */
START_TEST(test_admission)
{
    _cleanup_(stor_pool_unrefp) struct stor_pool *pool = pool_new("p", 1);
    struct mv_err err = { 0 };
    long long t0;
    int fds[2];

    for (int i = 0; i < STOR_POOL_CALLS_MAX; i++)
        ck_assert_int_eq(stor_queue_enter(pool, &err), 0);
    ck_assert_int_eq(stor_queue_enter(pool, &err), -EBUSY);
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_TIMEOUT);
    ck_assert_str_eq(err.message, "Timed out during operation: storage pool 'p' is busy: 4 calls are waiting for it "
                                  "already");
    mv_err_clear(&err);
    for (int i = 0; i < STOR_POOL_CALLS_MAX; i++)
        stor_queue_leave(pool);

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(stor_queue_enter(pool, &err), 0);
    ck_assert_int_eq(stor_queue_run(pool, "refresh", work, arg_new(fds[0], 0), arg_free, 50, &err), -ETIMEDOUT);
    stor_queue_leave(pool);
    mv_err_clear(&err);
    t0 = mv_now_ms();
    ck_assert_int_eq(stor_queue_enter(pool, &err), -EBUSY);
    ck_assert_int_lt(mv_now_ms() - t0, 50);
    ck_assert(strstr(err.message, "storage pool 'p' is busy: its 'refresh' has not answered for"));
    mv_err_clear(&err);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    wait_idle();
    ck_assert_int_eq(stor_queue_enter(pool, &err), 0);      /* it answers again */
    stor_queue_leave(pool);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("storaged_queue");
    TCase *tc = tcase_create("queue");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_work_in_time);
    tcase_add_test(tc, test_stuck_pool_stalls_nothing_else);
    tcase_add_test(tc, test_stuck_pool_holds_one_thread);
    tcase_add_test(tc, test_admission);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(queue_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
