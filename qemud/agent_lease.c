/* Addresses and host names from netd's DHCP leases (agent_lease.h). */
#define MV_LOG_MODULE "qemud.lease"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_lease.h"
#include "cleanup.h"
#include "log.h"
#include "peer_conn.h"
#include "qemud.h"

/* A lease query is quick; this only ends a netd that stopped answering. */
#define LEASE_CALL_TIMEOUT_MS 30000

/* The leases of the interface with MAC on NETWORK (ret: xdr_free it). */
static int get_leases(struct qemud_peer *nc, const char *network, const char *mac,
                      mv_network_get_dhcp_leases_ret *ret, struct mv_err *err)
{
    mv_network_lookup_by_name_args largs = { .name = (char *)network };
    mv_network_ret net = { 0 };
    mv_network_get_dhcp_leases_args args = { .need_results = 1 };
    char *m = (char *)mac;
    int r;

    if ((r = qemud_peer_open(nc, err)) < 0 ||
        (r = qemud_peer_call(nc, MV_PROC_NETWORK_LOOKUP_BY_NAME, (xdrproc_t)xdr_mv_network_lookup_by_name_args,
                             &largs, (xdrproc_t)xdr_mv_network_ret, &net, err)) < 0)
        return r;
    args.net = net.net;
    args.mac = &m;
    r = qemud_peer_call(nc, MV_PROC_NETWORK_GET_DHCP_LEASES, (xdrproc_t)xdr_mv_network_get_dhcp_leases_args, &args,
                        (xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, ret, err);
    xdr_free((xdrproc_t)xdr_mv_network_ret, (char *)&net);
    return r;
}

/* DOM's live definition, referenced, or NULL with ERR (not running). */
static struct mv_dom_def *live_def(struct qemud_dom *dom, struct mv_err *err)
{
    struct mv_dom_def *live;

    pthread_mutex_lock(&dom->lock);
    live = dom->live && qemud_dom_is_active(dom) ? mv_dom_def_ref(dom->live) : NULL;
    pthread_mutex_unlock(&dom->lock);
    if (!live)
        mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                   "Requested operation is not valid: domain '%s' is not running", dom->name);
    return live;
}

static void format_mac(const unsigned char mac[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* One interface entry from LEASES (at least one). */
static int fill_iface(mv_domain_interface *iface, const struct mv_dom_net *net, const char *mac,
                      const mv_network_get_dhcp_leases_ret *leases)
{
    unsigned int n = leases->leases.leases_len;

    if (!(iface->name = strdup(net->ifname ? net->ifname : mac)) ||
        !(iface->hwaddr = calloc(1, sizeof(*iface->hwaddr))) || !(*iface->hwaddr = strdup(mac)) ||
        !(iface->addrs.addrs_val = calloc(n, sizeof(*iface->addrs.addrs_val))))
        return -ENOMEM;
    for (unsigned int i = 0; i < n && i < MV_DOMAIN_IP_ADDR_MAX; i++) {
        const mv_network_dhcp_lease *l = &leases->leases.leases_val[i];
        mv_domain_ip_addr *a = &iface->addrs.addrs_val[iface->addrs.addrs_len];

        a->type = l->type;
        a->prefix = l->prefix;
        if (!(a->addr = strdup(l->ipaddr)))
            return -ENOMEM;
        iface->addrs.addrs_len++;
    }
    return 0;
}

int qemud_lease_addresses(struct qemud_dom *dom, mv_domain_interface_addresses_ret *ret, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *live = live_def(dom, err);
    struct qemud_peer nc = { .paths = qemud.paths, .daemon = "netd", .uri = "network:///system",
                             .timeout_ms = LEASE_CALL_TIMEOUT_MS };
    size_t n;
    int r = 0;

    if (!live)
        return -EIO;
    n = live->devices.nnets;
    if (n && !(ret->ifaces.ifaces_val = calloc(n, sizeof(*ret->ifaces.ifaces_val))))
        return -ENOMEM;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];
        mv_network_get_dhcp_leases_ret leases = { 0 };
        char mac[18];

        if (net->type != MV_DOM_NET_NETWORK || !net->source)
            continue;
        format_mac(net->mac, mac);
        if ((r = get_leases(&nc, net->source, mac, &leases, err)) < 0)
            break;
        if (leases.leases.leases_len > 0 &&
            (r = fill_iface(&ret->ifaces.ifaces_val[ret->ifaces.ifaces_len++], net, mac, &leases)) < 0)
            mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
        xdr_free((xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, (char *)&leases);
    }
    qemud_peer_close(&nc);
    return r;
}

int qemud_lease_hostname(struct qemud_dom *dom, char **name, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *live = live_def(dom, err);
    struct qemud_peer nc = { .paths = qemud.paths, .daemon = "netd", .uri = "network:///system",
                             .timeout_ms = LEASE_CALL_TIMEOUT_MS };
    int r = 0;

    if (!live)
        return -EIO;
    *name = NULL;
    for (size_t i = 0; i < live->devices.nnets && r == 0 && !*name; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];
        mv_network_get_dhcp_leases_ret leases = { 0 };
        char mac[18];

        if (net->type != MV_DOM_NET_NETWORK || !net->source)
            continue;
        format_mac(net->mac, mac);
        if ((r = get_leases(&nc, net->source, mac, &leases, err)) < 0)
            break;
        for (unsigned int j = 0; j < leases.leases.leases_len && !*name; j++)
            if (leases.leases.leases_val[j].hostname && *leases.leases.leases_val[j].hostname &&
                !(*name = strdup(*leases.leases.leases_val[j].hostname)))
                r = -ENOMEM;
        xdr_free((xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, (char *)&leases);
    }
    qemud_peer_close(&nc);
    if (r < 0)
        return r;
    if (!*name)
        return mv_err_set(err, MV_ERR_NO_HOSTNAME, MV_FROM_QEMU,
                          "no hostname found: no DHCP lease of domain '%s' names one", dom->name);
    return 0;
}
