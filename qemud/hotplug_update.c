/*
 * A running CD-ROM's medium changed or ejected (UPDATE_DEVICE_FLAGS,
 * virsh change-media): the tray opened (forced: a guest that mounted the
 * disc locks it), the old medium removed with its block nodes, fdset and
 * grant; the new one's file granted and passed like a hotplugged disk's
 * (hotplug_disk.c), its nodes built by the command line builder, inserted,
 * and the tray closed.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "hotplug.h"
#include "log.h"
#include "qemu_command.h"
#include "qemud.h"

static json_object *tray_args(const char *alias, const char *key, const char *value, bool force)
{
    json_object *o = json_object_new_object();

    if (!o || json_object_object_add(o, "id", json_object_new_string(alias)) < 0 ||
        (key && json_object_object_add(o, key, json_object_new_string(value)) < 0) ||
        (force && json_object_object_add(o, "force", json_object_new_boolean(1)) < 0)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static int eject(struct qemud_dom *dom, const struct mv_dom_def *old, size_t index, struct mv_err *err)
{
    const struct mv_dom_disk *d = &old->devices.disks[index];
    int r;

    /* open even when empty: a medium goes in only through an open tray */
    r = qemud_monitor_command(dom, "blockdev-open-tray", tray_args(d->alias, NULL, NULL, true), NULL, err);
    if (r < 0 || !d->source)
        return r;
    r = qemud_monitor_command(dom, "blockdev-remove-medium", tray_args(d->alias, NULL, NULL, false), NULL, err);
    if (r < 0)
        return r;
    hotplug_disk_release(dom, d, NULL);
    return 0;
}

static int insert(struct qemud_dom *dom, struct mv_dom_def *new, size_t index, struct mv_err *err)
{
    struct hotplug_attach a = { .dom = dom, .live = new, .kind = MV_DOM_DEVICE_DISK, .index = index,
                                .fdset = -1, .tapfd = -1 };
    const struct mv_dom_disk *d = &new->devices.disks[index];
    size_t nd = new->devices.ndisks;
    _cleanup_free_ const char **paths = calloc(nd, sizeof(char *));
    struct mv_qemu_cmd_ctx ctx = { .emulator = qemud.emulator };
    char **argv = NULL;
    char *msg = NULL;
    int code = 0, r;

    if (!paths)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    r = hotplug_disk_prepare(&a, err);
    if (r == 0 && d->source) {
        paths[index] = a.open_path;
        ctx.disk_open_paths = paths;
        ctx.ndisk_open_paths = nd;
        if (mv_qemu_build_device(new, &ctx, MV_QEMU_DEV_DISK, index, &argv, &code, &msg) < 0)
            r = mv_err_set(err, code ? code : MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "%s", msg ? msg : "out of memory");
        else
            r = hotplug_qmp_run(dom, argv, false, &a.undo, err);
        if (r == 0) {
            char node[64];

            snprintf(node, sizeof(node), "%s-format", d->target);
            r = qemud_monitor_command(dom, "blockdev-insert-medium", tray_args(d->alias, "node-name", node, false),
                                      NULL, err);
        }
    }
    if (r < 0) {
        hotplug_undo_run(dom, &a.undo);
        hotplug_disk_rollback(&a);
    }
    hotplug_undo_clear(&a.undo);
    qemud_isolation_clear(&a.grants);
    free(a.open_path);
    free(msg);
    mv_strv_free(argv);
    return r;
}

int hotplug_update_cdrom_live(struct qemud_dom *dom, const struct mv_dom_def *old, struct mv_dom_def *new,
                              size_t index, struct mv_err *err)
{
    int r = eject(dom, old, index, err);

    if (r < 0) {
        mv_dom_def_free(new);
        return r;
    }
    r = insert(dom, new, index, err);
    if (r == 0 && new->devices.disks[index].source)
        hotplug_qmp_try(dom, "blockdev-close-tray", tray_args(new->devices.disks[index].alias, NULL, NULL, false));
    if (r < 0) {
        /* the old medium is out already: the drive is empty now, and the
         * live XML says so */
        struct mv_dom_disk *d = &new->devices.disks[index];

        if (old->devices.disks[index].source) {
            free(d->source);
            d->source = NULL;
            hotplug_publish_live(dom, new);
        } else {
            mv_dom_def_free(new);
        }
        return r;
    }
    hotplug_publish_live(dom, new);
    return 0;
}
