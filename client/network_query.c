/*
 * What a network is and how to change it in place: XML, bridge, state
 * flags, autostart and NETWORK_UPDATE.  Each is one remote procedure.
 */
#define MV_LOG_MODULE "client.network"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

int modvirt_network_get_xml(modvirt_network *net, unsigned int flags, char **xml,
                            modvirt_error **err)
{
    mv_network_get_xml_desc_args args = {
        .net = modvirt_network_to_wire(net), .flags = flags,
    };
    mv_network_get_xml_desc_ret ret = { 0 };
    int r = modvirt_conn_call(net->conn, MV_PROC_NETWORK_GET_XML_DESC,
                              (xdrproc_t)xdr_mv_network_get_xml_desc_args, &args,
                              (xdrproc_t)xdr_mv_network_get_xml_desc_ret, &ret, err);

    if (r == 0)
        *xml = TAKE_PTR(ret.xml);
    return r;
}

int modvirt_network_get_bridge_name(modvirt_network *net, char **bridge, modvirt_error **err)
{
    mv_network_get_bridge_name_ret ret = { 0 };
    int r = modvirt_network_call(net, MV_PROC_NETWORK_GET_BRIDGE_NAME,
                                 (xdrproc_t)xdr_mv_network_get_bridge_name_ret, &ret, err);

    if (r == 0)
        *bridge = TAKE_PTR(ret.name);
    return r;
}

int modvirt_network_get_autostart(modvirt_network *net, int *autostart, modvirt_error **err)
{
    mv_network_get_autostart_ret ret = { 0 };
    int r = modvirt_network_call(net, MV_PROC_NETWORK_GET_AUTOSTART,
                                 (xdrproc_t)xdr_mv_network_get_autostart_ret, &ret, err);

    if (r == 0)
        *autostart = ret.autostart != 0;
    return r;
}

int modvirt_network_set_autostart(modvirt_network *net, int autostart, modvirt_error **err)
{
    mv_network_set_autostart_args args = {
        .net = modvirt_network_to_wire(net), .autostart = autostart ? 1 : 0,
    };

    return modvirt_conn_call(net->conn, MV_PROC_NETWORK_SET_AUTOSTART,
                             (xdrproc_t)xdr_mv_network_set_autostart_args, &args, NULL, NULL,
                             err);
}

int modvirt_network_is_active(modvirt_network *net, int *active, modvirt_error **err)
{
    mv_network_is_active_ret ret = { 0 };
    int r = modvirt_network_call(net, MV_PROC_NETWORK_IS_ACTIVE,
                                 (xdrproc_t)xdr_mv_network_is_active_ret, &ret, err);

    /* the daemon sends 0/1; anything else non-zero still means yes */
    if (r == 0)
        *active = ret.active != 0;
    return r;
}

int modvirt_network_is_persistent(modvirt_network *net, int *persistent, modvirt_error **err)
{
    mv_network_is_persistent_ret ret = { 0 };
    int r = modvirt_network_call(net, MV_PROC_NETWORK_IS_PERSISTENT,
                                 (xdrproc_t)xdr_mv_network_is_persistent_ret, &ret, err);

    if (r == 0)
        *persistent = ret.persistent != 0;
    return r;
}

int modvirt_network_update(modvirt_network *net, unsigned int command, unsigned int section,
                           int parent_index, const char *xml, unsigned int flags,
                           modvirt_error **err)
{
    mv_network_update_args args = {
        .net = modvirt_network_to_wire(net), .command = command, .section = section,
        .parentIndex = parent_index, .xml = (char *)xml, .flags = flags,
    };

    return modvirt_conn_call(net->conn, MV_PROC_NETWORK_UPDATE,
                             (xdrproc_t)xdr_mv_network_update_args, &args, NULL, NULL, err);
}
