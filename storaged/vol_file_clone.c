/*
 * Cloning a volume file: `qemu-img convert` from any supported format to
 * SPEC's, into a temp file renamed into place when complete.  Zero runs of
 * 4 KiB and more stay holes (-S 4k), so a sparse raw volume cloned to raw
 * stays sparse.  Progress comes from qemu-img's own -p output, parsed from
 * its stdout as it arrives.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "vol_file_internal.h"

#define ARGV_MAX 20

struct progress {
    mv_volfile_progress_fn fn;
    void *opaque;
    uint64_t total;
    char token[32];             /* the "(12.34/100%)" being read */
    size_t len;
};

/* qemu-img -p writes "    (12.34/100%)\r" again and again. */
static void progress_token(struct progress *p)
{
    double pct;

    p->token[p->len] = '\0';
    if (sscanf(p->token, " (%lf/100%%)", &pct) == 1 && pct >= 0 && pct <= 100)
        p->fn((uint64_t)((double)p->total * pct / 100.0), p->total, p->opaque);
    p->len = 0;
}

static void on_stdout(const char *chunk, size_t len, void *opaque)
{
    struct progress *p = opaque;

    for (size_t i = 0; i < len; i++) {
        if (chunk[i] == '\r' || chunk[i] == '\n')
            progress_token(p);
        else if (p->len < sizeof(p->token) - 1)
            p->token[p->len++] = chunk[i];
    }
}

/* "-o" options for the target. */
static char *target_opts(const struct mv_volfile_spec *spec)
{
    char *s = NULL;
    char cluster[32] = "";

    if (spec->format == MV_VOLFILE_RAW)
        return strdup(spec->prealloc == MV_VOLFILE_PREALLOC_FULL ? "preallocation=full" : "");
    if (spec->cluster_size)
        snprintf(cluster, sizeof(cluster), ",cluster_size=%" PRIu32, spec->cluster_size);
    if (asprintf(&s, "compat=%s%s%s%s", spec->compat ? spec->compat : "1.1", cluster,
                 spec->lazy_refcounts ? ",lazy_refcounts=on" : "",
                 spec->prealloc == MV_VOLFILE_PREALLOC_FULL ? ",preallocation=full"
                 : spec->prealloc == MV_VOLFILE_PREALLOC_METADATA ? ",preallocation=metadata" : "") < 0)
        return NULL;
    return s;
}

static int convert(const char *src, const struct mv_volfile_info *si, const char *path, const char *tmp,
                   const struct mv_volfile_spec *spec, int timeout_ms, struct progress *pr, char **errmsg)
{
    _cleanup_free_ char *opts = target_opts(spec);
    const char *argv[ARGV_MAX] = { NULL, "convert", "-f", mv_volfile_format_to_string(si->format), "-O",
                                   mv_volfile_format_to_string(spec->format), "-S", "4k" };
    int argc = 8;

    if (!opts)
        return -ENOMEM;
    if (spec->compat && strcmp(spec->compat, "0.10") == 0 && spec->lazy_refcounts)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s': lazy refcounts need compat 1.1", path);
    if (pr->fn)
        argv[argc++] = "-p";
    if (*opts) {
        argv[argc++] = "-o";
        argv[argc++] = opts;
    }
    argv[argc++] = src;
    argv[argc++] = tmp;
    argv[argc] = NULL;
    return mv_volfile_qemu_img_run(argv, path, "clone into", timeout_ms, pr->fn ? on_stdout : NULL, pr, -1,
                                   NULL, errmsg);
}

/* Grows the clone to SPEC's capacity when that is larger than the source's. */
static int grow(const char *path, const char *tmp, int fd, const struct mv_volfile_spec *spec, int timeout_ms,
                char **errmsg)
{
    char size[24];
    const char *argv[] = { NULL, "resize", "-q", "-f", "qcow2", tmp, size, NULL };

    if (spec->format == MV_VOLFILE_RAW)
        return ftruncate(fd, (off_t)spec->capacity) < 0
               ? mv_errmsg_set(errmsg, -errno, "cannot grow volume file '%s': %s", path, strerror(errno)) : 0;
    snprintf(size, sizeof(size), "%" PRIu64, spec->capacity);
    return mv_volfile_qemu_img_run(argv, path, "grow", timeout_ms, NULL, NULL, -1, NULL, errmsg);
}

static int check_clone(const char *src, const char *path, const struct mv_volfile_spec *spec,
                       const struct mv_volfile_info *si, char **errmsg)
{
    struct stat st;

    if (si->format == MV_VOLFILE_UNKNOWN)
        return mv_errmsg_set(errmsg, -ENOTSUP, "cannot clone '%s' into volume file '%s': unsupported format",
                             src, path);
    if (si->encrypted || spec->luks_key)
        return mv_errmsg_set(errmsg, -ENOTSUP,
                             "cannot clone '%s' into volume file '%s': encrypted volumes are not cloned", src,
                             path);
    if (spec->format != MV_VOLFILE_RAW && spec->format != MV_VOLFILE_QCOW2)
        return mv_errmsg_set(errmsg, -ENOTSUP, "volume file '%s': cannot create format '%s'", path,
                             mv_volfile_format_to_string(spec->format));
    if (spec->backing)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s': a clone has no backing file", path);
    if (spec->capacity && spec->capacity < si->capacity)
        return mv_errmsg_set(errmsg, -EINVAL,
                             "volume file '%s': capacity %" PRIu64 " is smaller than the %" PRIu64
                             " bytes of '%s'", path, spec->capacity, si->capacity, src);
    if (spec->capacity && mv_volfile_check_capacity(path, spec->capacity, errmsg) < 0)
        return -EOVERFLOW;
    if (lstat(path, &st) == 0)
        return mv_errmsg_set(errmsg, -EEXIST, "volume file '%s' already exists", path);
    return 0;
}

int mv_volfile_clone(const char *src, const char *path, const struct mv_volfile_spec *spec, int timeout_ms,
                     mv_volfile_progress_fn progress, void *opaque, char **errmsg)
{
    struct mv_volfile_info si = { 0 };
    struct progress pr = { .fn = progress, .opaque = opaque };
    _cleanup_free_ char *tmp = NULL;
    int fd = -1, r;

    assert(spec);
    if ((r = mv_volfile_check_path(path, errmsg)) < 0 || (r = mv_volfile_inspect(src, &si, errmsg)) < 0)
        return r;
    pr.total = si.capacity;
    r = check_clone(src, path, spec, &si, errmsg);
    if (r == 0 && (r = mv_volfile_temp_open(path, &fd, &tmp, errmsg)) == 0) {
        r = convert(src, &si, path, tmp, spec, timeout_ms, &pr, errmsg);
        if (r == 0 && spec->capacity > si.capacity)
            r = grow(path, tmp, fd, spec, timeout_ms, errmsg);
        if (r == 0)
            r = mv_volfile_temp_commit(fd, tmp, path, spec->mode, spec->uid, spec->gid, false, errmsg);
        else
            mv_volfile_temp_discard(fd, tmp);
    }
    mv_volfile_info_clear(&si);
    return r;
}
