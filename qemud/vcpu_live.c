/*
 * vCPU changes on a running QEMU (vcpu_live.h).
 *
 * Decisions:
 * - vCPU N is slot N of query-hotpluggable-cpus in topology order (socket,
 *   die, cluster, core, thread): QEMU numbers cpu-index the same way, and
 *   the command line's "-smp CURRENT,maxcpus=MAX" fills the first CURRENT
 *   slots.  A plugged vCPU gets the device id "vcpuN".
 * - An unplug waits for DEVICE_DELETED at most UNPLUG_WAIT_MS, as libvirt
 *   does, and then checks that QEMU lists the slot free (QEMU 7.2 reports
 *   a CPU's removal by its child APIC's path alone); a guest that keeps the
 *   CPU leaves it plugged and the call fails by name (it may still go later).
 * - QEMU 7.2 under TCG dies when a vCPU is plugged again after an unplug
 *   (any id, any slot that was used): slots unplugged in a TCG run are
 *   remembered for that run (domain UUID and run generation) and plugging
 *   them again is refused by name.  A daemon restarted meanwhile has
 *   forgotten them.
 */
#define MV_LOG_MODULE "qemud.vcpu"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cleanup.h"
#include "domain_idset.h"
#include "domain_monitor.h"
#include "log.h"
#include "vcpu_live.h"

#define UNPLUG_WAIT_MS 5000
#define SLOTS_MAX 4096
#define PERIPHERAL "/machine/peripheral/"

/* ---- threads ---- */

static int int_member(json_object *o, const char *key, long long *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return -EPROTO;
    *out = json_object_get_int64(v);
    return 0;
}

/* *TID of vCPU VCPU (0: not online) and *SHARED, another online vCPU on that thread (-1: none). */
static int vcpu_thread(struct qemud_dom *dom, unsigned int vcpu, pid_t *tid, long long *shared, struct mv_err *err)
{
    json_object *cpus = NULL;
    long long want = -1;
    size_t n;
    int r = qemud_monitor_command(dom, "query-cpus-fast", NULL, &cpus, err);

    if (r < 0)
        return r;
    *tid = 0;
    *shared = -1;
    n = cpus && json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    for (size_t i = 0; i < n && want < 0; i++) {
        json_object *e = json_object_array_get_idx(cpus, i);
        long long index, t;

        if (int_member(e, "cpu-index", &index) == 0 && index == vcpu && int_member(e, "thread-id", &t) == 0)
            want = t;
    }
    for (size_t i = 0; i < n && want > 0; i++) {
        json_object *e = json_object_array_get_idx(cpus, i);
        long long index, t;

        if (int_member(e, "cpu-index", &index) == 0 && index != vcpu && int_member(e, "thread-id", &t) == 0 &&
            t == want && *shared < 0)
            *shared = index;
    }
    json_object_put(cpus);
    *tid = want > 0 ? (pid_t)want : 0;
    return 0;
}

int qemud_vcpu_pin_live(struct qemud_dom *dom, unsigned int vcpu, const struct mv_dom_idset *cpuset,
                        struct mv_err *err)
{
    size_t size = CPU_ALLOC_SIZE(MV_DOM_CPUSET_MAX);
    cpu_set_t *mask;
    long long shared;
    pid_t tid;
    int r = vcpu_thread(dom, vcpu, &tid, &shared, err);

    if (r < 0)
        return r;
    if (!tid)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: setting cpu "
                          "pinning for vCPU %u of domain '%s' is not possible: it is not online", vcpu, dom->name);
    if (shared >= 0)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: vCPU %u of "
                          "domain '%s' runs on one QEMU thread with vCPU %lld (single-threaded TCG) and cannot be "
                          "pinned on its own", vcpu, dom->name, shared);
    if (!(mask = CPU_ALLOC(MV_DOM_CPUSET_MAX)))
        return -ENOMEM;
    CPU_ZERO_S(size, mask);
    for (size_t i = 0; i < cpuset->n; i++)
        CPU_SET_S(cpuset->ids[i], size, mask);
    r = sched_setaffinity(tid, size, mask) < 0 ? -errno : 0;
    CPU_FREE(mask);
    if (r < 0) {
        _cleanup_free_ char *text = mv_dom_idset_format(cpuset, ",");

        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot pin vCPU %u (thread %d) of "
                                "domain '%s' to CPUs '%s'", vcpu, (int)tid, dom->name, text ? text : "?");
    }
    return 0;
}

/* ---- slots ---- */

struct slot {
    json_object *entry;             /* borrowed from the reply */
    long long key[5];               /* socket, die, cluster, core, thread (-1: absent) */
    const char *qom_path;           /* NULL: free */
};

static void slot_key(json_object *props, long long key[5])
{
    static const char *const names[] = { "socket-id", "die-id", "cluster-id", "core-id", "thread-id" };

    for (int i = 0; i < 5; i++)
        if (!props || int_member(props, names[i], &key[i]) < 0)
            key[i] = -1;
}

static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;

    for (int i = 0; i < 5; i++)
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    return 0;
}

/* The slots of *REPLY (QEMU's answer, kept for the borrowed entries) in vCPU order. */
static int read_slots(struct qemud_dom *dom, json_object **reply, struct slot **slots, size_t *n,
                      struct mv_err *err)
{
    size_t len;
    int r = qemud_monitor_command(dom, "query-hotpluggable-cpus", NULL, reply, err);

    if (r < 0)
        return r;
    if (!*reply || !json_object_is_type(*reply, json_type_array) ||
        (len = json_object_array_length(*reply)) == 0 || len > SLOTS_MAX)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: QEMU of "
                          "domain '%s' lists no hot-pluggable vCPU slots (its machine type cannot plug vCPUs)",
                          dom->name);
    if (!(*slots = calloc(len, sizeof(**slots))))
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(*reply, i), *props = NULL, *path;

        json_object_object_get_ex(e, "props", &props);
        (*slots)[i].entry = e;
        slot_key(props, (*slots)[i].key);
        if (json_object_object_get_ex(e, "qom-path", &path))
            (*slots)[i].qom_path = json_object_get_string(path);
    }
    qsort(*slots, len, sizeof(**slots), slot_cmp);
    *n = len;
    return 0;
}

static int plug(struct qemud_dom *dom, const struct slot *s, unsigned int vcpu, struct mv_err *err)
{
    json_object *args = json_object_new_object(), *type, *props;
    char id[32];

    if (!args)
        return -ENOMEM;
    snprintf(id, sizeof(id), "vcpu%u", vcpu);
    if (!json_object_object_get_ex(s->entry, "type", &type) || !json_object_object_get_ex(s->entry, "props", &props)) {
        json_object_put(args);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: QEMU of domain '%s' "
                          "described vCPU slot %u without its type and properties", dom->name, vcpu);
    }
    json_object_object_add(args, "driver", json_object_get(type));
    json_object_object_add(args, "id", json_object_new_string(id));
    json_object_object_foreach(props, key, val)
        if (strcmp(key, "node-id") != 0)        /* set by QEMU from the NUMA layout */
            json_object_object_add(args, key, json_object_get(val));
    return qemud_monitor_command(dom, "device_add", args, NULL, err);
}

/* ---- unplug: DEVICE_DELETED ---- */

struct unplug_wait {
    struct qemud_dom *dom;
    const char *id;
    bool done;
    struct unplug_wait *next;
};

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond;
static struct unplug_wait *waiters;

/* Whether event DATA is about the device ID or one of its children
 * ("/machine/peripheral/vcpu2/lapic": QEMU 7.2 reports a CPU's unplug by
 * its APIC alone). */
static bool about(json_object *data, const char *id)
{
    json_object *v;
    const char *s;
    size_t plen = strlen(PERIPHERAL), ilen = strlen(id);

    if (json_object_object_get_ex(data, "device", &v) && (s = json_object_get_string(v)) && strcmp(s, id) == 0)
        return true;
    return json_object_object_get_ex(data, "path", &v) && (s = json_object_get_string(v)) &&
           strncmp(s, PERIPHERAL, plen) == 0 && strncmp(s + plen, id, ilen) == 0 &&
           (s[plen + ilen] == '\0' || s[plen + ilen] == '/');
}

static void on_device_deleted(struct qemud_dom *dom, uint64_t gen, json_object *data)
{
    (void)gen;
    if (!data)
        return;
    pthread_mutex_lock(&wait_lock);
    for (struct unplug_wait *w = waiters; w; w = w->next)
        if (w->dom == dom && about(data, w->id))
            w->done = true;
    pthread_cond_broadcast(&wait_cond);
    pthread_mutex_unlock(&wait_lock);
}

void qemud_vcpu_live_init(void)
{
    pthread_condattr_t a;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&wait_cond, &a);
    pthread_condattr_destroy(&a);
    if (qemud_monitor_on_event("DEVICE_DELETED", on_device_deleted) < 0)
        mv_warn("no room for the DEVICE_DELETED handler: vCPU unplug will time out");
}

/* Whether QEMU still lists a vCPU slot taken by the device ID. */
static int still_plugged(struct qemud_dom *dom, const char *id, bool *plugged, struct mv_err *err)
{
    json_object *reply = NULL, *path;
    char want[128];
    size_t n;
    int r = qemud_monitor_command(dom, "query-hotpluggable-cpus", NULL, &reply, err);

    if (r < 0)
        return r;
    snprintf(want, sizeof(want), PERIPHERAL "%s", id);
    *plugged = false;
    n = reply && json_object_is_type(reply, json_type_array) ? json_object_array_length(reply) : 0;
    for (size_t i = 0; i < n; i++)
        if (json_object_object_get_ex(json_object_array_get_idx(reply, i), "qom-path", &path) &&
            strcmp(json_object_get_string(path), want) == 0)
            *plugged = true;
    json_object_put(reply);
    return 0;
}

/* device_del of ID, then DEVICE_DELETED within UNPLUG_WAIT_MS and the
 * slot free. */
static int unplug(struct qemud_dom *dom, const char *id, unsigned int vcpu, struct mv_err *err)
{
    struct unplug_wait w = { dom, id, false, NULL };
    struct timespec deadline;
    json_object *args = json_object_new_object();
    bool plugged = false;
    int r = 0;

    if (!args)
        return -ENOMEM;
    json_object_object_add(args, "id", json_object_new_string(id));
    pthread_mutex_lock(&wait_lock);     /* listed before the request: the event cannot come first */
    w.next = waiters;
    waiters = &w;
    pthread_mutex_unlock(&wait_lock);
    r = qemud_monitor_command(dom, "device_del", args, NULL, err);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += UNPLUG_WAIT_MS / 1000;
    pthread_mutex_lock(&wait_lock);
    while (r == 0 && !w.done)
        if (pthread_cond_timedwait(&wait_cond, &wait_lock, &deadline) == ETIMEDOUT)
            break;
    for (struct unplug_wait **p = &waiters; *p; p = &(*p)->next)
        if (*p == &w) {
            *p = w.next;
            break;
        }
    pthread_mutex_unlock(&wait_lock);
    if (r == 0 && w.done && (r = still_plugged(dom, id, &plugged, err)) == 0 && plugged)
        w.done = false;
    if (r == 0 && !w.done)
        r = mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU, "operation failed: the guest of domain '%s' "
                       "did not release vCPU %u within %d s; it stays plugged (it may go later)", dom->name,
                       vcpu, UNPLUG_WAIT_MS / 1000);
    return r;
}

/* ---- slots unplugged in a TCG run ---- */

struct gone {
    char uuid[40];
    uint64_t gen;
    unsigned int vcpu;
};

static pthread_mutex_t gone_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gone *gone;
static size_t ngone;

/* DOM's run generation, and whether it runs under TCG. */
static uint64_t run_of(struct qemud_dom *dom, bool *tcg)
{
    uint64_t gen;

    pthread_mutex_lock(&dom->lock);
    gen = dom->run_gen;
    *tcg = !dom->live || dom->live->virt != MV_DOM_VIRT_KVM;
    pthread_mutex_unlock(&dom->lock);
    return gen;
}

static bool was_unplugged(struct qemud_dom *dom, unsigned int vcpu)
{
    bool tcg, found = false;
    uint64_t gen = run_of(dom, &tcg);

    pthread_mutex_lock(&gone_lock);
    for (size_t i = 0; i < ngone && !found; i++)
        found = gone[i].gen == gen && gone[i].vcpu == vcpu && strcmp(gone[i].uuid, dom->uuid_str) == 0;
    pthread_mutex_unlock(&gone_lock);
    return tcg && found;
}

/* Records VCPU of DOM's run as unplugged; older runs' records of DOM go. */
static void remember_unplugged(struct qemud_dom *dom, unsigned int vcpu)
{
    bool tcg;
    uint64_t gen = run_of(dom, &tcg);
    size_t kept = 0;
    struct gone *grown;

    if (!tcg)
        return;
    pthread_mutex_lock(&gone_lock);
    for (size_t i = 0; i < ngone; i++)
        if (strcmp(gone[i].uuid, dom->uuid_str) != 0 || gone[i].gen == gen)
            gone[kept++] = gone[i];
    ngone = kept;
    if ((grown = realloc(gone, (ngone + 1) * sizeof(*gone)))) {
        gone = grown;
        snprintf(gone[ngone].uuid, sizeof(gone[ngone].uuid), "%s", dom->uuid_str);
        gone[ngone].gen = gen;
        gone[ngone++].vcpu = vcpu;
    }
    pthread_mutex_unlock(&gone_lock);
}

/* ---- count ---- */

static int change_one(struct qemud_dom *dom, const struct slot *slots, size_t n, unsigned int vcpu, bool add,
                      struct mv_err *err)
{
    const char *path;

    if (vcpu >= n)
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: QEMU of domain '%s' has "
                          "%zu vCPU slots, not %u", dom->name, n, vcpu + 1);
    path = slots[vcpu].qom_path;
    if (add) {
        if (path)
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: vCPU slot %u of domain "
                              "'%s' is taken already (%s)", vcpu, dom->name, path);
        if (was_unplugged(dom, vcpu))
            return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: vCPU %u "
                              "of domain '%s' was unplugged in this run, and QEMU under TCG cannot plug a vCPU "
                              "again (it dies); it comes back with the next start", vcpu, dom->name);
        return plug(dom, &slots[vcpu], vcpu, err);
    }
    if (!path)
        return 0;       /* gone already */
    if (strncmp(path, PERIPHERAL, strlen(PERIPHERAL)) != 0)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU, "Operation not supported: vCPU %u of "
                          "domain '%s' was started with the domain, not plugged, and QEMU cannot unplug it",
                          vcpu, dom->name);
    /* remembered before the request: a guest may let go after a timeout */
    remember_unplugged(dom, vcpu);
    return unplug(dom, path + strlen(PERIPHERAL), vcpu, err);
}

int qemud_vcpu_set_live(struct qemud_dom *dom, unsigned int current, unsigned int wanted, unsigned int *now,
                        struct mv_err *err)
{
    json_object *reply = NULL;
    _cleanup_free_ struct slot *slots = NULL;
    size_t n = 0;
    int r;

    *now = current;
    if (current == wanted)
        return 0;
    if ((r = read_slots(dom, &reply, &slots, &n, err)) < 0) {
        json_object_put(reply);
        return r;
    }
    while (r >= 0 && *now != wanted) {
        bool add = *now < wanted;
        unsigned int vcpu = add ? *now : *now - 1;

        if ((r = change_one(dom, slots, n, vcpu, add, err)) >= 0)
            *now = add ? *now + 1 : *now - 1;
    }
    json_object_put(reply);
    return r;
}
