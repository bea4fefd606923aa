/* Small helpers the storage XML files share (not part of any contract). */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Copies an optional string: NULL stays NULL (not set) rather than meaning
 * failure; false only when memory runs out. */
static inline bool mv_dup_opt(const char *src, char **dst)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}
