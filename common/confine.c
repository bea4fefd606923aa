/*
 * Building a confinement in the parent (see confine.h).  Everything the
 * child will need is decided here, where malloc, lstat and readlink are
 * allowed: which /bin /lib* entries are symlinks on this host and what they
 * say, whether /etc/localtime is a link.  The child (confine_child.c) then
 * only replays the list.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"

int mv_confine_init(struct mv_confine *c, const char *stage)
{
    *c = (struct mv_confine){ .uid = (uid_t)-1, .gid = (gid_t)-1, .nofile = -1, .memlock = -1,
                            .cgroup_procs_fd = -1 };
    if (stage) {
        if (!(c->stage = strdup(stage)))
            return -ENOMEM;
        c->new_root = true;
    }
    return 0;
}

void mv_confine_clear(struct mv_confine *c)
{
    for (size_t i = 0; i < c->nmounts; i++) {
        free(c->mounts[i].target);
        free(c->mounts[i].src);
    }
    free(c->mounts);
    free(c->stage);
    *c = (struct mv_confine){ .uid = (uid_t)-1, .gid = (gid_t)-1, .nofile = -1, .memlock = -1,
                            .cgroup_procs_fd = -1 };
}

int mv_confine_add(struct mv_confine *c, const char *target, const char *src, int src_fd, unsigned flags)
{
    struct mv_confine_mount *m;

    /* the child builds STAGE + TARGET in a PATH_MAX buffer */
    if (!target || target[0] != '/' || strlen(target) >= PATH_MAX / 2 ||
        (!src && src_fd < 0 && !(flags & MV_CONFINE_TMPFS)))
        return -EINVAL;
    if (c->nmounts >= MV_CONFINE_MOUNTS_MAX)
        return -E2BIG;
    if (c->nmounts == c->mounts_alloc) {
        size_t n = c->mounts_alloc ? c->mounts_alloc * 2 : 16;
        struct mv_confine_mount *grown = realloc(c->mounts, n * sizeof(*grown));

        if (!grown)
            return -ENOMEM;
        c->mounts = grown, c->mounts_alloc = n;
    }
    m = &c->mounts[c->nmounts];
    *m = (struct mv_confine_mount){ .src_fd = src_fd, .flags = flags };
    if (flags & MV_CONFINE_NODE) {
        struct stat st;

        if (!src || stat(src, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            return src ? -ENODEV : -EINVAL;
        m->rdev = st.st_rdev;
        m->type = st.st_mode & S_IFMT;
    }
    if (!(m->target = strdup(target)) || (src && !(m->src = strdup(src)))) {
        free(m->target);
        return -ENOMEM;
    }
    c->nmounts++;
    return 0;
}

/* PATH as on the host: its symlink replicated, a directory bound read-only,
 * nothing when absent (lib32 exists on some hosts only). */
static int add_as_host(struct mv_confine *c, const char *path)
{
    char link[PATH_MAX];
    struct stat st;
    ssize_t n;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (S_ISLNK(st.st_mode)) {
        if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
            return -errno;
        link[n] = '\0';
        return mv_confine_add(c, path, link, -1, MV_CONFINE_SYMLINK);
    }
    if (S_ISDIR(st.st_mode))
        return mv_confine_add(c, path, path, -1, MV_CONFINE_RO | MV_CONFINE_DIR);
    return mv_confine_add(c, path, path, -1, MV_CONFINE_RO);
}

int mv_confine_add_base(struct mv_confine *c)
{
    static const char *const as_host[] = {
        "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
        /* the dynamic loader's cache; localtime is a link into /usr (zoneinfo) */
        "/etc/ld.so.cache", "/etc/localtime",
    };
    static const char *const dev_nodes[] = {
        "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
    };
    int r;

    if ((r = mv_confine_add(c, "/usr", "/usr", -1, MV_CONFINE_RO | MV_CONFINE_DIR)) < 0)
        return r;
    for (size_t i = 0; i < sizeof(as_host) / sizeof(as_host[0]); i++)
        if ((r = add_as_host(c, as_host[i])) < 0)
            return r;
    if ((r = mv_confine_add(c, "/proc", "/proc", -1, MV_CONFINE_DIR | MV_CONFINE_RECURSIVE)) < 0 ||
        (r = mv_confine_add(c, "/sys", "/sys", -1,
                            MV_CONFINE_DIR | MV_CONFINE_RECURSIVE | MV_CONFINE_RO)) < 0 ||
        (r = mv_confine_add(c, "/dev", NULL, -1, MV_CONFINE_DIR | MV_CONFINE_TMPFS)) < 0)
        return r;
    for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++)
        if ((r = mv_confine_add(c, dev_nodes[i], dev_nodes[i], -1, 0)) < 0)
            return r;
    /* a node of its own, not a bind: the kernel finds the pty instance in
     * the "pts" beside the ptmx opened, which for a bound host node would
     * be the host devtmpfs's empty pts directory; the host devpts's own
     * pts/ptmx is mode 000 */
    if ((r = mv_confine_add(c, "/dev/ptmx", "/dev/ptmx", -1, MV_CONFINE_NODE)) < 0)
        return r;
    /* the host's devpts, so the pty names QEMU reports are valid outside */
    if ((r = mv_confine_add(c, "/dev/pts", "/dev/pts", -1, MV_CONFINE_DIR | MV_CONFINE_RECURSIVE)) < 0)
        return r;
    return mv_confine_add(c, "/dev/shm", NULL, -1, MV_CONFINE_DIR | MV_CONFINE_TMPFS);
}
