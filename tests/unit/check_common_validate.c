#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "validate.h"

static void name_ok(const char *name)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_validate_name("domain", name, &err) == 0, "'%s' rejected: %s", name, err);
    ck_assert_ptr_null(err);
}

static void name_bad(const char *name, const char *msg)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_validate_name("domain", name, &err), -EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, msg);
}

START_TEST(test_names_good)
{
    char max[MV_NAME_MAX + 1];

    name_ok("vm1");
    name_ok("a");
    name_ok("my guest (test) #2");
    name_ok("x..y");
    name_ok("trailing.");
    name_ok("caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80");   /* café-日本-😀 */
    memset(max, 'n', MV_NAME_MAX);
    max[MV_NAME_MAX] = '\0';
    name_ok(max);
    ck_assert_int_eq(mv_validate_name("domain", "ok", NULL), 0);
}
END_TEST

START_TEST(test_names_bad)
{
    char *longname = malloc(100000);

    name_bad("", "invalid domain name: names must not be empty");
    name_bad(NULL, "invalid domain name: names must not be empty");
    name_bad("../x", "invalid domain name '../x': names must not contain '/'");
    name_bad("a/b", "invalid domain name 'a/b': names must not contain '/'");
    name_bad("/", "invalid domain name '/': names must not contain '/'");
    name_bad(".", "invalid domain name '.': names must not be '.' or '..'");
    name_bad("..", "invalid domain name '..': names must not be '.' or '..'");
    name_bad(".hidden", "invalid domain name '.hidden': names must not start with '.'");
    name_bad("a\nb", "invalid domain name 'a\\x0ab': names must not contain control characters");
    name_bad("tab\there", "invalid domain name 'tab\\x09here': names must not contain control characters");
    name_bad("del\x7f", "invalid domain name 'del\\x7f': names must not contain control characters");
    name_bad("esc\x1b[31m", "invalid domain name 'esc\\x1b[31m': names must not contain control characters");
    /* U+0085 (NEL), a C1 control, encoded in valid UTF-8 */
    name_bad("c1\xc2\x85", "invalid domain name 'c1\\xc2\\x85': names must not contain control characters");
    name_bad("bad\xff", "invalid domain name 'bad\\xff': names must be valid UTF-8");
    name_bad("trunc\xc3", "invalid domain name 'trunc\\xc3': names must be valid UTF-8");
    /* overlong encoding of '/' must not sneak a slash past the check */
    name_bad("a\xc0\xaf" "b", "invalid domain name 'a\\xc0\\xafb': names must be valid UTF-8");
    /* UTF-16 surrogate U+D800 */
    name_bad("s\xed\xa0\x80", "invalid domain name 's\\xed\\xa0\\x80': names must be valid UTF-8");
    /* above U+10FFFF */
    name_bad("h\xf4\x90\x80\x80", "invalid domain name 'h\\xf4\\x90\\x80\\x80': names must be valid UTF-8");
    name_bad("quote'name/", "invalid domain name 'quote\\'name/': names must not contain '/'");

    ck_assert_ptr_nonnull(longname);
    memset(longname, 'x', 99999);
    longname[99999] = '\0';
    name_bad(longname, "invalid domain name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': "
             "names must be at most 255 bytes long");
    longname[MV_NAME_MAX + 1] = '\0';
    ck_assert_int_eq(mv_validate_name("domain", longname, NULL), -EINVAL);
    longname[MV_NAME_MAX] = '\0';
    ck_assert_int_eq(mv_validate_name("domain", longname, NULL), 0);
    free(longname);
}
END_TEST

START_TEST(test_what)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_validate_name("network", "a/b", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid network name 'a/b': names must not contain '/'");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_validate_name(NULL, "", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid object name: names must not be empty");
}
END_TEST

START_TEST(test_path_component)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mv_validate_path_component("volume", "disk.qcow2", &err), 0);
    ck_assert_int_eq(mv_validate_path_component("volume", ".hidden.img", &err), 0);
    ck_assert_int_eq(mv_validate_path_component("volume", "x..y", &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(mv_validate_path_component("volume", "..", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid volume name '..': names must not be '.' or '..'");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_validate_path_component("volume", ".", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid volume name '.': names must not be '.' or '..'");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_validate_path_component("volume", "../../etc/passwd", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid volume name '../../etc/passwd': names must not contain '/'");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_validate_path_component("volume", "", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid volume name: names must not be empty");
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_validate_path_component("volume", "a\rb", &err), -EINVAL);
    ck_assert_str_eq(err, "invalid volume name 'a\\x0db': names must not contain control characters");
}
END_TEST

START_TEST(test_path_clean)
{
    static const char *const good[] = {
        "/", "/a", "/var/lib/modvirt", "/var/lib/modvirt/", "/a/.hidden", "/a/..b",
        "/a/b..", "/a/.../b", "/with space/x",
    };
    static const char *const bad[] = {
        "", "a", "a/b", "./a", "../a", "//", "//a", "/a//b", "/..", "/../a",
        "/a/..", "/a/../b", "/.", "/a/./b", "/a/.", "/a/b//",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(mv_path_is_absolute_clean(good[i]), "'%s' should be clean", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!mv_path_is_absolute_clean(bad[i]), "'%s' should not be clean", bad[i]);
    ck_assert(!mv_path_is_absolute_clean(NULL));
}
END_TEST

static Suite *validate_suite(void)
{
    Suite *s = suite_create("common_validate");
    TCase *tc = tcase_create("validate");

    tcase_add_test(tc, test_names_good);
    tcase_add_test(tc, test_names_bad);
    tcase_add_test(tc, test_what);
    tcase_add_test(tc, test_path_component);
    tcase_add_test(tc, test_path_clean);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(validate_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
