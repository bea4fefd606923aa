/* The host's side of domain statistics: /proc, the guest's cgroup, sysfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "stats.h"

/* Fields 3.. of a /proc stat file (those after the command's last ')'),
 * FIELDS[i] set to field WANT[i]; 0 or -errno. */
static int stat_fields(const char *path, const int *want, unsigned long long *fields, size_t n)
{
    _cleanup_free_ char *text = NULL;
    char *p, *end;
    int r, f = 3;

    if ((r = mv_file_read_all(path, 4096, &text, NULL)) < 0)
        return r == -ENOENT ? -ESRCH : r;
    if (!(p = strrchr(text, ')')))
        return -EINVAL;
    p++;
    for (size_t got = 0; got < n; f++) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            return -EINVAL;
        for (size_t i = 0; i < n; i++)
            if (want[i] == f) {
                fields[i] = strtoull(p, &end, 10);
                got++;
            }
        p += strcspn(p, " \n");
    }
    return 0;
}

static unsigned long long ticks_ns(unsigned long long ticks)
{
    long hz = sysconf(_SC_CLK_TCK);

    return ticks * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

/* usage_usec, user_usec and system_usec of a cgroup v2 cpu.stat, in ns. */
static int cgroup_cpu(const char *dir, unsigned long long *total, unsigned long long *user,
                      unsigned long long *sys)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *path = NULL;
    unsigned long long v[3] = { 0 };
    int found = 0, r;

    if (asprintf(&path, "%s/cpu.stat", dir) < 0)
        return -ENOMEM;
    if ((r = mv_file_read_all(path, 65536, &text, NULL)) < 0)
        return r;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        static const char *const keys[] = { "usage_usec ", "user_usec ", "system_usec " };

        for (size_t i = 0; i < 3; i++)
            if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
                v[i] = strtoull(line + strlen(keys[i]), NULL, 10) * 1000;
                found++;
            }
    }
    if (found < 3)
        return -EINVAL;
    *total = v[0], *user = v[1], *sys = v[2];
    return 0;
}

int qemud_stats_cpu(const char *cgroup_dir, pid_t pid, unsigned long long *total, unsigned long long *user,
                    unsigned long long *sys)
{
    static const int want[] = { 14, 15 };
    unsigned long long f[2];
    char path[64];
    int r;

    /* the cgroup counts every thread QEMU ever had, the exited ones too */
    if (cgroup_dir && cgroup_cpu(cgroup_dir, total, user, sys) == 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((r = stat_fields(path, want, f, 2)) < 0)
        return r;
    *user = ticks_ns(f[0]);
    *sys = ticks_ns(f[1]);
    *total = *user + *sys;
    return 0;
}

/* The scheduler's wait_sum of a task in ns (the file gives ms with a
 * fraction); 0 where the kernel keeps no schedstats. */
static unsigned long long task_wait_ns(pid_t pid, pid_t tid)
{
    _cleanup_free_ char *text = NULL;
    char path[96], *p;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", (int)pid, (int)tid);
    if (mv_file_read_all(path, 65536, &text, NULL) < 0 || !(p = strstr(text, "wait_sum")))
        return 0;
    if (!(p = strchr(p, ':')))
        return 0;
    return (unsigned long long)(strtod(p + 1, NULL) * 1000000.0);
}

/* The second field of /proc/PID/task/TID/schedstat: ns spent waiting on a run queue. */
static unsigned long long task_delay_ns(pid_t pid, pid_t tid)
{
    _cleanup_free_ char *text = NULL;
    unsigned long long run, delay;
    char path[96];

    snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    if (mv_file_read_all(path, 256, &text, NULL) < 0 || sscanf(text, "%llu %llu", &run, &delay) != 2)
        return 0;
    return delay;
}

int qemud_stats_task(pid_t pid, struct qemud_stats_vcpu *v)
{
    static const int want[] = { 14, 15, 39 };
    unsigned long long f[3];
    char path[96];
    int r;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)v->tid);
    if ((r = stat_fields(path, want, f, 3)) < 0)
        return r;
    v->time_ns = ticks_ns(f[0] + f[1]);
    v->cpu = (int)f[2];
    v->wait_ns = task_wait_ns(pid, v->tid);
    v->delay_ns = task_delay_ns(pid, v->tid);
    return 0;
}

/* A number in file DIR/NAME, 0 when unreadable. */
static unsigned long long file_number(const char *dir, const char *name)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *text = NULL;

    if (asprintf(&path, "%s/%s", dir, name) < 0 || mv_file_read_all(path, 64, &text, NULL) < 0)
        return 0;
    return strtoull(text, NULL, 10);
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

void qemud_stats_haltpoll(pid_t pid, unsigned long long *success_ns, unsigned long long *fail_ns)
{
    _cleanup_(closedirp) DIR *d = opendir("/sys/kernel/debug/kvm");
    struct dirent *e;
    char prefix[32];

    *success_ns = *fail_ns = 0;
    snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            _cleanup_free_ char *dir = NULL;

            if (asprintf(&dir, "/sys/kernel/debug/kvm/%s", e->d_name) < 0)
                return;
            *success_ns = file_number(dir, "halt_poll_success_ns");
            *fail_ns = file_number(dir, "halt_poll_fail_ns");
            return;
        }
}

int qemud_stats_image_sizes(const char *path, unsigned long long *allocation, unsigned long long *capacity,
                            unsigned long long *physical)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    unsigned char hdr[32];
    struct stat sb;

    if (fd < 0 || fstat(fd, &sb) < 0)
        return -errno;
    *allocation = (unsigned long long)sb.st_blocks * 512;
    *physical = *capacity = (unsigned long long)sb.st_size;
    /* a qcow2 image says its virtual size at offset 24, big-endian */
    if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) && memcmp(hdr, "QFI\xfb", 4) == 0) {
        *capacity = 0;
        for (size_t i = 24; i < 32; i++)
            *capacity = (*capacity << 8) | hdr[i];
    }
    return 0;
}

int qemud_stats_rss_kib(pid_t pid, unsigned long long *kib)
{
    static const int want[] = { 24 };
    unsigned long long pages;
    char path[64];
    long psz = sysconf(_SC_PAGESIZE);
    int r;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((r = stat_fields(path, want, &pages, 1)) < 0)
        return r;
    *kib = pages * (unsigned long long)(psz > 0 ? psz : 4096) / 1024;
    return 0;
}

static int counter(const char *dir, const char *ifname, const char *name, unsigned long long *val)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *text = NULL;
    int r;

    /* a name that would leave the directory names no interface */
    if (!ifname[0] || strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
        return -ENODEV;
    if (asprintf(&path, "%s/%s/statistics/%s", dir, ifname, name) < 0)
        return -ENOMEM;
    if ((r = mv_file_read_all(path, 64, &text, NULL)) < 0)
        return r == -ENOENT ? -ENODEV : r;
    *val = strtoull(text, NULL, 10);
    return 0;
}

int qemud_stats_net_read(const char *sysfs_net, const char *ifname, struct qemud_stats_net *st)
{
    /* the tap's transmit side is what the guest receives */
    static const char *const names[8] = {
        "tx_bytes", "tx_packets", "tx_errors", "tx_dropped", "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
    };
    unsigned long long *dst[8] = {
        &st->rx_bytes, &st->rx_pkts, &st->rx_errs, &st->rx_drop,
        &st->tx_bytes, &st->tx_pkts, &st->tx_errs, &st->tx_drop,
    };
    int r;

    for (size_t i = 0; i < 8; i++)
        if ((r = counter(sysfs_net ? sysfs_net : "/sys/class/net", ifname, names[i], dst[i])) < 0)
            return r;
    st->have = true;
    return 0;
}

int qemud_stats_find_disk(const struct mv_dom_def *def, const char *path)
{
    for (size_t i = 0; i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];

        if ((d->target && strcmp(d->target, path) == 0) || (d->source && strcmp(d->source, path) == 0))
            return (int)i;
    }
    return -1;
}

static bool mac_is(const unsigned char mac[6], const char *text)
{
    unsigned int b[6];
    char tail;

    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
        return false;
    for (size_t i = 0; i < 6; i++)
        if (b[i] != mac[i])
            return false;
    return true;
}

int qemud_stats_find_net(const struct mv_dom_def *def, const char *device)
{
    for (size_t i = 0; i < def->devices.nnets; i++) {
        const struct mv_dom_net *n = &def->devices.nets[i];

        if ((n->ifname && strcmp(n->ifname, device) == 0) || (n->alias && strcmp(n->alias, device) == 0) ||
            mac_is(n->mac, device))
            return (int)i;
    }
    return -1;
}
