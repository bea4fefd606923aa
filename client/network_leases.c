/*
 * The DHCP leases of a network (GET_DHCP_LEASES), handed out as plain
 * structs whose strings move out of the reply rather than being copied:
 * a reply may carry tens of thousands of leases.
 */
#define MV_LOG_MODULE "client.network"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

void modvirt_network_dhcp_lease_list_free(modvirt_network_dhcp_lease *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++) {
        free(list[i].iface);
        free(list[i].mac);
        free(list[i].iaid);
        free(list[i].ipaddr);
        free(list[i].hostname);
        free(list[i].clientid);
    }
    free(list);
}

/* The string an optional wire string points to, moved out; NULL if absent. */
static char *take_optional(mv_string s)
{
    return s ? TAKE_PTR(*s) : NULL;
}

static void lease_from_wire(modvirt_network_dhcp_lease *out, mv_network_dhcp_lease *w)
{
    out->iface = TAKE_PTR(w->iface);
    out->expiry_time = w->expirytime;
    out->type = w->type;
    out->mac = take_optional(w->mac);
    out->iaid = take_optional(w->iaid);
    out->ipaddr = TAKE_PTR(w->ipaddr);
    out->prefix = w->prefix;
    out->hostname = take_optional(w->hostname);
    out->clientid = take_optional(w->clientid);
}

int modvirt_network_get_dhcp_leases(modvirt_network *net, const char *mac,
                                    modvirt_network_dhcp_lease **leases, size_t *n,
                                    modvirt_error **err)
{
    char *filter = (char *)mac;
    mv_network_get_dhcp_leases_args args = {
        .net = modvirt_network_to_wire(net), .mac = mac ? &filter : NULL, .need_results = 1,
    };
    mv_network_get_dhcp_leases_ret ret;
    modvirt_network_dhcp_lease *out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(net->conn, MV_PROC_NETWORK_GET_DHCP_LEASES,
                          (xdrproc_t)xdr_mv_network_get_dhcp_leases_args, &args,
                          (xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.leases.leases_len;
    if (count && !(out = calloc(count, sizeof(*out))))
        r = modvirt_error_nomem(err);
    for (size_t i = 0; out && i < count; i++)
        lease_from_wire(&out[i], &ret.leases.leases_val[i]);
    /* strings moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, (char *)&ret);
    if (r < 0)
        return r;
    *leases = out;
    *n = count;
    return 0;
}
