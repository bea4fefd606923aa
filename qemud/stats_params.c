/* Typed parameter lists, and a domain's statistics as libvirt 9.0's keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "stats_params.h"

/* VIR_TYPED_PARAM_* */
enum { TP_INT = 1, TP_UINT = 2, TP_LLONG = 3, TP_ULLONG = 4, TP_STRING = 7 };

/* A new slot named by FMT, or NULL (tp->err set). */
static mv_typed_param *tp_add(struct qemud_stat_params *tp, int type, const char *fmt, va_list ap)
{
    mv_typed_param *p;
    char *name;

    if (tp->err)
        return NULL;
    if (tp->max && tp->n >= tp->max) {
        tp->err = -E2BIG;
        return NULL;
    }
    if (tp->n == tp->cap) {
        size_t cap = tp->cap ? tp->cap * 2 : 32;
        mv_typed_param *v = realloc(tp->v, cap * sizeof(*v));

        if (!v) {
            tp->err = -ENOMEM;
            return NULL;
        }
        tp->v = v, tp->cap = cap;
    }
    if (vasprintf(&name, fmt, ap) < 0) {
        tp->err = -ENOMEM;
        return NULL;
    }
    p = &tp->v[tp->n++];
    memset(p, 0, sizeof(*p));
    p->field = name;
    p->value.type = type;
    return p;
}

#define TP_ADD(tp, type, fmt, member, val)                      \
    do {                                                        \
        va_list ap;                                             \
        mv_typed_param *p;                                      \
        va_start(ap, fmt);                                      \
        p = tp_add(tp, type, fmt, ap);                          \
        va_end(ap);                                             \
        if (p)                                                  \
            p->value.mv_typed_param_value_u.member = (val);     \
    } while (0)

int qemud_sp_ull(struct qemud_stat_params *tp, unsigned long long v, const char *fmt, ...)
{
    TP_ADD(tp, TP_ULLONG, fmt, ul, v);
    return tp->err;
}

int qemud_sp_ll(struct qemud_stat_params *tp, long long v, const char *fmt, ...)
{
    TP_ADD(tp, TP_LLONG, fmt, l, v);
    return tp->err;
}

int qemud_sp_uint(struct qemud_stat_params *tp, unsigned int v, const char *fmt, ...)
{
    TP_ADD(tp, TP_UINT, fmt, ui, v);
    return tp->err;
}

int qemud_sp_int(struct qemud_stat_params *tp, int v, const char *fmt, ...)
{
    TP_ADD(tp, TP_INT, fmt, i, v);
    return tp->err;
}

int qemud_sp_str(struct qemud_stat_params *tp, const char *v, const char *fmt, ...)
{
    char *copy = strdup(v);

    if (!copy) {
        tp->err = tp->err ? tp->err : -ENOMEM;
        return tp->err;
    }
    TP_ADD(tp, TP_STRING, fmt, s, copy);
    if (tp->err)
        free(copy);
    return tp->err;
}

void qemud_sp_free(struct qemud_stat_params *tp)
{
    for (size_t i = 0; tp->v && i < tp->n; i++) {
        free(tp->v[i].field);
        if (tp->v[i].value.type == TP_STRING)
            free(tp->v[i].value.mv_typed_param_value_u.s);
    }
    free(tp->v);
    tp->v = NULL;
    tp->n = tp->cap = 0;
}

const char *qemud_stats_group_name(unsigned int bit)
{
    static const char *const names[] = {
        "state", "cpu-total", "balloon", "vcpu", "interface", "block", "perf", "iothread", "memory",
        "dirtyrate", "vm",
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(names); i++)
        if (bit == 1u << i)
            return names[i];
    return "unknown";
}

/* ---- the groups ---- */

static void cpu_total(const struct qemud_stats *st, struct qemud_stat_params *tp)
{
    if (st->have_cpu) {
        qemud_sp_ull(tp, st->cpu_time, "cpu.time");
        qemud_sp_ull(tp, st->cpu_user, "cpu.user");
        qemud_sp_ull(tp, st->cpu_system, "cpu.system");
    }
    /* no cache monitors (resctrl) are ever set up */
    qemud_sp_uint(tp, 0, "cpu.cache.monitor.count");
    qemud_sp_ull(tp, st->haltpoll_success, "cpu.haltpoll.success.time");
    qemud_sp_ull(tp, st->haltpoll_fail, "cpu.haltpoll.fail.time");
}

static void balloon(const struct qemud_stats *st, struct qemud_stat_params *tp)
{
    static const char *const keys[QEMUD_MEM_NR] = {
        [QEMUD_MEM_SWAP_IN] = "swap_in", [QEMUD_MEM_SWAP_OUT] = "swap_out",
        [QEMUD_MEM_MAJOR_FAULT] = "major_fault", [QEMUD_MEM_MINOR_FAULT] = "minor_fault",
        [QEMUD_MEM_UNUSED] = "unused", [QEMUD_MEM_AVAILABLE] = "available", [QEMUD_MEM_RSS] = "rss",
        [QEMUD_MEM_USABLE] = "usable", [QEMUD_MEM_LAST_UPDATE] = "last-update",
        [QEMUD_MEM_DISK_CACHES] = "disk_caches", [QEMUD_MEM_HUGETLB_PGALLOC] = "hugetlb_pgalloc",
        [QEMUD_MEM_HUGETLB_PGFAIL] = "hugetlb_pgfail",
    };

    /* the balloon's size while QEMU runs one, else what the definition gives */
    qemud_sp_ull(tp, st->have_balloon ? st->balloon_kib : st->def->current_memory_kib, "balloon.current");
    qemud_sp_ull(tp, st->def->memory_kib, "balloon.maximum");
    if (!st->active)
        return;
    for (size_t i = 0; i < st->nmem; i++)
        if (keys[st->mem[i].tag])       /* ACTUAL_BALLOON is balloon.current already */
            qemud_sp_ull(tp, st->mem[i].val, "balloon.%s", keys[st->mem[i].tag]);
}

static void vcpu(const struct qemud_stats *st, struct qemud_stat_params *tp)
{
    qemud_sp_uint(tp, st->def->vcpus_current, "vcpu.current");
    qemud_sp_uint(tp, st->def->vcpus, "vcpu.maximum");
    for (size_t i = 0; i < st->nvcpus; i++) {
        const struct qemud_stats_vcpu *v = &st->vcpus[i];

        if (!v->have)
            continue;
        qemud_sp_int(tp, 1, "vcpu.%u.state", v->index);     /* VIR_VCPU_RUNNING */
        qemud_sp_ull(tp, v->time_ns, "vcpu.%u.time", v->index);
        qemud_sp_ull(tp, v->wait_ns, "vcpu.%u.wait", v->index);
        qemud_sp_ull(tp, v->delay_ns, "vcpu.%u.delay", v->index);
    }
}

static void interface(const struct qemud_stats *st, struct qemud_stat_params *tp)
{
    const struct mv_dom_devices *d = &st->def->devices;

    qemud_sp_uint(tp, (unsigned int)d->nnets, "net.count");
    for (size_t i = 0; i < d->nnets; i++) {
        const struct qemud_stats_net *n = &st->nets[i];

        /* libvirt names only interfaces with a host side (a tap) */
        if (!d->nets[i].ifname || d->nets[i].type == MV_DOM_NET_USER)
            continue;
        qemud_sp_str(tp, d->nets[i].ifname, "net.%zu.name", i);
        if (!n->have)
            continue;
        qemud_sp_ull(tp, n->rx_bytes, "net.%zu.rx.bytes", i);
        qemud_sp_ull(tp, n->rx_pkts, "net.%zu.rx.pkts", i);
        qemud_sp_ull(tp, n->rx_errs, "net.%zu.rx.errs", i);
        qemud_sp_ull(tp, n->rx_drop, "net.%zu.rx.drop", i);
        qemud_sp_ull(tp, n->tx_bytes, "net.%zu.tx.bytes", i);
        qemud_sp_ull(tp, n->tx_pkts, "net.%zu.tx.pkts", i);
        qemud_sp_ull(tp, n->tx_errs, "net.%zu.tx.errs", i);
        qemud_sp_ull(tp, n->tx_drop, "net.%zu.tx.drop", i);
    }
}

static void block(const struct qemud_stats *st, struct qemud_stat_params *tp)
{
    const struct mv_dom_devices *d = &st->def->devices;

    qemud_sp_uint(tp, (unsigned int)d->ndisks, "block.count");
    for (size_t i = 0; i < d->ndisks; i++) {
        const struct qemud_stats_block *b = &st->blocks[i];

        qemud_sp_str(tp, d->disks[i].target ? d->disks[i].target : "", "block.%zu.name", i);
        if (d->disks[i].source)
            qemud_sp_str(tp, d->disks[i].source, "block.%zu.path", i);
        /* a running disk's image is layer 1 of its (one-layer) chain */
        if (d->disks[i].source && st->active)
            qemud_sp_uint(tp, 1, "block.%zu.backingIndex", i);
        if (b->have) {
            qemud_sp_ull(tp, b->rd_reqs, "block.%zu.rd.reqs", i);
            qemud_sp_ull(tp, b->rd_bytes, "block.%zu.rd.bytes", i);
            qemud_sp_ull(tp, b->rd_times, "block.%zu.rd.times", i);
            qemud_sp_ull(tp, b->wr_reqs, "block.%zu.wr.reqs", i);
            qemud_sp_ull(tp, b->wr_bytes, "block.%zu.wr.bytes", i);
            qemud_sp_ull(tp, b->wr_times, "block.%zu.wr.times", i);
            qemud_sp_ull(tp, b->fl_reqs, "block.%zu.fl.reqs", i);
            qemud_sp_ull(tp, b->fl_times, "block.%zu.fl.times", i);
        }
        if (b->have_alloc)
            qemud_sp_ull(tp, b->allocation, "block.%zu.allocation", i);
        if (b->have_size) {
            if (b->capacity)
                qemud_sp_ull(tp, b->capacity, "block.%zu.capacity", i);
            qemud_sp_ull(tp, b->physical, "block.%zu.physical", i);
        }
    }
}

int qemud_stats_to_params(const struct qemud_stats *st, unsigned int groups, struct qemud_stat_params *tp)
{
    if (groups & QEMUD_STATS_STATE) {
        qemud_sp_int(tp, st->state, "state.state");
        qemud_sp_int(tp, st->reason, "state.reason");
    }
    if (!st->def)
        return tp->err;
    /* a shut-off domain has what its definition and files say, as in
     * libvirt: no CPU time (libvirt 9.0 reports its own daemon's there), no
     * interfaces, no counters */
    if ((groups & QEMUD_STATS_CPU_TOTAL) && st->active)
        cpu_total(st, tp);
    if (groups & QEMUD_STATS_BALLOON)
        balloon(st, tp);
    if (groups & QEMUD_STATS_VCPU)
        vcpu(st, tp);
    if ((groups & QEMUD_STATS_INTERFACE) && st->active)
        interface(st, tp);
    if (groups & QEMUD_STATS_BLOCK)
        block(st, tp);
    return tp->err;
}
