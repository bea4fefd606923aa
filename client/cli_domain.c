/*
 * Domain queries: list, info, domstate, dumpxml, and the lookup every
 * domain command starts with.  Text output follows virsh's list, dominfo
 * and domstate byte for byte where we have the same facts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

int cli_domain_get(struct cli *cli, const char *key, modvirt_domain **dom)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_domain_lookup(conn, key, dom, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get domain '%s'", key);
    return CLI_EXIT_OK;
}

/* ---- list ---- */

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

/* The State column; NULL when the daemon could not say (domain vanished). */
static const char *ref_state(const modvirt_domain_ref *d)
{
    return d->state < 0 ? NULL : modvirt_domain_state_name(d->state);
}

static int print_list_json(const modvirt_domain_ref *list, size_t n)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        const char *state = ref_state(&list[i]);
        char uuid[37];

        json_object_object_add(o, "id", list[i].id >= 0 ? json_object_new_int(list[i].id) : NULL);
        json_object_object_add(o, "name", json_object_new_string(list[i].name));
        json_object_object_add(o, "uuid", json_object_new_string(cli_uuid_string(list[i].uuid, uuid)));
        json_object_object_add(o, "state", state ? json_object_new_string(state) : NULL);
        json_object_object_add(o, "reason", state ? json_object_new_string(
            modvirt_domain_state_reason_name(list[i].state, list[i].reason)) : NULL);
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int print_list_table(const modvirt_domain_ref *list, size_t n)
{
    static const char *const headers[] = { "Id", "Name", "State" };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(3, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        const char *state = ref_state(&list[i]);
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
    r = modvirt_conn_list_domains_with_state(conn, flags, &list, &n, &err);
    if (r < 0)
        return cli_fail(r, err);
    if (n > 1)
        qsort(list, n, sizeof(*list), compare_refs);
    r = cli->json ? print_list_json(list, n) : print_list_table(list, n);
    modvirt_domain_ref_list_free(list, n);
    return r;
}

/* ---- info ---- */

/* Everything dominfo shows.  Like virsh, a fact the daemon cannot give is
 * left out or "unknown" rather than failing the whole command; only the
 * basic info (state, CPUs, memory) failing makes the exit status 1. */
struct dominfo {
    char *os_type;
    bool have_info;
    modvirt_domain_info info;
    int persistent;             /* -1: unknown */
    int autostart;              /* -1: unknown */
    int managed_save;           /* -1: unknown */
    char *sec_model, *sec_doi;  /* NULL: no security driver or unknown */
    char *sec_label;            /* NULL: none */
    int enforcing;
    char **messages;
};

static void dominfo_clear(struct dominfo *d)
{
    free(d->os_type);
    free(d->sec_model);
    free(d->sec_doi);
    free(d->sec_label);
    modvirt_string_list_free(d->messages);
}

/* Runs an optional query; its error only matters as "unknown". */
static bool ok(int r, modvirt_error *err)
{
    modvirt_error_free(err);
    return r == 0;
}

static void security_info(modvirt_conn *conn, modvirt_domain *dom, struct dominfo *d)
{
    modvirt_error *err = NULL;

    if (!ok(modvirt_node_get_security_model(conn, &d->sec_model, &d->sec_doi, &err), err))
        return;
    /* virsh shows the security lines only with a security driver */
    if (!d->sec_model[0]) {
        free(d->sec_model);
        free(d->sec_doi);
        d->sec_model = d->sec_doi = NULL;
        return;
    }
    err = NULL;
    if (ok(modvirt_domain_get_security_label(dom, &d->sec_label, &d->enforcing, &err), err) &&
        !d->sec_label[0]) {
        free(d->sec_label);
        d->sec_label = NULL;
    }
}

static int dominfo_get(modvirt_conn *conn, modvirt_domain *dom, struct dominfo *d)
{
    modvirt_error *err = NULL;
    int r;

    d->persistent = d->autostart = d->managed_save = -1;
    if (!ok(modvirt_domain_get_os_type(dom, &d->os_type, &err), err))
        d->os_type = NULL;
    err = NULL;
    r = modvirt_domain_get_info(dom, &d->info, &err);
    d->have_info = r == 0;
    if (r < 0) {
        /* a lost connection is worth stopping for; anything else is shown */
        if (r == -ENOTCONN)
            return cli_fail(r, err);
        cli_fail(r, err);
    }
    err = NULL;
    ok(modvirt_domain_is_persistent(dom, &d->persistent, &err), err);
    err = NULL;
    ok(modvirt_domain_get_autostart(dom, &d->autostart, &err), err);
    err = NULL;
    ok(modvirt_domain_has_managed_save(dom, &d->managed_save, &err), err);
    security_info(conn, dom, d);
    err = NULL;
    ok(modvirt_domain_get_messages(dom, &d->messages, &err), err);
    return d->have_info ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static const char *yes_no(int v, const char *yes, const char *no)
{
    return v < 0 ? "unknown" : v ? yes : no;
}

static void print_info_text(modvirt_domain *dom, const struct dominfo *d)
{
    char uuid[37];

    if (modvirt_domain_get_id(dom) >= 0)
        printf("%-15s %d\n", "Id:", modvirt_domain_get_id(dom));
    else
        printf("%-15s %s\n", "Id:", "-");
    printf("%-15s %s\n", "Name:", modvirt_domain_get_name(dom));
    printf("%-15s %s\n", "UUID:", modvirt_domain_get_uuid_string(dom, uuid));
    if (d->os_type)
        printf("%-15s %s\n", "OS Type:", d->os_type);
    if (d->have_info) {
        printf("%-15s %s\n", "State:", modvirt_domain_state_name(d->info.state));
        printf("%-15s %u\n", "CPU(s):", d->info.vcpus);
        if (d->info.cpu_time)
            printf("%-15s %.1lfs\n", "CPU time:", d->info.cpu_time / 1000000000.0);
        if (d->info.max_memory != UINT_MAX)
            printf("%-15s %llu KiB\n", "Max memory:", (unsigned long long)d->info.max_memory);
        else
            printf("%-15s %s\n", "Max memory:", "no limit");
        printf("%-15s %llu KiB\n", "Used memory:", (unsigned long long)d->info.memory);
    }
    printf("%-15s %s\n", "Persistent:", yes_no(d->persistent, "yes", "no"));
    if (d->autostart >= 0)
        printf("%-15s %s\n", "Autostart:", d->autostart ? "enable" : "disable");
    printf("%-15s %s\n", "Managed save:", yes_no(d->managed_save, "yes", "no"));
    if (d->sec_model) {
        printf("%-15s %s\n", "Security model:", d->sec_model);
        printf("%-15s %s\n", "Security DOI:", d->sec_doi);
        if (d->sec_label)
            printf("%-15s %s (%s)\n", "Security label:", d->sec_label,
                   d->enforcing ? "enforcing" : "permissive");
    }
    for (size_t i = 0; d->messages && d->messages[i]; i++)
        printf("%-15s %s\n", i == 0 ? "Messages:" : "", d->messages[i]);
    putchar('\n');
}

static json_object *json_bool_or_null(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v);
}

static json_object *json_string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static int print_info_json(modvirt_domain *dom, const struct dominfo *d)
{
    json_object *o = json_object_new_object(), *msgs = json_object_new_array();
    int id = modvirt_domain_get_id(dom);
    char uuid[37];

    json_object_object_add(o, "id", id >= 0 ? json_object_new_int(id) : NULL);
    json_object_object_add(o, "name", json_object_new_string(modvirt_domain_get_name(dom)));
    json_object_object_add(o, "uuid", json_object_new_string(modvirt_domain_get_uuid_string(dom, uuid)));
    json_object_object_add(o, "os_type", json_string_or_null(d->os_type));
    json_object_object_add(o, "state", d->have_info ?
                           json_object_new_string(modvirt_domain_state_name(d->info.state)) : NULL);
    json_object_object_add(o, "cpus", d->have_info ? json_object_new_int64(d->info.vcpus) : NULL);
    json_object_object_add(o, "cpu_time_ns", d->have_info ? json_object_new_uint64(d->info.cpu_time) : NULL);
    json_object_object_add(o, "max_memory_kib", d->have_info ? json_object_new_uint64(d->info.max_memory) : NULL);
    json_object_object_add(o, "used_memory_kib", d->have_info ? json_object_new_uint64(d->info.memory) : NULL);
    json_object_object_add(o, "persistent", json_bool_or_null(d->persistent));
    json_object_object_add(o, "autostart", json_bool_or_null(d->autostart));
    json_object_object_add(o, "managed_save", json_bool_or_null(d->managed_save));
    json_object_object_add(o, "security_model", json_string_or_null(d->sec_model));
    json_object_object_add(o, "security_doi", json_string_or_null(d->sec_doi));
    json_object_object_add(o, "security_label", json_string_or_null(d->sec_label));
    for (size_t i = 0; d->messages && d->messages[i]; i++)
        json_object_array_add(msgs, json_object_new_string(d->messages[i]));
    json_object_object_add(o, "messages", msgs);
    return cli_json_print(o);
}

static int cmd_info(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    struct dominfo d = { 0 };
    int r = cli_domain_get(cli, args[0], &dom), p;

    if (r != CLI_EXIT_OK)
        return r;
    r = dominfo_get(cli->conn, dom, &d);
    if (r == CLI_EXIT_CONNECT) {
        dominfo_clear(&d);
        return r;
    }
    if (cli->json) {
        p = print_info_json(dom, &d);
    } else {
        print_info_text(dom, &d);
        p = CLI_EXIT_OK;
    }
    dominfo_clear(&d);
    return r != CLI_EXIT_OK ? r : p;
}

/* ---- domstate ---- */

static int cmd_domstate(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    int state, reason;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_get_state(dom, &state, &reason, &err);
    if (r < 0)
        return cli_fail(r, err);
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "state", json_object_new_string(modvirt_domain_state_name(state)));
        json_object_object_add(o, "reason", json_object_new_string(
            modvirt_domain_state_reason_name(state, reason)));
        return cli_json_print(o);
    }
    if (set[0])
        printf("%s (%s)\n\n", modvirt_domain_state_name(state),
               modvirt_domain_state_reason_name(state, reason));
    else
        printf("%s\n\n", modvirt_domain_state_name(state));
    return CLI_EXIT_OK;
}

/* ---- dumpxml ---- */

static int cmd_dumpxml(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    unsigned int flags = (set[0] ? MODVIRT_DOMAIN_XML_INACTIVE : 0) |
                         (set[1] ? MODVIRT_DOMAIN_XML_SECURE : 0);
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_get_xml(dom, flags, &xml, &err);
    if (r < 0)
        return cli_fail(r, err);
    return cli_print_xml(cli, xml);
}

static const struct cli_flag list_flags[] = {
    { "all", "list active and inactive domains", NULL },
    { "inactive", "list inactive domains only", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag domstate_flags[] = {
    { "reason", "also print why the domain is in that state", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag dumpxml_flags[] = {
    { "inactive", "the persistent configuration, not the running one", NULL },
    { "security-info", "include security-sensitive data such as passwords", NULL },
    { NULL, NULL, NULL },
};

const struct cli_command cli_domain_commands[] = {
    { "list", NULL, "list domains (running ones unless --all or --inactive)",
      "Lists the domains with their id (\"-\" when not running), name and state.\n"
      "Without options only running domains are shown.",
      list_flags, 0, 0, cmd_list },
    { "info", "DOM", "basic facts about a domain (like virsh dominfo)",
      "Prints the domain's id, name, UUID, OS type, state, vCPUs, CPU time,\n"
      "memory, persistence, autostart and security labels, with virsh\n"
      "dominfo's labels.  DOM is a name, a UUID or an id.",
      NULL, 1, 1, cmd_info },
    { "domstate", "DOM", "the state of a domain",
      "Prints the domain's state (\"running\", \"shut off\", ...) as virsh\n"
      "domstate does.  DOM is a name, a UUID or an id.",
      domstate_flags, 1, 1, cmd_domstate },
    { "dumpxml", "DOM", "the XML description of a domain",
      "Prints the domain's XML: the live definition while it runs, else the\n"
      "persistent one.  DOM is a name, a UUID or an id.",
      dumpxml_flags, 1, 1, cmd_dumpxml },
};
const size_t cli_domain_ncommands = MV_ARRAY_SIZE(cli_domain_commands);
