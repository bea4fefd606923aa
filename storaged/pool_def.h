/*
 * A storage pool's definition: the parsed form of libvirt's pool XML
 * (storagepool.rng) for the types storaged runs.  pool_parse.c fills it
 * (refusing anything else by name), pool_format.c writes it back with the
 * live capacity/allocation/available.
 *
 * Ownership: a struct mv_pool_def owns every string and array below; free
 * it with mv_pool_def_free().  Published definitions are immutable.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "uuid.h"

enum mv_pool_type { MV_POOL_DIR, MV_POOL_FS, MV_POOL_LOGICAL, MV_POOL_NETFS, MV_POOL_TYPE_LAST };
const char *mv_pool_type_to_string(int value);
int mv_pool_type_from_string(const char *s);        /* -1 if not supported */

/* <permissions><mode/><owner/><group/></permissions>; unset fields -1 */
struct mv_perms {
    int mode;                       /* -1 = not given */
    long long owner, group;         /* -1 = not given */
};

struct mv_pool_def {
    enum mv_pool_type type;
    char *name;
    unsigned char uuid[MV_UUID_LEN];

    /* <source> */
    char **devices;                 /* <device path=>: fs (one), logical (PVs) */
    size_t ndevices;
    char *src_dir;                  /* <dir path=>: netfs export */
    char *src_host;                 /* <host name=>: netfs server */
    unsigned int src_port;          /* <host port=>, 0 = not given */
    char *src_name;                 /* <name>: logical VG name (parse defaults it to the pool's name) */
    char *format;                   /* <format type=>: fs type (ext4, auto...), netfs (auto, nfs), lvm2;
                                     * parse fills in the default ("auto", "lvm2"); NULL for dir */

    /* <target> */
    char *target_path;              /* required for dir/fs/netfs; /dev/VG for logical (parse fills it in);
                                     * absolute, clean, no trailing '/' */
    struct mv_perms perms;
};

void mv_pool_def_free(struct mv_pool_def *def);
static inline void mv_pool_def_freep(struct mv_pool_def **def) { mv_pool_def_free(*def); }
#define _cleanup_pool_def_ _cleanup_(mv_pool_def_freep)
struct mv_pool_def *mv_pool_def_copy(const struct mv_pool_def *def);

/* Strict parse: every element and attribute kept or refused by name
 * ("unsupported configuration: unknown element <auth> in storage pool
 * 'p1'"); fills in a UUID.  Paths must be absolute and clean.  0 or
 * -EINVAL/-ENOMEM with *ERRMSG. */
int mv_pool_def_parse(const char *xml, struct mv_pool_def **out, char **errmsg);

/* Live sizes for formatting; NULL = inactive (zeros). */
struct mv_pool_sizes {
    uint64_t capacity, allocation, available;
};
/* The XML of DEF (sizes in bytes, unit='bytes' as libvirt prints).  NULL on
 * out of memory. */
char *mv_pool_def_format(const struct mv_pool_def *def, const struct mv_pool_sizes *sizes);
