/*
 * Pinning QEMU's threads (cputune.h).
 *
 * Decisions:
 * - A vCPU's thread is the one query-cpus-fast reports.  Under
 *   single-threaded TCG every vCPU shares one thread: pins that disagree
 *   for vCPUs on one thread are refused rather than one silently winning.
 * - vCPUs that are not online (current < vcpu) have no thread yet: their
 *   pins are shown but apply only once they exist (hot-plug is not done
 *   by qemud today).
 * - The emulator pin goes to every thread that is neither a vCPU nor an
 *   iothread.  Threads QEMU creates later inherit their creator's affinity;
 *   one created while the threads are listed is caught by listing again
 *   until a pass finds no thread left unpinned.  A limit, documented in
 *   modvirt-qemud(8): a thread a vCPU or iothread creates after the start
 *   (a thread-pool worker) has that thread's mask, not emulatorpin's, as
 *   nothing like libvirt's cpuset cgroup covers the whole process.
 */
#define MV_LOG_MODULE "qemud.cputune"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cleanup.h"
#include "cputune.h"
#include "domain_idset.h"
#include "domain_monitor.h"
#include "domain_obj.h"
#include "file.h"

#define ONLINE_PATH "/sys/devices/system/cpu/online"
/* passes over /proc/PID/task for the emulator pin; QEMU creates a few
 * threads at most while it waits for "cont" */
#define EMULATOR_PASSES_MAX 8
#define THREADS_MAX 4096

char *qemud_host_cpus_online(void)
{
    char *text = NULL;
    int r = mv_file_read_all(ONLINE_PATH, 4096, &text, NULL);

    if (r < 0) {
        errno = -r;
        return NULL;
    }
    text[strcspn(text, "\n")] = '\0';
    return text;
}

/* Thread ids QEMU reported: vCPU i's at vcpu[i] (0: none), iothreads by id. */
struct threads {
    pid_t *vcpu;
    size_t nvcpu;
    unsigned int iothread_id[THREADS_MAX];
    pid_t iothread[THREADS_MAX];
    size_t niothreads;
};

static int set_affinity(pid_t tid, const struct mv_dom_idset *cpuset, const char *what, const char *name,
                        struct mv_err *err)
{
    cpu_set_t *mask = CPU_ALLOC(MV_DOM_CPUSET_MAX);
    size_t size = CPU_ALLOC_SIZE(MV_DOM_CPUSET_MAX);
    _cleanup_free_ char *text = NULL;
    int r = 0;

    if (!mask)
        return -ENOMEM;
    CPU_ZERO_S(size, mask);
    for (size_t i = 0; i < cpuset->n; i++)
        CPU_SET_S(cpuset->ids[i], size, mask);
    if (sched_setaffinity(tid, size, mask) < 0) {
        r = -errno;
        text = mv_dom_idset_format(cpuset, ",");
        mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot pin %s (thread %d) of domain '%s' "
                         "to CPUs '%s'", what, (int)tid, name, text ? text : "?");
    }
    CPU_FREE(mask);
    return r;
}

static bool same_set(const struct mv_dom_idset *a, const struct mv_dom_idset *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->ids, b->ids, a->n * sizeof(*a->ids)) == 0);
}

static int int_member(json_object *o, const char *key, long long *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return -EPROTO;
    *out = json_object_get_int64(v);
    return 0;
}

static int read_vcpu_threads(struct qemud_dom *dom, struct threads *t, struct mv_err *err)
{
    json_object *cpus = NULL;
    int r = qemud_monitor_command(dom, "query-cpus-fast", NULL, &cpus, err);

    if (r < 0)
        return r;
    for (size_t i = 0; cpus && i < json_object_array_length(cpus); i++) {
        json_object *e = json_object_array_get_idx(cpus, i);
        long long index, tid;

        if (int_member(e, "cpu-index", &index) < 0 || int_member(e, "thread-id", &tid) < 0 ||
            index < 0 || (size_t)index >= t->nvcpu) {
            json_object_put(cpus);
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: QEMU of domain '%s' "
                              "reported a vCPU without a usable cpu-index and thread-id", dom->name);
        }
        t->vcpu[index] = (pid_t)tid;
    }
    json_object_put(cpus);
    return 0;
}

static int read_iothreads(struct qemud_dom *dom, struct threads *t, struct mv_err *err)
{
    json_object *list = NULL;
    int r = qemud_monitor_command(dom, "query-iothreads", NULL, &list, err);

    if (r < 0)
        return r;
    for (size_t i = 0; list && i < json_object_array_length(list) && t->niothreads < THREADS_MAX; i++) {
        json_object *e = json_object_array_get_idx(list, i), *id;
        long long tid;
        unsigned int n;

        /* only the iothreadN objects the command line made (qemu_cmd_iothreads.c) */
        if (!json_object_object_get_ex(e, "id", &id) || int_member(e, "thread-id", &tid) < 0 ||
            sscanf(json_object_get_string(id), "iothread%u", &n) != 1)
            continue;
        t->iothread_id[t->niothreads] = n;
        t->iothread[t->niothreads++] = (pid_t)tid;
    }
    json_object_put(list);
    return 0;
}

static pid_t iothread_tid(const struct threads *t, unsigned int id)
{
    for (size_t i = 0; i < t->niothreads; i++)
        if (t->iothread_id[i] == id)
            return t->iothread[i];
    return 0;
}

/* Two vCPUs on one thread (single-threaded TCG) cannot be pinned apart. */
static int check_shared_vcpu_threads(const struct threads *t, const struct mv_dom_cputune *tune,
                                     const char *name, struct mv_err *err)
{
    for (size_t i = 0; i < tune->nvcpupins; i++)
        for (size_t j = 0; j < i; j++) {
            unsigned int a = tune->vcpupins[i].vcpu, b = tune->vcpupins[j].vcpu;

            if (a < t->nvcpu && b < t->nvcpu && t->vcpu[a] && t->vcpu[a] == t->vcpu[b] &&
                !same_set(&tune->vcpupins[i].cpuset, &tune->vcpupins[j].cpuset))
                return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU, "unsupported configuration: "
                                  "vCPUs %u and %u of domain '%s' run on one QEMU thread (single-threaded TCG) "
                                  "and cannot be pinned to different cpusets", b, a, name);
        }
    return 0;
}

static int pin_vcpus_iothreads(const struct threads *t, const struct mv_dom_cputune *tune, const char *name,
                               struct mv_err *err)
{
    char what[64];
    int r = check_shared_vcpu_threads(t, tune, name, err);

    for (size_t i = 0; r >= 0 && i < tune->nvcpupins; i++) {
        unsigned int v = tune->vcpupins[i].vcpu;

        if (v >= t->nvcpu || !t->vcpu[v])
            continue;       /* not online: no thread to pin */
        snprintf(what, sizeof(what), "vCPU %u", v);
        r = set_affinity(t->vcpu[v], &tune->vcpupins[i].cpuset, what, name, err);
    }
    for (size_t i = 0; r >= 0 && i < tune->niothreadpins; i++) {
        pid_t tid = iothread_tid(t, tune->iothreadpins[i].iothread);

        snprintf(what, sizeof(what), "iothread %u", tune->iothreadpins[i].iothread);
        if (!tid)
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: QEMU of domain '%s' "
                              "has no thread for %s", name, what);
        r = set_affinity(tid, &tune->iothreadpins[i].cpuset, what, name, err);
    }
    return r;
}

static bool is_pinned_elsewhere(const struct threads *t, pid_t tid)
{
    for (size_t i = 0; i < t->nvcpu; i++)
        if (t->vcpu[i] == tid)
            return true;
    for (size_t i = 0; i < t->niothreads; i++)
        if (t->iothread[i] == tid)
            return true;
    return false;
}

/* One pass over /proc/PID/task: pins each emulator thread not in DONE.
 * *NEW counts the threads pinned in this pass. */
static int emulator_pass(pid_t pid, const struct threads *t, const struct mv_dom_idset *cpuset, pid_t *done, size_t *ndone,
                         size_t *new, const char *name, struct mv_err *err)
{
    char path[64];
    DIR *dir;
    struct dirent *e;
    int r = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(dir = opendir(path)))
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot list the threads of "
                                "QEMU (pid %d) of domain '%s'", (int)pid, name);
    *new = 0;
    while ((e = readdir(dir))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        bool seen = false;

        if (tid <= 0 || is_pinned_elsewhere(t, tid))
            continue;
        for (size_t i = 0; i < *ndone && !seen; i++)
            seen = done[i] == tid;
        if (seen || *ndone == THREADS_MAX)
            continue;
        r = set_affinity(tid, cpuset, "an emulator thread", name, err);
        if (r == -ESRCH) {      /* a short-lived worker that is gone: nothing to pin */
            mv_err_clear(err);
            r = 0;
            continue;
        }
        if (r < 0)
            break;
        done[(*ndone)++] = tid;
        (*new)++;
    }
    closedir(dir);
    return r;
}

static int pin_emulator(pid_t pid, const struct threads *t, const struct mv_dom_idset *cpuset, const char *name,
                        struct mv_err *err)
{
    _cleanup_free_ pid_t *done = calloc(THREADS_MAX, sizeof(*done));
    size_t ndone = 0, new = 1;
    int r = 0;

    if (!done)
        return -ENOMEM;
    for (int pass = 0; r >= 0 && new && pass < EMULATOR_PASSES_MAX; pass++)
        r = emulator_pass(pid, t, cpuset, done, &ndone, &new, name, err);
    if (r >= 0 && new)
        r = mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: QEMU of domain '%s' kept "
                       "creating threads while its emulator threads were pinned", name);
    return r;
}

int qemud_cputune_apply(struct qemud_dom *dom, const struct mv_dom_def *live, struct mv_err *err)
{
    const struct mv_dom_cputune *tune = &live->cputune;
    _cleanup_free_ struct threads *t = NULL;
    _cleanup_free_ pid_t *vcpu = NULL;
    int r;

    if (!tune->nvcpupins && !tune->niothreadpins && !tune->emulatorpin.n)
        return 0;
    t = calloc(1, sizeof(*t));
    vcpu = calloc(live->vcpus, sizeof(*vcpu));
    if (!t || !vcpu)
        return -ENOMEM;
    t->vcpu = vcpu;
    t->nvcpu = live->vcpus;
    if ((r = read_vcpu_threads(dom, t, err)) < 0 || (r = read_iothreads(dom, t, err)) < 0 ||
        (r = pin_vcpus_iothreads(t, tune, dom->name, err)) < 0)
        return r;
    if (tune->emulatorpin.n)
        r = pin_emulator(dom->pid, t, &tune->emulatorpin, dom->name, err);
    return r;
}
