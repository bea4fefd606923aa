/*
 * The domain snapshot XML parser and formatter (qemud/snapshot_def.c)
 * against the golden files in tests/snapshotxml: NAME.xml (parsed as a
 * REDEFINE, or as a stored file for NAME ending in "-stored") formats to
 * NAME.out.xml, which parses back to itself and is valid against libvirt's
 * domainsnapshot.rng; NAME-invalid.xml is refused with exactly the message
 * in NAME-invalid.err.  MV_REGENERATE=1 rewrites the expected files.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "golden.h"
#include "schema.h"
#include "snapshot_def.h"
#include "testutil.h"

#define FIXTURES "snapshotxml"

static char **golden_names;
static size_t ngolden;
static char **invalid_names;
static size_t ninvalid;

static unsigned int flags_of(const char *name)
{
    size_t len = strlen(name);

    return len > 7 && strcmp(name + len - 7, "-stored") == 0 ? QEMUD_SNAP_PARSE_STORED : QEMUD_SNAP_PARSE_REDEFINE;
}

static struct qemud_snap_def *parse_ok(const char *what, const char *xml, unsigned int flags)
{
    struct qemud_snap_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = 0;
    int r = qemud_snap_def_parse(xml, flags, &def, &code, &msg);

    ck_assert_msg(r == 0, "%s: parse failed (%d, code %d): %s", what, r, code, msg ? msg : "(no message)");
    return def;
}

static char *roundtrip(const char *name, const char *text)
{
    _cleanup_snap_def_ struct qemud_snap_def *def = parse_ok(name, text, flags_of(name));
    unsigned int fmt = flags_of(name) == QEMUD_SNAP_PARSE_STORED ? QEMUD_SNAP_FORMAT_STORED : 0;
    char *out = NULL;

    ck_assert_int_eq(qemud_snap_def_format(def, fmt, &out), 0);
    return out;
}

START_TEST(test_golden)
{
    mv_test_golden_roundtrip(FIXTURES, golden_names[_i], roundtrip);
}
END_TEST

/* what modvirt writes, libvirt's schema accepts */
START_TEST(test_schema)
{
    xmlRelaxNGPtr schema = mv_test_schema_load("domainsnapshot");
    _cleanup_free_ char *out = NULL;

    if (!schema)
        return;
    out = mv_test_golden_read(FIXTURES, golden_names[_i], ".out.xml");
    ck_assert_msg(mv_test_schema_valid(schema, out), "%s.out.xml is not valid against domainsnapshot.rng",
                  golden_names[_i]);
    xmlRelaxNGFree(schema);
}
END_TEST

START_TEST(test_invalid)
{
    const char *name = invalid_names[_i];
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *line = NULL;
    struct qemud_snap_def *def = (struct qemud_snap_def *)0x1;
    int code = 0;
    int r = qemud_snap_def_parse(input, QEMUD_SNAP_PARSE_REDEFINE, &def, &code, &msg);

    ck_assert_msg(r == -EINVAL, "%s: parse returned %d, not -EINVAL", name, r);
    ck_assert_ptr_eq(def, (struct qemud_snap_def *)0x1);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(code == MV_ERR_XML_DETAIL || code == MV_ERR_XML_ERROR || code == MV_ERR_CONFIG_UNSUPPORTED,
                  "%s: code %d", name, code);
    ck_assert(asprintf(&line, "%s\n", msg) > 0);
    mv_test_golden(FIXTURES, name, ".err", line);
}
END_TEST

/* ---- what the golden files cannot show ---- */

/* virsh snapshot-create-as sends a create, not a redefine: no name needed,
 * and the elements that describe an existing snapshot are refused by name. */
START_TEST(test_create_form)
{
    _cleanup_snap_def_ struct qemud_snap_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = 0;

    def = parse_ok("create", "<domainsnapshot><description>d</description>"
                   "<disks><disk name='vda' snapshot='external'><source file='/i/o.qcow2'/></disk></disks>"
                   "</domainsnapshot>", 0);
    ck_assert_ptr_null(def->name);
    ck_assert_uint_eq(def->ndisks, 1);
    ck_assert_int_eq(def->disks[0].kind, QEMUD_SNAP_KIND_EXTERNAL);
    ck_assert_str_eq(def->disks[0].file, "/i/o.qcow2");
    ck_assert(qemud_snap_def_is_external(def));
    ck_assert_int_eq(qemud_snap_def_parse("<domainsnapshot><name>s</name><state>running</state></domainsnapshot>", 0,
                                          &def, &code, &msg), -EINVAL);
    ck_assert_str_eq(msg, "XML error: element <state> describes an existing snapshot: it is accepted only with "
                          "the REDEFINE flag in domain snapshot 's'");
    ck_assert_int_eq(code, MV_ERR_XML_DETAIL);
    /* a redefine must name the snapshot */
    free(TAKE_PTR(msg));
    ck_assert_int_eq(qemud_snap_def_parse("<domainsnapshot/>", QEMUD_SNAP_PARSE_REDEFINE, &def, &code, &msg),
                     -EINVAL);
    ck_assert_str_eq(msg, "XML error: a redefined snapshot needs its <name>");
    free(TAKE_PTR(msg));
    ck_assert_int_eq(qemud_snap_def_parse("<domainsnapshot><name>a/b</name></domainsnapshot>", 0, &def, &code, &msg),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "'a/b'"));
    free(TAKE_PTR(msg));
    ck_assert_int_eq(qemud_snap_def_parse("<domainsnapshot", 0, &def, &code, &msg), -EINVAL);
    ck_assert_int_eq(code, MV_ERR_XML_ERROR);
}
END_TEST

/* A name longer than the store's file names can hold is refused at
 * parse, before any image holds the snapshot. */
START_TEST(test_name_max)
{
    _cleanup_snap_def_ struct qemud_snap_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    char name[QEMUD_SNAP_NAME_MAX + 2], xml[QEMUD_SNAP_NAME_MAX + 64];
    int code = 0;

    memset(name, 'n', QEMUD_SNAP_NAME_MAX);
    name[QEMUD_SNAP_NAME_MAX] = '\0';
    snprintf(xml, sizeof(xml), "<domainsnapshot><name>%s</name></domainsnapshot>", name);
    ck_assert_int_eq(qemud_snap_def_parse(xml, 0, &def, &code, &msg), 0);
    ck_assert_str_eq(def->name, name);
    qemud_snap_def_free(TAKE_PTR(def));
    strcat(name, "n");
    snprintf(xml, sizeof(xml), "<domainsnapshot><name>%s</name></domainsnapshot>", name);
    ck_assert_int_eq(qemud_snap_def_parse(xml, 0, &def, &code, &msg), -EINVAL);
    ck_assert_int_eq(code, MV_ERR_XML_DETAIL);
    ck_assert_msg(strstr(msg, "domain snapshot name is 201 bytes long: at most 200"), "%s", msg);
}
END_TEST

START_TEST(test_copy)
{
    _cleanup_free_ char *input = mv_test_golden_read(FIXTURES, "internal-running", ".xml");
    _cleanup_snap_def_ struct qemud_snap_def *def = parse_ok("internal-running", input, QEMUD_SNAP_PARSE_REDEFINE);
    _cleanup_snap_def_ struct qemud_snap_def *copy = qemud_snap_def_copy(def);
    _cleanup_free_ char *a = NULL, *b = NULL;

    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(qemud_snap_def_format(def, QEMUD_SNAP_FORMAT_STORED, &a), 0);
    ck_assert_int_eq(qemud_snap_def_format(copy, QEMUD_SNAP_FORMAT_STORED, &b), 0);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(def->state, QEMUD_SNAP_RUNNING);
    ck_assert_int_eq(def->memory, QEMUD_SNAP_KIND_INTERNAL);
    ck_assert_str_eq(def->parent, "s0");
    ck_assert_int_eq(def->creation_time, 1765140000);
    ck_assert(!qemud_snap_def_is_external(def));
}
END_TEST

static Suite *snapshot_suite(void)
{
    Suite *s = suite_create("qemud_snapshot_def");
    TCase *tc = tcase_create("snapshot_def");

    tcase_add_loop_test(tc, test_golden, 0, (int)ngolden);
    tcase_add_loop_test(tc, test_schema, 0, (int)ngolden);
    tcase_add_loop_test(tc, test_invalid, 0, (int)ninvalid);
    tcase_add_test(tc, test_create_form);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_name_max);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    ngolden = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_VALID, 4, &golden_names);
    ninvalid = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_INVALID, 10, &invalid_names);
    sr = srunner_create(snapshot_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(golden_names);
    mv_test_golden_inputs_free(invalid_names);
    return n ? 1 : 0;
}
