/* A run's network interfaces: taps created at start (on the bridge of the
 * port netd gave a network interface), put back on their bridges after a
 * re-attach, and released with the ports and display ports at the end. */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "display_ports.h"
#include "hostdev_claims.h"
#include "domain_process_priv.h"
#include "log.h"
#include "network_port.h"
#include "qemud.h"
#include "tap.h"

/* The taps first (the guest's link goes down), then the network ports. */
void qemud_process_release_interfaces(const struct mv_dom_def *live)
{
    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];

        /* by the ifindex it had: a concurrent start may have reused the name */
        if (net->type != MV_DOM_NET_USER && net->ifname && net->ifindex > 0)
            mv_tap_delete(net->ifname, net->ifindex);
    }
    if (qemud_net_ports_needed(live))
        qemud_net_ports_unplug(qemud.paths, live);
    qemud_display_release(live);
    qemud_hostdevs_release(live);
}

/* Creates a tap per bridge or network interface (on the bridge of the port
 * netd gave it); FDS[i] is -1 for the others. */
int qemud_process_create_taps(const char *name, struct mv_dom_def *live, int *fds, struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.nnets; i++) {
        struct mv_dom_net *net = &live->devices.nets[i];
        _cleanup_free_ char *msg = NULL;
        char *ifname = NULL;
        int fd, ifindex = 0;

        fds[i] = -1;
        if (net->type == MV_DOM_NET_USER)
            continue;
        fd = mv_tap_create(net->ifname ? net->ifname : "vnet%d", net->mac,
                           net->type == MV_DOM_NET_NETWORK ? net->bridge : net->source, &ifname, &ifindex, &msg);
        if (fd < 0)
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: cannot start domain '%s': %s", name,
                              msg ? msg : strerror(-fd));
        free(net->ifname);
        net->ifname = ifname;
        net->ifindex = ifindex;
        fds[i] = fd;
    }
    return 0;
}

/* A re-attached guest's taps back on their bridges: a bridge deleted and
 * made anew while qemud was away (its network restarted) lost them. */
void qemud_process_reattach_taps(const char *name, const struct mv_dom_def *live)
{
    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];
        const char *bridge = net->type == MV_DOM_NET_NETWORK ? net->bridge : net->source;
        _cleanup_free_ char *msg = NULL;
        int r;

        if (net->type == MV_DOM_NET_USER || !net->ifname || net->ifindex <= 0 || !bridge)
            continue;
        r = mv_tap_reattach(net->ifname, net->ifindex, bridge, &msg);
        if (r > 0)
            mv_info("domain '%s': tap '%s' put back on bridge '%s'", name, net->ifname, bridge);
        else if (r < 0)
            mv_warn("domain '%s': %s", name, msg ? msg : strerror(-r));
    }
}
