/* Strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at the start of the LEN bytes at S into *CP; returns
 * its length (1-4), or -EILSEQ if it is malformed or truncated (LEN 0 too). */
int mv_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* True if the LEN bytes at S are entirely valid UTF-8. */
bool mv_utf8_valid(const char *s, size_t len);
