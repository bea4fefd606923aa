/*
 * Node devices: listing, lookup, XML, parent, capabilities, state, and PCI
 * detach / reattach / reset.  The wire names a device by its name string
 * alone (mv_nonnull_node_device is just the name), so there is no handle:
 * every call takes the name.  Every call here is routed to modvirt-nodedevd
 * by client/conn.c (subsystem "nodedev").
 */
#define MV_LOG_MODULE "client.nodedev"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

/* An empty or missing name is the caller's mistake, said before any call. */
static int check_name(const char *name, modvirt_error **err)
{
    if (!name || !*name)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                                 "invalid argument: empty node device name");
    return 0;
}

/* Calls PROC whose arguments are just NAME (mv_node_device_name_args). */
static int name_call(modvirt_conn *conn, const char *name, int proc, xdrproc_t ret_filter,
                     void *ret, modvirt_error **err)
{
    mv_node_device_name_args args = { .name = (char *)name };
    int r = check_name(name, err);

    if (r < 0)
        return r;
    return modvirt_conn_call(conn, proc, (xdrproc_t)xdr_mv_node_device_name_args, &args,
                             ret_filter, ret, err);
}

/* Moves N wire strings out of W into a NULL-terminated array; NULL without
 * memory (W keeps whatever was not moved). */
static char **strings_from_wire(char **w, size_t n)
{
    char **out = calloc(n + 1, sizeof(*out));

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = TAKE_PTR(w[i]);
    return out;
}

/* ---- listing ---- */

int modvirt_conn_list_all_node_devices(modvirt_conn *conn, unsigned int flags, char ***names,
                                       size_t *n, modvirt_error **err)
{
    mv_connect_list_all_node_devices_args args = { .need_results = 1, .flags = flags };
    mv_connect_list_all_node_devices_ret ret;
    char **out;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_LIST_ALL_NODE_DEVICES,
                          (xdrproc_t)xdr_mv_connect_list_all_node_devices_args, &args,
                          (xdrproc_t)xdr_mv_connect_list_all_node_devices_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.devices.devices_len;
    out = calloc(count + 1, sizeof(*out));
    if (!out)
        r = modvirt_error_nomem(err);
    for (size_t i = 0; out && i < count; i++)
        out[i] = TAKE_PTR(ret.devices.devices_val[i].name);
    /* names moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_connect_list_all_node_devices_ret, (char *)&ret);
    if (r < 0)
        return r;
    *names = out;
    *n = count;
    return 0;
}

/* ---- lookups ---- */

int modvirt_node_device_lookup(modvirt_conn *conn, const char *name, modvirt_error **err)
{
    mv_node_device_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = name_call(conn, name, MV_PROC_NODE_DEVICE_LOOKUP_BY_NAME,
                  (xdrproc_t)xdr_mv_node_device_ret, &ret, err);
    if (r == 0)
        xdr_free((xdrproc_t)xdr_mv_node_device_ret, (char *)&ret);
    return r;
}

int modvirt_node_device_lookup_scsi_host_by_wwn(modvirt_conn *conn, const char *wwnn,
                                                const char *wwpn, char **name,
                                                modvirt_error **err)
{
    mv_node_device_lookup_scsi_host_by_wwn_args args = { .wwnn = (char *)wwnn,
                                                         .wwpn = (char *)wwpn };
    mv_node_device_ret ret;
    int r;

    if (!wwnn || !*wwnn || !wwpn || !*wwpn)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                                 "invalid argument: empty WWNN or WWPN");
    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN,
                          (xdrproc_t)xdr_mv_node_device_lookup_scsi_host_by_wwn_args, &args,
                          (xdrproc_t)xdr_mv_node_device_ret, &ret, err);
    if (r < 0)
        return r;
    *name = TAKE_PTR(ret.dev.name);
    return 0;
}

/* ---- queries ---- */

int modvirt_node_device_get_xml(modvirt_conn *conn, const char *name, unsigned int flags,
                                char **xml, modvirt_error **err)
{
    mv_node_device_name_flags_args args = { .name = (char *)name, .flags = flags };
    mv_xml_ret ret;
    int r = check_name(name, err);

    if (r < 0)
        return r;
    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NODE_DEVICE_GET_XML_DESC,
                          (xdrproc_t)xdr_mv_node_device_name_flags_args, &args,
                          (xdrproc_t)xdr_mv_xml_ret, &ret, err);
    if (r < 0)
        return r;
    *xml = TAKE_PTR(ret.xml);
    return 0;
}

int modvirt_node_device_get_parent(modvirt_conn *conn, const char *name, char **parent,
                                   modvirt_error **err)
{
    mv_node_device_get_parent_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = name_call(conn, name, MV_PROC_NODE_DEVICE_GET_PARENT,
                  (xdrproc_t)xdr_mv_node_device_get_parent_ret, &ret, err);
    if (r < 0)
        return r;
    /* an absent parentName is the root device */
    *parent = ret.parentName ? TAKE_PTR(*ret.parentName) : NULL;
    free(ret.parentName);
    return 0;
}

int modvirt_node_device_list_caps(modvirt_conn *conn, const char *name, char ***caps,
                                  modvirt_error **err)
{
    mv_num_ret num = { 0 };
    mv_node_device_list_caps_args args = { .name = (char *)name };
    mv_node_device_list_caps_ret ret;
    char **out;
    int r;

    /* as virsh does: the count first, LIST_CAPS wants a bound */
    r = name_call(conn, name, MV_PROC_NODE_DEVICE_NUM_OF_CAPS, (xdrproc_t)xdr_mv_num_ret, &num, err);
    if (r < 0)
        return r;
    memset(&ret, 0, sizeof(ret));
    args.maxnames = num.num > 0 ? num.num : 0;
    if (args.maxnames > 0) {
        r = modvirt_conn_call(conn, MV_PROC_NODE_DEVICE_LIST_CAPS,
                              (xdrproc_t)xdr_mv_node_device_list_caps_args, &args,
                              (xdrproc_t)xdr_mv_node_device_list_caps_ret, &ret, err);
        if (r < 0)
            return r;
    }
    out = strings_from_wire(ret.names.names_val, ret.names.names_len);
    xdr_free((xdrproc_t)xdr_mv_node_device_list_caps_ret, (char *)&ret);
    if (!out)
        return modvirt_error_nomem(err);
    *caps = out;
    return 0;
}

/* IS_ACTIVE, IS_PERSISTENT, GET_AUTOSTART: each answers one int. */
static int int_query(modvirt_conn *conn, const char *name, int proc, int *value, modvirt_error **err)
{
    int v = 0;
    /* each reply struct is a single int */
    int r = name_call(conn, name, proc, (xdrproc_t)xdr_int, &v, err);

    if (r < 0)
        return r;
    *value = v;
    return 0;
}

int modvirt_node_device_is_active(modvirt_conn *conn, const char *name, int *active,
                                  modvirt_error **err)
{
    return int_query(conn, name, MV_PROC_NODE_DEVICE_IS_ACTIVE, active, err);
}

int modvirt_node_device_is_persistent(modvirt_conn *conn, const char *name, int *persistent,
                                      modvirt_error **err)
{
    return int_query(conn, name, MV_PROC_NODE_DEVICE_IS_PERSISTENT, persistent, err);
}

int modvirt_node_device_get_autostart(modvirt_conn *conn, const char *name, int *autostart,
                                      modvirt_error **err)
{
    return int_query(conn, name, MV_PROC_NODE_DEVICE_GET_AUTOSTART, autostart, err);
}

/* ---- detach, reattach, reset ---- */

int modvirt_node_device_detach(modvirt_conn *conn, const char *name, const char *driver,
                               unsigned int flags, modvirt_error **err)
{
    char *drv = (char *)driver;
    mv_node_device_detach_flags_args args = { .name = (char *)name, .driverName = driver ? &drv : NULL,
                                              .flags = flags };
    int r = check_name(name, err);

    if (r < 0)
        return r;
    if (!driver && !flags)
        return name_call(conn, name, MV_PROC_NODE_DEVICE_DETTACH, NULL, NULL, err);
    return modvirt_conn_call(conn, MV_PROC_NODE_DEVICE_DETACH_FLAGS,
                             (xdrproc_t)xdr_mv_node_device_detach_flags_args, &args, NULL, NULL, err);
}

int modvirt_node_device_reattach(modvirt_conn *conn, const char *name, modvirt_error **err)
{
    return name_call(conn, name, MV_PROC_NODE_DEVICE_RE_ATTACH, NULL, NULL, err);
}

int modvirt_node_device_reset(modvirt_conn *conn, const char *name, modvirt_error **err)
{
    return name_call(conn, name, MV_PROC_NODE_DEVICE_RESET, NULL, NULL, err);
}
