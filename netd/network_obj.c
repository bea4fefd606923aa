/* Network objects on the driver core's object base and registry. */
#define MV_LOG_MODULE "netd.network"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "job.h"
#include "log.h"
#include "netd.h"
#include "network_obj.h"
#include "port_store.h"
#include "registry.h"
#include "store.h"

static void net_dispose(struct mv_obj *obj)
{
    struct netd_net *net = netd_net_of(obj);

    mv_net_def_free(net->def);
    mv_net_def_free(net->live);
    for (size_t i = 0; i < net->nports; i++)
        netd_port_free(net->ports[i]);
    free(net->ports);
    free(net->starting_bridge);
    mv_obj_fini(&net->obj);
    free(net);
}

const struct mv_obj_kind netd_net_kind = { .word = "network", .dispose = net_dispose };

struct netd_net *netd_net_ref(struct netd_net *net)
{
    mv_obj_ref(&net->obj);
    return net;
}

void netd_net_unref(struct netd_net *net)
{
    if (net)
        mv_obj_unref(&net->obj);
}

const struct mv_net_def *netd_net_current(const struct netd_net *net)
{
    return net->active && net->live ? net->live : net->def;
}

bool netd_net_is_active(struct netd_net *net)
{
    bool active;

    pthread_mutex_lock(&net->lock);
    active = net->active;
    pthread_mutex_unlock(&net->lock);
    return active;
}

void netd_net_drop_ports(struct netd_net *net)
{
    struct netd_port **ports;
    size_t n;

    pthread_mutex_lock(&net->lock);
    ports = net->ports;
    n = net->nports;
    net->ports = NULL;
    net->nports = 0;
    pthread_mutex_unlock(&net->lock);
    for (size_t i = 0; i < n; i++) {
        netd_port_store_delete(ports[i]);
        mv_info("network '%s': port %s dropped with the network", net->name, ports[i]->uuid_str);
        netd_port_free(ports[i]);
    }
    free(ports);
}

/* ---- registry ---- */

int netd_registry_init(void)
{
    return mv_registry_new(&netd_net_kind, &netd.networks);
}

void netd_registry_cleanup(void)
{
    mv_registry_free(netd.networks);
    netd.networks = NULL;
}

static struct netd_net *net_or_null(struct mv_obj *obj)
{
    return obj ? netd_net_of(obj) : NULL;
}

int netd_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                      struct netd_net **ret, struct netd_net **existing)
{
    _cleanup_net_unref_ struct netd_net *net = calloc(1, sizeof(*net));
    struct mv_obj *holder = NULL;
    int r;

    if (!net)
        return -ENOMEM;
    if ((r = mv_obj_init(&net->obj, &netd_net_kind, name, uuid)) < 0) {
        free(TAKE_PTR(net));
        return r;
    }
    if ((r = mv_registry_add(netd.networks, &net->obj, job, &holder)) < 0) {
        if (r == -EEXIST)
            *existing = netd_net_of(holder);
        return r;
    }
    *ret = TAKE_PTR(net);
    return 0;
}

void netd_registry_remove(struct netd_net *net)
{
    mv_registry_remove(netd.networks, &net->obj);
}

struct netd_net *netd_registry_find_name(const char *name)
{
    return net_or_null(mv_registry_find_name(netd.networks, name));
}

struct netd_net *netd_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN])
{
    return net_or_null(mv_registry_find_uuid(netd.networks, uuid));
}

int netd_registry_list(struct netd_net ***nets, size_t *n)
{
    _cleanup_free_ struct mv_obj **objs = NULL;
    struct netd_net **v;
    size_t count = 0;
    int r;

    *nets = NULL;
    *n = 0;
    if (!netd.networks)         /* the driver never started (--help) */
        return 0;
    if ((r = mv_registry_list(netd.networks, NULL, NULL, &objs, &count)) < 0)
        return r;
    if (!(v = calloc(count ? count : 1, sizeof(*v)))) {
        mv_obj_list_free(TAKE_PTR(objs), count);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        v[i] = netd_net_of(objs[i]);       /* the references move over */
    *nets = v;
    *n = count;
    return 0;
}

void netd_net_list_free(struct netd_net **nets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        netd_net_unref(nets[i]);
    free(nets);
}

static bool active_filter(struct mv_obj *obj, void *opaque)
{
    return netd_net_is_active(netd_net_of(obj));
}

bool netd_registry_any_active(void)
{
    struct mv_obj **objs = NULL;
    size_t n = 0;

    if (!netd.networks || mv_registry_list(netd.networks, active_filter, NULL, &objs, &n) < 0)
        return false;
    mv_obj_list_free(objs, n);
    return n > 0;
}

/* ---- calls ---- */

struct netd_net *netd_net_from_wire(struct mv_call *call, const mv_nonnull_network *wire)
{
    struct netd_net *net = netd_registry_find_uuid((const unsigned char *)wire->uuid);
    char uuid[MV_UUID_STRING_LEN];

    if (!net) {
        mv_uuid_format((const unsigned char *)wire->uuid, uuid);
        mv_call_error(call, MV_ERR_NO_NETWORK, MV_FROM_NETWORK,
                      "Network not found: no network with matching uuid '%s' (%s)", uuid,
                      wire->name ? wire->name : "");
    }
    return net;
}

int netd_net_to_wire(const struct netd_net *net, mv_nonnull_network *wire)
{
    if (!(wire->name = strdup(net->name)))
        return -ENOMEM;
    memcpy(wire->uuid, net->uuid, MV_UUID_LEN);
    return 0;
}

int netd_job_begin(struct netd_net *net, const char *job, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_job_begin(&net->obj, job, (int)netd.job_wait_ms, &msg);

    if (r == -EBUSY)
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_NETWORK, "%s",
                   msg ? msg : "Timed out during operation: network is busy");
    else if (r == -ENOENT)      /* undefined (or a transient one stopped) while we waited */
        mv_err_set(err, MV_ERR_NO_NETWORK, MV_FROM_NETWORK,
                   "Network not found: no network with matching uuid '%s' (%s)", net->uuid_str, net->name);
    else if (r < 0)
        mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                         "internal error: cannot begin job '%s' on network '%s'", job, net->name);
    return r;
}

void netd_job_end(struct netd_net *net)
{
    mv_job_end(&net->obj);
}

int netd_call_fail(struct mv_call *call, struct mv_err *err)
{
    int r = mv_call_error(call, err->code ? err->code : MV_ERR_INTERNAL_ERROR,
                          err->domain ? err->domain : MV_FROM_NETWORK, "%s",
                          err->message ? err->message : "internal error");

    mv_err_clear(err);
    return r;
}

int netd_error_active(struct mv_err *err, const struct netd_net *net)
{
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NETWORK,
                      "Requested operation is not valid: network is already active");
}

int netd_error_inactive(struct mv_err *err, const struct netd_net *net)
{
    return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NETWORK,
                      "Requested operation is not valid: network '%s' is not active", net->name);
}
