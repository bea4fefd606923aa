/*
 * domstats: the statistics of some or all domains in one call, printed as
 * virsh domstats prints them ("Domain: 'vm1'" then "  key=value" lines),
 * or with --json as [{"name": ..., "stats": {key: value, ...}}, ...].
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

#define DOMS_MAX 64

/* VIR_CONNECT_GET_ALL_DOMAINS_STATS_* */
enum { L_ACTIVE = 1, L_INACTIVE = 2, L_RUNNING = 16, L_PAUSED = 32, L_SHUTOFF = 64 };
#define L_NOWAIT (1u << 29)
#define L_ENFORCE (1u << 31)

static const struct cli_flag domstats_flags[] = {
    { "stats", "only these groups: state,cpu-total,balloon,vcpu,interface,block", "GROUPS" },
    { "list-active", "only running or paused domains", NULL },
    { "list-inactive", "only shut-off domains", NULL },
    { "list-running", "only running domains", NULL },
    { "list-paused", "only paused domains", NULL },
    { "list-shutoff", "only shut-off domains", NULL },
    { "enforce", "fail if a group asked for is not supported", NULL },
    { "nowait", "leave out what a busy domain's QEMU would tell", NULL },
    { NULL, NULL, NULL },
};

/* The VIR_DOMAIN_STATS_* bits of a comma list of group names. */
static int groups_of(const char *list, unsigned int *groups)
{
    static const char *const names[] = { "state", "cpu-total", "balloon", "vcpu", "interface", "block",
                                         "perf", "iothread", "memory", "dirtyrate", "vm" };
    _cleanup_free_ char *copy = strdup(list);
    char *save = NULL;

    if (!copy)
        return CLI_EXIT_FAILED;
    *groups = 0;
    for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        size_t i = 0;

        while (i < MV_ARRAY_SIZE(names) && strcmp(names[i], g) != 0)
            i++;
        if (i == MV_ARRAY_SIZE(names)) {
            cli_error("unknown statistics group '%s' (state, cpu-total, balloon, vcpu, interface, block)", g);
            return CLI_EXIT_USAGE;
        }
        *groups |= 1u << i;
    }
    return CLI_EXIT_OK;
}

static int print_records(struct cli *cli, const modvirt_domain_stats *recs, size_t n)
{
    json_object *arr;

    if (!cli->json) {
        for (size_t i = 0; i < n; i++) {
            printf("Domain: '%s'\n", recs[i].name);
            for (size_t j = 0; j < recs[i].nstats; j++) {
                printf("  %s=", recs[i].stats[j].field);
                cli_stat_print(&recs[i].stats[j]);
                putchar('\n');
            }
            putchar('\n');
        }
        return CLI_EXIT_OK;
    }
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object(), *st = json_object_new_object();

        for (size_t j = 0; j < recs[i].nstats; j++)
            json_object_object_add(st, recs[i].stats[j].field, cli_stat_json(&recs[i].stats[j]));
        json_object_object_add(o, "name", json_object_new_string(recs[i].name));
        json_object_object_add(o, "stats", st);
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int cmd_domstats(struct cli *cli, const bool *set, char **args, int nargs)
{
    static const unsigned int list_bits[] = { L_ACTIVE, L_INACTIVE, L_RUNNING, L_PAUSED, L_SHUTOFF, L_ENFORCE,
                                              L_NOWAIT };
    modvirt_domain *doms[DOMS_MAX] = { 0 };
    modvirt_domain_stats *recs = NULL;
    modvirt_error *err = NULL;
    unsigned int groups = 0, flags = 0;
    size_t nrecs = 0;
    modvirt_conn *conn = NULL;
    int r = CLI_EXIT_OK;

    if (set[0] && (r = groups_of(cli->flag_arg[0], &groups)) != CLI_EXIT_OK)
        return r;
    for (size_t i = 0; i < MV_ARRAY_SIZE(list_bits); i++)
        if (set[i + 1])
            flags |= list_bits[i];
    for (int i = 0; i < nargs && r == CLI_EXIT_OK; i++)
        r = cli_domain_get(cli, args[i], &doms[i]);
    if (r == CLI_EXIT_OK && !(conn = cli_conn(cli, &r)))
        r = r != CLI_EXIT_OK ? r : CLI_EXIT_CONNECT;
    if (r == CLI_EXIT_OK) {
        int rc = modvirt_connect_get_all_domain_stats(conn, doms, (size_t)nargs, groups, flags, &recs, &nrecs,
                                                      &err);

        r = rc < 0 ? cli_failf(rc, err, "failed to get the domains' statistics") : print_records(cli, recs, nrecs);
    }
    modvirt_domain_stats_free(recs, nrecs);
    for (int i = 0; i < nargs; i++)
        modvirt_domain_free(doms[i]);
    return r;
}

const struct cli_command cli_stats_commands[] = {
    { "domstats", "[DOM...]", "show domain statistics",
      "Prints the statistics of the domains DOM (names, UUIDs or ids), or of\n"
      "every domain the --list-* options select, as virsh domstats does: the\n"
      "groups state, cpu-total, balloon, vcpu, interface and block (all of them\n"
      "unless --stats names some), one \"key=value\" line each.",
      domstats_flags, 0, DOMS_MAX, cmd_domstats },
};
const size_t cli_stats_ncommands = MV_ARRAY_SIZE(cli_stats_commands);
