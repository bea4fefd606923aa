/*
 * The one URI checker of the client library and the daemons: what it
 * accepts (with parameters unescaped) and what it refuses, by name.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uri.h"

static const char *const schemes[] = { "qemu", "modvirt", NULL };

START_TEST(test_accepted)
{
    struct mv_local_uri *u = NULL;
    char *why = NULL;

    ck_assert_int_eq(mv_local_uri_parse("qemu:///system", schemes, &u, &why), 0);
    ck_assert_str_eq(u->scheme, "qemu");
    ck_assert_uint_eq(u->nparams, 0);
    mv_local_uri_free(u);

    ck_assert_int_eq(mv_local_uri_parse("modvirt:///system?", schemes, &u, &why), 0);
    ck_assert_str_eq(u->scheme, "modvirt");
    ck_assert_uint_eq(u->nparams, 0);
    mv_local_uri_free(u);

    /* escapes decoded, '&' and ';' separate, a bare name has value "",
     * empty parts skipped, the last of two wins */
    ck_assert_int_eq(mv_local_uri_parse("qemu:///system?socket=/tmp/x%2Fy%20z&&flag;root=/a;root=/b",
                                        schemes, &u, &why), 0);
    ck_assert_uint_eq(u->nparams, 4);
    ck_assert_str_eq(u->params[0].name, "socket");
    ck_assert_str_eq(u->params[0].value, "/tmp/x/y z");
    ck_assert_str_eq(u->params[1].name, "flag");
    ck_assert_str_eq(u->params[1].value, "");
    ck_assert_str_eq(mv_local_uri_param(u, "root"), "/b");
    ck_assert_ptr_null(mv_local_uri_param(u, "mode"));
    mv_local_uri_free(u);

    ck_assert_int_eq(mv_local_uri_parse("qemu:///system?socket=", schemes, &u, &why), 0);
    ck_assert_str_eq(mv_local_uri_param(u, "socket"), "");
    mv_local_uri_free(u);

    /* the path is compared after unescaping, as libvirt's parser does */
    ck_assert_int_eq(mv_local_uri_parse("qemu:///%73ystem", schemes, &u, &why), 0);
    mv_local_uri_free(u);
    ck_assert_ptr_null(why);
}
END_TEST

START_TEST(test_refused)
{
    static const struct { const char *uri; const char *says; } bad[] = {
        { "xen:///system", "unsupported URI scheme 'xen' in 'xen:///system': use qemu:///system or modvirt:///system" },
        { "QEMU:///system", "unsupported URI scheme 'QEMU'" },
        { "qemu", "unsupported URI scheme '' in 'qemu'" },
        { "", "unsupported URI scheme ''" },
        { "qemu:/system", "has no '//' (empty host) part" },
        { "qemu:system", "has no '//' (empty host) part" },
        { "qemu://otherhost/system", "remote host 'otherhost' in URI" },
        { "qemu://root@/system", "remote host 'root@' in URI" },
        { "qemu://localhost:16509/system", "remote host 'localhost'" },
        { "qemu:///session", "unsupported path '/session' in URI 'qemu:///session': only /system is served" },
        { "qemu:///system/", "unsupported path '/system/'" },
        { "qemu:////system", "unsupported path '//system'" },
        { "qemu:///systemd", "unsupported path '/systemd'" },
        { "qemu://", "unsupported path ''" },
        { "qemu:///system#top", "unsupported fragment '#top'" },
        { "qemu:///system?socket=/a%2", "cannot parse URI 'qemu:///system?socket=/a%2'" },
        { "qemu:///system?socket=/a b", "cannot parse URI" },
        { "qemu:///system?socket=/a%00b", "an escaped NUL (%00)" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mv_local_uri *u = NULL;
        char *why = NULL;

        ck_assert_msg(mv_local_uri_parse(bad[i].uri, schemes, &u, &why) == -EINVAL,
                      "accepted '%s'", bad[i].uri);
        ck_assert_ptr_null(u);
        ck_assert_msg(why && strstr(why, bad[i].says), "'%s': '%s'", bad[i].uri, why);
        free(why);
    }
}
END_TEST

START_TEST(test_too_long)
{
    size_t n = MV_URI_MAX + 1;
    char *uri = malloc(n + 1);
    struct mv_local_uri *u = NULL;
    char *why = NULL;

    ck_assert_ptr_nonnull(uri);
    memset(uri, 'a', n);
    memcpy(uri, "qemu:///system?socket=/", 23);
    uri[n] = '\0';
    ck_assert_int_eq(mv_local_uri_parse(uri, schemes, &u, &why), -EINVAL);
    ck_assert_str_eq(why, "URI longer than 4096 bytes");
    free(why);
    free(uri);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common_uri");
    TCase *tc = tcase_create("uri");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_accepted);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_too_long);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
