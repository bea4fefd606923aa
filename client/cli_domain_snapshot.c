/*
 * Snapshot commands: snapshot-create, snapshot-list, snapshot-dumpxml,
 * snapshot-current, snapshot-revert, snapshot-delete, with virsh's
 * messages ("Domain snapshot s1 created").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

static void cli_string_listp(char ***l) { modvirt_string_list_free(*l); }

/* Success: virsh's sentence, or JSON naming the domain, the snapshot and ACTION. */
static int report(struct cli *cli, modvirt_domain *dom, const char *snap, const char *action, const char *done)
{
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "domain", json_object_new_string(modvirt_domain_get_name(dom)));
        json_object_object_add(o, "snapshot", json_object_new_string(snap));
        json_object_object_add(o, "action", json_object_new_string(action));
        return cli_json_print(o);
    }
    printf("Domain snapshot %s %s\n\n", snap, done);
    return CLI_EXIT_OK;
}

/* S with XML's five special characters as entities (malloc'd). */
static char *xml_escape(const char *s)
{
    size_t len = 1;
    char *out, *o;

    for (const char *p = s; *p; p++)
        len += strchr("<>&'\"", *p) ? 6 : 1;
    if (!(o = out = malloc(len)))
        return NULL;
    for (const char *p = s; *p; p++) {
        const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '\'' ? "&apos;"
                        : *p == '"' ? "&quot;" : NULL;

        if (e)
            o = stpcpy(o, e);
        else
            *o++ = *p;
    }
    *o = '\0';
    return out;
}

/* <domainsnapshot> with NAME and DESCRIPTION (either may be NULL), escaped. */
static char *snapshot_xml(const char *name, const char *description)
{
    _cleanup_free_ char *n = NULL, *d = NULL;
    char *xml;

    if ((name && !(n = xml_escape(name))) || (description && !(d = xml_escape(description))))
        return NULL;
    if (asprintf(&xml, "<domainsnapshot>%s%s%s%s%s%s</domainsnapshot>", n ? "<name>" : "", n ? n : "",
                 n ? "</name>" : "", d ? "<description>" : "", d ? d : "", d ? "</description>" : "") < 0)
        return NULL;
    return xml;
}

static int cmd_create(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *xml = NULL, *name = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if (!(xml = snapshot_xml(nargs > 1 ? args[1] : NULL, set[1] ? cli->flag_arg[1] : NULL)))
        return cli_fail(-ENOMEM, NULL);
    r = modvirt_domain_snapshot_create(dom, xml, set[0] ? MODVIRT_SNAPSHOT_CREATE_DISK_ONLY : 0, &name, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to create a snapshot of domain '%s'", modvirt_domain_get_name(dom));
    return report(cli, dom, name, "create", "created");
}

static int cmd_list(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_(cli_string_listp) char **names = NULL;
    _cleanup_free_ char *cur = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_snapshot_list(dom, 0, &names, &err)) < 0)
        return cli_failf(r, err, "failed to list the snapshots of domain '%s'", modvirt_domain_get_name(dom));
    if (modvirt_domain_snapshot_current(dom, &cur, &err) < 0)
        modvirt_error_free(err);            /* none is current */
    if (cli->json) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; names[i]; i++) {
            json_object *o = json_object_new_object();

            json_object_object_add(o, "name", json_object_new_string(names[i]));
            json_object_object_add(o, "current", json_object_new_boolean(cur && strcmp(cur, names[i]) == 0));
            json_object_array_add(a, o);
        }
        return cli_json_print(a);
    }
    for (size_t i = 0; names[i]; i++)
        printf("%s%s\n", names[i], cur && strcmp(cur, names[i]) == 0 ? " (current)" : "");
    return CLI_EXIT_OK;
}

static int cmd_dumpxml(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_snapshot_get_xml(dom, args[1], 0, &xml, &err)) < 0)
        return cli_failf(r, err, "failed to get the XML of snapshot '%s' of domain '%s'", args[1],
                         modvirt_domain_get_name(dom));
    return cli_print_xml(cli, xml);
}

static int cmd_current(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *name = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_snapshot_current(dom, &name, &err)) < 0)
        return cli_failf(r, err, "domain '%s'", modvirt_domain_get_name(dom));
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "current", json_object_new_string(name));
        return cli_json_print(o);
    }
    printf("%s\n", name);
    return CLI_EXIT_OK;
}

static int cmd_revert(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned int flags = (set[0] ? MODVIRT_SNAPSHOT_REVERT_RUNNING : 0) | (set[1] ? MODVIRT_SNAPSHOT_REVERT_PAUSED : 0);
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_snapshot_revert(dom, args[1], flags, &err)) < 0)
        return cli_failf(r, err, "failed to revert domain '%s' to snapshot '%s'", modvirt_domain_get_name(dom),
                         args[1]);
    if (cli->json)
        return report(cli, dom, args[1], "revert", NULL);
    printf("Domain '%s' reverted to snapshot %s\n\n", modvirt_domain_get_name(dom), args[1]);
    return CLI_EXIT_OK;
}

static int cmd_delete(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned int flags = (set[0] ? MODVIRT_SNAPSHOT_DELETE_CHILDREN : 0) |
                         (set[1] ? MODVIRT_SNAPSHOT_DELETE_METADATA_ONLY : 0);
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_snapshot_delete(dom, args[1], flags, &err)) < 0)
        return cli_failf(r, err, "failed to delete snapshot '%s' of domain '%s'", args[1],
                         modvirt_domain_get_name(dom));
    return report(cli, dom, args[1], "delete", set[1] ? "metadata deleted" : "deleted");
}

static const struct cli_flag create_flags[] = {
    { "disk-only", "external qcow2 overlays of the disks only", NULL },
    { "description", "the snapshot's description", "TEXT" },
    { NULL, NULL, NULL },
};

static const struct cli_flag revert_flags[] = {
    { "running", "leave the domain running after the revert", NULL },
    { "paused", "leave the domain paused after the revert", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag delete_flags[] = {
    { "children", "delete the snapshot's descendants too", NULL },
    { "metadata", "delete only modvirt's metadata; the images keep the snapshot", NULL },
    { NULL, NULL, NULL },
};

#define DOM_HELP " DOM is a name, a UUID or an id."

const struct cli_command cli_snapshot_commands[] = {
    { "snapshot-create", "DOM [NAME]", "take a snapshot of a domain",
      "Takes an internal snapshot (qcow2 disks; the memory too while the domain\n"
      "runs), or with --disk-only external qcow2 overlays of the domain's disks.\n"
      "Without NAME the snapshot is named after the time." DOM_HELP,
      create_flags, 1, 2, cmd_create },
    { "snapshot-list", "DOM", "list a domain's snapshots",
      "Lists the snapshots, parents before children, marking the current one." DOM_HELP,
      NULL, 1, 1, cmd_list },
    { "snapshot-dumpxml", "DOM SNAPSHOT", "the XML description of a snapshot",
      "Prints the snapshot's <domainsnapshot> XML." DOM_HELP,
      NULL, 2, 2, cmd_dumpxml },
    { "snapshot-current", "DOM", "the name of a domain's current snapshot",
      "Prints the name of the snapshot last made or reverted to." DOM_HELP,
      NULL, 1, 1, cmd_current },
    { "snapshot-revert", "DOM SNAPSHOT", "return a domain to a snapshot",
      "Reverts the disks (and the memory of a snapshot taken while the domain\n"
      "ran, so that the guest continues from it)." DOM_HELP,
      revert_flags, 2, 2, cmd_revert },
    { "snapshot-delete", "DOM SNAPSHOT", "delete a snapshot",
      "Deletes the snapshot from the images and its metadata; its children\n"
      "move up to its parent unless --children deletes them too." DOM_HELP,
      delete_flags, 2, 2, cmd_delete },
};
const size_t cli_snapshot_ncommands = MV_ARRAY_SIZE(cli_snapshot_commands);
