/* Ports on modvirt-netd's networks, over netd's socket (network_port.h). */
#define MV_LOG_MODULE "qemud.netport"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "log.h"
#include "network_port.h"
#include "peer_conn.h"
#include "remote_protocol.h"
#include "uuid.h"
#include "xml.h"
#include "xml_format.h"

/* One call to netd: a port create waits for the network's job at most
 * netd's job_wait_ms, so this only ends a netd that stopped answering. */
#define NETD_CALL_TIMEOUT_MS 60000
/* NETWORK_PORT_CREATE_XML flags (libvirt's VIR_NETWORK_PORT_CREATE_*) */
#define PORT_CREATE_RECLAIM 1u

/* The connection to netd for one start, stop or re-attach: a guest without
 * network interfaces never touches netd. */
#define NETD_PEER(p) { .paths = (p), .daemon = "netd", .uri = "network:///system", \
                       .timeout_ms = NETD_CALL_TIMEOUT_MS }

/* Says which domain and network a failure of the connection itself was
 * about; netd's own answers ("network 'x' is not active") stay as they are. */
static int conn_context(struct mv_err *err, int r, const char *dom, const char *net)
{
    _cleanup_free_ char *msg = err->message ? strdup(err->message) : NULL;

    if (err->domain != MV_FROM_RPC || !msg)
        return r;
    mv_err_set(err, err->code, err->domain, "cannot reach modvirt-netd for network '%s' of domain '%s': %s",
               net, dom, msg);
    return r;
}

/* NETWORK_LOOKUP_BY_NAME: *NET (xdr_free it) for network NAME. */
static int lookup_network(struct qemud_peer *nc, const char *name, mv_nonnull_network *net, struct mv_err *err)
{
    mv_network_lookup_by_name_args args = { .name = (char *)name };
    mv_network_ret ret = { 0 };
    int r;

    if ((r = qemud_peer_open(nc, err)) < 0 ||
        (r = qemud_peer_call(nc, MV_PROC_NETWORK_LOOKUP_BY_NAME, (xdrproc_t)xdr_mv_network_lookup_by_name_args, &args,
                  (xdrproc_t)xdr_mv_network_ret, &ret, err)) < 0)
        return r;
    *net = ret.net;
    return 0;
}

/* The port document qemud asks for: owner, MAC and, for a reclaim, the
 * port's own UUID and the bridge it is plugged into. */
static char *port_xml(const struct mv_dom_def *def, const struct mv_dom_net *net)
{
    struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "networkport");
    mv_xml_out_text_elem(&o, "uuid", net->portid);
    mv_xml_out_start(&o, "owner");
    mv_xml_out_text_elem(&o, "name", def->name);
    mv_xml_out_uuid(&o, def->uuid);
    mv_xml_out_end(&o);
    mv_xml_out_start(&o, "mac");
    mv_xml_out_attrf(&o, "address", "%02x:%02x:%02x:%02x:%02x:%02x", net->mac[0], net->mac[1], net->mac[2],
                     net->mac[3], net->mac[4], net->mac[5]);
    mv_xml_out_end(&o);
    if (net->portid && net->bridge) {
        mv_xml_out_start(&o, "plug");
        mv_xml_out_attr(&o, "type", "network");
        mv_xml_out_attr(&o, "bridge", net->bridge);
        mv_xml_out_end(&o);
    }
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}

/* NETWORK_PORT_CREATE_XML on NET for interface IFACE of DEF. */
static int create_port(struct qemud_peer *nc, const mv_nonnull_network *net, const struct mv_dom_def *def,
                       const struct mv_dom_net *iface, unsigned int flags, unsigned char uuid[MV_UUID_LEN],
                       struct mv_err *err)
{
    _cleanup_free_ char *xml = port_xml(def, iface);
    mv_network_port_create_xml_args args = { .network = *net, .flags = flags };
    mv_network_port_ret ret = { 0 };
    int r;

    if (!xml)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    args.xml = xml;
    if ((r = qemud_peer_call(nc, MV_PROC_NETWORK_PORT_CREATE_XML, (xdrproc_t)xdr_mv_network_port_create_xml_args, &args,
                  (xdrproc_t)xdr_mv_network_port_ret, &ret, err)) < 0)
        return r;
    memcpy(uuid, ret.port.uuid, MV_UUID_LEN);
    xdr_free((xdrproc_t)xdr_mv_network_port_ret, (char *)&ret);
    return 0;
}

/* The bridge in netd's port document: a plug of type network (a bridge of
 * netd's) or bridge (a host bridge of a forward mode='bridge' network). */
static int plug_bridge(const char *xml, const char *network, char **bridge, struct mv_err *err)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    _cleanup_free_ char *msg = NULL, *type = NULL, *br = NULL;
    int r;

    if ((r = mv_xml_parse(xml, "the port XML from modvirt-netd", &doc, &msg)) < 0 ||
        (r = mv_xpath_context_new(doc, &ctx)) < 0)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: %s",
                          msg ? msg : "cannot read the port XML from modvirt-netd");
    type = mv_xpath_string(ctx, "string(/networkport/plug/@type)");
    br = mv_xpath_string(ctx, "string(/networkport/plug/@bridge)");
    if (!type || (strcmp(type, "network") != 0 && strcmp(type, "bridge") != 0) || !br)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: network '%s' plugs its ports as '%s', "
                          "qemud needs a bridge", network, type ? type : "nothing");
    *bridge = TAKE_PTR(br);
    return 0;
}

static void port_wire(const mv_nonnull_network *net, const unsigned char uuid[MV_UUID_LEN],
                      mv_nonnull_network_port *port)
{
    port->net = *net;
    memcpy(port->uuid, uuid, MV_UUID_LEN);
}

/* NETWORK_PORT_GET_XML_DESC: the bridge port UUID on NET plugs into. */
static int port_bridge(struct qemud_peer *nc, const mv_nonnull_network *net, const unsigned char uuid[MV_UUID_LEN],
                       char **bridge, struct mv_err *err)
{
    mv_network_port_flags_args args = { .flags = 0 };
    mv_network_port_get_xml_desc_ret ret = { 0 };
    int r;

    port_wire(net, uuid, &args.port);
    if ((r = qemud_peer_call(nc, MV_PROC_NETWORK_PORT_GET_XML_DESC, (xdrproc_t)xdr_mv_network_port_flags_args, &args,
                  (xdrproc_t)xdr_mv_network_port_get_xml_desc_ret, &ret, err)) < 0)
        return r;
    r = plug_bridge(ret.xml, net->name, bridge, err);
    xdr_free((xdrproc_t)xdr_mv_network_port_get_xml_desc_ret, (char *)&ret);
    return r;
}

static int delete_port(struct qemud_peer *nc, const mv_nonnull_network *net, const unsigned char uuid[MV_UUID_LEN],
                       struct mv_err *err)
{
    mv_network_port_flags_args args = { .flags = 0 };

    port_wire(net, uuid, &args.port);
    return qemud_peer_call(nc, MV_PROC_NETWORK_PORT_DELETE, (xdrproc_t)xdr_mv_network_port_flags_args, &args, NULL, NULL, err);
}

/* Plugs interface IFACE of DEF: portid is set as soon as the port exists,
 * so that a failure after it (the bridge) deletes it too. */
static int plug_one(struct qemud_peer *nc, const struct mv_dom_def *def, struct mv_dom_net *iface,
                    struct mv_err *err)
{
    mv_nonnull_network net = { 0 };
    unsigned char uuid[MV_UUID_LEN];
    char uuid_str[MV_UUID_STRING_LEN];
    int r;

    if ((r = lookup_network(nc, iface->source, &net, err)) < 0)
        return conn_context(err, r, def->name, iface->source);
    r = create_port(nc, &net, def, iface, 0, uuid, err);
    if (r == 0) {
        mv_uuid_format(uuid, uuid_str);
        if (!(iface->portid = strdup(uuid_str)))
            r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
        else
            r = port_bridge(nc, &net, uuid, &iface->bridge, err);
    }
    xdr_free((xdrproc_t)xdr_mv_nonnull_network, (char *)&net);
    if (r == 0)
        mv_info("domain '%s': port %s on network '%s' (bridge '%s')", def->name, iface->portid, iface->source,
                iface->bridge);
    return conn_context(err, r, def->name, iface->source);
}

bool qemud_net_ports_needed(const struct mv_dom_def *def)
{
    for (size_t i = 0; def && i < def->devices.nnets; i++)
        if (def->devices.nets[i].type == MV_DOM_NET_NETWORK)
            return true;
    return false;
}

/* Deletes IFACE's port; a port or network already gone is no failure. */
static void unplug_one(struct qemud_peer *nc, const struct mv_dom_def *def, const struct mv_dom_net *iface)
{
    struct mv_err err = { 0 };
    mv_nonnull_network net = { 0 };
    unsigned char uuid[MV_UUID_LEN];
    int r;

    if (mv_uuid_parse(iface->portid, uuid) < 0)
        return;
    r = lookup_network(nc, iface->source, &net, &err);
    if (r == 0) {
        r = delete_port(nc, &net, uuid, &err);
        xdr_free((xdrproc_t)xdr_mv_nonnull_network, (char *)&net);
    }
    if (r == 0)
        mv_info("domain '%s': port %s on network '%s' deleted", def->name, iface->portid, iface->source);
    else if (err.code == MV_ERR_NO_NETWORK_PORT || err.code == MV_ERR_NO_NETWORK)
        mv_info("domain '%s': port %s on network '%s' was already gone", def->name, iface->portid, iface->source);
    else
        mv_warn("domain '%s': cannot delete port %s on network '%s': %s", def->name, iface->portid,
                iface->source, err.message ? err.message : strerror(-r));
    mv_err_clear(&err);
}

void qemud_net_ports_unplug(const struct mv_paths *paths, const struct mv_dom_def *live)
{
    struct qemud_peer nc = NETD_PEER(paths);

    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *iface = &live->devices.nets[i];

        if (iface->type == MV_DOM_NET_NETWORK && iface->portid)
            unplug_one(&nc, live, iface);
    }
    qemud_peer_close(&nc);
}

int qemud_net_ports_plug(const struct mv_paths *paths, struct mv_dom_def *live, struct mv_err *err)
{
    struct qemud_peer nc = NETD_PEER(paths);
    int r = 0;

    for (size_t i = 0; i < live->devices.nnets && r == 0; i++) {
        struct mv_dom_net *iface = &live->devices.nets[i];

        /* a copy of a running definition never carries a port (parse drops it) */
        free(TAKE_PTR(iface->portid));
        free(TAKE_PTR(iface->bridge));
        if (iface->type == MV_DOM_NET_NETWORK)
            r = plug_one(&nc, live, iface, err);
    }
    qemud_peer_close(&nc);
    if (r < 0) {
        qemud_net_ports_unplug(paths, live);
        for (size_t i = 0; i < live->devices.nnets; i++) {
            free(TAKE_PTR(live->devices.nets[i].portid));
            free(TAKE_PTR(live->devices.nets[i].bridge));
        }
    }
    return r;
}

/* NETWORK_PORT_LOOKUP_BY_UUID: 1 netd has the port, 0 it has not, <0 error. */
static int port_known(struct qemud_peer *nc, const mv_nonnull_network *net, const unsigned char uuid[MV_UUID_LEN],
                      struct mv_err *err)
{
    mv_network_port_lookup_by_uuid_args args = { .network = *net };
    mv_network_port_ret ret = { 0 };
    int r;

    memcpy(args.uuid, uuid, MV_UUID_LEN);
    r = qemud_peer_call(nc, MV_PROC_NETWORK_PORT_LOOKUP_BY_UUID, (xdrproc_t)xdr_mv_network_port_lookup_by_uuid_args, &args,
             (xdrproc_t)xdr_mv_network_port_ret, &ret, err);
    if (r == 0) {
        xdr_free((xdrproc_t)xdr_mv_network_port_ret, (char *)&ret);
        return 1;
    }
    if (err->code == MV_ERR_NO_NETWORK_PORT) {
        mv_err_clear(err);
        return 0;
    }
    return r;
}

static int reclaim_one(struct qemud_peer *nc, const struct mv_dom_def *def, const struct mv_dom_net *iface,
                       struct mv_err *err)
{
    mv_nonnull_network net = { 0 };
    unsigned char uuid[MV_UUID_LEN], got[MV_UUID_LEN];
    int r;

    if (mv_uuid_parse(iface->portid, uuid) < 0)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "internal error: invalid port id");
    if ((r = lookup_network(nc, iface->source, &net, err)) < 0)
        return r;
    r = port_known(nc, &net, uuid, err);
    if (r == 0) {
        r = create_port(nc, &net, def, iface, PORT_CREATE_RECLAIM, got, err);
        if (r == 0)
            mv_info("domain '%s': port %s on network '%s' reclaimed", def->name, iface->portid, iface->source);
    }
    xdr_free((xdrproc_t)xdr_mv_nonnull_network, (char *)&net);
    return r < 0 ? r : 0;
}

void qemud_net_ports_reclaim(const struct mv_paths *paths, const struct mv_dom_def *live)
{
    struct qemud_peer nc = NETD_PEER(paths);

    for (size_t i = 0; live && i < live->devices.nnets; i++) {
        const struct mv_dom_net *iface = &live->devices.nets[i];
        struct mv_err err = { 0 };

        if (iface->type != MV_DOM_NET_NETWORK || !iface->portid)
            continue;
        if (reclaim_one(&nc, live, iface, &err) < 0)
            mv_warn("domain '%s': cannot reclaim port %s on network '%s': %s", live->name, iface->portid,
                    iface->source, err.message ? err.message : "unknown error");
        mv_err_clear(&err);
    }
    qemud_peer_close(&nc);
}
