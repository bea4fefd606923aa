/*
 * The procedures that make and remove mediated devices: CREATE_XML
 * (transient), DEFINE_XML, CREATE (start a defined one), DESTROY, UNDEFINE
 * and SET_AUTOSTART.  The work is mdev.c's; here are the wire, the flags and
 * the checks that a device is an mdev at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "mdev.h"
#include "mdev_def.h"
#include "nodedevd.h"

/* VIR_NODE_DEVICE_CREATE_XML_VALIDATE, VIR_NODE_DEVICE_DEFINE_XML_VALIDATE:
 * the strict parser refuses what it does not honour anyway */
#define XML_VALIDATE 1u

static int fail(struct mv_call *call, struct mv_err *err, int r)
{
    if (!mv_err_is_set(err))
        return r;
    r = mv_call_error(call, err->code, err->domain, "%s", err->message);
    mv_err_clear(err);
    return r;
}

/* Parses XML and checks it against the tree: *NAME is the device's name. */
static int parse(struct mv_call *call, const char *xml, const char *op, struct nodedev_mdev_def **def, char **name)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    int r, code;

    if ((r = nodedev_mdev_def_parse(xml, def, &code, &msg)) < 0)
        return r == -ENOMEM && !msg ? r
                                    : mv_call_error(call, code, MV_FROM_NODEDEV, "%s", msg ? msg : "XML error");
    if ((r = nodedevd_mdev_resolve(*def, op, name, &err)) < 0) {
        nodedev_mdev_def_free(*def);
        *def = NULL;
        return fail(call, &err, r);
    }
    return 0;
}

static int create_xml(struct mv_call *call, mv_xml_flags_args *args, mv_node_device_ret *ret)
{
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = NULL;
    _cleanup_free_ char *name = NULL;
    struct mv_err err = { 0 };
    int r;

    if (args->flags & ~XML_VALIDATE)
        return nodedevd_bad_flags(call, args->flags & ~XML_VALIDATE, "virNodeDeviceCreateXML");
    if ((r = parse(call, args->xml, "create", &def, &name)) < 0)
        return r;
    if ((r = nodedevd_mdev_create(name, def, &err)) < 0)
        return fail(call, &err, r);
    ret->dev.name = TAKE_PTR(name);
    return 0;
}

static int define_xml(struct mv_call *call, mv_xml_flags_args *args, mv_node_device_ret *ret)
{
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = NULL;
    _cleanup_free_ char *name = NULL;
    struct mv_err err = { 0 };
    int r;

    if (args->flags & ~XML_VALIDATE)
        return nodedevd_bad_flags(call, args->flags & ~XML_VALIDATE, "virNodeDeviceDefineXML");
    if ((r = parse(call, args->xml, "define", &def, &name)) < 0)
        return r;
    if ((r = nodedevd_mdev_define(name, TAKE_PTR(def), &err)) < 0)
        return fail(call, &err, r);
    ret->dev.name = TAKE_PTR(name);
    return 0;
}

/* The device NAME, which must be an mdev (libvirt's words for any other). */
static struct nodedev_device *get_mdev(struct mv_call *call, const char *name)
{
    struct nodedev_device *dev = nodedevd_get_device(call, name);

    if (dev && !(dev->cap_mask & (1u << NODEDEV_CAP_MDEV))) {
        mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_NODEDEV,
                      "Operation not supported: Unsupported device type: '%s' is not a mediated device", name);
        nodedev_device_unref(dev);
        return NULL;
    }
    return dev;
}

typedef int (*mdev_op)(struct nodedev_device *dev, const void *arg, struct mv_err *err);

static int with_mdev(struct mv_call *call, const char *name, mdev_op op, const void *arg)
{
    _cleanup_nodedev_ struct nodedev_device *dev = get_mdev(call, name);
    struct mv_err err = { 0 };
    int r;

    if (!dev)
        return -EIO;
    if ((r = op(dev, arg, &err)) < 0)
        return fail(call, &err, r);
    return 0;
}

static int op_start(struct nodedev_device *dev, const void *arg, struct mv_err *err)
{
    (void)arg;
    return nodedevd_mdev_start(dev->name, err);
}

static int op_destroy(struct nodedev_device *dev, const void *arg, struct mv_err *err)
{
    (void)arg;
    return nodedevd_mdev_destroy(dev, err);
}

static int op_undefine(struct nodedev_device *dev, const void *arg, struct mv_err *err)
{
    (void)arg;
    return nodedevd_mdev_undefine(dev, err);
}

static int op_autostart(struct nodedev_device *dev, const void *arg, struct mv_err *err)
{
    return nodedevd_mdev_set_autostart(dev, *(const int *)arg != 0, err);
}

static int create(struct mv_call *call, mv_node_device_name_flags_args *args, void *ret)
{
    (void)ret;
    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeDeviceCreate");
    return with_mdev(call, args->name, op_start, NULL);
}

static int destroy(struct mv_call *call, mv_node_device_name_args *args, void *ret)
{
    (void)ret;
    return with_mdev(call, args->name, op_destroy, NULL);
}

static int undefine(struct mv_call *call, mv_node_device_name_flags_args *args, void *ret)
{
    (void)ret;
    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeDeviceUndefine");
    return with_mdev(call, args->name, op_undefine, NULL);
}

static int set_autostart(struct mv_call *call, mv_node_device_set_autostart_args *args, void *ret)
{
    (void)ret;
    return with_mdev(call, args->name, op_autostart, &args->autostart);
}

static const struct mv_dispatch_entry mdev_procs[] = {
    MV_HANDLER(NODE_DEVICE_CREATE_XML, create_xml),
    MV_HANDLER(NODE_DEVICE_DEFINE_XML, define_xml),
    MV_HANDLER(NODE_DEVICE_CREATE, create),
    MV_HANDLER(NODE_DEVICE_DESTROY, destroy),
    MV_HANDLER(NODE_DEVICE_UNDEFINE, undefine),
    MV_HANDLER(NODE_DEVICE_SET_AUTOSTART, set_autostart),
};
const struct mv_dispatch_table nodedevd_mdev_table = MV_DISPATCH_TABLE(mdev_procs);
