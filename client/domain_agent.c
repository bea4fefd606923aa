/*
 * What the guest agent (or the DHCP leases) tell of a domain (modvirt.h,
 * "guest agent"): DOMAIN_INTERFACE_ADDRESSES (virsh domifaddr) and
 * DOMAIN_GET_GUEST_INFO (virsh guestinfo), copied out of the reply.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remote_protocol.h"

void modvirt_domain_ifaces_free(modvirt_domain_iface *ifaces, size_t n)
{
    for (size_t i = 0; ifaces && i < n; i++) {
        for (size_t j = 0; j < ifaces[i].naddrs; j++)
            free(ifaces[i].addrs[j].addr);
        free(ifaces[i].addrs);
        free(ifaces[i].name);
        free(ifaces[i].hwaddr);
    }
    free(ifaces);
}

/* W's strings moved into OUT: nothing to fail but the address array. */
static int take_iface(mv_domain_interface *w, modvirt_domain_iface *out)
{
    out->name = w->name;
    w->name = NULL;
    out->hwaddr = w->hwaddr ? *w->hwaddr : NULL;
    if (w->hwaddr)
        *w->hwaddr = NULL;
    if (!(out->addrs = calloc(w->addrs.addrs_len + 1, sizeof(*out->addrs))))
        return -ENOMEM;
    for (u_int j = 0; j < w->addrs.addrs_len; j++) {
        mv_domain_ip_addr *a = &w->addrs.addrs_val[j];

        out->addrs[j].type = a->type;
        out->addrs[j].addr = a->addr;
        out->addrs[j].prefix = a->prefix;
        a->addr = NULL;
    }
    out->naddrs = w->addrs.addrs_len;
    return 0;
}

int modvirt_domain_interface_addresses(modvirt_domain *dom, unsigned int source, modvirt_domain_iface **ifaces,
                                       size_t *nifaces, modvirt_error **err)
{
    mv_domain_interface_addresses_args args = { .dom = modvirt_domain_to_wire(dom), .source = source };
    mv_domain_interface_addresses_ret ret = { 0 };
    modvirt_domain_iface *out = NULL;
    size_t n = 0;
    int r;

    r = modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_INTERFACE_ADDRESSES,
                          (xdrproc_t)xdr_mv_domain_interface_addresses_args, &args,
                          (xdrproc_t)xdr_mv_domain_interface_addresses_ret, &ret, err);
    if (r == 0) {
        n = ret.ifaces.ifaces_len;
        if (!(out = calloc(n + 1, sizeof(*out))))
            r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < n; i++)
            r = take_iface(&ret.ifaces.ifaces_val[i], &out[i]);
    }
    xdr_free((xdrproc_t)xdr_mv_domain_interface_addresses_ret, (char *)&ret);
    if (r < 0) {
        modvirt_domain_ifaces_free(out, n);
        return r;
    }
    *ifaces = out;
    *nifaces = n;
    return 0;
}

void modvirt_guest_info_free(modvirt_stat *params, size_t n)
{
    for (size_t i = 0; params && i < n; i++) {
        free(params[i].field);
        free(params[i].s);
    }
    free(params);
}

int modvirt_domain_get_guest_info(modvirt_domain *dom, unsigned int types, modvirt_stat **params, size_t *nparams,
                                  modvirt_error **err)
{
    mv_domain_get_guest_info_args args = { .dom = modvirt_domain_to_wire(dom), .types = types };
    mv_domain_get_guest_info_ret ret = { 0 };
    modvirt_stat *out;
    size_t n;
    int r;

    r = modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_GET_GUEST_INFO, (xdrproc_t)xdr_mv_domain_get_guest_info_args,
                          &args, (xdrproc_t)xdr_mv_domain_get_guest_info_ret, &ret, err);
    if (r < 0)
        return r;
    n = ret.params.params_len;
    if (!(out = calloc(n + 1, sizeof(*out)))) {
        xdr_free((xdrproc_t)xdr_mv_domain_get_guest_info_ret, (char *)&ret);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        mv_stat_take(&ret.params.params_val[i], &out[i]);
    xdr_free((xdrproc_t)xdr_mv_domain_get_guest_info_ret, (char *)&ret);
    *params = out;
    *nparams = n;
    return 0;
}
