/* Volume definitions: freeing and copying. */
#include <stdlib.h>
#include <string.h>

#include "storxml_priv.h"
#include "vol_def.h"

void mv_vol_def_free(struct mv_vol_def *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->format);
    free(def->compat);
    free(def->backing_path);
    free(def->backing_format);
    free(def);
}

struct mv_vol_def *mv_vol_def_copy(const struct mv_vol_def *def)
{
    _cleanup_vol_def_ struct mv_vol_def *copy = malloc(sizeof(*copy));

    if (!copy)
        return NULL;
    *copy = *def;                   /* scalars; every string is replaced below */
    copy->name = copy->format = copy->compat = copy->backing_path = copy->backing_format = NULL;
    if (!mv_dup_opt(def->name, &copy->name) || !mv_dup_opt(def->format, &copy->format) ||
        !mv_dup_opt(def->compat, &copy->compat) || !mv_dup_opt(def->backing_path, &copy->backing_path) ||
        !mv_dup_opt(def->backing_format, &copy->backing_format))
        return NULL;
    return TAKE_PTR(copy);
}
