/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "nodedevd.h"
static const struct mv_dispatch_entry mdev_procs[] = {
    MV_NOT_IMPLEMENTED(NODE_DEVICE_CREATE_XML), MV_NOT_IMPLEMENTED(NODE_DEVICE_DESTROY),
    MV_NOT_IMPLEMENTED(NODE_DEVICE_DEFINE_XML), MV_NOT_IMPLEMENTED(NODE_DEVICE_UNDEFINE),
    MV_NOT_IMPLEMENTED(NODE_DEVICE_CREATE), MV_NOT_IMPLEMENTED(NODE_DEVICE_SET_AUTOSTART),
};
const struct mv_dispatch_table nodedevd_mdev_table = MV_DISPATCH_TABLE(mdev_procs);
