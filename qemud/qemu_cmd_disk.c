/*
 * Disks: where each sits on its bus, its block nodes and its device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* Where a SATA, SCSI or IDE disk sits: its drive address, which the assign
 * pass derived from the target name when the XML gave none. */
static int disk_place(struct cmd *c, const struct mv_dom_disk *d, const char *what, struct disk_place *p)
{
    if (d->addr.type == MV_DOM_ADDR_PCI)
        return cmd_refuse(c, "%s: a PCI address does not fit bus '%s'", what, mv_dom_disk_bus_to_string(d->bus));
    if (d->addr.type != MV_DOM_ADDR_DRIVE)
        return cmd_refuse(c, "%s: cannot derive a drive address from the target name; give an <address>", what);
    *p = (struct disk_place){ d->addr.controller, d->addr.bus, d->addr.target, d->addr.unit };
    return 0;
}

static int check_place(struct cmd *c, const struct mv_dom_disk *d, const struct disk_place *p,
                       const char *what)
{
    bool ok;

    switch (d->bus) {
    case MV_DOM_DISK_BUS_IDE:
        if (c->machine != MACHINE_PC)
            return cmd_refuse(c, "%s: q35 machines have no IDE bus; use bus='sata'", what);
        ok = p->controller == 0 && p->bus < 2 && p->target == 0 && p->unit < 2;
        break;
    case MV_DOM_DISK_BUS_SATA:
        ok = p->controller < CONTROLLERS_MAX && p->bus == 0 && p->target == 0 && p->unit < AHCI_PORTS;
        break;
    default:
        ok = p->controller < CONTROLLERS_MAX && p->bus == 0 && p->target < 256 && p->unit < 16384;
        break;
    }
    if (!ok)
        return cmd_refuse(c, "%s: drive address controller %u bus %u target %u unit %u does not exist on bus '%s'",
                      what, p->controller, p->bus, p->target, p->unit, mv_dom_disk_bus_to_string(d->bus));
    return 0;
}

struct cache_mode {
    bool direct, no_flush, write_cache;
};

/* libvirt's cache names in terms of QEMU's three switches */
static const struct cache_mode cache_modes[MV_DOM_DISK_CACHE_LAST] = {
    [MV_DOM_DISK_CACHE_NONE] = { .direct = true, .write_cache = true },
    [MV_DOM_DISK_CACHE_WRITETHROUGH] = { 0 },
    [MV_DOM_DISK_CACHE_WRITEBACK] = { .write_cache = true },
    [MV_DOM_DISK_CACHE_DIRECTSYNC] = { .direct = true },
    [MV_DOM_DISK_CACHE_UNSAFE] = { .no_flush = true, .write_cache = true },
};

/* Options both block nodes of a disk carry. */
static void opt_node_common(struct opt *o, const struct mv_dom_disk *d)
{
    if (d->cache != MV_DOM_DISK_CACHE_DEFAULT) {
        opt_onoff(o, "cache.direct", cache_modes[d->cache].direct);
        opt_onoff(o, "cache.no-flush", cache_modes[d->cache].no_flush);
    }
    if (d->readonly || d->device == MV_DOM_DISK_DEVICE_CDROM)
        opt_onoff(o, "read-only", true);
    if (d->discard != MV_DOM_DISK_DISCARD_DEFAULT)
        opt_kv(o, "discard", "%s", mv_dom_disk_discard_to_string(d->discard));
}

/* -object secret for encrypted disk D, from the file the daemon wrote. */
static int build_disk_secret(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    size_t i = (size_t)(d - c->def->devices.disks);
    const char *file = i < c->ctx->ndisk_secret_files ? c->ctx->disk_secret_files[i] : NULL;

    if (!file)
        return cmd_internal(c, "%s: no passphrase file for its encryption", what);
    opt_kv(&o, NULL, "secret");
    opt_kv(&o, "id", "%s-luks-secret0", d->target);
    opt_kv(&o, "file", "%s", file);
    opt_kv(&o, "format", "raw");
    return cmd_opt(c, "-object", &o);
}

/* The format node's driver and, for an encrypted image, its key. */
static void opt_format_driver(struct opt *o, const struct mv_dom_disk *d)
{
    bool qcow2 = d->format == MV_DOM_DISK_FORMAT_QCOW2;

    if (d->encryption != MV_DOM_DISK_ENCRYPTION_LUKS) {
        opt_kv(o, "driver", "%s", qcow2 ? "qcow2" : "raw");
        return;
    }
    opt_kv(o, "driver", "%s", qcow2 ? "qcow2" : "luks");
    if (qcow2)
        opt_kv(o, "encrypt.format", "luks");
    opt_kv(o, qcow2 ? "encrypt.key-secret" : "key-secret", "%s-luks-secret0", d->target);
}

/* The source, or where a hotplug passed it to QEMU (qemu_command.h). */
static const char *disk_open_path(const struct cmd *c, const struct mv_dom_disk *d)
{
    size_t i = (size_t)(d - c->def->devices.disks);

    if (i < c->ctx->ndisk_open_paths && c->ctx->disk_open_paths && c->ctx->disk_open_paths[i])
        return c->ctx->disk_open_paths[i];
    return d->source;
}

static int build_blockdevs(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    _cleanup_opt_ struct opt file = { 0 };
    _cleanup_opt_ struct opt fmt = { 0 };
    const char *driver = "file";
    int r;

    if (d->encryption != MV_DOM_DISK_ENCRYPTION_NONE && (r = build_disk_secret(c, d, what)) < 0)
        return r;
    if (d->type == MV_DOM_DISK_BLOCK)
        driver = d->device == MV_DOM_DISK_DEVICE_CDROM ? "host_cdrom" : "host_device";
    opt_kv(&file, "driver", "%s", driver);
    opt_kv(&file, "filename", "%s", disk_open_path(c, d));
    opt_kv(&file, "node-name", "%s-storage", d->target);
    opt_node_common(&file, d);
    r = cmd_opt(c, "-blockdev", &file);
    if (r < 0)
        return r;
    opt_format_driver(&fmt, d);
    opt_kv(&fmt, "node-name", "%s-format", d->target);
    opt_kv(&fmt, "file", "%s-storage", d->target);
    opt_node_common(&fmt, d);
    return cmd_opt(c, "-blockdev", &fmt);
}

/* The -device driver name and its bus placement. */
static int opt_disk_bus(struct cmd *c, struct opt *o, const struct mv_dom_disk *d, const char *what)
{
    bool cd = d->device == MV_DOM_DISK_DEVICE_CDROM;
    struct disk_place p = { 0 };
    int r;

    if (d->bus == MV_DOM_DISK_BUS_VIRTIO) {
        if (cd)
            return cmd_refuse(c, "%s: a cdrom cannot be on bus 'virtio'; use sata, scsi or ide", what);
        opt_kv(o, NULL, "virtio-blk-pci");
        opt_iothread(o, d->iothread);
        return opt_pci_addr(c, o, &d->addr, what);
    }
    /* SCSI disks share their controller's iothread; SATA and IDE have none */
    if (d->iothread)
        return cmd_refuse(c, "%s: <driver iothread> needs bus 'virtio' (bus '%s' has no iothreads%s)", what,
                          mv_dom_disk_bus_to_string(d->bus),
                          d->bus == MV_DOM_DISK_BUS_SCSI ? "; give the virtio-scsi controller <driver iothread>"
                                                         : "");
    r = disk_place(c, d, what, &p);
    if (r >= 0)
        r = check_place(c, d, &p, what);
    if (r < 0)
        return r;
    if (d->bus == MV_DOM_DISK_BUS_IDE) {
        opt_kv(o, NULL, "%s", cd ? "ide-cd" : "ide-hd");
        opt_kv(o, "bus", "ide.%u", p.bus);
        opt_kv(o, "unit", "%u", p.unit);
    } else if (d->bus == MV_DOM_DISK_BUS_SATA) {
        opt_kv(o, NULL, "%s", cd ? "ide-cd" : "ide-hd");
        if (c->machine == MACHINE_Q35 && p.controller == 0)
            opt_kv(o, "bus", "ide.%u", p.unit);
        else
            opt_kv(o, "bus", "sata%u.%u", p.controller, p.unit);
    } else {
        opt_kv(o, NULL, "%s", cd ? "scsi-cd" : "scsi-hd");
        opt_kv(o, "bus", "scsi%u.0", p.controller);
        opt_kv(o, "channel", "%u", p.bus);
        opt_kv(o, "scsi-id", "%u", p.target);
        opt_kv(o, "lun", "%u", p.unit);
    }
    return 0;
}

static int check_disk(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    if (!is_qemu_id(d->target, DISK_TARGET_MAX))
        return cmd_refuse(c, "%s: the target name cannot name a QEMU device", what);
    if (d->driver_name && !streq(d->driver_name, "qemu"))
        return cmd_refuse(c, "%s: driver '%s' is not supported (only qemu)", what, cmd_quote(c, d->driver_name));
    if ((unsigned int)d->bus >= MV_DOM_DISK_BUS_LAST || (unsigned int)d->cache >= MV_DOM_DISK_CACHE_LAST ||
        (unsigned int)d->discard >= MV_DOM_DISK_DISCARD_LAST || (unsigned int)d->format >= MV_DOM_DISK_FORMAT_LAST)
        return cmd_refuse(c, "%s: bus, cache, discard or format value is not supported", what);
    if (d->type == MV_DOM_DISK_VOLUME && !d->source)
        return cmd_refuse(c, "%s: volume '%s' of pool '%s' has not been resolved to a path", what,
                      cmd_quote(c, d->volume), cmd_quote(c, d->pool));
    if (!d->source && d->device != MV_DOM_DISK_DEVICE_CDROM)
        return cmd_refuse(c, "%s: only a cdrom can be without a <source>", what);
    if ((unsigned int)d->encryption >= MV_DOM_DISK_ENCRYPTION_LAST)
        return cmd_refuse(c, "%s: encryption value is not supported", what);
    if (d->encryption != MV_DOM_DISK_ENCRYPTION_NONE && d->device == MV_DOM_DISK_DEVICE_CDROM)
        return cmd_refuse(c, "%s: an encrypted cdrom is not supported; use device='disk'", what);
    /* QEMU's IDE disks refuse read-only nodes ("Block node is read-only") */
    if (d->readonly && d->device == MV_DOM_DISK_DEVICE_DISK &&
        (d->bus == MV_DOM_DISK_BUS_IDE || d->bus == MV_DOM_DISK_BUS_SATA))
        return cmd_refuse(c, "%s: a read-only disk on bus '%s' is not possible; use virtio or scsi",
                      what, mv_dom_disk_bus_to_string(d->bus));
    return 0;
}

int build_disk(struct cmd *c, const struct mv_dom_disk *d)
{
    _cleanup_opt_ struct opt o = { 0 };
    char what[64];
    int r;

    snprintf(what, sizeof(what), "disk '%s'", cmd_quote(c, d->target));
    r = check_disk(c, d, what);
    if (r >= 0 && d->source)
        r = build_blockdevs(c, d, what);
    if (r >= 0)
        r = opt_disk_bus(c, &o, d, what);
    if (r < 0)
        return r;
    if (d->source)
        opt_kv(&o, "drive", "%s-format", d->target);
    if ((r = opt_id(c, &o, d->alias, what)) < 0)
        return r;
    if (d->serial)
        opt_kv(&o, "serial", "%s", d->serial);
    opt_bootindex(&o, d->boot_order);
    if (d->cache != MV_DOM_DISK_CACHE_DEFAULT)
        opt_onoff(&o, "write-cache", cache_modes[d->cache].write_cache);
    return cmd_opt(c, "-device", &o);
}
