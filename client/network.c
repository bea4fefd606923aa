/*
 * Network handles and how to get them: lookups (virsh's UUID, then name
 * order), listings, define, create, undefine, start and destroy.  Queries
 * and updates are in network_query.c, leases in network_leases.c; all go
 * through modvirt_network_call() or build their own arguments.  Every call
 * here is routed to modvirt-netd by client/conn.c.
 */
#define MV_LOG_MODULE "client.network"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"
#include "uuid.h"

/* ---- handles ---- */

/* A new handle for the wire network W, moving its name out (W->name
 * becomes NULL); NULL without memory. */
static modvirt_network *network_from_wire(modvirt_conn *conn, mv_nonnull_network *w)
{
    modvirt_network *net = calloc(1, sizeof(*net));

    if (!net)
        return NULL;
    net->conn = conn;
    net->name = TAKE_PTR(w->name);
    memcpy(net->uuid, w->uuid, sizeof(net->uuid));
    return net;
}

mv_nonnull_network modvirt_network_to_wire(const modvirt_network *net)
{
    mv_nonnull_network w = { .name = net->name };

    memcpy(w.uuid, net->uuid, sizeof(w.uuid));
    return w;
}

void modvirt_network_free(modvirt_network *net)
{
    if (!net)
        return;
    free(net->name);
    free(net);
}

const char *modvirt_network_get_name(const modvirt_network *net)
{
    return net->name;
}

const unsigned char *modvirt_network_get_uuid(const modvirt_network *net)
{
    return net->uuid;
}

const char *modvirt_network_get_uuid_string(const modvirt_network *net, char buf[37])
{
    mv_uuid_format(net->uuid, buf);
    return buf;
}

/* Hands the network of a reply out as a new handle; frees the reply. */
static int give_network(modvirt_conn *conn, mv_nonnull_network *w, modvirt_network **net,
                        modvirt_error **err)
{
    modvirt_network *n = network_from_wire(conn, w);

    xdr_free((xdrproc_t)xdr_mv_nonnull_network, (char *)w);
    if (!n)
        return modvirt_error_nomem(err);
    *net = n;
    return 0;
}

int modvirt_network_call(modvirt_network *net, int proc, xdrproc_t ret_filter, void *ret,
                         modvirt_error **err)
{
    mv_network_args args = { .net = modvirt_network_to_wire(net) };

    return modvirt_conn_call(net->conn, proc, (xdrproc_t)xdr_mv_network_args, &args,
                             ret_filter, ret, err);
}

/* ---- lookups ---- */

int modvirt_network_lookup_by_name(modvirt_conn *conn, const char *name, modvirt_network **net,
                                   modvirt_error **err)
{
    mv_network_lookup_by_name_args args = { .name = (char *)name };
    mv_network_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NETWORK_LOOKUP_BY_NAME,
                          (xdrproc_t)xdr_mv_network_lookup_by_name_args, &args,
                          (xdrproc_t)xdr_mv_network_ret, &ret, err);
    return r < 0 ? r : give_network(conn, &ret.net, net, err);
}

int modvirt_network_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                   modvirt_network **net, modvirt_error **err)
{
    mv_network_lookup_by_uuid_args args;
    mv_network_ret ret;
    int r;

    memcpy(args.uuid, uuid, sizeof(args.uuid));
    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NETWORK_LOOKUP_BY_UUID,
                          (xdrproc_t)xdr_mv_network_lookup_by_uuid_args, &args,
                          (xdrproc_t)xdr_mv_network_ret, &ret, err);
    return r < 0 ? r : give_network(conn, &ret.net, net, err);
}

int modvirt_network_lookup(modvirt_conn *conn, const char *key, modvirt_network **net,
                           modvirt_error **err)
{
    modvirt_error *e = NULL;
    unsigned char uuid[16];
    int r;

    if (!key || !*key)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NETWORK,
                                 "invalid argument: empty network name or UUID");
    /* a name may look like a UUID: only "no such network" moves on */
    if (mv_uuid_parse(key, uuid) == 0) {
        r = modvirt_network_lookup_by_uuid(conn, uuid, net, &e);
        if (r == 0 || r != -EIO || !e || e->code != MV_ERR_NO_NETWORK)
            goto out;
        modvirt_error_free(e);
        e = NULL;
    }
    r = modvirt_network_lookup_by_name(conn, key, net, &e);
out:
    if (r < 0 && err)
        *err = e;
    else
        modvirt_error_free(e);
    return r;
}

/* ---- define, create, undefine ---- */

/* DEFINE_XML or CREATE_XML: like virsh, the flagless procedure (LEGACY)
 * unless a flag needs the newer one (WITH_FLAGS). */
static int from_xml(modvirt_conn *conn, int legacy, int with_flags, const char *xml,
                    unsigned int flags, modvirt_network **net, modvirt_error **err)
{
    mv_network_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    if (flags == 0) {
        mv_network_xml_args args = { .xml = (char *)xml };

        r = modvirt_conn_call(conn, legacy, (xdrproc_t)xdr_mv_network_xml_args, &args,
                              (xdrproc_t)xdr_mv_network_ret, &ret, err);
    } else {
        mv_network_xml_flags_args args = { .xml = (char *)xml, .flags = flags };

        r = modvirt_conn_call(conn, with_flags, (xdrproc_t)xdr_mv_network_xml_flags_args, &args,
                              (xdrproc_t)xdr_mv_network_ret, &ret, err);
    }
    return r < 0 ? r : give_network(conn, &ret.net, net, err);
}

int modvirt_network_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                               modvirt_network **net, modvirt_error **err)
{
    return from_xml(conn, MV_PROC_NETWORK_DEFINE_XML, MV_PROC_NETWORK_DEFINE_XML_FLAGS, xml,
                    flags, net, err);
}

int modvirt_network_create_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                               modvirt_network **net, modvirt_error **err)
{
    return from_xml(conn, MV_PROC_NETWORK_CREATE_XML, MV_PROC_NETWORK_CREATE_XML_FLAGS, xml,
                    flags, net, err);
}

int modvirt_network_undefine(modvirt_network *net, modvirt_error **err)
{
    return modvirt_network_call(net, MV_PROC_NETWORK_UNDEFINE, NULL, NULL, err);
}

/* ---- start and stop ---- */

int modvirt_network_start(modvirt_network *net, modvirt_error **err)
{
    return modvirt_network_call(net, MV_PROC_NETWORK_CREATE, NULL, NULL, err);
}

int modvirt_network_destroy(modvirt_network *net, modvirt_error **err)
{
    return modvirt_network_call(net, MV_PROC_NETWORK_DESTROY, NULL, NULL, err);
}

/* ---- listings ---- */

void modvirt_network_list_free(modvirt_network **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        modvirt_network_free(list[i]);
    free(list);
}

/* Handles for the N networks of a reply, their names moved out; NULL
 * without memory (the reply still owns whatever was not moved). */
static modvirt_network **list_from_wire(modvirt_conn *conn, mv_nonnull_network *w, size_t n)
{
    modvirt_network **list = calloc(n, sizeof(*list));

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(list[i] = network_from_wire(conn, &w[i]))) {
            modvirt_network_list_free(list, i);
            return NULL;
        }
    return list;
}

int modvirt_conn_list_all_networks(modvirt_conn *conn, unsigned int flags,
                                   modvirt_network ***nets, size_t *n, modvirt_error **err)
{
    mv_connect_list_all_networks_args args = { .need_results = 1, .flags = flags };
    mv_connect_list_all_networks_ret ret;
    modvirt_network **out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_LIST_ALL_NETWORKS,
                          (xdrproc_t)xdr_mv_connect_list_all_networks_args, &args,
                          (xdrproc_t)xdr_mv_connect_list_all_networks_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.nets.nets_len;
    if (count && !(out = list_from_wire(conn, ret.nets.nets_val, count)))
        r = modvirt_error_nomem(err);
    /* names moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_connect_list_all_networks_ret, (char *)&ret);
    if (r < 0)
        return r;
    *nets = out;
    *n = count;
    return 0;
}
