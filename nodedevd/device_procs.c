/*
 * The node device procedures that read: lists (LIST_ALL with its filters,
 * the legacy NUM_OF / LIST by capability name), lookups by name and by a
 * SCSI host's WWNs, the XML, the parent, the capabilities and the state
 * of one device.  All but the XML run inline on the loop: each is a
 * lookup in the tree and copies of strings the tree formatted when it took
 * the device.  The XML reads some devices from sysfs again first (see
 * CAPS_READ_AGAIN), so it runs on a worker: the loop must not wait on the
 * kernel for one client.
 *
 * Flags and limits as libvirt's node device driver and its remote
 * dispatcher check them, with the API's name in the message.
 */
#define MV_LOG_MODULE "nodedevd"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "nodedevd.h"
#include "scan.h"

/* VIR_CONNECT_LIST_NODE_DEVICES_CAP_* (one bit per capability type) and
 * the ACTIVE / INACTIVE filter: what ListAll accepts */
#define LIST_CAP_FLAGS ((1u << NODEDEV_CAP_LAST) - 1u)
#define LIST_ALL_FLAGS (LIST_CAP_FLAGS | NODEDEV_LIST_ACTIVE | NODEDEV_LIST_INACTIVE)

static int copy_name(const struct nodedev_device *dev, mv_nonnull_node_device *out)
{
    return (out->name = strdup(dev->name)) ? 0 : -ENOMEM;
}

/* Refuses a list longer than the protocol carries, as libvirt's
 * dispatcher does, rather than cutting it short in silence. */
static int too_many(struct mv_call *call, size_t n)
{
    return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many node devices: %zu > %d", n,
                         MV_NODE_DEVICE_LIST_MAX);
}

/* A negative MAXNAMES is the client library's check in libvirt; a peer
 * that skips it gets the same words here.  One over LIMIT is the
 * dispatcher's. */
static int check_maxnames(struct mv_call *call, int maxnames, int limit, const char *api)
{
    if (maxnames < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_NODEDEV,
                             "invalid argument: maxnames in %s must not be negative, not %d", api, maxnames);
    if (maxnames > limit)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many names requested in %s: %d > %d", api,
                             maxnames, limit);
    return 0;
}

/* ---- lists ---- */

static int list_all(struct mv_call *call, mv_connect_list_all_node_devices_args *args,
                    mv_connect_list_all_node_devices_ret *ret)
{
    struct nodedev_device **devs = NULL;
    size_t n = 0;
    int r;

    if (args->flags & ~LIST_ALL_FLAGS)
        return nodedevd_bad_flags(call, args->flags & ~LIST_ALL_FLAGS, "virConnectListAllNodeDevices");
    r = nodedev_tree_list(nodedevd.tree, args->flags & LIST_CAP_FLAGS,
                          args->flags & (NODEDEV_LIST_ACTIVE | NODEDEV_LIST_INACTIVE), &devs, &n);
    if (r < 0)
        return r;
    if (n > MV_NODE_DEVICE_LIST_MAX) {
        nodedev_list_free(devs, n);
        return too_many(call, n);
    }
    if (args->need_results) {
        if (!(ret->devices.devices_val = calloc(n ? n : 1, sizeof(*ret->devices.devices_val))))
            r = -ENOMEM;
        for (size_t i = 0; i < n && r == 0; i++)
            if ((r = copy_name(devs[i], &ret->devices.devices_val[i])) == 0)
                ret->devices.devices_len = (unsigned int)i + 1;
    }
    ret->ret = (unsigned int)n;
    nodedev_list_free(devs, n);
    return r;
}

/*
 * The devices having the capability named CAP (all if CAP is NULL), as
 * the legacy calls count and list them: a name libvirt does not know
 * matches nothing, without an error; active or not.
 */
static int list_by_cap(const char *cap, struct nodedev_device ***devs, size_t *n)
{
    int t = cap ? nodedev_cap_from_name(cap) : -1;

    if (cap && t < 0) {
        *devs = NULL;
        *n = 0;
        return 0;
    }
    return nodedev_tree_list(nodedevd.tree, cap ? 1u << t : 0, 0, devs, n);
}

static int num_of_devices(struct mv_call *call, mv_node_num_of_devices_args *args, mv_num_ret *ret)
{
    struct nodedev_device **devs = NULL;
    size_t n = 0;
    int r;

    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeNumOfDevices");
    if ((r = list_by_cap(args->cap ? *args->cap : NULL, &devs, &n)) < 0)
        return r;
    nodedev_list_free(devs, n);
    ret->num = (int)n;
    return 0;
}

static int list_devices(struct mv_call *call, mv_node_list_devices_args *args, mv_node_list_devices_ret *ret)
{
    struct nodedev_device **devs = NULL;
    size_t n = 0, count;
    int r;

    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeListDevices");
    if ((r = check_maxnames(call, args->maxnames, MV_NODE_DEVICE_LIST_MAX, "virNodeListDevices")) < 0)
        return r;
    if ((r = list_by_cap(args->cap ? *args->cap : NULL, &devs, &n)) < 0)
        return r;
    count = n < (size_t)args->maxnames ? n : (size_t)args->maxnames;
    if (!(ret->names.names_val = calloc(count + 1, sizeof(char *))))
        r = -ENOMEM;
    for (size_t i = 0; i < count && r == 0; i++)
        if (!(ret->names.names_val[i] = strdup(devs[i]->name)))
            r = -ENOMEM;
        else
            ret->names.names_len = (unsigned int)i + 1;
    nodedev_list_free(devs, n);
    return r;
}

/* ---- one device ---- */

static int lookup_by_name(struct mv_call *call, mv_node_device_name_args *args, mv_node_device_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    return dev ? copy_name(dev, &ret->dev) : -EIO;
}

static int lookup_scsi_host_by_wwn(struct mv_call *call, mv_node_device_lookup_scsi_host_by_wwn_args *args,
                                   mv_node_device_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;
    _cleanup_free_ char *qn = NULL, *qp = NULL;

    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeDeviceLookupSCSIHostByWWN");
    if ((dev = nodedev_tree_find_wwn(nodedevd.tree, args->wwnn, args->wwpn)))
        return copy_name(dev, &ret->dev);
    /* libvirt 9 answers this with an error that has no message */
    qn = mv_errmsg_quote(args->wwnn, strlen(args->wwnn), MV_ERRMSG_QUOTE_MAX);
    qp = mv_errmsg_quote(args->wwpn, strlen(args->wwpn), MV_ERRMSG_QUOTE_MAX);
    return mv_call_error(call, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                         "Node device not found: no SCSI host with matching wwnn '%s' and wwpn '%s'",
                         qn ? qn : "", qp ? qp : "");
}

/* Capabilities whose facts change without a uevent: a link going up or
 * down, an FC port's state.  libvirt reads them again for every XML
 * request; so do we, and a change found is also an update event.  Not
 * PCI functions: VFs enabled through sriov_numvfs send their PF a
 * "change", and reading a function's config space again costs a VM exit
 * per dword (1.4 ms a function here). */
#define CAPS_READ_AGAIN ((1u << NODEDEV_CAP_NET) | (1u << NODEDEV_CAP_SCSI_HOST))

/* DEV (whose reference this takes) when its XML cannot be stale; else it
 * is read again from sysfs and NULL says: look its name up again. */
static struct nodedev_device *read_again(struct nodedev_device *dev)
{
    _cleanup_free_ char *syspath = NULL;

    if (!dev->active || !dev->syspath || !(dev->cap_mask & CAPS_READ_AGAIN))
        return dev;
    if (!(syspath = strdup(dev->syspath)))
        return dev;     /* the XML we have is still an answer */
    nodedev_device_unref(dev);
    (void)nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, syspath, nodedevd_device_changed, NULL);
    return NULL;
}

static int get_xml_desc(struct mv_call *call, mv_node_device_name_flags_args *args, mv_xml_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;

    if (args->flags)
        return nodedevd_bad_flags(call, args->flags, "virNodeDeviceGetXMLDesc");
    if (!(dev = nodedevd_get_device(call, args->name)))
        return -EIO;
    if (!(dev = read_again(dev)) && !(dev = nodedevd_get_device(call, args->name)))
        return -EIO;
    if (!dev->xml)      /* the tree formats every device it takes */
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_NODEDEV,
                             "internal error: node device '%s' has no XML", dev->name);
    return (ret->xml = strdup(dev->xml)) ? 0 : -ENOMEM;
}

/* computer has no parent: an absent name, no error (libvirt's dispatcher
 * turns its driver's NULL into the same) */
static int get_parent(struct mv_call *call, mv_node_device_name_args *args, mv_node_device_get_parent_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    if (!dev)
        return -EIO;
    if (!dev->parent)
        return 0;
    if (!(ret->parentName = malloc(sizeof(*ret->parentName))))
        return -ENOMEM;
    return (*ret->parentName = strdup(dev->parent)) ? 0 : -ENOMEM;
}

/* Sub-capabilities (fc_host, vports, mdev_types) count and are listed
 * like the others, after their owner, as libvirt exports them. */
static int num_of_caps(struct mv_call *call, mv_node_device_name_args *args, mv_num_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    if (!dev)
        return -EIO;
    ret->num = (int)dev->ncaps;
    return 0;
}

static int list_caps(struct mv_call *call, mv_node_device_list_caps_args *args, mv_node_device_list_caps_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;
    size_t count;
    int r;

    if ((r = check_maxnames(call, args->maxnames, MV_NODE_DEVICE_CAPS_LIST_MAX, "virNodeDeviceListCaps")) < 0)
        return r;
    if (!(dev = nodedevd_get_device(call, args->name)))
        return -EIO;
    /* fewer slots than capabilities: the first MAXNAMES, like libvirt */
    count = dev->ncaps < (size_t)args->maxnames ? dev->ncaps : (size_t)args->maxnames;
    if (!(ret->names.names_val = calloc(count + 1, sizeof(char *))))
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        const char *name = nodedev_cap_name(dev->caps[i].type);

        if (!name || !(ret->names.names_val[i] = strdup(name)))
            return name ? -ENOMEM : -EINVAL;
        ret->names.names_len = (unsigned int)i + 1;
    }
    return 0;
}

static int is_active(struct mv_call *call, mv_node_device_name_args *args, mv_node_device_is_active_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    if (!dev)
        return -EIO;
    ret->active = dev->active;
    return 0;
}

static int is_persistent(struct mv_call *call, mv_node_device_name_args *args,
                         mv_node_device_is_persistent_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    if (!dev)
        return -EIO;
    ret->persistent = dev->persistent;
    return 0;
}

static int get_autostart(struct mv_call *call, mv_node_device_name_args *args,
                         mv_node_device_get_autostart_ret *ret)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedevd_get_device(call, args->name);

    if (!dev)
        return -EIO;
    ret->autostart = dev->autostart;
    return 0;
}

static const struct mv_dispatch_entry device_procs[] = {
    MV_HANDLER(CONNECT_LIST_ALL_NODE_DEVICES, list_all),
    MV_HANDLER(NODE_NUM_OF_DEVICES, num_of_devices),
    MV_HANDLER(NODE_LIST_DEVICES, list_devices),
    MV_HANDLER(NODE_DEVICE_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN, lookup_scsi_host_by_wwn),
    MV_HANDLER(NODE_DEVICE_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(NODE_DEVICE_GET_PARENT, get_parent),
    MV_HANDLER(NODE_DEVICE_NUM_OF_CAPS, num_of_caps),
    MV_HANDLER(NODE_DEVICE_LIST_CAPS, list_caps),
    MV_HANDLER(NODE_DEVICE_IS_ACTIVE, is_active),
    MV_HANDLER(NODE_DEVICE_IS_PERSISTENT, is_persistent),
    MV_HANDLER(NODE_DEVICE_GET_AUTOSTART, get_autostart),
};
const struct mv_dispatch_table nodedevd_device_table = MV_DISPATCH_TABLE(device_procs);
