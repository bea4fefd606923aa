#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "hex.h"
#include "uuid.h"

int mv_uuid_generate(unsigned char uuid[MV_UUID_LEN])
{
    unsigned char buf[MV_UUID_LEN];
    size_t got = 0;

    while (got < sizeof(buf)) {
        /* blocks only until the kernel pool is initialised, early at boot */
        ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
    }
    buf[6] = (buf[6] & 0x0f) | 0x40;    /* version 4: random */
    buf[8] = (buf[8] & 0x3f) | 0x80;    /* variant 10: RFC 4122 */
    memcpy(uuid, buf, sizeof(buf));
    return 0;
}

void mv_uuid_format(const unsigned char uuid[MV_UUID_LEN], char out[MV_UUID_STRING_LEN])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;

    for (int i = 0; i < MV_UUID_LEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[uuid[i] >> 4];
        *o++ = hex[uuid[i] & 0x0f];
    }
    *o = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int mv_uuid_parse(const char *s, unsigned char out[MV_UUID_LEN])
{
    unsigned char buf[MV_UUID_LEN];
    bool dashed;

    if (!s)
        return -EINVAL;
    while (is_space(*s))
        s++;
    /* the dashed form has its first dash right after 8 hex digits */
    dashed = strnlen(s, 9) == 9 && s[8] == '-';
    for (int i = 0; i < MV_UUID_LEN; i++) {
        int hi, lo;

        if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
            if (*s != '-')
                return -EINVAL;
            s++;
        }
        hi = mv_hex_digit(s[0]);
        if (hi < 0)
            return -EINVAL;
        lo = mv_hex_digit(s[1]);
        if (lo < 0)
            return -EINVAL;
        buf[i] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    while (is_space(*s))
        s++;
    if (*s)
        return -EINVAL;
    memcpy(out, buf, sizeof(buf));
    return 0;
}

bool mv_uuid_is_null(const unsigned char uuid[MV_UUID_LEN])
{
    for (int i = 0; i < MV_UUID_LEN; i++)
        if (uuid[i])
            return false;
    return true;
}
