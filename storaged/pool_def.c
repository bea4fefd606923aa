/* Pool definitions: the type table, freeing and copying. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool_def.h"
#include "storxml_priv.h"

static const char *const pool_type_names[MV_POOL_TYPE_LAST] = {
    [MV_POOL_DIR] = "dir", [MV_POOL_FS] = "fs", [MV_POOL_LOGICAL] = "logical", [MV_POOL_NETFS] = "netfs",
};

const char *mv_pool_type_to_string(int value)
{
    return value >= 0 && value < MV_POOL_TYPE_LAST ? pool_type_names[value] : NULL;
}

int mv_pool_type_from_string(const char *s)
{
    for (int i = 0; s && i < MV_POOL_TYPE_LAST; i++)
        if (strcmp(pool_type_names[i], s) == 0)
            return i;
    return -1;
}

void mv_pool_def_free(struct mv_pool_def *def)
{
    if (!def)
        return;
    free(def->name);
    for (size_t i = 0; i < def->ndevices; i++)
        free(def->devices[i]);
    free(def->devices);
    free(def->src_dir);
    free(def->src_host);
    free(def->src_name);
    free(def->format);
    free(def->target_path);
    free(def);
}

static bool copy_devices(const struct mv_pool_def *def, struct mv_pool_def *copy)
{
    if (def->ndevices == 0)
        return true;
    copy->devices = calloc(def->ndevices, sizeof(*copy->devices));
    if (!copy->devices)
        return false;
    for (size_t i = 0; i < def->ndevices; i++) {
        copy->ndevices = i + 1;     /* counted at once so free() sees it */
        if (!mv_dup_opt(def->devices[i], &copy->devices[i]))
            return false;
    }
    return true;
}

struct mv_pool_def *mv_pool_def_copy(const struct mv_pool_def *def)
{
    _cleanup_pool_def_ struct mv_pool_def *copy = calloc(1, sizeof(*copy));

    if (!copy)
        return NULL;
    *copy = (struct mv_pool_def){ .type = def->type, .src_port = def->src_port, .perms = def->perms };
    memcpy(copy->uuid, def->uuid, sizeof(copy->uuid));
    if (!mv_dup_opt(def->name, &copy->name) || !copy_devices(def, copy) || !mv_dup_opt(def->src_dir, &copy->src_dir) ||
        !mv_dup_opt(def->src_host, &copy->src_host) || !mv_dup_opt(def->src_name, &copy->src_name) ||
        !mv_dup_opt(def->format, &copy->format) || !mv_dup_opt(def->target_path, &copy->target_path))
        return NULL;
    return TAKE_PTR(copy);
}
