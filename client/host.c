/*
 * Host-level calls: who and what the daemon is, and the machine it runs on.
 * Each is one remote procedure through modvirt_conn_call().
 */
#define MV_LOG_MODULE "client.host"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"

const char *modvirt_version(void)
{
    return PACKAGE_VERSION;
}

/* Moves a decoded string out of a reply struct (rpcgen strings are malloc'd). */
static int take_string(char **field, char **out)
{
    *out = TAKE_PTR(*field);
    return 0;
}

int modvirt_conn_get_hostname(modvirt_conn *conn, char **hostname, modvirt_error **err)
{
    mv_connect_get_hostname_ret ret = { 0 };
    int r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_HOSTNAME, NULL, NULL,
                              (xdrproc_t)xdr_mv_connect_get_hostname_ret, &ret, err);

    return r < 0 ? r : take_string(&ret.hostname, hostname);
}

int modvirt_conn_get_type(modvirt_conn *conn, char **type, modvirt_error **err)
{
    mv_connect_get_type_ret ret = { 0 };
    int r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_TYPE, NULL, NULL,
                              (xdrproc_t)xdr_mv_connect_get_type_ret, &ret, err);

    return r < 0 ? r : take_string(&ret.type, type);
}

int modvirt_conn_get_capabilities(modvirt_conn *conn, char **xml, modvirt_error **err)
{
    mv_connect_get_capabilities_ret ret = { 0 };
    int r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_CAPABILITIES, NULL, NULL,
                              (xdrproc_t)xdr_mv_connect_get_capabilities_ret, &ret, err);

    return r < 0 ? r : take_string(&ret.capabilities, xml);
}

int modvirt_conn_get_version(modvirt_conn *conn, uint64_t *version, modvirt_error **err)
{
    mv_connect_get_version_ret ret = { 0 };
    int r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_VERSION, NULL, NULL,
                              (xdrproc_t)xdr_mv_connect_get_version_ret, &ret, err);

    if (r == 0)
        *version = ret.hv_ver;
    return r;
}

int modvirt_conn_get_lib_version(modvirt_conn *conn, uint64_t *version, modvirt_error **err)
{
    mv_connect_get_lib_version_ret ret = { 0 };
    int r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_LIB_VERSION, NULL, NULL,
                              (xdrproc_t)xdr_mv_connect_get_lib_version_ret, &ret, err);

    if (r == 0)
        *version = ret.lib_ver;
    return r;
}

/* Negative counts would be a daemon bug; show them as 0 rather than 4 billion. */
static unsigned int count(int v)
{
    return v > 0 ? (unsigned int)v : 0;
}

int modvirt_node_get_info(modvirt_conn *conn, modvirt_node_info *info, modvirt_error **err)
{
    mv_node_get_info_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NODE_GET_INFO, NULL, NULL,
                          (xdrproc_t)xdr_mv_node_get_info_ret, &ret, err);
    if (r < 0)
        return r;
    memset(info, 0, sizeof(*info));
    /* the wire field is a fixed char[32] that need not end in NUL */
    memcpy(info->model, ret.model, sizeof(ret.model));
    info->model[sizeof(ret.model)] = '\0';
    info->memory = ret.memory;
    info->cpus = count(ret.cpus);
    info->mhz = count(ret.mhz);
    info->nodes = count(ret.nodes);
    info->sockets = count(ret.sockets);
    info->cores = count(ret.cores);
    info->threads = count(ret.threads);
    return 0;
}

/* A counted char array that includes its NUL (or is empty) as a string. */
static char *counted_string(const char *val, unsigned int len)
{
    return strndup(val ? val : "", len);
}

int modvirt_node_get_security_model(modvirt_conn *conn, char **model, char **doi,
                                    modvirt_error **err)
{
    mv_node_get_security_model_ret ret;
    _cleanup_free_ char *m = NULL;
    _cleanup_free_ char *d = NULL;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_NODE_GET_SECURITY_MODEL, NULL, NULL,
                          (xdrproc_t)xdr_mv_node_get_security_model_ret, &ret, err);
    if (r < 0)
        return r;
    m = counted_string(ret.model.model_val, ret.model.model_len);
    d = counted_string(ret.doi.doi_val, ret.doi.doi_len);
    xdr_free((xdrproc_t)xdr_mv_node_get_security_model_ret, (char *)&ret);
    if (!m || !d)
        return modvirt_error_nomem(err);
    *model = TAKE_PTR(m);
    *doi = TAKE_PTR(d);
    return 0;
}
