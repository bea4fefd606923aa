/*
 * A domain's vCPU count and pinning, memory and migration speed
 * (modvirt.h, "tuning"): the flagged procedures virsh's setvcpus, vcpupin,
 * setmem and migrate-setspeed/getspeed send (flags 0: the domain's current
 * state, as virsh's --current).
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "remote_protocol.h"

int modvirt_domain_set_vcpus(modvirt_domain *dom, unsigned int n, unsigned int flags, modvirt_error **err)
{
    mv_domain_set_vcpus_flags_args args = { .dom = modvirt_domain_to_wire(dom), .nvcpus = n, .flags = flags };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_SET_VCPUS_FLAGS, (xdrproc_t)xdr_mv_domain_set_vcpus_flags_args,
                             &args, NULL, NULL, err);
}

int modvirt_domain_pin_vcpu(modvirt_domain *dom, unsigned int vcpu, const unsigned char *cpumap, size_t maplen,
                            unsigned int flags, modvirt_error **err)
{
    mv_domain_pin_vcpu_flags_args args = {
        .dom = modvirt_domain_to_wire(dom), .vcpu = vcpu,
        .cpumap = { .cpumap_len = (u_int)maplen, .cpumap_val = (char *)cpumap }, .flags = flags,
    };

    if (maplen == 0 || maplen > MV_CPUMAP_MAX)
        return -EINVAL;
    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_PIN_VCPU_FLAGS, (xdrproc_t)xdr_mv_domain_pin_vcpu_flags_args,
                             &args, NULL, NULL, err);
}

int modvirt_domain_set_memory(modvirt_domain *dom, unsigned long long kib, unsigned int flags,
                              modvirt_error **err)
{
    mv_domain_set_memory_flags_args args = { .dom = modvirt_domain_to_wire(dom), .memory = kib, .flags = flags };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_SET_MEMORY_FLAGS, (xdrproc_t)xdr_mv_domain_set_memory_flags_args,
                             &args, NULL, NULL, err);
}

int modvirt_domain_migrate_set_max_speed(modvirt_domain *dom, unsigned long long mib, modvirt_error **err)
{
    mv_domain_migrate_set_max_speed_args args = { .dom = modvirt_domain_to_wire(dom), .bandwidth = mib };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_MIGRATE_SET_MAX_SPEED,
                             (xdrproc_t)xdr_mv_domain_migrate_set_max_speed_args, &args, NULL, NULL, err);
}

int modvirt_domain_migrate_get_max_speed(modvirt_domain *dom, unsigned long long *mib, modvirt_error **err)
{
    mv_domain_migrate_get_max_speed_ret ret = { 0 };
    int r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_MIGRATE_GET_MAX_SPEED, 0,
                                      (xdrproc_t)xdr_mv_domain_migrate_get_max_speed_ret, &ret, err);

    if (r == 0)
        *mib = ret.bandwidth;
    return r;
}
