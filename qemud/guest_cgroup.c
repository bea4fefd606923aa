/* A cgroup v2 group per running guest (guest_cgroup.h). */
#define MV_LOG_MODULE "qemud.cgroup"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_cgroup.h"
#include "log.h"

#define PARENT "modvirt"
/* QEMU's own pages beside the guest's RAM (code, device emulation, caches) */
#define QEMU_OVERHEAD (512ULL << 20)
/* QEMU's threads beside one per vCPU (I/O, RCU, workers) and a margin for each vCPU's helpers */
#define PIDS_BASE 256
#define PIDS_PER_VCPU 4

/* "<hierarchy>/modvirt", set once by init before any thread starts */
static char parent[PATH_MAX];

const char *qemud_guest_cgroup_parent(void)
{
    return parent[0] ? parent : NULL;
}

/* The first cgroup2 mount in MOUNTS we may write to, into DST. */
static bool find_hierarchy(const char *mounts, char dst[PATH_MAX])
{
    FILE *f = setmntent(mounts, "re");
    struct mntent *m;
    bool found = false;

    if (!f)
        return false;
    while (!found && (m = getmntent(f)))
        if (strcmp(m->mnt_type, "cgroup2") == 0 && access(m->mnt_dir, W_OK) == 0 &&
            strlen(m->mnt_dir) < PATH_MAX - 64) {
            strcpy(dst, m->mnt_dir);
            found = true;
        }
    endmntent(f);
    return found;
}

/* Writes TEXT to DIR/FILE (O_TRUNC as a shell's ">" does: cgroupfs
 * ignores it, a test's fake tree needs it); 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX];
    int fd, r = 0;
    size_t n = strlen(text);

    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
        return -errno;
    if (write(fd, text, n) != (ssize_t)n)
        r = -errno;
    close(fd);
    return r;
}

static bool has_file(const char *dir, const char *file)
{
    char path[PATH_MAX];

    return snprintf(path, sizeof(path), "%s/%s", dir, file) < (int)sizeof(path) && access(path, F_OK) == 0;
}

/* Whether CONTROLLER is in the space-separated list of DIR/cgroup.controllers. */
static bool offers(const char *dir, const char *controller)
{
    char path[PATH_MAX], line[1024];
    bool found = false;
    FILE *f;

    if (snprintf(path, sizeof(path), "%s/cgroup.controllers", dir) >= (int)sizeof(path) || !(f = fopen(path, "re")))
        return false;
    if (fgets(line, sizeof(line), f))
        for (char *save = NULL, *w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
            found = found || strcmp(w, controller) == 0;
    fclose(f);
    return found;
}

/* Hands CONTROLLER down from ROOT to modvirt and from modvirt to the
 * guests' groups.  Best effort: a root whose controllers are taken by a
 * v1 hierarchy (EBUSY) or a kernel without them leaves the groups without
 * limits, accounted all the same. */
static void enable(const char *root, const char *controller)
{
    char plus[32];
    int r;

    if (!offers(root, controller))
        return;
    snprintf(plus, sizeof(plus), "+%s", controller);
    if ((r = write_file(root, "cgroup.subtree_control", plus)) < 0 ||
        (r = write_file(parent, "cgroup.subtree_control", plus)) < 0)
        mv_debug("cgroup controller %s not enabled below '%s': %s", controller, root, strerror(-r));
}

/* FNV-1a of S: a short, stable name for a daemon instance's parent group. */
static unsigned int instance_hash(const char *s)
{
    unsigned int h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void qemud_guest_cgroup_init(const char *mounts, const char *instance_root)
{
    char root[PATH_MAX];
    int n, r;

    parent[0] = '\0';
    if (!find_hierarchy(mounts ? mounts : "/proc/self/mounts", root)) {
        mv_debug("no writable cgroup2 hierarchy: guests get no cgroup of their own");
        return;
    }
    /* each daemon instance (--root) has its own parent: its start-up sweep
     * must never take another instance's group between mkdir and join */
    n = instance_root ? snprintf(parent, sizeof(parent), "%s/%s-%08x", root, PARENT, instance_hash(instance_root))
                      : snprintf(parent, sizeof(parent), "%s/%s", root, PARENT);
    if (n >= (int)sizeof(parent))
        r = -ENAMETOOLONG;
    else
        r = mkdir(parent, 0755) < 0 && errno != EEXIST ? -errno : 0;
    if (r < 0) {
        mv_debug("cannot create the cgroup '%s': %s; guests get no cgroup of their own", parent, strerror(-r));
        parent[0] = '\0';
        return;
    }
    enable(root, "memory");
    enable(root, "pids");
    /* scheduler and NUMA tuning (sched_params.c, numa_params.c) */
    enable(root, "cpu");
    enable(root, "cpuset");
}

/* "<parent>/NAME" into PATH; NAME must be one path component. */
static int group_path(const char *name, char path[PATH_MAX])
{
    if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return -EINVAL;
    return snprintf(path, PATH_MAX, "%s/%s", parent, name) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* The limits from the domain, each where its controller is available in the group DIR. */
static int set_limits(const char *dir, unsigned long long mem_kib, unsigned vcpus, const char **failed)
{
    char num[32];
    int r;

    if (has_file(dir, "memory.max")) {
        snprintf(num, sizeof(num), "%llu", mem_kib * 1024 + QEMU_OVERHEAD);
        if ((r = write_file(dir, "memory.max", num)) < 0)
            return *failed = "memory.max", r;
    }
    if (has_file(dir, "pids.max")) {
        snprintf(num, sizeof(num), "%llu", PIDS_BASE + PIDS_PER_VCPU * (unsigned long long)vcpus);
        if ((r = write_file(dir, "pids.max", num)) < 0)
            return *failed = "pids.max", r;
    }
    return 0;
}

int qemud_guest_cgroup_create(const char *name, unsigned long long mem_kib, unsigned vcpus, int *procs_fd,
                              const char **failed)
{
    char dir[PATH_MAX], procs[PATH_MAX];
    int r;

    *procs_fd = -1;
    *failed = "the group";
    if (!parent[0])
        return 0;
    if ((r = group_path(name, dir)) < 0)
        return r;
    /* a leftover of a run that is gone is reused: the limits are set anew */
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if ((r = set_limits(dir, mem_kib, vcpus, failed)) < 0)
        goto fail;
    if (snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >= (int)sizeof(procs))
        errno = ENAMETOOLONG;
    else
        *procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (*procs_fd < 0) {
        r = -errno;
        *failed = "cgroup.procs";
        goto fail;
    }
    return 0;
fail:
    rmdir(dir);
    return r;
}

bool qemud_guest_cgroup_offers(const char *controller)
{
    char path[PATH_MAX], line[1024];
    bool found = false;
    FILE *f;

    if (!parent[0] || snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent) >= (int)sizeof(path) ||
        !(f = fopen(path, "re")))
        return false;
    if (fgets(line, sizeof(line), f))
        for (char *save = NULL, *w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
            found = found || strcmp(w, controller) == 0;
    fclose(f);
    return found;
}

bool qemud_guest_cgroup_has(const char *name, const char *file)
{
    char dir[PATH_MAX];

    return parent[0] && group_path(name, dir) == 0 && has_file(dir, file);
}

bool qemud_guest_cgroup_has_cpu(const char *name)
{
    return qemud_guest_cgroup_has(name, "cpu.weight") && qemud_guest_cgroup_has(name, "cpu.max");
}

int qemud_guest_cgroup_write(const char *name, const char *file, const char *value)
{
    char dir[PATH_MAX];
    int r;

    if (!parent[0])
        return -ENOENT;
    if ((r = group_path(name, dir)) < 0)
        return r;
    return write_file(dir, file, value);
}

int qemud_guest_cgroup_read(const char *name, const char *file, char *buf, size_t size)
{
    char dir[PATH_MAX], path[PATH_MAX];
    FILE *f;
    int r = 0;

    if (!parent[0])
        return -ENOENT;
    if ((r = group_path(name, dir)) < 0)
        return r;
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if (!(f = fopen(path, "re")))
        return -errno;
    if (!fgets(buf, (int)size, f))
        r = ferror(f) ? -EIO : -ENODATA;
    else
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
    return r;
}

/* The cpu.max period a group starts with (the kernel's default) */
#define CPU_MAX_PERIOD_DEFAULT 100000ULL

int qemud_guest_cgroup_set_cpu(const char *name, unsigned long long shares, unsigned long long period,
                               long long quota, unsigned int vcpus, const char **failed)
{
    char text[96], cur[64], cur_quota[32] = "max";
    unsigned long long cur_period = CPU_MAX_PERIOD_DEFAULT;
    int r;

    if (shares) {
        snprintf(text, sizeof(text), "%llu", shares);
        if ((r = qemud_guest_cgroup_write(name, "cpu.weight", text)) < 0)
            return *failed = "cpu.weight", r;
    }
    if (!period && !quota)
        return 0;
    /* cpu.max is "QUOTA PERIOD" in one write: the half not given stays as the group has it */
    if (qemud_guest_cgroup_read(name, "cpu.max", cur, sizeof(cur)) == 0)
        sscanf(cur, "%31s %llu", cur_quota, &cur_period);
    if (quota > 0)
        snprintf(text, sizeof(text), "%lld %llu", quota * (long long)(vcpus ? vcpus : 1),
                 period ? period : cur_period);
    else
        snprintf(text, sizeof(text), "%s %llu", quota < 0 ? "max" : cur_quota, period ? period : cur_period);
    if ((r = qemud_guest_cgroup_write(name, "cpu.max", text)) < 0)
        return *failed = "cpu.max", r;
    return 0;
}

void qemud_guest_cgroup_remove(const char *name)
{
    char dir[PATH_MAX];

    if (!parent[0] || group_path(name, dir) < 0)
        return;
    if (rmdir(dir) < 0 && errno != ENOENT)
        mv_warn("cannot remove the cgroup '%s': %s", dir, strerror(errno));
}

void qemud_guest_cgroup_sweep(bool (*keep)(const char *name))
{
    DIR *d;
    struct dirent *e;

    if (!parent[0] || !(d = opendir(parent)))
        return;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.' || keep(e->d_name))
            continue;
        mv_info("removing the cgroup '%s/%s', left by a domain that no longer runs", parent, e->d_name);
        qemud_guest_cgroup_remove(e->d_name);
    }
    closedir(d);
}

void qemud_guest_cgroup_done(void)
{
    if (!parent[0])
        return;
    /* empty unless a guest outlives the daemon (by design): then it stays
     * for the next start to find */
    if (rmdir(parent) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
        mv_debug("cannot remove the cgroup '%s': %s", parent, strerror(errno));
    parent[0] = '\0';
}
