/*
 * Reading /proc and /sys under a root, for every daemon that describes the
 * host (qemud's node info, nodedevd's devices, netd's links).
 *
 * Every reader takes a root: NULL or "" means the real "/", tests pass a
 * fixture directory so that "/proc/meminfo" becomes "<root>/proc/meminfo".
 * kernfs files are read whole (they are generated on read); nothing here
 * keeps state, so all of it is safe from any thread.
 */
#pragma once

#include <stddef.h>

/* Largest /proc or /sys file read (a 1024-CPU /proc/cpuinfo is ~1.5 MiB). */
#define MV_SYSFS_FILE_MAX (8u << 20)
/* Highest id (exclusive) accepted in a kernel id list: CPUs, NUMA nodes. */
#define MV_SYSFS_ID_MAX 8192

/* Joins ROOT and an absolute PATH into a new string; NULL on ENOMEM. */
char *mv_sysfs_path(const char *root, const char *path);

/* Reads a whole file (at most MV_SYSFS_FILE_MAX bytes) into a new NUL-terminated string; 0 / -errno (-EFBIG if longer). */
int mv_sysfs_read(const char *root, const char *path, char **text);

/* Like mv_sysfs_read, with the path built by printf from FMT. */
int mv_sysfs_readf(const char *root, char **text, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the first line of a file (an attribute), trailing whitespace removed; 0 / -errno. */
int mv_sysfs_read_linef(const char *root, char **line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a file holding one unsigned decimal number; 0 / -errno (-EINVAL if it is not one). */
int mv_sysfs_read_ullf(const char *root, unsigned long long *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes VALUE to the sysfs attribute PATH, which must exist and not be a
 * link (the kernel acts on the write: driver_override, unbind, an mdev
 * type's create...); a short write is -EIO.  0 or -errno. */
int mv_sysfs_write(const char *path, const char *value);

/* The last component of the target of the symlink PATH (a device's
 * "driver", "iommu_group", "mdev_type") into OUT; 0 or -errno
 * (-ENAMETOOLONG if it does not fit SIZE, -EINVAL if it is empty). */
int mv_sysfs_link_name(const char *path, char *out, size_t size);

/* True if the path (built by printf) exists under ROOT. */
int mv_sysfs_existsf(const char *root, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parses a kernel id list ("0-3,8,10-11", "" or "\n" = empty) into a new
 * ascending array of distinct ids below MV_SYSFS_ID_MAX; 0 / -EINVAL on bad
 * syntax / -ERANGE for an id too large / -ENOMEM.  *ids is NULL when empty;
 * the out parameters are untouched on failure.
 */
int mv_sysfs_parse_idlist(const char *list, int **ids, int *n);

/*
 * Finds "KEY:" at the start of a line of TEXT (after an optional PREFIX such
 * as "Node 0 ") and parses the unsigned number after it, the layout of
 * /proc/meminfo and nodeN/meminfo; 0 / -ENOENT / -EINVAL.
 */
int mv_sysfs_find_ull(const char *text, const char *prefix, const char *key,
                      unsigned long long *value);
