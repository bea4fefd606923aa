/*
 * Applying a confinement in the child, between fork() and execve() (see
 * confine.h).  Only system calls here: no malloc, no stdio, paths built in
 * stack buffers, because the parent may be a threaded daemon whose malloc
 * lock another thread held at fork().
 *
 * Order matters: the mounts need CAP_SYS_ADMIN, raising a limit needs
 * CAP_SYS_RESOURCE and emptying the bounding set needs CAP_SETPCAP, so all
 * of them come before the uid changes, which drops the rest.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* size of the staged root's tmpfs: it holds only mountpoints and symlinks */
#define STAGE_OPTS "mode=0755,size=1m"
#define DEV_TMPFS_OPTS "mode=0755,size=64k"
#define SHM_TMPFS_OPTS "mode=1777"

/* DST = A + B, false when it does not fit. */
static bool join(char dst[PATH_MAX], const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + lb >= PATH_MAX)
        return false;
    memcpy(dst, a, la);
    memcpy(dst + la, b, lb + 1);
    return true;
}

/* mkdir -p of PATH's parents below its first SKIP bytes (the stage). */
static int make_parents(char *path, size_t skip)
{
    for (char *p = path + skip + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* The mountpoint at PATH for the detached TREE: a directory or an empty file. */
static int make_mountpoint(const char *path, int tree)
{
    struct stat st;
    int fd;

    if (fstat(tree, &st) < 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
        return -1;
    close(fd);
    return 0;
}

/*
 * A detached copy of M's source, made while we are still in the parent's
 * mount namespace: an fd the parent opened names a mount of that namespace,
 * which a plain bind (mount("/proc/self/fd/N")) refuses once we have our
 * own.  The copy is a slave (our later mounts below it never propagate back
 * to the host) and read-only when asked, the whole tree when RECURSIVE.
 */
static int clone_tree(const struct mv_confine_mount *m)
{
    unsigned rec = m->flags & MV_CONFINE_RECURSIVE ? AT_RECURSIVE : 0;
    struct mount_attr attr = { .attr_set = m->flags & MV_CONFINE_RO ? MOUNT_ATTR_RDONLY : 0,
                               .propagation = MS_SLAVE };
    int tree;

    if (m->src_fd >= 0)
        tree = (int)syscall(SYS_open_tree, m->src_fd, "",
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
    else
        tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (tree < 0)
        return -1;
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
        int e = errno;

        close(tree);
        errno = e;
        return -1;
    }
    return tree;
}

static const char *one_mount(const char *stage, const struct mv_confine_mount *m, int tree)
{
    char path[PATH_MAX];

    if (!join(path, stage, m->target))
        return errno = ENAMETOOLONG, "path";
    if (make_parents(path, strlen(stage)) < 0)
        return "mkdir";
    if (m->flags & MV_CONFINE_SYMLINK)
        return symlink(m->src, path) < 0 ? "symlink" : NULL;
    if (m->flags & MV_CONFINE_NODE)
        return mknod(path, m->type | 0666, m->rdev) < 0 || chmod(path, 0666) < 0 ? "mknod" : NULL;
    if (m->flags & MV_CONFINE_TMPFS) {
        const char *opts = strcmp(m->target, "/dev/shm") == 0 ? SHM_TMPFS_OPTS : DEV_TMPFS_OPTS;

        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return "mkdir";
        /* /dev holds device nodes of its own (ptmx); /dev/shm none */
        return mount("tmpfs", path, "tmpfs", MS_NOSUID | (strcmp(m->target, "/dev") ? MS_NODEV : 0), opts) < 0
                   ? "mount-tmpfs" : NULL;
    }
    if (make_mountpoint(path, tree) < 0)
        return "mountpoint";
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return "move-mount";
    return NULL;
}

/* The detached trees of C's binds in TREES (-1 for the others). */
static const char *clone_trees(const struct mv_confine *c, int trees[], const char **what)
{
    for (size_t i = 0; i < c->nmounts; i++)
        trees[i] = -1;
    for (size_t i = 0; i < c->nmounts; i++) {
        const struct mv_confine_mount *m = &c->mounts[i];

        *what = m->target;
        if (!(m->flags & (MV_CONFINE_SYMLINK | MV_CONFINE_TMPFS | MV_CONFINE_NODE)) && (trees[i] = clone_tree(m)) < 0)
            return "open-tree";
    }
    return NULL;
}

static void close_trees(const int trees[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (trees[i] >= 0)
            close(trees[i]);
}

/* Builds C's mounts on a tmpfs at the stage, then pivots into it. */
static const char *populate_and_pivot(const struct mv_confine *c, const int trees[], const char **what)
{
    const char *step;

    *what = c->stage;
    if (mount("tmpfs", c->stage, "tmpfs", MS_NOSUID | MS_NODEV, STAGE_OPTS) < 0)
        return "mount-stage";
    for (size_t i = 0; i < c->nmounts; i++) {
        *what = c->mounts[i].target;
        if ((step = one_mount(c->stage, &c->mounts[i], trees[i])))
            return step;
    }
    *what = c->stage;
    if (chdir(c->stage) < 0)
        return "chdir";
    /* the old root stacked under the new one, then detached */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return "pivot_root";
    if (umount2(".", MNT_DETACH) < 0)
        return "umount-old-root";
    return chdir("/") < 0 ? "chdir" : NULL;
}

/* A private mount namespace whose root is the staged tmpfs with C's mounts. */
static const char *new_root(const struct mv_confine *c, const char **what)
{
    int trees[MV_CONFINE_MOUNTS_MAX];
    const char *step;

    if (c->nmounts > MV_CONFINE_MOUNTS_MAX)
        return errno = E2BIG, "mounts";
    step = clone_trees(c, trees, what);
    if (!step) {
        *what = c->stage;
        if (unshare(CLONE_NEWNS) < 0)
            step = "unshare";
        /* nothing we mount propagates back to the host, the host's
         * unmounts still reach us */
        else if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
            step = "make-slave";
        else
            step = populate_and_pivot(c, trees, what);
    }
    if (step) {
        int e = errno;

        close_trees(trees, c->nmounts);
        errno = e;
        return step;
    }
    close_trees(trees, c->nmounts);
    return NULL;
}

static const char *limits(const struct mv_confine *c, const char **what)
{
    struct rlimit rl;

    if (c->nofile >= 0) {
        *what = "RLIMIT_NOFILE";
        rl.rlim_cur = rl.rlim_max = (rlim_t)c->nofile;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return "setrlimit";
    }
    if (c->memlock >= 0) {
        *what = "RLIMIT_MEMLOCK";
        rl.rlim_cur = rl.rlim_max = (rlim_t)c->memlock;
        if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
            return "setrlimit";
    }
    return NULL;
}

/* The bounding set emptied (no execve can regain a capability), then the
 * ids; the uid change clears the permitted and effective sets, ambient and
 * inheritable are cleared explicitly. */
static const char *identity(const struct mv_confine *c, const char **what)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2] = { { 0 } };

    *what = "capabilities";
    /* up to the kernel's CAP_LAST_CAP: it answers EINVAL past it */
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return "drop-bounding-set";
        }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return "clear-ambient";
    *what = "groups";
    if (setgroups(c->ngroups, c->groups) < 0)
        return "setgroups";
    *what = "gid";
    if (setresgid(c->gid, c->gid, c->gid) < 0)
        return "setgid";
    *what = "uid";
    if (setresuid(c->uid, c->uid, c->uid) < 0)
        return "setuid";
    *what = "capabilities";
    if (syscall(SYS_capset, &hdr, data) < 0)
        return "capset";
    return NULL;
}

const char *mv_confine_apply(const struct mv_confine *c, const char **what)
{
    const char *dummy, *step;

    if (!what)
        what = &dummy;
    *what = "";
    /* first: whatever the rest starts or allocates is then accounted and
     * limited; a guest that cannot join its group does not run */
    if (c->cgroup_procs_fd >= 0 && write(c->cgroup_procs_fd, "0\n", 2) != 2)
        return "cgroup";
    if (c->new_root && (step = new_root(c, what)))
        return step;
    if ((step = limits(c, what)))
        return step;
    if (c->uid != (uid_t)-1 && (step = identity(c, what)))
        return step;
    *what = "no_new_privs";
    if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return "prctl";
    *what = "";
    return NULL;
}
