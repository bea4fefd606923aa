/*
 * Starting, stopping, pausing and rebooting domains.  Each picks the
 * procedure virsh would send for the same flags (the flagless legacy one
 * when no flag is set), so the daemon sees the traffic it sees from virsh.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "log.h"
#include "remote_protocol.h"

/* After DOMAIN_CREATE the handle still has the old id; libvirt's client
 * asks by UUID, and so do we.  The domain did start, so a failure here only
 * leaves the id unknown rather than failing the start. */
static void refresh_id(modvirt_domain *dom)
{
    modvirt_domain *fresh = NULL;
    modvirt_error *e = NULL;

    if (modvirt_domain_lookup_by_uuid(dom->conn, dom->uuid, &fresh, &e) < 0) {
        mv_debug("cannot learn the id of '%s' after starting it: %s", dom->name,
                 e && e->message ? e->message : "?");
        modvirt_error_free(e);
        return;
    }
    dom->id = fresh->id;
    modvirt_domain_free(fresh);
}

int modvirt_domain_start(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    mv_domain_create_with_flags_ret ret;
    int r;

    if (flags == 0) {
        r = modvirt_domain_call(dom, MV_PROC_DOMAIN_CREATE, NULL, NULL, err);
        if (r == 0)
            refresh_id(dom);
        return r;
    }
    memset(&ret, 0, sizeof(ret));
    r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_CREATE_WITH_FLAGS, flags,
                                  (xdrproc_t)xdr_mv_domain_create_with_flags_ret, &ret, err);
    if (r < 0)
        return r;
    dom->id = ret.dom.id;
    xdr_free((xdrproc_t)xdr_mv_domain_create_with_flags_ret, (char *)&ret);
    return 0;
}

int modvirt_domain_destroy(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    int r = flags ? modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_DESTROY_FLAGS, flags, NULL, NULL, err)
                  : modvirt_domain_call(dom, MV_PROC_DOMAIN_DESTROY, NULL, NULL, err);

    if (r == 0)
        dom->id = -1;
    return r;
}

int modvirt_domain_shutdown(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    if (flags)
        return modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_SHUTDOWN_FLAGS, flags, NULL, NULL, err);
    return modvirt_domain_call(dom, MV_PROC_DOMAIN_SHUTDOWN, NULL, NULL, err);
}

int modvirt_domain_reboot(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    return modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_REBOOT, flags, NULL, NULL, err);
}

int modvirt_domain_reset(modvirt_domain *dom, modvirt_error **err)
{
    return modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_RESET, 0, NULL, NULL, err);
}

int modvirt_domain_suspend(modvirt_domain *dom, modvirt_error **err)
{
    return modvirt_domain_call(dom, MV_PROC_DOMAIN_SUSPEND, NULL, NULL, err);
}

int modvirt_domain_resume(modvirt_domain *dom, modvirt_error **err)
{
    return modvirt_domain_call(dom, MV_PROC_DOMAIN_RESUME, NULL, NULL, err);
}
