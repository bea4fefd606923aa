/* Gathering one domain's statistics: one QMP round under its job, then the host's files. */
#define MV_LOG_MODULE "qemud.stats"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_job.h"
#include "guest_cgroup.h"
#include "log.h"
#include "qemud.h"
#include "qmp.h"
#include "stats.h"

static bool has_balloon(const struct mv_dom_def *def)
{
    const char *model = def->devices.memballoon.model;

    return def->devices.memballoon.given && model && strcmp(model, "virtio") == 0;
}

/* The queries GROUPS need, into B; returns how many. */
static size_t plan_queries(const struct qemud_stats *st, unsigned int groups, struct mv_qmp_batch *b)
{
    size_t n = 0;

    if (groups & QEMUD_STATS_BLOCK) {
        b[n++].cmd = "query-blockstats";
        b[n].cmd = "query-named-block-nodes";
        b[n++].args = json_object_new_object();
        if (b[n - 1].args)
            json_object_object_add(b[n - 1].args, "flat", json_object_new_boolean(1));
    }
    if ((groups & QEMUD_STATS_BALLOON) && has_balloon(st->def)) {
        const char *alias = st->def->devices.memballoon.alias;
        char path[128];

        b[n++].cmd = "query-balloon";
        snprintf(path, sizeof(path), "/machine/peripheral/%s", alias ? alias : "balloon0");
        b[n].cmd = "qom-get";
        if ((b[n].args = json_object_new_object())) {
            json_object_object_add(b[n].args, "path", json_object_new_string(path));
            json_object_object_add(b[n].args, "property", json_object_new_string("guest-stats"));
        }
        n++;
    }
    if (groups & QEMUD_STATS_VCPU)
        b[n++].cmd = "query-cpus-fast";
    return n;
}

static int round_error(struct qemud_dom *dom, const struct mv_qmp_batch *c, struct mv_err *err)
{
    if (c->r == -ETIMEDOUT)
        return mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                          "Timed out during operation: QEMU of domain '%s' did not answer '%s' within %u ms",
                          dom->name, c->cmd, qemud.monitor_timeout_ms);
    if (c->r == -EREMOTEIO)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU of domain '%s' refused '%s': %s", dom->name, c->cmd,
                          c->errmsg ? c->errmsg : "no reason given");
    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                      "operation failed: QEMU of domain '%s' went away during '%s'", dom->name, c->cmd);
}

/* Hands each answer to its parser; the first failed command's error into ERR. */
static int take_answers(struct qemud_dom *dom, struct mv_qmp_batch *b, size_t n, struct qemud_stats *st,
                        struct mv_err *err)
{
    int r = 0;

    for (size_t i = 0; i < n; i++) {
        const char *cmd = b[i].cmd;

        if (b[i].r < 0) {
            /* a guest without the balloon driver may have no guest-stats: not an error */
            if (r == 0 && strcmp(cmd, "qom-get") != 0)
                r = round_error(dom, &b[i], err);
        } else if (strcmp(cmd, "query-blockstats") == 0) {
            qemud_stats_parse_blockstats(b[i].reply, st);
        } else if (strcmp(cmd, "query-named-block-nodes") == 0) {
            qemud_stats_parse_block_nodes(b[i].reply, st);
        } else if (strcmp(cmd, "query-balloon") == 0) {
            qemud_stats_parse_balloon(b[i].reply, st);
        } else if (strcmp(cmd, "qom-get") == 0) {
            qemud_stats_parse_guest_stats(b[i].reply, st);
        } else if (strcmp(cmd, "query-cpus-fast") == 0 && qemud_stats_parse_cpus(b[i].reply, st) == -ENOMEM) {
            r = -ENOMEM;
        }
        json_object_put(b[i].reply);
        free(b[i].errmsg);
    }
    return r;
}

/* Asks QEMU what GROUPS need, in one round, with DOM's job held. */
static int ask_qemu(struct qemud_dom *dom, unsigned int groups, int job_wait_ms, struct qemud_stats *st,
                    struct mv_err *err)
{
    struct mv_qmp_batch b[8] = { 0 };
    struct mv_qmp *mon = NULL;
    size_t n = plan_queries(st, groups, b);
    int r;

    if (n == 0)
        return 0;
    if ((r = qemud_job_begin(dom, "query", job_wait_ms, err)) < 0) {
        for (size_t i = 0; i < n; i++)
            json_object_put(b[i].args);
        return r;
    }
    pthread_mutex_lock(&dom->lock);
    if (qemud_dom_is_active(dom) && dom->pid == st->pid)
        mon = dom->mon;
    pthread_mutex_unlock(&dom->lock);
    /* the job holder's monitor stays open: only stop paths close it, under the job */
    if (!mon)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                       "Requested operation is not valid: domain '%s' is not running", dom->name);
    else if ((r = mv_qmp_commands(mon, b, n, (int)qemud.monitor_timeout_ms)) == 0)
        r = take_answers(dom, b, n, st, err);
    else if (r != -ENOMEM)
        mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                   "internal error: cannot ask QEMU of domain '%s' for its statistics (%d)", dom->name, r);
    if (!mon)
        for (size_t i = 0; i < n; i++)
            json_object_put(b[i].args);
    qemud_job_end(dom);
    return r;
}

/* What the host's files say: CPU, RSS, vCPU threads, taps. */
static void read_host(struct qemud_dom *dom, unsigned int groups, struct qemud_stats *st)
{
    const char *parent = qemud_guest_cgroup_parent();
    _cleanup_free_ char *cg = NULL;
    unsigned long long rss;

    if ((groups & QEMUD_STATS_CPU_TOTAL) && (!parent || asprintf(&cg, "%s/%s", parent, dom->uuid_str) >= 0)) {
        st->have_cpu = qemud_stats_cpu(cg, st->pid, &st->cpu_time, &st->cpu_user, &st->cpu_system) == 0;
        qemud_stats_haltpoll(st->pid, &st->haltpoll_success, &st->haltpoll_fail);
    }
    if ((groups & QEMUD_STATS_BALLOON) && qemud_stats_rss_kib(st->pid, &rss) == 0 && st->nmem < QEMUD_MEM_NR) {
        st->mem[st->nmem].tag = QEMUD_MEM_RSS;
        st->mem[st->nmem++].val = rss;
    }
    for (size_t i = 0; (groups & QEMUD_STATS_VCPU) && i < st->nvcpus; i++) {
        struct qemud_stats_vcpu *v = &st->vcpus[i];

        v->have = qemud_stats_task(st->pid, v) == 0;
    }
    for (size_t i = 0; (groups & QEMUD_STATS_INTERFACE) && i < st->def->devices.nnets; i++) {
        const char *ifname = st->def->devices.nets[i].ifname;

        if (ifname && st->def->devices.nets[i].type != MV_DOM_NET_USER)
            qemud_stats_net_read(NULL, ifname, &st->nets[i]);
    }
}

/* A shut-off domain's disks: their files' sizes, as libvirt reports them. */
static void read_images(struct qemud_stats *st)
{
    for (size_t i = 0; i < st->def->devices.ndisks; i++) {
        struct qemud_stats_block *b = &st->blocks[i];
        const char *src = st->def->devices.disks[i].source;

        if (src && qemud_stats_image_sizes(src, &b->allocation, &b->capacity, &b->physical) == 0)
            b->have_alloc = b->have_size = true;
    }
}

int qemud_stats_collect(struct qemud_dom *dom, unsigned int groups, int job_wait_ms, bool strict,
                        struct qemud_stats *st, struct mv_err *err)
{
    struct mv_err qerr = { 0 };
    int r;

    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&dom->lock);
    st->state = dom->state;
    st->reason = dom->reason;
    st->active = qemud_dom_is_active(dom);
    st->pid = dom->pid;
    st->def = qemud_dom_current_def(dom) ? mv_dom_def_ref(qemud_dom_current_def(dom)) : NULL;
    pthread_mutex_unlock(&dom->lock);
    if (!st->def)
        return strict ? mv_err_set(err, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                                   "Domain not found: no domain with matching uuid '%s' (%s)", dom->uuid_str,
                                   dom->name) : 0;
    if (!(st->blocks = calloc(st->def->devices.ndisks + 1, sizeof(*st->blocks))) ||
        !(st->nets = calloc(st->def->devices.nnets + 1, sizeof(*st->nets))))
        return -ENOMEM;
    if (!st->active && strict)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' is not running", dom->name);
    if (!st->active) {
        if (groups & QEMUD_STATS_BLOCK)
            read_images(st);
        return 0;
    }
    r = ask_qemu(dom, groups, job_wait_ms, st, &qerr);
    if (r == -ENOMEM || (strict && r < 0)) {
        mv_err_move(err, &qerr);
        return r;
    }
    if (r < 0)
        mv_debug("domain '%s': statistics without QEMU's part: %s", dom->name, qerr.message);
    mv_err_clear(&qerr);
    read_host(dom, groups, st);
    return 0;
}
