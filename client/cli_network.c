/*
 * Network queries: net-list, net-info, net-dumpxml, net-dhcp-leases, and
 * the lookup every network command starts with.  Text output follows
 * virsh's net-list, net-info and net-dhcp-leases (libvirt 9.0) byte for
 * byte; --json gives the same facts as data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "rpc/error_codes.h"

int cli_network_get(struct cli *cli, const char *key, modvirt_network **net)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_network_lookup(conn, key, net, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get network '%s'", key);
    return CLI_EXIT_OK;
}

static json_object *json_string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

/* ---- net-list ---- */

/* One row of net-list: what virsh asks of each listed network. */
struct net_row {
    modvirt_network *net;       /* borrowed from the listing */
    int active, autostart, persistent;
};

/* The three flags of ROW's network.  A network undefined since the listing
 * is "gone" (1): its row is dropped, as if it had not been listed. */
static int row_fill(struct net_row *row, int *gone)
{
    modvirt_error *err = NULL;
    int r = modvirt_network_is_active(row->net, &row->active, &err);

    if (r == 0)
        r = modvirt_network_get_autostart(row->net, &row->autostart, &err);
    if (r == 0)
        r = modvirt_network_is_persistent(row->net, &row->persistent, &err);
    if (r == -EIO && err && err->code == MV_ERR_NO_NETWORK) {
        modvirt_error_free(err);
        *gone = 1;
        return CLI_EXIT_OK;
    }
    *gone = 0;
    if (r < 0)
        return cli_failf(r, err, "failed to query network '%s'",
                         modvirt_network_get_name(row->net));
    return CLI_EXIT_OK;
}

/* By name, ignoring case, as virsh sorts. */
static int compare_rows(const void *a, const void *b)
{
    const struct net_row *x = a, *y = b;

    return strcasecmp(modvirt_network_get_name(x->net), modvirt_network_get_name(y->net));
}

static int print_list_json(const struct net_row *rows, size_t n)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        char uuid[37];

        json_object_object_add(o, "name", json_object_new_string(
            modvirt_network_get_name(rows[i].net)));
        json_object_object_add(o, "uuid", json_object_new_string(
            modvirt_network_get_uuid_string(rows[i].net, uuid)));
        json_object_object_add(o, "active", json_object_new_boolean(rows[i].active));
        json_object_object_add(o, "autostart", json_object_new_boolean(rows[i].autostart));
        json_object_object_add(o, "persistent", json_object_new_boolean(rows[i].persistent));
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int print_list_table(const struct net_row *rows, size_t n)
{
    static const char *const headers[] = { "Name", "State", "Autostart", "Persistent" };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(4, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {
            modvirt_network_get_name(rows[i].net), rows[i].active ? "active" : "inactive",
            rows[i].autostart ? "yes" : "no", rows[i].persistent ? "yes" : "no",
        };

        if (cli_table_add(t, row) < 0)
            return cli_fail(-ENOMEM, NULL);
    }
    cli_table_print(t);
    return CLI_EXIT_OK;
}

/* The rows for LIST, vanished networks left out; *NROWS says how many. */
static int list_rows(modvirt_network **list, size_t n, struct net_row **rows, size_t *nrows)
{
    _cleanup_free_ struct net_row *out = calloc(n ? n : 1, sizeof(*out));
    size_t k = 0;
    int gone, r;

    if (!out)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        out[k].net = list[i];
        r = row_fill(&out[k], &gone);
        if (r != CLI_EXIT_OK)
            return r;
        k += !gone;
    }
    *rows = TAKE_PTR(out);
    *nrows = k;
    return CLI_EXIT_OK;
}

/* --name or --uuid: one a line, then virsh's blank line. */
static int print_list_short(const struct net_row *rows, size_t n, bool uuids)
{
    char uuid[37];

    for (size_t i = 0; i < n; i++)
        puts(uuids ? modvirt_network_get_uuid_string(rows[i].net, uuid)
                   : modvirt_network_get_name(rows[i].net));
    putchar('\n');
    return CLI_EXIT_OK;
}

/* The listing's filter from the options: like virsh, running networks by
 * default, --all (SET[0]) wins over --inactive (SET[1]), and --persistent,
 * --transient, --autostart, --no-autostart (SET[2..5]) narrow it down. */
static unsigned int list_flags(const bool *set)
{
    unsigned int flags = set[0] ? MODVIRT_LIST_NETWORKS_ACTIVE | MODVIRT_LIST_NETWORKS_INACTIVE
                       : set[1] ? MODVIRT_LIST_NETWORKS_INACTIVE
                                : MODVIRT_LIST_NETWORKS_ACTIVE;

    return flags | (set[2] ? MODVIRT_LIST_NETWORKS_PERSISTENT : 0) |
           (set[3] ? MODVIRT_LIST_NETWORKS_TRANSIENT : 0) |
           (set[4] ? MODVIRT_LIST_NETWORKS_AUTOSTART : 0) |
           (set[5] ? MODVIRT_LIST_NETWORKS_NO_AUTOSTART : 0);
}

static int print_list(struct cli *cli, const bool *set, const struct net_row *rows, size_t n)
{
    if (cli->json)
        return print_list_json(rows, n);
    if (set[6] || set[7])
        return print_list_short(rows, n, set[7]);
    return print_list_table(rows, n);
}

static int cmd_net_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    unsigned int flags = list_flags(set);
    modvirt_network **list = NULL;
    _cleanup_free_ struct net_row *rows = NULL;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    size_t n = 0, nrows = 0;
    int code, r;

    if (set[6] && set[7]) {
        cli_error("--name and --uuid cannot be combined");
        return CLI_EXIT_USAGE;
    }
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_conn_list_all_networks(conn, flags, &list, &n, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to list networks");
    r = list_rows(list, n, &rows, &nrows);
    if (r == CLI_EXIT_OK) {
        qsort(rows, nrows, sizeof(*rows), compare_rows);
        r = print_list(cli, set, rows, nrows);
    }
    modvirt_network_list_free(list, n);
    return r;
}

/* ---- net-info ---- */

/* What net-info shows; -1 or NULL where the daemon could not say. */
struct netinfo {
    int active, persistent, autostart;
    char *bridge;
};

/* Runs one optional query: like virsh, a fact the daemon cannot give is
 * shown as unknown, not a failure; only a lost connection stops. */
static void optional(int r, modvirt_error *err, int *lost)
{
    if (r == -ENOTCONN && !*lost)
        *lost = cli_fail(r, err);
    else
        modvirt_error_free(err);
}

static int netinfo_get(modvirt_network *net, struct netinfo *d)
{
    modvirt_error *err = NULL;
    int lost = 0;

    /* out-parameters are left alone on failure: -1 and NULL stay */
    d->active = d->persistent = d->autostart = -1;
    optional(modvirt_network_is_active(net, &d->active, &err), err, &lost);
    err = NULL;
    optional(modvirt_network_is_persistent(net, &d->persistent, &err), err, &lost);
    err = NULL;
    optional(modvirt_network_get_autostart(net, &d->autostart, &err), err, &lost);
    err = NULL;
    optional(modvirt_network_get_bridge_name(net, &d->bridge, &err), err, &lost);
    return lost ? lost : CLI_EXIT_OK;
}

static void print_info_text(modvirt_network *net, const struct netinfo *d)
{
    char uuid[37];

    printf("%-15s %s\n", "Name:", modvirt_network_get_name(net));
    printf("%-15s %s\n", "UUID:", modvirt_network_get_uuid_string(net, uuid));
    if (d->active >= 0)
        printf("%-15s %s\n", "Active:", d->active ? "yes" : "no");
    printf("%-15s %s\n", "Persistent:",
           d->persistent < 0 ? "unknown" : d->persistent ? "yes" : "no");
    printf("%-15s %s\n", "Autostart:",
           d->autostart < 0 ? "no autostart" : d->autostart ? "yes" : "no");
    if (d->bridge)
        printf("%-15s %s\n", "Bridge:", d->bridge);
    putchar('\n');
}

static json_object *json_bool_or_null(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v);
}

static int print_info_json(modvirt_network *net, const struct netinfo *d)
{
    json_object *o = json_object_new_object();
    char uuid[37];

    json_object_object_add(o, "name", json_object_new_string(modvirt_network_get_name(net)));
    json_object_object_add(o, "uuid", json_object_new_string(
        modvirt_network_get_uuid_string(net, uuid)));
    json_object_object_add(o, "active", json_bool_or_null(d->active));
    json_object_object_add(o, "persistent", json_bool_or_null(d->persistent));
    json_object_object_add(o, "autostart", json_bool_or_null(d->autostart));
    json_object_object_add(o, "bridge", json_string_or_null(d->bridge));
    return cli_json_print(o);
}

static int cmd_net_info(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    struct netinfo d = { 0 };
    int r = cli_network_get(cli, args[0], &net);

    if (r != CLI_EXIT_OK)
        return r;
    r = netinfo_get(net, &d);
    if (r == CLI_EXIT_OK) {
        if (cli->json)
            r = print_info_json(net, &d);
        else
            print_info_text(net, &d);
    }
    free(d.bridge);
    return r;
}

/* ---- net-dumpxml ---- */

static int cmd_net_dumpxml(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    int r = cli_network_get(cli, args[0], &net);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_network_get_xml(net, set[0] ? MODVIRT_NETWORK_XML_INACTIVE : 0, &xml, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get the XML of network '%s'",
                         modvirt_network_get_name(net));
    return cli_print_xml(cli, xml);
}

/* ---- net-dhcp-leases ---- */

/* By MAC address ignoring case, as virsh sorts; leases without one first. */
static int compare_leases(const void *a, const void *b)
{
    const modvirt_network_dhcp_lease *x = a, *y = b;

    if (!x->mac || !y->mac)
        return !!x->mac - !!y->mac;
    return strcasecmp(x->mac, y->mac);
}

static const char *lease_protocol(const modvirt_network_dhcp_lease *l)
{
    return l->type == MODVIRT_IP_ADDR_TYPE_IPV4 ? "ipv4" : "ipv6";
}

/* The expiry in local time as virsh shows it, e.g. "2026-12-06 23:41:07". */
static const char *lease_expiry(const modvirt_network_dhcp_lease *l, char *buf, size_t len)
{
    time_t t = (time_t)l->expiry_time;
    struct tm tm;

    if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)l->expiry_time);
    return buf;
}

static const char *dash(const char *s)
{
    return s ? s : "-";
}

static int print_leases_table(const modvirt_network_dhcp_lease *leases, size_t n)
{
    static const char *const headers[] = {
        "Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID",
    };
    _cleanup_(cli_table_freep) struct cli_table *t = cli_table_new(6, headers);

    if (!t)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        const modvirt_network_dhcp_lease *l = &leases[i];
        char expiry[64], ip[80];
        const char *row[] = {
            lease_expiry(l, expiry, sizeof(expiry)), dash(l->mac), lease_protocol(l), ip,
            dash(l->hostname), dash(l->clientid),
        };

        snprintf(ip, sizeof(ip), "%s/%u", l->ipaddr, l->prefix);
        if (cli_table_add(t, row) < 0)
            return cli_fail(-ENOMEM, NULL);
    }
    cli_table_print(t);
    return CLI_EXIT_OK;
}

static int print_leases_json(const modvirt_network_dhcp_lease *leases, size_t n)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        const modvirt_network_dhcp_lease *l = &leases[i];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "expiry_time", json_object_new_int64(l->expiry_time));
        json_object_object_add(o, "mac", json_string_or_null(l->mac));
        json_object_object_add(o, "protocol", json_object_new_string(lease_protocol(l)));
        json_object_object_add(o, "ip", json_object_new_string(l->ipaddr));
        json_object_object_add(o, "prefix", json_object_new_int64(l->prefix));
        json_object_object_add(o, "hostname", json_string_or_null(l->hostname));
        json_object_object_add(o, "client_id", json_string_or_null(l->clientid));
        json_object_object_add(o, "iaid", json_string_or_null(l->iaid));
        json_object_object_add(o, "interface", json_string_or_null(l->iface));
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int cmd_net_dhcp_leases(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    modvirt_network_dhcp_lease *leases = NULL;
    modvirt_error *err = NULL;
    const char *mac = set[0] ? cli->flag_arg[0] : NULL;
    size_t n = 0;
    int r = cli_network_get(cli, args[0], &net);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_network_get_dhcp_leases(net, mac, &leases, &n, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get the leases of network '%s'",
                         modvirt_network_get_name(net));
    if (n > 1)
        qsort(leases, n, sizeof(*leases), compare_leases);
    r = cli->json ? print_leases_json(leases, n) : print_leases_table(leases, n);
    modvirt_network_dhcp_lease_list_free(leases, n);
    return r;
}

static const struct cli_flag net_list_flags[] = {
    { "all", "list active and inactive networks", NULL },
    { "inactive", "list inactive networks only", NULL },
    { "persistent", "only networks with a persistent definition", NULL },
    { "transient", "only networks without one", NULL },
    { "autostart", "only networks started with the daemon", NULL },
    { "no-autostart", "only networks not started with the daemon", NULL },
    { "name", "print the names only, one a line", NULL },
    { "uuid", "print the UUIDs only, one a line", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag net_dumpxml_flags[] = {
    { "inactive", "the persistent configuration, not the running one", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag net_dhcp_leases_flags[] = {
    { "mac", "only the leases of this MAC address", "MAC" },
    { NULL, NULL, NULL },
};

#define NET_HELP "NET is a name or a UUID."

const struct cli_command cli_network_commands[] = {
    { "net-list", NULL, "list virtual networks (running ones unless --all or --inactive)",
      "Lists the networks with their name, state, autostart and persistence,\n"
      "as virsh net-list does.  Without options only running networks are shown;\n"
      "--persistent, --transient, --autostart and --no-autostart narrow the list.",
      net_list_flags, 0, 0, cmd_net_list },
    { "net-info", "NET", "basic facts about a network (like virsh net-info)",
      "Prints the network's name, UUID, whether it is active, persistent and\n"
      "autostarted, and its bridge, with virsh net-info's labels. " NET_HELP,
      NULL, 1, 1, cmd_net_info },
    { "net-dumpxml", "NET", "the XML description of a network",
      "Prints the network's XML: the live definition while it runs, else the\n"
      "persistent one. " NET_HELP,
      net_dumpxml_flags, 1, 1, cmd_net_dumpxml },
    { "net-dhcp-leases", "NET", "the DHCP leases of a running network",
      "Prints the network's current DHCP leases (IPv4 and IPv6) with their\n"
      "expiry time, MAC address, address, hostname and client id, as virsh\n"
      "net-dhcp-leases does. " NET_HELP,
      net_dhcp_leases_flags, 1, 1, cmd_net_dhcp_leases },
};
const size_t cli_network_ncommands = MV_ARRAY_SIZE(cli_network_commands);
