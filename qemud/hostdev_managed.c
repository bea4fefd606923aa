/* Managed PCI hostdevs through modvirt-nodedevd (hostdev_managed.h). */
#define MV_LOG_MODULE "qemud.hostdev"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hostdev_managed.h"
#include "log.h"
#include "peer_conn.h"
#include "remote_protocol.h"

/* A detach waits for the kernel up to nodedevd's probe_timeout, up to
 * three times (unbind, probe, a rollback): this only ends a nodedevd that
 * stopped answering. */
#define NODEDEVD_CALL_TIMEOUT_MS 60000

#define NODEDEVD_PEER(p) { .paths = (p), .daemon = "nodedevd", .uri = "nodedev:///system", \
                           .timeout_ms = NODEDEVD_CALL_TIMEOUT_MS }

bool qemud_hostdevs_managed(const struct mv_dom_def *def)
{
    for (size_t i = 0; def && i < def->devices.nhostdevs; i++)
        if (def->devices.hostdevs[i].managed == MV_TRISTATE_YES)
            return true;
    return false;
}

void qemud_hostdev_nodedev_name(const struct mv_dom_hostdev *h, char *name, size_t size)
{
    snprintf(name, size, "pci_%04x_%02x_%02x_%x", h->domain, h->bus, h->slot, h->function);
}

void qemud_hostdevs_mark(struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.nhostdevs; i++)
        if (live->devices.hostdevs[i].managed == MV_TRISTATE_YES)
            live->devices.hostdevs[i].detached = true;
}

/* ERR (nodedevd's answer, or the connection's failure) with the domain
 * and the device in front, its code kept. */
static int in_context(struct mv_err *err, int r, const char *dom, const struct mv_dom_hostdev *h, const char *what)
{
    _cleanup_free_ char *msg = err->message ? strdup(err->message) : NULL;
    int code = err->code ? err->code : MV_ERR_INTERNAL_ERROR;

    /* a connection failure names the socket and asks whether nodedevd runs */
    mv_err_set(err, code, MV_FROM_QEMU, "domain '%s': cannot %s host PCI device %04x:%02x:%02x.%x: %s", dom,
               what, h->domain, h->bus, h->slot, h->function, msg ? msg : "unknown error");
    return r;
}

static int detach_one(struct qemud_peer *nc, const char *dom, const struct mv_dom_hostdev *h, struct mv_err *err)
{
    char name[64];
    char *driver = "vfio";
    mv_node_device_detach_flags_args args = { .name = name, .driverName = &driver, .flags = 0 };
    int r;

    qemud_hostdev_nodedev_name(h, name, sizeof(name));
    if ((r = qemud_peer_open(nc, err)) < 0 ||
        (r = qemud_peer_call(nc, MV_PROC_NODE_DEVICE_DETACH_FLAGS, (xdrproc_t)xdr_mv_node_device_detach_flags_args,
                             &args, NULL, NULL, err)) < 0)
        return in_context(err, r, dom, h, "detach (to vfio-pci)");
    mv_info("domain '%s': host PCI device %s is on vfio-pci", dom, name);
    return 0;
}

int qemud_hostdevs_detach(const struct mv_paths *paths, const struct mv_dom_def *live, struct mv_err *err)
{
    struct qemud_peer nc = NODEDEVD_PEER(paths);
    int r = 0;

    for (size_t i = 0; i < live->devices.nhostdevs && r == 0; i++)
        if (live->devices.hostdevs[i].detached)
            r = detach_one(&nc, live->name, &live->devices.hostdevs[i], err);
    qemud_peer_close(&nc);
    return r;
}

static void reattach_one(struct qemud_peer *nc, const char *dom, const struct mv_dom_hostdev *h)
{
    struct mv_err err = { 0 };
    char name[64];
    mv_node_device_name_args args = { .name = name };
    int r;

    qemud_hostdev_nodedev_name(h, name, sizeof(name));
    if ((r = qemud_peer_open(nc, &err)) == 0)
        r = qemud_peer_call(nc, MV_PROC_NODE_DEVICE_RE_ATTACH, (xdrproc_t)xdr_mv_node_device_name_args, &args, NULL,
                            NULL, &err);
    if (r == 0)
        mv_info("domain '%s': host PCI device %s given back to the host", dom, name);
    else if (err.code == MV_ERR_NO_NODE_DEVICE)
        mv_info("domain '%s': host PCI device %s is gone: nothing to give back", dom, name);
    else
        mv_warn("domain '%s': cannot give host PCI device %s back to the host: %s", dom, name,
                err.message ? err.message : strerror(-r));
    mv_err_clear(&err);
}

void qemud_hostdevs_reattach(const struct mv_paths *paths, const struct mv_dom_def *live)
{
    struct qemud_peer nc = NODEDEVD_PEER(paths);

    for (size_t i = 0; live && i < live->devices.nhostdevs; i++)
        if (live->devices.hostdevs[i].detached)
            reattach_one(&nc, live->name, &live->devices.hostdevs[i]);
    qemud_peer_close(&nc);
}
