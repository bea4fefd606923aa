/*
 * modvirt's save image: what DOMAIN_SAVE and MANAGED_SAVE write and RESTORE
 * reads.  Layout (integers little-endian):
 *
 *   0  magic "MVQSAVE\n" (8 bytes)
 *   8  u32 version (1)
 *  12  u32 flags: QEMUD_SAVE_RUNNING / QEMUD_SAVE_PAUSED (state after restore)
 *  16  u32 xml_len: bytes of domain XML (no NUL)
 *  20  u32 xml_space: bytes reserved for it (>= xml_len; room for
 *      SAVE_IMAGE_DEFINE_XML to rewrite it in place), a multiple of 4096
 *      minus the header, so the stream starts page-aligned
 *  24  u64 data_len: bytes of QEMU's migration stream after the XML area,
 *      written last: an image whose size disagrees is truncated
 *  32  u64 reserved (0)
 *  40  the domain XML, zero-padded to xml_space, then the migration stream.
 *
 * Written atomically: a temp file beside the target, renamed over it only
 * when QEMU's stream is complete and fsynced; a failed save leaves nothing.
 * Functions return 0 or -errno; on failure *WHY (static text) says what is
 * wrong with the file, for messages naming it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QEMUD_SAVE_MAGIC "MVQSAVE\n"
#define QEMUD_SAVE_VERSION 1u
#define QEMUD_SAVE_HEADER_SIZE 40u
/* The longest domain XML an image carries (the wire's string maximum). */
#define QEMUD_SAVE_XML_MAX (4u * 1024 * 1024)
/* Room left after the XML for a longer one from SAVE_IMAGE_DEFINE_XML. */
#define QEMUD_SAVE_XML_PAD (64u * 1024)

enum { QEMUD_SAVE_RUNNING = 1u, QEMUD_SAVE_PAUSED = 2u };

struct qemud_save_header {
    uint32_t version;
    uint32_t flags;
    uint32_t xml_len;
    uint32_t xml_space;
    uint64_t data_len;
};

/* Offset of the migration stream in an image with header H. */
static inline off_t qemud_save_data_offset(const struct qemud_save_header *h)
{
    return (off_t)QEMUD_SAVE_HEADER_SIZE + h->xml_space;
}

/* The reserved XML space for XML_LEN bytes of XML. */
uint32_t qemud_save_xml_space(uint32_t xml_len);

void qemud_save_header_encode(const struct qemud_save_header *h, unsigned char buf[QEMUD_SAVE_HEADER_SIZE]);
/* Parses LEN bytes of BUF: -EINVAL with *WHY for a short buffer, bad magic,
 * unknown version or flags, an XML length over QEMUD_SAVE_XML_MAX or beyond
 * its space. */
int qemud_save_header_decode(const unsigned char *buf, size_t len, struct qemud_save_header *h,
                             const char **why);

/* An image opened for restore: header checked, XML read, the file's size
 * matching the header's stream length. */
struct qemud_save_image {
    int fd;                         /* O_RDONLY, positioned at the stream */
    struct qemud_save_header hdr;
    char *xml;                      /* NUL-terminated */
};

/* Opens PATH.  -errno (open/read) or -EINVAL with *WHY (not an image,
 * truncated). */
int qemud_save_image_open(const char *path, struct qemud_save_image *img, const char **why);
void qemud_save_image_close(struct qemud_save_image *img);

/* An image being written. */
struct qemud_save_writer {
    char *path;                     /* the target */
    char *tmp;                      /* the temp file beside it; NULL once renamed or removed */
    int fd;                         /* positioned at the stream */
    struct qemud_save_header hdr;
};

/* Creates the temp file for PATH (mode 0600) with the header and XML
 * written, ready for the stream.  -errno. */
int qemud_save_writer_create(const char *path, const char *xml, uint32_t flags, struct qemud_save_writer *w);
/* DATA_LEN stream bytes were written: header completed, fsynced, renamed
 * over the target, directory fsynced.  -errno (the temp file is removed). */
int qemud_save_writer_commit(struct qemud_save_writer *w, uint64_t data_len);
/* Removes the temp file unless committed and frees W's fields.  Safe twice. */
void qemud_save_writer_clear(struct qemud_save_writer *w);

/* Replaces the XML of the image at PATH in place, and optionally its
 * running/paused flags (FLAGS != 0).  -ENOSPC if XML does not fit the
 * reserved space, -EINVAL with *WHY if PATH is no image. */
int qemud_save_image_set_xml(const char *path, const char *xml, uint32_t flags, const char **why);
