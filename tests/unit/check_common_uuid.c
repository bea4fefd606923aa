#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "uuid.h"

static const unsigned char sample[MV_UUID_LEN] = {
    0xc7, 0xa5, 0xfd, 0xbd, 0xed, 0xaf, 0x9f, 0x4a,
    0x8c, 0x2e, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
};

START_TEST(test_format)
{
    char s[MV_UUID_STRING_LEN];
    unsigned char zero[MV_UUID_LEN] = { 0 };

    memset(s, 'X', sizeof(s));
    mv_uuid_format(sample, s);
    ck_assert_str_eq(s, "c7a5fdbd-edaf-9f4a-8c2e-123456789abc");
    ck_assert_uint_eq(strlen(s), MV_UUID_STRING_LEN - 1);
    mv_uuid_format(zero, s);
    ck_assert_str_eq(s, "00000000-0000-0000-0000-000000000000");
}
END_TEST

static void expect_sample(const char *text)
{
    unsigned char u[MV_UUID_LEN] = { 0 };

    ck_assert_msg(mv_uuid_parse(text, u) == 0, "'%s' should parse", text);
    ck_assert_msg(memcmp(u, sample, MV_UUID_LEN) == 0, "'%s' parsed wrong", text);
}

START_TEST(test_parse_good)
{
    expect_sample("c7a5fdbd-edaf-9f4a-8c2e-123456789abc");
    expect_sample("C7A5FDBD-EDAF-9F4A-8C2E-123456789ABC");
    expect_sample("c7a5fdbdedaf9f4a8c2e123456789abc");
    expect_sample("  c7a5fdbd-edaf-9f4a-8c2e-123456789abc\n");
    expect_sample("\tc7a5fdbdedaf9f4a8c2e123456789abc \r\n");
}
END_TEST

START_TEST(test_parse_bad)
{
    static const char *const bad[] = {
        "",
        "   ",
        "c7a5fdbd-edaf-9f4a-8c2e-123456789ab",          /* 31 digits */
        "c7a5fdbd-edaf-9f4a-8c2e-123456789abcd",        /* 33 digits */
        "c7a5fdbdedaf9f4a8c2e123456789ab",
        "c7a5fdbdedaf9f4a8c2e123456789abc0",
        "c7a5fdbd-edaf-9f4a-8c2e123456789abc",          /* one dash missing */
        "c7a5fdbdedaf-9f4a-8c2e-123456789abc",          /* first dash missing */
        "c7a5fdb-dedaf-9f4a-8c2e-123456789abc",         /* dash misplaced */
        "c7a5fdbd--edaf-9f4a-8c2e-123456789abc",
        "c7a5fdbd-edaf-9f4a-8c2e-123456789abc-",
        "-c7a5fdbd-edaf-9f4a-8c2e-123456789abc",
        "g7a5fdbd-edaf-9f4a-8c2e-123456789abc",         /* not hex */
        "c7a5fdbd-edaf-9f4a-8c2e-123456789abz",
        "c7a5fdbd edaf 9f4a 8c2e 123456789abc",         /* spaces for dashes */
        "c7a5fdbd-edaf-9f4a-8c2e-123456789abc x",       /* garbage after */
        "{c7a5fdbd-edaf-9f4a-8c2e-123456789abc}",
        "0xc7a5fdbdedaf9f4a8c2e123456789a",
    };
    unsigned char u[MV_UUID_LEN];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(u, 0xee, sizeof(u));
        ck_assert_msg(mv_uuid_parse(bad[i], u) == -EINVAL, "'%s' should be rejected", bad[i]);
        for (int k = 0; k < MV_UUID_LEN; k++)
            ck_assert_msg(u[k] == 0xee, "'%s': output touched on failure", bad[i]);
    }
    ck_assert_int_eq(mv_uuid_parse(NULL, u), -EINVAL);
}
END_TEST

START_TEST(test_generate)
{
    unsigned char a[MV_UUID_LEN], b[MV_UUID_LEN], back[MV_UUID_LEN];
    char s[MV_UUID_STRING_LEN];

    ck_assert_int_eq(mv_uuid_generate(a), 0);
    ck_assert_int_eq(mv_uuid_generate(b), 0);
    ck_assert(memcmp(a, b, MV_UUID_LEN) != 0);
    ck_assert(!mv_uuid_is_null(a));
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(mv_uuid_generate(a), 0);
        ck_assert_uint_eq(a[6] >> 4, 4);           /* version 4 */
        ck_assert_uint_eq(a[8] >> 6, 2);           /* RFC 4122 variant */
        mv_uuid_format(a, s);
        ck_assert_int_eq(s[14], '4');
        ck_assert(strchr("89ab", s[19]) != NULL);
        ck_assert_int_eq(mv_uuid_parse(s, back), 0);
        ck_assert(memcmp(a, back, MV_UUID_LEN) == 0);
    }
}
END_TEST

START_TEST(test_is_null)
{
    unsigned char u[MV_UUID_LEN] = { 0 };

    ck_assert(mv_uuid_is_null(u));
    u[15] = 1;
    ck_assert(!mv_uuid_is_null(u));
    u[15] = 0;
    u[0] = 0x80;
    ck_assert(!mv_uuid_is_null(u));
    ck_assert(!mv_uuid_is_null(sample));
    ck_assert_int_eq(mv_uuid_parse("00000000-0000-0000-0000-000000000000", u), 0);
    ck_assert(mv_uuid_is_null(u));
}
END_TEST

static Suite *uuid_suite(void)
{
    Suite *s = suite_create("common_uuid");
    TCase *tc = tcase_create("uuid");

    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_parse_good);
    tcase_add_test(tc, test_parse_bad);
    tcase_add_test(tc, test_generate);
    tcase_add_test(tc, test_is_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(uuid_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
