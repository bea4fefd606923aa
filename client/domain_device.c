/*
 * Devices of a domain added, removed and changed (virsh attach-device,
 * detach-device, detach-device-alias, update-device): the flagless legacy
 * procedure when no flag is set, as virsh sends it.
 */
#include <errno.h>

#include "internal.h"
#include "remote_protocol.h"

int modvirt_domain_attach_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err)
{
    mv_domain_attach_device_flags_args args = { .dom = modvirt_domain_to_wire(dom), .xml = (char *)xml,
                                                .flags = flags };
    mv_domain_attach_device_args legacy = { .dom = args.dom, .xml = (char *)xml };

    if (!flags)
        return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_ATTACH_DEVICE, (xdrproc_t)xdr_mv_domain_attach_device_args,
                                 &legacy, NULL, NULL, err);
    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_ATTACH_DEVICE_FLAGS,
                             (xdrproc_t)xdr_mv_domain_attach_device_flags_args, &args, NULL, NULL, err);
}

int modvirt_domain_detach_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err)
{
    mv_domain_detach_device_flags_args args = { .dom = modvirt_domain_to_wire(dom), .xml = (char *)xml,
                                                .flags = flags };
    mv_domain_detach_device_args legacy = { .dom = args.dom, .xml = (char *)xml };

    if (!flags)
        return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_DETACH_DEVICE, (xdrproc_t)xdr_mv_domain_detach_device_args,
                                 &legacy, NULL, NULL, err);
    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_DETACH_DEVICE_FLAGS,
                             (xdrproc_t)xdr_mv_domain_detach_device_flags_args, &args, NULL, NULL, err);
}

int modvirt_domain_update_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err)
{
    mv_domain_update_device_flags_args args = { .dom = modvirt_domain_to_wire(dom), .xml = (char *)xml,
                                                .flags = flags };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_UPDATE_DEVICE_FLAGS,
                             (xdrproc_t)xdr_mv_domain_update_device_flags_args, &args, NULL, NULL, err);
}

int modvirt_domain_detach_device_alias(modvirt_domain *dom, const char *alias, unsigned int flags,
                                       modvirt_error **err)
{
    mv_domain_detach_device_alias_args args = { .dom = modvirt_domain_to_wire(dom), .alias = (char *)alias,
                                                .flags = flags };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_DETACH_DEVICE_ALIAS,
                             (xdrproc_t)xdr_mv_domain_detach_device_alias_args, &args, NULL, NULL, err);
}
