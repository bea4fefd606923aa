/*
 * A network's dnsmasq for real: started on a bridge, serving a real DHCP
 * client (busybox udhcpc) on a veth from a second network namespace, its
 * leases read back, killed behind our back (not found any more),
 * started again with the leases kept, reloaded, stopped.
 *
 * Each test runs in a sandbox it creates: new network, PID and mount
 * namespaces, with the test body as the PID namespace's init.  Nothing
 * touches the host's interfaces, and whatever the body leaves running
 * (dnsmasq, udhcpc) is killed by the kernel when the body exits, pass or
 * fail.  Being init, the body is also the parent every daemonized dnsmasq
 * is reparented to, so stop and the test reap it as they would their own
 * child.  Needs root; without it the tests say so and pass.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "file.h"
#include "monotime.h"
#include "process.h"
#include "testutil.h"

#define BRIDGE "mvdbr0"
#define DNSMASQ "/usr/sbin/dnsmasq"
#define BUSYBOX "/usr/bin/busybox"
#define IP "/usr/sbin/ip"
#define DHCLIENT "/usr/sbin/dhclient"
#define CLIENT_MAC "52:54:00:77:00:10"
#define STATIC_MAC "52:54:00:77:00:20"
/* DHCP takes a few retransmissions while the veth and bridge port come up */
#define DHCP_MS 30000
#define LEASE_WAIT_MS 10000

static char dir[64];            /* the dnsmasq directory (made by the test, outside the sandbox) */

/* ---- the sandbox ---- */

/* Runs BODY as init of fresh network, PID and mount namespaces (with its
 * own /proc, so pids in pid files and /proc agree) and fails the test if
 * BODY fails.  The unshare happens in a child: a process whose new PID
 * namespace has lost its init can never fork again, and the test process
 * must (LeakSanitizer's exit-time check forks its tracer). */
static void sandbox_child(void (*body)(void))
{
    pid_t pid;
    int status;

    ck_assert_int_eq(unshare(CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        ck_assert_int_eq(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), 0);
        body();
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void sandboxed(void (*body)(void))
{
    pid_t pid;
    int status;

    if (geteuid() != 0) {
        fprintf(stderr, "check_netd_dnsmasq: skipped, needs root for network namespaces\n");
        return;
    }
    mv_test_mkdtemp(dir, sizeof(dir), "mv-dnsmasq");
    ck_assert_int_eq(chmod(dir, 0755), 0);      /* as the driver makes it */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        sandbox_child(body);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    mv_test_rmtree(dir);
    /* a failed check in BODY has reported itself already */
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        exit(WEXITSTATUS(status));
    ck_assert_msg(WIFEXITED(status), "the sandbox died by signal %d", WTERMSIG(status));
}

/* Runs ARGV (NULL-terminated, after the program) to success; the output. */
static char *run_v(const char *prog, va_list ap)
{
    const char *argv[32] = { prog };
    size_t n = 1;
    struct mv_process_result res;
    struct mv_process_run_opts opts = { .timeout_ms = DHCP_MS };
    _cleanup_free_ char *err = NULL;
    char *out;

    while ((argv[n] = va_arg(ap, const char *)))
        ck_assert_uint_lt(++n, MV_ARRAY_SIZE(argv));
    ck_assert_msg(mv_process_run(argv, &opts, &res, &err) == 0, "%s (%s)", err, res.out);
    /* udhcpc and nslookup report on stderr: both streams are the output */
    ck_assert(asprintf(&out, "%s%s", res.out, res.err) >= 0);
    mv_process_result_clear(&res);
    return out;
}

static void run(const char *prog, ...)
{
    va_list ap;

    va_start(ap, prog);
    free(run_v(prog, ap));
    va_end(ap);
}

/* Like run() with the network namespace NS. */
static char *run_in(int ns, const char *prog, ...)
{
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    va_list ap;
    char *out;

    ck_assert_int_ge(self, 0);
    ck_assert_int_eq(setns(ns, CLONE_NEWNET), 0);
    va_start(ap, prog);
    out = run_v(prog, ap);
    va_end(ap);
    ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
    return out;
}

/* No duplicate address detection in the current network namespace: an
 * address is usable at once, so DHCPv6 and dnsmasq's IPv6 sockets need not
 * wait for DAD to finish (there is nobody else on these links). */
static void no_dad(void)
{
    static const char *const knobs[] = { "/proc/sys/net/ipv6/conf/all/accept_dad",
                                         "/proc/sys/net/ipv6/conf/default/accept_dad" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(knobs); i++) {
        _cleanup_close_ int fd = open(knobs[i], O_WRONLY | O_CLOEXEC);

        ck_assert_msg(fd >= 0 && write(fd, "0", 1) == 1, "cannot write %s", knobs[i]);
    }
}

static void make_bridge(void)
{
    no_dad();
    run(IP, "link", "set", "lo", "up", NULL);
    run(IP, "link", "add", BRIDGE, "type", "bridge", NULL);
    run(IP, "addr", "add", "10.77.0.1/24", "dev", BRIDGE, NULL);
    run(IP, "link", "set", BRIDGE, "up", NULL);
}

/* A "guest": a network namespace (held by the returned fd, no process)
 * whose interface IFNAME with MAC is a veth plugged into the bridge. */
static int make_client(const char *ifname, const char *mac)
{
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *peer = NULL, *nspath = NULL;
    int ns;

    ck_assert_int_ge(self, 0);
    ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
    ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(ns, 0);
    no_dad();
    ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
    ck_assert(asprintf(&peer, "%s-h", ifname) > 0);
    ck_assert(asprintf(&nspath, "/proc/%d/fd/%d", (int)getpid(), ns) > 0);
    run(IP, "link", "add", peer, "type", "veth", "peer", "name", ifname, NULL);
    run(IP, "link", "set", peer, "master", BRIDGE, "up", NULL);
    run(IP, "link", "set", ifname, "netns", nspath, NULL);
    free(run_in(ns, IP, "link", "set", "lo", "up", NULL));
    free(run_in(ns, IP, "link", "set", ifname, "address", mac, "up", NULL));
    return ns;
}

/* Runs udhcpc in NS on IFNAME, sending HOSTNAME; the address it got. */
static char *dhcp(int ns, const char *ifname, const char *hostname)
{
    _cleanup_free_ char *opt = NULL, *out = NULL;
    char ip[MV_INET_STRLEN];
    const char *p;

    ck_assert(asprintf(&opt, "hostname:%s", hostname) > 0);
    /* -s /bin/true: only the lease, the test configures the address itself */
    out = run_in(ns, BUSYBOX, "udhcpc", "-i", ifname, "-n", "-q", "-f", "-t", "20", "-T", "1",
                 "-s", "/bin/true", "-x", opt, NULL);
    p = strstr(out, "lease of ");
    ck_assert_msg(p && sscanf(p, "lease of %45s obtained", ip) == 1, "udhcpc: %s", out);
    return strdup(ip);
}

/* ---- the network ---- */

static struct mv_dnsmasq_paths paths(void)
{
    return (struct mv_dnsmasq_paths){ .dir = dir, .user = NULL, .binary = DNSMASQ, .logdir = dir };
}

static struct mv_net_def *test_def(const char *name)
{
    struct mv_net_def *d = calloc(1, sizeof(*d));
    struct mv_net_ip *ip;

    ck_assert_ptr_nonnull(d);
    d->name = strdup(name);
    d->bridge.name = strdup(BRIDGE);
    d->domain_name = strdup("mv.test");
    ck_assert_ptr_nonnull(d->ips = ip = calloc(1, sizeof(*ip)));
    d->nips = 1;
    ck_assert_int_eq(mv_inet_parse("10.77.0.1", &ip->address), 0);
    ip->prefix = 24;
    ip->has_dhcp = true;
    ck_assert_ptr_nonnull(ip->ranges = calloc(1, sizeof(*ip->ranges)));
    ip->nranges = 1;
    ck_assert_int_eq(mv_inet_parse("10.77.0.100", &ip->ranges[0].start), 0);
    ck_assert_int_eq(mv_inet_parse("10.77.0.199", &ip->ranges[0].end), 0);
    ip->ranges[0].lease = (struct mv_net_lease){ .given = true, .expiry = 1, .unit = strdup("hours") };
    return d;
}

static pid_t start(const struct mv_net_def *def)
{
    struct mv_dnsmasq_paths p = paths();
    _cleanup_free_ char *err = NULL;
    pid_t pid = 0;

    ck_assert_msg(mv_dnsmasq_start(def, &p, &pid, &err) == 0, "%s", err);
    ck_assert_int_gt(pid, 1);
    return pid;
}

static char *path_of(const char *name, const char *suffix)
{
    char *p;

    ck_assert(asprintf(&p, "%s/%s.%s", dir, name, suffix) > 0);
    return p;
}

static uid_t owner_of(const char *name, const char *suffix)
{
    _cleanup_free_ char *p = path_of(name, suffix);
    struct stat st;

    ck_assert_msg(stat(p, &st) == 0, "%s: %s", p, strerror(errno));
    return st.st_uid;
}

static bool exists(const char *name, const char *suffix)
{
    _cleanup_free_ char *p = path_of(name, suffix);

    return access(p, F_OK) == 0;
}

/* The real uid PID runs as. */
static uid_t uid_of(pid_t pid)
{
    _cleanup_free_ char *path = NULL, *status = NULL;
    unsigned int uid;
    const char *p;

    ck_assert(asprintf(&path, "/proc/%d/status", (int)pid) > 0);
    ck_assert_int_eq(mv_file_read_all(path, 1 << 16, &status, NULL), 0);
    ck_assert_ptr_nonnull(p = strstr(status, "\nUid:"));
    ck_assert_int_eq(sscanf(p, "\nUid: %u", &uid), 1);
    return uid;
}

/* DEF's COUNT leases for MAC, waiting (on inotify, bounded) for dnsmasq
 * to write them; fails the test if they do not come. */
static struct mv_dnsmasq_lease *wait_leases(const struct mv_net_def *def, const char *mac, size_t count)
{
    _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    struct mv_dnsmasq_paths p = paths();
    long long deadline = mv_now_ms() + LEASE_WAIT_MS;

    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(inotify_add_watch(in, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE), 0);
    for (;;) {
        struct mv_dnsmasq_lease *l = NULL;
        size_t n = 0;
        struct pollfd pfd = { .fd = in, .events = POLLIN };
        char buf[4096];
        long long left;

        ck_assert_int_eq(mv_dnsmasq_leases(def, &p, mac, &l, &n, NULL), 0);
        if (n == count)
            return l;
        ck_assert_uint_lt(n, count);
        mv_dnsmasq_leases_free(l, n);
        left = deadline - mv_now_ms();
        ck_assert_msg(left > 0, "not %zu leases for %s in %s.leases", count, mac, def->name);
        if (poll(&pfd, 1, (int)left) > 0)
            while (read(in, buf, sizeof(buf)) > 0)
                ;
    }
}

static struct mv_dnsmasq_lease *wait_lease(const struct mv_net_def *def, const char *mac)
{
    return wait_leases(def, mac, 1);
}

static void check_lease(const struct mv_dnsmasq_lease *l, const char *ip, const char *hostname)
{
    long long now = (long long)time(NULL);

    ck_assert_int_eq(l->type, 0);
    ck_assert_str_eq(l->mac, CLIENT_MAC);
    ck_assert_str_eq(l->ip, ip);
    ck_assert_uint_eq(l->prefix, 24);
    ck_assert_str_eq(l->hostname, hostname);
    /* udhcpc sends client id 01:MAC */
    ck_assert_str_eq(l->clientid, "01:" CLIENT_MAC);
    /* the range's lease time is an hour */
    ck_assert_int_le(l->expiry, now + 3600);
    ck_assert_int_gt(l->expiry, now + 3600 - 120);
}

/* Kills PID behind the library's back; being the namespace's init we reap
 * it, so that find sees it gone rather than a zombie. */
static void kill_behind(pid_t pid)
{
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

/* ---- the tests ---- */

static void body_lease_cycle(void)
{
    _cleanup_net_def_ struct mv_net_def *def = test_def("life");
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l;
    struct passwd *pw = getpwnam(mv_dnsmasq_default_user());
    _cleanup_free_ char *ip = NULL, *ip2 = NULL;
    pid_t pid, pid2;
    int client;

    make_bridge();
    pid = start(def);
    ck_assert_int_eq(mv_dnsmasq_find("life", &p), pid);
    /* it dropped root */
    ck_assert_ptr_nonnull(pw);
    ck_assert_uint_ne(pw->pw_uid, 0);
    ck_assert_uint_eq(uid_of(pid), pw->pw_uid);
    /* its own log lines go to a file (no syslog here), which it opened as
     * root and handed to its user, so that it can reopen it */
    ck_assert_uint_eq(owner_of("life-dnsmasq", "log"), pw->pw_uid);

    client = make_client("vc0", CLIENT_MAC);
    ip = dhcp(client, "vc0", "guest1");
    l = wait_lease(def, CLIENT_MAC);
    check_lease(l, ip, "guest1");
    mv_dnsmasq_leases_free(l, 1);

    /* killed behind our back: not found any more, leases kept */
    kill_behind(pid);
    ck_assert_int_eq(mv_dnsmasq_find("life", &p), 0);
    l = wait_lease(def, CLIENT_MAC);
    mv_dnsmasq_leases_free(l, 1);

    /* started again: it knows the lease, and renews the same address */
    pid2 = start(def);
    ck_assert_int_ne(pid2, pid);
    ck_assert_int_eq(mv_dnsmasq_find("life", &p), pid2);
    l = wait_lease(def, CLIENT_MAC);
    check_lease(l, ip, "guest1");
    mv_dnsmasq_leases_free(l, 1);
    ip2 = dhcp(client, "vc0", "guest1");
    ck_assert_str_eq(ip2, ip);

    /* stopped: gone (and reaped), with every file */
    ck_assert_int_eq(mv_dnsmasq_stop("life", pid2, &p, false), 0);
    ck_assert_int_eq(kill(pid2, 0), -1);
    ck_assert_int_eq(mv_dnsmasq_find("life", &p), 0);
    for (const char *const *s = (const char *const[]){ "conf", "pid", "leases", "hostsfile",
                                                       "addnhosts", NULL }; *s; s++)
        ck_assert_msg(!exists("life", *s), "life.%s is left", *s);
    close(client);
}

START_TEST(test_lease_cycle)
{
    sandboxed(body_lease_cycle);
}
END_TEST

static struct mv_net_def *with_static_hosts(void)
{
    struct mv_net_def *d = test_def("upd");
    struct mv_net_ip *ip = &d->ips[0];
    struct mv_net_dns_host *h;

    ck_assert_ptr_nonnull(ip->hosts = calloc(1, sizeof(*ip->hosts)));
    ip->nhosts = 1;
    ip->hosts[0].mac = strdup(STATIC_MAC);
    ip->hosts[0].name = strdup("fixed");
    ck_assert_int_eq(mv_inet_parse("10.77.0.60", &ip->hosts[0].ip), 0);
    ck_assert_ptr_nonnull(d->dns.hosts = h = calloc(1, sizeof(*h)));
    d->dns.nhosts = 1;
    ck_assert_int_eq(mv_inet_parse("10.77.0.50", &h->ip), 0);
    ck_assert_ptr_nonnull(h->hostnames = calloc(1, sizeof(char *)));
    h->nhostnames = 1;
    h->hostnames[0] = strdup("printer");
    return d;
}

/* Waits (bounded) until IN reports both A and B closed after reading. */
static void wait_closed(int in, const char *a, const char *b)
{
    long long deadline = mv_now_ms() + LEASE_WAIT_MS;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool seen_a = false, seen_b = false;

    while (!seen_a || !seen_b) {
        struct pollfd pfd = { .fd = in, .events = POLLIN };
        long long left = deadline - mv_now_ms();
        ssize_t len;

        ck_assert_msg(left > 0, "dnsmasq did not re-read %s", seen_a ? b : a);
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        while ((len = read(in, buf, sizeof(buf))) > 0)
            for (char *p = buf; p < buf + len;) {
                const struct inotify_event *ev = (const struct inotify_event *)p;

                seen_a |= ev->len && strcmp(ev->name, a) == 0;
                seen_b |= ev->len && strcmp(ev->name, b) == 0;
                p += sizeof(*ev) + ev->len;
            }
    }
}

/* The hosts files are re-read on SIGHUP by dnsmasq's own (unprivileged)
 * user: a DNS name and a static DHCP host added by a reload both work. */
static void body_reload(void)
{
    _cleanup_net_def_ struct mv_net_def *def = test_def("upd");
    _cleanup_net_def_ struct mv_net_def *def2 = with_static_hosts();
    _cleanup_free_ char *ip = NULL, *cidr = NULL, *out = NULL, *ip2 = NULL, *err = NULL;
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l;
    pid_t pid;
    int client, other, in;

    make_bridge();
    pid = start(def);
    client = make_client("vc0", CLIENT_MAC);
    ip = dhcp(client, "vc0", "guest1");
    ck_assert(asprintf(&cidr, "%s/24", ip) > 0);
    free(run_in(client, IP, "addr", "add", cidr, "dev", "vc0", NULL));
    /* a DHCP client's name is in DNS at once */
    out = run_in(client, BUSYBOX, "nslookup", "-type=a", "guest1.mv.test", "10.77.0.1", NULL);
    ck_assert_msg(strstr(out, ip), "%s", out);
    free(out);

    /* a reload is asynchronous: dnsmasq reading the files is the event */
    in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(inotify_add_watch(in, dir, IN_CLOSE_NOWRITE), 0);
    ck_assert_msg(mv_dnsmasq_reload(def2, &p, pid, &err) == 0, "%s", err);
    wait_closed(in, "upd.addnhosts", "upd.hostsfile");
    ck_assert_int_eq(mv_dnsmasq_find("upd", &p), pid);     /* not restarted */
    out = run_in(client, BUSYBOX, "nslookup", "-type=a", "printer", "10.77.0.1", NULL);
    ck_assert_msg(strstr(out, "10.77.0.50"), "%s", out);
    other = make_client("vc1", STATIC_MAC);
    ip2 = dhcp(other, "vc1", "whatever");
    ck_assert_str_eq(ip2, "10.77.0.60");
    l = wait_lease(def2, STATIC_MAC);
    ck_assert_str_eq(l->ip, "10.77.0.60");
    mv_dnsmasq_leases_free(l, 1);

    /* a reload of a dnsmasq that is not running says so */
    ck_assert_int_eq(mv_dnsmasq_stop("upd", 0, &p, false), 0);
    free(err);
    err = NULL;
    ck_assert_int_eq(mv_dnsmasq_reload(def2, &p, pid, &err), -ESRCH);
    ck_assert_msg(strstr(err, "network 'upd'") && strstr(err, "it is not running"), "%s", err);
    close(client);
    close(other);
    close(in);
}

START_TEST(test_reload)
{
    sandboxed(body_reload);
}
END_TEST

/* Failures leave nothing behind and say why, in dnsmasq's words. */
static void body_start_failures(void)
{
    _cleanup_net_def_ struct mv_net_def *a = test_def("neta");
    _cleanup_net_def_ struct mv_net_def *b = test_def("netb");
    _cleanup_free_ char *err = NULL, *want = NULL;
    struct mv_dnsmasq_paths p = paths();
    pid_t pid, other = 0;

    make_bridge();
    pid = start(a);
    ck_assert_int_eq(mv_dnsmasq_start(a, &p, &other, &err), -EEXIST);
    ck_assert(asprintf(&want, "dnsmasq for network 'neta' is already running (pid %d)", (int)pid) > 0);
    ck_assert_str_eq(err, want);
    free(err);
    free(want);
    err = want = NULL;

    /* B on the same bridge: its DNS port is A's */
    ck_assert_int_lt(mv_dnsmasq_start(b, &p, &other, &err), 0);
    ck_assert_msg(strstr(err, "cannot start dnsmasq for network 'netb': ") &&
                  strstr(err, "Address already in use"), "%s", err);
    for (const char *const *s = (const char *const[]){ "conf", "pid", "hostsfile", "addnhosts",
                                                       NULL }; *s; s++)
        ck_assert_msg(!exists("netb", *s), "netb.%s is left", *s);
    ck_assert_int_eq(mv_dnsmasq_find("neta", &p), pid);
    free(err);
    err = NULL;

    /* a directory dnsmasq's user cannot enter would break every reload */
    ck_assert_int_eq(chmod(dir, 0700), 0);
    ck_assert_int_eq(mv_dnsmasq_start(b, &p, &other, &err), -EACCES);
    ck_assert(asprintf(&want, "cannot start dnsmasq for network 'netb': its user '%s' cannot read "
                       "%s/netb.hostsfile, which it re-reads on each update (is a directory above "
                       "it not searchable by others?)", mv_dnsmasq_default_user(), dir) > 0);
    ck_assert_str_eq(err, want);
    ck_assert(!exists("netb", "conf") && !exists("netb", "hostsfile"));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    free(err);
    err = NULL;

    p.binary = "/nonexistent/dnsmasq";
    ck_assert_int_eq(mv_dnsmasq_start(b, &p, &other, &err), -ENOENT);
    ck_assert_str_eq(err, "cannot start dnsmasq for network 'netb': cannot run "
                          "'/nonexistent/dnsmasq': No such file or directory");
    ck_assert(!exists("netb", "conf"));
}

START_TEST(test_start_failures)
{
    sandboxed(body_start_failures);
}
END_TEST

/* A pid that is not our dnsmasq is not trusted: stop given one goes by
 * the pid file; a pid file naming another process is ignored by find, and
 * stop signals nobody (here: the test itself). */
static void body_stale_pid(void)
{
    _cleanup_net_def_ struct mv_net_def *def = test_def("stale");
    _cleanup_free_ char *pidfile = path_of("stale", "pid"), *conf = path_of("stale", "conf");
    struct mv_dnsmasq_paths p = paths();
    pid_t pid;

    make_bridge();
    pid = start(def);
    /* a wrong pid (the test itself): the pid file's is stopped instead */
    ck_assert_int_eq(mv_dnsmasq_stop("stale", getpid(), &p, true), 0);
    ck_assert_int_eq(kill(pid, 0), -1);
    ck_assert(exists("stale", "leases"));      /* kept: a restart */
    ck_assert_int_eq(mv_file_write_atomic(conf, "x\n", 2, 0644), 0);
    ck_assert_int_eq(mv_file_write_atomic(pidfile, "1\n", 2, 0644), 0);
    ck_assert_int_eq(mv_dnsmasq_find("stale", &p), 0);
    ck_assert_int_eq(mv_dnsmasq_stop("stale", 1, &p, false), 0);
    ck_assert(!exists("stale", "pid"));
    ck_assert_int_eq(mv_dnsmasq_stop("stale", 0, &p, false), 0);     /* nothing: fine */
}

START_TEST(test_stale_pid)
{
    sandboxed(body_stale_pid);
}
END_TEST

/* Runs dhclient -6 once in NS on IFNAME, sending HOSTNAME; the address. */
static char *dhcp6(int ns, const char *ifname, const char *hostname)
{
    _cleanup_free_ char *conf = path_of("dhclient", "conf"), *leases = path_of("dhclient", "leases");
    _cleanup_free_ char *pidfile = path_of("dhclient", "pid"), *text = NULL, *out = NULL;
    char ip[MV_INET_STRLEN];
    const char *p;

    ck_assert(asprintf(&text, "send fqdn.fqdn \"%s\";\n", hostname) > 0);
    ck_assert_int_eq(mv_file_write_atomic(conf, text, strlen(text), 0644), 0);
    /* -1: one try; it goes to the background once bound (the sandbox ends it) */
    out = run_in(ns, DHCLIENT, "-6", "-1", "-cf", conf, "-lf", leases, "-pf", pidfile,
                 "-sf", "/bin/true", ifname, NULL);
    free(text);
    ck_assert_int_eq(mv_file_read_all(leases, 1 << 20, &text, NULL), 0);
    p = strstr(text, "iaaddr ");
    ck_assert_msg(p && sscanf(p, "iaaddr %45s {", ip) == 1, "dhclient: %s", out);
    return strdup(ip);
}

/* IPv6: a DHCPv6 lease beside the IPv4 one, both found by the MAC. */
static void body_ipv6(void)
{
    _cleanup_net_def_ struct mv_net_def *def = test_def("six");
    _cleanup_free_ char *ip4 = NULL, *ip6 = NULL;
    struct mv_dnsmasq_paths p = paths();
    struct mv_dnsmasq_lease *l;
    struct mv_net_ip *v6;
    int client;

    ck_assert_ptr_nonnull(def->ips = realloc(def->ips, 2 * sizeof(*def->ips)));
    v6 = &def->ips[1];
    *v6 = (struct mv_net_ip){ .prefix = 64, .has_dhcp = true, .nranges = 1 };
    def->nips = 2;
    ck_assert_int_eq(mv_inet_parse("fd00:77::1", &v6->address), 0);
    ck_assert_ptr_nonnull(v6->ranges = calloc(1, sizeof(*v6->ranges)));
    ck_assert_int_eq(mv_inet_parse("fd00:77::100", &v6->ranges[0].start), 0);
    ck_assert_int_eq(mv_inet_parse("fd00:77::1ff", &v6->ranges[0].end), 0);

    make_bridge();
    run(IP, "addr", "add", "fd00:77::1/64", "dev", BRIDGE, NULL);
    start(def);
    client = make_client("vc0", CLIENT_MAC);
    ip4 = dhcp(client, "vc0", "guest1");
    ip6 = dhcp6(client, "vc0", "guest6");
    /* the lease file has both once dnsmasq wrote the second */
    l = wait_leases(def, CLIENT_MAC, 2);
    ck_assert_str_eq(l[0].ip, ip4);
    ck_assert_int_eq(l[1].type, 1);
    ck_assert_str_eq(l[1].ip, ip6);
    ck_assert_uint_eq(l[1].prefix, 64);
    ck_assert_str_eq(l[1].hostname, "guest6");
    /* dhclient's IAID is the end of its MAC; its DUID-LLT holds the MAC */
    ck_assert_str_eq(l[1].iaid, "7798800");
    ck_assert_str_eq(l[1].mac, CLIENT_MAC);
    ck_assert_ptr_nonnull(strstr(l[1].clientid, ":52:54:00:77:00:10"));
    mv_dnsmasq_leases_free(l, 2);
    ck_assert_int_eq(mv_dnsmasq_stop("six", 0, &p, false), 0);
    close(client);
}

START_TEST(test_ipv6)
{
    sandboxed(body_ipv6);
}
END_TEST

static Suite *dnsmasq_suite(void)
{
    Suite *s = suite_create("netd_dnsmasq");
    TCase *tc = tcase_create("dnsmasq");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lease_cycle);
    tcase_add_test(tc, test_reload);
    tcase_add_test(tc, test_start_failures);
    tcase_add_test(tc, test_stale_pid);
    tcase_add_test(tc, test_ipv6);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dnsmasq_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
