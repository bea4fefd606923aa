/*
 * <filesystem>: a host directory shared with the guest.
 *
 * 9p (driver path, or no driver): QEMU serves the directory itself,
 *     -fsdev local,security_model=M,id=fsdev-ALIAS,path=DIR[,readonly=on][,fmode=,dmode=][,multidevs=]
 *     -device virtio-9p-pci,id=ALIAS,fsdev=fsdev-ALIAS,mount_tag=TAG
 * with accessmode passthrough -> security_model=passthrough, mapped ->
 * mapped (owners and modes kept in xattrs), squash -> none.
 *
 * virtiofs: virtiofsd serves it over a vhost-user socket QEMU connects to,
 *     -chardev socket,id=chr-vu-ALIAS,path=SOCKET
 *     -device vhost-user-fs-pci,id=ALIAS,chardev=chr-vu-ALIAS[,queue-size=Q],tag=TAG
 * SOCKET is the user's (<source socket>) or the one of the virtiofsd qemud
 * runs beside QEMU (ctx->fs_sockets, see virtiofs.h).  virtiofsd maps the
 * guest's RAM to serve its queues, so the RAM must be shared memory.
 * ALIAS is the device's (fsN, or the user's "ua-..."), as in libvirt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "qemu_command_priv.h"

/* The longest tags the devices take (QEMU 7.2): virtio-9p's MAX_TAG_LEN
 * less its NUL, and the size of virtio-fs's config field. */
#define TAG_MAX_9P 31
#define TAG_MAX_VIRTIOFS 36
#define VIRTQUEUE_MAX 1024

static const char *security_model(enum mv_dom_fs_access access)
{
    switch (access) {
    case MV_DOM_FS_ACCESS_MAPPED: return "mapped";
    case MV_DOM_FS_ACCESS_SQUASH: return "none";
    default: return "passthrough";
    }
}

static int build_9p(struct cmd *c, size_t i, const char *what)
{
    const struct mv_dom_fs *fs = &c->def->devices.filesystems[i];
    _cleanup_opt_ struct opt dev = { 0 };
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (strlen(fs->target) > TAG_MAX_9P)
        return cmd_refuse(c, "%s: a 9p mount tag has at most %d bytes", what, TAG_MAX_9P);
    opt_kv(&o, NULL, "local");
    opt_kv(&o, "security_model", "%s", security_model(fs->access));
    opt_kv(&o, "id", "fsdev-%s", fs->alias);
    opt_kv(&o, "path", "%s", fs->source_dir);
    if (fs->readonly)
        opt_onoff(&o, "readonly", true);
    if (fs->fmode >= 0)
        opt_kv(&o, "fmode", "%04o", (unsigned int)fs->fmode);
    if (fs->dmode >= 0)
        opt_kv(&o, "dmode", "%04o", (unsigned int)fs->dmode);
    if (fs->multidevs > MV_DOM_FS_MULTIDEVS_DEFAULT)
        opt_kv(&o, "multidevs", "%s", mv_dom_fs_multidevs_to_string(fs->multidevs));
    if ((r = cmd_opt(c, "-fsdev", &o)) < 0)
        return r;
    opt_kv(&dev, NULL, "virtio-9p-pci");
    opt_kv(&dev, "id", "%s", fs->alias);
    opt_kv(&dev, "fsdev", "fsdev-%s", fs->alias);
    opt_kv(&dev, "mount_tag", "%s", fs->target);
    r = opt_pci_addr(c, &dev, &fs->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &dev);
}

/* What the XML may say of 9p but virtiofs cannot do. */
static int check_virtiofs(struct cmd *c, const struct mv_dom_fs *fs, const char *what)
{
    if (fs->access != MV_DOM_FS_ACCESS_DEFAULT && fs->access != MV_DOM_FS_ACCESS_PASSTHROUGH)
        return cmd_refuse(c, "%s: virtiofs supports only accessmode='passthrough', not '%s'", what,
                          mv_dom_fs_access_to_string(fs->access));
    if (fs->readonly)
        return cmd_refuse(c, "%s: virtiofs cannot share read-only (QEMU 7.2's virtiofsd has no "
                          "read-only mode); use 9p (<driver type='path'/>)", what);
    if (fs->multidevs != MV_DOM_FS_MULTIDEVS_ABSENT)
        return cmd_refuse(c, "%s: multidevs= is a 9p setting; virtiofs does not take it", what);
    /* QEMU's rule for a virtqueue's size */
    if (fs->queue && (fs->queue > VIRTQUEUE_MAX || (fs->queue & (fs->queue - 1))))
        return cmd_refuse(c, "%s: queue='%u' is not a power of 2 up to %d", what, fs->queue, VIRTQUEUE_MAX);
    if (strlen(fs->target) > TAG_MAX_VIRTIOFS)
        return cmd_refuse(c, "%s: a virtiofs tag has at most %d bytes", what, TAG_MAX_VIRTIOFS);
    /* virtiofsd maps the guest's RAM (qemu_cmd_memory.c) */
    if (!memory_is_shared(c->def))
        return cmd_refuse(c, "%s: virtiofs requires shared memory: give the domain <memoryBacking>"
                          "<source type='memfd'/><access mode='shared'/></memoryBacking>", what);
    return 0;
}

static int build_virtiofs(struct cmd *c, size_t i, const char *what)
{
    const struct mv_dom_fs *fs = &c->def->devices.filesystems[i];
    _cleanup_opt_ struct opt chr = { 0 };
    _cleanup_opt_ struct opt dev = { 0 };
    const char *socket = fs->source_socket;
    int r;

    if ((r = check_virtiofs(c, fs, what)) < 0)
        return r;
    if (!socket && i < c->ctx->nfs_sockets)
        socket = c->ctx->fs_sockets[i];
    if (!socket)
        return cmd_internal(c, "no virtiofsd socket for %s of domain '%s'", what, cmd_quote(c, c->def->name));
    opt_kv(&chr, NULL, "socket");
    opt_kv(&chr, "id", "chr-vu-%s", fs->alias);
    opt_kv(&chr, "path", "%s", socket);
    if ((r = cmd_opt(c, "-chardev", &chr)) < 0)
        return r;
    opt_kv(&dev, NULL, "vhost-user-fs-pci");
    opt_kv(&dev, "id", "%s", fs->alias);
    opt_kv(&dev, "chardev", "chr-vu-%s", fs->alias);
    if (fs->queue)
        opt_kv(&dev, "queue-size", "%u", fs->queue);
    opt_kv(&dev, "tag", "%s", fs->target);
    r = opt_pci_addr(c, &dev, &fs->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &dev);
}

int build_filesystem(struct cmd *c, size_t i)
{
    const struct mv_dom_fs *fs = &c->def->devices.filesystems[i];
    char what[128];

    snprintf(what, sizeof(what), "filesystem '%s'", cmd_quote(c, fs->target));
    /* the chardev or fsdev is named after it too, before the device */
    if (!fs->alias)
        return opt_id(c, NULL, NULL, what);
    if (fs->driver == MV_DOM_FS_DRIVER_VIRTIOFS)
        return build_virtiofs(c, i, what);
    return build_9p(c, i, what);
}
