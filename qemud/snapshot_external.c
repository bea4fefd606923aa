/*
 * External disk-only snapshots: each covered disk gets a new qcow2 overlay
 * whose backing file is the image it had, and the domain's definitions then
 * point at the overlays.  Shut off, that is all (the next start grants the
 * overlay and its chain like any disk, guest_files.h); running, the overlay
 * is granted to the guest's identity now and handed to its confined QEMU
 * as an fd (add-fd), which puts it on top of the disk (blockdev-add,
 * blockdev-snapshot).
 */
#define MV_LOG_MODULE "qemud.snapshot"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "guest_files.h"
#include "error_codes.h"
#include "guest_path_policy.h"
#include "log.h"
#include "process.h"
#include "qemud.h"
#include "snapshot_priv.h"

#define OVERLAY_TIMEOUT_MS (60 * 1000)

/* libvirt's default overlay name: the image's name with its extension
 * replaced by the snapshot's name ("/i/vm.qcow2" -> "/i/vm.s1"). */
static char *default_overlay(const char *source, const char *snap)
{
    const char *slash = strrchr(source, '/'), *dot = strrchr(source, '.');
    size_t keep = dot && (!slash || dot > slash + 1) ? (size_t)(dot - source) : strlen(source);
    char *p;

    return asprintf(&p, "%.*s.%s", (int)keep, source, snap) < 0 ? NULL : p;
}

static struct qemud_snap_disk *snap_disk(struct qemud_snap_def *snap, const char *target)
{
    for (size_t i = 0; i < snap->ndisks; i++)
        if (strcmp(snap->disks[i].name, target) == 0)
            return &snap->disks[i];
    return NULL;
}

static int create_overlay(const struct qemud_dom *dom, const struct mv_dom_disk *d, const char *file,
                          struct mv_err *err)
{
    const char *fmt = d->format == MV_DOM_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
    const char *argv[] = { QEMUD_QEMU_IMG, "create", "-q", "-f", "qcow2", "-F", fmt, "-b", d->source, file, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = OVERLAY_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *msg = NULL;
    struct stat st;
    int r;

    /* never over an existing file: it may be another guest's image */
    if (lstat(file, &st) == 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: overlay '%s' for disk '%s' of domain '%s' exists "
                          "already", file, d->target, dom->name);
    r = mv_process_run(argv, &opts, &res, &msg);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot create overlay '%s' for disk '%s' of domain '%s': %s", file,
                          d->target, dom->name, msg ? msg : strerror(-r));
    return 0;
}

/* The overlay file of covered disk D, from SNAP's <disks> or the default;
 * SNAP's entry is added or completed. */
static int plan_disk(const struct qemud_dom *dom, struct qemud_snap_def *snap, const struct mv_dom_disk *d,
                     struct mv_err *err)
{
    struct qemud_snap_disk *sd = snap_disk(snap, d->target), *g;
    char what[64];

    if (sd && sd->kind == QEMUD_SNAP_KIND_NO)
        return 0;
    if (sd && sd->kind == QEMUD_SNAP_KIND_INTERNAL)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: disk '%s' of domain '%s': a disk-only snapshot is external "
                          "(snapshot='internal' cannot be mixed in)", d->target, dom->name);
    if (d->type != MV_DOM_DISK_FILE)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: external snapshot of disk '%s' of domain '%s': only file "
                          "disks get an overlay", d->target, dom->name);
    if (!sd) {
        if (!(g = reallocarray(snap->disks, snap->ndisks + 1, sizeof(*g))))
            return -ENOMEM;
        snap->disks = g;
        sd = &g[snap->ndisks++];
        memset(sd, 0, sizeof(*sd));
        if (!(sd->name = strdup(d->target)))
            return -ENOMEM;
    }
    sd->kind = QEMUD_SNAP_KIND_EXTERNAL;
    if (!sd->driver && !(sd->driver = strdup("qcow2")))
        return -ENOMEM;
    if (!sd->file && !(sd->file = default_overlay(d->source, snap->name)))
        return -ENOMEM;
    if (sd->file[0] != '/')
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                          "invalid argument: overlay '%s' of disk '%s' of domain '%s' is not an absolute path",
                          sd->file, d->target, dom->name);
    snprintf(what, sizeof(what), "overlay of disk '%s'", d->target);
    return qemud_path_policy_check_use(dom->name, what, sd->file, QEMUD_PATH_FILE, NULL, err);
}


int qemud_snap_external_offline(struct qemud_dom *dom, struct qemud_snap_def *snap, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    size_t made = 0, covered = 0;
    int r = 0;

    if (!cur)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: transient domain '%s' has no definition to point at "
                          "overlays", dom->name);
    for (size_t i = 0; i < snap->ndisks; i++) {
        bool found = false;

        for (size_t j = 0; j < cur->devices.ndisks && !found; j++)
            found = strcmp(cur->devices.disks[j].target, snap->disks[i].name) == 0;
        if (!found)
            return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                              "invalid argument: domain '%s' has no disk '%s'", dom->name, snap->disks[i].name);
    }
    if (!(def = mv_dom_def_copy(cur)))
        return -ENOMEM;
    for (size_t i = 0; i < def->devices.ndisks && r == 0; i++)
        if (qemud_snap_disk_covered(&def->devices.disks[i]))
            r = plan_disk(dom, snap, &def->devices.disks[i], err);
    /* then the files, taken back if any fails */
    for (size_t i = 0; i < def->devices.ndisks && r == 0; i++) {
        struct mv_dom_disk *d = &def->devices.disks[i];
        struct qemud_snap_disk *sd = snap_disk(snap, d->target);

        if (!qemud_snap_disk_covered(d) || !sd || sd->kind != QEMUD_SNAP_KIND_EXTERNAL)
            continue;
        covered++;
        if ((r = create_overlay(dom, d, sd->file, err)) < 0)
            break;
        made = i + 1;
    }
    if (r == 0 && !covered)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                       "Requested operation is not valid: domain '%s' has no disk for a disk-only snapshot",
                       dom->name);
    for (size_t i = 0; r == 0 && i < def->devices.ndisks; i++) {
        struct mv_dom_disk *d = &def->devices.disks[i];
        struct qemud_snap_disk *sd = snap_disk(snap, d->target);
        char *src;

        if (!qemud_snap_disk_covered(d) || !sd || sd->kind != QEMUD_SNAP_KIND_EXTERNAL)
            continue;
        if (!(src = strdup(sd->file))) {
            r = -ENOMEM;
            break;
        }
        free(d->source);
        d->source = src;
        d->format = MV_DOM_DISK_FORMAT_QCOW2;
    }
    if (r == 0 && (r = qemud_dom_replace_def(dom, true, cur, TAKE_PTR(def), err)) == 0)
        return 0;
    for (size_t i = 0; i < made; i++) {
        struct qemud_snap_disk *sd = snap_disk(snap, cur->devices.disks[i].target);

        if (qemud_snap_disk_covered(&cur->devices.disks[i]) && sd && sd->kind == QEMUD_SNAP_KIND_EXTERNAL)
            unlink(sd->file);
    }
    return r < 0 ? r : -EIO;
}

/* ---- a running guest: overlays handed to QEMU as fds, blockdev-snapshot ---- */

/* The virtual size of image FILE (in use by QEMU: -U), for an overlay made
 * without opening its backing file, which QEMU holds locked. */
static int image_size(const char *file, unsigned long long *size, struct mv_err *err)
{
    const char *argv[] = { QEMUD_QEMU_IMG, "info", "-U", "--output=json", file, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = OVERLAY_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *msg = NULL;
    json_object *info = NULL, *vs;
    int r = mv_process_run(argv, &opts, &res, &msg);

    if (r == 0 && (info = json_tokener_parse(res.out)) && json_object_object_get_ex(info, "virtual-size", &vs))
        *size = (unsigned long long)json_object_get_int64(vs);
    else if (r == 0)
        r = -EINVAL;
    json_object_put(info);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot read the size of '%s': %s", file, msg ? msg : strerror(-r));
    return 0;
}

static int create_overlay_live(const struct qemud_dom *dom, const struct mv_dom_disk *d, const char *file,
                               struct mv_err *err)
{
    const char *fmt = d->format == MV_DOM_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
    struct mv_process_run_opts opts = { .timeout_ms = OVERLAY_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *msg = NULL;
    unsigned long long size = 0;
    char sz[32];
    struct stat st;
    int r;

    if (lstat(file, &st) == 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: overlay '%s' for disk '%s' of domain '%s' exists "
                          "already", file, d->target, dom->name);
    if ((r = image_size(d->source, &size, err)) < 0)
        return r;
    snprintf(sz, sizeof(sz), "%llu", size);
    const char *argv[] = { QEMUD_QEMU_IMG, "create", "-q", "-u", "-f", "qcow2", "-F", fmt, "-b", d->source, file, sz,
                           NULL };
    r = mv_process_run(argv, &opts, &res, &msg);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot create overlay '%s' for disk '%s' of domain '%s': %s", file,
                          d->target, dom->name, msg ? msg : strerror(-r));
    return 0;
}

/* The overlay FILE granted to the guest's identity (read-write), recorded in
 * DOM's isolation and status file first, like a disk of the start. */
static int grant_overlay(struct qemud_dom *dom, const struct mv_dom_def *live, const struct mv_dom_disk *d,
                         const char *file, struct qemud_isolation *iso, struct mv_err *err)
{
    struct mv_dom_disk disk = *d;
    struct mv_dom_def view = { .name = live->name };
    int r;

    disk.source = (char *)file;
    disk.format = MV_DOM_DISK_FORMAT_QCOW2;
    view.devices.disks = &disk;
    view.devices.ndisks = 1;
    /* changed only with the job held, which we hold, but written under the
     * lock the status file's reader takes: read it there too */
    pthread_mutex_lock(&dom->lock);
    iso->id = dom->iso.id;
    pthread_mutex_unlock(&dom->lock);
    if ((r = qemud_guest_files_collect(dom->name, &view, iso, err)) < 0)
        return r;
    /* the backing chain below is the disk's, granted at start already */
    while (iso->ngrants > 1) {
        struct qemud_grant *g = &iso->grants[--iso->ngrants];

        if (g->fd >= 0)
            close(g->fd);
        free(g->path);
        free(g->written);
    }
    pthread_mutex_lock(&dom->lock);
    r = qemud_isolation_append(&dom->iso, iso);
    pthread_mutex_unlock(&dom->lock);
    if (r < 0)
        return r;
    qemud_process_save_status(dom);
    return qemud_guest_files_grant(dom->name, iso, err);
}

/* Forgets DOM's newest grant of G's path and access (after its revoke). */
static void forget_grant(struct qemud_dom *dom, const struct qemud_grant *g)
{
    pthread_mutex_lock(&dom->lock);
    qemud_isolation_forget(&dom->iso, g->path, g->access);
    pthread_mutex_unlock(&dom->lock);
    qemud_process_save_status(dom);
}

int qemud_snap_top_node(struct qemud_dom *dom, const struct mv_dom_disk *d, char *node, size_t len, struct mv_err *err)
{
    json_object *reply = NULL;
    char want[96];
    int found = 0;

    snprintf(want, sizeof(want), "/%s/", d->alias ? d->alias : "");
    if (qemud_monitor_command(dom, "query-block", NULL, &reply, err) < 0)
        return -EIO;
    for (size_t i = 0; json_object_is_type(reply, json_type_array) && i < json_object_array_length(reply) && !found;
         i++) {
        json_object *b = json_object_array_get_idx(reply, i), *qdev, *ins, *nn;
        char path[256];

        if (!json_object_object_get_ex(b, "qdev", &qdev) || !json_object_object_get_ex(b, "inserted", &ins) ||
            !json_object_object_get_ex(ins, "node-name", &nn))
            continue;
        snprintf(path, sizeof(path), "%s/", json_object_get_string(qdev));
        if (strstr(path, want)) {
            snprintf(node, len, "%s", json_object_get_string(nn));
            found = 1;
        }
    }
    json_object_put(reply);
    if (!found)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: QEMU of domain '%s' shows no block node for disk '%s'", dom->name,
                          d->target);
    return 0;
}

/* The overlay FILE opened for QEMU, in an fdset: its /dev/fdset/N in PATH. */
static int pass_overlay(struct qemud_dom *dom, const char *file, const char *target, long long *fdset, char *path,
                        size_t len, struct mv_err *err)
{
    json_object *args = json_object_new_object(), *reply = NULL, *id;
    char opaque[64];
    int fd = open(file, O_RDWR | O_CLOEXEC), r;

    if (fd < 0) {
        json_object_put(args);
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot open overlay '%s'", file);
    }
    snprintf(opaque, sizeof(opaque), "snapshot:%s", target);
    json_object_object_add(args, "opaque", json_object_new_string(opaque));
    r = qemud_monitor_command_fd(dom, "add-fd", args, fd, &reply, err);
    close(fd);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(reply, "fdset-id", &id)) {
        json_object_put(reply);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: QEMU of domain '%s' answered add-fd without an fdset-id", dom->name);
    }
    *fdset = json_object_get_int64(id);
    json_object_put(reply);
    snprintf(path, len, "/dev/fdset/%lld", *fdset);
    return 0;
}

/* One disk: overlay made, granted, opened by QEMU as node NODE and put on
 * top of the disk's chain.  Undone on failure. */
static int snapshot_disk_live(struct qemud_dom *dom, const struct mv_dom_def *live, const struct mv_dom_disk *d,
                              const char *file, struct mv_err *err)
{
    static unsigned int seq;
    struct qemud_isolation iso = { 0 };
    char top[64], node[32], path[64];
    long long fdset = -1;
    bool granted = false;
    struct mv_err ignored = { 0 };
    json_object *args, *f;
    int r;

    snprintf(node, sizeof(node), "snap%u-%s", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED), d->target);
    if ((r = qemud_snap_top_node(dom, d, top, sizeof(top), err)) < 0 || (r = create_overlay_live(dom, d, file, err)) < 0)
        return r;
    if (dom->iso.id.set) {
        granted = true;
        if ((r = grant_overlay(dom, live, d, file, &iso, err)) < 0)
            goto undo;
    }
    if ((r = pass_overlay(dom, file, d->target, &fdset, path, sizeof(path), err)) < 0)
        goto undo;
    args = json_object_new_object();
    f = json_object_new_object();
    json_object_object_add(f, "driver", json_object_new_string("file"));
    json_object_object_add(f, "filename", json_object_new_string(path));
    json_object_object_add(args, "driver", json_object_new_string("qcow2"));
    json_object_object_add(args, "node-name", json_object_new_string(node));
    json_object_object_add(args, "file", f);
    json_object_object_add(args, "backing", NULL);
    if ((r = qemud_monitor_command(dom, "blockdev-add", args, NULL, err)) < 0)
        goto undo;
    args = json_object_new_object();
    json_object_object_add(args, "node", json_object_new_string(top));
    json_object_object_add(args, "overlay", json_object_new_string(node));
    if ((r = qemud_monitor_command(dom, "blockdev-snapshot", args, NULL, err)) == 0) {
        qemud_isolation_clear(&iso);
        return 0;
    }
    args = json_object_new_object();
    json_object_object_add(args, "node-name", json_object_new_string(node));
    qemud_monitor_command(dom, "blockdev-del", args, NULL, &ignored);
    mv_err_clear(&ignored);
undo:
    if (fdset >= 0) {
        args = json_object_new_object();
        json_object_object_add(args, "fdset-id", json_object_new_int64(fdset));
        qemud_monitor_command(dom, "remove-fd", args, NULL, &ignored);
        mv_err_clear(&ignored);
    }
    if (granted && iso.ngrants) {
        qemud_guest_files_revoke(dom->name, &iso);
        forget_grant(dom, &iso.grants[0]);
    }
    qemud_isolation_clear(&iso);
    unlink(file);
    return r;
}

/* DEF (taken over) with each externally snapshotted disk's source the overlay. */
static struct mv_dom_def *pointed(struct mv_dom_def *def, const struct qemud_snap_def *snap)
{
    for (size_t i = 0; def && i < def->devices.ndisks; i++) {
        struct mv_dom_disk *d = &def->devices.disks[i];
        const struct qemud_snap_disk *sd = snap_disk((struct qemud_snap_def *)snap, d->target);
        char *src;

        if (!qemud_snap_disk_covered(d) || !sd || sd->kind != QEMUD_SNAP_KIND_EXTERNAL)
            continue;
        if (!(src = strdup(sd->file))) {
            mv_dom_def_free(def);
            return NULL;
        }
        free(d->source);
        d->source = src;
        d->format = MV_DOM_DISK_FORMAT_QCOW2;
    }
    return def;
}

int qemud_snap_external_live(struct qemud_dom *dom, struct qemud_snap_def *snap, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);
    _cleanup_dom_def_ struct mv_dom_def *cfg = qemud_dom_snapshot(dom, true);
    struct mv_dom_def *nlive, *ncfg = NULL;
    size_t done = 0;
    int r = 0;

    if (!live)
        return -ENOMEM;
    for (size_t i = 0; i < live->devices.ndisks && r == 0; i++)
        if (qemud_snap_disk_covered(&live->devices.disks[i]))
            r = plan_disk(dom, snap, &live->devices.disks[i], err);
    /* one disk after the other: a failure leaves the earlier ones on their overlays, as libvirt without ATOMIC */
    for (size_t i = 0; i < live->devices.ndisks && r == 0; i++) {
        const struct mv_dom_disk *d = &live->devices.disks[i];
        const struct qemud_snap_disk *sd = snap_disk(snap, d->target);

        if (!qemud_snap_disk_covered(d) || !sd || sd->kind != QEMUD_SNAP_KIND_EXTERNAL)
            continue;
        if ((r = snapshot_disk_live(dom, live, d, sd->file, err)) == 0)
            done++;
    }
    if (done == 0)
        return r < 0 ? r : mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                                      "Requested operation is not valid: domain '%s' has no disk for a disk-only "
                                      "snapshot", dom->name);
    /* what QEMU uses now, in the live and the persistent definition */
    if (!(nlive = pointed(mv_dom_def_copy(live), snap)) || (cfg && !(ncfg = pointed(mv_dom_def_copy(cfg), snap)))) {
        mv_dom_def_free(nlive);
        return -ENOMEM;
    }
    if (qemud_dom_replace_def(dom, false, live, nlive, err) < 0) {
        mv_dom_def_free(ncfg);
        return -EIO;
    }
    if (ncfg && qemud_dom_replace_def(dom, true, cfg, ncfg, r < 0 ? &(struct mv_err){ 0 } : err) < 0 && r == 0)
        r = -EIO;
    return r;
}
