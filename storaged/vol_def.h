/*
 * A storage volume's definition: libvirt's volume XML (storagevol.rng) as
 * vol-create takes it and vol-dumpxml prints it.  vol_parse.c, vol_format.c.
 *
 * Ownership: a struct mv_vol_def owns its strings; mv_vol_def_free().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "pool_def.h"
#include "uuid.h"

enum mv_vol_type { MV_VOL_FILE = 0, MV_VOL_BLOCK = 1 };   /* virStorageVolType values */

struct mv_vol_def {
    char *name;                     /* a file name: no '/', not . or .., <= 255 bytes, no NUL */
    enum mv_vol_type type;
    uint64_t capacity;              /* bytes (units converted) */
    uint64_t allocation;            /* bytes; == capacity asks for preallocation */
    bool has_allocation;
    /* <target> */
    char *format;                   /* "raw", "qcow2"; NULL = the pool's default (raw) */
    struct mv_perms perms;
    char *compat;                   /* qcow2 <compat> */
    uint32_t cluster_size;          /* <clusterSize>, bytes; 0 = default */
    bool lazy_refcounts;            /* <features><lazy_refcounts/></features> */
    bool encrypted;                 /* <encryption format='luks'> */
    unsigned char secret_uuid[MV_UUID_LEN];   /* its <secret type='passphrase' uuid=> */
    /* <backingStore> */
    char *backing_path;
    char *backing_format;
};

void mv_vol_def_free(struct mv_vol_def *def);
static inline void mv_vol_def_freep(struct mv_vol_def **def) { mv_vol_def_free(*def); }
#define _cleanup_vol_def_ _cleanup_(mv_vol_def_freep)
/* A deep copy (the driver keeps the definition a create was asked for);
 * NULL on ENOMEM. */
struct mv_vol_def *mv_vol_def_copy(const struct mv_vol_def *def);

/* Strict parse of a volume for POOL (names it in messages).  Sizes that
 * overflow 64 bits, bad names, unknown elements: refused by name.  0 or
 * -EINVAL/-ENOMEM with *ERRMSG. */
int mv_vol_def_parse(const char *xml, const char *pool, struct mv_vol_def **out, char **errmsg);

/* vol-create-from may leave <capacity> out (the clone takes its source's):
 * with this flag a missing capacity is 0, for the caller to fill in. */
#define MV_VOL_PARSE_NO_CAPACITY (1u << 0)
int mv_vol_def_parse_flags(const char *xml, const char *pool, unsigned int flags, struct mv_vol_def **out,
                           char **errmsg);

/* What vol-dumpxml prints for a volume: its definition filled in with what
 * the file says (key, path, sizes, format, backing store). */
struct mv_vol_live {
    const char *key;
    const char *path;
    uint64_t capacity, allocation, physical;
};
char *mv_vol_def_format(const struct mv_vol_def *def, const struct mv_vol_live *live);
