/* Domain objects on the driver core: jobs answer lost races with libvirt's
 * codes, and slow work (formatting a definition) never holds the domain
 * lock that inline readers take on the RPC loop (issue 7 defects 4, 10).
 *
 * Linked with -Wl,--wrap=mv_dom_def_format: every format the daemon code
 * does goes through format_spy(), which checks whether the watched domain's
 * lock is held at that moment, without any timing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "display_ports.h"
#include "domain_dir.h"
#include "domain_job.h"
#include "domain_obj.h"
#include "domain_process.h"
#include "domain_store.h"
#include "file.h"
#include "hostdev_managed.h"
#include "paths.h"
#include "qemud.h"
#include "store.h"
#include "testutil.h"
#include "tpm.h"

struct qemud_driver qemud;      /* driver.c's, which this test does not link */

static char tmpdir[256];
static struct mv_paths paths;

/* ---- the spy ---- */

static struct qemud_dom *watched;
static int formats, formats_locked;

int __real_mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live,
                             unsigned int flags, char **xml);
int __wrap_mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live,
                             unsigned int flags, char **xml);

int __wrap_mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live,
                             unsigned int flags, char **xml)
{
    if (watched) {
        formats++;
        /* held by anyone (this thread included): trylock fails */
        if (pthread_mutex_trylock(&watched->lock) != 0)
            formats_locked++;
        else
            pthread_mutex_unlock(&watched->lock);
    }
    return __real_mv_dom_def_format(def, live, flags, xml);
}

/* ---- fixture ---- */

static const char *const dom_xml =
    "<domain type='qemu'><name>h1</name><uuid>8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f</uuid>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
    "<devices><memballoon model='none'/></devices></domain>";

static void setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_qemud_domobj");
    ck_assert_int_eq(mv_paths_init(&paths, tmpdir), 0);
    memset(&qemud, 0, sizeof(qemud));
    qemud.paths = &paths;
    ck_assert_int_eq(qemud_store_init(&paths), 0);
    ck_assert_int_eq(qemud_registry_init(), 0);
    watched = NULL;
    formats = formats_locked = 0;
}

static void teardown(void)
{
    watched = NULL;
    qemud_registry_cleanup();
    qemud_store_cleanup();
    mv_paths_clear(&paths);
    mv_test_rmtree(tmpdir);
}

static struct mv_dom_def *parse(void)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *def = NULL;
    int code;

    ck_assert_msg(mv_dom_def_parse(dom_xml, 0, &def, &code, &msg) == 0, "%s", msg ? msg : "?");
    return def;
}

/* A domain "h1" as define leaves it: whole, unlocked, no job. */
static struct qemud_dom *add_defined(void)
{
    struct qemud_dom *dom = NULL, *holder = NULL;
    struct mv_dom_def *def = parse();

    ck_assert_int_eq(qemud_registry_add(def->name, def->uuid, "define", &dom, &holder), 0);
    dom->def = def;
    pthread_mutex_unlock(&dom->lock);
    qemud_job_end(dom);
    return dom;
}

/* Defect 4: writing a running domain's status file formats its live
 * definition, which must not happen under dom->lock. */
START_TEST(test_status_formats_outside_the_lock)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = add_defined();
    _cleanup_free_ char *path = NULL, *text = NULL;

    pthread_mutex_lock(&dom->lock);
    dom->live = mv_dom_def_copy(dom->def);
    ck_assert_ptr_nonnull(dom->live);
    ck_assert_int_eq(qemud_registry_assign_id(dom, qemud_registry_next_id()), 0);
    dom->pid = getpid();
    dom->monitor_path = strdup("/nonexistent/h1.monitor");
    qemud_dom_set_state(dom, QEMUD_STATE_RUNNING, QEMUD_RUNNING_BOOTED);
    pthread_mutex_unlock(&dom->lock);

    watched = dom;
    qemud_process_save_status(dom);
    watched = NULL;
    ck_assert_int_ge(formats, 1);
    ck_assert_int_eq(formats_locked, 0);
    ck_assert_ptr_nonnull((path = mv_store_path(qemud.rundir, "h1", ".xml")));
    ck_assert_int_eq(mv_file_read_all(path, 1 << 20, &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "<domstatus state=\"1\" reason=\"1\""));
    ck_assert_ptr_nonnull(strstr(text, "<name>h1</name>"));

    pthread_mutex_lock(&dom->lock);
    qemud_registry_release_id(dom);
    pthread_mutex_unlock(&dom->lock);
}
END_TEST

/* A reader's snapshot stays whole while a writer replaces the definition. */
START_TEST(test_snapshot_outlives_replacement)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = add_defined();
    _cleanup_dom_def_ struct mv_dom_def *snap = qemud_dom_snapshot(dom, true);
    _cleanup_free_ char *xml = NULL;
    struct mv_dom_def *next = mv_dom_def_copy(snap), *old;

    ck_assert_ptr_nonnull(next);
    next->memory_kib = 131072;
    pthread_mutex_lock(&dom->lock);
    old = dom->def;
    dom->def = next;
    pthread_mutex_unlock(&dom->lock);
    mv_dom_def_free(old);               /* the domain's reference */
    ck_assert_uint_eq(snap->memory_kib, 65536);
    ck_assert_int_eq(mv_dom_def_format(snap, NULL, 0, &xml), 0);
    ck_assert_ptr_nonnull(strstr(xml, "<memory unit=\"KiB\">65536</memory>"));
    ck_assert_uint_eq(dom->def->memory_kib, 131072);
}
END_TEST

struct waiter {
    struct qemud_dom *dom;
    int r;
    struct mv_err err;
    pthread_mutex_t m;
    pthread_cond_t c;
    bool started;
};

static void *begin_start(void *opaque)
{
    struct waiter *w = opaque;

    pthread_mutex_lock(&w->m);
    w->started = true;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
    w->r = qemud_job_begin(w->dom, "start", 60000, &w->err);
    return NULL;
}

/* Defect 10: a start waiting for the job of an undefine that removes the
 * domain answers "no domain" (42), not an internal error. */
START_TEST(test_lost_race_is_no_domain)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = add_defined();
    struct waiter w = { .dom = dom, .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER };
    struct mv_err err = { 0 };
    pthread_t th;

    ck_assert_int_eq(qemud_job_begin(dom, "undefine", 0, &err), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, begin_start, &w), 0);
    pthread_mutex_lock(&w.m);
    while (!w.started)
        pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
    qemud_registry_remove(dom);         /* what undefine does for a shut-off domain */
    qemud_job_end(dom);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(w.r, -ENOENT);
    ck_assert_int_eq(w.err.code, MV_ERR_NO_DOMAIN);
    ck_assert_str_eq(w.err.message,
                     "Domain not found: no domain with matching uuid '8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f' (h1)");
    mv_err_clear(&w.err);
    ck_assert_ptr_null(qemud_registry_find_name("h1"));
}
END_TEST

/* The new domain is locked with its job taken: a concurrent job gives up
 * with the busy error, naming the creator's job. */
START_TEST(test_added_domain_is_busy)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse();
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_unref_ struct qemud_dom *holder = NULL;
    _cleanup_dom_unref_ struct qemud_dom *found = NULL;
    struct mv_err err = { 0 };

    ck_assert_int_eq(qemud_registry_add(def->name, def->uuid, "define", &dom, &holder), 0);
    ck_assert_int_eq(pthread_mutex_trylock(&dom->lock), EBUSY);
    dom->def = TAKE_PTR(def);
    pthread_mutex_unlock(&dom->lock);
    found = qemud_registry_find_name("h1");
    ck_assert_ptr_eq(found, dom);
    ck_assert_int_eq(qemud_job_begin(found, "undefine", 10, &err), -EBUSY);
    ck_assert_int_eq(err.code, MV_ERR_OPERATION_TIMEOUT);
    ck_assert_str_eq(err.message, "Timed out during operation: domain 'h1' is busy with job 'define'");
    mv_err_clear(&err);
    qemud_job_end(dom);
}
END_TEST

/* ---- undefine of a running domain, across a daemon restart ---- */

static const char *const tpm_dom_xml =
    "<domain type='qemu'><name>h1</name><uuid>8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f</uuid>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
    "<devices><memballoon model='none'/><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
    "</devices></domain>";

/* A pid that names no process any more: a child, reaped. */
static pid_t gone_pid(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    return pid;
}

/* The status file a running, transient (undefined) "h1" with an emulated
 * TPM leaves after an undefine with FLAGS, its QEMU gone since; read back
 * into ST as a restarted daemon reads it. */
static void gone_run_status(unsigned int flags, struct qemud_status *st)
{
    struct qemud_dom *dom = NULL, *holder = NULL;
    _cleanup_free_ char *msg = NULL, *path = NULL;
    struct mv_dom_def *def = NULL;
    int code;

    ck_assert_int_eq(mv_dom_def_parse(tpm_dom_xml, 0, &def, &code, &msg), 0);
    ck_assert_int_eq(qemud_registry_add(def->name, def->uuid, "start", &dom, &holder), 0);
    dom->live = def;
    ck_assert_int_eq(qemud_registry_assign_id(dom, qemud_registry_next_id()), 0);
    dom->pid = gone_pid();
    dom->monitor_path = mv_store_path(qemud.rundir, "h1", ".monitor");
    qemud_dom_set_state(dom, QEMUD_STATE_RUNNING, QEMUD_RUNNING_BOOTED);
    dom->undefine_flags = flags;
    pthread_mutex_unlock(&dom->lock);
    qemud_process_save_status(dom);
    qemud_registry_remove(dom);         /* the daemon dies: its objects with it */
    qemud_job_end(dom);
    qemud_dom_unref(dom);
    ck_assert_ptr_nonnull((path = mv_store_path(qemud.rundir, "h1", ".xml")));
    ck_assert_msg(qemud_store_read_status(path, st, &msg) == 0, "%s", msg ? msg : "?");
}

/* The restarted daemon's view of ST: a transient domain whose QEMU went
 * away meanwhile is cleaned up after, TPM state included as FLAGS say. */
static void reattach_gone(struct qemud_status *st)
{
    struct qemud_dom *dom = NULL, *holder = NULL;

    ck_assert_int_eq(qemud_registry_add(st->live->name, st->live->uuid, "load", &dom, &holder), 0);
    pthread_mutex_unlock(&dom->lock);
    qemud_job_end(dom);
    ck_assert_int_eq(qemud_process_reattach(dom, st), 0);
    qemud_registry_remove(dom);
    qemud_dom_unref(dom);
}

static bool tpm_state_after_restart(unsigned int flags)
{
    _cleanup_free_ char *state = NULL, *marker = NULL;
    struct qemud_status st = { 0 };
    bool kept;

    ck_assert_ptr_nonnull((state = qemud_tpm_state_dir(paths.statedir, "8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f")));
    ck_assert_int_ge(asprintf(&marker, "%s/tpm2/tpm2-00.permall", state), 0);
    ck_assert_int_eq(mv_mkdir_p(state, 0700), 0);
    ck_assert_int_eq(mv_mkdir_p(marker, 0700), 0);      /* stands for the state file */
    gone_run_status(flags, &st);
    ck_assert_uint_eq(st.undefine_flags, flags);
    reattach_gone(&st);
    qemud_status_clear(&st);
    kept = access(marker, F_OK) == 0;
    qemud_tpm_remove_state(paths.statedir, "8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f", "h1");
    return kept;
}

/* review11b #1: undefine --keep-tpm of a running domain holds across a
 * daemon restart (status file), and so do --tpm and the default. */
START_TEST(test_undefine_flags_survive_restart)
{
    qemud.paths = &paths;
    ck_assert(tpm_state_after_restart(QEMUD_UNDEFINE_KEEP_TPM));
    ck_assert(!tpm_state_after_restart(QEMUD_UNDEFINE_TPM));
    ck_assert(!tpm_state_after_restart(0));
}
END_TEST

/* ---- managed hostdevs nodedevd detached (hostdev_managed.h) ---- */

static const char *const hostdev_dom_xml =
    "<domain type='qemu'><name>h1</name><uuid>8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f</uuid>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
    "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>"
    "<hostdev mode='subsystem' type='pci' managed='no'><source>"
    "<address domain='0x0000' bus='0x04' slot='0x00' function='0x1'/></source></hostdev>"
    "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0001' bus='0x81' slot='0x1f' function='0x7'/></source></hostdev>"
    "<memballoon model='none'/></devices></domain>";

static void expect_detached(const struct mv_dom_def *def, bool a, bool b, bool c)
{
    ck_assert_uint_eq(def->devices.nhostdevs, 3);
    ck_assert_int_eq(def->devices.hostdevs[0].detached, a);
    ck_assert_int_eq(def->devices.hostdevs[1].detached, b);
    ck_assert_int_eq(def->devices.hostdevs[2].detached, c);
}

/* Which hostdevs a run had nodedevd detach is no XML: the status file
 * keeps it (<hostdev-detached dev='pci_...'/>) for a restarted daemon to
 * give them back, and a copy of the live definition keeps it too. */
START_TEST(test_detached_hostdevs_survive_restart)
{
    struct qemud_dom *dom = NULL, *holder = NULL;
    _cleanup_free_ char *msg = NULL, *path = NULL, *xml = NULL;
    struct qemud_status st = { 0 };
    struct mv_dom_def *def = NULL, *copy;
    char name[64];
    int code;

    qemud.paths = &paths;
    ck_assert_int_eq(mv_dom_def_parse(hostdev_dom_xml, 0, &def, &code, &msg), 0);
    ck_assert(qemud_hostdevs_managed(def));
    qemud_hostdevs_mark(def);
    expect_detached(def, true, false, true);
    qemud_hostdev_nodedev_name(&def->devices.hostdevs[2], name, sizeof(name));
    ck_assert_str_eq(name, "pci_0001_81_1f_7");
    def->devices.hostdevs[0].detached = false;      /* as if only the last was asked for */
    ck_assert_ptr_nonnull((copy = mv_dom_def_copy(def)));
    expect_detached(copy, false, false, true);
    mv_dom_def_free(copy);

    ck_assert_int_eq(qemud_registry_add(def->name, def->uuid, "start", &dom, &holder), 0);
    dom->live = def;
    ck_assert_int_eq(qemud_registry_assign_id(dom, qemud_registry_next_id()), 0);
    dom->pid = gone_pid();
    dom->monitor_path = mv_store_path(qemud.rundir, "h1", ".monitor");
    qemud_dom_set_state(dom, QEMUD_STATE_RUNNING, QEMUD_RUNNING_BOOTED);
    pthread_mutex_unlock(&dom->lock);
    ck_assert_ptr_nonnull((xml = qemud_store_status_xml(dom, NULL)));
    ck_assert_ptr_nonnull(strstr(xml, "<hostdev-detached dev=\"pci_0001_81_1f_7\"/>"));
    ck_assert_ptr_null(strstr(xml, "pci_0000_03_00_0"));
    qemud_process_save_status(dom);
    qemud_registry_remove(dom);
    qemud_job_end(dom);
    qemud_dom_unref(dom);

    ck_assert_ptr_nonnull((path = mv_store_path(qemud.rundir, "h1", ".xml")));
    ck_assert_msg(qemud_store_read_status(path, &st, &msg) == 0, "%s", msg ? msg : "?");
    expect_detached(st.live, false, false, true);
    qemud_status_clear(&st);
    qemud_store_delete_status("h1");
}
END_TEST

/* ---- the domain's directory (domain_dir.h) ---- */

#define H1_UUID "8f0e6c2a-51b4-4f7e-9d0a-3c1b2a4d5e6f"
#define ORPHAN_UUID "0b5c7d2e-1f3a-4b6c-8d9e-0a1b2c3d4e5f"

static char *in_dir(const char *uuid, const char *rel)
{
    _cleanup_free_ char *dir = qemud_domain_dir(uuid);
    char *path = NULL;

    ck_assert_ptr_nonnull(dir);
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, rel), 0);
    return path;
}

static void put_file(const char *path)
{
    ck_assert_msg(mv_file_write_atomic(path, "x", 1, 0600) == 0, "%s", path);
}

static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* What a run leaves in it: sockets' stand-ins, a secret, ram/ with a file,
 * and a symlink out of it (QEMU's uid could make one): removal must not
 * follow it. */
static void fill_dir(const char *uuid, const char *outside)
{
    _cleanup_free_ char *monitor = in_dir(uuid, "monitor.sock"), *secret = in_dir(uuid, "vda.secret");
    _cleanup_free_ char *ram = in_dir(uuid, "ram"), *ramfile = in_dir(uuid, "ram/qemu_back_mem.XXX");
    _cleanup_free_ char *link = in_dir(uuid, "link");

    put_file(monitor);
    put_file(secret);
    ck_assert_int_eq(mkdir(ram, 0700), 0);
    put_file(ramfile);
    ck_assert_int_eq(symlink(outside, link), 0);
}

/* Created 0700 (whatever the umask), emptied when left over, and removed
 * with its contents, never what a symlink in it names. */
START_TEST(test_domain_dir_lifecycle)
{
    _cleanup_free_ char *dir = qemud_domain_dir(H1_UUID), *outside = NULL, *monitor = NULL;
    _cleanup_free_ char *expect_dir = NULL, *expect_monitor = NULL;
    mode_t old = umask(0);
    struct stat st;

    ck_assert_int_gt(asprintf(&expect_dir, "%s/" H1_UUID ".d", qemud.rundir), 0);
    ck_assert_str_eq(dir, expect_dir);
    ck_assert_ptr_nonnull((monitor = qemud_store_monitor_path(H1_UUID)));
    ck_assert_int_gt(asprintf(&expect_monitor, "%s/monitor.sock", dir), 0);
    ck_assert_str_eq(monitor, expect_monitor);
    ck_assert_int_gt(asprintf(&outside, "%s/outside", tmpdir), 0);
    put_file(outside);

    ck_assert_int_eq(qemud_domain_dir_create(H1_UUID), 0);
    umask(old);
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    ck_assert_uint_eq(st.st_uid, geteuid());

    /* a leftover (a daemon killed mid-run), opened up meanwhile: emptied, 0700 again */
    fill_dir(H1_UUID, outside);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_int_eq(qemud_domain_dir_create(H1_UUID), 0);
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    ck_assert_uint_eq(st.st_nlink, 2);      /* no subdirectory left */
    ck_assert(!exists(monitor));
    ck_assert(exists(outside));

    /* handed to the guest's identity: owner changes, mode does not */
    if (geteuid() == 0) {
        ck_assert_int_eq(qemud_domain_dir_chown(H1_UUID, 4242, 4243), 0);
        ck_assert_int_eq(lstat(dir, &st), 0);
        ck_assert_uint_eq(st.st_uid, 4242);
        ck_assert_uint_eq(st.st_gid, 4243);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
    } else {
        ck_assert_int_eq(qemud_domain_dir_chown(H1_UUID, geteuid(), getegid()), 0);
    }

    fill_dir(H1_UUID, outside);
    qemud_domain_dir_remove(H1_UUID);
    ck_assert(!exists(dir));
    ck_assert(exists(outside));
    qemud_domain_dir_remove(H1_UUID);      /* absent: fine */
    ck_assert(!exists(dir));
}
END_TEST

/* At daemon start: a UUID.d whose domain has no status file goes, one
 * whose domain has one stays, and nothing else in the run directory is
 * touched (status files, an older daemon's sockets). */
START_TEST(test_domain_dir_sweep)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = add_defined();
    _cleanup_free_ char *kept = qemud_domain_dir(H1_UUID), *orphan = qemud_domain_dir(ORPHAN_UUID);
    _cleanup_free_ char *other = NULL, *old_monitor = NULL, *status = NULL, *outside = NULL;

    ck_assert_int_gt(asprintf(&outside, "%s/outside", tmpdir), 0);
    put_file(outside);
    ck_assert_int_eq(qemud_domain_dir_create(H1_UUID), 0);
    ck_assert_int_eq(qemud_domain_dir_create(ORPHAN_UUID), 0);
    fill_dir(H1_UUID, outside);
    fill_dir(ORPHAN_UUID, outside);
    ck_assert_int_gt(asprintf(&other, "%s/not-a-uuid.d", qemud.rundir), 0);
    ck_assert_int_eq(mkdir(other, 0700), 0);
    ck_assert_int_gt(asprintf(&old_monitor, "%s/" ORPHAN_UUID ".monitor", qemud.rundir), 0);
    put_file(old_monitor);
    ck_assert_int_eq(qemud_store_write_status("h1", "<domstatus/>"), 0);
    ck_assert_ptr_nonnull((status = mv_store_path(qemud.rundir, "h1", ".xml")));

    qemud_domain_dir_sweep();
    ck_assert(!exists(orphan));
    ck_assert(exists(kept));
    ck_assert(exists(other));
    ck_assert(exists(old_monitor));
    ck_assert(exists(status));
    ck_assert(exists(outside));

    /* the status file gone (the domain stopped while the daemon was away): swept too */
    ck_assert_int_eq(qemud_store_delete_status("h1"), 0);
    qemud_domain_dir_sweep();
    ck_assert(!exists(kept));
    ck_assert(exists(other));
}
END_TEST

/* The clean-up after a QEMU that exited while the daemon was away removes
 * its domain's directory, as a stop would. */
START_TEST(test_domain_dir_reattach_gone)
{
    _cleanup_free_ char *dir = qemud_domain_dir(H1_UUID);
    struct qemud_status st = { 0 };

    ck_assert_int_eq(qemud_domain_dir_create(H1_UUID), 0);
    fill_dir(H1_UUID, "/nonexistent");
    gone_run_status(0, &st);
    ck_assert(exists(dir));
    reattach_gone(&st);
    qemud_status_clear(&st);
    ck_assert(!exists(dir));
}
END_TEST

/* A socket the daemon picked (today's in UUID.d, or an older daemon's
 * UUID.KINDN.sock that a live XML shows) is picked afresh at start; a
 * path of the user's is not. */
START_TEST(test_daemon_socket_paths)
{
    static const struct { const char *path, *kind; bool daemons; } cases[] = {
        { "/r/qemu/" H1_UUID ".d/channel0.sock", "channel", true },
        { "/r/qemu/" H1_UUID ".d/spice12.sock", "spice", true },
        { "/r/qemu/" H1_UUID ".channel0.sock", "channel", true },
        { "/r/qemu/" H1_UUID ".spice1.sock", "spice", true },
        { "/r/qemu/" H1_UUID ".d/channel0.sock", "spice", false },
        { "/r/qemu/" H1_UUID ".d/channel0.sockx", "channel", false },
        { "/r/qemu/" H1_UUID ".d/channel.sock", "channel", false },
        { "/r/qemu/" H1_UUID ".d/sub/channel0.sock", "channel", false },
        { "/r/qemu/" H1_UUID ".dchannel0.sock", "channel", false },
        { "/r/qemu2/" H1_UUID ".d/channel0.sock", "channel", false },
        { "/tmp/" H1_UUID ".d/channel0.sock", "channel", false },
        { "/r/qemu/agent.sock", "channel", false },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(cases); i++)
        ck_assert_msg(qemud_is_daemon_socket("/r/qemu", cases[i].path, cases[i].kind) == cases[i].daemons,
                      "%s (%s)", cases[i].path, cases[i].kind);
}
END_TEST

/* An older status file has no undefine-flags: 0; a damaged one is refused. */
START_TEST(test_undefine_flags_damaged)
{
    _cleanup_free_ char *path = NULL, *msg = NULL, *text = NULL, *bad = NULL;
    struct qemud_status st = { 0 };
    char *at;

    gone_run_status(0, &st);
    ck_assert_uint_eq(st.undefine_flags, 0);
    qemud_status_clear(&st);
    ck_assert_ptr_nonnull((path = mv_store_path(qemud.rundir, "h1", ".xml")));
    ck_assert_int_eq(mv_file_read_all(path, 1 << 20, &text, NULL), 0);
    ck_assert_ptr_null(strstr(text, "undefine-flags"));
    ck_assert_ptr_nonnull((at = strstr(text, "<domstatus ")));
    ck_assert_int_ge(asprintf(&bad, "<domstatus undefine-flags='-1' %s", at + strlen("<domstatus ")), 0);
    ck_assert_int_eq(mv_file_write_atomic(path, bad, strlen(bad), 0600), 0);
    ck_assert_int_eq(qemud_store_read_status(path, &st, &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "invalid undefine-flags"));
    qemud_status_clear(&st);
}
END_TEST

static Suite *domobj_suite(void)
{
    Suite *s = suite_create("qemud_domobj");
    TCase *tc = tcase_create("domobj");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_status_formats_outside_the_lock);
    tcase_add_test(tc, test_snapshot_outlives_replacement);
    tcase_add_test(tc, test_lost_race_is_no_domain);
    tcase_add_test(tc, test_added_domain_is_busy);
    tcase_add_test(tc, test_undefine_flags_survive_restart);
    tcase_add_test(tc, test_undefine_flags_damaged);
    tcase_add_test(tc, test_detached_hostdevs_survive_restart);
    tcase_add_test(tc, test_domain_dir_lifecycle);
    tcase_add_test(tc, test_domain_dir_sweep);
    tcase_add_test(tc, test_domain_dir_reattach_gone);
    tcase_add_test(tc, test_daemon_socket_paths);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(domobj_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
