/*
 * What the domain and network event registrations of a connection have in
 * common: each kind has one slot in modvirt_conn, taken by one registration
 * at a time, whose events arrive on the daemon connection that serves the
 * kind and go to the application's callback on whichever thread reads.
 * The kinds differ only in what they register and how an event decodes
 * (client/domain_events.c, client/network_events.c,
 * client/nodedev_events.c).
 */
#define MV_LOG_MODULE "client.events"
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* Puts SUB in *SLOT unless another registration holds it. */
static int claim(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_event_sub *sub, const char *what,
                 modvirt_error **err)
{
    int r = 0;

    pthread_mutex_lock(&conn->lock);
    if (*slot)
        r = -EBUSY;
    else
        *slot = sub;
    pthread_mutex_unlock(&conn->lock);
    if (r < 0)
        return modvirt_error_set(err, r, MV_ERR_OPERATION_INVALID, MV_FROM_REMOTE,
                                 "%s events are already registered on this connection", what);
    return 0;
}

int mv_event_sub_open(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_event_sub *sub, int proc,
                      mv_rpc_event_fn handler, const char *what, modvirt_error **err)
{
    int r;

    if (!sub->fn)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_REMOTE,
                                 "invalid argument: no event callback");
    r = modvirt_conn_rpc(conn, proc, &sub->rpc, err);
    if (r < 0 || (r = claim(conn, slot, sub, what, err)) < 0)
        return r;
    /* the handler goes first: an event may follow the registration's reply at once */
    mv_rpc_client_set_event_handler(sub->rpc, handler, conn);
    return 0;
}

void mv_event_sub_close(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_event_sub *sub)
{
    pthread_mutex_lock(&conn->lock);
    if (*slot == sub)
        *slot = NULL;
    pthread_mutex_unlock(&conn->lock);
    mv_rpc_client_set_event_handler(sub->rpc, NULL, NULL);
    free(sub);
}

struct mv_event_sub *mv_event_sub_get(modvirt_conn *conn, struct mv_event_sub **slot)
{
    struct mv_event_sub *sub;

    pthread_mutex_lock(&conn->lock);
    sub = *slot;
    pthread_mutex_unlock(&conn->lock);
    return sub;
}

bool mv_event_sub_target(modvirt_conn *conn, struct mv_event_sub **slot, struct mv_rpc_client *c,
                         struct mv_event_sub *out)
{
    bool found = false;

    pthread_mutex_lock(&conn->lock);
    if (*slot && (*slot)->rpc == c) {
        *out = **slot;
        found = true;
    }
    pthread_mutex_unlock(&conn->lock);
    return found;
}

int mv_event_sub_fd(modvirt_conn *conn, struct mv_event_sub **slot)
{
    int fd = -1;

    pthread_mutex_lock(&conn->lock);
    if (*slot)
        fd = mv_rpc_client_fd((*slot)->rpc);
    pthread_mutex_unlock(&conn->lock);
    return fd;
}

int mv_event_sub_process(modvirt_conn *conn, struct mv_event_sub **slot, int timeout_ms, const char *what,
                         modvirt_error **err)
{
    struct mv_rpc_client *rpc = NULL;

    pthread_mutex_lock(&conn->lock);
    if (*slot)
        rpc = (*slot)->rpc;
    pthread_mutex_unlock(&conn->lock);
    if (!rpc)
        return modvirt_error_set(err, -EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_REMOTE,
                                 "no %s events are registered on this connection", what);
    return modvirt_rpc_process(rpc, timeout_ms, err);
}
