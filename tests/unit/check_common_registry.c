/* The driver core's objects, registry and jobs (common/object, registry, job). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "job.h"
#include "monotime.h"
#include "registry.h"

/* A driver object as a daemon would write one. */
struct thing {
    MV_OBJ_EMBED;
    int payload;
};

static atomic_int disposed;

static void thing_dispose(struct mv_obj *obj)
{
    mv_obj_fini(obj);
    free(obj);
    atomic_fetch_add(&disposed, 1);
}

static const struct mv_obj_kind thing_kind = { .word = "network", .dispose = thing_dispose };

static struct thing *thing_new(const char *name, unsigned char byte)
{
    struct thing *t = calloc(1, sizeof(*t));
    unsigned char uuid[MV_UUID_LEN];

    ck_assert_ptr_nonnull(t);
    memset(uuid, byte, sizeof(uuid));
    ck_assert_int_eq(mv_obj_init(&t->obj, &thing_kind, name, uuid), 0);
    return t;
}

static struct mv_registry *reg_new(void)
{
    struct mv_registry *reg = NULL;

    ck_assert_int_eq(mv_registry_new(&thing_kind, &reg), 0);
    return reg;
}

/* Adds a fresh object and ends its creation (unlock, end the job). */
static struct thing *add_done(struct mv_registry *reg, const char *name, unsigned char byte)
{
    struct thing *t = thing_new(name, byte);
    struct mv_obj *holder = NULL;

    ck_assert_int_eq(mv_registry_add(reg, &t->obj, "define", &holder), 0);
    mv_obj_unlock(&t->obj);
    mv_job_end(&t->obj);
    return t;
}

START_TEST(test_embed_aliases_base)
{
    struct thing *t = thing_new("n1", 1);

    /* the driver reads the base's fields by name */
    ck_assert_ptr_eq(&t->obj.lock, &t->lock);
    ck_assert_str_eq(t->name, "n1");
    ck_assert_str_eq(t->uuid_str, "01010101-0101-0101-0101-010101010101");
    ck_assert_int_eq(t->id, -1);
    atomic_store(&disposed, 0);
    mv_obj_unref(&t->obj);
    ck_assert_int_eq(atomic_load(&disposed), 1);
}
END_TEST

START_TEST(test_add_find_remove)
{
    _cleanup_(mv_registry_freep) struct mv_registry *reg = reg_new();
    struct thing *a = add_done(reg, "a", 1);
    struct thing *b = add_done(reg, "b", 2);
    struct thing *dup = thing_new("a", 9), *dup2 = thing_new("c", 2);
    struct mv_obj *holder = NULL, *o;
    unsigned char uuid[MV_UUID_LEN];

    /* name or uuid taken: the holder comes back */
    ck_assert_int_eq(mv_registry_add(reg, &dup->obj, "define", &holder), -EEXIST);
    ck_assert_ptr_eq(holder, &a->obj);
    mv_obj_unref(holder);
    ck_assert_int_eq(mv_registry_add(reg, &dup2->obj, "define", &holder), -EEXIST);
    ck_assert_ptr_eq(holder, &b->obj);
    mv_obj_unref(holder);
    /* a refused object was never locked or given a job */
    ck_assert_ptr_null(dup->job);
    ck_assert_int_eq(pthread_mutex_trylock(&dup->lock), 0);
    pthread_mutex_unlock(&dup->lock);
    mv_obj_unref(&dup->obj);
    mv_obj_unref(&dup2->obj);

    ck_assert_ptr_eq((o = mv_registry_find_name(reg, "b")), &b->obj);
    mv_obj_unref(o);
    memset(uuid, 1, sizeof(uuid));
    ck_assert_ptr_eq((o = mv_registry_find_uuid(reg, uuid)), &a->obj);
    mv_obj_unref(o);
    ck_assert_ptr_null(mv_registry_find_name(reg, "zz"));
    ck_assert_uint_eq(mv_registry_count(reg), 2);

    mv_registry_remove(reg, &a->obj);
    mv_registry_remove(reg, &a->obj);        /* twice is fine */
    ck_assert_ptr_null(mv_registry_find_name(reg, "a"));
    ck_assert(a->removed);
    ck_assert_uint_eq(mv_registry_count(reg), 1);
    /* the name is free again */
    mv_obj_unref(&add_done(reg, "a", 1)->obj);
    mv_obj_unref(&a->obj);
    mv_obj_unref(&b->obj);
}
END_TEST

/* The new object is locked with its job taken until its creator lets go. */
START_TEST(test_add_returns_locked_with_job)
{
    _cleanup_(mv_registry_freep) struct mv_registry *reg = reg_new();
    struct thing *t = thing_new("h1", 3);
    struct mv_obj *holder = NULL, *found;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_registry_add(reg, &t->obj, "define", &holder), 0);
    ck_assert_str_eq(t->job, "define");
    ck_assert_int_eq(pthread_mutex_trylock(&t->lock), EBUSY);      /* held by us */
    /* others can find it, but not lock it nor start a job on it */
    found = mv_registry_find_name(reg, "h1");
    ck_assert_ptr_eq(found, &t->obj);
    t->payload = 42;
    mv_obj_unlock(&t->obj);
    ck_assert_int_eq(mv_job_begin(found, "undefine", 50, &msg), -EBUSY);
    ck_assert_str_eq(msg, "Timed out during operation: network 'h1' is busy with job 'define'");
    mv_job_end(&t->obj);
    ck_assert_int_eq(mv_job_begin(found, "undefine", 50, NULL), 0);
    ck_assert_str_eq(t->job, "undefine");
    mv_job_end(found);
    mv_obj_unref(found);
    mv_obj_unref(&t->obj);
}
END_TEST

struct waiter {
    struct mv_obj *obj;
    int r;
    char *msg;
    pthread_mutex_t m;
    pthread_cond_t c;
    bool waiting, done;
};

static void *wait_job(void *opaque)
{
    struct waiter *w = opaque;
    int r;

    pthread_mutex_lock(&w->m);
    w->waiting = true;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    r = mv_job_begin(w->obj, "start", 20000, &w->msg);
    pthread_mutex_lock(&w->m);
    w->r = r;
    w->done = true;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return NULL;
}

/* A job waiting on an object that is removed fails at once with -ENOENT:
 * the lost race of a start against an undefine. */
START_TEST(test_remove_fails_waiting_job)
{
    _cleanup_(mv_registry_freep) struct mv_registry *reg = reg_new();
    struct thing *t = add_done(reg, "h1", 4);
    struct waiter w = { .obj = &t->obj, .m = PTHREAD_MUTEX_INITIALIZER };
    struct timespec deadline;
    pthread_t th;

    ck_assert_int_eq(mv_cond_init_monotonic(&w.c), 0);
    ck_assert_int_eq(mv_job_begin(&t->obj, "undefine", 0, NULL), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, wait_job, &w), 0);
    pthread_mutex_lock(&w.m);
    while (!w.waiting)
        pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
    mv_registry_remove(reg, &t->obj);
    /* well before the waiter's 20 s: removal wakes it */
    mv_deadline_after(&deadline, 10000);
    pthread_mutex_lock(&w.m);
    while (!w.done && pthread_cond_timedwait(&w.c, &w.m, &deadline) == 0)
        ;
    pthread_mutex_unlock(&w.m);
    mv_job_end(&t->obj);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert(w.done);
    ck_assert_int_eq(w.r, -ENOENT);
    ck_assert_str_eq(w.msg, "network 'h1' no longer exists");
    free(w.msg);
    /* and so does any later job */
    ck_assert_int_eq(mv_job_begin(&t->obj, "start", 0, NULL), -ENOENT);
    mv_obj_unref(&t->obj);
}
END_TEST

static bool even_payload(struct mv_obj *obj, void *opaque)
{
    struct thing *t = (struct thing *)obj;

    ck_assert_ptr_eq(opaque, &thing_kind);
    return t->payload % 2 == 0;
}

START_TEST(test_list_filter_and_ids)
{
    _cleanup_(mv_registry_freep) struct mv_registry *reg = reg_new();
    struct thing *t[4];
    struct mv_obj **v = NULL, *o;
    size_t n = 0;
    char name[8];

    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "t%d", i);
        t[i] = add_done(reg, name, (unsigned char)(10 + i));
        t[i]->payload = i;
    }
    ck_assert_int_eq(mv_registry_list(reg, NULL, NULL, &v, &n), 0);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_eq(v[i], &t[i]->obj);         /* order of addition */
    mv_obj_list_free(v, n);
    ck_assert_int_eq(mv_registry_list(reg, even_payload, (void *)&thing_kind, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_eq(v[0], &t[0]->obj);
    ck_assert_ptr_eq(v[1], &t[2]->obj);
    mv_obj_list_free(v, n);

    ck_assert_int_eq(mv_registry_next_id(reg), 1);
    mv_obj_lock(&t[1]->obj);
    ck_assert_int_eq(mv_registry_assign_id(reg, &t[1]->obj, 7), 0);
    mv_obj_unlock(&t[1]->obj);
    mv_obj_lock(&t[2]->obj);
    ck_assert_int_eq(mv_registry_assign_id(reg, &t[2]->obj, 7), -EEXIST);
    ck_assert_int_eq(t[2]->id, -1);
    mv_obj_unlock(&t[2]->obj);
    ck_assert_int_eq(t[1]->id, 7);
    ck_assert_uint_eq(mv_registry_count_active(reg), 1);
    ck_assert_ptr_eq((o = mv_registry_find_id(reg, 7)), &t[1]->obj);
    mv_obj_unref(o);
    ck_assert_int_eq(mv_registry_next_id(reg), 8);   /* ids are not reused */
    mv_registry_note_id(reg, 20);
    ck_assert_int_eq(mv_registry_next_id(reg), 21);
    mv_obj_lock(&t[1]->obj);
    mv_registry_release_id(reg, &t[1]->obj);
    mv_obj_unlock(&t[1]->obj);
    ck_assert_int_eq(t[1]->id, -1);
    ck_assert_ptr_null(mv_registry_find_id(reg, 7));
    ck_assert_uint_eq(mv_registry_count_active(reg), 0);
    for (int i = 0; i < 4; i++)
        mv_obj_unref(&t[i]->obj);
}
END_TEST

/* A removed object leaves every index, its id's too: the registry holds
 * no reference through by_id, so a later find_id must not reach it. */
START_TEST(test_remove_drops_id)
{
    _cleanup_(mv_registry_freep) struct mv_registry *reg = reg_new();
    struct thing *t = add_done(reg, "t", 1);

    mv_obj_lock(&t->obj);
    ck_assert_int_eq(mv_registry_assign_id(reg, &t->obj, 3), 0);
    mv_obj_unlock(&t->obj);
    mv_registry_remove(reg, &t->obj);
    ck_assert_ptr_null(mv_registry_find_id(reg, 3));
    ck_assert_uint_eq(mv_registry_count_active(reg), 0);
    mv_obj_unref(&t->obj);
}
END_TEST

/* Dropping the registry drops its references; objects others hold live on. */
START_TEST(test_free_keeps_held_objects)
{
    struct mv_registry *reg = reg_new();
    struct thing *a = add_done(reg, "a", 1);

    mv_obj_unref(&add_done(reg, "b", 2)->obj);
    atomic_store(&disposed, 0);
    mv_registry_free(reg);
    ck_assert_int_eq(atomic_load(&disposed), 1);        /* b */
    ck_assert_str_eq(a->name, "a");
    mv_obj_unref(&a->obj);
    ck_assert_int_eq(atomic_load(&disposed), 2);
}
END_TEST

static Suite *registry_suite(void)
{
    Suite *s = suite_create("common_registry");
    TCase *tc = tcase_create("registry");

    tcase_add_test(tc, test_embed_aliases_base);
    tcase_add_test(tc, test_add_find_remove);
    tcase_add_test(tc, test_add_returns_locked_with_job);
    tcase_add_test(tc, test_remove_fails_waiting_job);
    tcase_add_test(tc, test_list_filter_and_ids);
    tcase_add_test(tc, test_remove_drops_id);
    tcase_add_test(tc, test_free_keeps_held_objects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(registry_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
