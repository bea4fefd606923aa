/* QMP commands for a domain, and QEMU's events turned into domain state. */
#define MV_LOG_MODULE "qemud.monitor"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain_events.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_task.h"
#include "log.h"
#include "monotime.h"
#include "qemud.h"
#include "qmp.h"

/* What the callbacks hold: the domain and the run they belong to. */
struct qemud_mon_ctx {
    struct qemud_dom *dom;          /* referenced */
    uint64_t gen;
};

/* Locks DOM if the event still belongs to its current run. */
static bool lock_current(struct qemud_mon_ctx *ctx)
{
    pthread_mutex_lock(&ctx->dom->lock);
    if (ctx->dom->run_gen == ctx->gen && qemud_dom_is_active(ctx->dom))
        return true;
    pthread_mutex_unlock(&ctx->dom->lock);
    return false;
}

static void on_stop(struct qemud_dom *dom)
{
    int id = dom->id;

    if (dom->fake_reboot || dom->shutdown_seen || dom->state == QEMUD_STATE_PAUSED) {
        pthread_mutex_unlock(&dom->lock);
        return;
    }
    qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, dom->pause_requested ? QEMUD_PAUSED_USER : QEMUD_PAUSED_UNKNOWN);
    dom->pause_requested = false;
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_SUSPENDED, QEMUD_DETAIL_SUSPENDED_PAUSED);
}

static void on_resume(struct qemud_dom *dom)
{
    int id = dom->id;

    if (dom->state != QEMUD_STATE_PAUSED) {
        pthread_mutex_unlock(&dom->lock);
        return;
    }
    qemud_dom_set_state(dom, QEMUD_STATE_RUNNING,
                        !dom->starting ? QEMUD_RUNNING_UNPAUSED
                                       : dom->restoring ? QEMUD_RUNNING_RESTORED : QEMUD_RUNNING_BOOTED);
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_RESUMED, QEMUD_DETAIL_RESUMED_UNPAUSED);
}

static void on_shutdown(struct qemud_mon_ctx *ctx, json_object *data)
{
    struct qemud_dom *dom = ctx->dom;
    json_object *guest = NULL;
    bool by_guest = data && json_object_object_get_ex(data, "guest", &guest) && json_object_get_boolean(guest);
    int id = dom->id, detail;

    if (dom->fake_reboot) {
        pthread_mutex_unlock(&dom->lock);
        qemud_task_push(qemud_process_finish_reboot, dom, ctx->gen);
        return;
    }
    if (dom->shutdown_seen) {
        pthread_mutex_unlock(&dom->lock);   /* a repeated SHUTDOWN (e.g. after "quit") */
        return;
    }
    dom->shutdown_seen = true;
    qemud_dom_set_state(dom, QEMUD_STATE_SHUTDOWN, QEMUD_SHUTDOWN_USER);
    detail = by_guest && !dom->shutdown_requested ? QEMUD_DETAIL_SHUTDOWN_GUEST : QEMUD_DETAIL_SHUTDOWN_HOST;
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_SHUTDOWN, detail);
}

static void on_panic(struct qemud_dom *dom)
{
    int id = dom->id;

    qemud_dom_set_state(dom, QEMUD_STATE_CRASHED, QEMUD_CRASHED_PANICKED);
    pthread_mutex_unlock(&dom->lock);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_CRASHED, QEMUD_DETAIL_CRASHED_PANICKED);
}

/* Handlers of the other events (qemud_monitor_on_event): filled before the
 * daemon serves, read-only after. */
#define MONITOR_HANDLERS_MAX 32
static struct {
    const char *name;
    qemud_monitor_event_fn fn;
} handlers[MONITOR_HANDLERS_MAX];
static size_t n_handlers;

int qemud_monitor_on_event(const char *name, qemud_monitor_event_fn fn)
{
    if (n_handlers == MONITOR_HANDLERS_MAX)
        return -ENOSPC;
    handlers[n_handlers].name = name;
    handlers[n_handlers++].fn = fn;
    return 0;
}

static void run_handlers(struct qemud_mon_ctx *ctx, const char *name, json_object *data)
{
    for (size_t i = 0; i < n_handlers; i++)
        if (strcmp(handlers[i].name, name) == 0)
            handlers[i].fn(ctx->dom, ctx->gen, data);
}

/* Handlers of every event (qemud_monitor_on_any_event): the same rules. */
#define MONITOR_ANY_HANDLERS_MAX 4
static qemud_monitor_any_event_fn any_handlers[MONITOR_ANY_HANDLERS_MAX];
static size_t n_any_handlers;

int qemud_monitor_on_any_event(qemud_monitor_any_event_fn fn)
{
    if (n_any_handlers == MONITOR_ANY_HANDLERS_MAX)
        return -ENOSPC;
    any_handlers[n_any_handlers++] = fn;
    return 0;
}

static void run_any_handlers(struct mv_qmp *mon, struct qemud_mon_ctx *ctx, const char *name,
                             json_object *data)
{
    long long seconds;
    unsigned int micros;

    if (n_any_handlers == 0)
        return;
    mv_qmp_event_time(mon, &seconds, &micros);
    for (size_t i = 0; i < n_any_handlers; i++)
        any_handlers[i](ctx->dom, ctx->gen, name, data, seconds, micros);
}

/* Monitor thread: must not block, so it only updates state and sends events. */
static void on_event(struct mv_qmp *mon, const char *name, json_object *data, void *opaque)
{
    struct qemud_mon_ctx *ctx = opaque;
    int id;

    mv_debug("domain '%s': QMP event %s", ctx->dom->name, name);
    /* as QEMU said it, before what it means for the domain's state */
    run_any_handlers(mon, ctx, name, data);
    if (!lock_current(ctx))
        return;
    if (strcmp(name, "STOP") == 0)
        on_stop(ctx->dom);
    else if (strcmp(name, "RESUME") == 0)
        on_resume(ctx->dom);
    else if (strcmp(name, "SHUTDOWN") == 0)
        on_shutdown(ctx, data);
    else if (strcmp(name, "GUEST_PANICKED") == 0)
        on_panic(ctx->dom);
    else if (strcmp(name, "RESET") == 0) {
        id = ctx->dom->id;
        pthread_mutex_unlock(&ctx->dom->lock);
        qemud_event_reboot(ctx->dom, id);
    } else {
        pthread_mutex_unlock(&ctx->dom->lock);
        run_handlers(ctx, name, data);
    }
}

static void on_closed(struct mv_qmp *mon, void *opaque)
{
    struct qemud_mon_ctx *ctx = opaque;

    mv_debug("domain '%s': QMP monitor closed", ctx->dom->name);
    pthread_mutex_lock(&ctx->dom->lock);
    ctx->dom->mon_eof = true;
    pthread_cond_broadcast(&ctx->dom->job_cond);    /* qemud_monitor_wait_eof() */
    pthread_mutex_unlock(&ctx->dom->lock);
    qemud_task_push(qemud_process_exited, ctx->dom, ctx->gen);
}

static const struct mv_qmp_callbacks callbacks = { .event = on_event, .closed = on_closed };

int qemud_monitor_open(struct qemud_dom *dom, int timeout_ms, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    struct qemud_mon_ctx *ctx = calloc(1, sizeof(*ctx));
    struct mv_qmp *mon = NULL;
    int r;

    if (!ctx)
        return -ENOMEM;
    pthread_mutex_lock(&dom->lock);
    ctx->dom = qemud_dom_ref(dom);
    ctx->gen = dom->run_gen;
    pthread_mutex_unlock(&dom->lock);
    r = mv_qmp_open(qemud.qmp, dom->monitor_path, dom->pidfd, timeout_ms, &callbacks, ctx, &mon, &msg);
    if (r < 0) {
        qemud_dom_unref(ctx->dom);
        free(ctx);
        if (r == -ESRCH)
            return r;       /* QEMU exited: the caller reports its log */
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: cannot connect to the QEMU monitor of domain '%s' at '%s': %s",
                          dom->name, dom->monitor_path, msg ? msg : strerror(-r));
    }
    pthread_mutex_lock(&dom->lock);
    dom->mon = mon;
    dom->mon_ctx = ctx;
    dom->mon_eof = false;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

json_object *qemud_monitor_shutdown_action(const char *action)
{
    json_object *args = json_object_new_object();
    json_object *value = json_object_new_string(action);

    if (!args || !value || json_object_object_add(args, "shutdown", value) < 0) {
        json_object_put(value);
        json_object_put(args);
        return NULL;
    }
    return args;
}

void qemud_monitor_wait_eof(struct qemud_dom *dom, int ms)
{
    struct timespec deadline;

    mv_deadline_after(&deadline, ms);
    pthread_mutex_lock(&dom->lock);
    while (dom->mon && !dom->mon_eof)
        if (pthread_cond_timedwait(&dom->job_cond, &dom->lock, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&dom->lock);
}

void qemud_monitor_close(struct qemud_dom *dom)
{
    struct mv_qmp *mon;
    struct qemud_mon_ctx *ctx;

    pthread_mutex_lock(&dom->lock);
    mon = dom->mon;
    ctx = dom->mon_ctx;
    dom->mon = NULL;
    dom->mon_ctx = NULL;
    pthread_mutex_unlock(&dom->lock);
    mv_qmp_close(mon);
    if (ctx) {
        qemud_dom_unref(ctx->dom);
        free(ctx);
    }
}

/* DOM's monitor for the holder of its job: QEMU adopted without its monitor
 * is tried again.  NULL with ERR set. */
static struct mv_qmp *job_monitor(struct qemud_dom *dom, struct mv_err *err)
{
    struct mv_qmp *mon;
    bool reopen;

    pthread_mutex_lock(&dom->lock);
    mon = dom->mon;
    reopen = !mon && qemud_dom_is_active(dom) && dom->pid > 0 && !dom->stopping && !dom->starting;
    pthread_mutex_unlock(&dom->lock);
    /* a QEMU adopted without its monitor (it did not answer at re-attach)
     * may answer now: the job holder tries again */
    if (reopen && qemud_monitor_open(dom, (int)qemud.monitor_timeout_ms, err) == 0) {
        mv_info("domain '%s': re-attached to the monitor of QEMU (pid %d)", dom->name, (int)dom->pid);
        pthread_mutex_lock(&dom->lock);
        mon = dom->mon;
        pthread_mutex_unlock(&dom->lock);
    } else if (reopen) {
        return NULL;
    }
    if (!mon)
        mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                   "Requested operation is not valid: domain '%s' is not running", dom->name);
    return mon;
}

int qemud_monitor_command(struct qemud_dom *dom, const char *cmd, json_object *args,
                          json_object **reply, struct mv_err *err)
{
    return qemud_monitor_command_fd(dom, cmd, args, -1, reply, err);
}

int qemud_monitor_command_fd(struct qemud_dom *dom, const char *cmd, json_object *args, int fd,
                             json_object **reply, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_qmp *mon = job_monitor(dom, err);
    int r;

    if (!mon) {
        json_object_put(args);
        return -EIO;
    }
    /* the job holder keeps the monitor open: only stop paths close it, under the job */
    r = mv_qmp_command_fd(mon, cmd, args, fd, (int)qemud.monitor_timeout_ms, reply, &msg);
    if (r == -ETIMEDOUT)
        return mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                          "Timed out during operation: QEMU of domain '%s' did not answer '%s' within %u ms",
                          dom->name, cmd, qemud.monitor_timeout_ms);
    if (r == -EREMOTEIO)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU of domain '%s' refused '%s': %s", dom->name, cmd,
                          msg ? msg : "no reason given");
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU of domain '%s' went away during '%s'", dom->name, cmd);
    return 0;
}

int qemud_monitor_command_raw(struct qemud_dom *dom, json_object *cmd, char **reply, struct mv_err *err)
{
    struct mv_qmp *mon = job_monitor(dom, err);
    json_object *name = NULL;
    const char *what;
    int r;

    if (!mon)
        return -EIO;
    json_object_object_get_ex(cmd, "execute", &name);
    what = name ? json_object_get_string(name) : "a command";
    r = mv_qmp_command_raw(mon, cmd, (int)qemud.monitor_timeout_ms, reply);
    if (r == -ETIMEDOUT)
        return mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                          "Timed out during operation: QEMU of domain '%s' did not answer '%s' within %u ms",
                          dom->name, what, qemud.monitor_timeout_ms);
    if (r == -ECONNRESET)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU of domain '%s' went away during '%s'", dom->name, what);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot send '%s' to QEMU of domain '%s': %s", what, dom->name,
                          strerror(-r));
    return 0;
}
