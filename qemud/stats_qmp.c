/* struct qemud_stats, and QEMU's answers to the statistics queries read into it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "stats.h"

void qemud_stats_clear(struct qemud_stats *st)
{
    mv_dom_def_free(st->def);
    free(st->vcpus);
    free(st->blocks);
    free(st->nets);
    memset(st, 0, sizeof(*st));
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;

    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A number member; false when absent or not a number. */
static bool num(json_object *o, const char *key, unsigned long long *val)
{
    json_object *v = member(o, key);

    if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return false;
    *val = json_object_is_type(v, json_type_double) ? (unsigned long long)json_object_get_double(v)
         : json_object_get_int64(v) < 0 ? (unsigned long long)json_object_get_int64(v)
         : (unsigned long long)json_object_get_uint64(v);
    return true;
}

static unsigned long long num0(json_object *o, const char *key)
{
    unsigned long long v = 0;

    return num(o, key, &v) ? v : 0;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v = member(o, key);

    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The disk whose format node (qemu_cmd_disk.c names it TARGET-format) is
 * NODE, or whose device (id = its alias) is in QDEV's path. */
static int disk_of(const struct mv_dom_def *def, const char *node, const char *qdev)
{
    size_t n;

    for (size_t i = 0; i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];

        n = d->target ? strlen(d->target) : 0;
        if (node && n && strncmp(node, d->target, n) == 0 && strcmp(node + n, "-format") == 0)
            return (int)i;
        if (!node && qdev && d->alias) {
            const char *p = strstr(qdev, d->alias);

            n = strlen(d->alias);
            if (p && (p == qdev || p[-1] == '/') && (p[n] == '\0' || p[n] == '/'))
                return (int)i;
        }
    }
    return -1;
}

void qemud_stats_parse_blockstats(json_object *reply, struct qemud_stats *st)
{
    if (!reply || !json_object_is_type(reply, json_type_array) || !st->blocks)
        return;
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        json_object *s = member(e, "stats");
        int k = disk_of(st->def, str(e, "node-name"), str(e, "qdev"));
        struct qemud_stats_block *b;

        if (k < 0 || !s)
            continue;
        b = &st->blocks[k];
        b->have = true;
        b->rd_reqs = num0(s, "rd_operations");
        b->rd_bytes = num0(s, "rd_bytes");
        b->rd_times = num0(s, "rd_total_time_ns");
        b->wr_reqs = num0(s, "wr_operations");
        b->wr_bytes = num0(s, "wr_bytes");
        b->wr_times = num0(s, "wr_total_time_ns");
        b->fl_reqs = num0(s, "flush_operations");
        b->fl_times = num0(s, "flush_total_time_ns");
        b->errs = num0(s, "failed_rd_operations") + num0(s, "failed_wr_operations") +
                  num0(s, "failed_flush_operations");
        /* how far the guest has written into the image file: libvirt's allocation */
        b->allocation = num0(member(member(e, "parent"), "stats"), "wr_highest_offset");
        b->have_alloc = true;
    }
}

void qemud_stats_parse_block_nodes(json_object *reply, struct qemud_stats *st)
{
    if (!reply || !json_object_is_type(reply, json_type_array) || !st->blocks)
        return;
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        json_object *image = member(e, "image");
        const char *node = str(e, "node-name");
        int k = node ? disk_of(st->def, node, NULL) : -1;
        struct qemud_stats_block *b;

        if (k < 0 || !image)
            continue;
        b = &st->blocks[k];
        if (!num(image, "virtual-size", &b->capacity))
            continue;
        /* no actual-size: the image is not thin, it takes what it holds */
        if (!num(image, "actual-size", &b->physical))
            b->physical = b->capacity;
        b->have_size = true;
    }
}

static void mem_add(struct qemud_stats *st, int tag, unsigned long long val)
{
    if (st->nmem < QEMUD_MEM_NR) {
        st->mem[st->nmem].tag = tag;
        st->mem[st->nmem].val = val;
        st->nmem++;
    }
}

int qemud_stats_parse_balloon(json_object *reply, struct qemud_stats *st)
{
    unsigned long long actual;

    if (!num(reply, "actual", &actual))
        return -EINVAL;
    st->have_balloon = true;
    st->balloon_kib = actual / 1024;
    mem_add(st, QEMUD_MEM_ACTUAL_BALLOON, st->balloon_kib);
    return 0;
}

void qemud_stats_parse_guest_stats(json_object *reply, struct qemud_stats *st)
{
    /* QEMU's names, libvirt's tags and units (bytes become KiB), in libvirt's order */
    static const struct { const char *name; int tag; unsigned int div; } map[] = {
        { "stat-swap-in", QEMUD_MEM_SWAP_IN, 1024 }, { "stat-swap-out", QEMUD_MEM_SWAP_OUT, 1024 },
        { "stat-major-faults", QEMUD_MEM_MAJOR_FAULT, 1 }, { "stat-minor-faults", QEMUD_MEM_MINOR_FAULT, 1 },
        { "stat-free-memory", QEMUD_MEM_UNUSED, 1024 }, { "stat-total-memory", QEMUD_MEM_AVAILABLE, 1024 },
        { "stat-available-memory", QEMUD_MEM_USABLE, 1024 },
    };
    static const struct { const char *name; int tag; } tail[] = {
        { "stat-disk-caches", QEMUD_MEM_DISK_CACHES }, { "stat-htlb-pgalloc", QEMUD_MEM_HUGETLB_PGALLOC },
        { "stat-htlb-pgfail", QEMUD_MEM_HUGETLB_PGFAIL },
    };
    json_object *s = member(reply, "stats");
    unsigned long long v;

    if (!s)
        return;
    /* a stat the guest does not report is -1 (all ones as QEMU's uint64) */
    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (num(s, map[i].name, &v) && v != UINT64_MAX)
            mem_add(st, map[i].tag, v / map[i].div);
    if (num(reply, "last-update", &v))
        mem_add(st, QEMUD_MEM_LAST_UPDATE, v);
    for (size_t i = 0; i < MV_ARRAY_SIZE(tail); i++)
        if (num(s, tail[i].name, &v) && v != UINT64_MAX)
            mem_add(st, tail[i].tag, tail[i].tag == QEMUD_MEM_DISK_CACHES ? v / 1024 : v);
}

int qemud_stats_parse_cpus(json_object *reply, struct qemud_stats *st)
{
    size_t n;

    if (!reply || !json_object_is_type(reply, json_type_array))
        return -EINVAL;
    n = json_object_array_length(reply);
    free(st->vcpus);
    st->nvcpus = 0;
    if (!(st->vcpus = calloc(n ? n : 1, sizeof(*st->vcpus))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        unsigned long long idx, tid;

        if (!num(e, "cpu-index", &idx) || !num(e, "thread-id", &tid))
            continue;
        st->vcpus[st->nvcpus].index = (unsigned int)idx;
        st->vcpus[st->nvcpus].tid = (pid_t)tid;
        st->nvcpus++;
    }
    st->have_vcpus = true;
    return 0;
}
