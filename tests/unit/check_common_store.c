/* The driver core's persistence (common/store): paths from the daemon,
 * definitions, autostart links, status files, the once-per-boot marker and
 * the removal of temp files a killed write left behind. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "store.h"
#include "testutil.h"

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_common_store");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

/* A store under a fresh TMPDIR/TAG/{etc,run}. */
static struct mv_store *store_in(const char *tag)
{
    _cleanup_free_ char *conf = NULL, *run = NULL;
    struct mv_store *s = NULL;

    ck_assert_int_gt(asprintf(&conf, "%s/%s/etc", tmpdir, tag), 0);
    ck_assert_int_gt(asprintf(&run, "%s/%s/run", tmpdir, tag), 0);
    ck_assert_int_eq(mv_store_new(conf, run, "network", "network", &s), 0);
    return s;
}

static bool exists(const char *dir, const char *file)
{
    _cleanup_free_ char *p = mv_store_path(dir, file, "");

    return access(p, F_OK) == 0;
}

static void put(const char *dir, const char *file, const char *text)
{
    _cleanup_free_ char *p = mv_store_path(dir, file, "");

    ck_assert_int_eq(mv_file_write_atomic(p, text, strlen(text), 0600), 0);
}

START_TEST(test_layout_and_modes)
{
    _cleanup_(mv_store_freep) struct mv_store *s = store_in("layout");
    _cleanup_free_ char *want = NULL;
    struct stat st;

    ck_assert_int_gt(asprintf(&want, "%s/layout/etc/network", tmpdir), 0);
    ck_assert_str_eq(s->confdir, want);
    ck_assert_int_eq(mv_store_open(s, NULL), 0);
    ck_assert_int_eq(stat(s->autostartdir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(s->rundir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
}
END_TEST

struct seen {
    char names[8][32];
    int n;
};

static void collect(const char *name, const char *path, void *opaque)
{
    struct seen *s = opaque;

    ck_assert_int_lt(s->n, 8);
    ck_assert_ptr_nonnull(strstr(path, name));
    snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
}

START_TEST(test_config_autostart_status)
{
    _cleanup_(mv_store_freep) struct mv_store *s = store_in("config");
    _cleanup_free_ char *msg = NULL, *text = NULL, *path = NULL;
    struct seen seen = { 0 };

    ck_assert_int_eq(mv_store_open(s, NULL), 0);
    ck_assert_int_eq(mv_store_save_config(s, "n1", "<network/>", NULL), 0);
    path = mv_store_path(s->confdir, "n1", ".xml");
    ck_assert_int_eq(mv_file_read_all(path, 4096, &text, NULL), 0);
    ck_assert_str_eq(text, "<network/>");
    ck_assert(!mv_store_get_autostart(s, "n1"));
    ck_assert_int_eq(mv_store_set_autostart(s, "n1", true, NULL), 0);
    ck_assert_int_eq(mv_store_set_autostart(s, "n1", true, NULL), 0);     /* twice is fine */
    ck_assert(mv_store_get_autostart(s, "n1"));
    ck_assert_int_eq(mv_store_write_status(s, "n1", "<status/>", NULL), 0);
    ck_assert(exists(s->rundir, "n1.xml"));

    put(s->confdir, "other.txt", "x");          /* not a definition */
    ck_assert_int_eq(mv_store_each_config(s, collect, &seen), 0);
    ck_assert_int_eq(seen.n, 1);
    ck_assert_str_eq(seen.names[0], "n1");

    ck_assert_int_eq(mv_store_delete_config(s, "n1", NULL), 0);
    ck_assert(!exists(s->confdir, "n1.xml"));
    ck_assert(!mv_store_get_autostart(s, "n1"));
    ck_assert_int_eq(mv_store_delete_config(s, "n1", NULL), 0);   /* already gone */
    ck_assert_int_eq(mv_store_delete_status(s, "n1"), 0);
    ck_assert(!exists(s->rundir, "n1.xml"));

    /* a failure names the object and the file */
    ck_assert_int_eq(rmdir(s->autostartdir), 0);
    ck_assert_int_eq(chmod(s->confdir, 0500), 0);
    if (geteuid() != 0) {
        ck_assert_int_lt(mv_store_save_config(s, "n2", "<network/>", &msg), 0);
        ck_assert_ptr_nonnull(strstr(msg, "cannot save the definition of network 'n2' to '"));
    }
    ck_assert_int_eq(chmod(s->confdir, 0700), 0);
}
END_TEST

START_TEST(test_autostart_once_per_boot)
{
    _cleanup_(mv_store_freep) struct mv_store *s = store_in("boot");

    ck_assert_int_eq(mv_store_open(s, NULL), 0);
    ck_assert(mv_store_autostart_due(s));
    ck_assert(!mv_store_autostart_due(s));      /* the marker is in the run dir */
    ck_assert(exists(s->rundir, "autostarted"));
}
END_TEST

/* Defect 13: '.NAME.xml.XXXXXX' left by a write killed before its rename
 * is removed when the store opens; everything else stays. */
START_TEST(test_open_removes_stale_temps)
{
    _cleanup_(mv_store_freep) struct mv_store *s = store_in("stale");
    struct seen seen = { 0 };

    ck_assert_int_eq(mv_store_open(s, NULL), 0);
    put(s->confdir, "n1.xml", "<network/>");
    put(s->confdir, ".n1.xml.Ab3dEf", "<netw");
    put(s->confdir, ".n.xml.x.xml.Zz9Yy8", "<netw");     /* a name with ".xml." in it */
    put(s->rundir, ".n1.xml.q1W2e3", "<stat");
    put(s->confdir, ".hidden", "keep");
    put(s->confdir, "n.xml.x.xml", "<network/>");
    ck_assert_int_eq(mv_store_open(s, NULL), 0);
    ck_assert(!exists(s->confdir, ".n1.xml.Ab3dEf"));
    ck_assert(!exists(s->confdir, ".n.xml.x.xml.Zz9Yy8"));
    ck_assert(!exists(s->rundir, ".n1.xml.q1W2e3"));
    ck_assert(exists(s->confdir, ".hidden"));
    ck_assert(exists(s->confdir, "n1.xml"));
    ck_assert(exists(s->confdir, "n.xml.x.xml"));
    ck_assert_int_eq(mv_store_each_config(s, collect, &seen), 0);
    ck_assert_int_eq(seen.n, 2);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("common_store");
    TCase *tc = tcase_create("store");

    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, test_layout_and_modes);
    tcase_add_test(tc, test_config_autostart_status);
    tcase_add_test(tc, test_autostart_once_per_boot);
    tcase_add_test(tc, test_open_removes_stale_temps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
