/*
 * Creating a volume file: raw directly (ftruncate, so sparse, or fallocate
 * for full preallocation), qcow2 and LUKS through qemu-img, always into a
 * temp file that is renamed into place once complete (vol_file.c).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "vol_file_internal.h"

/* the id of the secret object on qemu-img's command line */
#define SECRET_ID "sec0"
/* create's longest qemu-img command line */
#define ARGV_MAX 16
#define OPTS_MAX 10
/* qemu-img 7.2 (Debian 12) times its LUKS key derivation with thread CPU
 * time, which tick-based accounting updates late: a first round of 32768
 * PBKDF2 iterations that ends inside one tick reads 0 ms and the create fails
 * with this message. With SHA-256 on a CPU with SHA extensions that was a
 * third of all creates here (and 8 tries in a row once in CI); SHA-512, which
 * those extensions do not speed up, makes the round long enough (0 in 100).
 * The retry stays for slower clocks. */
#define PBKDF_HASH "sha512"
#define PBKDF_FLAKE "Unable to get accurate CPU usage"
#define PBKDF_TRIES 8

static int raw_fill(const char *path, int fd, const struct mv_volfile_spec *spec, char **errmsg)
{
    if (ftruncate(fd, (off_t)spec->capacity) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot size volume file '%s' to %" PRIu64 " bytes: %s", path,
                             spec->capacity, strerror(errno));
    if (spec->prealloc != MV_VOLFILE_PREALLOC_FULL)
        return 0;       /* METADATA means nothing for raw: sparse */
    if (fallocate(fd, 0, 0, (off_t)spec->capacity) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return mv_errmsg_set(errmsg, -errno, "cannot allocate %" PRIu64 " bytes for volume file '%s': %s",
                             spec->capacity, path, strerror(errno));
    /* a filesystem without fallocate: glibc writes the zeros */
    errno = posix_fallocate(fd, 0, (off_t)spec->capacity);
    if (errno)
        return mv_errmsg_set(errmsg, -errno, "cannot allocate %" PRIu64 " bytes for volume file '%s': %s",
                             spec->capacity, path, strerror(errno));
    return 0;
}

/* The option list of qemu-img create for SPEC (NULL-terminated, malloc'd
 * strings), the format in *FMT. */
static int image_opts(const struct mv_volfile_spec *spec, const char *backing_fmt, char *opts[OPTS_MAX],
                      const char **fmt)
{
    bool qcow2 = spec->format == MV_VOLFILE_QCOW2;
    int n = 0;

    *fmt = qcow2 ? "qcow2" : "luks";
    if (qcow2 && spec->backing) {
        opts[n++] = mv_volfile_opt("backing_file", spec->backing);
        opts[n++] = mv_volfile_opt("backing_fmt", backing_fmt);
    }
    if (qcow2 && spec->compat)
        opts[n++] = mv_volfile_opt("compat", spec->compat);
    if (qcow2 && spec->cluster_size && asprintf(&opts[n++], "cluster_size=%" PRIu32, spec->cluster_size) < 0)
        opts[n - 1] = NULL;
    if (qcow2 && spec->lazy_refcounts)
        opts[n++] = strdup("lazy_refcounts=on");
    if (spec->prealloc != MV_VOLFILE_PREALLOC_OFF)
        opts[n++] = strdup(spec->prealloc == MV_VOLFILE_PREALLOC_FULL ? "preallocation=full"
                           : qcow2 ? "preallocation=metadata" : "preallocation=off");
    if (spec->luks_key && qcow2) {
        opts[n++] = strdup("encrypt.format=luks");
        opts[n++] = strdup("encrypt.key-secret=" SECRET_ID);
        opts[n++] = strdup("encrypt.hash-alg=" PBKDF_HASH);
    } else if (spec->luks_key) {
        opts[n++] = strdup("key-secret=" SECRET_ID);
        opts[n++] = strdup("hash-alg=" PBKDF_HASH);
    }
    for (int i = 0; i < n; i++)
        if (!opts[i])
            return -ENOMEM;
    return n;
}

static void opts_free(char *opts[OPTS_MAX])
{
    for (int i = 0; i < OPTS_MAX; i++)
        free(opts[i]);
}

static char *opts_join(char *opts[], int n)
{
    size_t len = 1;
    char *s, *p;

    for (int i = 0; i < n; i++)
        len += strlen(opts[i]) + 1;
    if (!(s = calloc(1, len)))
        return NULL;
    p = s;
    for (int i = 0; i < n; i++)
        p = stpcpy(stpcpy(p, i ? "," : ""), opts[i]);
    return s;
}

/* The backing file's format as qemu-img should be told it: the caller's,
 * or what the file's header says. */
static int backing_format(const char *path, const struct mv_volfile_spec *spec, const char **fmt,
                          char **errmsg)
{
    struct mv_volfile_info bi = { 0 };
    struct stat st;
    int r;

    if ((r = mv_volfile_check_path(spec->backing, errmsg)) < 0)
        return r;
    if (stat(spec->backing, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "backing file '%s' of volume file '%s': %s", spec->backing,
                             path, strerror(errno));
    if (spec->backing_format != MV_VOLFILE_UNKNOWN) {
        *fmt = mv_volfile_format_to_string(spec->backing_format);
        return 0;
    }
    if ((r = mv_volfile_inspect(spec->backing, &bi, errmsg)) < 0)
        return r;
    *fmt = mv_volfile_format_to_string(bi.format);
    r = bi.format == MV_VOLFILE_UNKNOWN
        ? mv_errmsg_set(errmsg, -ENOTSUP, "backing file '%s' of volume file '%s' has an unsupported format",
                        spec->backing, path)
        : 0;
    mv_volfile_info_clear(&bi);
    return r;
}

/* qemu-img create for a qcow2 or LUKS image into TMP. */
static int image_fill(const char *path, const char *tmp, const struct mv_volfile_spec *spec, int timeout_ms,
                      char **errmsg)
{
    char *opts[OPTS_MAX] = { 0 }, size[24];
    _cleanup_free_ char *optstr = NULL, *object = NULL;
    _cleanup_close_ int keyfd = -1;
    const char *argv[ARGV_MAX] = { NULL, "create", "-q", "-f" }, *fmt, *bfmt = NULL;
    int n, argc = 4, r;

    if (spec->format == MV_VOLFILE_QCOW2 && spec->backing &&
        (r = backing_format(path, spec, &bfmt, errmsg)) < 0)
        return r;
    if ((n = image_opts(spec, bfmt, opts, &fmt)) < 0 || !(optstr = opts_join(opts, n))) {
        opts_free(opts);
        return -ENOMEM;
    }
    opts_free(opts);
    argv[argc++] = fmt;
    if (spec->luks_key) {
        if ((r = mv_volfile_secret_memfd(spec->luks_key, spec->luks_key_len, SECRET_ID, &keyfd, &object)) < 0)
            return mv_errmsg_set(errmsg, r, "volume file '%s': cannot hand the key to qemu-img: %s", path,
                                 strerror(-r));
        argv[argc++] = "--object";
        argv[argc++] = object;
    }
    if (*optstr) {
        argv[argc++] = "-o";
        argv[argc++] = optstr;
    }
    snprintf(size, sizeof(size), "%" PRIu64, spec->capacity);
    argv[argc++] = tmp;
    argv[argc++] = size;
    argv[argc] = NULL;
    for (int i = 1;; i++) {
        _cleanup_free_ char *why = NULL;

        r = mv_volfile_qemu_img_run(argv, path, "create", timeout_ms, NULL, NULL, keyfd, NULL, &why);
        if (r == 0 || !spec->luks_key || !why || !strstr(why, PBKDF_FLAKE) || i == PBKDF_TRIES) {
            if (r < 0 && errmsg)
                *errmsg = TAKE_PTR(why);
            return r;
        }
    }
}

static int check_spec(const char *path, const struct mv_volfile_spec *spec, char **errmsg)
{
    int r;

    if ((r = mv_volfile_check_path(path, errmsg)) < 0 ||
        (r = mv_volfile_check_capacity(path, spec->capacity, errmsg)) < 0)
        return r;
    if (spec->format != MV_VOLFILE_RAW && spec->format != MV_VOLFILE_QCOW2)
        return mv_errmsg_set(errmsg, -ENOTSUP, "volume file '%s': cannot create format '%s'", path,
                             mv_volfile_format_to_string(spec->format));
    if (spec->format == MV_VOLFILE_RAW && spec->backing)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s': a raw file cannot have a backing file", path);
    if (spec->luks_key && spec->luks_key_len == 0)
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s': empty encryption key", path);
    return 0;
}

int mv_volfile_create_into(const char *path, int fd, const char *tmp, const struct mv_volfile_spec *spec,
                           int timeout_ms, char **errmsg)
{
    int r = check_spec(path, spec, errmsg);

    if (r < 0)
        return r;
    if (spec->format == MV_VOLFILE_RAW && !spec->luks_key)
        return raw_fill(path, fd, spec, errmsg);
    return image_fill(path, tmp, spec, timeout_ms, errmsg);
}

int mv_volfile_create(const char *path, const struct mv_volfile_spec *spec, int timeout_ms, char **errmsg)
{
    _cleanup_free_ char *tmp = NULL;
    struct stat st;
    int fd = -1, r;

    assert(spec);
    if ((r = check_spec(path, spec, errmsg)) < 0)
        return r;
    if (lstat(path, &st) == 0)
        return mv_errmsg_set(errmsg, -EEXIST, "volume file '%s' already exists", path);
    if ((r = mv_volfile_temp_open(path, &fd, &tmp, errmsg)) < 0)
        return r;
    if ((r = mv_volfile_create_into(path, fd, tmp, spec, timeout_ms, errmsg)) < 0) {
        mv_volfile_temp_discard(fd, tmp);
        return r;
    }
    return mv_volfile_temp_commit(fd, tmp, path, spec->mode, spec->uid, spec->gid, false, errmsg);
}
