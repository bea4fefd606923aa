/*
 * Commands that add, remove and change a domain's devices: attach-device,
 * detach-device, detach-device-alias and update-device, with virsh's
 * --live / --config (neither: virsh's legacy call, the running domain).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"

#define DOM_HELP "DOM is a name, a UUID or an id; FILE a device's XML (<disk>, <interface>,\n" \
                 "<controller>), \"-\" for standard input."
#define AFFECT_HELP "\n--live changes the running domain, --config its definition; neither: the\n" \
                    "running domain."

static const struct cli_flag affect_flags[] = {
    { "live", "change the running domain", NULL },
    { "config", "change the definition", NULL },
    { NULL, NULL, NULL },
};

typedef int (*device_fn)(modvirt_domain *dom, const char *arg, unsigned int flags, modvirt_error **err);

/* Success: virsh's line; with --json {"name": ..., "action": ACTION}. */
static int done(struct cli *cli, modvirt_domain *dom, const char *action, const char *said)
{
    json_object *o;

    if (!cli->json) {
        printf("%s\n", said);
        return CLI_EXIT_OK;
    }
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(modvirt_domain_get_name(dom)));
    json_object_object_add(o, "action", json_object_new_string(action));
    return cli_json_print(o);
}

static int run(struct cli *cli, const bool *set, char **args, bool from_file, device_fn fn, const char *action,
               const char *said, const char *failed)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *xml = NULL;
    modvirt_error *err = NULL;
    unsigned int flags = (set[0] ? MODVIRT_DOMAIN_AFFECT_LIVE : 0) | (set[1] ? MODVIRT_DOMAIN_AFFECT_CONFIG : 0);
    int r;

    if (from_file && !(xml = cli_read_xml(args[1])))
        return CLI_EXIT_USAGE;
    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    if ((r = fn(dom, from_file ? xml : args[1], flags, &err)) < 0)
        return cli_failf(r, err, "%s domain '%s'", failed, modvirt_domain_get_name(dom));
    return done(cli, dom, action, said);
}

static int cmd_attach(struct cli *cli, const bool *set, char **args, int nargs)
{
    return run(cli, set, args, true, modvirt_domain_attach_device, "attach-device", "Device attached successfully",
               "failed to attach the device to");
}

static int cmd_detach(struct cli *cli, const bool *set, char **args, int nargs)
{
    return run(cli, set, args, true, modvirt_domain_detach_device, "detach-device", "Device detached successfully",
               "failed to detach the device from");
}

static int cmd_detach_alias(struct cli *cli, const bool *set, char **args, int nargs)
{
    return run(cli, set, args, false, modvirt_domain_detach_device_alias, "detach-device-alias",
               "Device detach request sent successfully", "failed to detach the device from");
}

static int cmd_update(struct cli *cli, const bool *set, char **args, int nargs)
{
    return run(cli, set, args, true, modvirt_domain_update_device, "update-device", "Device updated successfully",
               "failed to update the device of");
}

const struct cli_command cli_device_commands[] = {
    { "attach-device", "DOM FILE", "add a device to a domain",
      "Adds the device of FILE: a disk (file or volume; virtio or scsi), an\n"
      "interface (user, bridge, network) or a controller. " DOM_HELP AFFECT_HELP,
      affect_flags, 2, 2, cmd_attach },
    { "detach-device", "DOM FILE", "remove a device from a domain",
      "Removes the device FILE describes (a disk by target, an interface by MAC,\n"
      "a controller by type and index); a guest that keeps the device past the\n"
      "daemon's wait has it removed when it lets it go. " DOM_HELP AFFECT_HELP,
      affect_flags, 2, 2, cmd_detach },
    { "detach-device-alias", "DOM ALIAS", "remove a device by its alias",
      "Removes the device whose alias (as dumpxml shows it) is ALIAS. DOM is a\n"
      "name, a UUID or an id." AFFECT_HELP,
      affect_flags, 2, 2, cmd_detach_alias },
    { "update-device", "DOM FILE", "change a CD-ROM's medium",
      "Gives the CD-ROM FILE describes (by target) the medium FILE names, or\n"
      "none (eject). " DOM_HELP AFFECT_HELP,
      affect_flags, 2, 2, cmd_update },
};
const size_t cli_device_ncommands = MV_ARRAY_SIZE(cli_device_commands);
