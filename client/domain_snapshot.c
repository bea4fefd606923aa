/*
 * Domain snapshots: create, list, XML, current, revert, delete, each the
 * procedure virsh sends for the same request.  A snapshot is named by its
 * domain handle and its name (no handle of its own: the calls are few).
 */
#define MV_LOG_MODULE "client.snapshot"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

static mv_nonnull_domain_snapshot snap_wire(const modvirt_domain *dom, const char *name)
{
    mv_nonnull_domain_snapshot w = { .name = (char *)name, .dom = modvirt_domain_to_wire(dom) };

    return w;
}

int modvirt_domain_snapshot_create(modvirt_domain *dom, const char *xml, unsigned int flags, char **name,
                                   modvirt_error **err)
{
    mv_domain_snapshot_create_xml_args args = { .dom = modvirt_domain_to_wire(dom), .xml_desc = (char *)xml,
                                                .flags = flags };
    mv_domain_snapshot_create_xml_ret ret = { 0 };
    int r = modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_SNAPSHOT_CREATE_XML,
                              (xdrproc_t)xdr_mv_domain_snapshot_create_xml_args, &args,
                              (xdrproc_t)xdr_mv_domain_snapshot_create_xml_ret, &ret, err);

    if (r < 0)
        return r;
    if (name)
        *name = TAKE_PTR(ret.snap.name);
    xdr_free((xdrproc_t)xdr_mv_domain_snapshot_create_xml_ret, (char *)&ret);
    return 0;
}

int modvirt_domain_snapshot_list(modvirt_domain *dom, unsigned int flags, char ***names, modvirt_error **err)
{
    mv_domain_list_all_snapshots_args args = { .dom = modvirt_domain_to_wire(dom), .need_results = 1,
                                               .flags = flags };
    mv_domain_snapshot_list_ret ret = { 0 };
    char **list;
    int r = modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_LIST_ALL_SNAPSHOTS,
                              (xdrproc_t)xdr_mv_domain_list_all_snapshots_args, &args,
                              (xdrproc_t)xdr_mv_domain_snapshot_list_ret, &ret, err);

    if (r < 0)
        return r;
    if (!(list = calloc(ret.snapshots.snapshots_len + 1, sizeof(char *)))) {
        xdr_free((xdrproc_t)xdr_mv_domain_snapshot_list_ret, (char *)&ret);
        return modvirt_error_nomem(err);
    }
    for (unsigned int i = 0; i < ret.snapshots.snapshots_len; i++)
        list[i] = TAKE_PTR(ret.snapshots.snapshots_val[i].name);
    xdr_free((xdrproc_t)xdr_mv_domain_snapshot_list_ret, (char *)&ret);
    *names = list;
    return 0;
}

int modvirt_domain_snapshot_get_xml(modvirt_domain *dom, const char *name, unsigned int flags, char **xml,
                                    modvirt_error **err)
{
    mv_domain_snapshot_flags_args args = { .snap = snap_wire(dom, name), .flags = flags };
    mv_domain_snapshot_get_xml_desc_ret ret = { 0 };
    int r = modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC,
                              (xdrproc_t)xdr_mv_domain_snapshot_flags_args, &args,
                              (xdrproc_t)xdr_mv_domain_snapshot_get_xml_desc_ret, &ret, err);

    if (r == 0)
        *xml = TAKE_PTR(ret.xml);
    return r;
}

int modvirt_domain_snapshot_current(modvirt_domain *dom, char **name, modvirt_error **err)
{
    mv_domain_snapshot_ret ret = { 0 };
    int r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_SNAPSHOT_CURRENT, 0,
                                      (xdrproc_t)xdr_mv_domain_snapshot_ret, &ret, err);

    if (r < 0)
        return r;
    *name = TAKE_PTR(ret.snap.name);
    xdr_free((xdrproc_t)xdr_mv_domain_snapshot_ret, (char *)&ret);
    return 0;
}

/* PROC on snapshot NAME of DOM with FLAGS and no reply. */
static int snap_call(modvirt_domain *dom, int proc, const char *name, unsigned int flags, modvirt_error **err)
{
    mv_domain_snapshot_flags_args args = { .snap = snap_wire(dom, name), .flags = flags };

    return modvirt_conn_call(dom->conn, proc, (xdrproc_t)xdr_mv_domain_snapshot_flags_args, &args, NULL, NULL,
                             err);
}

int modvirt_domain_snapshot_revert(modvirt_domain *dom, const char *name, unsigned int flags,
                                   modvirt_error **err)
{
    return snap_call(dom, MV_PROC_DOMAIN_REVERT_TO_SNAPSHOT, name, flags, err);
}

int modvirt_domain_snapshot_delete(modvirt_domain *dom, const char *name, unsigned int flags,
                                   modvirt_error **err)
{
    return snap_call(dom, MV_PROC_DOMAIN_SNAPSHOT_DELETE, name, flags, err);
}
