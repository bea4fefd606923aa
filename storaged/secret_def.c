/* Secret definitions: the usage type table, freeing and copying. */
#include <stdlib.h>
#include <string.h>

#include "secret_def.h"
#include "storxml_priv.h"

/* libvirt's names for virSecretUsageType, indexed by value */
static const char *const usage_names[MV_SECRET_USAGE_LAST] = {
    [MV_SECRET_USAGE_NONE] = "none", [MV_SECRET_USAGE_VOLUME] = "volume", [MV_SECRET_USAGE_CEPH] = "ceph",
    [MV_SECRET_USAGE_ISCSI] = "iscsi", [MV_SECRET_USAGE_TLS] = "tls", [MV_SECRET_USAGE_VTPM] = "vtpm",
};

const char *mv_secret_usage_to_string(int value)
{
    return value >= 0 && value < MV_SECRET_USAGE_LAST ? usage_names[value] : NULL;
}

int mv_secret_usage_from_string(const char *s)
{
    for (int i = 0; s && i < MV_SECRET_USAGE_LAST; i++)
        if (strcmp(usage_names[i], s) == 0)
            return i;
    return -1;
}

void mv_secret_def_free(struct mv_secret_def *def)
{
    if (!def)
        return;
    free(def->description);
    free(def->usage_id);
    free(def);
}

struct mv_secret_def *mv_secret_def_copy(const struct mv_secret_def *def)
{
    _cleanup_secret_def_ struct mv_secret_def *copy = malloc(sizeof(*copy));

    if (!copy)
        return NULL;
    *copy = *def;                   /* scalars; the strings are replaced below */
    copy->description = copy->usage_id = NULL;
    if (!mv_dup_opt(def->description, &copy->description) || !mv_dup_opt(def->usage_id, &copy->usage_id))
        return NULL;
    return TAKE_PTR(copy);
}
