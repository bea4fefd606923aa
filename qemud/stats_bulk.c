/*
 * CONNECT_GET_ALL_DOMAIN_STATS (virConnectGetAllDomainStats and
 * virDomainListGetStats): the statistics of many domains in one call.
 * Domains are gathered in parallel by a few threads, each domain in one
 * QMP round (stats_collect.c), so one slow QEMU costs the call its own
 * monitor timeout and never delays the other domains' rounds.
 */
#define MV_LOG_MODULE "qemud.stats"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_wire.h"
#include "log.h"
#include "qemud.h"
#include "stats_params.h"

/* VIR_CONNECT_GET_ALL_DOMAINS_STATS_* (wire-protocol.md 8.13) */
enum {
    F_ACTIVE = 1, F_INACTIVE = 2, F_PERSISTENT = 4, F_TRANSIENT = 8, F_RUNNING = 16, F_PAUSED = 32,
    F_SHUTOFF = 64, F_OTHER = 128,
};
#define F_NOWAIT (1u << 29)
/* BACKING is accepted but not honoured: a disk-only snapshot gives a disk a
 * backing chain, yet block.N reports only its top layer (no backingIndex
 * entries for the layers below), as without the flag */
#define F_BACKING (1u << 30)
#define F_ENFORCE (1u << 31)
#define STATS_FLAGS (0xffu | F_NOWAIT | F_BACKING | F_ENFORCE)
#define BULK_THREADS 8

static bool group_ok(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    unsigned int g = flags & (yes | no);

    return g == 0 || g == (yes | no) || (value ? (g & yes) : (g & no));
}

/* The same state filters as CONNECT_LIST_ALL_DOMAINS. */
static bool wanted(struct qemud_dom *dom, unsigned int flags)
{
    unsigned int states = flags & (F_RUNNING | F_PAUSED | F_SHUTOFF | F_OTHER);
    bool ok;
    int s;

    pthread_mutex_lock(&dom->lock);
    s = dom->state;
    ok = qemud_dom_current_def(dom) && group_ok(flags, F_ACTIVE, F_INACTIVE, qemud_dom_is_active(dom)) &&
         group_ok(flags, F_PERSISTENT, F_TRANSIENT, dom->def != NULL);
    pthread_mutex_unlock(&dom->lock);
    if (!ok || !states)
        return ok;
    return ((states & F_RUNNING) && s == QEMUD_STATE_RUNNING) || ((states & F_PAUSED) && s == QEMUD_STATE_PAUSED) ||
           ((states & F_SHUTOFF) && s == QEMUD_STATE_SHUTOFF) ||
           ((states & F_OTHER) && s != QEMUD_STATE_RUNNING && s != QEMUD_STATE_PAUSED && s != QEMUD_STATE_SHUTOFF);
}

/* The domains the call names (unknown ones are skipped, as libvirt does)
 * or all of them, filtered; referenced. */
static int select_domains(const mv_connect_get_all_domain_stats_args *args, struct qemud_dom ***ret, size_t *nret)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0, kept = 0;
    int r;

    if (args->doms.doms_len == 0) {
        if ((r = qemud_registry_list(&doms, &n)) < 0)
            return r;
    } else {
        if (!(doms = calloc(args->doms.doms_len, sizeof(*doms))))
            return -ENOMEM;
        for (size_t i = 0; i < args->doms.doms_len; i++) {
            struct qemud_dom *d = qemud_registry_find_uuid((const unsigned char *)args->doms.doms_val[i].uuid);
            bool dup = false;

            for (size_t j = 0; d && j < n; j++)
                dup = dup || doms[j] == d;
            if (d && !dup)
                doms[n++] = d;
            else
                qemud_dom_unref(d);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (wanted(doms[i], args->flags & 0xffu))
            doms[kept++] = doms[i];
        else
            qemud_dom_unref(doms[i]);
    }
    *ret = doms;
    *nret = kept;
    return 0;
}

struct bulk {
    struct qemud_dom **doms;
    struct qemud_stats *stats;
    size_t n;
    atomic_size_t next;
    unsigned int groups;
    int job_wait_ms;
    atomic_int err;                 /* -ENOMEM from any thread */
};

static void *bulk_worker(void *opaque)
{
    struct bulk *b = opaque;
    size_t i;

    while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
        struct mv_err err = { 0 };

        if (qemud_stats_collect(b->doms[i], b->groups, b->job_wait_ms, false, &b->stats[i], &err) < 0)
            atomic_store(&b->err, -ENOMEM);
        mv_err_clear(&err);
    }
    return NULL;
}

/* Gathers every domain of B, with up to BULK_THREADS threads (this one included). */
static int gather(struct bulk *b)
{
    pthread_t threads[BULK_THREADS - 1];
    size_t started = 0, want = b->n < BULK_THREADS ? b->n : BULK_THREADS;

    for (; started + 1 < want; started++)
        if (pthread_create(&threads[started], NULL, bulk_worker, b) != 0)
            break;          /* fewer threads: the others take more domains each */
    bulk_worker(b);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return atomic_load(&b->err);
}

static int to_records(struct bulk *b, mv_connect_get_all_domain_stats_ret *ret)
{
    if (!(ret->retStats.retStats_val = calloc(b->n ? b->n : 1, sizeof(mv_domain_stats_record))))
        return -ENOMEM;
    for (size_t i = 0; i < b->n; i++) {
        mv_domain_stats_record *rec = &ret->retStats.retStats_val[ret->retStats.retStats_len];
        struct qemud_stat_params tp = { .max = MV_CONNECT_GET_ALL_DOMAIN_STATS_MAX };
        int r;

        if (!b->stats[i].def)       /* gone (a transient domain stopped) since it was chosen */
            continue;
        if ((r = qemud_stats_to_params(&b->stats[i], b->groups, &tp)) < 0 ||
            (r = qemud_dom_to_wire(b->doms[i], &rec->dom)) < 0) {
            qemud_sp_free(&tp);
            return r;
        }
        rec->params.params_val = TAKE_PTR(tp.v);
        rec->params.params_len = (unsigned int)tp.n;
        ret->retStats.retStats_len++;
    }
    return 0;
}

/* The groups asked for, or an error naming one that is not supported. */
static int groups_of(struct mv_call *call, unsigned int stats, unsigned int flags, unsigned int *groups)
{
    unsigned int unsupported = stats & ~QEMUD_STATS_SUPPORTED;

    if (stats == 0) {
        *groups = QEMUD_STATS_SUPPORTED;
        return 0;
    }
    if (unsupported && (flags & F_ENFORCE))
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                             "argument unsupported: statistics group '%s' is not supported by modvirt-qemud",
                             qemud_stats_group_name(unsupported & -unsupported));
    *groups = stats & QEMUD_STATS_SUPPORTED;
    return 0;
}

static int get_all_domain_stats(struct mv_call *call, mv_connect_get_all_domain_stats_args *args,
                                mv_connect_get_all_domain_stats_ret *ret)
{
    struct bulk b = { 0 };
    int r;

    if (args->flags & ~STATS_FLAGS)
        return qemud_bad_flags(call, args->flags & ~STATS_FLAGS, "virConnectGetAllDomainStats");
    if ((r = groups_of(call, args->stats, args->flags, &b.groups)) < 0)
        return r;
    b.job_wait_ms = (args->flags & F_NOWAIT) ? 0 : (int)qemud.job_wait_ms;
    if ((r = select_domains(args, &b.doms, &b.n)) < 0)
        return r;
    if (!(b.stats = calloc(b.n ? b.n : 1, sizeof(*b.stats)))) {
        qemud_dom_list_free(b.doms, b.n);
        return -ENOMEM;
    }
    r = gather(&b);
    if (r == 0)
        r = to_records(&b, ret);
    for (size_t i = 0; i < b.n; i++)
        qemud_stats_clear(&b.stats[i]);
    free(b.stats);
    qemud_dom_list_free(b.doms, b.n);
    if (r == -E2BIG)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many statistics for one domain: more than %d",
                             MV_CONNECT_GET_ALL_DOMAIN_STATS_MAX);
    return r;
}

static const struct mv_dispatch_entry bulk_procs[] = {
    MV_HANDLER(CONNECT_GET_ALL_DOMAIN_STATS, get_all_domain_stats),
};
const struct mv_dispatch_table qemud_stats_bulk_table = { bulk_procs, MV_ARRAY_SIZE(bulk_procs) };
