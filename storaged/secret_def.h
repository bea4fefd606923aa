/*
 * A secret's definition: libvirt's secret XML (secret.rng).  The value is
 * never part of it (secret_store.c keeps values 0600 apart).
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "uuid.h"

/* virSecretUsageType values */
enum mv_secret_usage {
    MV_SECRET_USAGE_NONE = 0, MV_SECRET_USAGE_VOLUME = 1, MV_SECRET_USAGE_CEPH = 2,
    MV_SECRET_USAGE_ISCSI = 3, MV_SECRET_USAGE_TLS = 4, MV_SECRET_USAGE_VTPM = 5,
    MV_SECRET_USAGE_LAST
};
/* "none", "volume", "ceph", "iscsi", "tls", "vtpm" (the XML's usage type=);
 * from_string: -1 if unknown. */
const char *mv_secret_usage_to_string(int value);
int mv_secret_usage_from_string(const char *s);

struct mv_secret_def {
    unsigned char uuid[MV_UUID_LEN];
    bool ephemeral, private_;       /* ephemeral='yes', private='yes' */
    char *description;
    enum mv_secret_usage usage;
    char *usage_id;                 /* <volume>, <name> or <target> text; NULL for NONE */
};

void mv_secret_def_free(struct mv_secret_def *def);
static inline void mv_secret_def_freep(struct mv_secret_def **def) { mv_secret_def_free(*def); }
#define _cleanup_secret_def_ _cleanup_(mv_secret_def_freep)
/* A deep copy (a store keeps its own while a caller edits); NULL on ENOMEM. */
struct mv_secret_def *mv_secret_def_copy(const struct mv_secret_def *def);

int mv_secret_def_parse(const char *xml, struct mv_secret_def **out, char **errmsg);
char *mv_secret_def_format(const struct mv_secret_def *def);
