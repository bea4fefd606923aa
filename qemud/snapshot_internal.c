/*
 * Internal snapshots: the VM state and disk snapshots inside the guest's
 * qcow2 images.  A running guest's through QEMU's snapshot-save /
 * snapshot-load / snapshot-delete jobs (waited for with JOB_STATUS_CHANGE
 * events and the monitor's hang-up, never by polling), a shut off guest's
 * with qemu-img snapshot.
 */
#define MV_LOG_MODULE "qemud.snapshot"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "error_codes.h"
#include "log.h"
#include "monotime.h"
#include "process.h"
#include "qemud.h"
#include "snapshot_priv.h"

/* A snapshot job writes or reads the whole guest memory: minutes at worst. */
#define SNAP_JOB_TIMEOUT_S 600
/* A cancelled job stops at its next chunk: it concludes soon */
#define SNAP_CANCEL_TIMEOUT_MS (10 * 1000)
#define SNAP_IMG_TIMEOUT_MS (300 * 1000)

bool qemud_snap_disk_covered(const struct mv_dom_disk *d)
{
    return d->device == MV_DOM_DISK_DEVICE_DISK && !d->readonly;
}

int qemud_snap_internal_check(const struct qemud_dom *dom, const struct mv_dom_def *def, bool running,
                              struct mv_err *err)
{
    size_t covered = 0;

    for (size_t i = 0; i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];

        if (!qemud_snap_disk_covered(d))
            continue;
        covered++;
        if (d->format != MV_DOM_DISK_FORMAT_QCOW2)
            return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                              "Operation not supported: internal snapshot of domain '%s' needs qcow2 disks: "
                              "disk '%s' is %s", dom->name, d->target,
                              d->format == MV_DOM_DISK_FORMAT_DEFAULT ? "raw" : mv_dom_disk_format_to_string(d->format));
        if (d->type == MV_DOM_DISK_BLOCK || (!running && d->type != MV_DOM_DISK_FILE))
            return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                              "Operation not supported: internal snapshot of shut off domain '%s': disk '%s' is "
                              "not a file", dom->name, d->target);
    }
    if (!covered)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: domain '%s' has no writable disk to hold an internal snapshot",
                          dom->name);
    return 0;
}

/* ---- QEMU's snapshot jobs ---- */

/* The jobs being waited for: their last status as the events tell it. */
struct job_slot {
    struct qemud_dom *dom;          /* NULL: free */
    char id[48];
    char status[24];
};
static struct job_slot slots[16];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint job_seq;

/* JOB_STATUS_CHANGE on the monitor thread: record, wake the waiter (who
 * waits on dom->job_cond, which the monitor's hang-up signals too). */
static void on_job_status(struct qemud_dom *dom, uint64_t gen, json_object *data)
{
    json_object *id, *st;
    bool ours = false;

    (void)gen;
    if (!data || !json_object_object_get_ex(data, "id", &id) || !json_object_object_get_ex(data, "status", &st))
        return;
    pthread_mutex_lock(&slots_lock);
    for (size_t i = 0; i < MV_ARRAY_SIZE(slots); i++)
        if (slots[i].dom == dom && strcmp(slots[i].id, json_object_get_string(id)) == 0) {
            snprintf(slots[i].status, sizeof(slots[i].status), "%s", json_object_get_string(st));
            ours = true;
        }
    pthread_mutex_unlock(&slots_lock);
    if (!ours)
        return;
    pthread_mutex_lock(&dom->lock);
    pthread_cond_broadcast(&dom->job_cond);
    pthread_mutex_unlock(&dom->lock);
}

int qemud_snapshot_init(void)
{
    return qemud_monitor_on_event("JOB_STATUS_CHANGE", on_job_status);
}

static struct job_slot *slot_take(struct qemud_dom *dom, const char *id)
{
    struct job_slot *s = NULL;

    pthread_mutex_lock(&slots_lock);
    for (size_t i = 0; i < MV_ARRAY_SIZE(slots) && !s; i++)
        if (!slots[i].dom) {
            s = &slots[i];
            s->dom = dom;
            snprintf(s->id, sizeof(s->id), "%s", id);
            s->status[0] = '\0';
        }
    pthread_mutex_unlock(&slots_lock);
    return s;
}

static void slot_release(struct job_slot *s)
{
    pthread_mutex_lock(&slots_lock);
    s->dom = NULL;
    pthread_mutex_unlock(&slots_lock);
}

static bool slot_concluded(struct job_slot *s)
{
    bool done;

    pthread_mutex_lock(&slots_lock);
    done = strcmp(s->status, "concluded") == 0 || strcmp(s->status, "null") == 0;
    pthread_mutex_unlock(&slots_lock);
    return done;
}

/* Waits MS milliseconds at most until job S concluded or QEMU hung up.
 * dom->job_cond runs on CLOCK_MONOTONIC (object.c): so does the deadline.
 * 0 concluded, -EPIPE hang-up, -ETIMEDOUT. */
static int slot_wait_ms(struct qemud_dom *dom, struct job_slot *s, int ms)
{
    struct timespec deadline;
    bool eof = false, done = false;
    int r = 0;

    mv_deadline_after(&deadline, ms);
    pthread_mutex_lock(&dom->lock);
    while (!(done = slot_concluded(s)) && !(eof = dom->mon_eof) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&dom->job_cond, &dom->lock, &deadline);
    pthread_mutex_unlock(&dom->lock);
    return done ? 0 : eof ? -EPIPE : -ETIMEDOUT;
}

/* A job past its time: cancelled, so that QEMU stops writing or loading
 * the state, and dismissed once it concluded (else it stays listed). */
static void job_abandon(struct qemud_dom *dom, struct job_slot *s, const char *id)
{
    json_object *args = json_object_new_object();
    struct mv_err e = { 0 };

    if (!args)
        return;
    json_object_object_add(args, "id", json_object_new_string(id));
    if (qemud_monitor_command(dom, "job-cancel", json_object_get(args), NULL, &e) < 0)
        mv_warn("domain '%s': job-cancel of '%s': %s", dom->name, id, e.message);
    mv_err_clear(&e);
    if (slot_wait_ms(dom, s, SNAP_CANCEL_TIMEOUT_MS) == 0 &&
        qemud_monitor_command(dom, "job-dismiss", json_object_get(args), NULL, &e) < 0)
        mv_warn("domain '%s': job-dismiss of '%s': %s", dom->name, id, e.message);
    mv_err_clear(&e);
    json_object_put(args);
}

/* Waits until job S concluded, QEMU hung up or the deadline passed (the
 * job then cancelled). */
static int slot_wait(struct qemud_dom *dom, struct job_slot *s, const char *cmd, struct mv_err *err)
{
    int r = slot_wait_ms(dom, s, SNAP_JOB_TIMEOUT_S * 1000);

    if (r == 0)
        return 0;
    if (r == -EPIPE)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU of domain '%s' exited during '%s'", dom->name, cmd);
    job_abandon(dom, s, s->id);
    return mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                      "Timed out during operation: QEMU of domain '%s' did not finish '%s' within %d s (job "
                      "cancelled)", dom->name, cmd, SNAP_JOB_TIMEOUT_S);
}

/* The error of concluded job ID (query-jobs), then the job dismissed. */
static int job_result(struct qemud_dom *dom, const char *id, const char *cmd, struct mv_err *err)
{
    json_object *reply = NULL, *e;
    struct mv_err ignored = { 0 };
    int r = 0;

    if (qemud_monitor_command(dom, "query-jobs", NULL, &reply, err) < 0)
        return -EIO;
    for (size_t i = 0; reply && json_object_is_type(reply, json_type_array) && i < json_object_array_length(reply); i++) {
        json_object *j = json_object_array_get_idx(reply, i), *jid;

        if (!json_object_object_get_ex(j, "id", &jid) || strcmp(json_object_get_string(jid), id) != 0)
            continue;
        if (json_object_object_get_ex(j, "error", &e))
            r = mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                           "operation failed: QEMU of domain '%s' failed '%s': %s", dom->name, cmd,
                           json_object_get_string(e));
    }
    json_object_put(reply);
    json_object *args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(id));
    if (qemud_monitor_command(dom, "job-dismiss", args, NULL, &ignored) < 0)
        mv_warn("domain '%s': job-dismiss of '%s': %s", dom->name, id, ignored.message);
    mv_err_clear(&ignored);
    return r;
}

/* The top node names of LIVE's covered disks, the first holding the VM state. */
static int node_list(struct qemud_dom *dom, const struct mv_dom_def *live, json_object **list, char *vmstate,
                     size_t len, struct mv_err *err)
{
    json_object *a = json_object_new_array();

    vmstate[0] = '\0';
    for (size_t i = 0; a && i < live->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &live->devices.disks[i];
        char node[64];

        if (!qemud_snap_disk_covered(d))
            continue;
        if (qemud_snap_top_node(dom, d, node, sizeof(node), err) < 0) {
            json_object_put(a);
            return -EIO;
        }
        if (!vmstate[0])
            snprintf(vmstate, len, "%s", node);
        json_object_array_add(a, json_object_new_string(node));
    }
    if (!a)
        return -ENOMEM;
    *list = a;
    return 0;
}

int qemud_snap_internal_live(struct qemud_dom *dom, const struct mv_dom_def *live, const char *cmd,
                             const char *name, struct mv_err *err)
{
    char id[48], vmstate[64];
    json_object *args = json_object_new_object(), *devs;
    struct job_slot *slot;
    int r;

    if (!args)
        return -ENOMEM;
    snprintf(id, sizeof(id), "mv-snapshot-%u", atomic_fetch_add(&job_seq, 1));
    if ((r = node_list(dom, live, &devs, vmstate, sizeof(vmstate), err)) < 0) {
        json_object_put(args);
        return r;
    }
    json_object_object_add(args, "job-id", json_object_new_string(id));
    json_object_object_add(args, "tag", json_object_new_string(name));
    if (strcmp(cmd, "snapshot-delete") != 0)
        json_object_object_add(args, "vmstate", json_object_new_string(vmstate));
    json_object_object_add(args, "devices", devs);
    /* the slot before the command: the job may conclude before it answers */
    if (!(slot = slot_take(dom, id))) {
        json_object_put(args);
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: too many snapshot jobs at once (domain '%s')", dom->name);
    }
    r = qemud_monitor_command(dom, cmd, args, NULL, err);
    if (r == 0)
        r = slot_wait(dom, slot, cmd, err);
    slot_release(slot);
    if (r == 0)
        r = job_result(dom, id, cmd, err);
    return r < 0 ? -EIO : 0;
}

/* ---- qemu-img on a shut off guest's images ---- */

static int img_snapshot(const struct qemud_dom *dom, const char *op, const char *name, const char *file,
                        struct mv_err *err)
{
    const char *argv[] = { QEMUD_QEMU_IMG, "snapshot", op, name, file, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = SNAP_IMG_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *msg = NULL;
    int r;

    r = mv_process_run(argv, &opts, &res, &msg);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: snapshot '%s' of domain '%s' on '%s': %s", name, dom->name, file,
                          msg ? msg : strerror(-r));
    return 0;
}

int qemud_snap_internal_offline(const struct qemud_dom *dom, const struct mv_dom_def *def, const char *op,
                                const char *name, struct mv_err *err)
{
    for (size_t i = 0; i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];

        if (!qemud_snap_disk_covered(d))
            continue;
        if (img_snapshot(dom, op, name, d->source, err) == 0)
            continue;
        /* a create half done: the disks that have it lose it again */
        for (size_t j = 0; strcmp(op, "-c") == 0 && j < i; j++) {
            struct mv_err undo = { 0 };

            if (qemud_snap_disk_covered(&def->devices.disks[j]) &&
                img_snapshot(dom, "-d", name, def->devices.disks[j].source, &undo) < 0)
                mv_warn("%s", undo.message);
            mv_err_clear(&undo);
        }
        return -EIO;
    }
    return 0;
}
