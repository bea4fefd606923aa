/*
 * What the guest agent (or netd's DHCP leases) tell of a domain:
 * domifaddr (as virsh domifaddr prints it: name, MAC address, protocol,
 * address/prefix) and guestinfo ("key : value" lines as virsh guestinfo),
 * or with --json [{"name", "hwaddr", "addrs": [{"type", "addr", "prefix"}]}]
 * and {key: value}.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_* */
enum { SRC_LEASE = 0, SRC_AGENT = 1 };

static const struct cli_flag domifaddr_flags[] = {
    { "source", "where the addresses come from: lease (netd's DHCP leases, the default) or agent", "SOURCE" },
    { NULL, NULL, NULL },
};

static int print_ifaces(struct cli *cli, const modvirt_domain_iface *ifs, size_t n)
{
    json_object *arr;

    if (!cli->json) {
        printf(" %-10s %-20s %-12s %s\n", "Name", "MAC address", "Protocol", "Address");
        printf("-------------------------------------------------------------------------------\n");
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < ifs[i].naddrs; j++)
                printf(" %-10s %-20s %-12s %s/%u\n", j ? "-" : ifs[i].name, j || !ifs[i].hwaddr ? "-" : ifs[i].hwaddr,
                       ifs[i].addrs[j].type ? "ipv6" : "ipv4", ifs[i].addrs[j].addr, ifs[i].addrs[j].prefix);
        putchar('\n');
        return CLI_EXIT_OK;
    }
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object(), *addrs = json_object_new_array();

        for (size_t j = 0; j < ifs[i].naddrs; j++) {
            json_object *a = json_object_new_object();

            json_object_object_add(a, "type", json_object_new_string(ifs[i].addrs[j].type ? "ipv6" : "ipv4"));
            json_object_object_add(a, "addr", json_object_new_string(ifs[i].addrs[j].addr));
            json_object_object_add(a, "prefix", json_object_new_int64(ifs[i].addrs[j].prefix));
            json_object_array_add(addrs, a);
        }
        json_object_object_add(o, "name", json_object_new_string(ifs[i].name));
        json_object_object_add(o, "hwaddr", ifs[i].hwaddr ? json_object_new_string(ifs[i].hwaddr) : NULL);
        json_object_object_add(o, "addrs", addrs);
        json_object_array_add(arr, o);
    }
    return cli_json_print(arr);
}

static int cmd_domifaddr(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_domain_iface *ifs = NULL;
    modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    unsigned int source = SRC_LEASE;
    size_t n = 0;
    int r, rc;

    if (set[0] && strcmp(cli->flag_arg[0], "agent") == 0)
        source = SRC_AGENT;
    else if (set[0] && strcmp(cli->flag_arg[0], "lease") != 0) {
        cli_error("unknown address source '%s' (lease or agent)", cli->flag_arg[0]);
        return CLI_EXIT_USAGE;
    }
    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    rc = modvirt_domain_interface_addresses(dom, source, &ifs, &n, &err);
    r = rc < 0 ? cli_failf(rc, err, "failed to get the addresses of domain '%s'", args[0]) : print_ifaces(cli, ifs, n);
    modvirt_domain_ifaces_free(ifs, n);
    modvirt_domain_free(dom);
    return r;
}

static int print_info(struct cli *cli, const modvirt_stat *p, size_t n)
{
    json_object *o;

    if (!cli->json) {
        for (size_t i = 0; i < n; i++) {
            printf("%-20s: ", p[i].field);
            cli_stat_print(&p[i]);
            putchar('\n');
        }
        return CLI_EXIT_OK;
    }
    o = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(o, p[i].field, cli_stat_json(&p[i]));
    return cli_json_print(o);
}

static int cmd_guestinfo(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_stat *params = NULL;
    modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    size_t n = 0;
    int r, rc;

    if ((r = cli_domain_get(cli, args[0], &dom)) != CLI_EXIT_OK)
        return r;
    rc = modvirt_domain_get_guest_info(dom, 0, &params, &n, &err);
    r = rc < 0 ? cli_failf(rc, err, "failed to get the guest information of domain '%s'", args[0])
               : print_info(cli, params, n);
    modvirt_guest_info_free(params, n);
    modvirt_domain_free(dom);
    return r;
}

const struct cli_command cli_agent_commands[] = {
    { "domifaddr", "DOM", "show a domain's IP addresses",
      "Prints the addresses of the interfaces of DOM as virsh domifaddr does:\n"
      "from the DHCP leases modvirt-netd gave its MAC addresses (--source\n"
      "lease, the default) or from the guest agent (--source agent).",
      domifaddr_flags, 1, 1, cmd_domifaddr },
    { "guestinfo", "DOM", "show what the guest agent tells of a domain",
      "Prints what the guest agent of DOM reports (users, OS, time zone,\n"
      "hostname, file systems, disks, interfaces), one \"key : value\" line\n"
      "each, as virsh guestinfo does.",
      NULL, 1, 1, cmd_guestinfo },
};
const size_t cli_agent_ncommands = MV_ARRAY_SIZE(cli_agent_commands);
