/*
 * DOMAIN_ATTACH_DEVICE(_FLAGS), DETACH_DEVICE(_FLAGS), DETACH_DEVICE_ALIAS
 * and UPDATE_DEVICE_FLAGS, and the QMP events of an unplug (hotplug.h has
 * the sequence).  Each call holds the domain's job: the live part talks to
 * QEMU, the config part rewrites the definition (atomically, the store's
 * way); with both, the config is checked first and written last, so that
 * a refused live change leaves both as they were.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_call.h"
#include "domain_events.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "domain_task.h"
#include "domain_wire.h"
#include "guest_path_policy.h"
#include "hotplug.h"
#include "log.h"
#include "monotime.h"
#include "qemu_command.h"
#include "qemud.h"

/* ---- where a call acts ---- */

struct target {
    bool live, config;
};

static const char *device_alias(const struct mv_dom_def *def, enum mv_dom_device_kind kind, size_t i)
{
    switch (kind) {
    case MV_DOM_DEVICE_DISK:
        return def->devices.disks[i].alias;
    case MV_DOM_DEVICE_NET:
        return def->devices.nets[i].alias;
    case MV_DOM_DEVICE_CONTROLLER:
        return def->devices.controllers[i].alias;
    }
    return NULL;
}

static char **device_alias_slot(struct mv_dom_def *def, enum mv_dom_device_kind kind, size_t i)
{
    switch (kind) {
    case MV_DOM_DEVICE_DISK:
        return &def->devices.disks[i].alias;
    case MV_DOM_DEVICE_NET:
        return &def->devices.nets[i].alias;
    case MV_DOM_DEVICE_CONTROLLER:
        return &def->devices.controllers[i].alias;
    }
    return NULL;
}

void hotplug_publish_live(struct qemud_dom *dom, struct mv_dom_def *new)
{
    struct mv_err err = { 0 };

    /* fails only when QEMU has gone meanwhile: no live definition to change */
    if (qemud_dom_replace_def(dom, false, NULL, new, &err) < 0)
        mv_debug("%s", err.message ? err.message : "live definition not replaced");
    mv_err_clear(&err);
}

/* A reference to DOM's live definition, NULL when it is not running; read
 * under dom->lock as the process side replaces it. */
static struct mv_dom_def *live_snapshot(struct qemud_dom *dom)
{
    struct mv_dom_def *def;

    pthread_mutex_lock(&dom->lock);
    def = dom->live;
    if (def)
        mv_dom_def_ref(def);
    pthread_mutex_unlock(&dom->lock);
    return def;
}

static int dom_id(struct qemud_dom *dom)
{
    int id;

    pthread_mutex_lock(&dom->lock);
    id = dom->id;
    pthread_mutex_unlock(&dom->lock);
    return id;
}

static int parse_failed(struct mv_err *err, int code, char *msg)
{
    int r = mv_err_set(err, code ? code : MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN, "%s",
                       msg ? msg : "cannot read the device definition");

    free(msg);
    return r;
}

/* ---- config ---- */

/* The persistent definition with the device of XML added, checked and
 * given its addresses as a define would; not written yet. */
static int config_attach(struct qemud_dom *dom, const char *xml, struct mv_dom_def **out, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);
    enum mv_dom_device_kind kind;
    char *msg = NULL;
    size_t idx;
    int code = 0;

    if (!cur)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' has no persistent configuration", dom->name);
    if (mv_dom_device_parse(xml, cur, dom->name, 0, out, &kind, &idx, &code, &msg) < 0)
        return parse_failed(err, code, msg);
    if (mv_dom_assign_addresses(*out, &code, &msg) < 0) {
        mv_dom_def_free(TAKE_PTR(*out));
        return parse_failed(err, code, msg);
    }
    /* held to what define holds a definition to: no path no guest may have */
    if ((code = qemud_path_policy_check_def(*out, err)) < 0) {
        mv_dom_def_free(TAKE_PTR(*out));
        return code;
    }
    return 0;
}

/* Writes DEF (taken over) as DOM's persistent definition. */
static int config_commit(struct qemud_dom *dom, struct mv_dom_def *def, struct mv_err *err)
{
    return qemud_dom_replace_def(dom, true, NULL, def, err);
}

/* ---- live attach ---- */

static int build_and_run(struct hotplug_attach *a, enum mv_qemu_device_kind kind, size_t index, struct mv_err *err)
{
    size_t nd = a->live->devices.ndisks, nn = a->live->devices.nnets;
    _cleanup_free_ const char **paths = calloc(nd ? nd : 1, sizeof(char *));
    _cleanup_free_ const char **fds = calloc(nn ? nn : 1, sizeof(char *));
    struct mv_qemu_cmd_ctx ctx = { .emulator = qemud.emulator };
    char **argv = NULL;
    char *msg = NULL;
    int code = 0, r;

    if (!paths || !fds)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (kind == MV_QEMU_DEV_DISK) {
        paths[index] = a->open_path;
        ctx.disk_open_paths = paths;
        ctx.ndisk_open_paths = nd;
    } else if (kind == MV_QEMU_DEV_NET) {
        fds[index] = a->fd_name;
        ctx.net_fd_names = fds;
        ctx.nnet_fd_names = nn;
    }
    if (mv_qemu_build_device(a->live, &ctx, (enum mv_qemu_device_kind)kind, index, &argv, &code, &msg) < 0) {
        r = mv_err_set(err, code ? code : MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "%s", msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    r = hotplug_qmp_run(a->dom, argv, true, &a->undo, err);
    mv_strv_free(argv);
    return r;
}

/* The controllers the new device needs that the assign pass added. */
static int add_needed_controllers(struct hotplug_attach *a, const struct mv_dom_def *old, struct mv_err *err)
{
    size_t idx[4];
    size_t n = hotplug_controllers_added(old, a->live, idx, MV_ARRAY_SIZE(idx));
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        if (a->kind == MV_DOM_DEVICE_CONTROLLER && idx[i] == a->index)
            continue;               /* the device itself */
        r = build_and_run(a, MV_QEMU_DEV_CONTROLLER, idx[i], err);
    }
    return r;
}

static int prepare_and_run(struct hotplug_attach *a, const struct mv_dom_def *old, struct mv_err *err)
{
    int r = add_needed_controllers(a, old, err);

    if (r < 0)
        return r;
    switch (a->kind) {
    case MV_DOM_DEVICE_DISK:
        if ((r = hotplug_disk_prepare(a, err)) < 0)
            return r;
        return build_and_run(a, MV_QEMU_DEV_DISK, a->index, err);
    case MV_DOM_DEVICE_NET:
        if ((r = hotplug_net_prepare(a, err)) < 0)
            return r;
        return build_and_run(a, MV_QEMU_DEV_NET, a->index, err);
    case MV_DOM_DEVICE_CONTROLLER:
        return build_and_run(a, MV_QEMU_DEV_CONTROLLER, a->index, err);
    }
    return -EINVAL;
}

/* The new device's alias: a user alias is kept, any other given one
 * dropped (the daemon names devices); an interface's is the lowest free
 * netN (an index could repeat one after an unplug). */
static int name_new_device(struct hotplug_attach *a, struct mv_err *err)
{
    char **alias = device_alias_slot(a->live, a->kind, a->index);
    int r = 0;

    if (*alias && strncmp(*alias, "ua-", 3) != 0)
        free(TAKE_PTR(*alias));
    if (a->kind == MV_DOM_DEVICE_NET)
        r = hotplug_net_alias(a->live, a->index);
    if (r == 0 && mv_dom_duplicate_user_alias(a->live))
        r = -EEXIST;
    if (r == -EEXIST)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: alias '%s' is already used by another device of domain '%s'",
                          *alias, a->dom->name);
    return r < 0 ? mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory") : 0;
}

static void attach_clear(struct hotplug_attach *a)
{
    hotplug_undo_clear(&a->undo);
    qemud_isolation_clear(&a->grants);
    free(a->open_path);
    free(a->fd_name);
    if (a->tapfd >= 0)
        close(a->tapfd);
    mv_dom_def_free(a->live);
}

static int live_attach(struct qemud_dom *dom, const char *xml, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *old = live_snapshot(dom);
    struct hotplug_attach a = { .dom = dom, .fdset = -1, .tapfd = -1 };
    char *msg = NULL, *alias;
    int code = 0, r;

    if (!old)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' is not running", dom->name);
    if (mv_dom_device_parse(xml, old, dom->name, MV_DOM_PARSE_STATUS, &a.live, &a.kind, &a.index, &code, &msg) < 0)
        return parse_failed(err, code, msg);
    r = name_new_device(&a, err);
    if (r == 0 && mv_dom_assign(a.live, &code, &msg) < 0)
        r = parse_failed(err, code, msg);
    if (r == 0)
        r = prepare_and_run(&a, old, err);
    if (r < 0) {
        hotplug_undo_run(dom, &a.undo);
        if (a.kind == MV_DOM_DEVICE_DISK)
            hotplug_disk_rollback(&a);
        else if (a.kind == MV_DOM_DEVICE_NET && a.live)
            hotplug_net_rollback(&a);
        attach_clear(&a);
        return r;
    }
    alias = strdup(device_alias(a.live, a.kind, a.index));
    mv_info("domain '%s': device '%s' attached", dom->name, alias ? alias : "?");
    /* published: the live definition (and dom->iso) now hold what the device has */
    hotplug_publish_live(dom, TAKE_PTR(a.live));
    attach_clear(&a);
    if (alias)
        qemud_event_device_added(dom, dom_id(dom), alias);
    free(alias);
    return 0;
}

/* ---- finding a device ---- */

/* The device of DEF that the fragment FRAG (its only device of KIND)
 * describes: a disk by target, an interface by MAC when the fragment gives
 * one (else by user alias), a controller by type and index.  -1 if none. */
static ssize_t find_device(const struct mv_dom_def *def, const struct mv_dom_def *frag, enum mv_dom_device_kind kind,
                           bool mac_given)
{
    const struct mv_dom_devices *d = &def->devices, *f = &frag->devices;

    for (size_t i = 0; kind == MV_DOM_DEVICE_DISK && i < d->ndisks; i++)
        if (streq(d->disks[i].target, f->disks[0].target))
            return (ssize_t)i;
    for (size_t i = 0; kind == MV_DOM_DEVICE_NET && i < d->nnets; i++) {
        if (mac_given ? memcmp(d->nets[i].mac, f->nets[0].mac, 6) == 0
                      : f->nets[0].alias && d->nets[i].alias && streq(d->nets[i].alias, f->nets[0].alias))
            return (ssize_t)i;
    }
    for (size_t i = 0; kind == MV_DOM_DEVICE_CONTROLLER && i < d->ncontrollers; i++)
        if (d->controllers[i].type == f->controllers[0].type && d->controllers[i].index == f->controllers[0].index)
            return (ssize_t)i;
    return -1;
}

static int device_missing(struct mv_err *err, const struct qemud_dom *dom, const struct mv_dom_def *frag,
                          enum mv_dom_device_kind kind, bool live)
{
    const char *where = live ? "running domain" : "the definition of domain";

    switch (kind) {
    case MV_DOM_DEVICE_DISK:
        return mv_err_set(err, MV_ERR_DEVICE_MISSING, MV_FROM_QEMU, "device not found: no disk with target '%s' in %s '%s'",
                          frag->devices.disks[0].target, where, dom->name);
    case MV_DOM_DEVICE_NET: {
        const unsigned char *m = frag->devices.nets[0].mac;

        return mv_err_set(err, MV_ERR_DEVICE_MISSING, MV_FROM_QEMU,
                          "device not found: no interface with MAC address %02x:%02x:%02x:%02x:%02x:%02x in %s '%s'",
                          m[0], m[1], m[2], m[3], m[4], m[5], where, dom->name);
    }
    case MV_DOM_DEVICE_CONTROLLER:
        return mv_err_set(err, MV_ERR_DEVICE_MISSING, MV_FROM_QEMU,
                          "device not found: no %s controller with index %u in %s '%s'",
                          mv_dom_controller_type_to_string(frag->devices.controllers[0].type),
                          frag->devices.controllers[0].index, where, dom->name);
    }
    return -EINVAL;
}

/* The fragment parsed alone; an interface is found by its MAC only if the
 * fragment gives one (the parser would make one up). */
struct wanted {
    struct mv_dom_def *frag;
    enum mv_dom_device_kind kind;
    bool mac_given;
};

static int parse_wanted(struct qemud_dom *dom, const char *xml, struct wanted *w, struct mv_err *err)
{
    char *msg = NULL;
    size_t idx;
    int code = 0;

    if (mv_dom_device_parse(xml, NULL, dom->name, 0, &w->frag, &w->kind, &idx, &code, &msg) < 0)
        return parse_failed(err, code, msg);
    w->mac_given = strstr(xml, "<mac") != NULL;
    if (w->kind == MV_DOM_DEVICE_NET && !w->mac_given && !w->frag->devices.nets[0].alias)
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                          "invalid argument: the interface to detach from domain '%s' needs a <mac address=> "
                          "or a user <alias name='ua-...'>", dom->name);
    return 0;
}

/* ---- unplug: DEVICE_DELETED ---- */

/* A detach waiting for the guest to let a device go. */
struct unplug_waiter {
    struct unplug_waiter *next;
    const struct qemud_dom *dom;
    const char *alias;
    bool done;
};

/* A DEVICE_DELETED no detach was waiting for: a task finishes it. */
struct late_delete {
    struct late_delete *next;
    struct qemud_dom *dom;
    uint64_t gen;
    char *alias;
};

static pthread_mutex_t unplug_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t unplug_cond;
static struct unplug_waiter *waiters;
static struct late_delete *late;

/* The device ALIAS is gone from the guest: its host side released, the
 * live definition without it published, DEVICE_REMOVED sent.  With the job. */
static void finish_removal(struct qemud_dom *dom, const char *alias)
{
    _cleanup_dom_def_ struct mv_dom_def *old = live_snapshot(dom);
    struct mv_dom_def *new;
    enum mv_dom_device_kind kind;
    size_t found;

    if (mv_dom_device_by_alias(old, alias, &kind, &found) < 0)
        return;                     /* not ours (a device QEMU added itself), or already removed */
    if (!(new = mv_dom_def_without_device(old, kind, found, MV_DOM_PARSE_STATUS))) {
        mv_error("domain '%s': cannot drop device '%s' from the live definition", dom->name, alias);
        return;
    }
    if (kind == MV_DOM_DEVICE_DISK)
        hotplug_disk_release(dom, &old->devices.disks[found], new);
    else if (kind == MV_DOM_DEVICE_NET)
        hotplug_net_release(dom, &old->devices.nets[found]);
    hotplug_publish_live(dom, new);
    mv_info("domain '%s': device '%s' removed", dom->name, alias);
    qemud_event_device_removed(dom, dom_id(dom), alias);
}

static void late_task(struct qemud_dom *dom, uint64_t gen)
{
    struct mv_err err = { 0 };
    struct late_delete *mine = NULL, **pp;

    if (qemud_job_begin(dom, "device removal", -1, &err) < 0) {
        mv_err_clear(&err);
        return;
    }
    pthread_mutex_lock(&unplug_lock);
    for (pp = &late; *pp;) {
        struct late_delete *l = *pp;

        if (l->dom == dom) {
            *pp = l->next;
            l->next = mine;
            mine = l;
        } else {
            pp = &l->next;
        }
    }
    pthread_mutex_unlock(&unplug_lock);
    while (mine) {
        struct late_delete *l = mine;
        bool current;

        mine = l->next;
        pthread_mutex_lock(&dom->lock);
        current = dom->run_gen == l->gen && qemud_dom_is_active(dom);
        pthread_mutex_unlock(&dom->lock);
        if (current)
            finish_removal(dom, l->alias);
        qemud_dom_unref(l->dom);
        free(l->alias);
        free(l);
    }
    qemud_job_end(dom);
}

/* Whether ALIAS is a device hotplug removes: DEVICE_DELETED also comes for
 * vCPUs (vcpu_live.c waits for those) and devices QEMU made itself, and a
 * late task for one would hold a task thread until the job ends. */
static bool is_hotplug_device(struct qemud_dom *dom, const char *alias)
{
    _cleanup_dom_def_ struct mv_dom_def *live = live_snapshot(dom);
    enum mv_dom_device_kind kind;
    size_t i;

    return mv_dom_device_by_alias(live, alias, &kind, &i) == 0;
}

static void on_device_deleted(struct qemud_dom *dom, uint64_t gen, json_object *data)
{
    json_object *dev;
    struct late_delete *l;
    const char *alias;

    if (!json_object_object_get_ex(data, "device", &dev) || !(alias = json_object_get_string(dev)) || !*alias ||
        !is_hotplug_device(dom, alias))
        return;
    pthread_mutex_lock(&unplug_lock);
    for (struct unplug_waiter *w = waiters; w; w = w->next)
        if (w->dom == dom && streq(w->alias, alias)) {
            w->done = true;
            pthread_cond_broadcast(&unplug_cond);
            pthread_mutex_unlock(&unplug_lock);
            return;
        }
    l = calloc(1, sizeof(*l));
    if (l && (l->alias = strdup(alias))) {
        l->dom = qemud_dom_ref(dom);
        l->gen = gen;
        l->next = late;
        late = l;
    } else {
        free(l);
        l = NULL;
    }
    pthread_mutex_unlock(&unplug_lock);
    if (!l || qemud_task_push(late_task, dom, gen) < 0)
        mv_error("domain '%s': cannot schedule the removal of device '%s'", dom->name, alias);
}

/* ACPI _OST of an eject request: the guest refused to let the device go. */
static void on_acpi_ost(struct qemud_dom *dom, uint64_t gen, json_object *data)
{
    json_object *info, *dev, *source, *status;
    int st;

    (void)gen;
    if (!json_object_object_get_ex(data, "info", &info) || !json_object_object_get_ex(info, "device", &dev) ||
        !json_object_object_get_ex(info, "source", &source) || !json_object_object_get_ex(info, "status", &status))
        return;
    st = json_object_get_int(status);
    /* source 3: eject; status 0 success, 0x84 still in progress */
    if (json_object_get_int(source) != 3 || st == 0 || st == 0x84)
        return;
    qemud_event_device_removal_failed(dom, dom_id(dom), json_object_get_string(dev));
}

int hotplug_init(void)
{
    int r = mv_cond_init_monotonic(&unplug_cond);

    if (r == 0)
        r = qemud_monitor_on_event("DEVICE_DELETED", on_device_deleted);
    if (r == 0)
        r = qemud_monitor_on_event("ACPI_DEVICE_OST", on_acpi_ost);
    return r;
}

/* Asks the guest to let ALIAS go and waits for it up to
 * HOTPLUG_UNPLUG_WAIT_MS.  1 gone, 0 still there (a later DEVICE_DELETED
 * finishes it), <0 QEMU refused. */
static int unplug(struct qemud_dom *dom, const char *alias, struct mv_err *err)
{
    struct unplug_waiter w = { .dom = dom, .alias = alias };
    json_object *args = json_object_new_object();
    struct timespec until;
    int r;

    if (!args || json_object_object_add(args, "id", json_object_new_string(alias)) < 0) {
        json_object_put(args);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    pthread_mutex_lock(&unplug_lock);
    w.next = waiters;
    waiters = &w;
    pthread_mutex_unlock(&unplug_lock);
    r = qemud_monitor_command(dom, "device_del", args, NULL, err);
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += HOTPLUG_UNPLUG_WAIT_MS / 1000;
    pthread_mutex_lock(&unplug_lock);
    while (r == 0 && !w.done && pthread_cond_timedwait(&unplug_cond, &unplug_lock, &until) == 0)
        ;
    for (struct unplug_waiter **pp = &waiters; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
    pthread_mutex_unlock(&unplug_lock);
    return r < 0 ? r : w.done;
}

static int live_detach_at(struct qemud_dom *dom, const struct mv_dom_def *live, enum mv_dom_device_kind kind,
                          size_t i, struct mv_err *err)
{
    _cleanup_free_ char *alias = NULL;
    int r;

    if (kind == MV_DOM_DEVICE_CONTROLLER &&
        (r = hotplug_controller_check_detach(live, &live->devices.controllers[i], err)) < 0)
        return r;
    if (kind == MV_DOM_DEVICE_DISK && live->devices.disks[i].bus != MV_DOM_DISK_BUS_VIRTIO &&
        live->devices.disks[i].bus != MV_DOM_DISK_BUS_SCSI)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: disk '%s' of domain '%s' is on bus '%s', which cannot "
                          "unplug; only virtio and scsi disks", live->devices.disks[i].target, dom->name,
                          mv_dom_disk_bus_to_string(live->devices.disks[i].bus));
    if (!(alias = strdup(device_alias(live, kind, i) ? device_alias(live, kind, i) : "")) || !*alias)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: the device of domain '%s' has no alias", dom->name);
    r = unplug(dom, alias, err);
    if (r == 1)
        finish_removal(dom, alias);
    else if (r == 0)
        mv_info("domain '%s': device '%s' not released by the guest yet; it stays until QEMU reports it gone",
                dom->name, alias);
    return r < 0 ? r : 0;
}

static int live_detach(struct qemud_dom *dom, const struct wanted *w, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *live = live_snapshot(dom);
    ssize_t i = live ? find_device(live, w->frag, w->kind, w->mac_given) : -1;

    if (i < 0)
        return device_missing(err, dom, w->frag, w->kind, true);
    return live_detach_at(dom, live, w->kind, (size_t)i, err);
}

/* The persistent definition without the device W; not written yet. */
static int config_detach(struct qemud_dom *dom, const struct wanted *w, struct mv_dom_def **out, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);
    ssize_t i = cur ? find_device(cur, w->frag, w->kind, w->mac_given) : -1;

    if (i < 0)
        return device_missing(err, dom, w->frag, w->kind, false);
    if (!(*out = mv_dom_def_without_device(cur, w->kind, (size_t)i, 0)))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    return 0;
}

/* ---- update: a CD-ROM's medium ---- */

/* DEF's disk matching the fragment, which must be a CD-ROM (or floppy-less
 * removable medium) for its medium to change; DST gets the fragment's
 * source.  -1 with ERR set. */
static ssize_t cdrom_to_change(struct qemud_dom *dom, const struct mv_dom_def *def, const struct wanted *w, bool live,
                               struct mv_err *err)
{
    ssize_t i = def ? find_device(def, w->frag, w->kind, w->mac_given) : -1;

    if (w->kind != MV_DOM_DEVICE_DISK)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: only a CD-ROM's medium can be updated in domain '%s'", dom->name);
    if (i < 0)
        return device_missing(err, dom, w->frag, w->kind, live);
    if (def->devices.disks[i].device != MV_DOM_DISK_DEVICE_CDROM || w->frag->devices.disks[0].device != MV_DOM_DISK_DEVICE_CDROM)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: disk '%s' of domain '%s' is not a CD-ROM; only a CD-ROM's "
                          "medium can be changed", def->devices.disks[i].target, dom->name);
    return i;
}

static int dup_field(char **dst, const char *src)
{
    char *copy = src ? strdup(src) : NULL;

    if (src && !copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

/* A copy of DEF whose disk I has the medium of FRAG's disk. */
static struct mv_dom_def *with_medium(const struct mv_dom_def *def, size_t i, const struct mv_dom_disk *from)
{
    struct mv_dom_def *copy = mv_dom_def_copy(def);
    struct mv_dom_disk *d = copy ? &copy->devices.disks[i] : NULL;

    if (!copy)
        return NULL;
    d->type = from->type;
    d->format = from->format;
    if (dup_field(&d->source, from->source) < 0 || dup_field(&d->pool, from->pool) < 0 ||
        dup_field(&d->volume, from->volume) < 0) {
        mv_dom_def_free(copy);
        return NULL;
    }
    return copy;
}

static int update(struct qemud_dom *dom, const char *xml, const struct target *t, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cfg = NULL;
    _cleanup_dom_def_ struct mv_dom_def *old = NULL;
    struct wanted w = { 0 };
    ssize_t i;
    int r;

    if ((r = parse_wanted(dom, xml, &w, err)) < 0)
        goto out;
    if (t->config) {
        _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);

        if ((i = cdrom_to_change(dom, cur, &w, false, err)) < 0 ||
            !(cfg = with_medium(cur, (size_t)i, &w.frag->devices.disks[0]))) {
            r = i < 0 ? (int)i : mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
            goto out;
        }
        /* the new medium is a path like any other define would check */
        if ((r = qemud_path_policy_check_def(cfg, err)) < 0)
            goto out;
    }
    if (t->live) {
        struct mv_dom_def *new;

        old = qemud_dom_snapshot(dom, false);
        if ((i = cdrom_to_change(dom, old, &w, true, err)) < 0) {
            r = (int)i;
            goto out;
        }
        if (!(new = with_medium(old, (size_t)i, &w.frag->devices.disks[0]))) {
            r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
            goto out;
        }
        if ((r = hotplug_update_cdrom_live(dom, old, new, (size_t)i, err)) < 0)
            goto out;
    }
    if (t->config)
        r = config_commit(dom, TAKE_PTR(cfg), err);
out:
    mv_dom_def_free(w.frag);
    return r;
}

/* ---- procedures ---- */

enum op { OP_ATTACH, OP_DETACH, OP_UPDATE };

struct request {
    enum op op;
    const char *xml;                /* or the alias for DETACH_DEVICE_ALIAS */
    bool by_alias;
    unsigned int flags;
    const char *api;
};

static int attach(struct qemud_dom *dom, const char *xml, const struct target *t, struct mv_err *err)
{
    struct mv_dom_def *cfg = NULL;
    int r;

    if (t->config && (r = config_attach(dom, xml, &cfg, err)) < 0)
        return r;
    if (t->live && (r = live_attach(dom, xml, err)) < 0) {
        mv_dom_def_free(cfg);
        return r;
    }
    return t->config ? config_commit(dom, cfg, err) : 0;
}

static int detach(struct qemud_dom *dom, const char *xml, const struct target *t, struct mv_err *err)
{
    struct mv_dom_def *cfg = NULL;
    struct wanted w = { 0 };
    int r = parse_wanted(dom, xml, &w, err);

    if (r == 0 && t->config)
        r = config_detach(dom, &w, &cfg, err);
    if (r == 0 && t->live)
        r = live_detach(dom, &w, err);
    if (r == 0 && t->config)
        r = config_commit(dom, TAKE_PTR(cfg), err);
    mv_dom_def_free(cfg);
    mv_dom_def_free(w.frag);
    return r;
}

/* DEF's device with ALIAS: kind and index, -1 if none. */
static ssize_t find_alias(const struct mv_dom_def *def, const char *alias, enum mv_dom_device_kind *kind)
{
    size_t i;

    return mv_dom_device_by_alias(def, alias, kind, &i) == 0 ? (ssize_t)i : -1;
}

static int detach_alias(struct qemud_dom *dom, const char *alias, const struct target *t, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = t->config ? qemud_dom_snapshot(dom, true) : NULL;
    _cleanup_dom_def_ struct mv_dom_def *live = t->live ? live_snapshot(dom) : NULL;
    struct mv_dom_def *cfg = NULL;
    enum mv_dom_device_kind kind;
    ssize_t ci = -1, li = -1;
    int r = 0;

    if ((t->config && (ci = find_alias(cur, alias, &kind)) < 0) || (t->live && (li = find_alias(live, alias, &kind)) < 0))
        return mv_err_set(err, MV_ERR_DEVICE_MISSING, MV_FROM_QEMU, "device not found: no device with alias '%s' in %s '%s'",
                          alias, t->config && ci < 0 ? "the definition of domain" : "running domain", dom->name);
    if (t->config && !(cfg = mv_dom_def_without_device(cur, kind, (size_t)ci, 0)))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (t->live)
        r = live_detach_at(dom, live, kind, (size_t)li, err);
    if (r == 0 && t->config)
        return config_commit(dom, cfg, err);
    mv_dom_def_free(cfg);
    return r;
}

static int do_request(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    const struct request *rq = opaque;
    struct mv_err err = { 0 };
    struct target t;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &t.live, &t.config)) < 0)
        return r;
    if (rq->by_alias)
        r = detach_alias(dom, rq->xml, &t, &err);
    else if (rq->op == OP_ATTACH)
        r = attach(dom, rq->xml, &t, &err);
    else if (rq->op == OP_DETACH)
        r = detach(dom, rq->xml, &t, &err);
    else
        r = update(dom, rq->xml, &t, &err);
    return r < 0 ? qemud_call_fail(call, &err) : 0;
}

static int run_request(struct mv_call *call, const mv_nonnull_domain *wire, struct request *rq)
{
    unsigned int allowed = HOTPLUG_AFFECT_LIVE | HOTPLUG_AFFECT_CONFIG | (rq->op == OP_UPDATE ? HOTPLUG_FORCE : 0);

    if (rq->flags & ~allowed)
        return qemud_bad_flags(call, rq->flags & ~allowed, rq->api);
    return qemud_with_job(call, wire,
                          rq->op == OP_ATTACH ? "attach device" : rq->op == OP_DETACH ? "detach device" : "update device",
                          do_request, rq->flags & (HOTPLUG_AFFECT_LIVE | HOTPLUG_AFFECT_CONFIG), rq);
}

static int attach_device(struct mv_call *call, mv_domain_attach_device_args *args, void *ret)
{
    struct request rq = { OP_ATTACH, args->xml, false, HOTPLUG_AFFECT_LIVE, "virDomainAttachDevice" };

    return run_request(call, &args->dom, &rq);
}

static int attach_device_flags(struct mv_call *call, mv_domain_attach_device_flags_args *args, void *ret)
{
    struct request rq = { OP_ATTACH, args->xml, false, args->flags, "virDomainAttachDeviceFlags" };

    return run_request(call, &args->dom, &rq);
}

static int detach_device(struct mv_call *call, mv_domain_detach_device_args *args, void *ret)
{
    struct request rq = { OP_DETACH, args->xml, false, HOTPLUG_AFFECT_LIVE, "virDomainDetachDevice" };

    return run_request(call, &args->dom, &rq);
}

static int detach_device_flags(struct mv_call *call, mv_domain_detach_device_flags_args *args, void *ret)
{
    struct request rq = { OP_DETACH, args->xml, false, args->flags, "virDomainDetachDeviceFlags" };

    return run_request(call, &args->dom, &rq);
}

static int detach_device_alias(struct mv_call *call, mv_domain_detach_device_alias_args *args, void *ret)
{
    struct request rq = { OP_DETACH, args->alias, true, args->flags, "virDomainDetachDeviceAlias" };

    return run_request(call, &args->dom, &rq);
}

static int update_device_flags(struct mv_call *call, mv_domain_update_device_flags_args *args, void *ret)
{
    struct request rq = { OP_UPDATE, args->xml, false, args->flags, "virDomainUpdateDeviceFlags" };

    return run_request(call, &args->dom, &rq);
}

static const struct mv_dispatch_entry hotplug_procs[] = {
    MV_HANDLER(DOMAIN_ATTACH_DEVICE, attach_device),
    MV_HANDLER(DOMAIN_ATTACH_DEVICE_FLAGS, attach_device_flags),
    MV_HANDLER(DOMAIN_DETACH_DEVICE, detach_device),
    MV_HANDLER(DOMAIN_DETACH_DEVICE_FLAGS, detach_device_flags),
    MV_HANDLER(DOMAIN_DETACH_DEVICE_ALIAS, detach_device_alias),
    MV_HANDLER(DOMAIN_UPDATE_DEVICE_FLAGS, update_device_flags),
};
const struct mv_dispatch_table qemud_hotplug_table = { hotplug_procs, MV_ARRAY_SIZE(hotplug_procs) };
