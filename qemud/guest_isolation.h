/*
 * What one guest holds of the host's access control while it runs: its
 * own unprivileged identity (guest_identity.c) and the grants that let that
 * identity reach the host files the guest needs (guest_files.c).  Both are
 * recorded in the status file before they take effect, so a daemon killed
 * at any point gives them back at its next start.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct qemud_guest_id {
    bool set;                   /* false: QEMU runs as root (user = "root") */
    uid_t uid;
    gid_t gid;
};

enum qemud_grant_access {
    QEMUD_GRANT_READ,           /* r: read-only disks, kernel, initrd, backing files */
    QEMUD_GRANT_WRITE,          /* rw: writable disks, nvram, serial output files */
    QEMUD_GRANT_DIR,            /* rwx on a directory QEMU creates sockets in */
    QEMUD_GRANT_DIR_READ,       /* r-x on a directory QEMU only reads (a <readonly/> 9p share) */
};

struct qemud_grant {
    char *path;                 /* resolved absolute path (no symlinks) */
    enum qemud_grant_access access;
    bool device;                /* a device node (block disk, /dev/hwrng, VFIO nodes): bound into the private /dev */
    bool acl;                   /* an ACL entry for the guest's uid is added (or was to be) */
    mode_t mode;                /* the permission bits before the grant */
    int mask;                   /* the ACL mask's rwx bits before, -1: the file had no extended ACL */
    int fd;                     /* O_PATH fd while starting (the bind source), else -1 */
    char *written;              /* the path as the XML wrote it (QEMU is given that one) when it differs
                                 * from PATH (a symlink on the way), else NULL: bound at both; not in the
                                 * status file */
};

struct qemud_isolation {
    struct qemud_guest_id id;
    struct qemud_grant *grants;
    size_t ngrants;
};

/* Closes the fds and frees the grants; the identity is kept. */
void qemud_isolation_clear(struct qemud_isolation *iso);
