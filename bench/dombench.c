/*
 * dombench: domain operations through libvirt's client library, the same
 * code against modvirt-qemud and against libvirtd.
 *
 *   dombench [OPTION]... run URI TEMPLATE LOG_TEMPLATE
 *   dombench cleanup URI
 *   dombench [-d D] define URI TEMPLATE
 *
 * TEMPLATE is a domain XML file (the test guest, tests/integration/guest.sh)
 * whose name is @NAME@; LOG_TEMPLATE is the path of its serial log, with the
 * same @NAME@.  "run" goes through these phases and prints one line of
 * key=value pairs for each (bench/run turns them into a table):
 *
 *   rss_idle  VmRSS of the daemon (-p PID) before anything is defined
 *   lookup    N pairs virDomainLookupByName + virDomainGetInfo on the
 *             defined, inactive guest (after W untimed pairs)
 *   boot      B times: virDomainCreate (until it returns, and until
 *             GUEST-BOOTED-OK is in the serial log, polled every 10 ms),
 *             then virDomainDestroy; with -k/-i, each time also the same
 *             kernel and initrd booted by a raw qemu-system-x86_64 on the
 *             CPUs the daemon's QEMU was given
 *   define    D domains defined from TEMPLATE (the guest is undefined
 *             first): one virDomainDefineXML each, timed
 *   listall   L calls virConnectListAllDomains(flags 0), after 2 untimed
 *   rss       VmRSS of the daemon with the D domains defined
 *
 * Then it undefines every domain it made.  All its domains are named
 * "dombench-..."; "run" refuses to start while such a domain exists, and
 * "cleanup" destroys and undefines them.  "define" only defines D domains
 * from TEMPLATE and leaves them (bench/run's proxy suite lists them through
 * each path; "cleanup" removes them).  Progress goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "cleanup.h"
#include "bench/cliutil.h"
#include "bench/guestboot.h"
#include "bench/timing.h"

#define PREFIX "dombench-"
#define GUEST_NAME PREFIX "guest"
#define RAW_NAME PREFIX "raw"
#define PAUSE_NS 250000000u     /* between boots: let the daemon finish */

struct opts {
    size_t lookups, warmup, defines, lists, boots;
    unsigned boot_timeout_s;
    pid_t daemon;               /* 0: no RSS */
    const char *kernel, *initrd; /* both: raw QEMU baseline */
};

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

    nanosleep(&ts, NULL);
}

static int interrupted(void)
{
    if (bench_stop)
        fprintf(stderr, "dombench: interrupted\n");
    return bench_stop ? -1 : 0;
}

static int phase_rss(const char *key, pid_t daemon)
{
    long kib;

    if (!daemon)
        return 0;
    kib = proc_rss_kib(daemon);
    if (kib < 0) {
        fprintf(stderr, "dombench: no VmRSS for pid %d\n", (int)daemon);
        return -1;
    }
    printf("phase=%s %s_kib=%ld\n", key, key, kib);
    return 0;
}

static int phase_lookup(virConnectPtr conn, const struct opts *o)
{
    _cleanup_free_ uint64_t *s = calloc(o->lookups, sizeof(*s));

    if (!s)
        return -1;
    for (size_t i = 0; i < o->warmup + o->lookups; i++) {
        uint64_t t0 = now_ns();
        virDomainPtr dom = virDomainLookupByName(conn, GUEST_NAME);
        virDomainInfo info;

        if (!dom)
            return bench_fail("virDomainLookupByName", GUEST_NAME);
        if (virDomainGetInfo(dom, &info) < 0) {
            virDomainFree(dom);
            return bench_fail("virDomainGetInfo", GUEST_NAME);
        }
        if (i >= o->warmup)
            s[i - o->warmup] = now_ns() - t0;
        virDomainFree(dom);
        if (info.state != VIR_DOMAIN_SHUTOFF) {
            fprintf(stderr, "dombench: %s is in state %d, not shut off\n", GUEST_NAME, info.state);
            return -1;
        }
        if (interrupted() < 0)
            return -1;
    }
    qsort(s, o->lookups, sizeof(*s), cmp_u64);
    printf("phase=lookup n=%zu lookup_median_us=%.1f lookup_p99_us=%.1f\n", o->lookups,
           (double)percentile(s, o->lookups, 50) / 1e3, (double)percentile(s, o->lookups, 99) / 1e3);
    return 0;
}

/* One raw QEMU boot of the guest's kernel and initrd; *NS: to the marker. */
static int raw_boot(const struct opts *o, const char *log, const cpu_set_t *cpus, uint64_t *ns)
{
    pid_t pid = -1;
    uint64_t t0, t1;
    int r;

    unlink(log);
    t0 = now_ns();
    r = raw_qemu_start(o->kernel, o->initrd, log, cpus, &pid);
    if (r == 0) {
        r = wait_marker(log, GUEST_MARKER, t0, o->boot_timeout_s, pid, &bench_stop, &t1);
        if (r == -ECHILD)
            pid = -1;
    }
    raw_qemu_kill(&pid);
    if (r < 0) {
        fprintf(stderr, "dombench: raw qemu-system-x86_64: no %s in %s: %s (see %s.qemu)\n",
                GUEST_MARKER, log, strerror(-r), log);
        return -1;
    }
    *ns = t1 - t0;
    return 0;
}

static int phase_boot(virConnectPtr conn, const struct opts *o, const char *log,
                      const char *raw_log)
{
    _cleanup_free_ uint64_t *s = calloc(4 * o->boots, sizeof(*s));
    uint64_t *create = s, *booted = s + o->boots, *destroy = s + 2 * o->boots,
             *raw = s + 3 * o->boots;
    char cpus_text[256] = "unknown";
    virDomainPtr dom;
    cpu_set_t cpus;
    int rc = -1;

    if (!s)
        return -1;
    if (!(dom = virDomainLookupByName(conn, GUEST_NAME)))
        return bench_fail("virDomainLookupByName", GUEST_NAME);
    sched_getaffinity(0, sizeof(cpus), &cpus);
    for (size_t i = 0; i < o->boots; i++) {
        uint64_t t0, t1, t2, t3;
        int r;

        fprintf(stderr, "dombench: boot %zu/%zu\n", i + 1, o->boots);
        unlink(log);
        t0 = now_ns();
        if (virDomainCreate(dom) < 0) {
            bench_fail("virDomainCreate", GUEST_NAME);
            goto out;
        }
        t1 = now_ns();
        r = wait_marker(log, GUEST_MARKER, t0, o->boot_timeout_s, 0, &bench_stop, &t2);
        if (i == 0) {       /* where the daemon put its QEMU */
            pid_t qemu = find_qemu_pid(GUEST_NAME);

            if (qemu > 0 && sched_getaffinity(qemu, sizeof(cpus), &cpus) == 0)
                cpuset_format(&cpus, cpus_text, sizeof(cpus_text));
            else
                fprintf(stderr, "dombench: cannot find the guest's QEMU: raw QEMU runs on our CPUs\n");
        }
        if (r < 0) {
            fprintf(stderr, "dombench: no %s in %s after virDomainCreate: %s\n", GUEST_MARKER, log,
                    strerror(-r));
            goto out;
        }
        t3 = now_ns();
        if (virDomainDestroy(dom) < 0) {
            bench_fail("virDomainDestroy", GUEST_NAME);
            goto out;
        }
        create[i] = t1 - t0;
        booted[i] = t2 - t0;
        destroy[i] = now_ns() - t3;
        sleep_ns(PAUSE_NS);
        if (o->kernel) {
            if (raw_boot(o, raw_log, &cpus, &raw[i]) < 0)
                goto out;
            sleep_ns(PAUSE_NS);
        }
        if (interrupted() < 0)
            goto out;
    }
    printf("phase=boot n=%zu qemu_cpus=%s", o->boots, cpus_text);
    bench_print_ms("create", create, o->boots, true, 1);
    bench_print_ms("booted", booted, o->boots, true, 1);
    bench_print_ms("destroy", destroy, o->boots, true, 1);
    if (o->kernel)
        bench_print_ms("raw_booted", raw, o->boots, true, 1);
    printf("\n");
    rc = 0;
out:
    virDomainFree(dom);
    return rc;
}

static int phase_define(virConnectPtr conn, const struct opts *o, const char *tmpl)
{
    _cleanup_free_ uint64_t *s = calloc(o->defines, sizeof(*s));
    uint64_t t_start = now_ns();

    if (!s)
        return -1;
    for (size_t i = 0; i < o->defines; i++) {
        char name[64];
        _cleanup_free_ char *xml = NULL;
        virDomainPtr dom;
        uint64_t t0;

        snprintf(name, sizeof(name), PREFIX "%04zu", i);
        if (!(xml = bench_subst(tmpl, "@NAME@", name)))
            return -1;
        t0 = now_ns();
        dom = virDomainDefineXML(conn, xml);
        s[i] = now_ns() - t0;
        if (!dom)
            return bench_fail("virDomainDefineXML", name);
        virDomainFree(dom);
        if ((i + 1) % 100 == 0 || i + 1 == o->defines)
            fprintf(stderr, "dombench: defined %zu/%zu (%.1f s)\n", i + 1, o->defines,
                    (double)(now_ns() - t_start) / 1e9);
        if (interrupted() < 0)
            return -1;
    }
    printf("phase=define n=%zu", o->defines);
    bench_print_ms("define", s, o->defines, false, 2);
    printf(" define_p99_ms=%.2f\n", bench_ms(percentile(s, o->defines, 99)));
    return 0;
}

static int phase_listall(virConnectPtr conn, const struct opts *o)
{
    _cleanup_free_ uint64_t *s = calloc(o->lists, sizeof(*s));
    int count = 0;

    if (!s)
        return -1;
    for (size_t i = 0; i < 2 + o->lists; i++) {
        virDomainPtr *doms = NULL;
        uint64_t t0 = now_ns();

        count = virConnectListAllDomains(conn, &doms, 0);
        if (i >= 2)
            s[i - 2] = now_ns() - t0;
        if (count < 0)
            return bench_fail("virConnectListAllDomains", NULL);
        for (int k = 0; k < count; k++)
            virDomainFree(doms[k]);
        free(doms);
        if (interrupted() < 0)
            return -1;
    }
    printf("phase=listall n=%zu listall_domains=%d", o->lists, count);
    bench_print_ms("listall", s, o->lists, false, 2);
    printf("\n");
    return 0;
}

/* Destroys (if running) and undefines every domain named PREFIX*; with
 * QUIET_IF_NONE, says nothing when there is none.  Returns how many it
 * found, or -1. */
static int cleanup_domains(virConnectPtr conn, bool quiet_if_none)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0), ours = 0, done = 0, rc = 0;

    if (n < 0)
        return bench_fail("virConnectListAllDomains", NULL);
    for (int i = 0; i < n; i++)
        ours += strncmp(virDomainGetName(doms[i]), PREFIX, strlen(PREFIX)) == 0;
    if (ours || !quiet_if_none)
        fprintf(stderr, "dombench: undefining %d " PREFIX "* domains\n", ours);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);

        if (strncmp(name, PREFIX, strlen(PREFIX)) == 0) {
            if (virDomainIsActive(doms[i]) == 1 && virDomainDestroy(doms[i]) < 0)
                rc = bench_fail("virDomainDestroy", name);
            if (virDomainUndefine(doms[i]) < 0)
                rc = bench_fail("virDomainUndefine", name);
            if (++done % 250 == 0)
                fprintf(stderr, "dombench: undefined %d/%d\n", done, ours);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc < 0 ? -1 : ours;
}

static int run(virConnectPtr conn, const struct opts *o, const char *tmpl_path,
               const char *log_tmpl)
{
    _cleanup_free_ char *tmpl = bench_read_text(tmpl_path);
    _cleanup_free_ char *guest_xml = NULL, *log = NULL, *raw_log = NULL;
    virDomainPtr dom;

    if (!tmpl || !(guest_xml = bench_subst(tmpl, "@NAME@", GUEST_NAME)) ||
        !(log = bench_subst(log_tmpl, "@NAME@", GUEST_NAME)) || !(raw_log = bench_subst(log_tmpl, "@NAME@", RAW_NAME)))
        return -1;
    if (phase_rss("rss_idle", o->daemon) < 0)
        return -1;
    if (!(dom = virDomainDefineXML(conn, guest_xml)))
        return bench_fail("virDomainDefineXML", GUEST_NAME);
    virDomainFree(dom);
    if (phase_lookup(conn, o) < 0 || phase_boot(conn, o, log, raw_log) < 0)
        return -1;
    if (!(dom = virDomainLookupByName(conn, GUEST_NAME)))
        return bench_fail("virDomainLookupByName", GUEST_NAME);
    if (virDomainUndefine(dom) < 0) {
        virDomainFree(dom);
        return bench_fail("virDomainUndefine", GUEST_NAME);
    }
    virDomainFree(dom);
    if (phase_define(conn, o, tmpl) < 0 || phase_listall(conn, o) < 0)
        return -1;
    return phase_rss("rss_defined", o->daemon);
}

/* "define": D domains from the template at TMPL_PATH, left defined. */
static int define_only(virConnectPtr conn, const struct opts *o, const char *tmpl_path)
{
    _cleanup_free_ char *tmpl = bench_read_text(tmpl_path);

    return tmpl ? phase_define(conn, o, tmpl) : -1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: dombench [OPTION]... run URI TEMPLATE LOG_TEMPLATE\n"
            "       dombench cleanup URI\n"
            "       dombench [-d D] define URI TEMPLATE\n"
            "\n"
            "  -n N        timed lookup+get-info pairs (default 2000)\n"
            "  -w W        untimed pairs before them (default 100)\n"
            "  -d D        domains to define (default 1000)\n"
            "  -l L        timed list-all calls (default 50)\n"
            "  -b B        boots (default 5)\n"
            "  -t SECS     how long a boot may take (default 120)\n"
            "  -p PID      the daemon, for its VmRSS\n"
            "  -k KERNEL   with -i: also boot KERNEL and INITRD with raw QEMU\n"
            "  -i INITRD\n"
            "  -h          this help\n");
}

int main(int argc, char **argv)
{
    struct opts o = { .lookups = 2000, .warmup = 100, .defines = 1000, .lists = 50, .boots = 5,
                      .boot_timeout_s = 120 };
    virConnectPtr conn;
    const char *cmd;
    size_t v;
    int c, rc;

    while ((c = getopt(argc, argv, "n:w:d:l:b:t:p:k:i:h")) != -1) {
        int r = 0;

        switch (c) {
        case 'n': r = bench_parse_num("-n", optarg, 1, 10000000, &o.lookups); break;
        case 'w': r = bench_parse_num("-w", optarg, 0, 10000000, &o.warmup); break;
        case 'd': r = bench_parse_num("-d", optarg, 1, 9999, &o.defines); break;
        case 'l': r = bench_parse_num("-l", optarg, 1, 100000, &o.lists); break;
        case 'b': r = bench_parse_num("-b", optarg, 1, 1000, &o.boots); break;
        case 't': r = bench_parse_num("-t", optarg, 1, 3600, &v); o.boot_timeout_s = (unsigned)v; break;
        case 'p': r = bench_parse_num("-p", optarg, 1, 1u << 30, &v); o.daemon = (pid_t)v; break;
        case 'k': o.kernel = optarg; break;
        case 'i': o.initrd = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (r < 0)
            return 2;
    }
    if (!o.kernel != !o.initrd || optind >= argc) {
        usage(stderr);
        return 2;
    }
    cmd = argv[optind++];
    if (!((strcmp(cmd, "run") == 0 && argc - optind == 3) ||
          (strcmp(cmd, "cleanup") == 0 && argc - optind == 1) ||
          (strcmp(cmd, "define") == 0 && argc - optind == 2))) {
        usage(stderr);
        return 2;
    }
    bench_catch_stop();     /* stop at the next step (and clean up) */
    setvbuf(stdout, NULL, _IOLBF, 0);

    conn = virConnectOpen(argv[optind]);
    if (!conn) {
        fprintf(stderr, "dombench: cannot open '%s': %s\n", argv[optind], virGetLastErrorMessage());
        return 1;
    }
    if (strcmp(cmd, "cleanup") == 0) {
        rc = cleanup_domains(conn, false) < 0;
    } else if (strcmp(cmd, "define") == 0) {
        rc = define_only(conn, &o, argv[optind + 1]) < 0;
    } else {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms, 0), ours = 0;

        for (int i = 0; i < n; i++) {
            ours += strncmp(virDomainGetName(doms[i]), PREFIX, strlen(PREFIX)) == 0;
            virDomainFree(doms[i]);
        }
        free(doms);
        if (n < 0) {
            rc = bench_fail("virConnectListAllDomains", NULL) < 0;
        } else if (ours) {
            fprintf(stderr, "dombench: %d " PREFIX "* domains are left from an earlier run: "
                    "remove them with 'dombench cleanup URI'\n", ours);
            rc = 1;
        } else {
            if (n)
                fprintf(stderr, "dombench: note: the daemon has %d other domains\n", n);
            rc = run(conn, &o, argv[optind + 1], argv[optind + 2]) < 0;
            bench_stop = 0;   /* clean up even after an interrupt */
            if (cleanup_domains(conn, true) < 0)
                rc = 1;
        }
    }
    virConnectClose(conn);
    return rc;
}
