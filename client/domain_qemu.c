/*
 * libvirt's QEMU program from libmodvirt: the monitor passthrough
 * (virDomainQemuMonitorCommand), sent as program 0x20008087 to the daemon
 * that serves domains.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "qemu_protocol.h"

int modvirt_domain_qemu_monitor_command(modvirt_domain *dom, const char *cmd, unsigned int flags,
                                        char **result, modvirt_error **err)
{
    mv_qemu_domain_monitor_command_args args = {
        .dom = modvirt_domain_to_wire(dom), .cmd = (char *)cmd, .flags = flags,
    };
    mv_qemu_domain_monitor_command_ret ret = { 0 };
    int r = modvirt_conn_call_prog(dom->conn, MV_QEMU_PROGRAM, MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND,
                                   (xdrproc_t)xdr_mv_qemu_domain_monitor_command_args, &args,
                                   (xdrproc_t)xdr_mv_qemu_domain_monitor_command_ret, &ret, err);

    if (r < 0)
        return r;
    *result = ret.result;       /* taken out of the reply: the caller frees it */
    return 0;
}
