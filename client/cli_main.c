/*
 * modvirt [-c URI] [-r] [--json] COMMAND [ARGS]: global options, the
 * command tables of the cli_*.c files, per-command option parsing and help.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "rpc/error_codes.h"

struct command_group {
    const struct cli_command *cmds;
    const size_t *n;
};

static const struct command_group groups[] = {
    { cli_host_commands, &cli_host_ncommands },
    { cli_domain_commands, &cli_domain_ncommands },
    { cli_lifecycle_commands, &cli_lifecycle_ncommands },
    { cli_qemu_commands, &cli_qemu_ncommands },
    { cli_tuning_commands, &cli_tuning_ncommands },
    { cli_device_commands, &cli_device_ncommands },
    { cli_stats_commands, &cli_stats_ncommands },
    { cli_agent_commands, &cli_agent_ncommands },
    { cli_snapshot_commands, &cli_snapshot_ncommands },
    { cli_console_commands, &cli_console_ncommands },
    { cli_events_commands, &cli_events_ncommands },
    { cli_network_commands, &cli_network_ncommands },
    { cli_network_change_commands, &cli_network_change_ncommands },
    { cli_pool_commands, &cli_pool_ncommands },
    { cli_vol_commands, &cli_vol_ncommands },
    { cli_vol_job_commands, &cli_vol_job_ncommands },
    { cli_vol_transfer_commands, &cli_vol_transfer_ncommands },
    { cli_nodedev_commands, &cli_nodedev_ncommands },
};

static const char exit_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed (the daemon reported an error; for events: no\n"
    "     event came)\n"
    "  2  usage error (unknown command or option, bad argument, bad URI)\n"
    "  3  cannot connect (daemon not running, socket refused, access denied,\n"
    "     connection lost)\n";

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: modvirt [-c URI] [-r|--readonly] [--json] COMMAND [ARGS]\n"
            "       modvirt COMMAND --help\n"
            "\n"
            "Talks to the modvirt daemons (modvirt-qemud and friends).\n"
            "\n"
            "Options:\n"
            "  -c, --connect URI  connect to URI (default: $MODVIRT_DEFAULT_URI, else\n"
            "                     qemu:///system); ?socket=PATH and ?root=DIR are understood\n"
            "  -r, --readonly     use the read-only sockets\n"
            "      --json         print machine-readable JSON\n"
            "  -h, --help         show this help\n"
            "  -V, --version      print the version of this tool\n"
            "\n"
            "Commands:\n");
    for (size_t g = 0; g < MV_ARRAY_SIZE(groups); g++)
        for (size_t i = 0; i < *groups[g].n; i++)
            fprintf(out, "  %-16s %s\n", groups[g].cmds[i].name, groups[g].cmds[i].summary);
    fprintf(out, "\n%s", exit_help);
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t g = 0; g < MV_ARRAY_SIZE(groups); g++)
        for (size_t i = 0; i < *groups[g].n; i++)
            if (strcmp(groups[g].cmds[i].name, name) == 0)
                return &groups[g].cmds[i];
    return NULL;
}

static size_t count_flags(const struct cli_command *cmd)
{
    size_t n = 0;

    while (cmd->flags && cmd->flags[n].name)
        n++;
    return n;
}

/* "timeout SECONDS" for an option with an argument, else its name. */
static const char *flag_label(const struct cli_flag *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    return buf;
}

static void command_help(const struct cli_command *cmd)
{
    size_t nflags = count_flags(cmd);
    int width = 12;
    char label[64];

    printf("Usage: modvirt [-c URI] [-r] [--json] %s", cmd->name);
    for (size_t i = 0; i < nflags; i++) {
        int len = (int)strlen(flag_label(&cmd->flags[i], label, sizeof(label)));

        printf(" [--%s]", label);
        if (len > width)
            width = len;
    }
    printf("%s%s\n\n%s\n\nOptions:\n", cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->help);
    for (size_t i = 0; i < nflags; i++)
        printf("  --%-*s %s\n", width, flag_label(&cmd->flags[i], label, sizeof(label)),
               cmd->flags[i].help);
    printf("  --%-*s %s\n  --%-*s %s\n\n%s", width, "json", "print machine-readable JSON",
           width, "help", "show this help", exit_help);
}

modvirt_conn *cli_conn(struct cli *cli, int *exit_code)
{
    modvirt_error *err = NULL;

    if (cli->conn)
        return cli->conn;
    cli->conn = modvirt_conn_open(cli->uri, cli->open_flags, &err);
    if (!cli->conn) {
        /* a URI we do not accept is a usage error; anything else is connecting */
        *exit_code = err && err->code == MV_ERR_INVALID_ARG ? CLI_EXIT_USAGE : CLI_EXIT_CONNECT;
        cli_error("%s", err && err->message ? err->message : "cannot open the connection");
        modvirt_error_free(err);
    }
    return cli->conn;
}

enum { OPT_HELP = 256, OPT_JSON, OPT_FLAG0 };

/* Parses the options of CMD and runs it. */
static int run_command(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct option opts[CLI_FLAGS_MAX + 3];
    bool set[CLI_FLAGS_MAX] = { false };
    size_t nflags = count_flags(cmd), n = 0;
    int c, nargs;

    for (size_t i = 0; i < nflags && i < CLI_FLAGS_MAX; i++)
        opts[n++] = (struct option){ cmd->flags[i].name,
                                     cmd->flags[i].arg ? required_argument : no_argument,
                                     NULL, OPT_FLAG0 + (int)i };
    opts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
    opts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
    opts[n] = (struct option){ 0 };
    optind = 0;     /* restart getopt for the command's own arguments */
    opterr = 0;
    /* leading ':' reports a missing option argument as ':', not '?' */
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h' || c == OPT_HELP) {
            command_help(cmd);
            return CLI_EXIT_OK;
        } else if (c == OPT_JSON) {
            cli->json = true;
        } else if (c >= OPT_FLAG0) {
            set[c - OPT_FLAG0] = true;
            cli->flag_arg[c - OPT_FLAG0] = optarg;
        } else if (c == ':') {
            cli_error("option '%s' of '%s' needs an argument (see 'modvirt %s --help')",
                      argv[optind - 1], cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        } else {
            cli_error("unknown option '%s' for '%s' (see 'modvirt %s --help')",
                      argv[optind - 1], cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
    }
    nargs = argc - optind;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        if (cmd->max_args == 0)
            cli_error("'%s' takes no arguments (see 'modvirt %s --help')", cmd->name, cmd->name);
        else
            cli_error("'%s' takes %d to %d arguments, not %d (see 'modvirt %s --help')",
                      cmd->name, cmd->min_args, cmd->max_args, nargs, cmd->name);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(cli, set, argv + optind, nargs);
}

/* Global options; returns -1 to go on with the command at argv[optind]. */
static int parse_global(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        { "connect", required_argument, NULL, 'c' },
        { "readonly", no_argument, NULL, 'r' },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { 0 },
    };
    int c;

    opterr = 0;
    /* '+': stop at the command name, its options are its own */
    while ((c = getopt_long(argc, argv, "+c:rhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cli->uri = optarg; break;
        case 'r': cli->open_flags |= MODVIRT_CONN_READONLY; break;
        case OPT_JSON: cli->json = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': printf("modvirt %s\n", PACKAGE_VERSION); return CLI_EXIT_OK;
        default:
            cli_error("%s '%s' (see 'modvirt --help')",
                      optopt == 'c' ? "missing URI after" : "unknown option", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct cli cli = { 0 };
    const struct cli_command *cmd;
    int r = parse_global(&cli, argc, argv);

    if (r >= 0)
        return r;
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    cmd = find_command(argv[optind]);
    if (!cmd) {
        cli_error("unknown command '%s' (see 'modvirt --help')", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    r = run_command(&cli, cmd, argc - optind, argv + optind);
    modvirt_conn_close(cli.conn);
    if (fflush(stdout) != 0 && r == CLI_EXIT_OK)
        r = CLI_EXIT_FAILED;    /* e.g. stdout is a full disk or a closed pipe */
    return r;
}
