/*
 * Domain calls.  For now only the listing; lookups, lifecycle and XML come
 * with the qemud driver.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

void modvirt_domain_ref_list_free(modvirt_domain_ref *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

/* Moves the names out of the reply: no copy of what may be 16384 names. */
static modvirt_domain_ref *refs_from_wire(mv_nonnull_domain *doms, size_t n)
{
    modvirt_domain_ref *list = calloc(n, sizeof(*list));

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        list[i].name = TAKE_PTR(doms[i].name);
        memcpy(list[i].uuid, doms[i].uuid, sizeof(list[i].uuid));
        list[i].id = doms[i].id;
    }
    return list;
}

int modvirt_conn_list_all_domains(modvirt_conn *conn, unsigned int flags,
                                  modvirt_domain_ref **list, size_t *n, modvirt_error **err)
{
    mv_connect_list_all_domains_args args = { .need_results = 1, .flags = flags };
    mv_connect_list_all_domains_ret ret;
    modvirt_domain_ref *out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_LIST_ALL_DOMAINS,
                          (xdrproc_t)xdr_mv_connect_list_all_domains_args, &args,
                          (xdrproc_t)xdr_mv_connect_list_all_domains_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.domains.domains_len;
    if (count) {
        out = refs_from_wire(ret.domains.domains_val, count);
        if (!out) {
            xdr_free((xdrproc_t)xdr_mv_connect_list_all_domains_ret, (char *)&ret);
            struct mv_err e = { 0 };
            mv_err_set(&e, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
            return modvirt_error_give(&e, err, -ENOMEM);
        }
    }
    /* names moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_connect_list_all_domains_ret, (char *)&ret);
    *list = out;
    *n = count;
    return 0;
}
