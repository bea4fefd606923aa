/*
 * External disk-only snapshots of a shut off guest: each covered disk gets
 * a new qcow2 overlay whose backing file is the image it had, and the
 * domain's definition then points at the overlays.  The next start grants
 * the overlay (and, read-only, its backing chain) to the guest's identity
 * like any disk (guest_files.h).
 */
#define MV_LOG_MODULE "qemud.snapshot"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_store.h"
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

static int publish(struct qemud_dom *dom, struct mv_dom_def *def, struct mv_err *err)
{
    if (qemud_store_save_config(def, err) < 0)
        return -EIO;
    pthread_mutex_lock(&dom->lock);
    mv_dom_def_free(dom->def);
    dom->def = def;
    pthread_mutex_unlock(&dom->lock);
    return 0;
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
    if (r == 0 && (r = publish(dom, def, err)) == 0) {
        def = NULL;
        return 0;
    }
    for (size_t i = 0; i < made; i++) {
        struct qemud_snap_disk *sd = snap_disk(snap, cur->devices.disks[i].target);

        if (qemud_snap_disk_covered(&cur->devices.disks[i]) && sd && sd->kind == QEMUD_SNAP_KIND_EXTERNAL)
            unlink(sd->file);
    }
    return r < 0 ? r : -EIO;
}
