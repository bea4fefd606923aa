/* Whole-file reads and crash-safe whole-file writes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest first line mv_file_read_line() accepts. */
#define MV_FILE_LINE_MAX (64 * 1024)

/* Replaces PATH with LEN bytes of DATA so that a crash leaves either the old
 * or the new content: writes a unique temp file in the same directory, fsyncs
 * it, renames it over PATH and fsyncs the directory.  The new file gets
 * exactly MODE (umask is not applied).  On failure the temp file is removed
 * and PATH is untouched, except when only the final directory fsync fails:
 * then the new content is in place but may not survive a crash. */
int mv_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads LEN bytes of FD at offset OFF into BUF, going on after short reads
 * and EINTR: the number read (fewer only at the end of the file) or -errno. */
ssize_t mv_pread_full(int fd, void *buf, size_t len, off_t off);

/* Reads all of PATH into a malloc'd NUL-terminated *OUT (length in *LEN if
 * LEN is not NULL); -EFBIG if it holds more than MAX bytes.  Works for proc
 * and sysfs files whose reported size is wrong. */
int mv_file_read_all(const char *path, size_t max, char **out, size_t *len);

/* Reads the first line of PATH without its newline into a malloc'd *OUT ("" for
 * an empty file); -EFBIG if the line is longer than MV_FILE_LINE_MAX. */
int mv_file_read_line(const char *path, char **out);

/* Removes PATH (0 if it is not there) and fsyncs its directory, so that
 * the removal survives a crash before anything done after it. */
int mv_file_unlink_durable(const char *path);

/* Whether PATH fits a Unix socket address (sun_path: 108 bytes with its
 * NUL on Linux).  A longer one fails only at bind() or connect(), in the
 * process that gets it, which cannot say what the socket was for. */
bool mv_unix_path_fits(const char *path);
