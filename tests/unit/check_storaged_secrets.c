/* Secrets on disk and in the registry (storaged/secret_store.c,
 * secret_obj.c): what a restarted storaged finds again, with which file
 * modes, and what it skips. */
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
#include "paths.h"
#include "registry.h"
#include "secret_obj.h"
#include "secret_store.h"
#include "testutil.h"

#define UUID_A "0c7f1b0e-4a53-4c8e-9b1d-3f2a6e5d7c01"
#define UUID_B "0c7f1b0e-4a53-4c8e-9b1d-3f2a6e5d7c02"

static char tmpdir[256];
static struct mv_paths paths;

static void setup(void)
{
    _cleanup_free_ char *root = NULL;
    char *msg = NULL;

    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_storaged_secrets");
    ck_assert_int_ge(asprintf(&root, "%s/root", tmpdir), 0);
    ck_assert_int_eq(mv_paths_init(&paths, root), 0);
    ck_assert_msg(storaged_secrets_init(&paths, &msg) == 0, "init: %s", msg ? msg : "?");
}

static void teardown(void)
{
    storaged_secrets_cleanup();
    mv_paths_clear(&paths);
    mv_test_rmtree(tmpdir);
}

/* What a restarted storaged finds. */
static void restart(void)
{
    char *msg = NULL;

    storaged_secrets_cleanup();
    ck_assert_msg(storaged_secrets_init(&paths, &msg) == 0, "init: %s", msg ? msg : "?");
}

static struct mv_secret_def *parse(const char *xml)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_secret_def *def = NULL;

    ck_assert_msg(mv_secret_def_parse(xml, &def, &msg) == 0, "%s: %s", xml, msg ? msg : "?");
    return def;
}

static char *path_of(const char *dir, const char *uuid, const char *suffix)
{
    char *p = NULL;

    ck_assert_int_ge(asprintf(&p, "%s/%s/%s%s", dir, "secrets", uuid, suffix), 0);
    return p;
}

/* A persistent secret and its value are there again after a restart; the
 * value file is 0600 in a 0700 directory, the definition holds no value. */
START_TEST(test_persistent_kept)
{
    struct mv_secret_def *def = parse("<secret ephemeral='no' private='yes'><uuid>" UUID_A "</uuid>"
                                      "<usage type='volume'><volume>/var/lib/a.img</volume></usage></secret>");
    _cleanup_free_ char *vpath = path_of(paths.statedir, UUID_A, ".value");
    _cleanup_free_ char *dpath = path_of(paths.confdir, UUID_A, ".xml");
    _cleanup_free_ char *xml = NULL, *vdir = NULL;
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;
    const unsigned char value[] = "s3cr3t-\0-value";
    struct stat st;
    char *msg = NULL;

    pthread_mutex_lock(&storaged_secrets.change_lock);
    ck_assert_int_eq(storaged_secret_store_save_def(def, &msg), 0);
    ck_assert_int_eq(storaged_secret_store_save_value(def->uuid, value, sizeof(value), &msg), 0);
    ck_assert_int_eq(storaged_secret_add(def, value, sizeof(value)), 0);
    pthread_mutex_unlock(&storaged_secrets.change_lock);

    ck_assert_int_eq(stat(vpath, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, (off_t)sizeof(value));
    ck_assert_int_ge(asprintf(&vdir, "%s/secrets", paths.statedir), 0);
    ck_assert_int_eq(stat(vdir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(mv_file_read_all(dpath, 65536, &xml, NULL), 0);
    ck_assert_ptr_null(strstr(xml, "s3cr3t"));

    restart();
    ck_assert_ptr_nonnull(sec = storaged_secret_find_usage(MV_SECRET_USAGE_VOLUME, "/var/lib/a.img"));
    ck_assert_str_eq(sec->uuid_str, UUID_A);
    ck_assert(sec->def->private_);
    ck_assert_uint_eq(sec->value_len, sizeof(value));
    ck_assert_mem_eq(sec->value, value, sizeof(value));
}
END_TEST

/* An ephemeral secret never was on disk: gone after a restart; a usage
 * lookup of another type or id finds nothing. */
START_TEST(test_ephemeral_dropped)
{
    struct mv_secret_def *def = parse("<secret ephemeral='yes' private='no'><uuid>" UUID_B "</uuid>"
                                      "<usage type='ceph'><name>client.admin</name></usage></secret>");
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;
    unsigned char uuid[MV_UUID_LEN];

    memcpy(uuid, def->uuid, MV_UUID_LEN);
    pthread_mutex_lock(&storaged_secrets.change_lock);
    ck_assert_int_eq(storaged_secret_add(def, (const unsigned char *)"x", 1), 0);
    pthread_mutex_unlock(&storaged_secrets.change_lock);
    ck_assert_ptr_nonnull(sec = storaged_secret_find_uuid(uuid));
    ck_assert_ptr_null(storaged_secret_find_usage(MV_SECRET_USAGE_VOLUME, "client.admin"));
    ck_assert_ptr_null(storaged_secret_find_usage(MV_SECRET_USAGE_CEPH, "client.other"));
    storaged_secret_unref(sec);
    sec = NULL;
    restart();
    ck_assert_ptr_null(storaged_secret_find_uuid(uuid));
}
END_TEST

/* Deleting removes both files; a killed write's temp file and a definition
 * under a name that is not its UUID are not loaded. */
START_TEST(test_delete_and_leftovers)
{
    struct mv_secret_def *def = parse("<secret><uuid>" UUID_A "</uuid></secret>");
    _cleanup_free_ char *vpath = path_of(paths.statedir, UUID_A, ".value");
    _cleanup_free_ char *dpath = path_of(paths.confdir, UUID_A, ".xml");
    _cleanup_free_ char *wrong = path_of(paths.confdir, UUID_B, ".xml");
    _cleanup_free_ char *temp = path_of(paths.statedir, "." UUID_A, ".value.AbC123");
    char *msg = NULL;

    ck_assert_int_eq(storaged_secret_store_save_def(def, &msg), 0);
    ck_assert_int_eq(storaged_secret_store_save_value(def->uuid, (const unsigned char *)"v", 1, &msg), 0);
    ck_assert_int_eq(storaged_secret_store_delete(def->uuid, &msg), 0);
    ck_assert_int_ne(access(vpath, F_OK), 0);
    ck_assert_int_ne(access(dpath, F_OK), 0);
    /* gone already is fine */
    ck_assert_int_eq(storaged_secret_store_delete(def->uuid, &msg), 0);

    static const char elsewhere[] = "<secret><uuid>" UUID_A "</uuid></secret>";

    ck_assert_int_eq(mv_file_write_atomic(wrong, elsewhere, strlen(elsewhere), 0600), 0);
    ck_assert_int_eq(mv_file_write_atomic(temp, "half", 4, 0600), 0);
    restart();
    ck_assert_uint_eq(mv_registry_count(storaged_secrets.registry), 0);
    ck_assert_int_ne(access(temp, F_OK), 0);
    mv_secret_def_free(def);
}
END_TEST

static Suite *secrets_suite(void)
{
    Suite *s = suite_create("storaged_secrets");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_persistent_kept);
    tcase_add_test(tc, test_ephemeral_dropped);
    tcase_add_test(tc, test_delete_and_leftovers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(secrets_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
