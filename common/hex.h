/* Hexadecimal digits. */
#pragma once

/* Value of hex digit C (either case), or -1 if C is not one. */
static inline int mv_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
