/*
 * Commands that tune a domain: setvcpus, vcpupin, setmem, migrate-setspeed
 * and migrate-getspeed, with virsh's --live / --config (neither: the
 * domain's current state) and its messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

#define DOM_HELP "DOM is a name, a UUID or an id."
#define AFFECT_HELP "\n--live changes the running domain, --config its definition; neither: the\n" \
                    "running domain if it runs, else its definition."
/* the host CPUs a cpulist may name (libvirt's cpumap limit: 2048 bytes) */
#define CPUS_MAX (2048 * 8)

/* A decimal number ARG (no sign, no junk) into *OUT; else a usage error naming WHAT. */
static int number(const char *arg, const char *what, unsigned long long max, unsigned long long *out)
{
    char *end;

    errno = 0;
    *out = strtoull(arg, &end, 10);
    if (!arg[0] || *end || errno || arg[0] == '-' || *out > max) {
        cli_error("%s '%s' is not a number from 0 to %llu", what, arg, max);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* LIVE/CONFIG flags from the first two options. */
static unsigned int affect(const bool *set)
{
    return (set[0] ? MODVIRT_DOMAIN_AFFECT_LIVE : 0) | (set[1] ? MODVIRT_DOMAIN_AFFECT_CONFIG : 0);
}

/* Success: silence, as virsh's; with --json {"name": ..., "action": ACTION}. */
static int done(struct cli *cli, modvirt_domain *dom, const char *action)
{
    json_object *o;

    if (!cli->json)
        return CLI_EXIT_OK;
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(modvirt_domain_get_name(dom)));
    json_object_object_add(o, "action", json_object_new_string(action));
    return cli_json_print(o);
}

/* ---- setvcpus ---- */

static const struct cli_flag setvcpus_flags[] = {
    { "live", "plug or unplug vCPUs of the running domain", NULL },
    { "config", "change the definition", NULL },
    { "maximum", "change the maximum (with --config)", NULL },
    { NULL, NULL, NULL },
};

static int cmd_setvcpus(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned long long n;
    int r;

    if ((r = number(args[1], "vCPU count", 4096, &n)) != CLI_EXIT_OK ||
        (r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_set_vcpus(dom, (unsigned int)n, affect(set) | (set[2] ? MODVIRT_DOMAIN_AFFECT_MAXIMUM : 0),
                                 &err);
    if (r < 0)
        return cli_failf(r, err, "failed to set the vCPUs of domain '%s'", modvirt_domain_get_name(dom));
    return done(cli, dom, "setvcpus");
}

/* ---- vcpupin ---- */

/* "0-3,^2,8" into MAP (CPUS_MAX bits); *LEN the bytes up to the last CPU set. */
static int cpulist(const char *arg, unsigned char *map, size_t *len)
{
    _cleanup_free_ char *copy = strdup(arg);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    memset(map, 0, CPUS_MAX / 8);
    *len = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        bool neg = item[0] == '^';
        unsigned int a, b;
        int used = 0;

        if (sscanf(item + neg, "%u%n-%u%n", &a, &used, &b, &used) < 1 || item[neg + used])
            return -EINVAL;
        if (!strchr(item, '-'))
            b = a;
        if (a > b || b >= CPUS_MAX)
            return -EINVAL;
        for (unsigned int i = a; i <= b; i++) {
            if (neg)
                map[i / 8] &= (unsigned char)~(1u << (i % 8));
            else
                map[i / 8] |= (unsigned char)(1u << (i % 8));
        }
    }
    for (size_t i = 0; i < CPUS_MAX / 8; i++)
        if (map[i])
            *len = i + 1;
    return *len ? 0 : -EINVAL;
}

static const struct cli_flag vcpupin_flags[] = {
    { "live", "pin the running domain's vCPU thread", NULL },
    { "config", "change the definition", NULL },
    { NULL, NULL, NULL },
};

static int cmd_vcpupin(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    _cleanup_free_ unsigned char *map = calloc(1, CPUS_MAX / 8);
    modvirt_error *err = NULL;
    unsigned long long vcpu;
    size_t len;
    int r;

    if (!map)
        return CLI_EXIT_FAILED;
    if ((r = number(args[1], "vCPU", 4095, &vcpu)) != CLI_EXIT_OK)
        return r;
    if (cpulist(args[2], map, &len) < 0) {
        cli_error("'%s' is not a list of host CPUs (such as 0-3,^2,8)", args[2]);
        return CLI_EXIT_USAGE;
    }
    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_pin_vcpu(dom, (unsigned int)vcpu, map, len, affect(set), &err);
    if (r < 0)
        return cli_failf(r, err, "failed to pin vCPU %llu of domain '%s'", vcpu, modvirt_domain_get_name(dom));
    return done(cli, dom, "vcpupin");
}

/* ---- setmem ---- */

static const struct cli_flag setmem_flags[] = {
    { "live", "change the running domain's balloon target", NULL },
    { "config", "change the definition", NULL },
    { NULL, NULL, NULL },
};

static int cmd_setmem(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned long long kib;
    int r;

    if ((r = number(args[1], "memory (KiB)", 1ULL << 52, &kib)) != CLI_EXIT_OK ||
        (r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    r = modvirt_domain_set_memory(dom, kib, affect(set), &err);
    if (r < 0)
        return cli_failf(r, err, "failed to set the memory of domain '%s'", modvirt_domain_get_name(dom));
    return done(cli, dom, "setmem");
}

/* ---- migration speed ---- */

static int cmd_migrate_setspeed(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned long long mib;
    int r;

    if ((r = number(args[1], "bandwidth (MiB/s)", ~0ULL, &mib)) != CLI_EXIT_OK ||
        (r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_migrate_set_max_speed(dom, mib, &err)) < 0)
        return cli_failf(r, err, "failed to set the migration speed of domain '%s'", modvirt_domain_get_name(dom));
    return done(cli, dom, "migrate-setspeed");
}

static int cmd_migrate_getspeed(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned long long mib;
    int r;

    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_domain_migrate_get_max_speed(dom, &mib, &err)) < 0)
        return cli_failf(r, err, "failed to get the migration speed of domain '%s'", modvirt_domain_get_name(dom));
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(modvirt_domain_get_name(dom)));
        json_object_object_add(o, "bandwidth_mib", json_object_new_uint64(mib));
        return cli_json_print(o);
    }
    printf("%llu\n", mib);
    return CLI_EXIT_OK;
}

const struct cli_command cli_tuning_commands[] = {
    { "setvcpus", "DOM COUNT", "change the number of vCPUs",
      "Sets the vCPU count: live, vCPUs are plugged (up to <vcpu>'s maximum) or\n"
      "unplugged (only those plugged while running); --maximum --config changes\n"
      "the maximum. " DOM_HELP AFFECT_HELP,
      setvcpus_flags, 2, 2, cmd_setvcpus },
    { "vcpupin", "DOM VCPU CPULIST", "pin a vCPU to host CPUs",
      "Pins vCPU VCPU to the host CPUs of CPULIST (such as 0-3,^2,8). " DOM_HELP AFFECT_HELP,
      vcpupin_flags, 3, 3, cmd_vcpupin },
    { "setmem", "DOM KIB", "change the memory of a domain",
      "Sets the memory in KiB: live through the domain's virtio balloon, up to\n"
      "its maximum. " DOM_HELP AFFECT_HELP,
      setmem_flags, 2, 2, cmd_setmem },
    { "migrate-setspeed", "DOM MIB", "limit a running domain's migration bandwidth",
      "Sets the migration bandwidth limit of a running domain in MiB/s. " DOM_HELP,
      NULL, 2, 2, cmd_migrate_setspeed },
    { "migrate-getspeed", "DOM", "show a running domain's migration bandwidth limit",
      "Prints the migration bandwidth limit of a running domain in MiB/s. " DOM_HELP,
      NULL, 1, 1, cmd_migrate_getspeed },
};
const size_t cli_tuning_ncommands = MV_ARRAY_SIZE(cli_tuning_commands);
