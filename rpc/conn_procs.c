/*
 * Connection-level procedures every daemon answers the same way: the auth
 * handshake, CONNECT_OPEN / CLOSE, feature probes and connection facts.
 */
#define MV_LOG_MODULE "rpc.conn"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "conn_sasl.h"
#include "identity.h"
#include "log.h"
#include "polkit.h"
#include "server_internal.h"
#include "uri.h"

/* virDrvFeature numbers (wire-protocol.md 5.6) */
enum {
    FEATURE_TYPED_PARAM_STRING = 9,
    FEATURE_PROGRAM_KEEPALIVE = 10,
    FEATURE_REMOTE_EVENT_CALLBACK = 14,
    FEATURE_REMOTE_CLOSE_CALLBACK = 15,
    FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16,
};

#define VIR_CONNECT_RO 1

static int auth_list(struct mv_call *call, void *args, mv_auth_list_ret *ret)
{
    struct mv_client *c = call->client;
    mv_auth_type *types = calloc(1, sizeof(*types));

    if (!types)
        return -ENOMEM;
    types[0] = MV_AUTH_NONE;
    if (!atomic_load(&c->authenticated)) {
        /* root needs no polkit decision, as with libvirt */
        if (c->listener->opts.auth == MV_AUTH_METHOD_SASL)
            types[0] = MV_AUTH_SASL;
        else if (c->ident.uid == 0 && !c->ident.remote)
            atomic_store(&c->authenticated, true);
        else
            types[0] = MV_AUTH_POLKIT;
    }
    ret->types.types_val = types;
    ret->types.types_len = 1;
    return 0;
}

static int auth_polkit(struct mv_call *call, void *args, mv_auth_polkit_ret *ret)
{
    struct mv_client *c = call->client;
    int r;

    if (atomic_load(&c->authenticated)) {
        ret->complete = 1;
        return 0;
    }
    if (c->listener->opts.auth != MV_AUTH_METHOD_POLKIT)
        return mv_call_error(call, MV_ERR_AUTH_FAILED, MV_FROM_RPC,
                             "authentication failed: polkit is not enabled on this socket");
    r = mv_polkit_check(&c->ident, c->listener->opts.polkit_action, &call->err);
    if (r < 0) {
        mv_info("polkit refused pid %d uid %u: %s", (int)c->ident.pid, (unsigned)c->ident.uid,
                call->err.message ? call->err.message : "denied");
        return r;
    }
    atomic_store(&c->authenticated, true);
    ret->complete = 1;
    return 0;
}

static int supports_feature(struct mv_call *call, mv_connect_supports_feature_args *args,
                            mv_connect_supports_feature_ret *ret)
{
    const struct mv_server_driver *drv = call->client->srv->driver;

    switch (args->feature) {
    case FEATURE_PROGRAM_KEEPALIVE:
        mv_client_start_keepalive(call->client);
        ret->supported = 1;
        break;
    case FEATURE_TYPED_PARAM_STRING:
    case FEATURE_REMOTE_EVENT_CALLBACK:
    case FEATURE_REMOTE_CLOSE_CALLBACK:
    case FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER:
        ret->supported = 1;
        break;
    default:
        ret->supported = drv->supports_feature ? drv->supports_feature(args->feature) : 0;
        break;
    }
    return 0;
}

/* A local URI with a scheme the driver serves: the same checker as the
 * client library's (common/uri.c).  Query parameters are the client's
 * business (libvirt's remote driver strips its own before sending). */
static int uri_check(const struct mv_server_driver *drv, const char *uri, char **why)
{
    struct mv_local_uri *u = NULL;
    int r = mv_local_uri_parse(uri, drv->uri_schemes, &u, why);

    mv_local_uri_free(u);
    return r;
}

static int connect_open(struct mv_call *call, mv_connect_open_args *args, void *ret)
{
    struct mv_client *c = call->client;
    const struct mv_server_driver *drv = c->srv->driver;
    const char *uri = args->name && *args->name ? *args->name : "";
    _cleanup_free_ char *why = NULL;
    int r;

    if (c->opened)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                             "internal error: connection already open");
    /* an empty name asks the server to choose: this daemon's own URI */
    if (*uri && (r = uri_check(drv, uri, &why)) < 0) {
        if (r != -EINVAL)
            return r;
        return mv_call_error(call, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                             "no connection driver available for URI '%s' (modvirt-%s serves %s): %s",
                             uri, drv->name, drv->uri, why ? why : "invalid URI");
    }
    if (args->flags & VIR_CONNECT_RO)
        c->ident.readonly = true;
    if (drv->client_open && (r = drv->client_open(call)) < 0)
        return r;
    c->opened = true;
    return 0;
}

static int connect_close(struct mv_call *call, void *args, void *ret)
{
    /* the reply goes out first, then the connection closes */
    call->client->closing = true;
    return 0;
}

static int get_uri(struct mv_call *call, void *args, mv_connect_get_uri_ret *ret)
{
    ret->uri = strdup(call->client->srv->driver->uri);
    return ret->uri ? 0 : -ENOMEM;
}

static int get_type(struct mv_call *call, void *args, mv_connect_get_type_ret *ret)
{
    ret->type = strdup(call->client->srv->driver->type);
    return ret->type ? 0 : -ENOMEM;
}

static int get_lib_version(struct mv_call *call, void *args, mv_connect_get_lib_version_ret *ret)
{
    ret->lib_ver = MV_COMPAT_LIB_VERSION;
    return 0;
}

static int is_secure(struct mv_call *call, void *args, mv_connect_is_secure_ret *ret)
{
    /* a unix socket, TLS, or a SASL layer; plain TCP is not */
    ret->secure = !call->client->ident.remote || call->client->transport.ops;
    return 0;
}

/* A remote client of the root peer: a certificate DN and/or a SASL user,
 * no unix ids (nothing on this host is that client's). */
static int set_remote_identity(struct mv_call *call, const struct mv_forwarded_identity *id)
{
    struct mv_client *c = call->client;
    _cleanup_free_ char *dn = id->x509_dname ? strdup(id->x509_dname) : NULL;
    _cleanup_free_ char *user = id->sasl_user ? strdup(id->sasl_user) : NULL;

    if ((id->x509_dname && !dn) || (id->sasl_user && !user))
        return -ENOMEM;
    mv_info("client %lu: its root peer forwards a remote identity: x509 DN '%s', SASL user '%s'",
            c->id, dn ? dn : "-", user ? user : "-");
    free(c->x509_dname);
    free(c->sasl_user);
    c->x509_dname = TAKE_PTR(dn);
    c->sasl_user = TAKE_PTR(user);
    c->ident = (struct mv_identity){
        .uid = (uid_t)-1, .gid = (gid_t)-1, .pid = 0, .readonly = c->ident.readonly,
        .forwarded = true, .remote = true, .x509_dname = c->x509_dname, .sasl_user = c->sasl_user,
    };
    return 0;
}

/* A root peer (modvirt-proxyd) says on whose behalf it calls; the
 * connection then carries that identity (the read-only bit stays).  Only
 * root: anyone else could claim to be anyone.  Never with calls in flight,
 * whose workers read the identity. */
static int set_identity(struct mv_call *call, mv_connect_set_identity_args *args, void *ret)
{
    struct mv_client *c = call->client;
    const struct mv_forwarder *fwd = c->srv->driver->forwarder;
    struct mv_forwarded_identity id;

    if (c->peer_uid != 0) {
        mv_warn("client %lu (uid %u) tried to set its identity: refused, only root may",
                c->id, (unsigned)c->peer_uid);
        return mv_call_error(call, MV_ERR_OPERATION_DENIED, mv_proc_denial_domain(call->info),
                             "operation forbidden: virConnectSetIdentity is only accepted from root "
                             "(this client is uid %u)", (unsigned)c->peer_uid);
    }
    if (args->flags)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                             "invalid argument: unsupported flags (0x%x) in function virConnectSetIdentity",
                             args->flags);
    if (c->inflight)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_NONE,
                             "Requested operation is not valid: virConnectSetIdentity with %u calls "
                             "in progress on the connection", c->inflight);
    if (fwd && fwd->identity_used && fwd->identity_used(c))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_NONE,
                             "Requested operation is not valid: modvirt-%s: virConnectSetIdentity "
                             "after calls were forwarded on this connection (its daemons keep the "
                             "identity they were given)", c->srv->driver->name);
    if (mv_identity_parse(args->params.params_val, args->params.params_len, &id, &call->err) < 0)
        return -EIO;
    if (id.remote)
        return set_remote_identity(call, &id);
    mv_info("client %lu: its root peer forwards the identity uid %u (%s) gid %u (%s) pid %d%s",
            c->id, (unsigned)id.uid, id.user_name ? id.user_name : "-",
            (unsigned)id.gid, id.group_name ? id.group_name : "-", (int)id.pid,
            id.system_token ? ", with a system token (grants nothing here)" : "");
    c->ident.uid = id.uid;
    c->ident.gid = id.gid;
    c->ident.pid = id.pid;
    c->ident.start_time = id.start_time;
    c->ident.forwarded = true;
    return 0;
}

/* Close callbacks concern the server's own driver connection, which for a
 * modvirt daemon never goes away while the client is connected. */
static int close_callback(struct mv_call *call, void *args, void *ret)
{
    return 0;
}

static const struct mv_dispatch_entry conn_procs[] = {
    MV_HANDLER(AUTH_LIST, auth_list),
    MV_HANDLER(AUTH_POLKIT, auth_polkit),
    MV_HANDLER(CONNECT_SUPPORTS_FEATURE, supports_feature),
    MV_HANDLER(CONNECT_OPEN, connect_open),
    MV_HANDLER(CONNECT_CLOSE, connect_close),
    MV_HANDLER(CONNECT_GET_URI, get_uri),
    MV_HANDLER(CONNECT_GET_TYPE, get_type),
    MV_HANDLER(CONNECT_GET_LIB_VERSION, get_lib_version),
    MV_HANDLER(CONNECT_IS_SECURE, is_secure),
    MV_HANDLER(CONNECT_REGISTER_CLOSE_CALLBACK, close_callback),
    MV_HANDLER(CONNECT_UNREGISTER_CLOSE_CALLBACK, close_callback),
    /* rpc/conn_sasl.c: offered by AUTH_LIST on SASL sockets only */
    MV_HANDLER(AUTH_SASL_INIT, mv_conn_auth_sasl_init),
    MV_HANDLER(AUTH_SASL_START, mv_conn_auth_sasl_start),
    MV_HANDLER(AUTH_SASL_STEP, mv_conn_auth_sasl_step),
    MV_HANDLER(CONNECT_SET_IDENTITY, set_identity),
};

const struct mv_dispatch_table mv_conn_procs_table = MV_DISPATCH_TABLE(conn_procs);
