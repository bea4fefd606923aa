/*
 * Commands that change a domain: define, undefine, start, destroy,
 * shutdown, reboot, reset, suspend, resume, autostart.  Each prints virsh's
 * message on success ("Domain 'vm1' started") and, on failure, what failed
 * and the daemon's reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* Success: virsh's sentence (and its blank line), or a JSON object naming
 * the domain and ACTION. */
static int report(struct cli *cli, modvirt_domain *dom, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int report(struct cli *cli, modvirt_domain *dom, const char *action, const char *fmt, ...)
{
    json_object *o = cli->json ? json_object_new_object() : NULL;
    va_list ap;
    int r;

    if (o) {
        int id = modvirt_domain_get_id(dom);
        char uuid[37];

        json_object_object_add(o, "name", json_object_new_string(modvirt_domain_get_name(dom)));
        json_object_object_add(o, "uuid", json_object_new_string(modvirt_domain_get_uuid_string(dom, uuid)));
        json_object_object_add(o, "id", id >= 0 ? json_object_new_int(id) : NULL);
    } else {
        printf("Domain '%s' ", modvirt_domain_get_name(dom));
    }
    va_start(ap, fmt);
    r = cli_vreport(o, action, "\n\n", fmt, ap);
    va_end(ap);
    return r;
}

/* ---- define ---- */

static int cmd_define(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ char *xml = cli_read_xml(args[0]);
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    int code, r;

    if (!xml)
        return CLI_EXIT_USAGE;
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_domain_define_xml(conn, xml, set[0] ? MODVIRT_DOMAIN_DEFINE_VALIDATE : 0, &dom, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to define domain from %s", args[0]);
    return report(cli, dom, "define", "defined from %s", args[0]);
}

/* ---- the one-domain actions ---- */

/* Looks up ARGS[0], runs FN on it; prints "failed to VERB domain 'X'" on
 * failure and "Domain 'X' DONE" on success. */
static int act(struct cli *cli, const char *key, int (*fn)(modvirt_domain *, unsigned int, modvirt_error **),
               unsigned int flags, const char *verb, const char *done)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, key, &dom);

    if (r != CLI_EXIT_OK)
        return r;
    r = fn(dom, flags, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %s domain '%s'", verb, modvirt_domain_get_name(dom));
    return report(cli, dom, verb, "%s", done);
}

static int undefine(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    return modvirt_domain_undefine(dom, flags, err);
}

static int suspend(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    return modvirt_domain_suspend(dom, err);
}

static int resume(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    return modvirt_domain_resume(dom, err);
}

static int reset(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    return modvirt_domain_reset(dom, err);
}

static int cmd_undefine(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], undefine, 0, "undefine", "has been undefined");
}

static int cmd_destroy(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_domain_destroy, 0, "destroy", "destroyed");
}

static int cmd_shutdown(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_domain_shutdown, 0, "shutdown", "is being shutdown");
}

static int cmd_reboot(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], modvirt_domain_reboot, 0, "reboot", "is being rebooted");
}

static int cmd_reset(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], reset, 0, "reset", "was reset");
}

static int cmd_suspend(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], suspend, 0, "suspend", "suspended");
}

static int cmd_resume(struct cli *cli, const bool *set, char **args, int nargs)
{
    return act(cli, args[0], resume, 0, "resume", "resumed");
}

/* ---- start ---- */

static int cmd_start(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_start(dom, set[0] ? MODVIRT_DOMAIN_START_PAUSED : 0, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to start domain '%s'", modvirt_domain_get_name(dom));
    r = report(cli, dom, "start", "started");
    if (r != CLI_EXIT_OK || !set[1])
        return r;
    /* the message must be out before the console takes over the terminal */
    fflush(stdout);
    return cli_console_attach(cli, dom, false);
}

/* ---- autostart ---- */

static int cmd_autostart(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    bool on = !set[0];
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_set_autostart(dom, on, &err);
    if (r < 0)
        return cli_failf(r, err, "failed to %smark domain '%s' as autostarted", on ? "" : "un",
                         modvirt_domain_get_name(dom));
    return report(cli, dom, on ? "autostart" : "no-autostart", "%smarked as autostarted",
                  on ? "" : "un");
}

static const struct cli_flag define_flags[] = {
    { "validate", "check the XML against the schema first", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag start_flags[] = {
    { "paused", "leave the guest's CPUs paused", NULL },
    { "console", "attach to the console once started", NULL },
    { NULL, NULL, NULL },
};

static const struct cli_flag autostart_flags[] = {
    { "disable", "do not start the domain with the daemon any more", NULL },
    { NULL, NULL, NULL },
};

#define DOM_HELP "DOM is a name, a UUID or an id."

const struct cli_command cli_lifecycle_commands[] = {
    { "define", "FILE", "define (or update) a domain from an XML file",
      "Defines a persistent domain from the XML in FILE (\"-\": standard input),\n"
      "or updates the definition of the domain with that name and UUID.",
      define_flags, 1, 1, cmd_define },
    { "undefine", "DOM", "remove a domain's persistent definition",
      "Removes the persistent definition; a running domain goes on running\n"
      "until it stops. " DOM_HELP,
      NULL, 1, 1, cmd_undefine },
    { "start", "DOM", "start a defined domain",
      "Starts a defined, inactive domain. " DOM_HELP,
      start_flags, 1, 1, cmd_start },
    { "destroy", "DOM", "power a domain off at once",
      "Stops the domain immediately, like pulling the plug. " DOM_HELP,
      NULL, 1, 1, cmd_destroy },
    { "shutdown", "DOM", "ask a domain's guest to shut down",
      "Asks the guest to power off (ACPI power button); returns before the\n"
      "guest is off. " DOM_HELP,
      NULL, 1, 1, cmd_shutdown },
    { "reboot", "DOM", "ask a domain's guest to reboot",
      "Asks the guest to reboot; returns before it has. " DOM_HELP,
      NULL, 1, 1, cmd_reboot },
    { "reset", "DOM", "reset a domain as the reset button would",
      "Resets the domain at once, without asking the guest. " DOM_HELP,
      NULL, 1, 1, cmd_reset },
    { "suspend", "DOM", "pause a running domain",
      "Pauses the domain's virtual CPUs; memory stays allocated. " DOM_HELP,
      NULL, 1, 1, cmd_suspend },
    { "resume", "DOM", "resume a paused domain",
      "Lets a paused domain run again. " DOM_HELP,
      NULL, 1, 1, cmd_resume },
    { "autostart", "DOM", "start a domain with the daemon (or stop doing so)",
      "Marks the domain to be started when the daemon starts; with --disable\n"
      "removes the mark. " DOM_HELP,
      autostart_flags, 1, 1, cmd_autostart },
};
const size_t cli_lifecycle_ncommands = MV_ARRAY_SIZE(cli_lifecycle_commands);
