/*
 * Connection-level procedures every daemon answers the same way: the auth
 * handshake, CONNECT_OPEN / CLOSE, feature probes and connection facts.
 */
#define MV_LOG_MODULE "rpc.conn"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "polkit.h"
#include "server_internal.h"

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
        if (c->ident.uid == 0)
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

/* "qemu:///system" or "qemu:///system?k=v" with a scheme the driver serves. */
static bool uri_accepted(const struct mv_server_driver *drv, const char *uri)
{
    const char *sep = strstr(uri, ":///");
    size_t slen;

    if (!sep)
        return false;
    slen = (size_t)(sep - uri);
    if (strncmp(sep + 4, "system", 6) != 0 || (sep[10] != '\0' && sep[10] != '?'))
        return false;
    for (const char *const *s = drv->uri_schemes; s && *s; s++)
        if (strlen(*s) == slen && strncmp(*s, uri, slen) == 0)
            return true;
    return false;
}

static int connect_open(struct mv_call *call, mv_connect_open_args *args, void *ret)
{
    struct mv_client *c = call->client;
    const struct mv_server_driver *drv = c->srv->driver;
    const char *uri = args->name && *args->name ? *args->name : "";

    if (c->opened)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                             "internal error: connection already open");
    /* an empty name asks the server to choose: this daemon's own URI */
    if (*uri && !uri_accepted(drv, uri))
        return mv_call_error(call, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                             "no connection driver available for URI '%s' (modvirt-%s serves %s)",
                             uri, drv->name, drv->uri);
    if (args->flags & VIR_CONNECT_RO)
        c->ident.readonly = true;
    if (drv->client_open) {
        int r = drv->client_open(call);
        if (r < 0)
            return r;
    }
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
    ret->secure = 1;    /* local unix socket */
    return 0;
}

/* Close callbacks concern the server's own driver connection, which for a
 * modvirt daemon never goes away while the client is connected. */
static int close_callback(struct mv_call *call, void *args, void *ret)
{
    return 0;
}

#define H(fn) (mv_handler_fn)(fn)
#define I MV_DISPATCH_INLINE

static const struct mv_dispatch_entry conn_procs[] = {
    { MV_PROC_AUTH_LIST, H(auth_list), MV_XDR_VOID, MV_XDR(mv_auth_list_ret), I },
    { MV_PROC_AUTH_POLKIT, H(auth_polkit), MV_XDR_VOID, MV_XDR(mv_auth_polkit_ret), 0 },
    { MV_PROC_CONNECT_SUPPORTS_FEATURE, H(supports_feature),
      MV_XDR(mv_connect_supports_feature_args), MV_XDR(mv_connect_supports_feature_ret), I },
    { MV_PROC_CONNECT_OPEN, H(connect_open), MV_XDR(mv_connect_open_args), MV_XDR_VOID, I },
    { MV_PROC_CONNECT_CLOSE, H(connect_close), MV_XDR_VOID, MV_XDR_VOID, I },
    { MV_PROC_CONNECT_GET_URI, H(get_uri), MV_XDR_VOID, MV_XDR(mv_connect_get_uri_ret), I },
    { MV_PROC_CONNECT_GET_TYPE, H(get_type), MV_XDR_VOID, MV_XDR(mv_connect_get_type_ret), I },
    { MV_PROC_CONNECT_GET_LIB_VERSION, H(get_lib_version), MV_XDR_VOID,
      MV_XDR(mv_connect_get_lib_version_ret), I },
    { MV_PROC_CONNECT_IS_SECURE, H(is_secure), MV_XDR_VOID, MV_XDR(mv_connect_is_secure_ret), I },
    { MV_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, H(close_callback), MV_XDR_VOID, MV_XDR_VOID, I },
    { MV_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, H(close_callback), MV_XDR_VOID, MV_XDR_VOID, I },
};

const struct mv_dispatch_entry *mv_conn_procs_lookup(int proc)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(conn_procs); i++)
        if (conn_procs[i].proc == proc)
            return &conn_procs[i];
    return NULL;
}
