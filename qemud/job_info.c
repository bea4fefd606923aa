/*
 * Job progress records and the job queries (job_info.h).  One list of
 * records for the driver, under a leaf lock: a query copies what it needs
 * while holding it, so a record can go as soon as its job ends.
 */
#define MV_LOG_MODULE "qemud.job"
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_wire.h"
#include "job_info.h"
#include "log.h"
#include "qemud.h"

/* virDomainJobType */
enum { JOB_NONE = 0, JOB_UNBOUNDED = 2, JOB_COMPLETED = 3 };
/* virDomainGetJobStats flags */
enum { STATS_COMPLETED = 1, STATS_KEEP_COMPLETED = 2 };
/* virDomainAbortJobFlags: POSTCOPY (no post-copy here) */
enum { ABORT_POSTCOPY = 1 };

struct qemud_job_progress {
    struct qemud_job_progress *next;
    char uuid[MV_UUID_STRING_LEN];
    int operation;
    bool active;                    /* false: a completed job kept for STATS_COMPLETED */
    bool aborted;
    uint64_t start_ms, end_ms;
    struct qemud_job_stats st;
    int abort_fd;                   /* eventfd, owned while active */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct qemud_job_progress *records;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* DOM's record (active or kept), with the lock held; NULL if none. */
static struct qemud_job_progress *find_locked(const char *uuid, bool active)
{
    for (struct qemud_job_progress *p = records; p; p = p->next)
        if (p->active == active && strcmp(p->uuid, uuid) == 0)
            return p;
    return NULL;
}

static void unlink_locked(struct qemud_job_progress *p)
{
    for (struct qemud_job_progress **pp = &records; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

struct qemud_job_progress *qemud_job_progress_begin(struct qemud_dom *dom, int operation)
{
    struct qemud_job_progress *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    if ((p->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        free(p);
        return NULL;
    }
    snprintf(p->uuid, sizeof(p->uuid), "%s", dom->uuid_str);
    p->operation = operation;
    p->active = true;
    p->start_ms = now_ms();
    pthread_mutex_lock(&lock);
    p->next = records;
    records = p;
    pthread_mutex_unlock(&lock);
    return p;
}

int qemud_job_progress_abort_fd(const struct qemud_job_progress *p)
{
    return p->abort_fd;
}

bool qemud_job_progress_aborted(struct qemud_job_progress *p)
{
    bool a;

    pthread_mutex_lock(&lock);
    a = p->aborted;
    pthread_mutex_unlock(&lock);
    return a;
}

void qemud_job_progress_update(struct qemud_job_progress *p, const struct qemud_job_stats *st)
{
    pthread_mutex_lock(&lock);
    p->st = *st;
    pthread_mutex_unlock(&lock);
}

void qemud_job_progress_end(struct qemud_job_progress *p, bool completed)
{
    struct qemud_job_progress *old;

    if (!p)
        return;
    pthread_mutex_lock(&lock);
    unlink_locked(p);
    p->active = false;
    p->end_ms = now_ms();
    if ((old = find_locked(p->uuid, false))) {
        unlink_locked(old);
        free(old);
    }
    if (completed) {
        p->next = records;
        records = p;
    }
    pthread_mutex_unlock(&lock);
    close(p->abort_fd);
    p->abort_fd = -1;
    if (!completed)
        free(p);
}

static uint64_t jget(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v))
        return 0;
    return (uint64_t)json_object_get_int64(v);
}

void qemud_job_stats_from_qmp(json_object *r, struct qemud_job_stats *st)
{
    json_object *ram = NULL;
    uint64_t file = st->file_processed;

    json_object_object_get_ex(r, "ram", &ram);
    memset(st, 0, sizeof(*st));
    st->file_processed = file;
    st->mem_total = jget(ram, "total");
    st->mem_processed = jget(ram, "transferred");
    st->mem_remaining = jget(ram, "remaining");
    st->mem_constant = jget(ram, "duplicate");
    st->mem_normal = jget(ram, "normal");
    st->mem_normal_bytes = jget(ram, "normal-bytes");
    st->mem_bps = (uint64_t)(json_object_get_double(ram ? json_object_object_get(ram, "mbps") : NULL) * 1e6 / 8);
    st->mem_dirty_rate = jget(ram, "dirty-pages-rate");
    st->mem_iteration = jget(ram, "dirty-sync-count");
    st->mem_page_size = jget(ram, "page-size");
    st->setup_time = jget(r, "setup-time");
    st->downtime = jget(r, "downtime");
    st->data_total = st->mem_total;
    st->data_processed = st->mem_processed;
    st->data_remaining = st->mem_remaining;
}

/* A copy of DOM's record (active, or the kept completed one): false if none. */
static bool snapshot(const struct qemud_dom *dom, bool completed, struct qemud_job_progress *out)
{
    struct qemud_job_progress *p;

    pthread_mutex_lock(&lock);
    p = find_locked(dom->uuid_str, !completed);
    if (p)
        *out = *p;
    pthread_mutex_unlock(&lock);
    return p != NULL;
}

static uint64_t elapsed(const struct qemud_job_progress *p)
{
    return (p->active ? now_ms() : p->end_ms) - p->start_ms;
}

static int get_job_info(struct mv_call *call, mv_domain_args *args, mv_domain_get_job_info_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    struct qemud_job_progress p;

    if (!dom)
        return -EIO;
    memset(ret, 0, sizeof(*ret));
    if (!snapshot(dom, false, &p))
        return 0;           /* JOB_NONE */
    ret->type = JOB_UNBOUNDED;
    ret->timeElapsed = elapsed(&p);
    ret->dataTotal = p.st.data_total;
    ret->dataProcessed = p.st.data_processed;
    ret->dataRemaining = p.st.data_remaining;
    ret->memTotal = p.st.mem_total;
    ret->memProcessed = p.st.mem_processed;
    ret->memRemaining = p.st.mem_remaining;
    ret->fileProcessed = p.st.file_processed;
    return 0;
}

/* ---- typed parameters ---- */

struct params {
    mv_typed_param *v;
    unsigned int n;
};

static int add_param(struct params *ps, const char *field, int type, uint64_t value)
{
    mv_typed_param *p;

    if (ps->n >= MV_DOMAIN_JOB_STATS_MAX)
        return -E2BIG;
    p = &ps->v[ps->n];
    if (!(p->field = strdup(field)))
        return -ENOMEM;
    p->value.type = type;
    if (type == 1)
        p->value.mv_typed_param_value_u.i = (int)value;
    else if (type == 6)
        p->value.mv_typed_param_value_u.b = value != 0;
    else
        p->value.mv_typed_param_value_u.ul = value;
    ps->n++;
    return 0;
}

#define ULL 4

static int fill_stats(struct params *ps, const struct qemud_job_progress *p, bool completed)
{
    const struct qemud_job_stats *st = &p->st;
    const struct { const char *name; uint64_t v; } ulls[] = {
        { "time_elapsed", elapsed(p) },
        { "data_total", st->data_total },           { "data_processed", st->data_processed },
        { "data_remaining", st->data_remaining },   { "memory_total", st->mem_total },
        { "memory_processed", st->mem_processed },  { "memory_remaining", st->mem_remaining },
        { "memory_constant", st->mem_constant },    { "memory_normal", st->mem_normal },
        { "memory_normal_bytes", st->mem_normal_bytes }, { "memory_bps", st->mem_bps },
        { "memory_dirty_rate", st->mem_dirty_rate }, { "memory_page_size", st->mem_page_size },
        { "memory_iteration", st->mem_iteration },  { "setup_time", st->setup_time },
    };
    int r;

    if ((r = add_param(ps, "operation", 1, (uint64_t)p->operation)) < 0)
        return r;
    for (size_t i = 0; i < MV_ARRAY_SIZE(ulls); i++)
        if ((r = add_param(ps, ulls[i].name, ULL, ulls[i].v)) < 0)
            return r;
    if (completed && (r = add_param(ps, "success", 6, 1)) < 0)
        return r;
    return 0;
}

static int get_job_stats(struct mv_call *call, mv_domain_flags_args *args, mv_domain_get_job_stats_ret *ret)
{
    const unsigned int known = STATS_COMPLETED | STATS_KEEP_COMPLETED;
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    bool completed = args->flags & STATS_COMPLETED;
    struct qemud_job_progress p;
    struct params ps = { 0 };
    int r;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainGetJobStats");
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    ret->type = JOB_NONE;
    if (!snapshot(dom, completed, &p))
        return 0;
    if (!(ps.v = calloc(MV_DOMAIN_JOB_STATS_MAX, sizeof(*ps.v))))
        return -ENOMEM;
    ret->params.params_val = ps.v;
    r = fill_stats(&ps, &p, completed);
    ret->params.params_len = ps.n;
    ret->type = completed ? JOB_COMPLETED : JOB_UNBOUNDED;
    return r;
}

static int abort_dom(struct mv_call *call, const mv_nonnull_domain *wire)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, wire);
    struct qemud_job_progress *p;
    uint64_t one = 1;
    bool found;

    if (!dom)
        return -EIO;
    pthread_mutex_lock(&lock);
    p = find_locked(dom->uuid_str, true);
    if ((found = p != NULL)) {
        p->aborted = true;
        if (write(p->abort_fd, &one, sizeof(one)) < 0)
            mv_debug("domain '%s': abort wake-up: %s", dom->name, strerror(errno));
    }
    pthread_mutex_unlock(&lock);
    if (!found)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: no job is active on domain '%s'", dom->name);
    mv_info("domain '%s': abort of its job requested", dom->name);
    return 0;
}

static int abort_job(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return abort_dom(call, &args->dom);
}

static int abort_job_flags(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    if (args->flags & ABORT_POSTCOPY)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: no post-copy migration is running");
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainAbortJobFlags");
    return abort_dom(call, &args->dom);
}

static const struct mv_dispatch_entry job_procs[] = {
    MV_HANDLER(DOMAIN_GET_JOB_INFO, get_job_info),
    MV_HANDLER(DOMAIN_GET_JOB_STATS, get_job_stats),
    MV_HANDLER(DOMAIN_ABORT_JOB, abort_job),
    MV_HANDLER(DOMAIN_ABORT_JOB_FLAGS, abort_job_flags),
};
const struct mv_dispatch_table qemud_job_info_table = { job_procs, MV_ARRAY_SIZE(job_procs) };
