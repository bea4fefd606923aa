/* Pieces of the network driver that need no RPC and no network: the
 * status file round trip (network_store.c) and the dnsmasq death watch
 * (network_watch.c), with real child processes. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "netd.h"
#include "network_obj.h"
#include "network_store.h"
#include "network_watch.h"
#include "paths.h"
#include "store.h"
#include "testutil.h"

struct netd_driver netd;        /* the driver's state, without driver.c */

static char tmpdir[256];
static struct mv_paths paths;

static void setup(void)
{
    _cleanup_free_ char *root = NULL;

    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_netd_driver");
    ck_assert_int_ge(asprintf(&root, "%s/root", tmpdir), 0);
    ck_assert_int_eq(mv_paths_init(&paths, root), 0);
    ck_assert_int_eq(netd_store_init(&paths), 0);
    ck_assert_int_eq(netd_registry_init(), 0);
}

static void teardown(void)
{
    netd_registry_cleanup();
    netd_store_cleanup();
    mv_paths_clear(&paths);
    mv_test_rmtree(tmpdir);
}

static const char n1_xml[] =
    "<network><name>n1</name><forward mode='nat'/><bridge name='virbr7'/>"
    "<ip address='10.7.7.1' prefix='24'><dhcp><range start='10.7.7.2' end='10.7.7.9'/></dhcp></ip>"
    "</network>";

START_TEST(test_status_round_trip)
{
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    _cleanup_free_ char *msg = NULL, *path = NULL, *a = NULL, *b = NULL;
    struct netd_status st = { 0 };
    struct mv_err err = { 0 };

    ck_assert_int_eq(mv_net_def_parse(n1_xml, &def, &msg), 0);
    ck_assert_int_eq(netd_store_write_status(def, 4242, &err), 0);
    path = mv_store_path(netd.store->rundir, "n1", ".xml");
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), 0);
    ck_assert_int_eq(st.dnsmasq_pid, 4242);
    ck_assert(!st.starting);
    /* the live definition comes back whole */
    a = mv_net_def_format(def, 0);
    b = mv_net_def_format(st.live, 0);
    ck_assert_str_eq(a, b);
    netd_status_clear(&st);

    /* no dnsmasq: no element, pid 0 */
    ck_assert_int_eq(netd_store_write_status(def, 0, &err), 0);
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), 0);
    ck_assert_int_eq(st.dnsmasq_pid, 0);
    netd_status_clear(&st);

    /* a start under way says so, until the start writes its status */
    ck_assert_int_eq(netd_store_write_starting(def, &err), 0);
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), 0);
    ck_assert(st.starting);
    ck_assert_int_eq(st.dnsmasq_pid, 0);
    netd_status_clear(&st);
    ck_assert_int_eq(netd_store_write_status(def, 7, &err), 0);
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), 0);
    ck_assert(!st.starting);
    ck_assert(!st.stopping);
    netd_status_clear(&st);

    /* a stop that could not remove every part says so, with the dnsmasq
     * it could not stop; it is found by name (the next start asks) */
    ck_assert_int_eq(netd_store_write_stopping(def, 9, &err), 0);
    ck_assert_int_eq(netd_store_read_status_of("n1", &st, &msg), 0);
    ck_assert(st.stopping);
    ck_assert(!st.starting);
    ck_assert_int_eq(st.dnsmasq_pid, 9);
    netd_status_clear(&st);
    ck_assert_int_eq(netd_store_read_status_of("n2", &st, &msg), -ENOENT);
    ck_assert_int_eq(netd_store_delete_status("n1"), 0);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_status_damaged)
{
    _cleanup_free_ char *path = NULL, *msg = NULL;
    struct netd_status st = { 0 };
    FILE *f;

    path = mv_store_path(netd.store->rundir, "bad", ".xml");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("<networkstatus><dnsmasq pid='x'/><network><name>bad</name></network></networkstatus>", f);
    fclose(f);
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "invalid dnsmasq pid"));
    free(TAKE_PTR(msg));

    f = fopen(path, "w");
    fputs("<networkstatus><dnsmasq pid='1'/></networkstatus>", f);
    fclose(f);
    ck_assert_int_eq(netd_store_read_status(path, &st, &msg), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "no <network> element"));
}
END_TEST

/* ---- the watch ---- */

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t seen_cond = PTHREAD_COND_INITIALIZER;
static pid_t seen_pid;
static int seen_count;

static void on_death(struct netd_net *net, pid_t pid)
{
    ck_assert_str_eq(net->name, "w1");
    pthread_mutex_lock(&seen_lock);
    seen_pid = pid;
    seen_count++;
    pthread_cond_broadcast(&seen_cond);
    pthread_mutex_unlock(&seen_lock);
}

static pid_t child_waiting(int *release_fd)
{
    int fds[2];
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* only its own read end: a write end of another child's pipe
         * would keep that one from ever seeing EOF */
        for (int fd = 3; fd < 1024; fd++)
            if (fd != fds[0])
                close(fd);
        /* exits once the parent writes (or closes) its end */
        _exit(read(fds[0], &c, 1) == 1 ? 3 : 4);
    }
    close(fds[0]);
    *release_fd = fds[1];
    return pid;
}

static struct netd_net *new_net(const char *name)
{
    static const unsigned char uuid[MV_UUID_LEN] = { 1, 2, 3 };
    struct netd_net *net = NULL, *holder = NULL;

    ck_assert_int_eq(netd_registry_add(name, uuid, "test", &net, &holder), 0);
    pthread_mutex_unlock(&net->lock);
    netd_job_end(net);
    return net;
}

START_TEST(test_watch_fires_once_with_the_pid)
{
    _cleanup_net_unref_ struct netd_net *net = new_net("w1");
    struct netd_watcher *w = NULL;
    uint64_t id = 0;
    int release, status;
    pid_t pid;

    seen_count = 0;
    ck_assert_int_eq(netd_watcher_start(on_death, &w), 0);
    pid = child_waiting(&release);
    ck_assert_int_eq(netd_watch_add(w, net, pid, &id), 0);
    ck_assert_uint_ne(id, 0);
    ck_assert_int_eq(write(release, "x", 1), 1);
    close(release);
    pthread_mutex_lock(&seen_lock);
    while (seen_count == 0)
        pthread_cond_wait(&seen_cond, &seen_lock);
    ck_assert_int_eq(seen_pid, pid);
    pthread_mutex_unlock(&seen_lock);
    /* the handler reaps (network_start.c); here the test does */
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    netd_watch_remove(w, id);       /* fired already: a no-op */
    netd_watcher_free(w);
    ck_assert_int_eq(seen_count, 1);
}
END_TEST

START_TEST(test_watch_removed_never_fires)
{
    _cleanup_net_unref_ struct netd_net *net = new_net("w1");
    struct netd_watcher *w = NULL;
    uint64_t id = 0, id2 = 0;
    int release, release2;
    pid_t pid, pid2;

    seen_count = 0;
    ck_assert_int_eq(netd_watcher_start(on_death, &w), 0);
    pid = child_waiting(&release);
    pid2 = child_waiting(&release2);
    ck_assert_int_eq(netd_watch_add(w, net, pid, &id), 0);
    ck_assert_int_eq(netd_watch_add(w, net, pid2, &id2), 0);
    ck_assert_uint_ne(id, id2);
    netd_watch_remove(w, id);
    close(release);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    /* the first died after its removal; the second's report, waited for,
     * shows the watcher was running meanwhile and saw only that one */
    close(release2);
    pthread_mutex_lock(&seen_lock);
    while (seen_count == 0)
        pthread_cond_wait(&seen_cond, &seen_lock);
    ck_assert_int_eq(seen_pid, pid2);
    pthread_mutex_unlock(&seen_lock);
    ck_assert_int_eq(waitpid(pid2, NULL, 0), pid2);
    netd_watcher_free(w);
    ck_assert_int_eq(seen_count, 1);
}
END_TEST

START_TEST(test_watch_gone_pid)
{
    _cleanup_net_unref_ struct netd_net *net = new_net("w1");
    struct netd_watcher *w = NULL;
    uint64_t id = 0;
    int release;
    pid_t pid;

    ck_assert_int_eq(netd_watcher_start(on_death, &w), 0);
    pid = child_waiting(&release);
    close(release);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert_int_eq(netd_watch_add(w, net, pid, &id), -ESRCH);
    netd_watcher_free(w);
}
END_TEST

static Suite *driver_suite(void)
{
    Suite *s = suite_create("netd_driver");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_status_round_trip);
    tcase_add_test(tc, test_status_damaged);
    suite_add_tcase(s, tc);
    tc = tcase_create("watch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_watch_fires_once_with_the_pid);
    tcase_add_test(tc, test_watch_removed_never_fires);
    tcase_add_test(tc, test_watch_gone_pid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(driver_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
