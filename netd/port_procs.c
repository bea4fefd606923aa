/*
 * NETWORK_PORT_* and NETWORK_LIST_ALL_PORTS: the guest NICs qemud plugs into
 * netd's networks (wire-protocol.md 8.6, 9.4).  A port exists only on an
 * active network, is on disk while it exists (port_store.c) and goes with a
 * destroy of its network.  Changes hold the network's job (briefly: a file
 * write); readers take only net->lock, on the event loop.
 */
#define MV_LOG_MODULE "netd.ports"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "netd.h"
#include "network_obj.h"
#include "port_def.h"
#include "port_store.h"

/* virNetworkPortCreateFlags */
#define PORT_CREATE_RECLAIM 1u      /* qemud re-attaching: the port exists already, keep its uuid */
#define PORT_CREATE_VALIDATE 2u     /* our parser is always strict: nothing more to do */
/* virTypedParameterFlags: a getter must accept it */
#define TYPED_PARAM_STRING_OKAY 4u

static int no_port(struct mv_call *call, const unsigned char uuid[MV_UUID_LEN])
{
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(uuid, s);
    return mv_call_error(call, MV_ERR_NO_NETWORK_PORT, MV_FROM_NETWORK,
                         "network port not found: Network port with UUID %s does not exist", s);
}

/* NET's port UUID, or NULL; under net->lock. */
static struct netd_port *find_port(const struct netd_net *net, const unsigned char uuid[MV_UUID_LEN], size_t *at)
{
    for (size_t i = 0; i < net->nports; i++)
        if (memcmp(net->ports[i]->def->uuid, uuid, MV_UUID_LEN) == 0) {
            if (at)
                *at = i;
            return net->ports[i];
        }
    return NULL;
}

/* NET's port plugged with MAC, or NULL; under net->lock. */
static struct netd_port *find_mac(const struct netd_net *net, const char *mac)
{
    for (size_t i = 0; mac && i < net->nports; i++)
        if (net->ports[i]->def->mac && strcmp(net->ports[i]->def->mac, mac) == 0)
            return net->ports[i];
    return NULL;
}

/* Removes PORT from NET's list (under net->lock); the caller frees it. */
static void unlink_port(struct netd_net *net, struct netd_port *port)
{
    for (size_t i = 0; i < net->nports; i++)
        if (net->ports[i] == port) {
            memmove(&net->ports[i], &net->ports[i + 1], (net->nports - i - 1) * sizeof(*net->ports));
            net->nports--;
            return;
        }
}

static int port_to_wire(const struct netd_net *net, const unsigned char uuid[MV_UUID_LEN],
                        mv_nonnull_network_port *wire)
{
    memcpy(wire->uuid, uuid, MV_UUID_LEN);
    return netd_net_to_wire(net, &wire->net);
}

/* ---- reading ---- */

static int list_all_ports(struct mv_call *call, mv_network_list_all_ports_args *args,
                          mv_network_list_all_ports_ret *ret)
{
    _cleanup_net_unref_ struct netd_net *net = NULL;
    unsigned char (*uuids)[MV_UUID_LEN] = NULL;
    size_t n;
    int r = 0;

    if (args->flags)
        return netd_bad_flags(call, args->flags, "virNetworkListAllPorts");
    if (!(net = netd_net_from_wire(call, &args->network)))
        return -ENOENT;
    pthread_mutex_lock(&net->lock);
    n = net->nports;
    if (args->need_results && n && (uuids = calloc(n, MV_UUID_LEN)))
        for (size_t i = 0; i < n; i++)
            memcpy(uuids[i], net->ports[i]->def->uuid, MV_UUID_LEN);
    pthread_mutex_unlock(&net->lock);
    ret->ret = (unsigned int)n;
    if (!args->need_results || n == 0) {
        free(uuids);
        return 0;
    }
    if (!uuids || !(ret->ports.ports_val = calloc(n, sizeof(*ret->ports.ports_val)))) {
        free(uuids);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++, ret->ports.ports_len++)
        r = port_to_wire(net, uuids[i], &ret->ports.ports_val[i]);
    free(uuids);
    return r;
}

static int lookup_by_uuid(struct mv_call *call, mv_network_port_lookup_by_uuid_args *args, mv_network_port_ret *ret)
{
    _cleanup_net_unref_ struct netd_net *net = netd_net_from_wire(call, &args->network);
    bool found;

    if (!net)
        return -ENOENT;
    pthread_mutex_lock(&net->lock);
    found = find_port(net, (const unsigned char *)args->uuid, NULL) != NULL;
    pthread_mutex_unlock(&net->lock);
    if (!found)
        return no_port(call, (const unsigned char *)args->uuid);
    return port_to_wire(net, (const unsigned char *)args->uuid, &ret->port);
}

static int get_xml_desc(struct mv_call *call, mv_network_port_flags_args *args, mv_network_port_get_xml_desc_ret *ret)
{
    _cleanup_net_unref_ struct netd_net *net = NULL;
    struct netd_port *port;

    if (args->flags)
        return netd_bad_flags(call, args->flags, "virNetworkPortGetXMLDesc");
    if (!(net = netd_net_from_wire(call, &args->port.net)))
        return -ENOENT;
    pthread_mutex_lock(&net->lock);
    port = find_port(net, (const unsigned char *)args->port.uuid, NULL);
    /* formatting a port is a few hundred bytes in memory: fine under the lock */
    if (port)
        ret->xml = mv_port_def_format(port->def);
    pthread_mutex_unlock(&net->lock);
    if (!port)
        return no_port(call, (const unsigned char *)args->port.uuid);
    return ret->xml ? 0 : -ENOMEM;
}

/* The port exists and is found through its network, as for every call. */
static int port_exists(struct mv_call *call, const mv_nonnull_network_port *wire)
{
    _cleanup_net_unref_ struct netd_net *net = netd_net_from_wire(call, &wire->net);
    bool found;

    if (!net)
        return -ENOENT;
    pthread_mutex_lock(&net->lock);
    found = find_port(net, (const unsigned char *)wire->uuid, NULL) != NULL;
    pthread_mutex_unlock(&net->lock);
    return found ? 0 : no_port(call, (const unsigned char *)wire->uuid);
}

/* No bandwidth (QoS) support: a port has no parameters to report. */
static int get_parameters(struct mv_call *call, mv_network_port_get_parameters_args *args,
                          mv_network_port_get_parameters_ret *ret)
{
    if (args->flags & ~TYPED_PARAM_STRING_OKAY)
        return netd_bad_flags(call, args->flags & ~TYPED_PARAM_STRING_OKAY, "virNetworkPortGetParameters");
    /* args->nparams is not read: unlike the other typed-parameter getters,
     * this API returns every parameter at once, and libvirt's client leaves
     * the field uninitialised */
    ret->nparams = 0;
    return port_exists(call, &args->port);
}

static int set_parameters(struct mv_call *call, mv_network_port_set_parameters_args *args, void *ret)
{
    int r;

    if (args->flags)
        return netd_bad_flags(call, args->flags, "virNetworkPortSetParameters");
    if ((r = port_exists(call, &args->port)) < 0 || args->params.params_len == 0)
        return r;
    return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_NETWORK,
                         "argument unsupported: network port parameter '%s' is not supported: modvirt-netd "
                         "does no bandwidth shaping", args->params.params_val[0].field);
}

/* ---- create ---- */

static int parse_port(struct mv_call *call, const char *xml, unsigned int flags, struct mv_port_def **def)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_port_def_parse(xml, def, &msg);

    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return mv_call_error(call, msg && strncmp(msg, "unsupported configuration", 25) == 0
                                       ? MV_ERR_CONFIG_UNSUPPORTED : MV_ERR_XML_ERROR,
                             MV_FROM_NETWORK, "%s", msg ? msg : "XML error: cannot parse the port XML");
    if (!(*def)->mac || !(*def)->owner_name)
        r = mv_call_error(call, MV_ERR_XML_ERROR, MV_FROM_NETWORK,
                          "XML error: a network port needs an <owner> and a <mac>");
    else if ((flags & PORT_CREATE_RECLAIM) && !(*def)->has_uuid)
        r = mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NETWORK,
                          "invalid argument: reclaiming a network port needs its <uuid>");
    if (r < 0) {
        mv_port_def_free(*def);
        *def = NULL;
    }
    return r;
}

/* What a new port meets on its network, decided under net->lock. */
enum clash { CLASH_NONE, CLASH_SAME, CLASH_STALE, CLASH_UUID, CLASH_MAC };

static bool same_owner(const struct mv_port_def *a, const struct mv_port_def *b)
{
    return memcmp(a->owner_uuid, b->owner_uuid, MV_UUID_LEN) == 0;
}

/* CLASH_SAME: a reclaim of a port netd has (same uuid, owner and MAC).
 * CLASH_STALE: *OLD is a port of the same guest with this MAC but another
 * uuid: the guest runs once, so that port outlived a run whose stop netd
 * never heard of (netd or qemud was down); it is replaced.  CLASH_UUID,
 * CLASH_MAC: refused. */
static enum clash find_clash(const struct netd_net *net, const struct mv_port_def *def, struct netd_port **old)
{
    struct netd_port *p = def->has_uuid ? find_port(net, def->uuid, NULL) : NULL;

    if (p) {
        *old = p;
        return same_owner(p->def, def) && p->def->mac && strcmp(p->def->mac, def->mac) == 0 ? CLASH_SAME
                                                                                               : CLASH_UUID;
    }
    if ((p = find_mac(net, def->mac))) {
        *old = p;
        return same_owner(p->def, def) ? CLASH_STALE : CLASH_MAC;
    }
    return CLASH_NONE;
}

static int clash_error(struct mv_err *err, const struct netd_net *net, enum clash clash, const struct netd_port *old,
                       const struct mv_port_def *def)
{
    if (clash == CLASH_UUID)
        return mv_err_set(err, MV_ERR_NETWORK_PORT_EXIST, MV_FROM_NETWORK,
                          "network port already exists: port %s on network '%s' belongs to '%s'", old->uuid_str,
                          net->name, old->def->owner_name ? old->def->owner_name : "?");
    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                      "operation failed: MAC address %s of '%s' is already plugged into network '%s' by '%s' "
                      "(port %s)", def->mac, def->owner_name, net->name,
                      old->def->owner_name ? old->def->owner_name : "?", old->uuid_str);
}

/* Fills DEF's plug from the running network: our bridge, or the host's
 * bridge of a forward mode='bridge' network.  Under net->lock. */
static int fill_plug(const struct netd_net *net, struct mv_port_def *def)
{
    const struct mv_net_def *live = net->live;
    char *bridge;

    if (!live || !live->bridge.name || !(bridge = strdup(live->bridge.name)))
        return -ENOMEM;
    free(def->bridge);
    def->bridge = bridge;
    def->plug = live->forward.mode == MV_NET_FWD_BRIDGE ? MV_PORT_PLUG_BRIDGE : MV_PORT_PLUG_NETWORK;
    return 0;
}

/* Checks NET and fills DEF, under net->lock.  *OLD: the stale port to
 * replace (CLASH_STALE) or the port reclaimed as it is (CLASH_SAME). */
static int prepare_port(struct netd_net *net, struct mv_port_def *def, unsigned int flags, struct netd_port **old,
                        enum clash *clash, struct mv_err *err)
{
    int r = 0;

    pthread_mutex_lock(&net->lock);
    if (!net->active)
        r = netd_error_inactive(err, net);
    else if ((*clash = find_clash(net, def, old)) == CLASH_UUID || *clash == CLASH_MAC ||
             (*clash == CLASH_SAME && !(flags & PORT_CREATE_RECLAIM)))
        r = clash_error(err, net, *clash == CLASH_SAME ? CLASH_UUID : *clash, *old, def);
    else if (fill_plug(net, def) < 0)
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NETWORK, "out of memory");
    pthread_mutex_unlock(&net->lock);
    return r;
}

/* Saves PORT and puts it in NET's list in place of OLD (may be NULL). */
static int add_port(struct netd_net *net, struct netd_port *port, struct netd_port *old, struct mv_err *err)
{
    struct netd_port **v;
    int r;

    if ((r = netd_port_store_save(net->name, port, err)) < 0)
        return r;
    pthread_mutex_lock(&net->lock);
    if (old)
        unlink_port(net, old);
    v = reallocarray(net->ports, net->nports + 1, sizeof(*v));
    if (v) {
        net->ports = v;
        net->ports[net->nports++] = port;
    }
    pthread_mutex_unlock(&net->lock);
    if (!v) {
        netd_port_store_delete(port);
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NETWORK, "out of memory");
    }
    if (old) {
        mv_info("network '%s': port %s of '%s' replaced a stale one (%s) with its MAC %s", net->name,
                port->uuid_str, port->def->owner_name, old->uuid_str, port->def->mac);
        netd_port_store_delete(old);
        netd_port_free(old);
    }
    return 0;
}

/* With NET's job: plugs DEF (taken) in; *UUID is the port's. */
static int create_port(struct netd_net *net, struct mv_port_def *def, unsigned int flags,
                       unsigned char uuid[MV_UUID_LEN], struct mv_err *err)
{
    struct netd_port *old = NULL, *port;
    enum clash clash = CLASH_NONE;
    int r;

    if (!def->has_uuid && mv_uuid_generate(def->uuid) < 0) {
        mv_port_def_free(def);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK, "internal error: cannot generate a uuid");
    }
    def->has_uuid = true;
    if ((r = prepare_port(net, def, flags, &old, &clash, err)) < 0 || clash == CLASH_SAME) {
        if (r == 0)
            mv_info("network '%s': port %s of '%s' reclaimed (already known)", net->name, old->uuid_str,
                    def->owner_name);
        mv_port_def_free(def);
        return r;
    }
    memcpy(uuid, def->uuid, MV_UUID_LEN);
    if (!(port = netd_port_new(def)))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NETWORK, "out of memory");
    if ((r = add_port(net, port, clash == CLASH_STALE ? old : NULL, err)) < 0) {
        netd_port_free(port);
        return r;
    }
    mv_info("network '%s': port %s %s for '%s' (MAC %s, bridge '%s')", net->name, port->uuid_str,
            flags & PORT_CREATE_RECLAIM ? "reclaimed" : "created", def->owner_name, def->mac, def->bridge);
    return 0;
}

static int port_create_xml(struct mv_call *call, mv_network_port_create_xml_args *args, mv_network_port_ret *ret)
{
    _cleanup_net_unref_ struct netd_net *net = NULL;
    struct mv_port_def *def = NULL;
    struct mv_err err = { 0 };
    unsigned char uuid[MV_UUID_LEN];
    int r;

    if (args->flags & ~(PORT_CREATE_RECLAIM | PORT_CREATE_VALIDATE))
        return netd_bad_flags(call, args->flags & ~(PORT_CREATE_RECLAIM | PORT_CREATE_VALIDATE),
                              "virNetworkPortCreateXML");
    if (!(net = netd_net_from_wire(call, &args->network)))
        return -ENOENT;
    if ((r = parse_port(call, args->xml, args->flags, &def)) < 0)
        return r;
    memcpy(uuid, def->uuid, MV_UUID_LEN);      /* a reclaim answers with its own */
    if ((r = netd_job_begin(net, "port-create", &err)) < 0) {
        mv_port_def_free(def);
        return netd_call_fail(call, &err);
    }
    r = create_port(net, def, args->flags, uuid, &err);
    netd_job_end(net);
    if (r < 0)
        return netd_call_fail(call, &err);
    return port_to_wire(net, uuid, &ret->port);
}

/* ---- delete ---- */

/* With NET's job: takes port UUID out of NET, its file first, so that a
 * netd killed in between does not bring it back at its restart; a file
 * that cannot go keeps the port too.  *OUT is the port, NULL if NET has
 * none with UUID. */
static int delete_port(struct netd_net *net, const unsigned char uuid[MV_UUID_LEN], struct netd_port **out,
                       struct mv_err *err)
{
    struct netd_port *port;
    int r;

    /* only holders of the job change the list: PORT stays valid unlocked */
    pthread_mutex_lock(&net->lock);
    port = find_port(net, uuid, NULL);
    pthread_mutex_unlock(&net->lock);
    *out = NULL;
    if (!port)
        return 0;
    if ((r = netd_port_store_remove(net->name, port, err)) < 0)
        return r;
    pthread_mutex_lock(&net->lock);
    unlink_port(net, port);
    pthread_mutex_unlock(&net->lock);
    *out = port;
    return 0;
}

static int port_delete(struct mv_call *call, mv_network_port_flags_args *args, void *ret)
{
    _cleanup_net_unref_ struct netd_net *net = NULL;
    struct mv_err err = { 0 };
    struct netd_port *port;
    int r;

    if (args->flags)
        return netd_bad_flags(call, args->flags, "virNetworkPortDelete");
    if (!(net = netd_net_from_wire(call, &args->port.net)))
        return -ENOENT;
    if (netd_job_begin(net, "port-delete", &err) < 0)
        return netd_call_fail(call, &err);
    r = delete_port(net, (const unsigned char *)args->port.uuid, &port, &err);
    netd_job_end(net);
    if (r < 0)
        return netd_call_fail(call, &err);
    if (!port)
        return no_port(call, (const unsigned char *)args->port.uuid);
    mv_info("network '%s': port %s of '%s' deleted", net->name, port->uuid_str,
            port->def->owner_name ? port->def->owner_name : "?");
    netd_port_free(port);
    return 0;
}

static const struct mv_dispatch_entry port_procs[] = {
    MV_HANDLER(NETWORK_LIST_ALL_PORTS, list_all_ports),
    MV_HANDLER(NETWORK_PORT_LOOKUP_BY_UUID, lookup_by_uuid),
    MV_HANDLER(NETWORK_PORT_CREATE_XML, port_create_xml),
    MV_HANDLER(NETWORK_PORT_GET_PARAMETERS, get_parameters),
    MV_HANDLER(NETWORK_PORT_SET_PARAMETERS, set_parameters),
    MV_HANDLER(NETWORK_PORT_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(NETWORK_PORT_DELETE, port_delete),
};

const struct mv_dispatch_table netd_port_table = MV_DISPATCH_TABLE(port_procs);
