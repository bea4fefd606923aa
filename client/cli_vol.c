/*
 * Storage volume commands that are one call each: vol-list, vol-info,
 * vol-dumpxml, vol-create, vol-delete, vol-resize, and the lookup every
 * volume command starts with.  Text output and messages follow virsh's
 * (libvirt 9.0) byte for byte; --json gives the same facts as data.
 * vol-clone and vol-wipe (long jobs, with a progress bar) are in
 * cli_vol_job.c, vol-upload and vol-download in cli_vol_transfer.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cli.h"
#include "rpc/error_codes.h"

/* Whether ERR says "no such volume": only then does a lookup try the next way. */
static bool no_such_vol(int r, const modvirt_error *err)
{
    return r == -EIO && err && err->code == MV_ERR_NO_STORAGE_VOL;
}

/* By key, then by path: virsh's ways for a volume named without a pool. */
static int vol_by_key_or_path(modvirt_conn *conn, const char *key, modvirt_storage_vol **vol,
                              modvirt_error **err)
{
    int r = modvirt_storage_vol_lookup_by_key(conn, key, vol, err);

    if (!no_such_vol(r, *err))
        return r;
    modvirt_error_free(*err);
    *err = NULL;
    return modvirt_storage_vol_lookup_by_path(conn, key, vol, err);
}

int cli_vol_get(struct cli *cli, const char *key, const char *pool, modvirt_storage_vol **vol)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *p = NULL;
    modvirt_error *err = NULL, *later = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    if (!pool) {
        r = vol_by_key_or_path(conn, key, vol, &err);
        return r < 0 ? cli_failf(r, err, "failed to get vol '%s'", key) : CLI_EXIT_OK;
    }
    if ((code = cli_pool_get(cli, pool, &p)) != CLI_EXIT_OK)
        return code;
    r = modvirt_storage_vol_lookup_by_name(p, key, vol, &err);
    /* a key or path works with --pool too; the reason shown stays the
     * by-name one, which names the pool */
    if (no_such_vol(r, err) && vol_by_key_or_path(conn, key, vol, &later) == 0)
        r = 0;
    modvirt_error_free(later);
    if (r < 0)
        return cli_failf(r, err, "failed to get vol '%s'", key);
    modvirt_error_free(err);
    return CLI_EXIT_OK;
}

/* Success: virsh's sentence and the blank line after it, or a JSON object
 * naming the volume, its pool and ACTION. */
static int report(struct cli *cli, const char *name, const char *pool, const char *action,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int report(struct cli *cli, const char *name, const char *pool, const char *action,
                  const char *fmt, ...)
{
    json_object *o = cli->json ? json_object_new_object() : NULL;
    va_list ap;
    int r;

    if (o) {
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "pool", json_object_new_string(pool));
    }
    va_start(ap, fmt);
    r = cli_vreport(o, action, "\n\n", fmt, ap);
    va_end(ap);
    return r;
}

/* ---- vol-list ---- */

/* One row of vol-list; NULL path or type -1 where the daemon could not say. */
struct vol_row {
    modvirt_storage_vol *vol;           /* borrowed from the listing */
    char *path;
    modvirt_storage_vol_info info;
};

static int row_fill(struct vol_row *row, bool details)
{
    modvirt_error *err = NULL;
    int r = modvirt_storage_vol_get_path(row->vol, &row->path, &err);

    row->info.type = -1;
    if (r == 0 && details)
        r = modvirt_storage_vol_get_info(row->vol, &row->info, &err);
    /* like virsh, a volume that cannot answer shows as unknown; only a
     * lost connection stops the listing */
    if (r == -ENOTCONN)
        return cli_fail(r, err);
    modvirt_error_free(err);
    return CLI_EXIT_OK;
}

static int compare_rows(const void *a, const void *b)
{
    const struct vol_row *x = a, *y = b;

    return strcasecmp(modvirt_storage_vol_get_name(x->vol), modvirt_storage_vol_get_name(y->vol));
}

static json_object *vol_json(modvirt_storage_vol *vol, const char *path,
                             const modvirt_storage_vol_info *info)
{
    json_object *o = json_object_new_object();
    bool known = info->type >= 0;

    json_object_object_add(o, "name", json_object_new_string(modvirt_storage_vol_get_name(vol)));
    json_object_object_add(o, "pool", json_object_new_string(
        modvirt_storage_vol_get_pool_name(vol)));
    json_object_object_add(o, "key", json_object_new_string(modvirt_storage_vol_get_key(vol)));
    json_object_object_add(o, "path", path ? json_object_new_string(path) : NULL);
    json_object_object_add(o, "type", known ? json_object_new_string(
        modvirt_storage_vol_type_name(info->type)) : NULL);
    json_object_object_add(o, "capacity", known ? json_object_new_uint64(info->capacity) : NULL);
    json_object_object_add(o, "allocation", known ? json_object_new_uint64(info->allocation)
                                                  : NULL);
    return o;
}

static int print_list_table(const struct vol_row *rows, size_t n, bool details)
{
    static const char *const headers[] = { "Name", "Path", "Type", "Capacity", "Allocation" };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(details ? 5 : 2, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        const struct vol_row *v = &rows[i];
        bool known = v->info.type >= 0;
        char cap[32], alloc[32];
        const char *row[] = {
            modvirt_storage_vol_get_name(v->vol), v->path ? v->path : "unknown",
            known ? modvirt_storage_vol_type_name(v->info.type) : "unknown",
            known ? cli_size_string(v->info.capacity, cap, sizeof(cap)) : "unknown",
            known ? cli_size_string(v->info.allocation, alloc, sizeof(alloc)) : "unknown",
        };

        if (cli_table_add(t, row) < 0)
            return cli_fail(-ENOMEM, NULL);
    }
    cli_table_print(t);
    return CLI_EXIT_OK;
}

static int print_list(struct cli *cli, const struct vol_row *rows, size_t n, bool details)
{
    json_object *arr;

    if (!cli->json)
        return print_list_table(rows, n, details);
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, vol_json(rows[i].vol, rows[i].path, &rows[i].info));
    return cli_json_print(arr);
}

static int cmd_vol_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    _cleanup_free_ struct vol_row *rows = NULL;
    modvirt_storage_vol **list = NULL;
    modvirt_error *err = NULL;
    /* --json always carries the details: data is not a screen */
    bool details = set[0] || cli->json;
    size_t n = 0;
    int r = cli_pool_get(cli, args[0], &pool);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_pool_list_all_volumes(pool, &list, &n, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to list the volumes of pool '%s'",
                         modvirt_storage_pool_get_name(pool));
    rows = calloc(n ? n : 1, sizeof(*rows));
    r = rows ? CLI_EXIT_OK : cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n && r == CLI_EXIT_OK; i++) {
        rows[i].vol = list[i];
        r = row_fill(&rows[i], details);
    }
    if (r == CLI_EXIT_OK) {
        qsort(rows, n, sizeof(*rows), compare_rows);
        r = print_list(cli, rows, n, details);
    }
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].path);
    modvirt_storage_vol_list_free(list, n);
    return r;
}

/* ---- vol-info, vol-dumpxml ---- */

static int cmd_vol_info(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_free_ char *path = NULL;
    modvirt_storage_vol_info info;
    modvirt_error *err = NULL;
    char size[32];
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_vol_get_info(vol, &info, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get the info of vol '%s'",
                         modvirt_storage_vol_get_name(vol));
    if (cli->json) {
        r = modvirt_storage_vol_get_path(vol, &path, &err);
        if (r < 0)
            return cli_failf(r, err, "failed to get the path of vol '%s'",
                             modvirt_storage_vol_get_name(vol));
        return cli_json_print(vol_json(vol, path, &info));
    }
    printf("%-15s %s\n", "Name:", modvirt_storage_vol_get_name(vol));
    printf("%-15s %s\n", "Type:", modvirt_storage_vol_type_name(info.type));
    printf("%-15s %s\n", "Capacity:", cli_size_string(info.capacity, size, sizeof(size)));
    printf("%-15s %s\n\n", "Allocation:", cli_size_string(info.allocation, size, sizeof(size)));
    return CLI_EXIT_OK;
}

static int cmd_vol_dumpxml(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_vol_get_xml(vol, &xml, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get the XML of vol '%s'",
                         modvirt_storage_vol_get_name(vol));
    return cli_print_xml(cli, xml);
}

/* ---- vol-create, vol-delete ---- */

static int cmd_vol_create(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_free_ char *xml = cli_read_xml(args[1]);
    modvirt_error *err = NULL;
    int r;

    if (!xml)
        return CLI_EXIT_USAGE;
    if ((r = cli_pool_get(cli, args[0], &pool)) != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_vol_create_xml(pool, xml, 0, &vol, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to create vol in pool '%s' from %s",
                         modvirt_storage_pool_get_name(pool), args[1]);
    return report(cli, modvirt_storage_vol_get_name(vol), modvirt_storage_pool_get_name(pool),
                  "create", "Vol %s created from %s", modvirt_storage_vol_get_name(vol), args[1]);
}

static int cmd_vol_delete(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    modvirt_error *err = NULL;
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_vol_delete(vol, 0, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to delete vol '%s' of pool '%s'",
                         modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol));
    return report(cli, modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol),
                  "delete", "Vol %s deleted", modvirt_storage_vol_get_name(vol));
}

/* ---- vol-resize ---- */

/* The multiplier of a size suffix as virsh reads them: k, KiB (1024), KB
 * (1000), m, MiB, ... e; none or "b" means bytes.  0 for anything else. */
static uint64_t suffix_scale(const char *s)
{
    static const char units[] = "kmgtpe";
    const char *u;
    uint64_t base = 1024, scale = 1;

    if (!*s || strcasecmp(s, "b") == 0 || strcasecmp(s, "byte") == 0 ||
        strcasecmp(s, "bytes") == 0)
        return 1;
    if (!(u = strchr(units, s[0] | 0x20)))
        return 0;
    if (strcasecmp(s + 1, "b") == 0)
        base = 1000;
    else if (s[1] && strcasecmp(s + 1, "ib") != 0)
        return 0;
    for (long i = 0; i <= u - units; i++)
        scale *= base;
    return scale;
}

/* SIZE ("10G", "512MiB", "1048576") in bytes into *OUT; -1 if it is not one. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, scale;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    scale = suffix_scale(end);
    if (errno || !scale || (v && scale > UINT64_MAX / v))
        return -1;
    *out = v * scale;
    return 0;
}

static int cmd_vol_resize(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    const char *size = args[1];
    unsigned int flags = set[1] ? MODVIRT_VOL_RESIZE_SHRINK : 0;
    modvirt_error *err = NULL;
    uint64_t bytes;
    int r;

    /* virsh's signs: "+1G" grows by, "-1G" shrinks by (and needs --shrink) */
    if (*size == '+' || *size == '-') {
        if (*size == '-' && !set[1]) {
            cli_error("negative size '%s' requires --shrink", size);
            return CLI_EXIT_USAGE;
        }
        flags |= MODVIRT_VOL_RESIZE_DELTA;
        size++;
    }
    if (parse_size(size, &bytes) < 0) {
        cli_error("invalid size '%s' (a number of bytes, or with a suffix such as KiB, M, G)",
                  args[1]);
        return CLI_EXIT_USAGE;
    }
    if ((r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol)) != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_vol_resize(vol, bytes, flags, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to change size of volume '%s' %s %s",
                         modvirt_storage_vol_get_name(vol),
                         flags & MODVIRT_VOL_RESIZE_DELTA ? "by" : "to", size);
    return report(cli, modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol),
                  "resize", "Size of volume '%s' successfully changed %s %s",
                  modvirt_storage_vol_get_name(vol),
                  flags & MODVIRT_VOL_RESIZE_DELTA ? "by" : "to", size);
}

static const struct cli_flag pool_flags[] = {
    { "pool", "the pool the volume is in", "POOL" },
    { NULL, NULL, NULL },
};

static const struct cli_flag vol_list_flags[] = {
    { "details", "also the type, capacity and allocation", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag vol_resize_flags[] = {
    { "pool", "the pool the volume is in", "POOL" },
    { "shrink", "allow the volume to become smaller", NULL },
    { NULL, NULL, NULL },
};

#define VOL_HELP "VOL is a volume name (with --pool), a key or a path."

const struct cli_command cli_vol_commands[] = {
    { "vol-list", "POOL", "list the volumes of a storage pool",
      "Lists the pool's volumes with their paths (--details: also type,\n"
      "capacity and allocation), as virsh vol-list does.",
      vol_list_flags, 1, 1, cmd_vol_list },
    { "vol-info", "VOL", "basic facts about a volume (like virsh vol-info)",
      "Prints the volume's name, type, capacity and allocation. " VOL_HELP,
      pool_flags, 1, 1, cmd_vol_info },
    { "vol-dumpxml", "VOL", "the XML description of a volume",
      "Prints the volume XML. " VOL_HELP,
      pool_flags, 1, 1, cmd_vol_dumpxml },
    { "vol-create", "POOL FILE", "create a volume from XML",
      "Creates a volume in POOL from the volume XML in FILE ('-': standard input).",
      NULL, 2, 2, cmd_vol_create },
    { "vol-delete", "VOL", "delete a volume",
      "Deletes the volume and its data. " VOL_HELP,
      pool_flags, 1, 1, cmd_vol_delete },
    { "vol-resize", "VOL SIZE", "change the capacity of a volume",
      "Sets the volume's capacity to SIZE (bytes, or with a suffix such as KiB,\n"
      "M, G; \"+SIZE\" grows by SIZE, \"-SIZE\" shrinks by it).  Making it smaller\n"
      "needs --shrink. " VOL_HELP,
      vol_resize_flags, 2, 2, cmd_vol_resize },
};
const size_t cli_vol_ncommands = MV_ARRAY_SIZE(cli_vol_commands);
