/*
 * netbench: network operations through libvirt's client library, the same
 * code against modvirt-netd (+ modvirt-qemud) and against libvirtd.
 *
 *   netbench [-r R] lifecycle URI NETXML
 *       R times: virNetworkDefineXML, virNetworkCreate, virNetworkDestroy,
 *       virNetworkUndefine of NETXML, each timed on its own
 *   netbench [-n N] [-w W] leases URI NETWORK
 *       N timed virNetworkGetDHCPLeases calls (after W untimed) on the
 *       running NETWORK; prints how many leases each returned
 *   netbench [-b B] [-t SECS] firstlease NETURI NETWORK DOMURI TEMPLATE
 *       B times: a transient guest from TEMPLATE (a domain XML with @NAME@
 *       and @MAC@; each boot gets a new name and MAC, so an earlier boot's
 *       lease cannot count) created with virDomainCreateXML, then
 *       virNetworkGetDHCPLeases(NETWORK, MAC) every 10 ms until it returns
 *       the lease; timed from the create call; then virDomainDestroy
 *
 * Each prints one line of key=value pairs (bench/networks.sh turns them
 * into a table); progress and errors go to stderr.  Medians are
 * nearest-rank.
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

#define POLL_NS 10000000u       /* the lease is asked for every 10 ms */

struct opts {
    size_t reps, calls, warmup, boots;
    unsigned timeout_s;
};

/* One define/start/destroy/undefine round; T[0..3] their times. */
static int lifecycle_once(virConnectPtr conn, const char *xml, uint64_t t[4])
{
    virNetworkPtr net;
    uint64_t t0 = now_ns();
    int rc = -1;

    if (!(net = virNetworkDefineXML(conn, xml)))
        return bench_fail("virNetworkDefineXML", NULL);
    t[0] = now_ns() - t0;
    t0 = now_ns();
    if (virNetworkCreate(net) < 0) {
        bench_fail("virNetworkCreate", virNetworkGetName(net));
        goto undefine;
    }
    t[1] = now_ns() - t0;
    t0 = now_ns();
    if (virNetworkDestroy(net) < 0) {
        bench_fail("virNetworkDestroy", virNetworkGetName(net));
        goto undefine;
    }
    t[2] = now_ns() - t0;
    rc = 0;
undefine:
    t0 = now_ns();
    if (virNetworkUndefine(net) < 0)
        rc = bench_fail("virNetworkUndefine", virNetworkGetName(net));
    t[3] = now_ns() - t0;
    virNetworkFree(net);
    return rc;
}

static int phase_lifecycle(virConnectPtr conn, const struct opts *o, const char *path)
{
    _cleanup_free_ char *xml = bench_read_text(path);
    _cleanup_free_ uint64_t *s = calloc(4 * o->reps, sizeof(*s));
    static const char *const keys[] = { "define", "start", "destroy", "undefine" };

    if (!xml || !s)
        return -1;
    for (size_t i = 0; i < o->reps && !bench_stop; i++) {
        uint64_t t[4];

        fprintf(stderr, "netbench: define/start/destroy/undefine %zu/%zu\n", i + 1, o->reps);
        if (lifecycle_once(conn, xml, t) < 0)
            return -1;
        for (size_t k = 0; k < 4; k++)
            s[k * o->reps + i] = t[k];
    }
    if (bench_stop)
        return -1;
    printf("phase=lifecycle n=%zu", o->reps);
    for (size_t k = 0; k < 4; k++)
        bench_print_ms(keys[k], s + k * o->reps, o->reps, true, 2);
    printf("\n");
    return 0;
}

static int phase_leases(virConnectPtr conn, const struct opts *o, const char *name)
{
    _cleanup_free_ uint64_t *s = calloc(o->calls, sizeof(*s));
    virNetworkPtr net = virNetworkLookupByName(conn, name);
    int count = 0;

    if (!net)
        return bench_fail("virNetworkLookupByName", name);
    for (size_t i = 0; s && i < o->warmup + o->calls && !bench_stop; i++) {
        virNetworkDHCPLeasePtr *leases = NULL;
        uint64_t t0 = now_ns();

        count = virNetworkGetDHCPLeases(net, NULL, &leases, 0);
        if (i >= o->warmup)
            s[i - o->warmup] = now_ns() - t0;
        if (count < 0)
            break;
        for (int k = 0; k < count; k++)
            virNetworkDHCPLeaseFree(leases[k]);
        free(leases);
    }
    if (count < 0)
        bench_fail("virNetworkGetDHCPLeases", name);
    virNetworkFree(net);
    if (!s || count < 0 || bench_stop)
        return -1;
    qsort(s, o->calls, sizeof(*s), cmp_u64);
    printf("phase=leases n=%zu leases=%d leases_median_ms=%.3f leases_p99_ms=%.3f\n", o->calls,
           count, bench_ms(percentile(s, o->calls, 50)), bench_ms(percentile(s, o->calls, 99)));
    return 0;
}

/* Polls NET's leases for MAC every 10 ms, from T0, until there is one (0,
 * *AT its time), TIMEOUT_S passes or we are stopped (-1). */
static int wait_lease(virNetworkPtr net, const char *mac, uint64_t t0, unsigned timeout_s,
                      uint64_t *at)
{
    for (uint64_t tick = t0 + POLL_NS; !bench_stop; tick += POLL_NS) {
        virNetworkDHCPLeasePtr *leases = NULL;
        uint64_t now = now_ns();
        int n = virNetworkGetDHCPLeases(net, mac, &leases, 0);

        if (n < 0)
            return bench_fail("virNetworkGetDHCPLeases", mac);
        for (int k = 0; k < n; k++)
            virNetworkDHCPLeaseFree(leases[k]);
        free(leases);
        if (n > 0) {
            *at = now;
            return 0;
        }
        if (now - t0 > (uint64_t)timeout_s * 1000000000u) {
            fprintf(stderr, "netbench: no lease for %s within %u s\n", mac, timeout_s);
            return -1;
        }
        while ((now = now_ns()) < tick) {
            struct timespec ts = { 0, (long)(tick - now) };

            nanosleep(&ts, NULL);
        }
    }
    return -1;
}

static char qemu_cpus[256] = "unknown";

/* Where the daemon put guest NAME's QEMU (libvirtd widens the affinity it
 * inherited to all CPUs, modvirt-qemud keeps its own): the first-lease
 * times of the two columns are only comparable knowing this. */
static void note_qemu_cpus(const char *name)
{
    pid_t qemu = find_qemu_pid(name);
    cpu_set_t cpus;

    if (qemu > 0 && sched_getaffinity(qemu, sizeof(cpus), &cpus) == 0)
        cpuset_format(&cpus, qemu_cpus, sizeof(qemu_cpus));
}

/* One boot: a transient guest NAME with MAC from TMPL; *CREATE and *LEASE
 * from the create call to its return and to the lease. */
static int firstlease_once(virConnectPtr dconn, virNetworkPtr net, const char *tmpl,
                           const struct opts *o, size_t i, uint64_t *create, uint64_t *lease)
{
    char name[64], mac[32];
    _cleanup_free_ char *named = NULL, *xml = NULL;
    virDomainPtr dom;
    uint64_t t0, t1, t2 = 0;
    int r;

    snprintf(name, sizeof(name), "netbench-%zu", i);
    snprintf(mac, sizeof(mac), "52:54:00:be:%02x:%02x", (unsigned)(getpid() & 0xff), (unsigned)(i & 0xff));
    if (!(named = bench_subst(tmpl, "@NAME@", name)) || !(xml = bench_subst(named, "@MAC@", mac)))
        return -1;
    t0 = now_ns();
    if (!(dom = virDomainCreateXML(dconn, xml, 0)))
        return bench_fail("virDomainCreateXML", name);
    t1 = now_ns();
    if (i == 0)
        note_qemu_cpus(name);
    r = wait_lease(net, mac, t0, o->timeout_s, &t2);
    if (virDomainDestroy(dom) < 0)
        r = bench_fail("virDomainDestroy", name);
    virDomainFree(dom);
    *create = t1 - t0;
    *lease = t2 - t0;
    return r;
}

static int phase_firstlease(virConnectPtr nconn, const char *netname, virConnectPtr dconn,
                            const struct opts *o, const char *path)
{
    _cleanup_free_ char *tmpl = bench_read_text(path);
    _cleanup_free_ uint64_t *s = calloc(2 * o->boots, sizeof(*s));
    virNetworkPtr net;
    int rc = -1;

    if (!tmpl || !s)
        return -1;
    if (!(net = virNetworkLookupByName(nconn, netname)))
        return bench_fail("virNetworkLookupByName", netname);
    for (size_t i = 0; i < o->boots && !bench_stop; i++) {
        fprintf(stderr, "netbench: boot to first lease %zu/%zu\n", i + 1, o->boots);
        if (firstlease_once(dconn, net, tmpl, o, i, &s[o->boots + i], &s[i]) < 0)
            goto out;
    }
    if (bench_stop)
        goto out;
    printf("phase=firstlease n=%zu qemu_cpus=%s", o->boots, qemu_cpus);
    bench_print_ms("firstlease", s, o->boots, true, 2);
    bench_print_ms("create", s + o->boots, o->boots, true, 2);
    printf("\n");
    rc = 0;
out:
    virNetworkFree(net);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: netbench [-r R] lifecycle URI NETXML\n"
            "       netbench [-n N] [-w W] leases URI NETWORK\n"
            "       netbench [-b B] [-t SECS] firstlease NETURI NETWORK DOMURI TEMPLATE\n"
            "\n"
            "  -r R        define/start/destroy/undefine rounds (default 10)\n"
            "  -n N        timed lease listings (default 200)\n"
            "  -w W        untimed listings before them (default 20)\n"
            "  -b B        boots (default 5)\n"
            "  -t SECS     how long a boot may take to its lease (default 120)\n"
            "  -h          this help\n");
}

static virConnectPtr open_conn(const char *uri)
{
    virConnectPtr conn = virConnectOpen(uri);

    if (!conn)
        fprintf(stderr, "netbench: cannot open '%s': %s\n", uri, virGetLastErrorMessage());
    return conn;
}

static int dispatch(const char *cmd, char **args, int nargs, const struct opts *o)
{
    bool lifecycle = strcmp(cmd, "lifecycle") == 0 && nargs == 2;
    bool leases = strcmp(cmd, "leases") == 0 && nargs == 2;
    bool firstlease = strcmp(cmd, "firstlease") == 0 && nargs == 4;
    virConnectPtr conn, dconn = NULL;
    int rc = -1;

    if (!lifecycle && !leases && !firstlease) {
        usage(stderr);
        return 2;
    }
    if (!(conn = open_conn(args[0])))
        return 1;
    if (lifecycle)
        rc = phase_lifecycle(conn, o, args[1]);
    else if (leases)
        rc = phase_leases(conn, o, args[1]);
    else if ((dconn = open_conn(args[2])))
        rc = phase_firstlease(conn, args[1], dconn, o, args[3]);
    if (dconn)
        virConnectClose(dconn);
    virConnectClose(conn);
    return rc < 0;
}

int main(int argc, char **argv)
{
    struct opts o = { .reps = 10, .calls = 200, .warmup = 20, .boots = 5, .timeout_s = 120 };
    size_t v;
    int c;

    while ((c = getopt(argc, argv, "r:n:w:b:t:h")) != -1) {
        int r = 0;

        switch (c) {
        case 'r': r = bench_parse_num("-r", optarg, 1, 100000, &o.reps); break;
        case 'n': r = bench_parse_num("-n", optarg, 1, 10000000, &o.calls); break;
        case 'w': r = bench_parse_num("-w", optarg, 0, 10000000, &o.warmup); break;
        case 'b': r = bench_parse_num("-b", optarg, 1, 250, &o.boots); break;
        case 't': r = bench_parse_num("-t", optarg, 1, 3600, &v); o.timeout_s = (unsigned)v; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (r < 0)
            return 2;
    }
    if (argc - optind < 2) {
        usage(stderr);
        return 2;
    }
    bench_catch_stop();     /* stop at the next step (and clean up) */
    setvbuf(stdout, NULL, _IOLBF, 0);
    return dispatch(argv[optind], argv + optind + 1, argc - optind - 1, &o);
}
