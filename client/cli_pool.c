/*
 * Storage pool commands: pool-list, pool-info, pool-define, pool-build,
 * pool-start, pool-destroy, pool-delete, pool-undefine, pool-refresh,
 * pool-autostart.  Text output and messages follow virsh's (libvirt 9.0)
 * byte for byte; --json gives the same facts as data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cli.h"
#include "rpc/error_codes.h"

int cli_pool_get(struct cli *cli, const char *key, modvirt_storage_pool **pool)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_storage_pool_lookup(conn, key, pool, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get pool '%s'", key);
    return CLI_EXIT_OK;
}

/* Success: virsh's sentence and the blank line after it, or a JSON object
 * naming the pool and ACTION. */
static int report(struct cli *cli, modvirt_storage_pool *pool, const char *action,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int report(struct cli *cli, modvirt_storage_pool *pool, const char *action,
                  const char *fmt, ...)
{
    json_object *o = cli->json ? json_object_new_object() : NULL;
    va_list ap;
    int r;

    if (o) {
        char uuid[37];

        json_object_object_add(o, "name", json_object_new_string(
            modvirt_storage_pool_get_name(pool)));
        json_object_object_add(o, "uuid", json_object_new_string(
            modvirt_storage_pool_get_uuid_string(pool, uuid)));
    }
    va_start(ap, fmt);
    r = cli_vreport(o, action, "\n\n", fmt, ap);
    va_end(ap);
    return r;
}

/* ---- pool-list ---- */

/* One row of pool-list: what virsh asks of each listed pool; -1 where
 * the daemon could not say. */
struct pool_row {
    modvirt_storage_pool *pool;         /* borrowed from the listing */
    modvirt_storage_pool_info info;     /* state -1: unknown */
    int autostart, persistent;
};

/* Like virsh, a fact a pool cannot give is shown as unknown; only a lost
 * connection stops the listing. */
static int optional(int r, modvirt_error *err)
{
    if (r == -ENOTCONN)
        return cli_fail(r, err);
    modvirt_error_free(err);
    return CLI_EXIT_OK;
}

static int row_fill(struct pool_row *row)
{
    modvirt_error *err = NULL;
    int r;

    row->info.state = row->autostart = row->persistent = -1;
    r = optional(modvirt_storage_pool_get_info(row->pool, &row->info, &err), err);
    err = NULL;
    if (r == CLI_EXIT_OK)
        r = optional(modvirt_storage_pool_get_autostart(row->pool, &row->autostart, &err), err);
    err = NULL;
    if (r == CLI_EXIT_OK)
        r = optional(modvirt_storage_pool_is_persistent(row->pool, &row->persistent, &err), err);
    return r;
}

/* By name, ignoring case, as virsh sorts. */
static int compare_rows(const void *a, const void *b)
{
    const struct pool_row *x = a, *y = b;

    return strcasecmp(modvirt_storage_pool_get_name(x->pool),
                      modvirt_storage_pool_get_name(y->pool));
}

/* pool-list's state word: virsh says "active" for a running pool. */
static const char *list_state(int state)
{
    if (state < 0)
        return "unknown";
    return state == MODVIRT_POOL_RUNNING ? "active" : modvirt_storage_pool_state_name(state);
}

static json_object *json_tristate(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v);
}

/* The sizes only mean something while the pool runs (virsh's rule). */
static bool sizes_known(const modvirt_storage_pool_info *info)
{
    return info->state == MODVIRT_POOL_RUNNING || info->state == MODVIRT_POOL_DEGRADED;
}

static json_object *pool_json(modvirt_storage_pool *pool, const modvirt_storage_pool_info *info,
                              int autostart, int persistent)
{
    json_object *o = json_object_new_object();
    bool sizes = sizes_known(info);
    char uuid[37];

    json_object_object_add(o, "name", json_object_new_string(modvirt_storage_pool_get_name(pool)));
    json_object_object_add(o, "uuid", json_object_new_string(
        modvirt_storage_pool_get_uuid_string(pool, uuid)));
    json_object_object_add(o, "state", info->state < 0 ? NULL : json_object_new_string(
        modvirt_storage_pool_state_name(info->state)));
    json_object_object_add(o, "active", info->state < 0 ? NULL : json_object_new_boolean(
        info->state != MODVIRT_POOL_INACTIVE));
    json_object_object_add(o, "persistent", json_tristate(persistent));
    json_object_object_add(o, "autostart", json_tristate(autostart));
    json_object_object_add(o, "capacity", sizes ? json_object_new_uint64(info->capacity) : NULL);
    json_object_object_add(o, "allocation", sizes ? json_object_new_uint64(info->allocation)
                                                  : NULL);
    json_object_object_add(o, "available", sizes ? json_object_new_uint64(info->available) : NULL);
    return o;
}

static int print_list_json(const struct pool_row *rows, size_t n)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, pool_json(rows[i].pool, &rows[i].info, rows[i].autostart,
                                             rows[i].persistent));
    return cli_json_print(arr);
}

static int print_list_table(const struct pool_row *rows, size_t n)
{
    static const char *const headers[] = { "Name", "State", "Autostart" };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(3, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {
            modvirt_storage_pool_get_name(rows[i].pool), list_state(rows[i].info.state),
            rows[i].autostart < 0 ? "no autostart" : rows[i].autostart ? "yes" : "no",
        };

        if (cli_table_add(t, row) < 0)
            return cli_fail(-ENOMEM, NULL);
    }
    cli_table_print(t);
    return CLI_EXIT_OK;
}

static int cmd_pool_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    /* like virsh: running pools by default, --all wins over --inactive */
    unsigned int flags = set[0] ? 0 : set[1] ? MODVIRT_LIST_POOLS_INACTIVE
                                             : MODVIRT_LIST_POOLS_ACTIVE;
    modvirt_storage_pool **list = NULL;
    _cleanup_free_ struct pool_row *rows = NULL;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    size_t n = 0;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_conn_list_all_storage_pools(conn, flags, &list, &n, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to list pools");
    rows = calloc(n ? n : 1, sizeof(*rows));
    r = rows ? CLI_EXIT_OK : cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n && r == CLI_EXIT_OK; i++) {
        rows[i].pool = list[i];
        r = row_fill(&rows[i]);
    }
    if (r == CLI_EXIT_OK) {
        qsort(rows, n, sizeof(*rows), compare_rows);
        r = cli->json ? print_list_json(rows, n) : print_list_table(rows, n);
    }
    modvirt_storage_pool_list_free(list, n);
    return r;
}

/* ---- pool-info ---- */

static void print_info_text(modvirt_storage_pool *pool, const struct pool_row *d)
{
    char uuid[37], size[32];

    printf("%-15s %s\n", "Name:", modvirt_storage_pool_get_name(pool));
    printf("%-15s %s\n", "UUID:", modvirt_storage_pool_get_uuid_string(pool, uuid));
    if (d->info.state >= 0)
        printf("%-15s %s\n", "State:", modvirt_storage_pool_state_name(d->info.state));
    printf("%-15s %s\n", "Persistent:",
           d->persistent < 0 ? "unknown" : d->persistent ? "yes" : "no");
    printf("%-15s %s\n", "Autostart:",
           d->autostart < 0 ? "no autostart" : d->autostart ? "yes" : "no");
    if (sizes_known(&d->info)) {
        printf("%-15s %s\n", "Capacity:", cli_size_string(d->info.capacity, size, sizeof(size)));
        printf("%-15s %s\n", "Allocation:",
               cli_size_string(d->info.allocation, size, sizeof(size)));
        printf("%-15s %s\n", "Available:",
               cli_size_string(d->info.available, size, sizeof(size)));
    }
    putchar('\n');
}

static int cmd_pool_info(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    struct pool_row d = { 0 };
    int r = cli_pool_get(cli, args[0], &pool);

    if (r != CLI_EXIT_OK)
        return r;
    d.pool = pool;
    r = row_fill(&d);
    if (r != CLI_EXIT_OK)
        return r;
    if (cli->json)
        return cli_json_print(pool_json(pool, &d.info, d.autostart, d.persistent));
    print_info_text(pool, &d);
    return CLI_EXIT_OK;
}

/* ---- pool-define ---- */

static int cmd_pool_define(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    _cleanup_free_ char *xml = cli_read_xml(args[0]);
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!xml)
        return CLI_EXIT_USAGE;
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_storage_pool_define_xml(conn, xml, 0, &pool, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to define pool from %s", args[0]);
    return report(cli, pool, "define", "Pool %s defined from %s",
                  modvirt_storage_pool_get_name(pool), args[0]);
}

/* ---- the one-pool actions ---- */

typedef int (*pool_fn)(modvirt_storage_pool *, unsigned int, modvirt_error **);

/* Looks up KEY and runs FN with FLAGS on it; prints "failed to VERB pool
 * 'X'" with the daemon's reason on failure and "Pool X DONE" on success. */
static int act(struct cli *cli, const char *key, pool_fn fn, unsigned int flags, const char *verb,
               const char *done)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    modvirt_error *err = NULL;
    int r = cli_pool_get(cli, key, &pool);

    if (r != CLI_EXIT_OK)
        return r;
    r = fn(pool, flags, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %s pool '%s'", verb,
                         modvirt_storage_pool_get_name(pool));
    return report(cli, pool, verb, "Pool %s %s", modvirt_storage_pool_get_name(pool), done);
}

/* Adapters for the flagless calls, so that act() takes them all. */
static int pool_destroy(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_destroy(pool, err);
}

static int pool_undefine(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err)
{
    return modvirt_storage_pool_undefine(pool, err);
}

static int cmd_pool_build(struct cli *cli, const bool *set, char **args, int nargs)
{
    if (set[0] && set[1]) {
        cli_error("--overwrite and --no-overwrite cannot be combined");
        return CLI_EXIT_USAGE;
    }
    return act(cli, args[0], modvirt_storage_pool_build,
               (set[0] ? MODVIRT_POOL_BUILD_OVERWRITE : 0) |
               (set[1] ? MODVIRT_POOL_BUILD_NO_OVERWRITE : 0), "build", "built");
}

static int cmd_pool_start(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_storage_pool_start, 0, "start", "started");
}

static int cmd_pool_destroy(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], pool_destroy, 0, "destroy", "destroyed");
}

static int cmd_pool_delete(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_storage_pool_delete, 0, "delete", "deleted");
}

static int cmd_pool_undefine(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], pool_undefine, 0, "undefine", "has been undefined");
}

static int cmd_pool_refresh(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_storage_pool_refresh, 0, "refresh", "refreshed");
}

static int cmd_pool_autostart(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    modvirt_error *err = NULL;
    bool on = !set[0];
    int r = cli_pool_get(cli, args[0], &pool);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_storage_pool_set_autostart(pool, on, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %smark pool '%s' as autostarted", on ? "" : "un",
                         modvirt_storage_pool_get_name(pool));
    return report(cli, pool, on ? "autostart" : "no-autostart", "Pool %s %s as autostarted",
                  modvirt_storage_pool_get_name(pool), on ? "marked" : "unmarked");
}

static const struct cli_flag pool_list_flags[] = {
    { "all", "list active and inactive pools", NULL },
    { "inactive", "list inactive pools only", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag pool_build_flags[] = {
    { "overwrite", "make a new filesystem even over an existing one", NULL },
    { "no-overwrite", "refuse if the source already holds a filesystem", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag pool_autostart_flags[] = {
    { "disable", "do not start the pool with the daemon", NULL },
    { NULL, NULL, NULL },
};

#define POOL_HELP "POOL is a name or a UUID."

const struct cli_command cli_pool_commands[] = {
    { "pool-list", NULL, "list storage pools (running ones unless --all or --inactive)",
      "Lists the storage pools with their name, state and autostart, as virsh\n"
      "pool-list does.  Without options only running pools are shown.",
      pool_list_flags, 0, 0, cmd_pool_list },
    { "pool-info", "POOL", "basic facts about a storage pool (like virsh pool-info)",
      "Prints the pool's name, UUID, state, persistence, autostart and, while it\n"
      "runs, its capacity, allocation and available space. " POOL_HELP,
      NULL, 1, 1, cmd_pool_info },
    { "pool-define", "FILE", "define a persistent storage pool from XML",
      "Defines (or redefines) a storage pool from the pool XML in FILE ('-':\n"
      "standard input); the pool stays inactive until pool-start.",
      NULL, 1, 1, cmd_pool_define },
    { "pool-build", "POOL", "create what a storage pool stands on",
      "Creates the pool's directory (dir pools) or filesystem (fs pools, with\n"
      "--overwrite or --no-overwrite saying what to do with an existing one). " POOL_HELP,
      pool_build_flags, 1, 1, cmd_pool_build },
    { "pool-start", "POOL", "start an inactive storage pool",
      "Starts a defined pool (mounting it if it is a filesystem pool) and finds\n"
      "its volumes. " POOL_HELP,
      NULL, 1, 1, cmd_pool_start },
    { "pool-destroy", "POOL", "stop a storage pool",
      "Stops a running pool; its data stays. " POOL_HELP,
      NULL, 1, 1, cmd_pool_destroy },
    { "pool-delete", "POOL", "remove what pool-build created",
      "Removes the pool's directory or logical volume group; the pool must be\n"
      "inactive. " POOL_HELP,
      NULL, 1, 1, cmd_pool_delete },
    { "pool-undefine", "POOL", "remove a storage pool's persistent definition",
      "Removes the pool's definition; its data stays. " POOL_HELP,
      NULL, 1, 1, cmd_pool_undefine },
    { "pool-refresh", "POOL", "find the volumes of a running pool again",
      "Rescans a running pool for volumes and sizes. " POOL_HELP,
      NULL, 1, 1, cmd_pool_refresh },
    { "pool-autostart", "POOL", "start a storage pool with the daemon, or not",
      "Marks the pool to be started with modvirt-storaged (--disable: not). " POOL_HELP,
      pool_autostart_flags, 1, 1, cmd_pool_autostart },
};
const size_t cli_pool_ncommands = MV_ARRAY_SIZE(cli_pool_commands);
