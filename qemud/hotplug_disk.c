/*
 * A hotplugged disk's host side (hotplug.h): its volume resolved through
 * storaged, its file checked and granted to the guest's uid as at start,
 * and handed to QEMU as an fd ("add-fd" into an fdset QEMU opens as
 * /dev/fdset/N): the guest's private root only shows the files bound at
 * start.  All of it taken back when the attach fails or the disk goes.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "guest_files.h"
#include "guest_path_policy.h"
#include "hotplug.h"
#include "log.h"
#include "qemud.h"
#include "storage_volume.h"

/* LIVE reduced to disk D alone, for the functions that walk a definition
 * (never freed: it borrows all it has). */
static struct mv_dom_def view_of(const struct mv_dom_def *live, struct mv_dom_disk *d)
{
    struct mv_dom_def view = { .name = live->name };

    memcpy(view.uuid, live->uuid, sizeof(view.uuid));
    view.devices.disks = d;
    view.devices.ndisks = 1;
    return view;
}

static int grant_copy(struct qemud_grant *dst, const struct qemud_grant *src)
{
    *dst = *src;
    dst->fd = -1;
    dst->written = NULL;
    dst->path = strdup(src->path);
    return dst->path ? 0 : -ENOMEM;
}

/* Appends copies of NEW's grants to DOM's, under its lock (the status file
 * reads them there). */
static int record_grants(struct qemud_dom *dom, const struct qemud_isolation *new)
{
    int r;

    pthread_mutex_lock(&dom->lock);
    r = qemud_isolation_append(&dom->iso, new);
    pthread_mutex_unlock(&dom->lock);
    return r;
}

/* Removes from DOM's grants the newest for PATH with ACCESS. */
static void forget_grant(struct qemud_dom *dom, const char *path, enum qemud_grant_access access)
{
    pthread_mutex_lock(&dom->lock);
    qemud_isolation_forget(&dom->iso, path, access);
    pthread_mutex_unlock(&dom->lock);
}

static int grant_file(struct hotplug_attach *a, struct mv_dom_def *view, const struct qemud_guest_id *id,
                      struct mv_err *err)
{
    struct qemud_dom *dom = a->dom;
    int r;

    a->grants.id = *id;
    if ((r = qemud_guest_files_collect(dom->name, view, &a->grants, err)) < 0)
        return r;
    /* QEMU opens a backing file by the name in the image, which the
     * guest's root does not show: only a single file can be passed */
    if (a->grants.ngrants > 1)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: disk '%s' of domain '%s' has a backing chain; "
                          "a running domain can be given only a single image file (flatten it, or attach it "
                          "with --config)", view->devices.disks[0].target, dom->name);
    if ((r = record_grants(dom, &a->grants)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    qemud_process_save_status(dom);
    a->granted = true;
    return qemud_guest_files_grant(dom->name, &a->grants, err);
}

/* The file opened for QEMU: through the checked O_PATH fd when there is
 * one, so that what is passed is what was checked. */
static int open_for_qemu(const struct hotplug_attach *a, const struct mv_dom_disk *d, struct mv_err *err)
{
    int flags = (d->readonly || d->device == MV_DOM_DISK_DEVICE_CDROM ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    char proc[64];
    int fd;

    if (a->grants.ngrants == 1 && a->grants.grants[0].fd >= 0) {
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->grants.grants[0].fd);
        fd = open(proc, flags);
    } else {
        fd = open(d->source, flags);
    }
    if (fd < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot open '%s' for disk '%s' of domain '%s'", d->source, d->target,
                                a->dom->name);
    return fd;
}

/* The file FD that was opened for disk D, where it really is (a symlink
 * swapped in after the check is caught), held to the path policy. */
static int check_opened(const struct hotplug_attach *a, const struct mv_dom_disk *d, int fd, struct mv_err *err)
{
    _cleanup_free_ char *what = NULL;
    char proc[64], resolved[PATH_MAX];
    struct stat st;
    ssize_t n;

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (fstat(fd, &st) < 0 || (n = readlink(proc, resolved, sizeof(resolved) - 1)) < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot resolve '%s' for disk '%s' of domain '%s'", d->source, d->target,
                                a->dom->name);
    resolved[n] = '\0';
    if (asprintf(&what, "disk '%s'", d->target) < 0) {
        what = NULL;
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    return qemud_path_policy_check_use(a->dom->name, what, resolved, QEMUD_PATH_FILE, &st, err);
}

static int pass_fd(struct hotplug_attach *a, const struct mv_dom_disk *d, int fd, struct mv_err *err)
{
    _cleanup_free_ char *opaque = NULL;
    json_object *args = json_object_new_object(), *reply = NULL, *id;
    int r;

    if (asprintf(&opaque, "disk:%s", d->target) < 0 || !args ||
        json_object_object_add(args, "opaque", json_object_new_string(opaque)) < 0) {
        json_object_put(args);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    r = qemud_monitor_command_fd(a->dom, "add-fd", args, fd, &reply, err);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(reply, "fdset-id", &id)) {
        json_object_put(reply);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: QEMU of domain '%s' answered add-fd without an fdset-id", a->dom->name);
    }
    a->fdset = json_object_get_int64(id);
    json_object_put(reply);
    if (asprintf(&a->open_path, "/dev/fdset/%lld", a->fdset) < 0) {
        a->open_path = NULL;
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    args = json_object_new_object();
    if (!args || json_object_object_add(args, "fdset-id", json_object_new_int64(a->fdset)) < 0) {
        json_object_put(args);
        return -ENOMEM;
    }
    return hotplug_undo_push(&a->undo, "remove-fd", args);
}

int hotplug_disk_prepare(struct hotplug_attach *a, struct mv_err *err)
{
    struct mv_dom_disk *d = &a->live->devices.disks[a->index];
    struct mv_dom_def view = view_of(a->live, d);
    struct qemud_guest_id id;
    int fd, r;

    if (d->encryption != MV_DOM_DISK_ENCRYPTION_NONE)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: encrypted disk '%s' cannot be attached to running domain "
                          "'%s'; attach it with --config", d->target, a->dom->name);
    if (d->type == MV_DOM_DISK_VOLUME && (r = qemud_disk_volumes_resolve(qemud.paths, &view, err)) < 0)
        return r;
    if (!d->source)
        return 0;                   /* an empty CD-ROM drive */
    /* the policy define and start apply, whether or not the guest is
     * confined (a root QEMU could otherwise be handed /etc/shadow) */
    if ((r = qemud_path_policy_check_def(&view, err)) < 0)
        return r;
    pthread_mutex_lock(&a->dom->lock);
    id = a->dom->iso.id;
    pthread_mutex_unlock(&a->dom->lock);
    if (id.set && (r = grant_file(a, &view, &id, err)) < 0)
        return r;
    if ((fd = open_for_qemu(a, d, err)) < 0)
        return fd;
    /* granted, the file was checked as resolved; else check what was opened */
    r = a->granted ? 0 : check_opened(a, d, fd, err);
    if (r == 0)
        r = pass_fd(a, d, fd, err);
    close(fd);
    return r;
}

void hotplug_disk_rollback(struct hotplug_attach *a)
{
    if (!a->granted)
        return;
    qemud_guest_files_revoke(a->dom->name, &a->grants);
    for (size_t i = 0; i < a->grants.ngrants; i++)
        forget_grant(a->dom, a->grants.grants[i].path, a->grants.grants[i].access);
    qemud_process_save_status(a->dom);
    a->granted = false;
}

long long hotplug_disk_fdset(struct qemud_dom *dom, const char *target)
{
    struct mv_err err = { 0 };
    json_object *reply = NULL;
    long long found = -1;
    char opaque[64];

    snprintf(opaque, sizeof(opaque), "disk:%s", target);
    if (qemud_monitor_command(dom, "query-fdsets", NULL, &reply, &err) < 0) {
        mv_err_clear(&err);
        return -1;
    }
    for (size_t i = 0; json_object_is_type(reply, json_type_array) && i < json_object_array_length(reply); i++) {
        json_object *set = json_object_array_get_idx(reply, i), *fds, *id;

        if (!json_object_object_get_ex(set, "fdset-id", &id) || !json_object_object_get_ex(set, "fds", &fds))
            continue;
        for (size_t k = 0; k < json_object_array_length(fds); k++) {
            json_object *o;

            if (json_object_object_get_ex(json_object_array_get_idx(fds, k), "opaque", &o) &&
                strcmp(json_object_get_string(o), opaque) == 0)
                found = json_object_get_int64(id);
        }
    }
    json_object_put(reply);
    return found;
}

static json_object *one_key(const char *key, json_object *val)
{
    json_object *o = json_object_new_object();

    if (o && json_object_object_add(o, key, val) == 0)
        return o;
    json_object_put(val);
    json_object_put(o);
    return NULL;
}

/* Whether another disk of LIVE opens PATH (resolved). */
static bool path_still_used(const struct mv_dom_def *live, const char *path)
{
    for (size_t i = 0; live && i < live->devices.ndisks; i++) {
        char buf[PATH_MAX];
        const char *src = live->devices.disks[i].source;

        if (src && realpath(src, buf) && strcmp(buf, path) == 0)
            return true;
    }
    return false;
}

static void release_grant(struct qemud_dom *dom, const struct mv_dom_disk *disk, const struct mv_dom_def *live)
{
    struct qemud_isolation one = { 0 };
    enum qemud_grant_access access = QEMUD_GRANT_WRITE;
    struct qemud_grant g = { .fd = -1 };
    char path[PATH_MAX];
    bool found = false;

    if (!disk->source || !realpath(disk->source, path) || path_still_used(live, path))
        return;
    pthread_mutex_lock(&dom->lock);
    one.id = dom->iso.id;
    for (size_t i = dom->iso.ngrants; !found && i-- > 0;)
        if (strcmp(dom->iso.grants[i].path, path) == 0 && grant_copy(&g, &dom->iso.grants[i]) == 0)
            found = true, access = dom->iso.grants[i].access;
    pthread_mutex_unlock(&dom->lock);
    if (!found)
        return;
    one.grants = &g;
    one.ngrants = 1;
    qemud_guest_files_revoke(dom->name, &one);
    forget_grant(dom, path, access);
    free(g.path);
}

void hotplug_disk_release(struct qemud_dom *dom, const struct mv_dom_disk *disk, const struct mv_dom_def *live)
{
    static const char *const nodes[] = { "format", "storage" };
    long long fdset;

    for (size_t i = 0; disk->source && i < MV_ARRAY_SIZE(nodes); i++) {
        char name[64];

        snprintf(name, sizeof(name), "%s-%s", disk->target, nodes[i]);
        hotplug_qmp_try(dom, "blockdev-del", one_key("node-name", json_object_new_string(name)));
    }
    if ((fdset = hotplug_disk_fdset(dom, disk->target)) >= 0)
        hotplug_qmp_try(dom, "remove-fd", one_key("fdset-id", json_object_new_int64(fdset)));
    release_grant(dom, disk, live);
}
