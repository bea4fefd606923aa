/*
 * The driver's life: settings, directories, task threads and the dnsmasq
 * watch, loading definitions, re-adopting networks that kept running while
 * netd was away, the default network and autostart.  Networks keep running
 * when netd stops: bridges, rules and dnsmasq are left for the next netd.
 */
#define MV_LOG_MODULE "netd"
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "job.h"
#include "log.h"
#include "monotime.h"
#include "netd.h"
#include "network_events.h"
#include "network_obj.h"
#include "network_start.h"
#include "network_store.h"
#include "network_watch.h"
#include "port_store.h"
#include "store.h"
#include "worker_pool.h"

#define TASK_THREADS 2
#define DNSMASQ_DEFAULT "/usr/sbin/dnsmasq"
/* how long a call waits for another job on the same network, in seconds
 * (job_wait_timeout; qemud's default) */
#define JOB_WAIT_S 30

struct netd_driver netd;

int netd_bad_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NETWORK,
                  "invalid argument: unsupported flags (0x%x) in function %s", flags, api);
    return -EINVAL;
}

/* ---- tasks ---- */

struct task {
    netd_task_fn fn;
    struct netd_net *net;       /* referenced */
    long arg;
};

static void task_run(void *job)
{
    struct task *t = job;

    t->fn(t->net, t->arg);
    netd_net_unref(t->net);
    free(t);
}

static void task_drop(void *job)
{
    struct task *t = job;

    netd_net_unref(t->net);
    free(t);
}

static struct task *task_new(netd_task_fn fn, struct netd_net *net, long arg)
{
    struct task *t = malloc(sizeof(*t));

    if (!t) {
        mv_log_errno(MV_LOG_ERROR, -ENOMEM, "network '%s': cannot queue work: out of memory", net->name);
        return NULL;
    }
    *t = (struct task){ .fn = fn, .net = netd_net_ref(net), .arg = arg };
    return t;
}

static int task_queue(struct task *t)
{
    int r = mv_worker_pool_push(netd.tasks, t);

    if (r < 0) {
        mv_error("network '%s': cannot queue work: %s", t->net->name,
                 r == -ECANCELED ? "shutting down" : strerror(-r));
        task_drop(t);
    }
    return r;
}

int netd_task_push(netd_task_fn fn, struct netd_net *net, long arg)
{
    struct task *t = task_new(fn, net, arg);

    return t ? task_queue(t) : -ENOMEM;
}

/* ---- delayed tasks ---- */

/* Tasks that wait for their time (a dnsmasq start tried again after a
 * pause) wait here, not on a task thread: one thread sleeps until the first
 * is due and queues it.  Not on the RPC loop's sd-event, which task threads
 * must not touch. */
struct delayed {
    struct delayed *next;
    long long due_ms;           /* mv_now_ms() */
    struct task *task;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* a new first task, or stop */
    struct delayed *head;       /* by due time */
    pthread_t thread;
    bool started, stopping;
} timer = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The first task if it is due; else waits (lock held) and returns NULL. */
static struct delayed *timer_next(void)
{
    struct delayed *d = timer.head;
    struct timespec ts;
    long long left;

    if (!d) {
        pthread_cond_wait(&timer.cond, &timer.lock);
        return NULL;
    }
    if ((left = d->due_ms - mv_now_ms()) > 0) {
        mv_deadline_after(&ts, left > INT_MAX ? INT_MAX : (int)left);
        pthread_cond_timedwait(&timer.cond, &timer.lock, &ts);
        return NULL;
    }
    timer.head = d->next;
    return d;
}

static void *timer_main(void *arg)
{
    pthread_mutex_lock(&timer.lock);
    while (!timer.stopping) {
        struct delayed *d = timer_next();

        if (!d)
            continue;
        pthread_mutex_unlock(&timer.lock);
        task_queue(d->task);
        free(d);
        pthread_mutex_lock(&timer.lock);
    }
    pthread_mutex_unlock(&timer.lock);
    return NULL;
}

static int timer_start(void)
{
    int r = mv_cond_init_monotonic(&timer.cond);

    if (r < 0)
        return r;
    timer.stopping = false;
    if ((r = -pthread_create(&timer.thread, NULL, timer_main, NULL)) < 0) {
        pthread_cond_destroy(&timer.cond);
        return r;
    }
    timer.started = true;
    return 0;
}

/* No task queued from here on; those still waiting are dropped. */
static void timer_stop(void)
{
    struct delayed *d;

    if (!timer.started)
        return;
    pthread_mutex_lock(&timer.lock);
    timer.stopping = true;
    pthread_cond_signal(&timer.cond);
    pthread_mutex_unlock(&timer.lock);
    pthread_join(timer.thread, NULL);
    while ((d = timer.head)) {
        timer.head = d->next;
        task_drop(d->task);
        free(d);
    }
    pthread_cond_destroy(&timer.cond);
    timer.started = false;
}

int netd_task_push_after(netd_task_fn fn, struct netd_net *net, long arg, unsigned int delay_ms)
{
    struct delayed *d = malloc(sizeof(*d)), **pos;

    if (!d || !(d->task = task_new(fn, net, arg))) {
        free(d);
        return -ENOMEM;
    }
    d->due_ms = mv_now_ms() + delay_ms;
    pthread_mutex_lock(&timer.lock);
    if (timer.stopping || !timer.started) {
        pthread_mutex_unlock(&timer.lock);
        task_drop(d->task);
        free(d);
        return -ECANCELED;
    }
    for (pos = &timer.head; *pos && (*pos)->due_ms <= d->due_ms; pos = &(*pos)->next)
        ;
    d->next = *pos;
    *pos = d;
    if (timer.head == d)
        pthread_cond_signal(&timer.cond);   /* the thread waits for a later one */
    pthread_mutex_unlock(&timer.lock);
    return 0;
}

/* The watcher thread's report: restarting happens on a task thread. */
static void dnsmasq_exited(struct netd_net *net, pid_t pid)
{
    netd_task_push(netd_dnsmasq_died, net, (long)pid);
}

/* ---- init ---- */

static int read_settings(const mv_conf *conf, char **errmsg)
{
    long long wait_s = JOB_WAIT_S;
    int r;

    if ((r = mv_conf_get_string(conf, "dnsmasq", &netd.dnsmasq_binary, errmsg)) < 0)
        return r;
    if (!netd.dnsmasq_binary && !(netd.dnsmasq_binary = strdup(DNSMASQ_DEFAULT)))
        return -ENOMEM;
    if (netd.dnsmasq_binary[0] != '/')
        return mv_errmsg_set(errmsg, -EINVAL, "dnsmasq = '%s': the path must be absolute", netd.dnsmasq_binary);
    if ((r = mv_conf_get_int(conf, "job_wait_timeout", 1, 3600, &wait_s, errmsg)) < 0)
        return r;
    netd.job_wait_ms = (unsigned int)wait_s * 1000u;
    netd.dnsmasq.binary = netd.dnsmasq_binary;
    /* Debian's dnsmasq-base creates the user "dnsmasq"; without it, nobody */
    netd.dnsmasq.user = getpwnam("dnsmasq") ? "dnsmasq" : "nobody";
    return 0;
}

static int make_dirs(const struct mv_paths *paths)
{
    int r;

    if (!(netd.dnsmasq_dir = mv_store_path(netd.store->rundir, "dnsmasq", "")) ||
        !(netd.portdir = mv_store_path(netd.store->rundir, "ports", "")) ||
        !(netd.statedir = mv_store_path(paths->statedir, "network", "")) ||
        !(netd.dnsmasq_logdir = mv_store_path(paths->logdir, "network", "")))
        return -ENOMEM;
    netd.dnsmasq.dir = netd.dnsmasq_dir;
    netd.dnsmasq.logdir = netd.dnsmasq_logdir;
    /* the store keeps its rundir private (0700), but dnsmasq re-reads its
     * hosts files in dnsmasq/ below it as its own user: others may pass
     * through, not list (the status files in it stay 0600) */
    if (chmod(netd.store->rundir, 0711) < 0)
        return mv_log_errno(MV_LOG_ERROR, -errno, "cannot open '%s' to dnsmasq's user: %s",
                            netd.store->rundir, strerror(errno));
    if ((r = mv_mkdir_p(netd.dnsmasq_dir, 0755)) < 0 || (r = mv_mkdir_p(netd.portdir, 0700)) < 0 ||
        (r = mv_mkdir_p(netd.statedir, 0755)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot create the directories of netd under '%s' and '%s': %s",
                            netd.store->rundir, paths->statedir, strerror(-r));
    return 0;
}

int netd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    int r;

    netd.paths = ctx->paths;
    netd.event = ctx->event;
    pthread_mutex_init(&netd.bridge_lock, NULL);
    pthread_mutex_init(&netd.start_lock, NULL);
    if ((r = read_settings(conf, errmsg)) < 0 || (r = netd_store_init(ctx->paths)) < 0 ||
        (r = make_dirs(ctx->paths)) < 0)
        return r;
    if ((r = netd_registry_init()) < 0 || (r = netd_events_init()) < 0 ||
        (r = mv_worker_pool_new(TASK_THREADS, task_run, &netd.tasks)) < 0 || (r = timer_start()) < 0 ||
        (r = netd_watcher_start(dnsmasq_exited, &netd.watcher)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot set up the network driver: %s", strerror(-r));
    return 0;
}

/* ---- loading ---- */

/* True if netd made up a part of DEF that its file XML leaves out: the
 * bridge name (picked), the UUID or the MAC (generated by the parser). */
static bool filled_in(const char *xml, const struct mv_net_def *def)
{
    return !strstr(xml, "<bridge") || !strstr(xml, "<uuid") || (def->mac && !strstr(xml, "<mac"));
}

/* Saves DEF, whose file left parts out: picked or generated again at each
 * start they would change (another virbrN once that one is taken, another
 * MAC), and with them what guests and the admin see. */
static void save_filled_in(const struct mv_net_def *def, const char *path)
{
    struct mv_err err = { 0 };

    if (netd_store_save_config(def, &err) == 0) {
        mv_info("'%s' left out the bridge name, UUID or MAC of network '%s': saved with those netd chose (bridge %s)",
                path, def->name, def->bridge.name);
        return;
    }
    mv_warn("'%s': cannot save network '%s' with the bridge name, UUID and MAC netd chose (%s): they may change "
            "at netd's next start", path, def->name, err.message ? err.message : "failed");
    mv_err_clear(&err);
}

static void load_definition(const char *name, const char *path, void *opaque)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    _cleanup_net_unref_ struct netd_net *net = NULL, *holder = NULL;
    struct mv_err err = { 0 };
    int r;

    if ((r = mv_file_read_all(path, NETD_DEFINITION_MAX, &xml, NULL)) < 0) {
        if (r == -EFBIG)
            mv_error("ignoring '%s': larger than the %d bytes netd reads", path, NETD_DEFINITION_MAX);
        else
            mv_error("ignoring '%s': %s", path, strerror(-r));
        return;
    }
    if (mv_net_def_parse(xml, &def, &msg) < 0) {
        mv_error("ignoring '%s': %s", path, msg ? msg : "cannot parse");
        return;
    }
    if (strcmp(def->name, name) != 0) {
        mv_error("ignoring '%s': it defines network '%s'", path, def->name);
        return;
    }
    /* a hand-written file may leave the bridge out: pick one as define does */
    if (!def->bridge.name && netd_net_assign_bridge(def, NULL, &err) < 0) {
        mv_error("ignoring '%s': %s", path, err.message ? err.message : "no bridge name");
        mv_err_clear(&err);
        return;
    }
    if (filled_in(xml, def))
        save_filled_in(def, path);
    if (netd_registry_add(def->name, def->uuid, "load", &net, &holder) < 0) {
        mv_error("ignoring '%s': its name or uuid is taken", path);
        return;
    }
    net->def = TAKE_PTR(def);
    net->autostart = mv_store_get_autostart(netd.store, name);
    pthread_mutex_unlock(&net->lock);
    netd_job_end(net);
}

static void load_status(const char *name, const char *path, void *opaque)
{
    _cleanup_net_unref_ struct netd_net *net = NULL, *holder = NULL;
    _cleanup_free_ char *msg = NULL;
    struct netd_status st = { 0 };

    if (netd_store_read_status(path, &st, &msg) < 0) {
        mv_error("ignoring status file: %s", msg ? msg : path);
        return;
    }
    if (!(net = netd_registry_find_uuid(st.live->uuid))) {
        if (netd_registry_add(st.live->name, st.live->uuid, "load", &net, &holder) < 0) {
            mv_error("ignoring the status of network '%s': its name is taken", st.live->name);
            netd_status_clear(&st);
            return;
        }
        pthread_mutex_unlock(&net->lock);
        netd_job_end(net);
    }
    if (!netd_net_readopt(net, &st) && !net->def)
        netd_registry_remove(net);      /* a transient network that is gone */
    netd_status_clear(&st);
}

/* ---- autostart ---- */

static void autostart_one(struct netd_net *net, long arg)
{
    struct mv_net_def *def = NULL;
    struct mv_err err = { 0 };

    if (mv_job_begin(&net->obj, "start", -1, NULL) < 0)
        return;                 /* undefined meanwhile */
    pthread_mutex_lock(&net->lock);
    if (!net->active && net->def && net->autostart && !(def = mv_net_def_copy(net->def)))
        mv_error("cannot autostart network '%s': out of memory", net->name);
    pthread_mutex_unlock(&net->lock);
    if (def && netd_net_start(net, def, &err) < 0) {
        mv_error("cannot autostart network '%s': %s", net->name, err.message ? err.message : "failed");
        mv_err_clear(&err);
    }
    netd_job_end(net);
}

/* Once per host boot (the store keeps the marker in the run directory). */
static void autostart_all(void)
{
    struct netd_net **nets = NULL;
    size_t n = 0;

    if (!mv_store_autostart_due(netd.store) || netd_registry_list(&nets, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (nets[i]->autostart)
            netd_task_push(autostart_one, nets[i], 0);
    netd_net_list_free(nets, n);
}

int netd_driver_start(struct mv_daemon_ctx *ctx)
{
    mv_store_each_config(netd.store, load_definition, NULL);
    mv_store_each_status(netd.store, load_status, NULL);
    /* the guests' ports, once their networks are active again */
    netd_port_store_load();
    netd_default_network();
    autostart_all();
    return 0;
}

bool netd_driver_busy(void)
{
    return netd_registry_any_active();
}

/* Networks keep running; only our threads and state go. */
void netd_driver_cleanup(void)
{
    /* the watcher and the timer queue tasks and tasks add watches and
     * delayed tasks: first no more reports, then no more tasks, then the
     * watches go */
    netd_watcher_stop(netd.watcher);
    timer_stop();
    mv_worker_pool_free(netd.tasks, task_drop);
    netd_watcher_free(netd.watcher);
    netd_events_cleanup();
    netd_registry_cleanup();
    netd_store_cleanup();
    free(netd.dnsmasq_binary);
    free(netd.dnsmasq_dir);
    free(netd.dnsmasq_logdir);
    free(netd.portdir);
    free(netd.statedir);
    pthread_mutex_destroy(&netd.bridge_lock);
    pthread_mutex_destroy(&netd.start_lock);
    memset(&netd, 0, sizeof(netd));
}
