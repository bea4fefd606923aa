/*
 * The emulated TPM's host side (qemud/tpm.c) with the real swtpm_setup and
 * swtpm, as a start runs them: the state is created with the daemon's own
 * certificate authority under its state directory (never the host's
 * /etc/swtpm_setup.conf and /var/lib/swtpm-localca), a failed first setup
 * leaves no state behind, and a socket path too long for sun_path is
 * refused before anything runs.  Without swtpm the cases say so and pass.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_def.h"
#include "error_codes.h"
#include "file.h"
#include "paths.h"
#include "sidecar.h"
#include "testutil.h"
#include "tpm.h"

#define UUID "11111111-2222-4333-8444-555555555601"

static char dir[PATH_MAX];
static char statedir[PATH_MAX + 16];
static char logpath[PATH_MAX + 16];

static const char *const tpm_xml =
    "<domain type='qemu'><name>t1</name><uuid>" UUID "</uuid>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
    "<devices><memballoon model='none'/><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
    "</devices></domain>";

static void setup(void)
{
    mv_test_mkdtemp(dir, sizeof(dir), "tpm");
    snprintf(statedir, sizeof(statedir), "%s/state", dir);
    snprintf(logpath, sizeof(logpath), "%s/t1.log", dir);
}

static void teardown(void)
{
    mv_test_rmtree(dir);
}

static bool have_swtpm(void)
{
    struct mv_domain_caps_tpm caps;

    qemud_tpm_probe(&caps);
    if (!caps.emulator)
        fprintf(stderr, "# not run: swtpm or swtpm_setup is not installed\n");
    return caps.emulator;
}

static struct mv_dom_def *parse(void)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *def = NULL;
    int code;

    ck_assert_msg(mv_dom_def_parse(tpm_xml, 0, &def, &code, &msg) == 0, "%s", msg ? msg : "?");
    return def;
}

/* qemud_tpm_start of t1 with its socket in its domain directory
 * RUNDIR/UUID.d (made here, as a start makes it; a RUNDIR that does not
 * exist gets none); on success swtpm is stopped again at once. */
static int start(const char *rundir, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse();
    _cleanup_close_ int logfd = qemud_sidecar_open_log(logpath);
    _cleanup_free_ char *socket = qemud_tpm_socket_path(rundir, UUID);
    const struct qemud_tpm_dirs dirs = { .statedir = statedir };
    struct qemud_sidecars set = { 0 };
    _cleanup_free_ char *domdir = NULL;
    int r;

    ck_assert_int_ge(logfd, 0);
    ck_assert_ptr_nonnull(socket);
    ck_assert_int_gt(asprintf(&domdir, "%s/%s.d", rundir, UUID), 0);
    ck_assert_msg(mkdir(domdir, 0700) == 0 || errno == EEXIST || errno == ENOENT, "%s: %s", domdir, strerror(errno));
    r = qemud_tpm_start(&set, "t1", UUID, def, &dirs, logfd, socket, err);
    ck_assert_uint_eq(set.n, r == 0 ? 1 : 0);
    qemud_sidecars_stop(&set, "t1");
    return r;
}

/* Whether REL exists under the state directory. */
static bool exists(const char *rel)
{
    _cleanup_free_ char *path = NULL;

    ck_assert_int_ge(asprintf(&path, "%s/%s", statedir, rel), 0);
    return access(path, F_OK) == 0;
}

/* review11b #5: the EK and platform certificates are signed by the
 * daemon's own CA under <statedir>/swtpm/localca, which this start made
 * (the host's is not asserted on: other test runs may use it meanwhile). */
START_TEST(test_own_ca)
{
    _cleanup_free_ char *log = NULL, *conf = NULL;
    struct mv_err err = { 0 };
    char *conf_path = NULL;

    if (!have_swtpm())
        return;
    ck_assert(!exists("swtpm/localca/certserial"));
    ck_assert_msg(start(dir, &err) == 0, "%s", err.message);
    ck_assert(exists("swtpm/" UUID "/tpm2/tpm2-00.permall"));
    ck_assert(!exists("swtpm/" UUID "/tpm2.new"));
    ck_assert(exists("swtpm/localca/issuercert.pem"));
    ck_assert(exists("swtpm/localca/certserial"));       /* it signed this state's certificates */
    ck_assert_int_ge(asprintf(&conf_path, "%s/swtpm/swtpm_setup.conf", statedir), 0);
    ck_assert_int_eq(mv_file_read_all(conf_path, 65536, &conf, NULL), 0);
    free(conf_path);
    ck_assert_msg(strstr(conf, "/swtpm/swtpm-localca.conf\n"), "%s", conf);
    ck_assert_int_eq(mv_file_read_all(logpath, 1 << 20, &log, NULL), 0);
    ck_assert_msg(strstr(log, "Successfully created EK certificate") || strstr(log, "ek.cert"), "%s", log);
    /* a second start uses the state and the CA that exist */
    ck_assert_msg(start(dir, &err) == 0, "%s", err.message);
    ck_assert(exists("swtpm/" UUID "/tpm2/tpm2-00.permall"));
}
END_TEST

static void write_garbage(const char *name)
{
    _cleanup_free_ char *path = NULL;

    ck_assert_int_ge(asprintf(&path, "%s/swtpm/localca/%s", statedir, name), 0);
    ck_assert_int_eq(mv_file_write_atomic(path, "not a PEM file\n", 15, 0600), 0);
}

/* A first setup that fails (here: the CA cannot sign, after swtpm_setup
 * wrote part of the state) leaves no state directory, so the next start
 * creates the EK afresh instead of taking a half state for a made one. */
START_TEST(test_failed_setup_leaves_nothing)
{
    _cleanup_free_ char *ca = NULL;
    struct mv_err err = { 0 };

    if (!have_swtpm())
        return;
    ck_assert_int_ge(asprintf(&ca, "%s/swtpm/localca", statedir), 0);
    ck_assert_int_eq(mv_mkdir_p(ca, 0700), 0);
    write_garbage("signkey.pem");
    write_garbage("issuercert.pem");
    ck_assert_int_lt(start(dir, &err), 0);
    ck_assert_msg(strstr(err.message, "cannot create the TPM state of domain 't1'"), "%s", err.message);
    ck_assert(!exists("swtpm/" UUID));
    mv_err_clear(&err);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    mv_test_rmtree(ca);
    ck_assert_msg(start(dir, &err) == 0, "%s", err.message);
    ck_assert(exists("swtpm/" UUID "/tpm2/tpm2-00.permall"));
}
END_TEST

/* review11b #3: a run directory that makes swtpm's socket too long for
 * sun_path is refused, naming the domain and the socket; nothing made. */
START_TEST(test_socket_too_long)
{
    char rundir[PATH_MAX];
    struct mv_err err = { 0 };
    size_t n = (size_t)snprintf(rundir, sizeof(rundir), "%s/", dir);

    if (n < 100) {
        memset(rundir + n, 'r', 100 - n);
        rundir[100] = '\0';
    }
    ck_assert_int_lt(start(rundir, &err), 0);
    ck_assert_int_eq(err.code, MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "swtpm socket of domain 't1'"), "%s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, rundir));
    ck_assert(!exists("swtpm/" UUID));
    mv_err_clear(&err);
}
END_TEST

/* A state directory swtpm_setup's configuration cannot name is refused. */
START_TEST(test_statedir_unwritable_in_conf)
{
    struct mv_err err = { 0 };

    if (!have_swtpm())
        return;
    snprintf(statedir, sizeof(statedir), "%s/st$ate", dir);
    ck_assert_int_lt(start(dir, &err), 0);
    ck_assert_int_eq(err.code, MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "takes no '$'"), "%s", err.message);
    mv_err_clear(&err);
}
END_TEST

static Suite *tpm_suite(void)
{
    Suite *s = suite_create("qemud_tpm");
    TCase *tc = tcase_create("tpm");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);     /* swtpm_setup makes keys: seconds on a loaded machine */
    tcase_add_test(tc, test_own_ca);
    tcase_add_test(tc, test_failed_setup_leaves_nothing);
    tcase_add_test(tc, test_socket_too_long);
    tcase_add_test(tc, test_statedir_unwritable_in_conf);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tpm_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
