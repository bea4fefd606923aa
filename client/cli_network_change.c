/*
 * Commands that change a network: net-define, net-create, net-undefine,
 * net-start, net-destroy, net-autostart, net-update.  Each prints virsh's
 * message on success ("Network n1 started") and, on failure, what failed
 * and the daemon's reason.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* Success: virsh's sentence (FMT, and the blank line virsh prints after
 * all but net-update's), or a JSON object naming the network and ACTION. */
static int report(struct cli *cli, modvirt_network *net, const char *action, bool blank,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int report(struct cli *cli, modvirt_network *net, const char *action, bool blank,
                  const char *fmt, ...)
{
    json_object *o = cli->json ? json_object_new_object() : NULL;
    va_list ap;
    int r;

    if (o) {
        char uuid[37];

        json_object_object_add(o, "name", json_object_new_string(modvirt_network_get_name(net)));
        json_object_object_add(o, "uuid", json_object_new_string(
            modvirt_network_get_uuid_string(net, uuid)));
    }
    va_start(ap, fmt);
    r = cli_vreport(o, action, blank ? "\n\n" : "\n", fmt, ap);
    va_end(ap);
    return r;
}

/* ---- net-define, net-create ---- */

typedef int (*from_xml_fn)(modvirt_conn *, const char *, unsigned int, modvirt_network **,
                           modvirt_error **);

static int from_file(struct cli *cli, const char *path, from_xml_fn fn, unsigned int flags,
                     const char *verb, const char *done)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    _cleanup_free_ char *xml = cli_read_xml(path);
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!xml)
        return CLI_EXIT_USAGE;
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = fn(conn, xml, flags, &net, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %s network from %s", verb, path);
    return report(cli, net, verb, true, "Network %s %s from %s", modvirt_network_get_name(net),
                  done, path);
}

static int cmd_net_define(struct cli *cli, const bool *set, char **args, int nargs)
{
    return from_file(cli, args[0], modvirt_network_define_xml,
                     set[0] ? MODVIRT_NETWORK_DEFINE_VALIDATE : 0, "define",
                     "defined");
}

static int cmd_net_create(struct cli *cli, const bool *set, char **args, int nargs)
{
    return from_file(cli, args[0], modvirt_network_create_xml,
                     set[0] ? MODVIRT_NETWORK_DEFINE_VALIDATE : 0, "create",
                     "created");
}

/* ---- the one-network actions ---- */

/* Looks up KEY and runs FN on it; prints "failed to VERB network 'X'" on
 * failure and "Network X DONE" on success. */
static int act(struct cli *cli, const char *key, int (*fn)(modvirt_network *, modvirt_error **),
               const char *verb, const char *done)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    modvirt_error *err = NULL;
    int r = cli_network_get(cli, key, &net);

    if (r != CLI_EXIT_OK)
        return r;
    r = fn(net, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %s network '%s'", verb, modvirt_network_get_name(net));
    return report(cli, net, verb, true, "Network %s %s", modvirt_network_get_name(net), done);
}

static int cmd_net_undefine(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_network_undefine, "undefine", "has been undefined");
}

static int cmd_net_start(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_network_start, "start", "started");
}

static int cmd_net_destroy(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_network_destroy, "destroy", "destroyed");
}

/* ---- net-autostart ---- */

static int cmd_net_autostart(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    modvirt_error *err = NULL;
    bool on = !set[0];
    int r = cli_network_get(cli, args[0], &net);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_network_set_autostart(net, on, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %smark network '%s' as autostarted", on ? "" : "un",
                         modvirt_network_get_name(net));
    return report(cli, net, on ? "autostart" : "no-autostart", true,
                  "Network %s %s as autostarted", modvirt_network_get_name(net),
                  on ? "marked" : "unmarked");
}

/* ---- net-update ---- */

/* The update's target from --live (SET[0]), --config (SET[1]), --current
 * (SET[2]) into *FLAGS; -1 after printing why if they contradict. */
static int update_flags(const bool *set, unsigned int *flags)
{
    if (set[2] && (set[0] || set[1])) {
        cli_error("--current cannot be combined with --live or --config");
        return -1;
    }
    *flags = (set[0] ? MODVIRT_NETWORK_UPDATE_AFFECT_LIVE : 0) |
             (set[1] ? MODVIRT_NETWORK_UPDATE_AFFECT_CONFIG : 0);
    return 0;
}

/* --parent-index N: an <ip> element's index, or -1 (the default) for the
 * first that fits. */
static int parent_index(const char *s, int *out)
{
    char *end;
    long v;

    if (!s) {
        *out = -1;
        return 0;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -1 || v > INT_MAX) {
        cli_error("--parent-index wants a number from -1 up, not '%s'", s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* COMMAND and SECTION words into their values; -1 after printing why. */
static int update_words(const char *command, const char *section, int *cmd, int *sec)
{
    *cmd = modvirt_network_update_command_from_name(command);
    if (*cmd < 0) {
        cli_error("unknown net-update command '%s' (add, add-first, add-last, delete, modify)",
                  command);
        return -1;
    }
    *sec = modvirt_network_update_section_from_name(section);
    if (*sec < 0) {
        cli_error("unknown net-update section '%s' (bridge, domain, ip, ip-dhcp-host, "
                  "ip-dhcp-range, forward, forward-interface, forward-pf, portgroup, "
                  "dns-host, dns-txt, dns-srv)", section);
        return -1;
    }
    return 0;
}

/* Where the update went, in virsh's words: FLAGS as sent, and whether the
 * network runs when they left it to the daemon (--current). */
static const char *update_target(modvirt_network *net, unsigned int flags)
{
    modvirt_error *err = NULL;
    int active = 0;

    if (flags & MODVIRT_NETWORK_UPDATE_AFFECT_CONFIG)
        return flags & MODVIRT_NETWORK_UPDATE_AFFECT_LIVE ? "persistent config and live state"
                                                          : "persistent config";
    if (flags & MODVIRT_NETWORK_UPDATE_AFFECT_LIVE)
        return "live state";
    if (modvirt_network_is_active(net, &active, &err) < 0)
        modvirt_error_free(err);
    return active ? "live state" : "persistent config";
}

static int cmd_net_update(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_network_freep) modvirt_network *net = NULL;
    _cleanup_free_ char *file_xml = NULL;
    modvirt_error *err = NULL;
    unsigned int flags;
    int cmd, sec, index, r;

    if (update_flags(set, &flags) < 0 ||
        parent_index(set[3] ? cli->flag_arg[3] : NULL, &index) < 0 ||
        update_words(args[1], args[2], &cmd, &sec) < 0)
        return CLI_EXIT_USAGE;
    /* like virsh: an argument that starts with '<' is the XML, else a file */
    if (args[3][0] != '<' && !(file_xml = cli_read_xml(args[3])))
        return CLI_EXIT_USAGE;
    r = cli_network_get(cli, args[0], &net);
    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_network_update(net, (unsigned int)cmd, (unsigned int)sec, index,
                               file_xml ? file_xml : args[3], flags, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to update network '%s'", modvirt_network_get_name(net));
    return report(cli, net, "update", false, "Updated network %s %s",
                  modvirt_network_get_name(net), update_target(net, flags));
}

static const struct cli_flag define_flags[] = {
    { "validate", "check the XML against the schema first", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag autostart_flags[] = {
    { "disable", "do not start the network with the daemon any more", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag update_flag_list[] = {
    { "live", "change the running network", NULL },
    { "config", "change the persistent definition", NULL },
    { "current", "change the running network if it runs, else the definition (default)", NULL },
    { "parent-index", "the <ip> element (counted from 0) an ip-* section belongs to", "N" },
    { NULL, NULL, NULL },
};

#define NET_HELP "NET is a name or a UUID."

const struct cli_command cli_network_change_commands[] = {
    { "net-define", "FILE", "define (or update) a network from an XML file",
      "Defines a persistent, inactive network from the XML in FILE (\"-\":\n"
      "standard input), or updates the definition of the network with that\n"
      "name and UUID.",
      define_flags, 1, 1, cmd_net_define },
    { "net-create", "FILE", "create and start a transient network from an XML file",
      "Starts a network from the XML in FILE (\"-\": standard input) without\n"
      "keeping a definition: once destroyed it is gone.",
      define_flags, 1, 1, cmd_net_create },
    { "net-undefine", "NET", "remove a network's persistent definition",
      "Removes the persistent definition; a running network goes on running\n"
      "until it is destroyed. " NET_HELP,
      NULL, 1, 1, cmd_net_undefine },
    { "net-start", "NET", "start a defined network",
      "Starts a defined, inactive network: its bridge, DHCP/DNS server and\n"
      "firewall rules. " NET_HELP,
      NULL, 1, 1, cmd_net_start },
    { "net-destroy", "NET", "stop a running network",
      "Stops the network and removes its bridge, DHCP/DNS server and firewall\n"
      "rules; a transient network is gone afterwards. " NET_HELP,
      NULL, 1, 1, cmd_net_destroy },
    { "net-autostart", "NET", "start a network with the daemon (or stop doing so)",
      "Marks the network to be started when the daemon starts; with --disable\n"
      "removes the mark. " NET_HELP,
      autostart_flags, 1, 1, cmd_net_autostart },
    { "net-update", "NET COMMAND SECTION XML", "change one part of a network in place",
      "Changes one SECTION of the network: COMMAND is add (= add-last),\n"
      "add-first, add-last, delete or modify; SECTION is ip-dhcp-host,\n"
      "dns-host, ... as for virsh net-update; XML is the element itself if it\n"
      "starts with '<', else a file holding it. " NET_HELP,
      update_flag_list, 4, 4, cmd_net_update },
};
const size_t cli_network_change_ncommands = MV_ARRAY_SIZE(cli_network_change_commands);
