/*
 * Storage XML parsers and formatters against the golden files in
 * tests/storagexml: pool-NAME.xml, vol-NAME.xml and secret-NAME.xml must
 * format to NAME.out.xml, and that output must come back unchanged through
 * another parse; NAME-invalid.xml must be refused with exactly the message
 * in NAME-invalid.err.  MV_REGENERATE=1 rewrites the expected files.
 * Schema validation of the outputs is tests/unit/storagexml-validate.sh.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "golden.h"
#include "pool_def.h"
#include "schema.h"
#include "secret_def.h"
#include "vol_def.h"

#define FIXTURES "storagexml"
/* the pool every test volume belongs to, as the driver passes it */
#define POOL "p1"

static char **golden_names;
static size_t ngolden;
static char **invalid_names;
static size_t ninvalid;

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- one parse + format per kind; -EINVAL with *MSG on refusal ---- */

/* what a running pool reports, so that the sizes' formatting shows */
static const struct mv_pool_sizes pool_sizes = { 10737418240ULL, 1073741824ULL, 9663676416ULL };

static int pool_roundtrip(const char *text, char **out, char **msg)
{
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    int r = mv_pool_def_parse(text, &def, msg);

    if (r == 0)
        *out = mv_pool_def_format(def, &pool_sizes);
    return r;
}

/* vol-dumpxml of a volume whose file says what its definition asked */
static int vol_roundtrip(const char *text, char **out, char **msg)
{
    _cleanup_vol_def_ struct mv_vol_def *def = NULL;
    _cleanup_free_ char *path = NULL;
    int r = mv_vol_def_parse(text, POOL, &def, msg);
    struct mv_vol_live live;

    if (r < 0)
        return r;
    ck_assert(asprintf(&path, "/srv/" POOL "/%s", def->name) > 0);
    live = (struct mv_vol_live){ .key = path, .path = path, .capacity = def->capacity,
                                 .allocation = def->allocation, .physical = def->allocation };
    *out = mv_vol_def_format(def, &live);
    return 0;
}

static int secret_roundtrip(const char *text, char **out, char **msg)
{
    _cleanup_secret_def_ struct mv_secret_def *def = NULL;
    int r = mv_secret_def_parse(text, &def, msg);

    if (r == 0)
        *out = mv_secret_def_format(def);
    return r;
}

static int roundtrip_any(const char *name, const char *text, char **out, char **msg)
{
    *out = NULL;
    *msg = NULL;
    if (has_prefix(name, "pool-"))
        return pool_roundtrip(text, out, msg);
    if (has_prefix(name, "vol-"))
        return vol_roundtrip(text, out, msg);
    ck_assert_msg(has_prefix(name, "secret-"), "%s: fixture names start with pool-, vol- or secret-", name);
    return secret_roundtrip(text, out, msg);
}

static char *roundtrip(const char *name, const char *text)
{
    _cleanup_free_ char *msg = NULL;
    char *out = NULL;
    int r = roundtrip_any(name, text, &out, &msg);

    ck_assert_msg(r == 0, "%s: parse failed (%d): %s", name, r, msg ? msg : "(no message)");
    ck_assert_msg(out != NULL, "%s: format failed", name);
    return out;
}

START_TEST(test_golden)
{
    mv_test_golden_roundtrip(FIXTURES, golden_names[_i], roundtrip);
}
END_TEST

START_TEST(test_invalid)
{
    const char *name = invalid_names[_i];
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *out = NULL;
    _cleanup_free_ char *line = NULL;
    int r = roundtrip_any(name, input, &out, &msg);

    ck_assert_msg(r == -EINVAL, "%s: parse returned %d, not -EINVAL", name, r);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(has_prefix(msg, "unsupported configuration: ") || has_prefix(msg, "XML error"),
                  "%s: message without a libvirt prefix: %s", name, msg);
    ck_assert(asprintf(&line, "%s\n", msg) > 0);
    mv_test_golden(FIXTURES, name, ".err", line);
}
END_TEST

/* ---- behaviour the golden files cannot show ---- */

START_TEST(test_pool_values)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "pool-logical-default-vg", ".xml");
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    _cleanup_pool_def_ struct mv_pool_def *fresh = NULL;
    _cleanup_pool_def_ struct mv_pool_def *other = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    ck_assert_int_eq(mv_pool_def_parse(input, &def, &msg), 0);
    /* libvirt's defaults: the group is the pool's name, the target /dev/VG */
    ck_assert_int_eq(def->type, MV_POOL_LOGICAL);
    ck_assert_str_eq(def->src_name, "vg0");
    ck_assert_str_eq(def->target_path, "/dev/vg0");
    ck_assert_str_eq(def->format, "lvm2");
    ck_assert_int_eq(def->perms.mode, -1);
    ck_assert_int_eq(def->perms.owner, -1);
    /* a missing uuid is generated, a new one each time */
    static const char bare[] = "<pool type='dir'><name>d</name><target><path>/d</path></target></pool>";
    ck_assert_int_eq(mv_pool_def_parse(bare, &fresh, &msg), 0);
    ck_assert_int_eq(mv_pool_def_parse(bare, &other, &msg), 0);
    ck_assert(!mv_uuid_is_null(fresh->uuid));
    ck_assert_mem_ne(fresh->uuid, other->uuid, MV_UUID_LEN);
    /* inactive: zero sizes */
    a = mv_pool_def_format(fresh, NULL);
    ck_assert_ptr_nonnull(strstr(a, "<available unit=\"bytes\">0</available>"));
    free(a);
    /* a copy formats the same and owns its strings */
    _cleanup_pool_def_ struct mv_pool_def *copy = mv_pool_def_copy(def);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy->src_name, def->src_name);
    a = mv_pool_def_format(def, &pool_sizes);
    mv_pool_def_free(TAKE_PTR(def));
    b = mv_pool_def_format(copy, &pool_sizes);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_pool_copy_devices)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "pool-logical", ".xml");
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    _cleanup_pool_def_ struct mv_pool_def *copy = NULL;
    _cleanup_free_ char *msg = NULL;

    ck_assert_int_eq(mv_pool_def_parse(input, &def, &msg), 0);
    ck_assert_uint_eq(def->ndevices, 2);
    copy = mv_pool_def_copy(def);
    ck_assert_uint_eq(copy->ndevices, 2);
    ck_assert_ptr_ne(copy->devices, def->devices);
    ck_assert_str_eq(copy->devices[1], "/dev/sdc1");
    ck_assert_int_eq(mv_pool_type_from_string("rbd"), -1);
    ck_assert_str_eq(mv_pool_type_to_string(MV_POOL_NETFS), "netfs");
    ck_assert_ptr_null(mv_pool_type_to_string(MV_POOL_TYPE_LAST));
}
END_TEST

START_TEST(test_vol_values)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "vol-qcow2", ".xml");
    _cleanup_free_ char *luks = mv_test_golden_read(FIXTURES, "vol-luks", ".xml");
    _cleanup_vol_def_ struct mv_vol_def *def = NULL;
    _cleanup_vol_def_ struct mv_vol_def *enc = NULL;
    _cleanup_vol_def_ struct mv_vol_def *copy = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;
    char uuid[MV_UUID_STRING_LEN];

    ck_assert_int_eq(mv_vol_def_parse(input, POOL, &def, &msg), 0);
    ck_assert_uint_eq(def->capacity, 20ULL << 30);
    ck_assert(def->has_allocation);
    ck_assert_uint_eq(def->allocation, 0);
    ck_assert_uint_eq(def->cluster_size, 65536);
    ck_assert(def->lazy_refcounts);
    ck_assert_str_eq(def->compat, "1.1");
    ck_assert_int_eq(mv_vol_def_parse(luks, POOL, &enc, &msg), 0);
    ck_assert(enc->encrypted);
    mv_uuid_format(enc->secret_uuid, uuid);
    ck_assert_str_eq(uuid, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f");
    ck_assert(!enc->has_allocation);
    /* without the file: the definition's own sizes, no key, path or physical */
    a = mv_vol_def_format(enc, NULL);
    ck_assert_ptr_null(strstr(a, "<key>"));
    ck_assert_ptr_null(strstr(a, "<allocation"));
    ck_assert_ptr_nonnull(strstr(a, "<capacity unit=\"bytes\">2147483648</capacity>"));
    free(TAKE_PTR(a));
    copy = mv_vol_def_copy(def);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy->compat, def->compat);
    a = mv_vol_def_format(def, NULL);
    mv_vol_def_free(TAKE_PTR(def));
    b = mv_vol_def_format(copy, NULL);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_vol_no_capacity)
{
    static const char xml[] = "<volume><name>clone.img</name><target><format type='qcow2'/></target></volume>";
    _cleanup_vol_def_ struct mv_vol_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_vol_def *untouched = (struct mv_vol_def *)0x1;

    /* vol-create needs a size; vol-create-from takes the source's */
    ck_assert_int_eq(mv_vol_def_parse(xml, POOL, &untouched, &msg), -EINVAL);
    ck_assert_ptr_eq(untouched, (struct mv_vol_def *)0x1);
    ck_assert_str_eq(msg, "XML error: missing <capacity> (the volume's size) in storage pool 'p1' volume "
                     "'clone.img'");
    free(TAKE_PTR(msg));
    ck_assert_int_eq(mv_vol_def_parse_flags(xml, POOL, MV_VOL_PARSE_NO_CAPACITY, &def, &msg), 0);
    ck_assert_uint_eq(def->capacity, 0);
    /* without a pool, messages say "storage volume" */
    ck_assert_int_eq(mv_vol_def_parse("<volume><name>a/b</name></volume>", NULL, &untouched, &msg), -EINVAL);
    ck_assert_str_eq(msg, "XML error: invalid volume name 'a/b': names must not contain '/'");
}
END_TEST

/* a volume name is a file name: NAME_MAX bytes fit, one more does not */
START_TEST(test_vol_name_limit)
{
    char name[300];
    char xml[400];
    _cleanup_vol_def_ struct mv_vol_def *def = NULL;
    _cleanup_free_ char *msg = NULL;

    memset(name, 'a', 255);
    name[255] = '\0';
    snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity>1</capacity></volume>", name);
    ck_assert_msg(mv_vol_def_parse(xml, POOL, &def, &msg) == 0, "%s", msg);
    ck_assert_uint_eq(strlen(def->name), 255);
    strcpy(name + 255, "b");
    snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity>1</capacity></volume>", name);
    ck_assert_int_eq(mv_vol_def_parse(xml, POOL, &def, &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "names must be at most 255 bytes long"));
}
END_TEST

START_TEST(test_secret_values)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "secret-volume", ".xml");
    _cleanup_secret_def_ struct mv_secret_def *def = NULL;
    _cleanup_secret_def_ struct mv_secret_def *bare = NULL;
    _cleanup_secret_def_ struct mv_secret_def *copy = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    ck_assert_int_eq(mv_secret_def_parse(input, &def, &msg), 0);
    ck_assert(def->private_);
    ck_assert(!def->ephemeral);
    ck_assert_int_eq(def->usage, MV_SECRET_USAGE_VOLUME);
    ck_assert_str_eq(def->usage_id, "/var/lib/modvirt/images/guest.luks");
    ck_assert_int_eq(mv_secret_def_parse("<secret/>", &bare, &msg), 0);
    ck_assert(!mv_uuid_is_null(bare->uuid));
    ck_assert_int_eq(bare->usage, MV_SECRET_USAGE_NONE);
    ck_assert_ptr_null(bare->usage_id);
    ck_assert_int_eq(mv_secret_usage_from_string("vtpm"), MV_SECRET_USAGE_VTPM);
    copy = mv_secret_def_copy(def);
    ck_assert_ptr_ne(copy->usage_id, def->usage_id);
    a = mv_secret_def_format(def);
    mv_secret_def_free(TAKE_PTR(def));
    b = mv_secret_def_format(copy);
    ck_assert_str_eq(a, b);
}
END_TEST

/* Values the golden files do not combine, each formatted and checked against
 * libvirt's schema here; storagexml-validate.sh covers the golden outputs. */
START_TEST(test_schema_values)
{
    xmlRelaxNGPtr pool_rng = mv_test_schema_load("storagepool");
    xmlRelaxNGPtr vol_rng = mv_test_schema_load("storagevol");
    _cleanup_pool_def_ struct mv_pool_def *pool = NULL;
    _cleanup_vol_def_ struct mv_vol_def *vol = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    if (!pool_rng || !vol_rng)
        goto out;
    /* an inactive pool; a volume without its file */
    ck_assert_int_eq(mv_pool_def_parse("<pool type='fs'><name>f</name><source><device path='/dev/vdb'/></source>"
                                       "<target><path>/mnt/f</path></target></pool>", &pool, &msg), 0);
    a = mv_pool_def_format(pool, NULL);
    ck_assert_msg(mv_test_schema_valid(pool_rng, a), "not valid:\n%s", a);
    ck_assert_int_eq(mv_vol_def_parse("<volume><name>v</name><capacity>1</capacity><allocation>1</allocation>"
                                      "</volume>", POOL, &vol, &msg), 0);
    b = mv_vol_def_format(vol, NULL);
    ck_assert_msg(mv_test_schema_valid(vol_rng, b), "not valid:\n%s", b);
out:
    if (pool_rng)
        xmlRelaxNGFree(pool_rng);
    if (vol_rng)
        xmlRelaxNGFree(vol_rng);
}
END_TEST

START_TEST(test_errors_out_params)
{
    struct mv_pool_def *def = (struct mv_pool_def *)0x1;
    char *msg = NULL;

    ck_assert_int_eq(mv_pool_def_parse("<pool", &def, &msg), -EINVAL);
    ck_assert_ptr_eq(def, (struct mv_pool_def *)0x1);
    ck_assert_ptr_nonnull(strstr(msg, "XML error"));
    free(msg);
    ck_assert_int_eq(mv_pool_def_parse("<pool type='dir'><name>x</name><target><path>/x</path></target>"
                                       "<target><path>/y</path></target></pool>", &def, &msg), -EINVAL);
    ck_assert_ptr_eq(def, (struct mv_pool_def *)0x1);
    free(msg);
}
END_TEST

static Suite *storagexml_suite(void)
{
    Suite *s = suite_create("storaged_xml");
    TCase *tc = tcase_create("golden");

    tcase_add_loop_test(tc, test_golden, 0, (int)ngolden);
    tcase_add_loop_test(tc, test_invalid, 0, (int)ninvalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_test(tc, test_pool_values);
    tcase_add_test(tc, test_pool_copy_devices);
    tcase_add_test(tc, test_vol_values);
    tcase_add_test(tc, test_vol_no_capacity);
    tcase_add_test(tc, test_vol_name_limit);
    tcase_add_test(tc, test_secret_values);
    tcase_add_test(tc, test_schema_values);
    tcase_add_test(tc, test_errors_out_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    /* a lost fixture directory must not pass as "nothing to test" */
    ngolden = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_VALID, 20, &golden_names);
    ninvalid = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_INVALID, 25, &invalid_names);
    sr = srunner_create(storagexml_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(golden_names);
    mv_test_golden_inputs_free(invalid_names);
    return n ? 1 : 0;
}
