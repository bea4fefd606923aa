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

#include "pool_def.h"
#include "xml_format.h"
#include "xml_strict.h"

/* <permissions> (storagecommon.rng) into PERMS, which starts all -1: mode
 * octal, owner/group decimal or -1.  <label> is refused by name (no SELinux
 * here).  storxml_perms.c. */
int mv_stor_parse_perms(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_perms *perms);
/* <permissions> as libvirt writes it; nothing when every field is unset. */
void mv_stor_format_perms(struct mv_xml_out *o, const struct mv_perms *perms);
/* A path element or attribute value that must be absolute and clean (no
 * "//", "." or ".." components, no control characters); a trailing '/' is
 * dropped, "/" itself is refused (nothing may take over the whole tree).
 * Edits *S in place. */
int mv_stor_check_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, char **s);
