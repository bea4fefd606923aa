/*
 * What a volume file is, read from its own header: raw (no known magic) and
 * qcow2 (version 2 and 3) directly; LUKS and the formats we only recognise
 * (vmdk, vdi...) through `qemu-img info --output=json`, as are qcow2 images
 * using features whose header we do not parse (external data files, unknown
 * incompatible bits).  The cache in front of this is vol_file_cache.c.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "vol_file_internal.h"

/* qemu-img info of one file; a slow NFS server makes this the bound */
#define INFO_TIMEOUT_MS 30000
/* the part of a file a header lives in (qcow2: the first cluster) */
#define HEADER_READ 4096

/* qcow2's header, big-endian (docs/interop/qcow2.txt in QEMU) */
#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104
#define QCOW2_BACKING_MAX 1023
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
/* bits whose meaning does not change what we read (data file, bit 2, does) */
#define QCOW2_INCOMPAT_KNOWN (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION | \
                              QCOW2_INCOMPAT_EXTL2)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_CRYPT_LUKS 2

static const struct { const char *magic; size_t len; } other_magics[] = {
    { "LUKS\xba\xbe", 6 },      /* raw LUKS: qemu's "luks" format */
    { "KDMV", 4 },              /* vmdk */
    { "# Disk DescriptorFile", 21 },
    { "conectix", 8 },          /* vpc */
    { "vhdxfile", 8 },
    { "QED\0", 4 },
    { "<<< ", 4 },              /* vdi's text banner */
    { QCOW2_MAGIC, 4 },         /* qcow2 we do not parse ourselves */
};

static uint32_t be32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return be32toh(v);
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return be64toh(v);
}


/* The backing format header extension, if any, into INFO. */
static void qcow2_extensions(const unsigned char *h, size_t len, size_t off, struct mv_volfile_info *info)
{
    while (off + 8 <= len) {
        uint32_t type = be32(h + off), elen = be32(h + off + 4);

        if (type == 0 || elen > len - off - 8)
            return;
        if (type == QCOW2_EXT_BACKING_FORMAT) {
            char fmt[16] = "";
            int f;

            memcpy(fmt, h + off + 8, elen < sizeof(fmt) - 1 ? elen : sizeof(fmt) - 1);
            f = mv_volfile_format_from_string(fmt);
            info->backing_format = f < 0 ? MV_VOLFILE_UNKNOWN : (enum mv_volfile_format)f;
        }
        off += 8 + ((elen + 7) & ~7U);
    }
}

/* 1 parsed into INFO, 0 if qemu-img must say (features we do not read),
 * -errno. */
static int qcow2_parse(int fd, const unsigned char *h, size_t len, const struct stat *st,
                       struct mv_volfile_info *info)
{
    uint32_t version = be32(h + 4), bsize = be32(h + 16), bits = be32(h + 20), crypt = be32(h + 32);
    uint64_t boff = be64(h + 8), incompat = 0, compat = 0;
    size_t hlen = QCOW2_V2_HEADER_LEN;

    if ((version != 2 && version != 3) || len < QCOW2_V3_HEADER_LEN || bits < 9 || bits > 21)
        return 0;
    if (version == 3) {
        incompat = be64(h + 72);
        compat = be64(h + 80);
        hlen = be32(h + 100);
        if (incompat & ~QCOW2_INCOMPAT_KNOWN || hlen < QCOW2_V3_HEADER_LEN || hlen > len)
            return 0;
    }
    info->format = MV_VOLFILE_QCOW2;
    info->capacity = be64(h + 24);
    info->cluster_size = 1U << bits;
    info->lazy_refcounts = compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
    info->encrypted = crypt != 0;
    info->backing_format = MV_VOLFILE_UNKNOWN;
    if (!(info->compat = strdup(version == 2 ? "0.10" : "1.1")))
        return -ENOMEM;
    if (boff && bsize) {
        ssize_t n;

        if (bsize > QCOW2_BACKING_MAX || boff > (uint64_t)st->st_size)
            return 0;
        if (!(info->backing = calloc(1, bsize + 1)))
            return -ENOMEM;
        if ((n = mv_pread_full(fd, info->backing, bsize, (off_t)boff)) < 0)
            return (int)n;
        if ((size_t)n != bsize || memchr(info->backing, '\0', bsize))
            return 0;
    }
    qcow2_extensions(h, len < (size_t)info->cluster_size ? len : info->cluster_size, hlen, info);
    return 1;
}

static const char *json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

static int64_t json_int(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool jbool(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static enum mv_volfile_format json_format(const char *s)
{
    int f = mv_volfile_format_from_string(s);

    if (s && strcmp(s, "luks") == 0)
        return MV_VOLFILE_RAW;      /* raw + <encryption format='luks'> in libvirt's terms */
    return f < 0 ? MV_VOLFILE_UNKNOWN : (enum mv_volfile_format)f;
}

static int info_from_json(const char *path, const char *out, struct mv_volfile_info *info, char **errmsg)
{
    struct json_object *j = json_tokener_parse(out), *fs = NULL, *data = NULL;
    const char *fmt, *s;
    int r = -ENOMEM;

    if (!j || !json_object_is_type(j, json_type_object)) {
        json_object_put(j);
        return mv_errmsg_set(errmsg, -EIO, "volume file '%s': qemu-img info printed no JSON object", path);
    }
    fmt = json_str(j, "format");
    info->format = json_format(fmt);
    info->encrypted = jbool(j, "encrypted") || (fmt && strcmp(fmt, "luks") == 0);
    info->capacity = (uint64_t)json_int(j, "virtual-size");
    info->cluster_size = (uint32_t)json_int(j, "cluster-size");
    info->backing_format = json_format(json_str(j, "backing-filename-format"));
    if ((s = json_str(j, "backing-filename")) && !(info->backing = strdup(s)))
        goto out;
    if (json_object_object_get_ex(j, "format-specific", &fs) && json_object_object_get_ex(fs, "data", &data) &&
        info->format == MV_VOLFILE_QCOW2) {
        info->lazy_refcounts = jbool(data, "lazy-refcounts");
        if ((s = json_str(data, "compat")) && !(info->compat = strdup(s)))
            goto out;
    }
    r = 0;
out:
    json_object_put(j);
    return r;
}

static int qemu_img_info(const char *path, struct mv_volfile_info *info, char **errmsg)
{
    /* -U: an image a running guest holds is still inspected */
    const char *argv[] = { NULL, "info", "--output=json", "-U", path, NULL };
    _cleanup_free_ char *out = NULL;
    int r = mv_volfile_qemu_img_run(argv, path, "inspect", INFO_TIMEOUT_MS, NULL, NULL, -1, &out, errmsg);

    return r < 0 ? r : info_from_json(path, out, info, errmsg);
}

/* 1 if the header is one qemu-img must read. */
static bool needs_qemu_img(const unsigned char *h, size_t len)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(other_magics); i++)
        if (len >= other_magics[i].len && memcmp(h, other_magics[i].magic, other_magics[i].len) == 0)
            return true;
    return false;
}

static int raw_capacity(const char *path, int fd, const struct stat *st, uint64_t *cap, char **errmsg)
{
    uint64_t size;

    if (!S_ISBLK(st->st_mode)) {
        *cap = (uint64_t)st->st_size;
        return 0;
    }
    if (ioctl(fd, BLKGETSIZE64, &size) < 0)
        return mv_errmsg_set(errmsg, -errno, "volume '%s': cannot read the block device's size: %s", path,
                             strerror(errno));
    *cap = size;
    return 0;
}

int mv_volfile_probe(const char *path, int fd, const struct stat *st, struct mv_volfile_info *info,
                     char **errmsg)
{
    unsigned char h[HEADER_READ];
    ssize_t n;
    int r = 0;

    atomic_fetch_add(&mv_volfile_n_header_reads, 1);
    if ((n = mv_pread_full(fd, h, sizeof(h), 0)) < 0)
        return mv_errmsg_set(errmsg, (int)n, "cannot read the header of volume file '%s': %s", path,
                             strerror((int)-n));
    if ((size_t)n >= 4 && memcmp(h, QCOW2_MAGIC, 4) == 0 && (r = qcow2_parse(fd, h, (size_t)n, st, info)) != 0)
        return r < 0 ? mv_errmsg_set(errmsg, r, "volume file '%s': %s", path, strerror(-r)) : 0;
    mv_volfile_info_clear(info);
    if (needs_qemu_img(h, (size_t)n))
        return qemu_img_info(path, info, errmsg);
    info->format = MV_VOLFILE_RAW;
    info->backing_format = MV_VOLFILE_UNKNOWN;
    return raw_capacity(path, fd, st, &info->capacity, errmsg);
}
