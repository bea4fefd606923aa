/*
 * guest_identity.c against a real qemud.conf (written to a temp dir and
 * loaded as the daemon loads it) and the host's real passwd and group
 * databases: bad keys and their messages, the lowest free uid, reuse after
 * release, reserve conflicts, a used-up range, uids that belong to an
 * account skipped, the fixed user, root, and threads acquiring at once.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "error.h"
#include "guest_identity.h"
#include "testutil.h"

/* No account has these on a test host (checked by account_free()). */
#define FREE_BASE 2146000000u

static char dir[256];

static void setup(void)
{
    mv_test_mkdtemp(dir, sizeof(dir), "mv-guestid");
}

static void teardown(void)
{
    mv_test_rmtree(dir);
}

/* Writes TEXT as qemud.conf, loads it and configures from it. */
static int configure(const char *text, char **msg)
{
    char path[512];
    mv_conf *conf = NULL;
    FILE *f;
    int r;

    *msg = NULL;
    ck_assert_int_lt(snprintf(path, sizeof(path), "%s/qemud.conf", dir), (int)sizeof(path));
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(mv_conf_load_file(path, &conf, msg), 0);
    r = qemud_guest_ids_configure(conf, msg);
    mv_conf_free(conf);
    return r;
}

static void configure_ok(const char *text)
{
    char *msg = NULL;
    int r = configure(text, &msg);

    ck_assert_msg(r == 0, "'%s' refused: %s", text, msg ? msg : "?");
    free(msg);
}

static void account_free(uid_t id)
{
    ck_assert_msg(!getpwuid(id) && !getgrgid(id), "the test needs uid/gid %u unused", (unsigned)id);
}

static uid_t acquire(const char *name)
{
    struct qemud_guest_id id = { 0 };
    struct mv_err err = { 0 };
    int r = qemud_guest_id_acquire(name, &id, &err);

    ck_assert_msg(r == 0, "acquire for %s: %d %s", name, r, err.message ? err.message : "");
    ck_assert(id.set);
    ck_assert_uint_eq(id.gid, id.uid);
    return id.uid;
}

static void expect_busy(const char *message)
{
    struct qemud_guest_id id = { 0 };
    struct mv_err err = { 0 };

    ck_assert_int_eq(qemud_guest_id_acquire("vm-late", &id, &err), -EBUSY);
    ck_assert_int_eq(err.code, MV_ERR_RESOURCE_BUSY);
    ck_assert_str_eq(err.message, message);
    ck_assert(!id.set);
    mv_err_clear(&err);
}

static struct qemud_guest_id range_id(uid_t uid)
{
    return (struct qemud_guest_id){ .set = true, .uid = uid, .gid = uid };
}

START_TEST(test_default_range)
{
    char *msg = NULL;

    ck_assert_int_eq(qemud_guest_ids_configure(NULL, &msg), 0);
    ck_assert(qemud_guest_ids_isolated());
    account_free(2147000000u);
    ck_assert_uint_eq(acquire("vm-a"), 2147000000u);
    ck_assert_uint_eq(acquire("vm-b"), 2147000001u);
    configure_ok("# nothing set\n");
    ck_assert(qemud_guest_ids_isolated());
    ck_assert_uint_eq(acquire("vm-a"), 2147000000u);
}
END_TEST

static const struct {
    const char *text, *message;
} bad[] = {
    { "guest_uid_range = \"abc\"\n", "guest_uid_range 'abc': expected FIRST-LAST" },
    { "guest_uid_range = \"2000\"\n", "guest_uid_range '2000': expected FIRST-LAST" },
    { "guest_uid_range = \"2000-\"\n", "guest_uid_range '2000-': expected FIRST-LAST" },
    { "guest_uid_range = \"-2000\"\n", "guest_uid_range '-2000': expected FIRST-LAST" },
    { "guest_uid_range = \"2000-3000x\"\n", "guest_uid_range '2000-3000x': expected FIRST-LAST" },
    { "guest_uid_range = \"2000 - 3000\"\n", "guest_uid_range '2000 - 3000': expected FIRST-LAST" },
    { "guest_uid_range = \"99999999999999999999-1\"\n",
      "guest_uid_range '99999999999999999999-1': expected FIRST-LAST" },
    { "guest_uid_range = \"5000-4000\"\n", "guest_uid_range '5000-4000': FIRST is above LAST" },
    { "guest_uid_range = \"500-2000\"\n", "guest_uid_range '500-2000': overlaps the system uids 0-999" },
    { "guest_uid_range = \"0-0\"\n", "guest_uid_range '0-0': overlaps the system uids 0-999" },
    { "guest_uid_range = \"2147483000-2147483647\"\n",
      "guest_uid_range '2147483000-2147483647': goes above 2147483646 (2^31-2)" },
    { "guest_uid_range = \"4000000000-4000000001\"\n",
      "guest_uid_range '4000000000-4000000001': goes above 2147483646 (2^31-2)" },
    { "user = \"mv-no-such-user\"\n", "user 'mv-no-such-user': no such user" },
    { "user = \"+mv\"\n", "user '+mv': no such user" },
    { "user = \"nobody\"\ngroup = \"mv-no-such-group\"\n",
      "group 'mv-no-such-group': no such group" },
    { "user = \"nobody\"\ngroup = \"root\"\n",
      "group 'root': gid 0 would give QEMU the root group's files" },
    { "group = \"nogroup\"\n",
      "group 'nogroup': needs user (with guest_uid_range each guest's gid is its uid)" },
    { "user = \"nobody\"\nguest_uid_range = \"3000-4000\"\n",
      "guest_uid_range '3000-4000': cannot be combined with user (one fixed identity for every guest)" },
};

START_TEST(test_bad_keys)
{
    char *msg = NULL;

    configure_ok("guest_uid_range = \"2146000000-2146000009\"\n");
    ck_assert_int_eq(configure(bad[_i].text, &msg), -EINVAL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(msg, bad[_i].message);
    free(msg);
    /* a refused configuration leaves the one before in force */
    account_free(FREE_BASE);
    ck_assert_uint_eq(acquire("vm-a"), FREE_BASE);
}
END_TEST

START_TEST(test_wrong_type)
{
    char *msg = NULL;

    ck_assert_int_eq(configure("\nguest_uid_range = 5\n", &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "qemud.conf:2: guest_uid_range: expected a string"));
    free(msg);
    ck_assert_int_eq(configure("user = [ \"a\" ]\n", &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "qemud.conf:1: user: expected a string"));
    free(msg);
}
END_TEST

START_TEST(test_unique_and_reuse)
{
    struct qemud_guest_id id;

    for (unsigned i = 0; i < 4; i++)
        account_free(FREE_BASE + i);
    configure_ok("guest_uid_range = \"2146000000-2146000009\"\n");
    ck_assert_uint_eq(acquire("vm-a"), FREE_BASE);
    ck_assert_uint_eq(acquire("vm-b"), FREE_BASE + 1);
    ck_assert_uint_eq(acquire("vm-c"), FREE_BASE + 2);
    /* the lowest free one comes back first */
    id = range_id(FREE_BASE + 1);
    qemud_guest_id_release(&id);
    ck_assert_uint_eq(acquire("vm-d"), FREE_BASE + 1);
    ck_assert_uint_eq(acquire("vm-e"), FREE_BASE + 3);
    /* releasing what nobody holds, or an unset id, changes nothing */
    id = range_id(FREE_BASE + 7);
    qemud_guest_id_release(&id);
    id = (struct qemud_guest_id){ 0 };
    qemud_guest_id_release(&id);
    qemud_guest_id_release(NULL);
    ck_assert_uint_eq(acquire("vm-f"), FREE_BASE + 4);
}
END_TEST

START_TEST(test_reserve)
{
    struct qemud_guest_id id;

    for (unsigned i = 0; i < 4; i++)
        account_free(FREE_BASE + i);
    configure_ok("guest_uid_range = \"2146000000-2146000009\"\n");
    ck_assert_uint_eq(acquire("vm-a"), FREE_BASE);
    id = range_id(FREE_BASE);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-b", &id), -EEXIST);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-a", &id), 0);    /* its own: fine */
    /* a re-attached guest's uid is skipped by later starts */
    id = range_id(FREE_BASE + 1);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-c", &id), 0);
    ck_assert_uint_eq(acquire("vm-d"), FREE_BASE + 2);
    /* one from an older range is held too: no second guest gets it */
    id = range_id(3000);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-old", &id), 0);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-other", &id), -EEXIST);
    qemud_guest_id_release(&id);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-other", &id), 0);
    /* an unset id (a guest that ran as root) holds nothing */
    id = (struct qemud_guest_id){ 0 };
    ck_assert_int_eq(qemud_guest_id_reserve("vm-root", &id), 0);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-root2", &id), 0);
}
END_TEST

START_TEST(test_exhausted)
{
    struct qemud_guest_id id;

    for (unsigned i = 0; i < 3; i++)
        account_free(FREE_BASE + i);
    configure_ok("guest_uid_range = \"2146000000-2146000002\"\n");
    acquire("vm-a");
    acquire("vm-b");
    acquire("vm-c");
    expect_busy("no free guest uid in guest_uid_range 2146000000-2146000002 (3 domains running)");
    id = range_id(FREE_BASE + 2);
    qemud_guest_id_release(&id);
    ck_assert_uint_eq(acquire("vm-d"), FREE_BASE + 2);
    expect_busy("no free guest uid in guest_uid_range 2146000000-2146000002 (3 domains running)");
}
END_TEST

/* nobody's uid sits in the middle of the range: it belongs to someone */
START_TEST(test_skips_accounts)
{
    struct passwd *pw = getpwnam("nobody");
    char text[128], busy[160];
    uid_t n;

    ck_assert_ptr_nonnull(pw);
    n = pw->pw_uid;
    account_free(n - 1);
    account_free(n + 1);
    snprintf(text, sizeof(text), "guest_uid_range = \"%u-%u\"\n", (unsigned)n - 1, (unsigned)n + 1);
    configure_ok(text);
    ck_assert_uint_eq(acquire("vm-a"), n - 1);
    ck_assert_uint_eq(acquire("vm-b"), n + 1);
    snprintf(busy, sizeof(busy), "no free guest uid in guest_uid_range %u-%u (2 domains running)",
             (unsigned)n - 1, (unsigned)n + 1);
    expect_busy(busy);
}
END_TEST

/* A group only this test sees (getgrgid_r is wrapped): no host has a
 * group above 999 without a user of the same number to rely on. */
#define GROUP_ONLY_BASE 2146500000u
#define GROUP_ONLY_GID (GROUP_ONLY_BASE + 1)

int __real_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res);
int __wrap_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res);
int __wrap_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res)
{
    static char name[] = "mv-guests-test", *members[] = { NULL };

    if (gid != GROUP_ONLY_GID)
        return __real_getgrgid_r(gid, gr, buf, size, res);
    *gr = (struct group){ .gr_name = name, .gr_passwd = name, .gr_gid = gid, .gr_mem = members };
    *res = gr;
    return 0;
}

/* a number that is only a group's gid is skipped as well: a guest with
 * that gid would reach the group's files */
START_TEST(test_skips_groups)
{
    account_free(GROUP_ONLY_BASE);
    account_free(GROUP_ONLY_BASE + 2);
    configure_ok("guest_uid_range = \"2146500000-2146500002\"\n");
    ck_assert_uint_eq(acquire("vm-a"), GROUP_ONLY_BASE);
    ck_assert_uint_eq(acquire("vm-b"), GROUP_ONLY_BASE + 2);
    expect_busy("no free guest uid in guest_uid_range 2146500000-2146500002 (2 domains running)");
}
END_TEST

static void expect_fixed(uid_t uid, gid_t gid)
{
    struct qemud_guest_id id = { 0 }, other;
    struct mv_err err = { 0 };

    ck_assert(qemud_guest_ids_isolated());
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(qemud_guest_id_acquire(i ? "vm-b" : "vm-a", &id, &err), 0);
        ck_assert(id.set);
        ck_assert_uint_eq(id.uid, uid);
        ck_assert_uint_eq(id.gid, gid);
    }
    ck_assert_int_eq(qemud_guest_id_reserve("vm-c", &id), 0);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-d", &id), 0);
    qemud_guest_id_release(&id);
    ck_assert_int_eq(qemud_guest_id_acquire("vm-e", &other, &err), 0);
    ck_assert_uint_eq(other.uid, uid);
}

START_TEST(test_fixed_user)
{
    struct passwd *pw = getpwnam("nobody");
    struct group *gr = getgrnam("nogroup");

    ck_assert_ptr_nonnull(pw);
    configure_ok("user = \"nobody\"\n");
    expect_fixed(pw->pw_uid, pw->pw_gid);
    configure_ok("user = \"+65534\"\n");
    expect_fixed(65534, getpwuid(65534) ? getpwuid(65534)->pw_gid : 65534);
    configure_ok("user = \"2146000123\"\n");     /* no account: its gid is its uid */
    expect_fixed(2146000123u, 2146000123u);
    if (gr) {
        configure_ok("user = \"nobody\"\ngroup = \"nogroup\"\n");
        expect_fixed(pw->pw_uid, gr->gr_gid);
    }
    configure_ok("user = \"nobody\"\ngroup = \"+4321\"\n");
    expect_fixed(pw->pw_uid, 4321);
}
END_TEST

START_TEST(test_root)
{
    struct qemud_guest_id id = { .set = true, .uid = 7, .gid = 7 };
    struct mv_err err = { 0 };
    gid_t groups[4];

    /* group and range mean nothing once QEMU stays root */
    configure_ok("user = \"root\"\ngroup = \"root\"\nguest_uid_range = \"3000-4000\"\n");
    ck_assert(!qemud_guest_ids_isolated());
    ck_assert_int_eq(qemud_guest_id_acquire("vm-a", &id, &err), 0);
    ck_assert(!id.set);
    ck_assert_int_eq(qemud_guest_id_reserve("vm-a", &id), 0);
    qemud_guest_id_release(&id);
    ck_assert_uint_eq(qemud_guest_id_groups(true, groups, 4), 0);
    configure_ok("user = \"0\"\n");
    ck_assert(!qemud_guest_ids_isolated());
    configure_ok("user = \"nobody\"\n");
    ck_assert(qemud_guest_ids_isolated());
}
END_TEST

START_TEST(test_groups)
{
    struct group *kvm = getgrnam("kvm");
    gid_t groups[4] = { 0 };

    configure_ok("");
    ck_assert_uint_eq(qemud_guest_id_groups(false, groups, 4), 0);
    ck_assert_uint_eq(qemud_guest_id_groups(true, groups, 0), 0);
    if (kvm) {
        ck_assert_uint_eq(qemud_guest_id_groups(true, groups, 4), 1);
        ck_assert_uint_eq(groups[0], kvm->gr_gid);
    } else {
        ck_assert_uint_eq(qemud_guest_id_groups(true, groups, 4), 0);
    }
}
END_TEST

#define THREADS 8
#define PER_THREAD 32

struct worker {
    pthread_barrier_t *start;
    int index;
    uid_t got[PER_THREAD];
    int failed;
};

static void *worker_run(void *opaque)
{
    struct worker *w = opaque;
    char name[32];

    pthread_barrier_wait(w->start);
    for (int i = 0; i < PER_THREAD; i++) {
        struct qemud_guest_id id = { 0 };
        struct mv_err err = { 0 };

        snprintf(name, sizeof(name), "vm-%d-%d", w->index, i);
        if (qemud_guest_id_acquire(name, &id, &err) < 0 || !id.set) {
            w->failed++;
            mv_err_clear(&err);
            continue;
        }
        w->got[i] = id.uid;
    }
    return NULL;
}

static int uid_cmp(const void *a, const void *b)
{
    uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

    return x < y ? -1 : x > y;
}

START_TEST(test_threads)
{
    struct worker w[THREADS] = { 0 };
    pthread_t t[THREADS];
    pthread_barrier_t start;
    uid_t all[THREADS * PER_THREAD];
    char text[128], busy[160];
    const unsigned n = THREADS * PER_THREAD;

    for (unsigned i = 0; i < n; i++)
        account_free(FREE_BASE + i);
    snprintf(text, sizeof(text), "guest_uid_range = \"%u-%u\"\n", FREE_BASE, FREE_BASE + n - 1);
    configure_ok(text);
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i].start = &start;
        w[i].index = i;
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].failed, 0);
        memcpy(all + i * PER_THREAD, w[i].got, sizeof(w[i].got));
    }
    pthread_barrier_destroy(&start);
    /* every uid of the range exactly once */
    qsort(all, n, sizeof(all[0]), uid_cmp);
    for (unsigned i = 0; i < n; i++)
        ck_assert_uint_eq(all[i], FREE_BASE + i);
    snprintf(busy, sizeof(busy), "no free guest uid in guest_uid_range %u-%u (%u domains running)",
             FREE_BASE, FREE_BASE + n - 1, n);
    expect_busy(busy);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_guest_identity");
    TCase *tc = tcase_create("ids");
    SRunner *sr;
    int n;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_default_range);
    tcase_add_loop_test(tc, test_bad_keys, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, test_wrong_type);
    tcase_add_test(tc, test_unique_and_reuse);
    tcase_add_test(tc, test_reserve);
    tcase_add_test(tc, test_exhausted);
    tcase_add_test(tc, test_skips_accounts);
    tcase_add_test(tc, test_skips_groups);
    tcase_add_test(tc, test_fixed_user);
    tcase_add_test(tc, test_root);
    tcase_add_test(tc, test_groups);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
