/*
 * rpcbench: round-trip latency and throughput of cheap remote calls, against
 * one or several servers at once.
 *
 *   rpcbench [OPTION]... TARGET...
 *   TARGET:  modvirt URI [pids=NAME:PID,...]   through libmodvirt
 *            libvirt URI [pids=NAME:PID,...]   through libvirt's client library
 *            raw                               the floor: the same byte counts
 *                 ping-ponged over a unix socket with a trivial echo process,
 *                 no XDR, no dispatch
 *            raw-relay                         the same through a relay process
 *                 that reads each packet as libvirt does and passes it on,
 *                 blocking: the least a hop in the middle can cost
 *
 * For each call of -c (hostname, nodeinfo, libversion, lookup, listall) it
 * makes W untimed calls on every connection, then N calls per target, each
 * timed with CLOCK_MONOTONIC.  With several targets the N calls are made in
 * B blocks (-b), the targets taking turns block by block, so that a change
 * of the machine's load lands on every target alike.  With -P K each target
 * has K connections, each driven by its own thread, all calling at once
 * (throughput).  It prints one line of key=value pairs per call and target:
 *
 *   call=lookup target=1 mode=libvirt conns=1 n=20000 median_us=21.3 p99_us=40.2 ...
 *
 * cpu_client_us is rpcbench's own CPU time per call; for each NAME:PID of
 * pids= (and raw's echo and relay processes, with one connection),
 * cpu_NAME_us and runs_NAME are that process's CPU time and scheduling
 * count (all threads) per call, over the timed blocks: where a round
 * trip's time goes, independent of what else runs on the machine.
 *
 * bench/run starts the daemons and turns these lines into tables.  Nothing
 * here asserts a speed: it measures and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "bench/procstat.h"
#include "bench/rpcmodes.h"
#include "bench/timing.h"

#define MAX_PIDS 4
#define MAX_CONNS 64

struct watched {
    char name[32];
    pid_t pid;
    struct proc_counters used;      /* over the timed blocks of one call */
};

struct target {
    int index;
    const struct rpc_mode *mode;
    const char *uri;
    struct watched pids[MAX_PIDS];
    size_t npids;
    void *ctx[MAX_CONNS];
    /* the current call's results */
    uint64_t *samples;
    size_t nsamples, reply_bytes;
    uint64_t wall_ns, client_cpu_ns;
};

struct opts {
    size_t n, warmup, blocks, conns;
    bool want[CALL_COUNT];
    struct call_args args;
};

/* Nearest-rank percentile P of the sorted samples, in µs. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
    return (double)percentile(sorted, n, p) / 1000.0;
}

static uint64_t process_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- one block of calls ---- */

/* One connection's share of a block: COUNT calls, timed into SAMPLES. */
struct worker {
    const struct target *t;
    void *ctx;
    enum call_kind call;
    uint64_t *samples;
    size_t count, reply_bytes;
    pthread_barrier_t *go;
    int rc;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;

    if (w->go)
        pthread_barrier_wait(w->go);
    for (size_t i = 0; i < w->count; i++) {
        uint64_t t0 = now_ns();

        if (w->t->mode->call(w->ctx, w->call, &w->reply_bytes) < 0) {
            w->rc = -1;
            break;
        }
        w->samples[i] = now_ns() - t0;
    }
    return NULL;
}

/* COUNT calls split over the target's K connections, K threads at once
 * (K = 1: on this thread); their samples go to the target's next slots. */
static int block_calls(struct target *t, enum call_kind call, size_t count, size_t conns)
{
    struct worker w[MAX_CONNS];
    pthread_t th[MAX_CONNS];
    pthread_barrier_t go;
    int rc = 0;

    for (size_t k = 0, done = 0; k < conns; k++) {
        size_t share = count * (k + 1) / conns - count * k / conns;

        w[k] = (struct worker){ .t = t, .ctx = t->ctx[k], .call = call,
                                .samples = t->samples + t->nsamples + done, .count = share,
                                .go = conns > 1 ? &go : NULL };
        done += share;
    }
    if (conns == 1) {
        worker_run(&w[0]);
    } else {
        pthread_barrier_init(&go, NULL, (unsigned)conns);
        for (size_t k = 0; k < conns; k++)
            if (pthread_create(&th[k], NULL, worker_run, &w[k]) != 0) {
                /* the barrier would never open: fail before any started */
                fprintf(stderr, "rpcbench: cannot start a thread\n");
                exit(1);
            }
        for (size_t k = 0; k < conns; k++)
            pthread_join(th[k], NULL);
        pthread_barrier_destroy(&go);
    }
    for (size_t k = 0; k < conns; k++) {
        rc |= w[k].rc;
        if (w[k].reply_bytes)
            t->reply_bytes = w[k].reply_bytes;
    }
    t->nsamples += count;
    return rc < 0 ? -1 : 0;
}

/* One timed block of TARGET, with the counters of its processes and of
 * rpcbench itself taken around it. */
static int timed_block(struct target *t, enum call_kind call, size_t count, size_t conns)
{
    struct proc_counters before[MAX_PIDS] = { 0 }, after;
    uint64_t cpu0, t0;
    int rc;

    for (size_t i = 0; i < t->npids; i++)
        if (proc_counters_read(t->pids[i].pid, &before[i]) < 0) {
            fprintf(stderr, "rpcbench: %s (pid %d) is gone\n", t->pids[i].name, (int)t->pids[i].pid);
            return -1;
        }
    cpu0 = process_cpu_ns();
    t0 = now_ns();
    rc = block_calls(t, call, count, conns);
    t->wall_ns += now_ns() - t0;
    t->client_cpu_ns += process_cpu_ns() - cpu0;
    for (size_t i = 0; i < t->npids; i++)
        if (proc_counters_read(t->pids[i].pid, &after) == 0) {
            t->pids[i].used.cpu_ns += after.cpu_ns - before[i].cpu_ns;
            t->pids[i].used.runs += after.runs - before[i].runs;
        }
    return rc;
}

/* ---- one call over every target ---- */

static void print_result(const struct target *t, enum call_kind call, const struct opts *o)
{
    double n = (double)t->nsamples;
    uint64_t sum = 0;

    for (size_t i = 0; i < t->nsamples; i++)
        sum += t->samples[i];
    printf("call=%s target=%d mode=%s conns=%zu n=%zu warmup=%zu median_us=%.1f p90_us=%.1f "
           "p99_us=%.1f p999_us=%.1f min_us=%.1f mean_us=%.1f max_us=%.1f calls_per_s=%.0f "
           "req_bytes=%zu reply_bytes=%zu cpu_client_us=%.2f",
           call_names[call], t->index, t->mode->name, o->conns, t->nsamples, o->warmup,
           percentile_us(t->samples, t->nsamples, 50), percentile_us(t->samples, t->nsamples, 90),
           percentile_us(t->samples, t->nsamples, 99), percentile_us(t->samples, t->nsamples, 99.9),
           (double)t->samples[0] / 1000.0, (double)sum / n / 1000.0,
           (double)t->samples[t->nsamples - 1] / 1000.0, n * 1e9 / (double)t->wall_ns,
           rpc_call_request_bytes(call, &o->args), t->reply_bytes, (double)t->client_cpu_ns / n / 1000.0);
    for (size_t i = 0; i < t->npids; i++)
        printf(" cpu_%s_us=%.2f runs_%s=%.2f", t->pids[i].name, (double)t->pids[i].used.cpu_ns / n / 1000.0,
               t->pids[i].name, (double)t->pids[i].used.runs / n);
    printf("\n");
    fflush(stdout);
}

static void reset_results(struct target *t)
{
    t->nsamples = t->reply_bytes = 0;
    t->wall_ns = t->client_cpu_ns = 0;
    for (size_t i = 0; i < t->npids; i++)
        t->pids[i].used = (struct proc_counters){ 0 };
}

/* The last line on stderr names the target that failed: bench/run makes
 * only its column n/a for that reason.  Returns -1. */
static int target_failed(const struct target *t, enum call_kind call)
{
    fprintf(stderr, "rpcbench: target=%d (%s %s) failed in %s\n", t->index, t->mode->name,
            t->uri ? t->uri : "", call_names[call]);
    return -1;
}

static int run_call(struct target *ts, size_t nt, enum call_kind call, const struct opts *o)
{
    for (size_t i = 0; i < nt; i++) {
        size_t ignored;

        reset_results(&ts[i]);
        for (size_t k = 0; k < o->conns; k++)
            for (size_t j = 0; j < o->warmup; j++)
                if (ts[i].mode->call(ts[i].ctx[k], call, &ignored) < 0)
                    return target_failed(&ts[i], call);
    }
    for (size_t b = 0; b < o->blocks; b++) {
        size_t count = o->n * (b + 1) / o->blocks - o->n * b / o->blocks;

        /* each block starts with another target: none is always the one
         * that runs right after a switch */
        for (size_t i = 0; i < nt; i++)
            if (count && timed_block(&ts[(b + i) % nt], call, count, o->conns) < 0)
                return target_failed(&ts[(b + i) % nt], call);
    }
    for (size_t i = 0; i < nt; i++) {
        qsort(ts[i].samples, ts[i].nsamples, sizeof(uint64_t), cmp_u64);
        print_result(&ts[i], call, o);
    }
    return 0;
}

/* ---- options ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: rpcbench [OPTION]... TARGET...\n"
            "TARGET: modvirt URI [pids=NAME:PID,...] | libvirt URI [pids=NAME:PID,...] | raw | raw-relay\n"
            "\n"
            "  -n N        timed calls per call and target (default 20000)\n"
            "  -w W        untimed warm-up calls per call and connection (default 1000)\n"
            "  -c CALLS    comma-separated: hostname, nodeinfo, libversion, lookup, listall;\n"
            "              both = hostname,nodeinfo (the default)\n"
            "  -d NAME     the domain 'lookup' looks up\n"
            "  -b B        blocks the N calls are made in, targets taking turns (default 10)\n"
            "  -P K        connections per target, each in its own thread, all calling\n"
            "              at once (default 1)\n"
            "  -H BYTES    raw: size of the hostname reply (default: from gethostname())\n"
            "  -L          only say whether the libvirt mode is built in (exit 0 or 77)\n"
            "  -h          this help\n");
}

static int parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        fprintf(stderr, "rpcbench: %s: '%s' is not a number from %zu to %zu\n", opt, s, min, max);
        return -EINVAL;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_calls(const char *list, bool want[CALL_COUNT])
{
    _cleanup_free_ char *copy = strdup(list);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    memset(want, 0, CALL_COUNT * sizeof(want[0]));
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int k;

        if (strcmp(w, "both") == 0) {
            want[CALL_HOSTNAME] = want[CALL_NODEINFO] = true;
            continue;
        }
        for (k = 0; k < CALL_COUNT && strcmp(w, call_names[k]) != 0; k++)
            ;
        if (k == CALL_COUNT) {
            fprintf(stderr, "rpcbench: -c: '%s' is not hostname, nodeinfo, libversion, lookup, "
                    "listall or both\n", w);
            return -EINVAL;
        }
        want[k] = true;
    }
    return 0;
}

/* "pids=NAME:PID,NAME:PID" into T's watched processes */
static int parse_pids(const char *spec, struct target *t)
{
    _cleanup_free_ char *copy = strdup(spec);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(w, ':');
        size_t pid;

        if (!colon || colon == w || (size_t)(colon - w) >= sizeof(t->pids[0].name) || t->npids == MAX_PIDS) {
            fprintf(stderr, "rpcbench: pids=: '%s' is not NAME:PID (at most %d, names up to %zu characters)\n",
                    w, MAX_PIDS, sizeof(t->pids[0].name) - 1);
            return -EINVAL;
        }
        *colon = '\0';
        if (parse_size("pids=", colon + 1, 1, 1u << 30, &pid) < 0)
            return -EINVAL;
        snprintf(t->pids[t->npids].name, sizeof(t->pids[0].name), "%s", w);
        t->pids[t->npids++].pid = (pid_t)pid;
    }
    return 0;
}

/* The TARGET... arguments into TS (at most ARGC of them); returns how many,
 * or -1 after saying why. */
static int parse_targets(int argc, char **argv, struct target *ts)
{
    int nt = 0;

    for (int i = 0; i < argc; nt++) {
        struct target *t = &ts[nt];

        *t = (struct target){ .index = nt };
        if (!(t->mode = rpc_mode_find(argv[i]))) {
            fprintf(stderr, "rpcbench: unknown mode '%s'\n", argv[i]);
            return -1;
        }
        i++;
        if (t->mode->needs_uri) {
            if (i == argc) {
                fprintf(stderr, "rpcbench: %s needs a URI\n", t->mode->name);
                return -1;
            }
            t->uri = argv[i++];
        }
        if (i < argc && strncmp(argv[i], "pids=", 5) == 0 && parse_pids(argv[i++] + 5, t) < 0)
            return -1;
    }
    return nt;
}

/* ---- main ---- */

static int parse_opts(int argc, char **argv, struct opts *o)
{
    int c;

    while ((c = getopt(argc, argv, "n:w:c:d:b:P:H:Lh")) != -1) {
        int r = 0;

        switch (c) {
        case 'n': r = parse_size("-n", optarg, 1, 100000000, &o->n); break;
        case 'w': r = parse_size("-w", optarg, 0, 100000000, &o->warmup); break;
        case 'b': r = parse_size("-b", optarg, 1, 100000, &o->blocks); break;
        case 'P': r = parse_size("-P", optarg, 1, MAX_CONNS, &o->conns); break;
        case 'H': r = parse_size("-H", optarg, 32, 4096, &o->args.raw_hostname_bytes); break;
        case 'c': r = parse_calls(optarg, o->want); break;
        case 'd': o->args.domain = optarg; break;
        case 'L': exit(rpc_mode_have_libvirt() ? 0 : 77);
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (r < 0)
            return -1;
    }
    if (o->want[CALL_LOOKUP] && !o->args.domain) {
        fprintf(stderr, "rpcbench: -c lookup needs -d NAME\n");
        return -1;
    }
    if (optind >= argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* The processes the target's one connection started (raw's echo and
 * relay) are watched as those of pids= are. */
static void watch_helpers(struct target *t)
{
    const char *names[MAX_PIDS];
    pid_t pids[MAX_PIDS];
    size_t n;

    if (!t->mode->helpers)
        return;
    n = t->mode->helpers(t->ctx[0], names, pids, MAX_PIDS - t->npids);
    for (size_t i = 0; i < n; i++) {
        snprintf(t->pids[t->npids].name, sizeof(t->pids[0].name), "%s", names[i]);
        t->pids[t->npids++].pid = pids[i];
    }
}

/* Opens the K connections of every target; 77 if libvirt is not built in. */
static int open_targets(struct target *ts, size_t nt, const struct opts *o)
{
    for (size_t i = 0; i < nt; i++) {
        for (int k = 0; k < CALL_COUNT; k++)
            if (o->want[k] && !rpc_mode_supports(ts[i].mode, (enum call_kind)k)) {
                fprintf(stderr, "rpcbench: %s cannot make the call %s\n", ts[i].mode->name, call_names[k]);
                return 2;
            }
        if (!(ts[i].samples = calloc(o->n, sizeof(uint64_t)))) {
            fprintf(stderr, "rpcbench: out of memory for %zu samples\n", o->n);
            return 1;
        }
        for (size_t k = 0; k < o->conns; k++)
            if (!(ts[i].ctx[k] = ts[i].mode->open(ts[i].uri, &o->args))) {
                int enosys = errno == ENOSYS;

                fprintf(stderr, "rpcbench: target=%zu (%s %s) failed to connect\n", i,
                        ts[i].mode->name, ts[i].uri ? ts[i].uri : "");
                return enosys ? 77 : 1;
            }
        if (o->conns == 1)
            watch_helpers(&ts[i]);
    }
    return 0;
}

static int close_targets(struct target *ts, size_t nt)
{
    int rc = 0;

    for (size_t i = 0; i < nt; i++) {
        for (size_t k = 0; k < MAX_CONNS; k++)
            if (ts[i].ctx[k] && ts[i].mode->close(ts[i].ctx[k]) < 0)
                rc = 1;
        free(ts[i].samples);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = { .n = 20000, .warmup = 1000, .blocks = 10, .conns = 1,
                      .want = { [CALL_HOSTNAME] = true, [CALL_NODEINFO] = true } };
    _cleanup_free_ struct target *ts = NULL;
    int nt, rc;

    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    if (!(ts = calloc((size_t)(argc - optind), sizeof(*ts))))
        return 1;
    if ((nt = parse_targets(argc - optind, argv + optind, ts)) < 0)
        return 2;
    if (nt == 1)
        o.blocks = 1;       /* nothing to take turns with */
    rc = open_targets(ts, (size_t)nt, &o);
    for (int k = 0; k < CALL_COUNT && rc == 0; k++)
        if (o.want[k] && run_call(ts, (size_t)nt, (enum call_kind)k, &o) < 0)
            rc = 1;
    if (close_targets(ts, (size_t)nt) != 0 && rc == 0)
        rc = 1;
    return rc;
}
