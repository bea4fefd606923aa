#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "errmsg.h"
#include "utf8.h"

int mv_errmsg_set(char **errmsg, int err, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!errmsg)
        return err;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    *errmsg = msg;
    return err;
}

/* User values end up in logs and on client terminals: never pass control
 * characters or broken UTF-8 through, so a name cannot forge log lines.
 * Valid non-ASCII text stays readable. */
char *mv_errmsg_quote(const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    /* worst case 4 output bytes per input byte, plus "..." and NUL */
    _cleanup_free_ char *out = malloc(n * 4 + 4);
    char *o = out;
    size_t i = 0;

    if (!out)
        return NULL;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        int seq;

        if (c == '\'' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
            i++;
        } else if (c >= 0x80 && (seq = mv_utf8_decode(s + i, n - i, &cp)) > 0 && cp >= 0xa0) {
            for (int k = 0; k < seq; k++)
                *o++ = s[i++];
        } else {
            o += sprintf(o, "\\x%02x", c);
            i++;
        }
    }
    if (len > max) {
        *o++ = '.';
        *o++ = '.';
        *o++ = '.';
    }
    *o = '\0';
    return TAKE_PTR(out);
}
