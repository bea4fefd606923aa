/*
 * NODE_DEVICE_DETTACH, DETACH_FLAGS, RE_ATTACH and RESET: a PCI function to
 * vfio-pci and back (pci_detach.h), for virsh nodedev-detach and for qemud's
 * managed hostdevs.  They block on the kernel (probe_timeout): workers.
 * The device is read again after a change, so that its XML names its new
 * driver at once, also where no uevent comes (a fake tree).
 */
#define MV_LOG_MODULE "nodedevd.detach"
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "nodedevd.h"
#include "pci_detach.h"
#include "scan.h"

typedef int (*pci_op_fn)(const struct nodedev_device *dev, const char *driver, struct mv_err *err);

static int call_fail(struct mv_call *call, struct mv_err *err)
{
    int r = mv_call_error(call, err->code ? err->code : MV_ERR_INTERNAL_ERROR,
                          err->domain ? err->domain : MV_FROM_NODEDEV, "%s",
                          err->message ? err->message : "internal error");

    mv_err_clear(err);
    return r;
}

static int op_detach(const struct nodedev_device *dev, const char *driver, struct mv_err *err)
{
    return nodedev_pci_detach(dev, driver, err);
}

static int op_reattach(const struct nodedev_device *dev, const char *driver, struct mv_err *err)
{
    (void)driver;
    return nodedev_pci_reattach(dev, err);
}

static int op_reset(const struct nodedev_device *dev, const char *driver, struct mv_err *err)
{
    (void)driver;
    return nodedev_pci_reset(dev, err);
}

/* OP on the device NAME; the tree re-reads it after a detach or reattach
 * (REREAD) whether or not OP succeeded: a rollback changes it too. */
static int run_op(struct mv_call *call, const char *name, const char *driver, pci_op_fn op, bool reread)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, name);
    struct mv_err err = { 0 };
    int r;

    if (!dev)
        return -ENOENT;
    r = op(dev, driver, &err);
    if (reread && dev->syspath && nodedevd.tree)
        nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, dev->syspath, nodedevd_device_changed, NULL);
    return r < 0 ? call_fail(call, &err) : 0;
}

static int dettach(struct mv_call *call, mv_node_device_name_args *args, void *ret)
{
    (void)ret;
    return run_op(call, args->name, NULL, op_detach, true);
}

static int detach_flags(struct mv_call *call, mv_node_device_detach_flags_args *args, void *ret)
{
    (void)ret;
    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeDeviceDetachFlags");
    return run_op(call, args->name, args->driverName ? *args->driverName : NULL, op_detach, true);
}

static int re_attach(struct mv_call *call, mv_node_device_name_args *args, void *ret)
{
    (void)ret;
    return run_op(call, args->name, NULL, op_reattach, true);
}

static int reset(struct mv_call *call, mv_node_device_name_args *args, void *ret)
{
    (void)ret;
    return run_op(call, args->name, NULL, op_reset, false);
}

static const struct mv_dispatch_entry detach_procs[] = {
    MV_HANDLER(NODE_DEVICE_DETTACH, dettach),
    MV_HANDLER(NODE_DEVICE_DETACH_FLAGS, detach_flags),
    MV_HANDLER(NODE_DEVICE_RE_ATTACH, re_attach),
    MV_HANDLER(NODE_DEVICE_RESET, reset),
};

const struct mv_dispatch_table nodedevd_detach_table = MV_DISPATCH_TABLE(detach_procs);
