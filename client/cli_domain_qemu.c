/*
 * qemu-monitor-command: a command on a domain's QEMU monitor, as virsh
 * qemu-monitor-command sends it.  QMP output is QEMU's reply as it came
 * (one line), or indented with --pretty; --hmp sends HMP text and prints
 * its answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* The words of the command, joined by spaces as virsh joins them. */
static char *join(char **args, int nargs)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < nargs; i++)
        len += strlen(args[i]) + 1;
    if (!(s = calloc(1, len)))
        return NULL;
    for (int i = 0; i < nargs; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, args[i]);
    }
    return s;
}

static int print_result(const char *result, bool hmp, bool pretty)
{
    json_object *o;

    if (hmp || !pretty) {
        fputs(result, stdout);
        if (!*result || result[strlen(result) - 1] != '\n')
            putchar('\n');
        return CLI_EXIT_OK;
    }
    if (!(o = json_tokener_parse(result))) {
        cli_error("QEMU's reply is no JSON: %s", result);
        return CLI_EXIT_FAILED;
    }
    return cli_json_print(o);
}

static int cmd_qemu_monitor_command(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *cmd = join(args + 1, nargs - 1);
    _cleanup_free_ char *result = NULL;
    modvirt_error *err = NULL;
    int r;

    if (!cmd)
        return cli_failf(-ENOMEM, NULL, "cannot run a monitor command");
    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_qemu_monitor_command(dom, cmd, set[0] ? MODVIRT_DOMAIN_QEMU_MONITOR_COMMAND_HMP : 0,
                                            &result, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to run a monitor command on domain '%s'", modvirt_domain_get_name(dom));
    return print_result(result, set[0], set[1] || cli->json);
}

static const struct cli_flag qemu_monitor_command_flags[] = {
    { "hmp", "the command is HMP text (human-monitor-command)", NULL },
    { "pretty", "indent QEMU's JSON reply", NULL },
    { NULL, NULL, NULL },
};

const struct cli_command cli_qemu_commands[] = {
    { "qemu-monitor-command", "DOM CMD...", "run a command on a domain's QEMU monitor",
      "Sends CMD (its words joined by spaces) to the running domain's QEMU\n"
      "monitor as virsh qemu-monitor-command does: a QMP command as JSON,\n"
      "'{\"execute\":\"query-status\"}', whose reply QEMU's own JSON prints, an\n"
      "error QEMU gives included; with --hmp, HMP text such as 'info status'.\n"
      "DOM is a name, a UUID or an id.",
      qemu_monitor_command_flags, 2, 64, cmd_qemu_monitor_command },
};
const size_t cli_qemu_ncommands = MV_ARRAY_SIZE(cli_qemu_commands);
