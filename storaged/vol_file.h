/*
 * Volume files: what storaged does to one image file, whatever pool holds
 * it.  Creation, clone and resize run qemu-img through the core's runner
 * (common/process.h), off the event loop, each with a timeout; raw files
 * are made directly (sparse unless preallocated).  Inspection reads the
 * file's own header (raw, qcow2) and falls back to `qemu-img info
 * --output=json` (json-c); results are cached by (dev, ino, mtime, size) so
 * refreshing 1000 unchanged volumes costs 1000 stat()s.
 *
 * Crash safety: create and clone write to a temp name in the same directory
 * (".NAME.mvtmp.XXXXXX": the "mvtmp" marker keeps mv_volfile_clean_temps()
 * off a user's own dotfiles such as ".disk.backup"), flock()ed while being
 * written, and rename it into place, fsynced and with its mode and owner set,
 * only when complete.  After a kill -9 a volume is either complete or absent
 * (the pool's refresh removes stale temp files, skipping locked ones, which
 * are still being written).
 *
 * Paths are absolute, without "." or ".." components (qemu-img would read a
 * "proto:" prefix in a relative one as a protocol).
 *
 * Every function returns 0 or -errno with *ERRMSG naming the volume file
 * and the cause (qemu-img's own message where it has one).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum mv_volfile_format { MV_VOLFILE_RAW, MV_VOLFILE_QCOW2, MV_VOLFILE_UNKNOWN };
const char *mv_volfile_format_to_string(enum mv_volfile_format f);   /* "raw", "qcow2" */
int mv_volfile_format_from_string(const char *s);                   /* -1 if not supported */

enum mv_volfile_prealloc { MV_VOLFILE_PREALLOC_OFF, MV_VOLFILE_PREALLOC_METADATA, MV_VOLFILE_PREALLOC_FULL };

/* What to create. */
struct mv_volfile_spec {
    enum mv_volfile_format format;
    uint64_t capacity;                  /* bytes */
    enum mv_volfile_prealloc prealloc;
    mode_t mode;                        /* 0 = 0600 */
    uid_t uid;                          /* (uid_t)-1 = leave */
    gid_t gid;
    /* qcow2 only */
    const char *backing;                /* absolute path, or NULL */
    enum mv_volfile_format backing_format;  /* MV_VOLFILE_UNKNOWN: read from the backing file */
    const char *compat;                 /* "1.1", "0.10", or NULL */
    uint32_t cluster_size;              /* bytes, 0 = default */
    bool lazy_refcounts;
    /* LUKS encryption (qcow2, or raw = qemu's "luks" format): the passphrase,
     * or NULL.  Handed to qemu-img through an inherited memfd, never on its
     * command line or in a file. */
    const unsigned char *luks_key;
    size_t luks_key_len;
};

/* What a file is. */
struct mv_volfile_info {
    enum mv_volfile_format format;
    uint64_t capacity;                  /* virtual size, bytes */
    uint64_t allocation;                /* bytes on disk (st_blocks * 512) */
    uint64_t physical;                  /* file size */
    char *backing;                      /* backing file as recorded, or NULL */
    enum mv_volfile_format backing_format;
    bool encrypted;                     /* LUKS (raw: a LUKS header; qcow2: crypt method 2) */
    char *compat;                       /* qcow2 compat, or NULL */
    uint32_t cluster_size;
    bool lazy_refcounts;
};
void mv_volfile_info_clear(struct mv_volfile_info *info);

/* Creates PATH (must not exist) as SPEC says.  TIMEOUT_MS bounds qemu-img. */
int mv_volfile_create(const char *path, const struct mv_volfile_spec *spec, int timeout_ms, char **errmsg);

/* Creates PATH from SRC (any supported format to SPEC's format), keeping
 * holes; a source with a backing chain is flattened.  SPEC's capacity: 0 =
 * the source's, larger grows the clone, smaller is refused; SPEC has no
 * backing file and no key (encrypted sources are refused: -ENOTSUP).
 * PROGRESS (may be NULL) is called, from this thread, with bytes done and
 * total (the source's capacity) as qemu-img reports them. */
typedef void (*mv_volfile_progress_fn)(uint64_t done, uint64_t total, void *opaque);
int mv_volfile_clone(const char *src, const char *path, const struct mv_volfile_spec *spec, int timeout_ms,
                     mv_volfile_progress_fn progress, void *opaque, char **errmsg);

/* Reads PATH's format, sizes and backing file.  The cache makes an unchanged
 * file cost one stat().  Thread-safe; the probe of one file never holds up
 * another's.  The format is probed from the header: a raw volume whose
 * guest wrote a qcow2 header reads as qcow2, so a caller that knows a
 * volume's format from its definition should trust that instead. */
int mv_volfile_inspect(const char *path, struct mv_volfile_info *info, char **errmsg);

/* Changes PATH's capacity; shrinking only with SHRINK (-EINVAL naming both
 * sizes otherwise); ALLOCATE preallocates the new part.  Encrypted files:
 * -ENOTSUP (qemu-img would need the key). */
int mv_volfile_resize(const char *path, uint64_t capacity, bool shrink, bool allocate, int timeout_ms,
                      char **errmsg);

/* Overwrites PATH's data with zeros, leaving holes holes (a sparse file stays
 * sparse: punch/zero ranges, not write them; a preallocated one stays
 * allocated).  A qcow2 image is re-created empty with the same options, its
 * mode and owner kept; with a backing file the guest then reads the backing
 * file's data, its own layer being empty.  Encrypted files: -ENOTSUP. */
int mv_volfile_wipe(const char *path, int timeout_ms, char **errmsg);

/* Removes PATH; a missing file is fine. */
int mv_volfile_delete(const char *path, char **errmsg);

/* Removes temp files a killed create/clone/upload left in DIR; the number
 * removed or -errno.  Skips temp files another thread or process is still
 * writing (they are flock()ed). */
int mv_volfile_clean_temps(const char *dir);

/* A temp file for PATH, for callers that fill one themselves (an upload):
 * *FD (O_RDWR|O_CLOEXEC, flock()ed) and *TMP_PATH (malloc'd). */
int mv_volfile_temp_open(const char *path, int *fd, char **tmp_path, char **errmsg);
/* Finishes a temp file: fsync, MODE (0 = 0600) and owner (-1 = leave), then
 * rename onto PATH (replacing it when REPLACE, else -EEXIST) and fsync the
 * directory.  Always closes FD; unlinks TMP_PATH on failure. */
int mv_volfile_temp_commit(int fd, const char *tmp_path, const char *path, mode_t mode, uid_t uid,
                           gid_t gid, bool replace, char **errmsg);
/* Abandons a temp file: unlink, close. */
void mv_volfile_temp_discard(int fd, const char *tmp_path);

/* The qemu-img to run (absolute path); default /usr/bin/qemu-img.  Set once
 * at start (configuration, tests), before any other call. */
void mv_volfile_set_qemu_img(const char *path);

/* Counters since start, for tests and benchmarks: a cached inspect adds to
 * none but cache_hits. */
struct mv_volfile_stats {
    uint64_t header_reads;              /* files opened to read a header */
    uint64_t qemu_img_runs;
    uint64_t cache_hits;
};
void mv_volfile_get_stats(struct mv_volfile_stats *stats);

/* Whether PATH is absolute, without "."/".." components or "//" and at most
 * PATH_MAX bytes; else -EINVAL with a message. */
int mv_volfile_check_path(const char *path, char **errmsg);
