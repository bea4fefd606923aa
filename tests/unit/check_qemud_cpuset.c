/* CPU set syntax (qemud/cpuset.h): what <cputune> and sysfs write. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpuset.h"

/* The set S selects, as "0 2 3" (or "invalid"). */
static const char *members(const char *s)
{
    static char out[256];
    struct mv_cpuset set;
    size_t len = 0;

    if (mv_cpuset_parse(s, &set) < 0)
        return "invalid";
    out[0] = '\0';
    for (unsigned int cpu = 0; cpu < MV_CPUSET_MAX && len < sizeof(out) - 8; cpu++)
        if (mv_cpuset_has(&set, cpu))
            len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", len ? " " : "", cpu);
    return out;
}

START_TEST(test_syntax)
{
    ck_assert_str_eq(members("0"), "0");
    ck_assert_str_eq(members("0-3"), "0 1 2 3");
    ck_assert_str_eq(members("0-3,^2"), "0 1 3");
    ck_assert_str_eq(members("5,1-2"), "1 2 5");
    ck_assert_str_eq(members("4095"), "4095");
    ck_assert_str_eq(members("1,^1,2"), "2");
    /* malformed, out of range, or empty */
    const char *const bad[] = { "", ",", "1,", "-1", "1-", "3-1", "^1-2", "a", "1 ", " 1", "4096", "0-4096",
                                "^0", "99999999999", "1,,2" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mv_cpuset_parse(bad[i], &(struct mv_cpuset){ 0 }) < 0, "'%s' was accepted", bad[i]);
    ck_assert_int_lt(mv_cpuset_parse(NULL, &(struct mv_cpuset){ 0 }), 0);
}
END_TEST

START_TEST(test_first_outside)
{
    struct mv_cpuset a, b;

    ck_assert_int_eq(mv_cpuset_parse("0-1,70", &a), 0);
    ck_assert_int_eq(mv_cpuset_parse("0-3", &b), 0);
    ck_assert_int_eq(mv_cpuset_first_outside(&a, &b), 70);
    ck_assert_int_eq(mv_cpuset_parse("0-127", &b), 0);
    ck_assert_int_eq(mv_cpuset_first_outside(&a, &b), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_cpuset");
    TCase *tc = tcase_create("cpuset");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_syntax);
    tcase_add_test(tc, test_first_outside);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
