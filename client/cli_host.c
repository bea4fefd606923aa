/*
 * Host commands: version, hostname, nodeinfo, capabilities.  Text output
 * follows virsh's labels so that habits and scripts carry over.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

/* Runs one string getter and prints its value, ending in exactly one
 * newline (or {KEY: value}). */
static int print_string(struct cli *cli, const char *key,
                        int (*get)(modvirt_conn *, char **, modvirt_error **))
{
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    _cleanup_free_ char *value = NULL;
    json_object *obj;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = get(conn, &value, &err);
    if (r < 0)
        return cli_fail(r, err);
    if (!cli->json) {
        size_t len = strlen(value);

        fputs(value, stdout);
        if (len == 0 || value[len - 1] != '\n')
            putchar('\n');
        return CLI_EXIT_OK;
    }
    obj = json_object_new_object();
    json_object_object_add(obj, key, json_object_new_string(value));
    return cli_json_print(obj);
}

static int cmd_hostname(struct cli *cli, const bool *set, char **args, int nargs)
{
    return print_string(cli, "hostname", modvirt_conn_get_hostname);
}

static int cmd_capabilities(struct cli *cli, const bool *set, char **args, int nargs)
{
    /* the XML as the daemon sent it, so that it can be piped to a parser */
    return print_string(cli, "capabilities", modvirt_conn_get_capabilities);
}

struct versions {
    uint64_t lib;
    uint64_t hv;
    char *type;
};

static int get_versions(modvirt_conn *conn, struct versions *v, modvirt_error **err)
{
    int r = modvirt_conn_get_lib_version(conn, &v->lib, err);

    if (r == 0)
        r = modvirt_conn_get_type(conn, &v->type, err);
    if (r == 0)
        r = modvirt_conn_get_version(conn, &v->hv, err);
    return r;
}

static int print_versions_json(const struct versions *v)
{
    json_object *obj = json_object_new_object(), *hv = json_object_new_object();
    char buf[32];

    json_object_object_add(obj, "client", json_object_new_string(modvirt_version()));
    json_object_object_add(obj, "daemon", json_object_new_string(cli_version_string(v->lib, buf, sizeof(buf))));
    json_object_object_add(obj, "daemon_number", json_object_new_uint64(v->lib));
    json_object_object_add(hv, "type", json_object_new_string(v->type));
    json_object_object_add(hv, "version", json_object_new_string(cli_version_string(v->hv, buf, sizeof(buf))));
    json_object_object_add(hv, "number", json_object_new_uint64(v->hv));
    json_object_object_add(obj, "hypervisor", hv);
    return cli_json_print(obj);
}

static int cmd_version(struct cli *cli, const bool *set, char **args, int nargs)
{
    struct versions v = { 0 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char buf[32];
    int code, r;

    /* like virsh, the client's own version comes first, whatever happens next */
    if (!cli->json) {
        printf("Client: modvirt %s\n", modvirt_version());
        fflush(stdout);
    }
    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = get_versions(conn, &v, &err);
    if (r < 0) {
        free(v.type);
        return cli_fail(r, err);
    }
    if (cli->json) {
        r = print_versions_json(&v);
    } else {
        printf("Running against daemon: %s\n", cli_version_string(v.lib, buf, sizeof(buf)));
        printf("Running hypervisor: %s %s\n", v.type, cli_version_string(v.hv, buf, sizeof(buf)));
        r = CLI_EXIT_OK;
    }
    free(v.type);
    return r;
}

static int print_nodeinfo_json(const modvirt_node_info *info)
{
    json_object *obj = json_object_new_object();

    json_object_object_add(obj, "cpu_model", json_object_new_string(info->model));
    json_object_object_add(obj, "cpus", json_object_new_int64(info->cpus));
    json_object_object_add(obj, "mhz", json_object_new_int64(info->mhz));
    json_object_object_add(obj, "sockets", json_object_new_int64(info->sockets));
    json_object_object_add(obj, "cores_per_socket", json_object_new_int64(info->cores));
    json_object_object_add(obj, "threads_per_core", json_object_new_int64(info->threads));
    json_object_object_add(obj, "numa_cells", json_object_new_int64(info->nodes));
    json_object_object_add(obj, "memory_kib", json_object_new_uint64(info->memory));
    return cli_json_print(obj);
}

static int cmd_nodeinfo(struct cli *cli, const bool *set, char **args, int nargs)
{
    modvirt_node_info info;
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    int code, r;

    if (!(conn = cli_conn(cli, &code)))
        return code;
    r = modvirt_node_get_info(conn, &info, &err);
    if (r < 0)
        return cli_fail(r, err);
    if (cli->json)
        return print_nodeinfo_json(&info);
    /* virsh nodeinfo's labels and layout; the frequency line only if known */
    printf("%-20s %s\n", "CPU model:", info.model);
    printf("%-20s %u\n", "CPU(s):", info.cpus);
    if (info.mhz)
        printf("%-20s %u MHz\n", "CPU frequency:", info.mhz);
    printf("%-20s %u\n", "CPU socket(s):", info.sockets);
    printf("%-20s %u\n", "Core(s) per socket:", info.cores);
    printf("%-20s %u\n", "Thread(s) per core:", info.threads);
    printf("%-20s %u\n", "NUMA cell(s):", info.nodes);
    printf("%-20s %llu KiB\n\n", "Memory size:", (unsigned long long)info.memory);
    return CLI_EXIT_OK;
}

const struct cli_command cli_host_commands[] = {
    { "version", NULL, "versions of this tool, the daemon and the hypervisor",
      "Prints the version of this tool, the libvirt API level the daemon\n"
      "implements and the hypervisor type and version (e.g. \"QEMU 7.2.0\").",
      NULL, 0, 0, cmd_version },
    { "hostname", NULL, "the host name of the daemon's machine",
      "Prints the host name of the machine the daemon runs on.",
      NULL, 0, 0, cmd_hostname },
    { "nodeinfo", NULL, "CPU, memory and topology of the host",
      "Prints the host's CPU model, CPU count and frequency, topology\n"
      "(sockets, cores, threads, NUMA cells) and memory, with virsh's labels.",
      NULL, 0, 0, cmd_nodeinfo },
    { "capabilities", NULL, "the host capabilities XML",
      "Prints the capabilities XML of the host: CPU, NUMA topology, and the\n"
      "guest architectures and machine types the hypervisor offers.",
      NULL, 0, 0, cmd_capabilities },
};
const size_t cli_host_ncommands = MV_ARRAY_SIZE(cli_host_commands);
