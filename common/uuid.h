/* Binary UUIDs (RFC 4122) and their "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" form. */
#pragma once

#include <stdbool.h>

#define MV_UUID_LEN 16
#define MV_UUID_STRING_LEN 37   /* 36 characters and the NUL */

/* Fills UUID with a random version 4 UUID from getrandom(); 0 or -errno. */
int mv_uuid_generate(unsigned char uuid[MV_UUID_LEN]);

/* Writes UUID to OUT in lowercase dashed form, NUL-terminated. */
void mv_uuid_format(const unsigned char uuid[MV_UUID_LEN], char out[MV_UUID_STRING_LEN]);

/* Parses 32 hex digits (either case), either plain or with all four dashes at
 * the usual places, with optional surrounding whitespace; -EINVAL otherwise
 * (OUT untouched). */
int mv_uuid_parse(const char *s, unsigned char out[MV_UUID_LEN]);

/* True if every byte is zero (the nil UUID). */
bool mv_uuid_is_null(const unsigned char uuid[MV_UUID_LEN]);
