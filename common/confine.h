/*
 * Confinement of a child process between fork() and execve(): a private
 * mount namespace whose root holds only what the caller lists (bind mounts
 * of fds the parent opened and checked, a minimal /dev), then an
 * unprivileged identity, no capabilities (bounding set emptied),
 * no_new_privs and resource limits.  Everything the child needs is prepared
 * in the parent (struct mv_confine owns its strings); the child makes only
 * system calls (async-signal-safe), so it is safe after fork() in a
 * threaded daemon.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
    MV_CONFINE_RO = 1 << 0,       /* bound read-only */
    MV_CONFINE_DIR = 1 << 1,      /* a directory (else a file, socket or node) */
    MV_CONFINE_RECURSIVE = 1 << 2,/* MS_REC: submounts too (/proc, /sys, /dev/pts) */
    MV_CONFINE_SYMLINK = 1 << 3,  /* not a mount: TARGET is a symlink to SRC's text */
    MV_CONFINE_TMPFS = 1 << 4,    /* not a bind: an empty tmpfs (mode 0755, or 01777 for /dev/shm) */
    MV_CONFINE_NODE = 1 << 5,     /* not a bind: a new device node like SRC (its type and numbers), mode 0666 */
};

/* The most mounts one confinement holds (the child keeps an fd per mount on
 * its stack while it builds the root). */
#define MV_CONFINE_MOUNTS_MAX 256

struct mv_confine_mount {
    char *target;                 /* absolute path inside the new root */
    char *src;                    /* host path bound there (or a symlink's text); NULL when src_fd >= 0 */
    int src_fd;                   /* an fd of the parent (O_PATH is enough): bound via /proc/self/fd/N */
    unsigned flags;
    dev_t rdev;                   /* MV_CONFINE_NODE: SRC's type and numbers, read when added */
    mode_t type;
};

struct mv_confine {
    bool new_root;                /* private mount namespace + pivot_root into MOUNTS */
    char *stage;                  /* an existing empty host directory the new root is built on */
    struct mv_confine_mount *mounts;  /* in order: parents before what is below them */
    size_t nmounts, mounts_alloc;
    uid_t uid;                    /* (uid_t)-1: keep; otherwise setgroups+setgid+setuid */
    gid_t gid;
    gid_t groups[8];              /* supplementary groups (kvm) */
    size_t ngroups;
    bool no_new_privs;
    long long nofile;             /* RLIMIT_NOFILE, -1: unchanged */
    long long memlock;            /* RLIMIT_MEMLOCK in bytes, -1: unchanged */
    int cgroup_procs_fd;          /* -1: none; else a cgroup.procs the parent opened O_WRONLY|O_CLOEXEC
                                   * (owned by the caller): the child joins that group first of all */
};

/* A confinement that changes nothing yet (uid -1, limits -1, no cgroup); STAGE copied
 * (NULL: no new root). */
int mv_confine_init(struct mv_confine *c, const char *stage);
void mv_confine_clear(struct mv_confine *c);

/* Appends a mount; strings are copied, SRC_FD is borrowed (the caller keeps
 * it open until the spawn returns).  0 or -ENOMEM. */
int mv_confine_add(struct mv_confine *c, const char *target, const char *src, int src_fd, unsigned flags);

/* The base every confined QEMU-like program needs: /usr (ro), the
 * /bin /sbin /lib* entries as on the host (symlinks or ro binds), the few
 * /etc files the dynamic loader and libc read (ld.so.cache, localtime),
 * /proc, /sys (ro), and a /dev tmpfs holding only null, zero, full,
 * random, urandom, ptmx + pts (the host's, so pty names are the host's)
 * and an empty /dev/shm.  Further /dev nodes are added by the caller
 * (mv_confine_add with target "/dev/kvm" and the node as src). */
int mv_confine_add_base(struct mv_confine *c);

/* Applied in the child by mv_process_spawn (process.h: opts.confine).  On
 * failure returns the step that failed (a static string: "open-tree",
 * "move-mount", "pivot_root", "setuid", "cgroup"...) and leaves errno set; NULL on
 * success.  The failing mount's target is in *WHAT when WHAT is not NULL.
 * Binds are detached copies (open_tree, made before unshare: an fd of the
 * parent names a mount of the parent's namespace, which a plain bind
 * refuses once the child has its own) attached with move_mount, read-only
 * with mount_setattr (the whole tree when RECURSIVE): Linux 5.12.  The
 * TMPFS entry "/dev/shm" is mode 01777, others 0755. */
const char *mv_confine_apply(const struct mv_confine *c, const char **what);
