/*
 * Network interfaces: the tap or user netdev and the NIC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

static const char *nic_device(const char *model)
{
    if (!model || streq(model, "rtl8139"))
        return "rtl8139";
    if (streq(model, "virtio"))
        return "virtio-net-pci";
    if (streq(model, "e1000"))
        return "e1000";
    if (streq(model, "e1000e"))
        return "e1000e";
    return NULL;
}

/* The netdev is named after the NIC's alias ("host" + "net0"), as in
 * libvirt: an index would name two netdevs alike once a NIC is unplugged
 * and another plugged (hotplug.h). */
static int build_netdev(struct cmd *c, const struct mv_dom_net *net, size_t i)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *fd_name = i < c->ctx->nnet_fd_names && c->ctx->net_fd_names ? c->ctx->net_fd_names[i] : NULL;
    int fd;

    if (net->type == MV_DOM_NET_USER) {
        opt_kv(&o, NULL, "user");
        opt_kv(&o, "id", "host%s", net->alias);
        return cmd_opt(c, "-netdev", &o);
    }
    fd = i < c->ctx->nnet_fds && c->ctx->net_fds ? c->ctx->net_fds[i] : -1;
    if (fd < 0 && !fd_name)
        return cmd_internal(c, "no tap device was opened for interface %zu of domain '%s'", i,
                        cmd_quote(c, c->def->name));
    opt_kv(&o, NULL, "tap");
    opt_kv(&o, "id", "host%s", net->alias);
    if (fd_name)
        opt_kv(&o, "fd", "%s", fd_name);
    else
        opt_kv(&o, "fd", "%d", fd);
    /* the hosts we run on have no vhost-net */
    opt_onoff(&o, "vhost", false);
    return cmd_opt(c, "-netdev", &o);
}

int build_net(struct cmd *c, size_t i)
{
    const struct mv_dom_net *net = &c->def->devices.nets[i];
    const unsigned char *m = net->mac;
    _cleanup_opt_ struct opt o = { 0 };
    const char *dev = nic_device(net->model);
    char what[64];
    int r;

    snprintf(what, sizeof(what), "interface %zu", i);
    if (!dev)
        return cmd_refuse(c, "%s: model '%s' is not supported (virtio, e1000, e1000e, rtl8139)",
                      what, cmd_quote(c, net->model));
    if ((unsigned int)net->type >= MV_DOM_NET_LAST)
        return cmd_refuse(c, "%s: type %d is not supported", what, (int)net->type);
    if (!net->alias)
        return opt_id(c, &o, net->alias, what);     /* names the missing alias */
    r = build_netdev(c, net, i);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "%s", dev);
    r = opt_pci_addr(c, &o, &net->addr, what);
    if (r < 0)
        return r;
    opt_kv(&o, "netdev", "host%s", net->alias);
    r = opt_id(c, &o, net->alias, what);
    if (r < 0)
        return r;
    opt_kv(&o, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    opt_bootindex(&o, net->boot_order);
    return cmd_opt(c, "-device", &o);
}
