/*
 * What a domain is and how it is doing: state, info, XML, flags and the
 * extras virsh dominfo shows.  Each is one remote procedure.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

int modvirt_domain_get_state(modvirt_domain *dom, int *state, int *reason, modvirt_error **err)
{
    mv_domain_get_state_ret ret = { 0 };
    int r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_GET_STATE, 0,
                                      (xdrproc_t)xdr_mv_domain_get_state_ret, &ret, err);

    if (r < 0)
        return r;
    *state = ret.state;
    *reason = ret.reason;
    return 0;
}

int modvirt_domain_get_info(modvirt_domain *dom, modvirt_domain_info *info, modvirt_error **err)
{
    mv_domain_get_info_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_domain_call(dom, MV_PROC_DOMAIN_GET_INFO,
                            (xdrproc_t)xdr_mv_domain_get_info_ret, &ret, err);
    if (r < 0)
        return r;
    memset(info, 0, sizeof(*info));
    info->state = ret.state;
    info->max_memory = ret.maxMem;
    info->memory = ret.memory;
    info->vcpus = ret.nrVirtCpu;
    info->cpu_time = ret.cpuTime;
    return 0;
}

int modvirt_domain_get_xml(modvirt_domain *dom, unsigned int flags, char **xml,
                           modvirt_error **err)
{
    mv_domain_get_xml_desc_ret ret = { 0 };
    int r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_GET_XML_DESC, flags,
                                      (xdrproc_t)xdr_mv_domain_get_xml_desc_ret, &ret, err);

    if (r == 0)
        *xml = TAKE_PTR(ret.xml);
    return r;
}

int modvirt_domain_get_os_type(modvirt_domain *dom, char **type, modvirt_error **err)
{
    mv_domain_get_os_type_ret ret = { 0 };
    int r = modvirt_domain_call(dom, MV_PROC_DOMAIN_GET_OS_TYPE,
                                (xdrproc_t)xdr_mv_domain_get_os_type_ret, &ret, err);

    if (r == 0)
        *type = TAKE_PTR(ret.type);
    return r;
}

int modvirt_domain_is_active(modvirt_domain *dom, int *active, modvirt_error **err)
{
    mv_domain_is_active_ret ret = { 0 };
    int r = modvirt_domain_call(dom, MV_PROC_DOMAIN_IS_ACTIVE,
                                (xdrproc_t)xdr_mv_domain_is_active_ret, &ret, err);

    /* the daemon sends 0/1; anything else non-zero still means yes */
    if (r == 0)
        *active = ret.active != 0;
    return r;
}

int modvirt_domain_is_persistent(modvirt_domain *dom, int *persistent, modvirt_error **err)
{
    mv_domain_is_persistent_ret ret = { 0 };
    int r = modvirt_domain_call(dom, MV_PROC_DOMAIN_IS_PERSISTENT,
                                (xdrproc_t)xdr_mv_domain_is_persistent_ret, &ret, err);

    if (r == 0)
        *persistent = ret.persistent != 0;
    return r;
}

int modvirt_domain_get_autostart(modvirt_domain *dom, int *autostart, modvirt_error **err)
{
    mv_domain_get_autostart_ret ret = { 0 };
    int r = modvirt_domain_call(dom, MV_PROC_DOMAIN_GET_AUTOSTART,
                                (xdrproc_t)xdr_mv_domain_get_autostart_ret, &ret, err);

    if (r == 0)
        *autostart = ret.autostart != 0;
    return r;
}

int modvirt_domain_set_autostart(modvirt_domain *dom, int autostart, modvirt_error **err)
{
    mv_domain_set_autostart_args args = {
        .dom = modvirt_domain_to_wire(dom), .autostart = autostart ? 1 : 0,
    };

    return modvirt_conn_call(dom->conn, MV_PROC_DOMAIN_SET_AUTOSTART,
                             (xdrproc_t)xdr_mv_domain_set_autostart_args, &args, NULL, NULL, err);
}

int modvirt_domain_has_managed_save(modvirt_domain *dom, int *has, modvirt_error **err)
{
    mv_domain_has_managed_save_image_ret ret = { 0 };
    int r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, 0,
                                      (xdrproc_t)xdr_mv_domain_has_managed_save_image_ret,
                                      &ret, err);

    if (r == 0)
        *has = ret.result != 0;
    return r;
}

int modvirt_domain_get_security_label(modvirt_domain *dom, char **label, int *enforcing,
                                      modvirt_error **err)
{
    mv_domain_get_security_label_ret ret;
    char *s;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_domain_call(dom, MV_PROC_DOMAIN_GET_SECURITY_LABEL,
                            (xdrproc_t)xdr_mv_domain_get_security_label_ret, &ret, err);
    if (r < 0)
        return r;
    /* a counted char array that includes the NUL, or an empty one */
    s = strndup(ret.label.label_val ? ret.label.label_val : "", ret.label.label_len);
    *enforcing = ret.enforcing;
    xdr_free((xdrproc_t)xdr_mv_domain_get_security_label_ret, (char *)&ret);
    if (!s)
        return modvirt_error_nomem(err);
    *label = s;
    return 0;
}

void modvirt_string_list_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

int modvirt_domain_get_messages(modvirt_domain *dom, char ***msgs, modvirt_error **err)
{
    mv_domain_get_messages_ret ret;
    char **list;
    size_t n;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_GET_MESSAGES, 0,
                                  (xdrproc_t)xdr_mv_domain_get_messages_ret, &ret, err);
    if (r < 0)
        return r;
    n = ret.msgs.msgs_len;
    list = calloc(n + 1, sizeof(*list));
    if (list)
        for (size_t i = 0; i < n; i++)
            list[i] = TAKE_PTR(ret.msgs.msgs_val[i]);
    xdr_free((xdrproc_t)xdr_mv_domain_get_messages_ret, (char *)&ret);
    if (!list)
        return modvirt_error_nomem(err);
    *msgs = list;
    return 0;
}
