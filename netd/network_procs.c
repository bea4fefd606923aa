/*
 * Network procedures that change nothing: listing, lookup, XML, bridge
 * name, flags and DHCP leases.  They read state under the network's lock
 * only (inline on the RPC loop, except the lease file read on a worker).
 */
#define MV_LOG_MODULE "netd.procs"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "log.h"
#include "netd.h"
#include "network_obj.h"

/* VIR_CONNECT_LIST_NETWORKS_* (wire-protocol.md 8.13) */
enum {
    LIST_INACTIVE = 1, LIST_ACTIVE = 2, LIST_PERSISTENT = 4, LIST_TRANSIENT = 8,
    LIST_AUTOSTART = 16, LIST_NO_AUTOSTART = 32,
};
#define LIST_ALL_FLAGS 0x3fu
/* VIR_NETWORK_XML_INACTIVE */
#define XML_INACTIVE 1u

/* A network being created has no definition yet: not there for callers.
 * Call with net->lock held. */
static bool visible(const struct netd_net *net)
{
    return net->def || net->live;
}

/* ---- listing ---- */

static bool group_ok(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    unsigned int g = flags & (yes | no);

    return g == 0 || g == (yes | no) || (value ? (g & yes) : (g & no));
}

static bool list_wants(struct netd_net *net, unsigned int flags)
{
    bool want;

    pthread_mutex_lock(&net->lock);
    want = visible(net) && group_ok(flags, LIST_ACTIVE, LIST_INACTIVE, net->active) &&
           group_ok(flags, LIST_PERSISTENT, LIST_TRANSIENT, net->def != NULL) &&
           group_ok(flags, LIST_AUTOSTART, LIST_NO_AUTOSTART, net->autostart);
    pthread_mutex_unlock(&net->lock);
    return want;
}

static int list_all_networks(struct mv_call *call, mv_connect_list_all_networks_args *args,
                             mv_connect_list_all_networks_ret *ret)
{
    struct netd_net **nets = NULL;
    size_t n = 0, count = 0;
    int r;

    if (args->flags & ~LIST_ALL_FLAGS)
        return netd_bad_flags(call, args->flags & ~LIST_ALL_FLAGS, "virConnectListAllNetworks");
    if ((r = netd_registry_list(&nets, &n)) < 0)
        return r;
    if (n > MV_NETWORK_LIST_MAX) {
        netd_net_list_free(nets, n);
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many networks: %zu > %d", n, MV_NETWORK_LIST_MAX);
    }
    if (args->need_results && !(ret->nets.nets_val = calloc(n ? n : 1, sizeof(mv_nonnull_network)))) {
        netd_net_list_free(nets, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        if (!list_wants(nets[i], args->flags))
            continue;
        if (args->need_results && (r = netd_net_to_wire(nets[i], &ret->nets.nets_val[count])) < 0)
            break;
        count++;
    }
    ret->nets.nets_len = args->need_results ? (unsigned int)count : 0;
    ret->ret = (unsigned int)count;
    netd_net_list_free(nets, n);
    return r;
}

/* Counts (and collects up to MAX names of) the active networks, or the
 * inactive ones (which are all persistent). */
static int collect(bool active, int max, char **names, int *count)
{
    struct netd_net **nets = NULL;
    size_t n = 0;
    int r;

    if ((r = netd_registry_list(&nets, &n)) < 0)
        return r;
    *count = 0;
    for (size_t i = 0; i < n && (max < 0 || *count < max) && r == 0; i++) {
        bool match;

        pthread_mutex_lock(&nets[i]->lock);
        match = visible(nets[i]) && nets[i]->active == active;
        pthread_mutex_unlock(&nets[i]->lock);
        if (!match)
            continue;
        if (names && !(names[*count] = strdup(nets[i]->name)))
            r = -ENOMEM;
        else
            (*count)++;
    }
    netd_net_list_free(nets, n);
    return r;
}

static int num_of_networks(struct mv_call *call, void *args, mv_connect_num_of_networks_ret *ret)
{
    return collect(true, -1, NULL, &ret->num);
}

static int num_of_defined_networks(struct mv_call *call, void *args, mv_connect_num_of_networks_ret *ret)
{
    return collect(false, -1, NULL, &ret->num);
}

static int list_names(struct mv_call *call, bool active, int maxnames, mv_connect_list_networks_ret *ret)
{
    int n = 0, r;

    if (maxnames < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NETWORK,
                             "invalid argument: maxnames in %s must not be negative, not %d",
                             active ? "virConnectListNetworks" : "virConnectListDefinedNetworks", maxnames);
    if (maxnames > MV_NETWORK_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many network names requested: %d > %d",
                             maxnames, MV_NETWORK_LIST_MAX);
    if (!(ret->names.names_val = calloc((size_t)maxnames + 1, sizeof(char *))))
        return -ENOMEM;
    r = collect(active, maxnames, ret->names.names_val, &n);
    ret->names.names_len = (unsigned int)n;
    return r;
}

static int list_networks(struct mv_call *call, mv_connect_list_networks_args *args,
                         mv_connect_list_networks_ret *ret)
{
    return list_names(call, true, args->maxnames, ret);
}

static int list_defined_networks(struct mv_call *call, mv_connect_list_networks_args *args,
                                 mv_connect_list_networks_ret *ret)
{
    return list_names(call, false, args->maxnames, ret);
}

/* ---- lookup ---- */

static int found(struct mv_call *call, struct netd_net *net, mv_nonnull_network *wire, const char *how,
                 const char *what)
{
    _cleanup_net_unref_ struct netd_net *ref = net;
    bool seen = false;

    if (net) {
        pthread_mutex_lock(&net->lock);
        seen = visible(net);
        pthread_mutex_unlock(&net->lock);
    }
    if (!seen)
        return mv_call_error(call, MV_ERR_NO_NETWORK, MV_FROM_NETWORK,
                             "Network not found: no network with matching %s '%s'", how, what);
    return netd_net_to_wire(net, wire);
}

static int lookup_by_name(struct mv_call *call, mv_network_lookup_by_name_args *args, mv_network_ret *ret)
{
    return found(call, netd_registry_find_name(args->name), &ret->net, "name", args->name);
}

static int lookup_by_uuid(struct mv_call *call, mv_network_lookup_by_uuid_args *args, mv_network_ret *ret)
{
    char uuid[MV_UUID_STRING_LEN];

    mv_uuid_format((const unsigned char *)args->uuid, uuid);
    return found(call, netd_registry_find_uuid((const unsigned char *)args->uuid), &ret->net, "uuid", uuid);
}

/* ---- queries ---- */

/* The call's network, locked; NULL (error set) if unknown or not there yet. */
static struct netd_net *get_locked(struct mv_call *call, const mv_nonnull_network *wire)
{
    struct netd_net *net = netd_net_from_wire(call, wire);

    if (!net)
        return NULL;
    pthread_mutex_lock(&net->lock);
    if (!visible(net)) {
        pthread_mutex_unlock(&net->lock);
        mv_call_error(call, MV_ERR_NO_NETWORK, MV_FROM_NETWORK,
                      "Network not found: no network with matching uuid '%s' (%s)", net->uuid_str, net->name);
        netd_net_unref(net);
        return NULL;
    }
    return net;
}

static void put_locked(struct netd_net *net)
{
    pthread_mutex_unlock(&net->lock);
    netd_net_unref(net);
}

static int get_xml_desc(struct mv_call *call, mv_network_get_xml_desc_args *args, mv_network_get_xml_desc_ret *ret)
{
    const struct mv_net_def *def;
    struct netd_net *net;

    if (args->flags & ~XML_INACTIVE)
        return netd_bad_flags(call, args->flags & ~XML_INACTIVE, "virNetworkGetXMLDesc");
    if (!(net = get_locked(call, &args->net)))
        return -EIO;
    def = (args->flags & XML_INACTIVE) && net->def ? net->def : netd_net_current(net);
    /* definitions are small and not reference counted: format under the lock */
    ret->xml = mv_net_def_format(def, def == net->live ? (int)net->nports : 0);
    put_locked(net);
    return ret->xml ? 0 : -ENOMEM;
}

static int get_bridge_name(struct mv_call *call, mv_network_args *args, mv_network_get_bridge_name_ret *ret)
{
    struct netd_net *net = get_locked(call, &args->net);
    const char *bridge;

    if (!net)
        return -EIO;
    bridge = netd_net_current(net)->bridge.name;
    if (!bridge) {
        mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                      "internal error: network '%s' does not have a bridge name", net->name);
        put_locked(net);
        return -EIO;
    }
    ret->name = strdup(bridge);
    put_locked(net);
    return ret->name ? 0 : -ENOMEM;
}

static int get_autostart(struct mv_call *call, mv_network_args *args, mv_network_get_autostart_ret *ret)
{
    struct netd_net *net = get_locked(call, &args->net);

    if (!net)
        return -EIO;
    ret->autostart = net->autostart;
    put_locked(net);
    return 0;
}

static int is_active(struct mv_call *call, mv_network_args *args, mv_network_is_active_ret *ret)
{
    struct netd_net *net = get_locked(call, &args->net);

    if (!net)
        return -EIO;
    ret->active = net->active;
    put_locked(net);
    return 0;
}

static int is_persistent(struct mv_call *call, mv_network_args *args, mv_network_is_persistent_ret *ret)
{
    struct netd_net *net = get_locked(call, &args->net);

    if (!net)
        return -EIO;
    ret->persistent = net->def != NULL;
    put_locked(net);
    return 0;
}

/* ---- DHCP leases ---- */

static int dup_opt(const char *s, mv_string *out)
{
    if (!s)
        return 0;
    if (!(*out = malloc(sizeof(**out))) || !(**out = strdup(s)))
        return -ENOMEM;
    return 0;
}

static int lease_to_wire(const struct mv_dnsmasq_lease *l, const char *bridge, mv_network_dhcp_lease *w)
{
    w->expirytime = l->expiry;
    w->type = l->type;
    w->prefix = l->prefix;
    if (!(w->iface = strdup(bridge)) || !(w->ipaddr = strdup(l->ip ? l->ip : "")))
        return -ENOMEM;
    if (dup_opt(l->mac, &w->mac) < 0 || dup_opt(l->iaid, &w->iaid) < 0 ||
        dup_opt(l->hostname, &w->hostname) < 0 || dup_opt(l->clientid, &w->clientid) < 0)
        return -ENOMEM;
    return 0;
}

static int leases_to_wire(struct mv_call *call, const struct mv_dnsmasq_lease *leases, size_t n, const char *bridge,
                          int need_results, mv_network_get_dhcp_leases_ret *ret)
{
    if (n > MV_NETWORK_DHCP_LEASES_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many DHCP leases: %zu > %d", n,
                             MV_NETWORK_DHCP_LEASES_MAX);
    ret->ret = (unsigned int)n;
    if (!need_results)
        return 0;
    if (!(ret->leases.leases_val = calloc(n ? n : 1, sizeof(mv_network_dhcp_lease))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ret->leases.leases_len = (unsigned int)i + 1;   /* the server frees what is filled */
        if (lease_to_wire(&leases[i], bridge, &ret->leases.leases_val[i]) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int get_dhcp_leases(struct mv_call *call, mv_network_get_dhcp_leases_args *args,
                           mv_network_get_dhcp_leases_ret *ret)
{
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    struct mv_dnsmasq_lease *leases = NULL;
    _cleanup_free_ char *msg = NULL;
    struct netd_net *net;
    size_t n = 0;
    int r;

    if (args->flags)
        return netd_bad_flags(call, args->flags, "virNetworkGetDHCPLeases");
    if (!(net = get_locked(call, &args->net)))
        return -EIO;
    def = mv_net_def_copy(netd_net_current(net));  /* the file is read outside the lock */
    put_locked(net);
    if (!def)
        return -ENOMEM;
    if ((r = mv_dnsmasq_leases(def, &netd.dnsmasq, args->mac ? *args->mac : NULL, &leases, &n, &msg)) < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_NETWORK, "%s",
                             msg ? msg : "cannot read the DHCP leases");
    r = leases_to_wire(call, leases, n, def->bridge.name ? def->bridge.name : "", args->need_results, ret);
    mv_dnsmasq_leases_free(leases, n);
    return r;
}

static const struct mv_dispatch_entry network_procs[] = {
    MV_HANDLER(CONNECT_LIST_ALL_NETWORKS, list_all_networks),
    MV_HANDLER(CONNECT_NUM_OF_NETWORKS, num_of_networks),
    MV_HANDLER(CONNECT_LIST_NETWORKS, list_networks),
    MV_HANDLER(CONNECT_NUM_OF_DEFINED_NETWORKS, num_of_defined_networks),
    MV_HANDLER(CONNECT_LIST_DEFINED_NETWORKS, list_defined_networks),
    MV_HANDLER(NETWORK_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(NETWORK_LOOKUP_BY_UUID, lookup_by_uuid),
    MV_HANDLER(NETWORK_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(NETWORK_GET_BRIDGE_NAME, get_bridge_name),
    MV_HANDLER(NETWORK_GET_AUTOSTART, get_autostart),
    MV_HANDLER(NETWORK_IS_ACTIVE, is_active),
    MV_HANDLER(NETWORK_IS_PERSISTENT, is_persistent),
    MV_HANDLER(NETWORK_GET_DHCP_LEASES, get_dhcp_leases),
};
const struct mv_dispatch_table netd_network_table = { network_procs, MV_ARRAY_SIZE(network_procs) };
