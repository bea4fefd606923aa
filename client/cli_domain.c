/*
 * Domain commands.  For now: list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* Active domains first by id, then inactive ones by name, as virsh sorts. */
static int compare_refs(const void *a, const void *b)
{
    const modvirt_domain_ref *x = a, *y = b;

    if ((x->id >= 0) != (y->id >= 0))
        return x->id >= 0 ? -1 : 1;
    if (x->id >= 0 && x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The State column.  It will come from DOMAIN_GET_STATE (212), which the
 * protocol description (rpc/remote_protocol.x) and libmodvirt do not have
 * yet; until then the state is unknown and shows as "-" (null in JSON). */
static const char *domain_state(modvirt_conn *conn, const modvirt_domain_ref *d)
{
    return NULL;
}

static int print_json(modvirt_conn *conn, const modvirt_domain_ref *list, size_t n)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        const char *state = domain_state(conn, &list[i]);
        char uuid[37];

        json_object_object_add(o, "id", list[i].id >= 0 ? json_object_new_int(list[i].id) : NULL);
        json_object_object_add(o, "name", json_object_new_string(list[i].name));
        json_object_object_add(o, "uuid", json_object_new_string(cli_uuid_string(list[i].uuid, uuid)));
        json_object_object_add(o, "state", state ? json_object_new_string(state) : NULL);
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int print_table(modvirt_conn *conn, const modvirt_domain_ref *list, size_t n)
{
    static const char *const headers[] = { "Id", "Name", "State" };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(3, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        const char *state = domain_state(conn, &list[i]);
        const char *row[] = { id, list[i].name, state ? state : "-" };

        if (list[i].id >= 0)
            snprintf(id, sizeof(id), "%d", list[i].id);
        else
            strcpy(id, "-");
        if (cli_table_add(t, row) < 0)
            return cli_fail(-ENOMEM, NULL);
    }
    cli_table_print(t);
    return CLI_EXIT_OK;
}

static int cmd_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    /* like virsh: running ones by default, --all wins over --inactive */
    unsigned int flags = set[0] ? 0 : set[1] ? MODVIRT_LIST_DOMAINS_INACTIVE
                                             : MODVIRT_LIST_DOMAINS_ACTIVE;
    modvirt_domain_ref *list = NULL;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    size_t n = 0;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_conn_list_all_domains(conn, flags, &list, &n, &err);
    if (r < 0)
        return cli_fail(r, err);
    if (n > 1)
        qsort(list, n, sizeof(*list), compare_refs);
    r = cli->json ? print_json(conn, list, n) : print_table(conn, list, n);
    modvirt_domain_ref_list_free(list, n);
    return r;
}

static const struct cli_flag list_flags[] = {
    { "all", "list active and inactive domains" },
    { "inactive", "list inactive domains only" },
    { NULL, NULL },
};

const struct cli_command cli_domain_commands[] = {
    { "list", NULL, "list domains (running ones unless --all or --inactive)",
      "Lists the domains with their id (\"-\" when not running), name and state.\n"
      "Without options only running domains are shown.",
      list_flags, 0, 0, cmd_list },
};
const size_t cli_domain_ncommands = MV_ARRAY_SIZE(cli_domain_commands);
