/*
 * Logging with levels, per-module filters and one output.
 *
 * Each .c file sets MV_LOG_MODULE (e.g. "rpc.server") before including this.
 * Library code (common/, rpc/, client/) logs at debug only; daemons log each
 * failure once, where it is handled.
 */
#pragma once

#include <stdarg.h>

enum mv_log_level {
    MV_LOG_DEBUG = 1,
    MV_LOG_INFO = 2,
    MV_LOG_WARN = 3,
    MV_LOG_ERROR = 4,
};

#ifndef MV_LOG_MODULE
#define MV_LOG_MODULE "modvirt"
#endif

/* Sets the program name printed in each line. */
void mv_log_init(const char *progname);
/* Default level for modules no filter matches. */
void mv_log_set_level(enum mv_log_level level);
/* Filters "LEVEL:PREFIX ..." e.g. "1:rpc 3:*"; returns -EINVAL on a bad spec. */
int mv_log_set_filters(const char *spec);
/* Output "stderr" or "file:PATH"; returns -errno if the file cannot be opened. */
int mv_log_set_output(const char *spec);
/* True if a message of LEVEL from MODULE would be written. */
int mv_log_enabled(enum mv_log_level level, const char *module);

void mv_log_write(enum mv_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define mv_debug(...) mv_log_write(MV_LOG_DEBUG, MV_LOG_MODULE, __VA_ARGS__)
#define mv_info(...) mv_log_write(MV_LOG_INFO, MV_LOG_MODULE, __VA_ARGS__)
#define mv_warn(...) mv_log_write(MV_LOG_WARN, MV_LOG_MODULE, __VA_ARGS__)
#define mv_error(...) mv_log_write(MV_LOG_ERROR, MV_LOG_MODULE, __VA_ARGS__)

/* Logs at LEVEL and evaluates to -abs(err), for "return mv_log_errno(...)". */
#define mv_log_errno(level, err, ...) \
    ({ int _e = (err) < 0 ? -(err) : (err); \
       mv_log_write((level), MV_LOG_MODULE, __VA_ARGS__); -_e; })
