/* Pool definitions built in C for the backend tests (no XML involved: the
 * backends take a parsed definition); mv_pool_def_free() frees them. */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "pool_def.h"

static inline struct mv_pool_def *test_pool_def(enum mv_pool_type type, const char *name, const char *target)
{
    struct mv_pool_def *def = calloc(1, sizeof(*def));
    if (!def)
        abort();
    def->type = type;
    def->name = strdup(name);
    def->target_path = target ? strdup(target) : NULL;
    def->perms.mode = -1;
    def->perms.owner = def->perms.group = -1;
    return def;
}

/* Adds a <source><device path=> */
static inline void test_pool_def_add_device(struct mv_pool_def *def, const char *path)
{
    def->devices = realloc(def->devices, (def->ndevices + 1) * sizeof(*def->devices));
    if (!def->devices)
        abort();
    def->devices[def->ndevices++] = strdup(path);
}

