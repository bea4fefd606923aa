/*
 * Node device commands: nodedev-list (flat, by capability, or as virsh's
 * tree), nodedev-info, nodedev-dumpxml, nodedev-detach, nodedev-reattach,
 * nodedev-reset and nodedev-events.  Text output follows virsh 9.0's
 * nodedev commands byte for byte where virsh has them; --json gives the
 * same facts as data.  Every failure names the device and the daemon's
 * reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "cleanup.h"
#include "cli.h"
#include "rpc/error_codes.h"

static json_object *json_string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *json_strings(char **list)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; list && list[i]; i++)
        json_object_array_add(arr, json_object_new_string(list[i]));
    return arr;
}

/* ---- nodedev-list ---- */

/* One listed device and, for --tree and --json, its parent and caps. */
struct dev_row {
    char *name;                 /* borrowed from the listing */
    char *parent;               /* NULL for the root, or not asked */
    char **caps;                /* NULL if not asked */
    bool gone;                  /* removed between the listing and a query */
};

static void rows_free(struct dev_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].parent);
        modvirt_string_list_free(rows[i].caps);
    }
    free(rows);
}

/* "Node device not found" for a device that vanished under us: it is left
 * out, as if it had not been listed; anything else is a failure. */
static int query_result(int r, modvirt_error *err, struct dev_row *row, const char *what)
{
    if (r == -EIO && err && err->code == MV_ERR_NO_NODE_DEVICE) {
        modvirt_error_free(err);
        row->gone = true;
        return CLI_EXIT_OK;
    }
    if (r < 0)
        return cli_failf(r, err, "failed to get the %s of node device '%s'", what, row->name);
    return CLI_EXIT_OK;
}

static int row_fill(modvirt_conn *conn, struct dev_row *row, bool caps)
{
    modvirt_error *err = NULL;
    int r = modvirt_node_device_get_parent(conn, row->name, &row->parent, &err);

    r = query_result(r, err, row, "parent");
    if (r != CLI_EXIT_OK || row->gone || !caps)
        return r;
    err = NULL;
    r = modvirt_node_device_list_caps(conn, row->name, &row->caps, &err);
    return query_result(r, err, row, "capabilities");
}

/* By name ignoring case, as virsh sorts. */
static int compare_rows(const void *a, const void *b)
{
    const struct dev_row *x = a, *y = b;

    return strcasecmp(x->name, y->name);
}

/* The --cap list ("pci,net") as listing flags; -1 after printing which word
 * is not a capability. */
static long long caps_flags(const char *list)
{
    _cleanup_free_ char *copy = strdup(list);
    unsigned int flags = 0;
    char *save = NULL;

    if (!copy)
        return -1;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int cap = modvirt_node_device_cap_from_name(w);

        if (cap < 0) {
            cli_error("invalid capability type '%s' (one of system, pci, usb_device, usb, net, "
                      "scsi_host, scsi_target, scsi, storage, fc_host, vports, scsi_generic, drm, "
                      "mdev_types, mdev, ccw, css, vdpa, ap_card, ap_queue, ap_matrix, vpd)", w);
            return -1;
        }
        flags |= MODVIRT_LIST_NODE_DEVICES_CAP(cap);
    }
    return flags;
}

/* virsh's tree (vshTreePrint of libvirt 9.0): the device, a "|" line
 * before its children, each child after "+- ", and a blank-ish line after
 * the last child of a branch.  INDENT is the prefix so far. */
#define TREE_INDENT_MAX (2 * 256 + 4)   /* two characters a level: deeper than sysfs goes */

static void tree_print(const struct dev_row *rows, size_t n, size_t dev, size_t lastdev, bool root,
                       char *indent, size_t len)
{
    size_t next_last = SIZE_MAX;

    if (len + 4 >= TREE_INDENT_MAX)
        return;     /* a parent loop the daemon should never report */

    printf("%.*s%s%s\n", (int)len, indent, root ? "" : "+- ", rows[dev].name);
    if (!root) {
        indent[len++] = dev == lastdev ? ' ' : '|';
        indent[len++] = ' ';
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].parent && strcmp(rows[i].parent, rows[dev].name) == 0)
            next_last = i;
    if (next_last != SIZE_MAX)
        printf("%.*s  |\n", (int)len, indent);
    indent[len] = indent[len + 1] = ' ';
    for (size_t i = 0; i < n; i++)
        if (rows[i].parent && strcmp(rows[i].parent, rows[dev].name) == 0)
            tree_print(rows, n, i, next_last, false, indent, len + 2);
    if (next_last == SIZE_MAX && dev == lastdev)
        printf("%.*s\n", (int)len, indent);
}

/* Whether ROWS[I]'s parent is listed: a device whose parent is not (gone,
 * or filtered out) is shown as a root rather than lost. */
static bool parent_listed(const struct dev_row *rows, size_t n, size_t i)
{
    for (size_t j = 0; rows[i].parent && j < n; j++)
        if (strcmp(rows[j].name, rows[i].parent) == 0)
            return true;
    return false;
}

static json_object *tree_json(const struct dev_row *rows, size_t n, size_t dev)
{
    json_object *o = json_object_new_object(), *children = json_object_new_array();

    json_object_object_add(o, "name", json_object_new_string(rows[dev].name));
    json_object_object_add(o, "capabilities", json_strings(rows[dev].caps));
    for (size_t i = 0; i < n; i++)
        if (rows[i].parent && strcmp(rows[i].parent, rows[dev].name) == 0)
            json_object_array_add(children, tree_json(rows, n, i));
    json_object_object_add(o, "children", children);
    return o;
}

static int print_tree(struct cli *cli, const struct dev_row *rows, size_t n)
{
    char indent[TREE_INDENT_MAX];
    json_object *arr = cli->json ? json_object_new_array() : NULL;

    for (size_t i = 0; i < n; i++) {
        if (parent_listed(rows, n, i))
            continue;
        if (arr)
            json_object_array_add(arr, tree_json(rows, n, i));
        else
            tree_print(rows, n, i, i, true, indent, 0);
    }
    if (arr)
        return cli_json_print(arr);
    putchar('\n');
    return CLI_EXIT_OK;
}

static int print_flat(struct cli *cli, const struct dev_row *rows, size_t n)
{
    json_object *arr;

    if (!cli->json) {
        for (size_t i = 0; i < n; i++)
            puts(rows[i].name);
        putchar('\n');
        return CLI_EXIT_OK;
    }
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(rows[i].name));
        json_object_object_add(o, "parent", json_string_or_null(rows[i].parent));
        json_object_object_add(o, "capabilities", json_strings(rows[i].caps));
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

/* The rows for NAMES, each queried as NEED_PARENT and CAPS say, vanished
 * devices left out, sorted; *NROWS says how many. */
static int list_rows(modvirt_conn *conn, char **names, size_t n, bool need_parent, bool caps,
                     struct dev_row **rows, size_t *nrows)
{
    struct dev_row *out = calloc(n ? n : 1, sizeof(*out));
    size_t k = 0;
    int r = CLI_EXIT_OK;

    if (!out)
        return cli_fail(-ENOMEM, NULL);
    for (size_t i = 0; i < n && r == CLI_EXIT_OK; i++) {
        out[k].name = names[i];
        if (need_parent)
            r = row_fill(conn, &out[k], caps);
        if (out[k].gone) {
            free(out[k].parent);
            modvirt_string_list_free(out[k].caps);
            memset(&out[k], 0, sizeof(out[k]));
        } else {
            k++;
        }
    }
    if (r != CLI_EXIT_OK) {
        rows_free(out, k);
        return r;
    }
    qsort(out, k, sizeof(*out), compare_rows);
    *rows = out;
    *nrows = k;
    return CLI_EXIT_OK;
}

/* Like virsh: active devices by default, --all (SET[2]) both, --inactive
 * (SET[3]) the defined mdevs that are not started. */
static unsigned int state_flags(const bool *set)
{
    if (set[2])
        return MODVIRT_LIST_NODE_DEVICES_ACTIVE | MODVIRT_LIST_NODE_DEVICES_INACTIVE;
    return set[3] ? MODVIRT_LIST_NODE_DEVICES_INACTIVE : MODVIRT_LIST_NODE_DEVICES_ACTIVE;
}

static int cmd_nodedev_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    bool tree = set[1];
    long long caps = set[0] ? caps_flags(cli->flag_arg[0]) : 0;
    struct dev_row *rows = NULL;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    char **names = NULL;
    size_t n = 0, nrows = 0;
    int code, r;

    if (caps < 0)
        return CLI_EXIT_USAGE;
    if (tree && (set[0] || set[3])) {
        cli_error("--tree cannot be combined with --cap or --inactive (as in virsh)");
        return CLI_EXIT_USAGE;
    }
    if (set[2] && set[3]) {
        cli_error("--all and --inactive cannot be combined");
        return CLI_EXIT_USAGE;
    }
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_conn_list_all_node_devices(conn, (unsigned int)caps | state_flags(set), &names, &n, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to list node devices");
    r = list_rows(conn, names, n, tree || cli->json, cli->json, &rows, &nrows);
    if (r == CLI_EXIT_OK)
        r = tree ? print_tree(cli, rows, nrows) : print_flat(cli, rows, nrows);
    rows_free(rows, nrows);
    modvirt_string_list_free(names);
    return r;
}

/* ---- nodedev-info ---- */

/* What nodedev-info shows; -1 or NULL where the daemon could not say. */
struct devinfo {
    char *parent;
    char **caps;
    char *path, *driver, *devnode;      /* from the XML */
    int active, persistent, autostart;
};

static void devinfo_clear(struct devinfo *d)
{
    free(d->parent);
    modvirt_string_list_free(d->caps);
    free(d->path);
    free(d->driver);
    free(d->devnode);
}

/* The text of the first node EXPR selects in DOC, or NULL. */
static char *xml_text(xmlXPathContextPtr ctx, const char *expr)
{
    xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    char *out = NULL;

    if (obj && obj->nodesetval && obj->nodesetval->nodeNr > 0) {
        xmlChar *s = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);

        out = s ? strdup((const char *)s) : NULL;
        xmlFree(s);
    }
    xmlXPathFreeObject(obj);
    return out;
}

/* Path, driver and device node from the device XML: the daemon has no
 * separate calls for them. */
static int devinfo_from_xml(const char *name, const char *xml, struct devinfo *d)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "nodedev.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlXPathContextPtr ctx;

    if (!doc) {
        cli_error("the XML of node device '%s' does not parse", name);
        return CLI_EXIT_FAILED;
    }
    ctx = xmlXPathNewContext(doc);
    if (ctx) {
        d->path = xml_text(ctx, "/device/path");
        d->driver = xml_text(ctx, "/device/driver/name");
        d->devnode = xml_text(ctx, "/device/devnode[@type='dev']");
    }
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return ctx ? CLI_EXIT_OK : cli_fail(-ENOMEM, NULL);
}

/* The result R of a query whose failure only leaves a fact unknown. */
static int optional(int r, modvirt_error **err)
{
    modvirt_error *e = *err;

    *err = NULL;
    if (r == -ENOTCONN)
        return cli_fail(r, e);
    modvirt_error_free(e);
    return CLI_EXIT_OK;
}

static int devinfo_get(modvirt_conn *conn, const char *name, struct devinfo *d)
{
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    int r;

    d->active = d->persistent = d->autostart = -1;
    /* the XML first: an unknown name fails here, with the daemon's words */
    r = modvirt_node_device_get_xml(conn, name, 0, &xml, &err);
    if (r == 0)
        r = modvirt_node_device_get_parent(conn, name, &d->parent, &err);
    if (r == 0)
        r = modvirt_node_device_list_caps(conn, name, &d->caps, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get node device '%s'", name);
    /* the state calls are newer (libvirt 7.8): a daemon without them only
     * leaves them unknown; a lost connection still stops */
    r = optional(modvirt_node_device_is_active(conn, name, &d->active, &err), &err);
    if (r == CLI_EXIT_OK)
        r = optional(modvirt_node_device_is_persistent(conn, name, &d->persistent, &err), &err);
    if (r == CLI_EXIT_OK)
        r = optional(modvirt_node_device_get_autostart(conn, name, &d->autostart, &err), &err);
    if (r != CLI_EXIT_OK)
        return r;
    return devinfo_from_xml(name, xml, d);
}

static const char *yes_no(int v)
{
    return v < 0 ? "unknown" : v ? "yes" : "no";
}

static json_object *json_bool_or_null(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v);
}

static int print_info(struct cli *cli, const char *name, const struct devinfo *d)
{
    json_object *o;

    if (!cli->json) {
        printf("%-15s %s\n", "Name:", name);
        printf("%-15s %s\n", "Parent:", d->parent ? d->parent : "-");
        printf("%-15s", "Capabilities:");
        for (size_t i = 0; d->caps && d->caps[i]; i++)
            printf(" %s", d->caps[i]);
        printf("\n%-15s %s\n", "Path:", d->path ? d->path : "-");
        printf("%-15s %s\n", "Driver:", d->driver ? d->driver : "-");
        if (d->devnode)
            printf("%-15s %s\n", "Device node:", d->devnode);
        printf("%-15s %s\n", "Active:", yes_no(d->active));
        printf("%-15s %s\n", "Persistent:", yes_no(d->persistent));
        printf("%-15s %s\n\n", "Autostart:", yes_no(d->autostart));
        return CLI_EXIT_OK;
    }
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "parent", json_string_or_null(d->parent));
    json_object_object_add(o, "capabilities", json_strings(d->caps));
    json_object_object_add(o, "path", json_string_or_null(d->path));
    json_object_object_add(o, "driver", json_string_or_null(d->driver));
    json_object_object_add(o, "devnode", json_string_or_null(d->devnode));
    json_object_object_add(o, "active", json_bool_or_null(d->active));
    json_object_object_add(o, "persistent", json_bool_or_null(d->persistent));
    json_object_object_add(o, "autostart", json_bool_or_null(d->autostart));
    return cli_json_print(o);
}

static int cmd_nodedev_info(struct cli *cli, const bool *set, char **args, int nargs)
{
    struct devinfo d = { 0 };
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = devinfo_get(conn, args[0], &d);
    if (r == CLI_EXIT_OK)
        r = print_info(cli, args[0], &d);
    devinfo_clear(&d);
    return r;
}

/* ---- nodedev-dumpxml ---- */

static int cmd_nodedev_dumpxml(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_node_device_get_xml(conn, args[0], 0, &xml, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to get the XML of node device '%s'", args[0]);
    return cli_print_xml(cli, xml);
}

/* ---- nodedev-detach, -reattach, -reset ---- */

/* Success: virsh's sentence and blank line, or {"name", "action"}. */
static int report(struct cli *cli, const char *name, const char *action, const char *done)
{
    json_object *o = NULL;

    if (cli->json) {
        o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "action", json_object_new_string(action));
        return cli_json_print(o);
    }
    printf("Device %s %s\n\n", name, done);
    return CLI_EXIT_OK;
}

static int cmd_nodedev_detach(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_node_device_detach(conn, args[0], set[0] ? cli->flag_arg[0] : NULL, 0, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to detach node device '%s'", args[0]);
    return report(cli, args[0], "detach", "detached");
}

static int cmd_nodedev_reattach(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_node_device_reattach(conn, args[0], &err);
    if (r < 0)
        return cli_failf(r, err, "failed to re-attach node device '%s'", args[0]);
    return report(cli, args[0], "reattach", "re-attached");
}

static int cmd_nodedev_reset(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_node_device_reset(conn, args[0], &err);
    if (r < 0)
        return cli_failf(r, err, "failed to reset node device '%s'", args[0]);
    return report(cli, args[0], "reset", "reset");
}

/* ---- nodedev-events ---- */

static void on_event(modvirt_conn *conn, const modvirt_node_device_event *ev, void *opaque)
{
    struct cli_listener *l = opaque;
    bool life = ev->event_id == MODVIRT_NODE_DEVICE_EVENT_ID_LIFECYCLE;
    const char *type = modvirt_node_device_event_type_name(ev->type);

    if (!cli_listener_wants(l))
        return;
    if (l->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "event", json_object_new_string(life ? "lifecycle" : "update"));
        json_object_object_add(o, "device", json_object_new_string(ev->name));
        if (life) {
            json_object_object_add(o, "type", json_object_new_string(type));
            json_object_object_add(o, "type_code", json_object_new_int(ev->type));
            json_object_object_add(o, "detail_code", json_object_new_int(ev->detail));
        }
        /* one object per line: no pretty printing */
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else if (life) {
        /* virsh nodedev-event's words: the name is not quoted */
        printf("event 'lifecycle' for node device %s: %s\n", ev->name, type);
    } else {
        printf("event 'update' for node device %s\n", ev->name);
    }
    cli_listener_shown(l);
}

static int register_nodedevs(modvirt_conn *conn, struct cli_listener *l, modvirt_error **err)
{
    return modvirt_node_device_events_register(conn, on_event, l, err);
}

static const struct cli_event_source nodedev_source = {
    "node device events", register_nodedevs, modvirt_node_device_events_deregister,
    modvirt_node_device_events_fd, modvirt_node_device_events_process,
};

static int cmd_nodedev_events(struct cli *cli, const bool *set, char **args, int nargs)
{
    return cli_listen_events(cli, &nodedev_source, set);
}

/* ---- the table ---- */

static const struct cli_flag list_flags[] = {
    { "cap", "only devices with one of these capabilities (comma-separated: pci,net,...)", "CAPS" },
    { "tree", "print the devices as a tree of parents and children", NULL },
    { "all", "also list defined devices that are not active (mdevs)", NULL },
    { "inactive", "list only defined devices that are not active", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag detach_flags[] = {
    { "driver", "the passthrough driver to bind (vfio)", "DRIVER" },
    { NULL, NULL, NULL },
};

#define EVENTS_HELP(cmd) \
    "Waits for node device lifecycle events (created, deleted, defined,\n" \
    "undefined) and update events and prints one line each, worded like\n" \
    "virsh nodedev-event:\n" \
    "  event 'lifecycle' for node device net_dummy0_..: Created\n" \
    "With --json, one JSON object per line.  Without --loop it stops after\n" \
    "the first event.  Exits 1 if no event came before the timeout or an\n" \
    "interrupt (as virsh nodedev-event does)." cmd

const struct cli_command cli_nodedev_commands[] = {
    { "nodedev-list", NULL, "list host devices (modvirt-nodedevd)",
      "Lists the host's devices by name, sorted, as virsh nodedev-list does;\n"
      "--cap keeps those with one of the given capabilities (system, pci,\n"
      "usb_device, usb, net, scsi_host, scsi_target, scsi, storage, fc_host,\n"
      "vports, scsi_generic, drm, mdev_types, mdev, ccw, css, vdpa, ...);\n"
      "--tree draws the parent/child tree in virsh's layout.  With --json:\n"
      "each device's name, parent and capabilities (a nested tree with --tree).",
      list_flags, 0, 0, cmd_nodedev_list },
    { "nodedev-info", "NAME", "basic facts about a host device",
      "Prints the device's name, parent, capabilities, sysfs path, driver,\n"
      "device node and whether it is active, persistent and autostarted.",
      NULL, 1, 1, cmd_nodedev_info },
    { "nodedev-dumpxml", "NAME", "the XML description of a host device",
      "Prints the device's XML in libvirt's node device format.",
      NULL, 1, 1, cmd_nodedev_dumpxml },
    { "nodedev-detach", "NAME", "detach a PCI device from its host driver",
      "Unbinds the PCI device from its host driver and binds it to vfio-pci\n"
      "for passthrough to a guest (virsh nodedev-detach).  The daemon refuses\n"
      "devices the host uses (a mounted disk's controller, an interface with\n"
      "addresses) and says why.",
      detach_flags, 1, 1, cmd_nodedev_detach },
    { "nodedev-reattach", "NAME", "give a detached PCI device back to its host driver",
      "Unbinds the PCI device from vfio-pci and lets the host driver it had\n"
      "before take it again (virsh nodedev-reattach).",
      NULL, 1, 1, cmd_nodedev_reattach },
    { "nodedev-reset", "NAME", "reset a detached PCI device",
      "Resets the PCI device (function or bus reset), as virsh nodedev-reset.",
      NULL, 1, 1, cmd_nodedev_reset },
    { "nodedev-events", NULL, "print node device lifecycle and update events",
      EVENTS_HELP(""), cli_events_flags, 0, 0, cmd_nodedev_events },
    { "nodedev-event", NULL, "the same as nodedev-events (virsh's name)",
      EVENTS_HELP("\nvirsh calls this command nodedev-event; both names work."),
      cli_events_flags, 0, 0, cmd_nodedev_events },
};
const size_t cli_nodedev_ncommands = MV_ARRAY_SIZE(cli_nodedev_commands);
