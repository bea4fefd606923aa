/*
 * <capability type='storage'>: a whole block device (read.c hands over
 * devtype "disk" only, never partitions) as libvirt 9.0's udev backend
 * shows it.
 *
 * Which disks are listed is libvirt's rule: the drive type comes from
 * udev (ID_TYPE, else ID_DRIVE_FLOPPY / ID_CDROM / ID_DRIVE_FLASH_SD), a
 * /dev/vd* or /dev/nvme* disk is a "disk" without it (/dev/dasd* a DASD),
 * and a device of any other kind or of no known kind is not listed.  That
 * is why loop and zram devices, md and dm never appear, and why this host
 * (no udevd) lists only vda.  One addition: without a udev database a SCSI
 * disk or CD-ROM gets the type udev's scsi_id would have given it from the
 * SCSI type, so an sd or sr device is listed whether or not udevd runs.
 */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "sysattr.h"

struct storage_cap {
    char *block;            /* /dev/vda */
    char *bus;              /* ID_BUS */
    char *drive_type;       /* disk, cdrom, floppy, sd */
    char *model, *vendor;   /* device/model, device/vendor, trimmed */
    char *serial;           /* ID_SERIAL */
    char *media_label;      /* ID_FS_LABEL of a removable medium */
    unsigned long long size, num_blocks, logical_block_size, media_size;
    bool removable, media_available;
};

static void storage_free(void *data)
{
    struct storage_cap *s = data;
    if (!s)
        return;
    free(s->block);
    free(s->bus);
    free(s->drive_type);
    free(s->model);
    free(s->vendor);
    free(s->serial);
    free(s->media_label);
    free(s);
}

static void format_ull(struct mv_xml_out *o, const char *name, unsigned long long v)
{
    mv_xml_out_start(o, name);
    char buf[24];
    snprintf(buf, sizeof(buf), "%llu", v);
    mv_xml_out_text(o, buf);
    mv_xml_out_end(o);
}

/* the blocks (in libvirt's order), when known */
static void format_blocks(struct mv_xml_out *o, const struct storage_cap *s)
{
    if (s->logical_block_size > 0)
        format_ull(o, "logical_block_size", s->logical_block_size);
    if (s->num_blocks > 0)
        format_ull(o, "num_blocks", s->num_blocks);
}

static void storage_format(struct mv_xml_out *o, const void *data)
{
    const struct storage_cap *s = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "storage");
    mv_xml_out_text_elem(o, "block", s->block);
    mv_xml_out_text_elem(o, "bus", s->bus);
    mv_xml_out_text_elem(o, "drive_type", s->drive_type);
    mv_xml_out_text_elem(o, "model", s->model);
    mv_xml_out_text_elem(o, "vendor", s->vendor);
    mv_xml_out_text_elem(o, "serial", s->serial);
    if (s->removable) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "removable");
        mv_xml_out_text_elem(o, "media_available", s->media_available ? "1" : "0");
        format_ull(o, "media_size", s->media_size);
        mv_xml_out_text_elem(o, "media_label", s->media_label);
        format_blocks(o, s);
        mv_xml_out_end(o);
    } else {
        format_ull(o, "size", s->size);
        format_blocks(o, s);
    }
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops storage_ops = { .format = storage_format, .free = storage_free };

/* "size" is in 512-byte sectors whatever the block size; libvirt still
 * multiplies it by the logical block size, and so does this, to show the
 * same numbers (a 4Kn disk's size is 8 times too large in both). */
static void read_blocks(sd_device *d, struct storage_cap *s)
{
    if (nodedev_attr_ull(d, "size", &s->num_blocks) < 0)
        s->num_blocks = 0;
    if (nodedev_attr_ull(d, "queue/logical_block_size", &s->logical_block_size) < 0)
        s->logical_block_size = 0;
}

/* A drive with removable media: flags and, with a medium in, its size. */
static int read_removable(sd_device *d, struct storage_cap *s, bool has_media)
{
    unsigned int removable = 0;
    if (nodedev_attr_uint(d, "removable", 0, &removable) == 0 && removable == 1)
        s->removable = true;
    if (!has_media)
        return 0;
    s->media_available = true;
    if (nodedev_prop_str(d, "ID_FS_LABEL", &s->media_label) < 0)
        return -ENOMEM;
    read_blocks(d, s);
    s->media_size = s->num_blocks * s->logical_block_size;
    return 0;
}

static int read_cdrom(sd_device *d, struct storage_cap *s)
{
    /* libvirt's name for udev's "cd" */
    free(s->drive_type);
    if (!(s->drive_type = strdup("cdrom")))
        return -ENOMEM;
    bool has_media;
    if (nodedev_prop_has(d, "ID_CDROM_MEDIA")) {
        has_media = nodedev_prop_true(d, "ID_CDROM_MEDIA");
    } else {
        /* no udev (cdrom_id never ran): a medium is in when it has a size */
        unsigned long long size = 0;
        has_media = nodedev_attr_ull(d, "size", &size) == 0 && size > 0;
    }
    return read_removable(d, s, has_media);
}

static int read_floppy(sd_device *d, struct storage_cap *s)
{
    bool has_media = false;
    /* libvirt knows a medium is in only by its file system label */
    if (nodedev_prop_has(d, "ID_FS_LABEL"))
        has_media = true;
    return read_removable(d, s, has_media);
}

/* The SCSI peripheral type of the device under D (scsi_id's ID_TYPE). */
static const char *scsi_drive_type(sd_device *d)
{
    unsigned int type;
    if (nodedev_attr_uint(d, "device/type", 0, &type) < 0)
        return NULL;
    switch (type) {
    case 0x00: return "disk";
    case 0x05: return "cd";
    default: return NULL;
    }
}

/* udev's drive type, or libvirt's guesses; NULL: not a drive libvirt lists */
static const char *guess_drive_type(sd_device *d, const char *devnode)
{
    /* libvirt's guesses by node name (udevKludgeStorageType): udev gives
     * virtio, NVMe and s390 DASD disks no ID_TYPE */
    static const struct { const char *prefix, *type; } by_node[] = {
        { "/dev/vd", "disk" }, { "/dev/dasd", "dasd" }, { "/dev/nvme", "disk" },
    };

    if (nodedev_prop_has(d, "ID_DRIVE_FLOPPY"))
        return "floppy";
    if (nodedev_prop_has(d, "ID_CDROM"))
        return "cd";
    if (nodedev_prop_has(d, "ID_DRIVE_FLASH_SD"))
        return "sd";
    const char *type = scsi_drive_type(d);
    if (type)
        return type;
    for (size_t i = 0; i < MV_ARRAY_SIZE(by_node); i++)
        if (strncmp(devnode, by_node[i].prefix, strlen(by_node[i].prefix)) == 0)
            return by_node[i].type;
    return NULL;
}

/* A DASD's serial is its uid; the disk's name carries it as udev's
 * ID_SERIAL would (block_dasda_IBM_7500_...). */
static int read_dasd(sd_device *d, struct storage_cap *s, struct nodedev_device *dev)
{
    const char *sysname;
    if (nodedev_attr_str(d, "device/uid", &s->serial) < 0)
        return -ENOMEM;
    if (s->serial && sd_device_get_sysname(d, &sysname) >= 0) {
        _cleanup_free_ char *name = nodedev_make_name("block", sysname, s->serial);
        if (!name || nodedev_set_str(&dev->name, name) < 0)
            return -ENOMEM;
    }
    read_blocks(d, s);
    s->size = s->num_blocks * s->logical_block_size;
    return 0;
}

static int read_drive_type(sd_device *d, struct storage_cap *s, struct nodedev_device *dev)
{
    int r = nodedev_prop_str(d, "ID_TYPE", &s->drive_type);
    if (r < 0)
        return r;
    if (!s->drive_type || strcmp(s->drive_type, "generic") == 0) {
        const char *type = guess_drive_type(d, s->block);
        if (!type)
            return NODEDEV_READ_SKIP;
        free(s->drive_type);
        if (!(s->drive_type = strdup(type)))
            return -ENOMEM;
    }
    if (strcmp(s->drive_type, "cd") == 0 || strcmp(s->drive_type, "cd/dvd") == 0)
        return read_cdrom(d, s);
    if (strcmp(s->drive_type, "floppy") == 0)
        return read_floppy(d, s);
    if (strcmp(s->drive_type, "disk") == 0 || strcmp(s->drive_type, "sd") == 0) {
        read_blocks(d, s);
        s->size = s->num_blocks * s->logical_block_size;
        return 0;
    }
    if (strcmp(s->drive_type, "dasd") == 0)
        return read_dasd(d, s, dev);
    return NODEDEV_READ_SKIP;      /* tape, optical...: libvirt lists none */
}

static int read_storage(sd_device *d, struct storage_cap *s, struct nodedev_device *dev)
{
    const char *devnode;
    if (sd_device_get_devname(d, &devnode) < 0)
        return NODEDEV_READ_SKIP;   /* libvirt needs the node to name the disk */
    if (!(s->block = strdup(devnode)))
        return -ENOMEM;
    if (nodedev_prop_str(d, "ID_BUS", &s->bus) < 0 ||
        nodedev_prop_str(d, "ID_SERIAL", &s->serial) < 0 ||
        nodedev_attr_str(d, "device/vendor", &s->vendor) < 0 ||
        nodedev_attr_str(d, "device/model", &s->model) < 0)
        return -ENOMEM;
    /* a SCSI INQUIRY's fixed-width fields: "ATA     ", "QEMU HARDDISK   " */
    nodedev_trim(&s->vendor);
    nodedev_trim(&s->model);
    return read_drive_type(d, s, dev);
}

int nodedev_cap_storage(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    struct storage_cap *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    int r = read_storage(d, s, dev);
    if (r != 0) {
        storage_free(s);
        return r;
    }
    return nodedev_device_add_cap(dev, NODEDEV_CAP_STORAGE, &storage_ops, s);
}
