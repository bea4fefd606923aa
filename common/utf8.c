#include "config.h"

#include <errno.h>

#include "utf8.h"

int mv_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c, min;
    int n;

    if (len == 0)
        return -EILSEQ;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xe0) == 0xc0) {
        n = 2; c = u[0] & 0x1f; min = 0x80;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3; c = u[0] & 0x0f; min = 0x800;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4; c = u[0] & 0x07; min = 0x10000;
    } else {
        return -EILSEQ;         /* continuation byte or 0xf8..0xff */
    }
    if (len < (size_t)n)
        return -EILSEQ;
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return -EILSEQ;
        c = (c << 6) | (u[i] & 0x3f);
    }
    /* overlong forms would let "/" or NUL hide behind another encoding */
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -EILSEQ;
    *cp = c;
    return n;
}

bool mv_utf8_valid(const char *s, size_t len)
{
    uint32_t cp;

    while (len > 0) {
        int n = mv_utf8_decode(s, len, &cp);

        if (n < 0)
            return false;
        s += n;
        len -= (size_t)n;
    }
    return true;
}
