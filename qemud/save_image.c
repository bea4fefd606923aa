/*
 * The save image's header and file handling (layout in save_image.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "save_image.h"

#define PAGE 4096u

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint32_t qemud_save_xml_space(uint32_t xml_len)
{
    uint32_t end = QEMUD_SAVE_HEADER_SIZE + xml_len + QEMUD_SAVE_XML_PAD;

    return (end + PAGE - 1) / PAGE * PAGE - QEMUD_SAVE_HEADER_SIZE;
}

void qemud_save_header_encode(const struct qemud_save_header *h, unsigned char buf[QEMUD_SAVE_HEADER_SIZE])
{
    memcpy(buf, QEMUD_SAVE_MAGIC, 8);
    put_u32(buf + 8, h->version);
    put_u32(buf + 12, h->flags);
    put_u32(buf + 16, h->xml_len);
    put_u32(buf + 20, h->xml_space);
    put_u64(buf + 24, h->data_len);
    put_u64(buf + 32, 0);
}

int qemud_save_header_decode(const unsigned char *buf, size_t len, struct qemud_save_header *h,
                             const char **why)
{
    struct qemud_save_header t;

    if (len < 8 || memcmp(buf, QEMUD_SAVE_MAGIC, 8) != 0) {
        *why = "not a modvirt save image (bad magic)";
        return -EINVAL;
    }
    if (len < QEMUD_SAVE_HEADER_SIZE) {
        *why = "save image is truncated (incomplete header)";
        return -EINVAL;
    }
    t.version = get_u32(buf + 8);
    t.flags = get_u32(buf + 12);
    t.xml_len = get_u32(buf + 16);
    t.xml_space = get_u32(buf + 20);
    t.data_len = get_u64(buf + 24);
    if (t.version != QEMUD_SAVE_VERSION) {
        *why = "unsupported save image version";
        return -EINVAL;
    }
    if (t.flags & ~(uint32_t)(QEMUD_SAVE_RUNNING | QEMUD_SAVE_PAUSED) ||
        (t.flags & QEMUD_SAVE_RUNNING && t.flags & QEMUD_SAVE_PAUSED)) {
        *why = "save image has unknown or conflicting flags";
        return -EINVAL;
    }
    if (t.xml_len == 0 || t.xml_len > QEMUD_SAVE_XML_MAX || t.xml_space < t.xml_len ||
        t.xml_space > QEMUD_SAVE_XML_MAX + QEMUD_SAVE_XML_PAD + PAGE) {
        *why = "save image has an invalid XML length";
        return -EINVAL;
    }
    *h = t;
    return 0;
}

void qemud_save_image_close(struct qemud_save_image *img)
{
    if (img->fd >= 0)
        close(img->fd);
    img->fd = -1;
    free(img->xml);
    img->xml = NULL;
}

/* The XML of an image whose header H was read from FD: NUL-terminated,
 * without NUL bytes inside. */
static int read_xml(int fd, const struct qemud_save_header *h, char **xml, const char **why)
{
    _cleanup_free_ char *buf = malloc((size_t)h->xml_len + 1);
    ssize_t n;

    if (!buf)
        return -ENOMEM;
    n = mv_pread_full(fd, buf, h->xml_len, QEMUD_SAVE_HEADER_SIZE);
    if (n < 0)
        return (int)n;
    if ((size_t)n < h->xml_len) {
        *why = "save image is truncated (incomplete domain XML)";
        return -EINVAL;
    }
    buf[h->xml_len] = '\0';
    if (strlen(buf) != h->xml_len) {
        *why = "save image has a corrupt domain XML";
        return -EINVAL;
    }
    *xml = TAKE_PTR(buf);
    return 0;
}

static int read_header(int fd, struct qemud_save_header *h, const char **why)
{
    unsigned char buf[QEMUD_SAVE_HEADER_SIZE];
    ssize_t n = mv_pread_full(fd, buf, sizeof(buf), 0);

    if (n < 0)
        return (int)n;
    return qemud_save_header_decode(buf, (size_t)n, h, why);
}

int qemud_save_image_open(const char *path, struct qemud_save_image *img, const char **why)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct qemud_save_header h;
    struct stat st;
    char *xml = NULL;
    int r;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        return -EINVAL;
    }
    if ((r = read_header(fd, &h, why)) < 0 || (r = read_xml(fd, &h, &xml, why)) < 0)
        return r;
    if (h.data_len == 0 || (uint64_t)st.st_size != (uint64_t)qemud_save_data_offset(&h) + h.data_len) {
        free(xml);
        *why = (uint64_t)st.st_size < (uint64_t)qemud_save_data_offset(&h) + h.data_len
                   ? "save image is truncated (QEMU's state is incomplete)"
                   : "save image has a wrong size for its header";
        return -EINVAL;
    }
    if (lseek(fd, qemud_save_data_offset(&h), SEEK_SET) < 0) {
        free(xml);
        return -errno;
    }
    img->fd = TAKE_FD(fd);
    img->hdr = h;
    img->xml = xml;
    return 0;
}

static int write_full(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;

    while (len) {
        ssize_t n = pwrite(fd, p, len, off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* Header and XML, zero-padded to the XML space: the stream follows. */
static int write_head(int fd, const struct qemud_save_header *h, const char *xml)
{
    unsigned char hbuf[QEMUD_SAVE_HEADER_SIZE];
    _cleanup_free_ char *area = calloc(1, h->xml_space);
    int r;

    if (!area)
        return -ENOMEM;
    memcpy(area, xml, h->xml_len);
    qemud_save_header_encode(h, hbuf);
    if ((r = write_full(fd, hbuf, sizeof(hbuf), 0)) < 0 || (r = write_full(fd, area, h->xml_space, sizeof(hbuf))) < 0)
        return r;
    return 0;
}

int qemud_save_writer_create(const char *path, const char *xml, uint32_t flags, struct qemud_save_writer *w)
{
    size_t len = strlen(xml);
    int r;

    *w = (struct qemud_save_writer){ .fd = -1 };
    if (len == 0 || len > QEMUD_SAVE_XML_MAX)
        return -E2BIG;
    w->hdr = (struct qemud_save_header){ .version = QEMUD_SAVE_VERSION, .flags = flags,
                                         .xml_len = (uint32_t)len, .xml_space = qemud_save_xml_space((uint32_t)len) };
    if (!(w->path = strdup(path)) || asprintf(&w->tmp, "%s.mvtmp.XXXXXX", path) < 0) {
        w->tmp = NULL;
        qemud_save_writer_clear(w);
        return -ENOMEM;
    }
    if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) < 0) {
        r = -errno;
        free(w->tmp);
        w->tmp = NULL;
        qemud_save_writer_clear(w);
        return r;
    }
    if ((r = write_head(w->fd, &w->hdr, xml)) < 0 || (lseek(w->fd, qemud_save_data_offset(&w->hdr), SEEK_SET) < 0 &&
                                                      (r = -errno) < 0)) {
        qemud_save_writer_clear(w);
        return r;
    }
    return 0;
}

static int fsync_parent(const char *path)
{
    _cleanup_free_ char *copy = strdup(path);
    _cleanup_close_ int fd = -1;

    if (!copy)
        return -ENOMEM;
    if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -errno;
    return fsync(fd) < 0 ? -errno : 0;
}

int qemud_save_writer_commit(struct qemud_save_writer *w, uint64_t data_len)
{
    unsigned char hbuf[QEMUD_SAVE_HEADER_SIZE];
    int r;

    w->hdr.data_len = data_len;
    qemud_save_header_encode(&w->hdr, hbuf);
    if ((r = write_full(w->fd, hbuf, sizeof(hbuf), 0)) < 0)
        goto fail;
    if (fsync(w->fd) < 0 || fchmod(w->fd, 0600) < 0 || rename(w->tmp, w->path) < 0) {
        r = -errno;
        goto fail;
    }
    free(w->tmp);
    w->tmp = NULL;
    r = fsync_parent(w->path);
    qemud_save_writer_clear(w);
    return r;
fail:
    qemud_save_writer_clear(w);
    return r;
}

void qemud_save_writer_clear(struct qemud_save_writer *w)
{
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    w->tmp = NULL;
    free(w->path);
    w->path = NULL;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

int qemud_save_image_set_xml(const char *path, const char *xml, uint32_t flags, const char **why)
{
    _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
    _cleanup_free_ char *area = NULL;
    unsigned char hbuf[QEMUD_SAVE_HEADER_SIZE];
    struct qemud_save_header h;
    size_t len = strlen(xml);
    int r;

    if (fd < 0)
        return -errno;
    if ((r = read_header(fd, &h, why)) < 0)
        return r;
    if (len == 0 || len > h.xml_space)
        return -ENOSPC;
    if (!(area = calloc(1, h.xml_space)))
        return -ENOMEM;
    memcpy(area, xml, len);
    h.xml_len = (uint32_t)len;
    if (flags)
        h.flags = flags;
    qemud_save_header_encode(&h, hbuf);
    /* the XML first, then the header naming its length: the stream is never touched */
    if ((r = write_full(fd, area, h.xml_space, QEMUD_SAVE_HEADER_SIZE)) < 0 ||
        (r = write_full(fd, hbuf, sizeof(hbuf), 0)) < 0)
        return r;
    return fsync(fd) < 0 ? -errno : 0;
}
