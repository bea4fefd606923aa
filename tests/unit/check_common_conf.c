#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "testutil.h"
#include "conf.h"
#include "file.h"

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_common_conf");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

/* Parses S (a C string) with origin "t.conf"; fails the test on error. */
static mv_conf *parse_ok(const char *s)
{
    mv_conf *c = NULL;
    _cleanup_free_ char *err = NULL;
    int r = mv_conf_parse(s, strlen(s), "t.conf", &c, &err);

    ck_assert_msg(r == 0, "parse failed: %d %s", r, err ? err : "(no message)");
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Parses S, which must fail with -EINVAL and exactly message MSG. */
static void parse_bad(const char *s, const char *msg)
{
    mv_conf *c = (mv_conf *)0x1;        /* must stay untouched */
    _cleanup_free_ char *err = NULL;
    int r = mv_conf_parse(s, strlen(s), "t.conf", &c, &err);

    ck_assert_int_eq(r, -EINVAL);
    ck_assert_ptr_eq(c, (mv_conf *)0x1);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, msg);
}

START_TEST(test_types)
{
    _cleanup_(mv_conf_freep) mv_conf *c = parse_ok(
        "# daemon settings\n"
        "\n"
        "   name = \"hello world\"   # trailing comment\n"
        "count=42\n"
        "neg = -17\n"
        "zero = 0\n"
        "big = 9223372036854775807\n"
        "small = -9223372036854775808\n"
        "flag = 1\n"
        "esc = \"a \\\"quoted\\\" back\\\\slash # not a comment\"\n"
        "empty = \"\"\n"
        "\tlist = [ \"a\", \"b\" ]\n");
    _cleanup_free_ char *s = NULL;
    long long n = 0;
    bool b = false;

    ck_assert_int_eq(mv_conf_get_string(c, "name", &s, NULL), 1);
    ck_assert_str_eq(s, "hello world");
    ck_assert_int_eq(mv_conf_get_string(c, "esc", &s, NULL), 1);   /* replaces, frees old */
    ck_assert_str_eq(s, "a \"quoted\" back\\slash # not a comment");
    ck_assert_int_eq(mv_conf_get_string(c, "empty", &s, NULL), 1);
    ck_assert_str_eq(s, "");
    ck_assert_int_eq(mv_conf_get_int(c, "count", 0, 100, &n, NULL), 1);
    ck_assert_int_eq(n, 42);
    ck_assert_int_eq(mv_conf_get_int(c, "neg", -100, 100, &n, NULL), 1);
    ck_assert_int_eq(n, -17);
    ck_assert_int_eq(mv_conf_get_int(c, "zero", 0, 0, &n, NULL), 1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(mv_conf_get_int(c, "big", LLONG_MIN, LLONG_MAX, &n, NULL), 1);
    ck_assert(n == LLONG_MAX);
    ck_assert_int_eq(mv_conf_get_int(c, "small", LLONG_MIN, LLONG_MAX, &n, NULL), 1);
    ck_assert(n == LLONG_MIN);
    ck_assert_int_eq(mv_conf_get_bool(c, "flag", &b, NULL), 1);
    ck_assert(b);
    ck_assert_int_eq(mv_conf_get_bool(c, "zero", &b, NULL), 1);
    ck_assert(!b);
}
END_TEST

START_TEST(test_lists)
{
    _cleanup_(mv_conf_freep) mv_conf *c = parse_ok(
        "one = [ \"a\", \"b\" ]\n"
        "multi = [\n"
        "   \"x\",   # first\n"
        "\n"
        "   # a comment line inside\n"
        "   \"y\" ,\n"
        "   \"z\",\n"
        "]\n"
        "empty = []\n"
        "spaced = [ ]\n"
        "after = 5\n");
    _cleanup_strv_free_ char **v = NULL;
    long long n = 0;

    ck_assert_int_eq(mv_conf_get_strv(c, "one", &v, NULL), 1);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[1], "b");
    ck_assert_ptr_null(v[2]);
    ck_assert_int_eq(mv_conf_get_strv(c, "multi", &v, NULL), 1);
    ck_assert_str_eq(v[0], "x");
    ck_assert_str_eq(v[1], "y");
    ck_assert_str_eq(v[2], "z");
    ck_assert_ptr_null(v[3]);
    ck_assert_int_eq(mv_conf_get_strv(c, "empty", &v, NULL), 1);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_null(v[0]);
    ck_assert_int_eq(mv_conf_get_strv(c, "spaced", &v, NULL), 1);
    ck_assert_ptr_null(v[0]);
    /* line counting continues correctly after a multi-line list */
    ck_assert_int_eq(mv_conf_get_int(c, "after", 0, 10, &n, NULL), 1);
    ck_assert_int_eq(n, 5);
}
END_TEST

START_TEST(test_empty_inputs)
{
    mv_conf *c = NULL;
    _cleanup_free_ char *s = NULL;

    ck_assert_int_eq(mv_conf_parse("", 0, "t.conf", &c, NULL), 0);
    ck_assert_int_eq(mv_conf_get_string(c, "x", &s, NULL), 0);
    mv_conf_free(c);
    c = NULL;
    ck_assert_int_eq(mv_conf_parse(NULL, 0, NULL, &c, NULL), 0);
    mv_conf_free(c);
    c = parse_ok("# only a comment, no newline at the end");
    mv_conf_free(c);
    c = parse_ok("\n\n   \n\t\r\n");
    mv_conf_free(c);
    c = parse_ok("x = 1");                /* no final newline */
    mv_conf_free(c);
    c = parse_ok("x = 1\r\ny = \"a\"\r\n");  /* CRLF */
    long long n = 0;
    ck_assert_int_eq(mv_conf_get_int(c, "y", 0, 1, &n, NULL), -EINVAL);
    mv_conf_free(c);
    mv_conf_free(NULL);
}
END_TEST

START_TEST(test_absent_and_null_conf)
{
    _cleanup_(mv_conf_freep) mv_conf *c = parse_ok("a = 1\n");
    char *s = (char *)0x1;
    char **v = (char **)0x1;
    long long n = 7;
    bool b = true;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_conf_get_string(c, "b", &s, &err), 0);
    ck_assert_int_eq(mv_conf_get_int(c, "b", 0, 1, &n, &err), 0);
    ck_assert_int_eq(mv_conf_get_bool(c, "b", &b, &err), 0);
    ck_assert_int_eq(mv_conf_get_strv(c, "b", &v, &err), 0);
    ck_assert_int_eq(mv_conf_get_int(NULL, "a", 0, 1, &n, &err), 0);
    ck_assert_int_eq(mv_conf_check_keys(NULL, NULL, &err), 0);
    ck_assert_ptr_eq(s, (char *)0x1);
    ck_assert_ptr_eq(v, (char **)0x1);
    ck_assert_int_eq(n, 7);
    ck_assert(b);
    ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_wrong_types)
{
    _cleanup_(mv_conf_freep) mv_conf *c = parse_ok("s = \"x\"\ni = 3\nl = [\"a\"]\n");
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *s = NULL;
    _cleanup_strv_free_ char **v = NULL;
    long long n = 99;
    bool b = false;

    ck_assert_int_eq(mv_conf_get_string(c, "i", &s, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:2: i: expected a string, not an integer");
    ck_assert_ptr_null(s);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_int(c, "s", 0, 10, &n, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:1: s: expected an integer, not a string");
    ck_assert_int_eq(n, 99);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_bool(c, "l", &b, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:3: l: expected an integer, not a list");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_strv(c, "s", &v, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:1: s: expected a list, not a string");
    ck_assert_ptr_null(v);
    /* NULL errmsg is allowed */
    ck_assert_int_eq(mv_conf_get_string(c, "l", &s, NULL), -EINVAL);
}
END_TEST

START_TEST(test_ranges)
{
    _cleanup_(mv_conf_freep) mv_conf *c = parse_ok("port = 70000\nb = 2\nm = -1\n");
    _cleanup_free_ char *err = NULL;
    long long n = 5;
    bool b = true;

    ck_assert_int_eq(mv_conf_get_int(c, "port", 1, 65535, &n, &err), -ERANGE);
    ck_assert_str_eq(err, "t.conf:1: port: value 70000 out of range (1 to 65535)");
    ck_assert_int_eq(n, 5);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_int(c, "m", 0, 10, &n, &err), -ERANGE);
    ck_assert_int_eq(n, 5);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_int(c, "port", 70000, 70000, &n, NULL), 1);
    ck_assert_int_eq(n, 70000);
    ck_assert_int_eq(mv_conf_get_bool(c, "b", &b, &err), -ERANGE);
    ck_assert_str_eq(err, "t.conf:2: b: expected 0 or 1, not 2");
    ck_assert(b);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_get_bool(c, "m", &b, &err), -ERANGE);
    ck_assert(b);
}
END_TEST

START_TEST(test_syntax_errors)
{
    parse_bad("a = \"abc\n", "t.conf:1: unterminated string");
    parse_bad("\n\nb = \"abc", "t.conf:3: unterminated string");
    parse_bad("a = \"ab\\", "t.conf:1: unterminated string");
    parse_bad("a = \"a\\nb\"\n", "t.conf:1: invalid escape in string (only \\\" and \\\\ are allowed): '\\\\n'");
    parse_bad("a = 1\na = 2\n", "t.conf:2: duplicate setting 'a' (first set on line 1)");
    parse_bad("a = 1 2\n", "t.conf:1: unexpected text after the value of 'a'");
    parse_bad("a = \"x\" \"y\"\n", "t.conf:1: unexpected text after the value of 'a'");
    parse_bad("a = 1 ; b = 2\n", "t.conf:1: unexpected text after the value of 'a'");
    parse_bad("a = yes\n", "t.conf:1: invalid value for 'a': expected a \"string\", an integer or a [ list ]");
    parse_bad("a =\n", "t.conf:1: invalid value for 'a': expected a \"string\", an integer or a [ list ]");
    parse_bad("a = 'single'\n", "t.conf:1: invalid value for 'a': expected a \"string\", an integer or a [ list ]");
    parse_bad("a 1\n", "t.conf:1: expected '=' after 'a'");
    parse_bad("a\n= 1\n", "t.conf:1: expected '=' after 'a'");
    parse_bad("1a = 1\n", "t.conf:1: invalid setting name '1a'");
    parse_bad("foo-bar = 1\n", "t.conf:1: invalid setting name 'foo-bar'");
    parse_bad("caf\xc3\xa9 = 1\n", "t.conf:1: invalid setting name 'caf\xc3\xa9'");
    parse_bad("a\x01 = 1\n", "t.conf:1: invalid setting name 'a\\x01'");
    parse_bad("= 1\n", "t.conf:1: expected a setting name");
    parse_bad("a = 12abc\n", "t.conf:1: invalid integer '12abc'");
    parse_bad("a = -\n", "t.conf:1: invalid integer '-'");
    parse_bad("a = 9223372036854775808\n", "t.conf:1: integer out of range");
    parse_bad("a = -9223372036854775809\n", "t.conf:1: integer out of range");
    parse_bad("a = 123456789012345678901234567890123\n", "t.conf:1: integer out of range");
    parse_bad("a = [ \"x\"\n", "t.conf:1: unterminated list");
    parse_bad("x = 1\na = [ \"x\",\n \"y\"\n", "t.conf:2: unterminated list");
    parse_bad("a = [ \"x\" \"y\" ]\n", "t.conf:1: expected ',' or ']' in list");
    parse_bad("a = [ 1, 2 ]\n", "t.conf:1: list elements must be strings");
    parse_bad("a = [ , ]\n", "t.conf:1: list elements must be strings");
    parse_bad("a = [ \"x\",, ]\n", "t.conf:1: list elements must be strings");
    parse_bad("a = [ \"x\n", "t.conf:1: unterminated string");
    parse_bad("a = [ [ \"x\" ] ]\n", "t.conf:1: list elements must be strings");
    parse_bad("a = [ \"x\" ] junk\n", "t.conf:1: unexpected text after the value of 'a'");
}
END_TEST

START_TEST(test_nul_bytes)
{
    static const char text[] = "a = \"x\0y\"\n";
    static const char text2[] = "a = 1\n\0b = 2\n";
    mv_conf *c = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_conf_parse(text, sizeof(text) - 1, "t.conf", &c, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:1: NUL byte in string");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_parse(text2, sizeof(text2) - 1, "t.conf", &c, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:2: invalid setting name '\\x00b'");
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_len_respected)
{
    /* only the first LEN bytes count: the rest would be a syntax error */
    const char *text = "a = 1\nthis is garbage";
    _cleanup_(mv_conf_freep) mv_conf *c = NULL;
    long long n = 0;

    ck_assert_int_eq(mv_conf_parse(text, 6, "t.conf", &c, NULL), 0);
    ck_assert_int_eq(mv_conf_get_int(c, "a", 0, 9, &n, NULL), 1);
    ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(test_size_limit)
{
    size_t len = MV_CONF_MAX_SIZE + 1;
    _cleanup_free_ char *text = malloc(len);
    _cleanup_free_ char *err = NULL;
    mv_conf *c = NULL;

    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);             /* one huge comment: valid but too big */
    ck_assert_int_eq(mv_conf_parse(text, len, "big.conf", &c, &err), -EFBIG);
    ck_assert_str_eq(err, "big.conf: file too large (over 1 MiB)");
    ck_assert_ptr_null(c);
    /* exactly the limit is fine */
    ck_assert_int_eq(mv_conf_parse(text, MV_CONF_MAX_SIZE, "big.conf", &c, NULL), 0);
    mv_conf_free(c);
}
END_TEST

START_TEST(test_too_many_settings)
{
    _cleanup_free_ char *text = malloc(20 * (MV_CONF_MAX_SETTINGS + 1));
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *want = NULL;
    mv_conf *c = NULL;
    size_t len = 0;

    for (int i = 0; i < MV_CONF_MAX_SETTINGS; i++)
        len += (size_t)sprintf(text + len, "k%d = %d\n", i, i);
    ck_assert_int_eq(mv_conf_parse(text, len, "t.conf", &c, NULL), 0);
    mv_conf_free(c);
    c = NULL;
    len += (size_t)sprintf(text + len, "one_more = 1\n");
    ck_assert_int_eq(mv_conf_parse(text, len, "t.conf", &c, &err), -EINVAL);
    ck_assert_int_gt(asprintf(&want, "t.conf:%d: too many settings (at most %d)",
                              MV_CONF_MAX_SETTINGS + 1, MV_CONF_MAX_SETTINGS), 0);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_check_keys)
{
    static const char *const allowed[] = { "listen_tls", "unix_sock_group", NULL };
    _cleanup_(mv_conf_freep) mv_conf *ok = parse_ok("listen_tls = 0\nunix_sock_group = \"x\"\n");
    _cleanup_(mv_conf_freep) mv_conf *bad = parse_ok("listen_tls = 0\n\nlisten_tsl = 1\n");
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_conf_check_keys(ok, allowed, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(mv_conf_check_keys(bad, allowed, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:3: unknown setting 'listen_tsl'");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_conf_check_keys(ok, (const char *const[]){ NULL }, &err), -EINVAL);
    ck_assert_str_eq(err, "t.conf:1: unknown setting 'listen_tls'");
}
END_TEST

static char *write_tmp(const char *name, const char *content)
{
    char *path = NULL;

    ck_assert_int_gt(asprintf(&path, "%s/%s", tmpdir, name), 0);
    ck_assert_int_eq(mv_file_write_atomic(path, content, strlen(content), 0644), 0);
    return path;
}

START_TEST(test_load_file)
{
    _cleanup_free_ char *path = write_tmp("good.conf", "# hi\nmax_clients = 5000\n");
    _cleanup_free_ char *bad = write_tmp("bad.conf", "\nmax_clients = \"5000\n");
    _cleanup_free_ char *missing = NULL;
    _cleanup_free_ char *want = NULL;
    _cleanup_(mv_conf_freep) mv_conf *c = NULL;
    mv_conf *c2 = NULL;
    char *err = NULL;
    long long n = 0;

    ck_assert_int_eq(mv_conf_load_file(path, &c, &err), 0);
    ck_assert_int_eq(mv_conf_get_int(c, "max_clients", 1, 100000, &n, &err), 1);
    ck_assert_int_eq(n, 5000);

    ck_assert_int_eq(mv_conf_load_file(bad, &c2, &err), -EINVAL);
    ck_assert_int_gt(asprintf(&want, "%s:2: unterminated string", bad), 0);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(c2);
    free(err);

    /* a missing file is not an error worth a message: the daemon uses defaults */
    err = (char *)0x1;
    ck_assert_int_gt(asprintf(&missing, "%s/nope.conf", tmpdir), 0);
    ck_assert_int_eq(mv_conf_load_file(missing, &c2, &err), -ENOENT);
    ck_assert_ptr_eq(err, (char *)0x1);
    ck_assert_ptr_null(c2);
}
END_TEST

START_TEST(test_load_file_errors)
{
    _cleanup_free_ char *big = NULL;
    _cleanup_free_ char *text = malloc(MV_CONF_MAX_SIZE + 1);
    _cleanup_free_ char *want = NULL;
    _cleanup_free_ char *err = NULL;
    mv_conf *c = NULL;

    ck_assert_ptr_nonnull(text);
    memset(text, '#', MV_CONF_MAX_SIZE + 1);
    ck_assert_int_gt(asprintf(&big, "%s/big.conf", tmpdir), 0);
    ck_assert_int_eq(mv_file_write_atomic(big, text, MV_CONF_MAX_SIZE, 0644), 0);
    ck_assert_int_eq(mv_conf_load_file(big, &c, NULL), 0);     /* exactly 1 MiB */
    mv_conf_free(c);
    c = NULL;
    ck_assert_int_eq(mv_file_write_atomic(big, text, MV_CONF_MAX_SIZE + 1, 0644), 0);
    ck_assert_int_eq(mv_conf_load_file(big, &c, &err), -EFBIG);
    ck_assert_int_gt(asprintf(&want, "%s: file too large (over 1 MiB)", big), 0);
    ck_assert_str_eq(err, want);
    free(err);
    err = NULL;
    free(want);
    want = NULL;
    /* a directory cannot be read */
    ck_assert_int_eq(mv_conf_load_file(tmpdir, &c, &err), -EISDIR);
    ck_assert_int_gt(asprintf(&want, "%s: cannot read: %s", tmpdir, strerror(EISDIR)), 0);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(c);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("common_conf");
    TCase *tc = tcase_create("parse");
    TCase *tf = tcase_create("file");

    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_lists);
    tcase_add_test(tc, test_empty_inputs);
    tcase_add_test(tc, test_absent_and_null_conf);
    tcase_add_test(tc, test_wrong_types);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_len_respected);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_too_many_settings);
    tcase_add_test(tc, test_check_keys);
    suite_add_tcase(s, tc);

    /* unchecked: runs in the parent, so the directory goes even if a test fails */
    tcase_add_unchecked_fixture(tf, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tf, test_load_file);
    tcase_add_test(tf, test_load_file_errors);
    suite_add_tcase(s, tf);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(conf_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
