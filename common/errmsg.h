/*
 * Human error messages handed back through "char **errmsg" out parameters.
 *
 * Library code never logs failures above debug; when a caller needs to tell a
 * person what was wrong (a config line, an object name) the function builds
 * the message here and returns it, and the caller logs or sends it once.
 */
#pragma once

#include <stddef.h>

/* Longest prefix of a user-supplied value quoted in a message. */
#define MV_ERRMSG_QUOTE_MAX 64

/* Sets *ERRMSG (if ERRMSG is not NULL) to a malloc'd formatted message and
 * returns ERR, for "return mv_errmsg_set(errmsg, -EINVAL, ...)".  Leaves
 * *ERRMSG NULL if memory runs out; ERR is returned either way. */
int mv_errmsg_set(char **errmsg, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns a malloc'd printable copy of the LEN bytes at S for quoting in a
 * message: control characters and invalid UTF-8 become \xNN, '\'' and '\\'
 * are backslash-escaped, valid non-ASCII UTF-8 is kept, and input beyond MAX
 * bytes is cut and marked "...".  NULL if out of memory. */
char *mv_errmsg_quote(const char *s, size_t len, size_t max);
