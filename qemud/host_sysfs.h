/*
 * Reading the host's /proc and /sys under a sysroot.
 *
 * Every reader takes a sysroot: NULL or "" means the real "/", tests pass a
 * fixture directory so that "/proc/meminfo" becomes "<sysroot>/proc/meminfo".
 */
#pragma once

#include <stddef.h>

/* Largest /proc or /sys file we read (a 1024-CPU /proc/cpuinfo is ~1.5 MiB). */
#define MV_HOST_FILE_MAX (8u << 20)
/* Highest CPU or NUMA node id (exclusive) accepted from a kernel list. */
#define MV_HOST_MAX_CPUS 8192

/* Joins sysroot and an absolute PATH into a new string; NULL on ENOMEM. */
char *mv_host_path(const char *sysroot, const char *path);

/* Reads a whole file (at most MV_HOST_FILE_MAX bytes) into a new NUL-terminated string; 0 / -errno (-EFBIG if longer). */
int mv_host_read_file(const char *sysroot, const char *path, char **text);

/* Like mv_host_read_file, with the path built by printf from FMT. */
int mv_host_read_filef(const char *sysroot, char **text, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the first line of a file, trailing whitespace removed; 0 / -errno. */
int mv_host_read_linef(const char *sysroot, char **line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a file holding one unsigned decimal number; 0 / -errno (-EINVAL if it is not one). */
int mv_host_read_ullf(const char *sysroot, unsigned long long *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True if the path (built by printf) exists under sysroot. */
int mv_host_existsf(const char *sysroot, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parses a kernel id list ("0-3,8,10-11", "" or "\n" = empty) into a new
 * ascending array of distinct ids below MV_HOST_MAX_CPUS; 0 / -EINVAL on bad
 * syntax / -ERANGE for an id too large / -ENOMEM.  *ids is NULL when empty.
 */
int mv_host_parse_idlist(const char *list, int **ids, int *n);

/*
 * Finds "KEY:" at the start of a line of TEXT (after an optional PREFIX such
 * as "Node 0 ") and parses the unsigned number after it; 0 / -ENOENT / -EINVAL.
 */
int mv_host_find_ull(const char *text, const char *prefix, const char *key,
                     unsigned long long *value);

/* Finds "KEY<tabs/spaces>: VALUE" (the /proc/cpuinfo layout) and copies VALUE (first occurrence); 0 / -ENOENT / -ENOMEM. */
int mv_host_cpuinfo_value(const char *cpuinfo, const char *key, char **value);
