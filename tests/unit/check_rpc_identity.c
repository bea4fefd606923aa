/*
 * CONNECT_SET_IDENTITY's parameters (rpc/identity.c): what proxyd sends is
 * taken whole; anything else is refused with a message naming the
 * parameter, and the output is left untouched.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "identity.h"

enum { TP_INT = 1, TP_LLONG = 3, TP_ULLONG = 4, TP_STRING = 7 };

static mv_typed_param ull(const char *name, unsigned long long v)
{
    mv_typed_param p = { .field = (char *)name };
    p.value.type = TP_ULLONG;
    p.value.mv_typed_param_value_u.ul = v;
    return p;
}

static mv_typed_param ll(const char *name, long long v)
{
    mv_typed_param p = { .field = (char *)name };
    p.value.type = TP_LLONG;
    p.value.mv_typed_param_value_u.l = v;
    return p;
}

static mv_typed_param str(const char *name, const char *v)
{
    mv_typed_param p = { .field = (char *)name };
    p.value.type = TP_STRING;
    p.value.mv_typed_param_value_u.s = (char *)v;
    return p;
}

/* what modvirt-proxyd sends (proxyd/README.md) */
static void proxyd_params(mv_typed_param p[6])
{
    p[0] = ull("unix-user-id", 1000);
    p[1] = ull("unix-group-id", 100);
    p[2] = ll("process-id", 4242);
    p[3] = ull("process-time", 987654);
    p[4] = str("user-name", "alice");
    p[5] = str("group-name", "users");
}

/* PARAMS must be refused with CODE and a message containing NEEDLE */
static void expect_refused(const mv_typed_param *params, unsigned int n, int code, const char *needle)
{
    struct mv_forwarded_identity id = { .uid = 7 };
    struct mv_err err = { 0 };

    ck_assert_int_eq(mv_identity_parse(params, n, &id, &err), -EINVAL);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(err.message && strstr(err.message, needle), "message '%s' lacks '%s'",
                  err.message ? err.message : "(none)", needle);
    ck_assert_msg(strncmp(err.message, code == MV_ERR_ARGUMENT_UNSUPPORTED ? "argument unsupported: "
                                                                            : "invalid argument: ", 18) == 0,
                  "message '%s' does not start as libvirt's for code %d", err.message, code);
    ck_assert_uint_eq(id.uid, 7);       /* untouched */
    mv_err_clear(&err);
}

START_TEST(test_proxyd_identity)
{
    mv_typed_param p[6];
    struct mv_forwarded_identity id;
    struct mv_err err = { 0 };

    proxyd_params(p);
    ck_assert_int_eq(mv_identity_parse(p, 6, &id, &err), 0);
    ck_assert_uint_eq(id.uid, 1000);
    ck_assert_uint_eq(id.gid, 100);
    ck_assert_int_eq(id.pid, 4242);
    ck_assert_uint_eq(id.start_time, 987654);
    ck_assert_str_eq(id.user_name, "alice");
    ck_assert_str_eq(id.group_name, "users");
    ck_assert(!id.system_token);
    ck_assert(!mv_err_is_set(&err));
}
END_TEST

/* What the proxy builds is what the parser takes back, names left out
 * when unknown; one table serves both directions. */
START_TEST(test_build_parses_back)
{
    const struct mv_forwarded_identity in[] = {
        { .uid = 1000, .gid = 100, .pid = 4242, .start_time = 987654,
          .user_name = "alice", .group_name = "users" },
        { .uid = 0, .gid = 0, .pid = 1, .start_time = 0 },
    };

    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        mv_connect_set_identity_args a = { 0 };
        struct mv_forwarded_identity out;
        struct mv_err err = { 0 };

        ck_assert_int_eq(mv_identity_to_params(&in[i], &a), 0);
        ck_assert_uint_eq(a.params.params_len, in[i].user_name ? 6 : 4);
        ck_assert_int_eq(mv_identity_parse(a.params.params_val, a.params.params_len, &out, &err), 0);
        ck_assert_uint_eq(out.uid, in[i].uid);
        ck_assert_uint_eq(out.gid, in[i].gid);
        ck_assert_int_eq(out.pid, in[i].pid);
        ck_assert_uint_eq(out.start_time, in[i].start_time);
        if (in[i].user_name) {
            ck_assert_str_eq(out.user_name, in[i].user_name);
            ck_assert_str_eq(out.group_name, in[i].group_name);
        } else {
            ck_assert_ptr_null(out.user_name);
            ck_assert_ptr_null(out.group_name);
        }
        ck_assert(!out.system_token);
        xdr_free((xdrproc_t)xdr_mv_connect_set_identity_args, (char *)&a);
    }
}
END_TEST

/* libvirt's own daemons send more: accepted, the extras grant nothing */
START_TEST(test_libvirt_system_identity)
{
    mv_typed_param p[9];
    struct mv_forwarded_identity id;
    struct mv_err err = { 0 };

    proxyd_params(p);
    p[6] = str("selinux-context", "system_u:system_r:virtd_t:s0");
    p[7] = str("system.token", "0123456789abcdef0123456789ABCDEF");
    p[8] = str("sasl-user-name", "alice@EXAMPLE");
    ck_assert_int_eq(mv_identity_parse(p, 9, &id, &err), 0);
    ck_assert(id.system_token);
    /* only the three required ones */
    ck_assert_int_eq(mv_identity_parse(p, 3, &id, &err), 0);
    ck_assert_uint_eq(id.start_time, 0);
    ck_assert_ptr_null(id.user_name);
}
END_TEST

/* A remote client of the proxy (TLS certificate, SASL login): no unix
 * ids; what the proxy builds parses back as remote, and a DN beside only
 * some of the unix ids is not a remote identity but a partial one. */
START_TEST(test_remote_identity)
{
    const struct mv_forwarded_identity in = {
        .remote = true, .x509_dname = "CN=client1,O=Example,C=GB", .sasl_user = "alice",
    };
    mv_connect_set_identity_args a = { 0 };
    struct mv_forwarded_identity out;
    struct mv_err err = { 0 };
    mv_typed_param p[2];

    ck_assert_int_eq(mv_identity_to_params(&in, &a), 0);
    ck_assert_uint_eq(a.params.params_len, 2);
    ck_assert_int_eq(mv_identity_parse(a.params.params_val, a.params.params_len, &out, &err), 0);
    ck_assert(out.remote);
    ck_assert_uint_eq(out.uid, (uid_t)-1);
    ck_assert_uint_eq(out.gid, (gid_t)-1);
    ck_assert_int_eq(out.pid, 0);
    ck_assert_str_eq(out.x509_dname, in.x509_dname);
    ck_assert_str_eq(out.sasl_user, "alice");
    xdr_free((xdrproc_t)xdr_mv_connect_set_identity_args, (char *)&a);

    /* an anonymous TCP client (auth_tcp = "none"): nothing at all */
    ck_assert_int_eq(mv_identity_parse(p, 0, &out, &err), 0);
    ck_assert(out.remote);
    ck_assert_uint_eq(out.uid, (uid_t)-1);
    ck_assert_ptr_null(out.x509_dname);
    ck_assert_ptr_null(out.sasl_user);

    p[0] = str("x509-distinguished-name", "CN=client1");
    p[1] = ull("unix-user-id", 0);
    expect_refused(p, 2, MV_ERR_INVALID_ARG, "parameter 'unix-group-id' is required");
    p[1] = str("x509-distinguished-name", "CN=x");
    expect_refused(p, 2, MV_ERR_INVALID_ARG, "parameter 'x509-distinguished-name' is given twice");
}
END_TEST

START_TEST(test_unknown_name)
{
    mv_typed_param p[7];

    proxyd_params(p);
    p[6] = str("unix-user-name", "root");
    expect_refused(p, 7, MV_ERR_ARGUMENT_UNSUPPORTED, "unknown identity parameter 'unix-user-name'");
}
END_TEST

START_TEST(test_wrong_type)
{
    mv_typed_param p[6];

    proxyd_params(p);
    p[0] = str("unix-user-id", "0");
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'unix-user-id' must be of type ullong, not string");
    proxyd_params(p);
    p[2] = ull("process-id", 4242);     /* llong in libvirt, not ullong */
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'process-id' must be of type llong, not ullong");
    proxyd_params(p);
    p[4] = ull("user-name", 0);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'user-name' must be of type string, not ullong");
    proxyd_params(p);
    p[1].value.type = TP_INT;
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'unix-group-id' must be of type ullong, not int");
}
END_TEST

START_TEST(test_missing_required)
{
    mv_typed_param p[6];

    proxyd_params(p);
    expect_refused(p + 1, 5, MV_ERR_INVALID_ARG, "parameter 'unix-user-id' is required");
    p[4] = str("user-name", "alice");
    expect_refused(p + 4, 1, MV_ERR_INVALID_ARG, "parameter 'unix-user-id' is required");
    p[2] = str("user-name", "alice");
    expect_refused(p, 3, MV_ERR_INVALID_ARG, "parameter 'process-id' is required");
}
END_TEST

START_TEST(test_bad_values)
{
    mv_typed_param p[7];

    proxyd_params(p);
    p[6] = ull("unix-user-id", 0);
    expect_refused(p, 7, MV_ERR_INVALID_ARG, "parameter 'unix-user-id' is given twice");
    proxyd_params(p);
    p[0] = ull("unix-user-id", 0xffffffffULL);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'unix-user-id' is out of range");
    proxyd_params(p);
    p[1] = ull("unix-group-id", 1ULL << 40);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'unix-group-id' is out of range");
    proxyd_params(p);
    p[2] = ll("process-id", 0);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'process-id' is not a process id");
    p[2] = ll("process-id", -1);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'process-id' is not a process id");
    p[2] = ll("process-id", 1LL << 33);
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'process-id' is not a process id");
    proxyd_params(p);
    p[4] = str("user-name", "");
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'user-name' must be 1 to 1024 printable");
    p[4] = str("user-name", "ali\nce");
    expect_refused(p, 6, MV_ERR_INVALID_ARG, "parameter 'user-name' must be 1 to 1024 printable");
    proxyd_params(p);
    p[6] = str("system.token", "0123456789abcdef");
    expect_refused(p, 7, MV_ERR_INVALID_ARG, "parameter 'system.token' is not 32 hexadecimal digits");
}
END_TEST

static Suite *identity_suite(void)
{
    Suite *s = suite_create("rpc_identity");
    TCase *tc = tcase_create("identity");

    tcase_add_test(tc, test_proxyd_identity);
    tcase_add_test(tc, test_build_parses_back);
    tcase_add_test(tc, test_libvirt_system_identity);
    tcase_add_test(tc, test_remote_identity);
    tcase_add_test(tc, test_unknown_name);
    tcase_add_test(tc, test_wrong_type);
    tcase_add_test(tc, test_missing_required);
    tcase_add_test(tc, test_bad_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(identity_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
