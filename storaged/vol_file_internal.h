/* What the vol_file*.c parts share; not for other callers (see vol_file.h). */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "vol_file.h"

/* qemu-img's own limit is INT64_MAX; off_t is signed too. */
#define MV_VOLFILE_CAPACITY_MAX ((uint64_t)INT64_MAX)
/* The marker in temp names: ".NAME" MV_VOLFILE_TEMP_MARK "XXXXXX" */
#define MV_VOLFILE_TEMP_MARK ".mvtmp."

extern _Atomic uint64_t mv_volfile_n_header_reads, mv_volfile_n_qemu_img_runs, mv_volfile_n_cache_hits;

/* The configured qemu-img. */
const char *mv_volfile_qemu_img(void);

/* Runs qemu-img ARGV (argv[0] is filled in here) with a timeout; the
 * message names PATH and ends with qemu-img's own reason.  ON_STDOUT/OPAQUE
 * and KEEP_FD (-1: none) as in struct mv_process_run_opts; *OUT (may be
 * NULL) receives stdout. */
int mv_volfile_qemu_img_run(const char **argv, const char *path, const char *what, int timeout_ms,
                            void (*on_stdout)(const char *, size_t, void *), void *opaque, int keep_fd,
                            char **out, char **errmsg);

/* "o=v" with the commas in V doubled, as qemu's option syntax wants;
 * malloc'd. */
char *mv_volfile_opt(const char *o, const char *v);

/* A memfd holding KEY and the "secret,id=ID,file=/proc/self/fd/N" object
 * string for it (malloc'd): the key reaches qemu-img without touching its
 * command line or the disk. */
int mv_volfile_secret_memfd(const unsigned char *key, size_t len, const char *id, int *fd, char **object);

/* Checks a capacity: > 0 and within MV_VOLFILE_CAPACITY_MAX. */
int mv_volfile_check_capacity(const char *path, uint64_t capacity, char **errmsg);

/* Forgets the cached inspection of PATH's file (after we changed it ourselves
 * within one mtime tick). */
void mv_volfile_cache_forget(dev_t dev, ino_t ino);

/* Reads PATH's header and, if needed, qemu-img info: the uncached inspect. */
int mv_volfile_probe(const char *path, int fd, const struct stat *st, struct mv_volfile_info *info,
                     char **errmsg);

/* Writes SPEC's image into the temp file TMP (open as FD): create's body,
 * shared with wipe's re-create of a qcow2. */
int mv_volfile_create_into(const char *path, int fd, const char *tmp, const struct mv_volfile_spec *spec,
                           int timeout_ms, char **errmsg);
