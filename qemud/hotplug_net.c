/*
 * A hotplugged interface's host side (hotplug.h): for type network a port
 * from netd (network_port.h, as at start), for bridge and network a tap on
 * the bridge, handed to QEMU with "getfd" under the name "fd-ALIAS" that
 * the netdev then takes.  Taken back when the attach fails or the NIC goes.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "hotplug.h"
#include "log.h"
#include "network_port.h"
#include "qemud.h"
#include "tap.h"

static struct mv_dom_def view_of(const struct mv_dom_def *live, struct mv_dom_net *net)
{
    struct mv_dom_def view = { .name = live->name };

    memcpy(view.uuid, live->uuid, sizeof(view.uuid));
    view.devices.nets = net;
    view.devices.nnets = 1;
    return view;
}

static bool alias_taken(const struct mv_dom_def *def, const char *alias, size_t self)
{
    for (size_t i = 0; i < def->devices.nnets; i++)
        if (i != self && def->devices.nets[i].alias && strcmp(def->devices.nets[i].alias, alias) == 0)
            return true;
    return false;
}

int hotplug_net_alias(struct mv_dom_def *def, size_t i)
{
    struct mv_dom_net *net = &def->devices.nets[i];
    char alias[32];

    if (net->alias && strncmp(net->alias, "ua-", 3) == 0)
        return alias_taken(def, net->alias, i) ? -EEXIST : 0;
    for (unsigned n = 0;; n++) {
        snprintf(alias, sizeof(alias), "net%u", n);
        if (!alias_taken(def, alias, i))
            break;
    }
    free(net->alias);
    net->alias = strdup(alias);
    return net->alias ? 0 : -ENOMEM;
}

static int create_tap(struct hotplug_attach *a, struct mv_dom_net *net, struct mv_err *err)
{
    const char *bridge = net->type == MV_DOM_NET_NETWORK ? net->bridge : net->source;
    _cleanup_free_ char *msg = NULL;
    char *ifname = NULL;
    int fd, ifindex = 0;

    fd = mv_tap_create(net->ifname ? net->ifname : "vnet%d", net->mac, bridge, &ifname, &ifindex, &msg);
    if (fd < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot attach interface to domain '%s': %s", a->dom->name,
                          msg ? msg : strerror(-fd));
    free(net->ifname);
    net->ifname = ifname;
    net->ifindex = ifindex;
    a->tapfd = fd;
    return 0;
}

static int pass_tap(struct hotplug_attach *a, const struct mv_dom_net *net, struct mv_err *err)
{
    json_object *args = json_object_new_object();

    if (asprintf(&a->fd_name, "fd-%s", net->alias) < 0 || !args ||
        json_object_object_add(args, "fdname", json_object_new_string(a->fd_name)) < 0) {
        a->fd_name = NULL;
        json_object_put(args);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    return qemud_monitor_command_fd(a->dom, "getfd", args, a->tapfd, NULL, err);
}

int hotplug_net_prepare(struct hotplug_attach *a, struct mv_err *err)
{
    struct mv_dom_net *net = &a->live->devices.nets[a->index];
    struct mv_dom_def view = view_of(a->live, net);
    int r;

    if (net->type == MV_DOM_NET_USER)
        return 0;
    if (net->type == MV_DOM_NET_NETWORK) {
        if ((r = qemud_net_ports_plug(qemud.paths, &view, err)) < 0)
            return r;
        a->port = true;
    }
    if ((r = create_tap(a, net, err)) < 0)
        return r;
    return pass_tap(a, net, err);
}

static void drop_tap_and_port(const struct mv_dom_def *live, struct mv_dom_net *net, bool port)
{
    struct mv_dom_def view = view_of(live, net);

    if (net->type != MV_DOM_NET_USER && net->ifname && net->ifindex > 0)
        mv_tap_delete(net->ifname, net->ifindex);
    if (port && net->type == MV_DOM_NET_NETWORK)
        qemud_net_ports_unplug(qemud.paths, &view);
}

void hotplug_net_rollback(struct hotplug_attach *a)
{
    struct mv_dom_net *net = &a->live->devices.nets[a->index];

    if (a->fd_name && a->tapfd >= 0) {
        json_object *args = json_object_new_object();

        /* QEMU keeps a named fd the netdev did not take */
        if (args && json_object_object_add(args, "fdname", json_object_new_string(a->fd_name)) == 0)
            hotplug_qmp_try(a->dom, "closefd", args);
        else
            json_object_put(args);
    }
    if (a->tapfd >= 0)
        close(TAKE_FD(a->tapfd));
    drop_tap_and_port(a->live, net, a->port);
}

void hotplug_net_release(struct qemud_dom *dom, const struct mv_dom_net *net)
{
    struct mv_dom_net copy = *net;
    char id[80];
    json_object *args = json_object_new_object();

    snprintf(id, sizeof(id), "host%s", net->alias ? net->alias : "");
    if (args && json_object_object_add(args, "id", json_object_new_string(id)) == 0)
        hotplug_qmp_try(dom, "netdev_del", args);
    else
        json_object_put(args);
    /* the view borrows; nothing of COPY is freed */
    {
        struct mv_dom_def view = { .name = dom->name };

        memcpy(view.uuid, dom->uuid, sizeof(view.uuid));
        drop_tap_and_port(&view, &copy, true);
    }
}
