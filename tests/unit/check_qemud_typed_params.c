/*
 * typed_params.c: a reply's list built field by field (types, values, the
 * bound, strings copied) and a call's list checked against a procedure's
 * fields before any of it is applied (unknown field, wrong type, a field
 * twice: each refused naming the field, with libvirt's error codes).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "typed_params.h"

/* dispatch.c's, recorded for the checks */
static int last_code;
static char last_msg[512];

int mv_call_error(struct mv_call *call, int code, int domain, const char *fmt, ...)
{
    va_list ap;

    (void)call, (void)domain;
    last_code = code;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
    va_end(ap);
    return -EIO;
}

static const struct qemud_tparam_spec specs[] = {
    { "cpu_shares", QEMUD_TP_ULLONG },
    { "vcpu_quota", QEMUD_TP_LLONG },
    { "numa_nodeset", QEMUD_TP_STRING },
    { NULL, 0 },
};

static mv_typed_param param(const char *field, int type)
{
    mv_typed_param p;

    memset(&p, 0, sizeof(p));
    p.field = (char *)field;
    p.value.type = type;
    return p;
}

START_TEST(test_build)
{
    mv_typed_param *val = NULL;
    u_int len = 0;
    struct qemud_tparams tp = { &val, &len, 4 };

    ck_assert_int_eq(qemud_tparams_add_ullong(&tp, "cpu_shares", 1024), 0);
    ck_assert_int_eq(qemud_tparams_add_llong(&tp, "vcpu_quota", -1), 0);
    ck_assert_int_eq(qemud_tparams_add_int(&tp, "numa_mode", 2), 0);
    ck_assert_int_eq(qemud_tparams_add_string(&tp, "numa_nodeset", "0-1"), 0);
    ck_assert_int_eq(qemud_tparams_add_ullong(&tp, "one_too_many", 1), -E2BIG);
    ck_assert_uint_eq(len, 4);
    ck_assert_str_eq(val[0].field, "cpu_shares");
    ck_assert_int_eq(val[0].value.type, QEMUD_TP_ULLONG);
    ck_assert_uint_eq(val[0].value.mv_typed_param_value_u.ul, 1024);
    ck_assert_int_eq(val[1].value.type, QEMUD_TP_LLONG);
    ck_assert_int_eq(val[1].value.mv_typed_param_value_u.l, -1);
    ck_assert_int_eq(val[2].value.type, QEMUD_TP_INT);
    ck_assert_int_eq(val[2].value.mv_typed_param_value_u.i, 2);
    ck_assert_int_eq(val[3].value.type, QEMUD_TP_STRING);
    ck_assert_str_eq(val[3].value.mv_typed_param_value_u.s, "0-1");
    ck_assert_ptr_eq(qemud_tparams_find(val, len, "numa_mode"), &val[2]);
    ck_assert_ptr_null(qemud_tparams_find(val, len, "numa"));
    /* as the server frees a reply */
    xdr_free((xdrproc_t)xdr_mv_domain_get_numa_parameters_ret,
             (char *)&(mv_domain_get_numa_parameters_ret){ .params = { len, val } });
}
END_TEST

START_TEST(test_check)
{
    mv_typed_param ok[] = { param("cpu_shares", QEMUD_TP_ULLONG), param("numa_nodeset", QEMUD_TP_STRING) };
    mv_typed_param unknown[] = { param("cpu_shares", QEMUD_TP_ULLONG), param("global_quota", QEMUD_TP_LLONG) };
    mv_typed_param type[] = { param("vcpu_quota", QEMUD_TP_ULLONG) };
    mv_typed_param twice[] = { param("vcpu_quota", QEMUD_TP_LLONG), param("vcpu_quota", QEMUD_TP_LLONG) };

    ck_assert_int_eq(qemud_tparams_check(NULL, ok, 2, specs), 0);
    ck_assert_int_eq(qemud_tparams_check(NULL, NULL, 0, specs), 0);
    ck_assert_int_eq(qemud_tparams_check(NULL, unknown, 2, specs), -EIO);
    ck_assert_int_eq(last_code, MV_ERR_ARGUMENT_UNSUPPORTED);
    ck_assert_str_eq(last_msg, "argument unsupported: parameter 'global_quota' not supported");
    ck_assert_int_eq(qemud_tparams_check(NULL, type, 1, specs), -EIO);
    ck_assert_int_eq(last_code, MV_ERR_INVALID_ARG);
    ck_assert_str_eq(last_msg, "invalid argument: invalid type 'ullong' for parameter 'vcpu_quota', expected 'llong'");
    ck_assert_int_eq(qemud_tparams_check(NULL, twice, 2, specs), -EIO);
    ck_assert_int_eq(last_code, MV_ERR_INVALID_ARG);
    ck_assert_str_eq(last_msg, "invalid argument: parameter 'vcpu_quota' occurs multiple times");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_typed_params");
    TCase *tc = tcase_create("typed_params");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_build);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
