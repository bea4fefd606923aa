/* qcow2 backing chains from the image headers (QEMU's docs/interop/qcow2.txt). */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "guest_path_policy.h"
#include "image_chain.h"

#define QCOW2_MAGIC 0x514649fbu          /* "QFI\xfb" */
#define QCOW2_V2_HEADER 72
#define QCOW2_V3_HEADER 104
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)

static uint32_t be32_at(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static uint64_t be64_at(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return be64toh(v);
}

/* QEMU's path_has_protocol(): a ':' before any '/' makes NAME a protocol
 * ("nbd:host:10809", "json:{...}"), which no host file grant can cover. */
static bool has_protocol(const char *name)
{
    const char *p = strpbrk(name, ":/");

    return p && *p == ':';
}

/* The backing file name in the header of the image open as FD (PATH names
 * it), into *NAME (NULL: none, or not a qcow2 image: the chain ends). */
static int read_backing(int fd, const char *path, char **name, char **errmsg)
{
    unsigned char h[QCOW2_V3_HEADER];
    ssize_t n = pread(fd, h, sizeof(h), 0);
    uint32_t version, size;
    uint64_t offset;
    _cleanup_free_ char *s = NULL;

    *name = NULL;
    if (n < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot read the header of '%s': %s", path, strerror(errno));
    if (n < 4 || be32_at(h) != QCOW2_MAGIC)
        return 0;
    version = n >= 8 ? be32_at(h + 4) : 0;
    if ((version != 2 && version != 3) || n < (version == 2 ? QCOW2_V2_HEADER : QCOW2_V3_HEADER))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': not a qcow2 version 2 or 3 header", path);
    /* QEMU opens an external data file by a name in the header too */
    if (version == 3 && (be64_at(h + 72) & QCOW2_INCOMPAT_DATA_FILE))
        return mv_errmsg_set(errmsg, -EOPNOTSUPP, "'%s': qcow2 images with an external data file are not supported",
                             path);
    offset = be64_at(h + 8);
    size = be32_at(h + 16);
    if (offset == 0 || size == 0)
        return 0;
    if (size > QEMUD_IMAGE_BACKING_NAME_MAX)
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': backing file name of %u bytes (most %d)", path, size,
                             QEMUD_IMAGE_BACKING_NAME_MAX);
    if (offset > INT64_MAX || !(s = calloc(1, size + 1)))
        return offset > INT64_MAX ? mv_errmsg_set(errmsg, -EINVAL, "'%s': invalid backing file offset", path)
                                  : -ENOMEM;
    n = pread(fd, s, size, (off_t)offset);
    if (n != (ssize_t)size || memchr(s, '\0', size))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': cannot read its backing file name", path);
    *name = TAKE_PTR(s);
    return 0;
}

/* NAME as a path: relative to the directory of the image TOP naming it. */
static char *backing_path(const char *top, const char *name)
{
    const char *slash = strrchr(top, '/');
    char *p;

    if (name[0] == '/' || !slash)
        return strdup(name);
    return asprintf(&p, "%.*s/%s", (int)(slash - top), top, name) < 0 ? NULL : p;
}

struct chain {
    char **v;                   /* NULL-terminated */
    size_t n;
    dev_t dev[QEMUD_IMAGE_CHAIN_MAX + 1];
    ino_t ino[QEMUD_IMAGE_CHAIN_MAX + 1];
    size_t nseen;
};

static void chain_free(struct chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

/* What a file of type MODE is, for messages: "a FIFO"... */
static const char *type_name(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device" : S_ISDIR(mode) ? "a directory"
         : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

/* PATH (a backing file named in the header of TOP, or TOP itself) opened
 * O_PATH as QEMU would (following symlinks): nothing of the file's own
 * happens yet, so a FIFO cannot block and a device's open cannot act. */
static int open_checked(const char *domname, const char *top, const char *path, struct stat *st, char *resolved,
                        char **errmsg)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    char proc[32];
    ssize_t n = 0;

    if (fd < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open '%s' (backing chain of '%s'): %s", path, top,
                             strerror(errno));
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (fstat(fd, st) < 0 || (n = readlink(proc, resolved, PATH_MAX)) < 0 || n >= PATH_MAX) {
        int r = n >= PATH_MAX ? -ENAMETOOLONG : -errno;

        close(fd);
        return mv_errmsg_set(errmsg, r, "cannot resolve '%s' (backing chain of '%s'): %s", path, top,
                             strerror(-r));
    }
    resolved[n] = '\0';
    /* only a file or a block device holds an image; anything else is not
     * opened for reading at all (a FIFO would block, a character device's
     * open alone can act: /dev/watchdog arms, a tape rewinds) */
    if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode)) {
        close(fd);
        return mv_errmsg_set(errmsg, -EPERM, "'%s': backing file '%s' is %s, not a file or block device", top,
                             path, type_name(st->st_mode));
    }
    if (domname) {
        struct mv_err err = { 0 };
        _cleanup_free_ char *what = NULL;
        int r = asprintf(&what, "backing file of '%s'", top) < 0 ? -ENOMEM
              : qemud_path_policy_check(domname, what, resolved, st, &err);

        if (r < 0) {
            close(fd);
            if (!err.message)
                return r;
            *errmsg = err.message;
            return r;
        }
    }
    return fd;
}

/* Opens the image open as PATHFD (O_PATH, checked) for its header through
 * /proc/self/fd: the checked inode, never a FIFO's wait or a tty's. */
static int reopen_read(int pathfd, const char *path, char **errmsg)
{
    char proc[32];
    int fd;

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
    if ((fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open '%s' for its header: %s", path, strerror(errno));
    return fd;
}

/* Opens the chain's image PATH (TOPFD: its O_PATH fd, already checked, or
 * -1) for its header; -ELOOP when it is a file the chain had. */
static int open_link(struct chain *c, const char *domname, int topfd, const char *top, const char *path,
                     char **errmsg)
{
    _cleanup_close_ int pathfd = -1;
    char resolved[PATH_MAX];
    struct stat st;

    if (topfd >= 0) {
        if (fstat(topfd, &st) < 0)
            return mv_errmsg_set(errmsg, -errno, "cannot stat '%s': %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
            return mv_errmsg_set(errmsg, -EPERM, "'%s' is %s, not a file or block device", path,
                                 type_name(st.st_mode));
    } else if ((pathfd = open_checked(domname, top, path, &st, resolved, errmsg)) < 0) {
        return pathfd;
    }
    for (size_t i = 0; i < c->nseen; i++)
        if (c->dev[i] == st.st_dev && c->ino[i] == st.st_ino)
            return mv_errmsg_set(errmsg, -ELOOP, "the backing chain of '%s' loops at '%s'", top, path);
    c->dev[c->nseen] = st.st_dev;
    c->ino[c->nseen++] = st.st_ino;
    return reopen_read(topfd >= 0 ? topfd : pathfd, path, errmsg);
}

static int chain_add(struct chain *c, char *path)
{
    char **v = realloc(c->v, (c->n + 2) * sizeof(*v));

    if (!v) {
        free(path);
        return -ENOMEM;
    }
    c->v = v;
    c->v[c->n++] = path;
    c->v[c->n] = NULL;
    return 0;
}

int qemud_image_chain_read(const char *domname, int topfd, const char *path, char ***chain, char **errmsg)
{
    struct chain c = { 0 };
    const char *cur = path;
    int r;

    if ((r = chain_add(&c, NULL)) < 0)         /* an empty, terminated list */
        return r;
    c.n = 0;
    for (;;) {
        _cleanup_close_ int fd = open_link(&c, domname, cur == path ? topfd : -1, path, cur, errmsg);
        _cleanup_free_ char *name = NULL;
        char *next;

        if ((r = fd) < 0 || (r = read_backing(fd, cur, &name, errmsg)) < 0)
            break;
        if (!name) {
            *chain = c.v;
            return 0;
        }
        if (has_protocol(name)) {
            r = mv_errmsg_set(errmsg, -EOPNOTSUPP, "'%s': backing file '%.*s' is not a local file (a protocol)",
                              cur, MV_ERRMSG_QUOTE_MAX, name);
            break;
        }
        if (c.n == QEMUD_IMAGE_CHAIN_MAX) {
            r = mv_errmsg_set(errmsg, -ELOOP, "the backing chain of '%s' is deeper than %d files", path,
                              QEMUD_IMAGE_CHAIN_MAX);
            break;
        }
        if (!(next = backing_path(cur, name)) || (r = chain_add(&c, next)) < 0) {
            r = -ENOMEM;
            break;
        }
        cur = next;
    }
    chain_free(&c);
    return r;
}
