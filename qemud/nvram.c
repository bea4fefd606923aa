#define MV_LOG_MODULE "qemud.nvram"
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "error_codes.h"
#include "file.h"
#include "log.h"
#include "nvram.h"
#include "paths.h"     /* mv_mkdir_p */

char *mv_nvram_dir(const char *statedir)
{
    char *p;

    return asprintf(&p, "%s/qemu/nvram", statedir) < 0 ? NULL : p;
}

char *mv_nvram_default_path(const char *nvram_dir, const char *name)
{
    char *p;

    return asprintf(&p, "%s/%s_VARS.fd", nvram_dir, name) < 0 ? NULL : p;
}

int mv_nvram_fill_path(struct mv_dom_def *def, const char *statedir)
{
    struct mv_dom_os *os = &def->os;
    _cleanup_free_ char *dir = NULL;

    if (os->nvram || !os->loader || os->loader_type != MV_DOM_LOADER_PFLASH ||
        os->loader_readonly != MV_TRISTATE_YES)
        return 0;
    if (!(dir = mv_nvram_dir(statedir)))
        return -ENOMEM;
    os->nvram = mv_nvram_default_path(dir, def->name);
    return os->nvram ? 0 : -ENOMEM;
}

/* The loader QEMU will map: a file we can read (QEMU runs as we do). */
static int check_loader(const struct mv_dom_def *live, int *errcode, char **errmsg)
{
    const char *loader = live->os.loader;

    if (!loader || access(loader, R_OK) == 0)
        return 0;
    *errcode = MV_ERR_OPERATION_FAILED;
    return mv_errmsg_set(errmsg, -errno, "operation failed: loader '%s' of domain '%s' cannot be read: %s",
                         loader, live->name, strerror(errno));
}

static mv_nvram_check_fn nvram_check;

void mv_nvram_set_check(mv_nvram_check_fn check)
{
    nvram_check = check;
}

/* Where FD really is, through /proc/self/fd: malloc'd into *OUT. */
static int fd_path(int fd, char **out)
{
    char link[64], buf[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    if ((n = readlink(link, buf, sizeof(buf) - 1)) < 0)
        return -errno;
    buf[n] = '\0';
    return (*out = strdup(buf)) ? 0 : -ENOMEM;
}

static bool under_usr(const char *p)
{
    return strncmp(p, "/usr/", 5) == 0;
}

/* Reads all of FD (at most MAX bytes) into *OUT. */
static int read_fd(int fd, size_t max, char **out, size_t *len)
{
    _cleanup_free_ char *buf = NULL;
    size_t n = 0, cap = 0;

    for (;;) {
        ssize_t got;

        if (n == cap) {
            char *grown;

            if (cap >= max)
                return -EFBIG;
            cap = cap ? (cap * 2 > max ? max : cap * 2) : 65536;
            if (!(grown = realloc(buf, cap)))
                return -ENOMEM;
            buf = grown;
        }
        if ((got = read(fd, buf + n, cap - n)) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *out = TAKE_PTR(buf);
    *len = n;
    return 0;
}

/* The template opened once (O_PATH: a FIFO or a device is never opened for
 * reading as root), a regular file, checked where it really is, then read
 * through that same inode. */
static int read_template(const struct mv_dom_def *live, char **data, size_t *len, int *errcode, char **errmsg)
{
    const char *tmpl = live->os.nvram_template;
    _cleanup_close_ int pfd = open(tmpl, O_PATH | O_CLOEXEC);
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *real = NULL;
    char link[64];
    struct stat st;
    int r;

    *errcode = MV_ERR_OPERATION_FAILED;
    if (pfd < 0 || fstat(pfd, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "operation failed: cannot create nvram '%s' of domain '%s' from "
                             "template '%s': %s", live->os.nvram, live->name, tmpl, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return mv_errmsg_set(errmsg, -EINVAL, "operation failed: cannot create nvram '%s' of domain '%s' from "
                             "template '%s': the template is not a regular file", live->os.nvram, live->name, tmpl);
    if ((r = fd_path(pfd, &real)) < 0)
        return mv_errmsg_set(errmsg, r, "operation failed: cannot create nvram '%s' of domain '%s' from template "
                             "'%s': the template cannot be resolved: %s", live->os.nvram, live->name, tmpl,
                             strerror(-r));
    /* the firmware packages' own templates, which descriptors name */
    if (!under_usr(real) && nvram_check && (r = nvram_check(live, "nvram template", real, &st, errcode, errmsg)) < 0)
        return r;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
    if ((fd = open(link, O_RDONLY | O_CLOEXEC)) < 0 || (r = read_fd(fd, MV_NVRAM_TEMPLATE_MAX, data, len)) < 0) {
        r = fd < 0 ? -errno : r;
        *errcode = r == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_OPERATION_FAILED;
        return mv_errmsg_set(errmsg, r, "operation failed: cannot create nvram '%s' of domain '%s' from template "
                             "'%s': the template cannot be read: %s", live->os.nvram, live->name, tmpl, strerror(-r));
    }
    return 0;
}

/* DATA written to a new file in directory DFD, synced and renamed to NAME
 * without replacing anything (a symlink put there meanwhile stays a
 * failure, never a target). */
static int create_in(int dfd, const char *name, const char *data, size_t len)
{
    char tmp[64];
    _cleanup_close_ int fd = -1;
    int r = 0;

    snprintf(tmp, sizeof(tmp), ".nvram.%ld.tmp", (long)getpid());
    (void)unlinkat(dfd, tmp, 0);
    if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return -errno;
    for (size_t off = 0; off < len && r == 0;) {
        ssize_t n = write(fd, data + off, len - off);

        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0)
        r = -errno;
    if (r < 0)
        (void)unlinkat(dfd, tmp, 0);
    return r;
}

/* The store made from the template: its directory opened and checked where
 * it really is, then the file created by name in it. */
static int copy_template(const struct mv_dom_def *live, int *errcode, char **errmsg)
{
    const char *path = live->os.nvram;
    _cleanup_free_ char *data = NULL;
    _cleanup_free_ char *dir = strdup(path);
    _cleanup_free_ char *base = strdup(path);
    _cleanup_free_ char *realdir = NULL;
    _cleanup_free_ char *real = NULL;
    _cleanup_close_ int dfd = -1;
    const char *dname, *name;
    size_t len = 0;
    int r;

    *errcode = MV_ERR_NO_MEMORY;
    if (!dir || !base)
        return -ENOMEM;
    dname = dirname(dir);
    name = basename(base);
    if ((r = read_template(live, &data, &len, errcode, errmsg)) < 0)
        return r;
    *errcode = MV_ERR_OPERATION_FAILED;
    if ((r = mv_mkdir_p(dname, 0755)) < 0 || (dfd = open(dname, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (r = fd_path(dfd, &realdir)) < 0) {
        r = r < 0 ? r : -errno;
        goto fail;
    }
    if (asprintf(&real, "%s/%s", strcmp(realdir, "/") == 0 ? "" : realdir, name) < 0) {
        real = NULL;
        r = -ENOMEM;
        goto fail;
    }
    if (nvram_check && (r = nvram_check(live, "nvram", real, NULL, errcode, errmsg)) < 0)
        return r;
    if ((r = create_in(dfd, name, data, len)) == 0)
        return 0;
fail:
    if (r == -ENOMEM)
        *errcode = MV_ERR_NO_MEMORY;
    return mv_errmsg_set(errmsg, r, "operation failed: cannot create nvram '%s' of domain '%s' from template "
                         "'%s': %s", path, live->name, live->os.nvram_template, strerror(-r));
}

int mv_nvram_prepare(const struct mv_dom_def *live, int *errcode, char **errmsg)
{
    const struct mv_dom_os *os = &live->os;
    struct stat st;
    int r;

    if ((r = check_loader(live, errcode, errmsg)) < 0 || !os->nvram)
        return r;
    if (stat(os->nvram, &st) == 0)
        return 0;
    *errcode = MV_ERR_OPERATION_FAILED;
    if (errno != ENOENT)
        return mv_errmsg_set(errmsg, -errno, "operation failed: nvram '%s' of domain '%s': %s", os->nvram,
                             live->name, strerror(errno));
    if (!os->nvram_template)
        return mv_errmsg_set(errmsg, -ENOENT,
                             "operation failed: nvram '%s' of domain '%s' does not exist and no template makes "
                             "it (no <nvram template> and no firmware descriptor names loader '%s')",
                             os->nvram, live->name, os->loader);
    if ((r = copy_template(live, errcode, errmsg)) < 0)
        return r;
    mv_info("domain '%s': nvram '%s' created from '%s'", live->name, os->nvram, os->nvram_template);
    return 0;
}

int mv_nvram_existing(const struct mv_dom_def *def, const char *statedir, char **path)
{
    _cleanup_free_ char *dir = NULL;
    _cleanup_free_ char *p = NULL;
    struct stat st;

    *path = NULL;
    if (def->os.nvram)
        p = strdup(def->os.nvram);
    else if (def->os.firmware == MV_DOM_OS_FIRMWARE_EFI)
        p = (dir = mv_nvram_dir(statedir)) ? mv_nvram_default_path(dir, def->name) : NULL;
    else
        return 0;
    if (!p)
        return -ENOMEM;
    if (lstat(p, &st) == 0)
        *path = TAKE_PTR(p);
    return 0;
}
