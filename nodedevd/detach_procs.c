/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "nodedevd.h"
static const struct mv_dispatch_entry detach_procs[] = {
    MV_NOT_IMPLEMENTED(NODE_DEVICE_DETTACH), MV_NOT_IMPLEMENTED(NODE_DEVICE_DETACH_FLAGS),
    MV_NOT_IMPLEMENTED(NODE_DEVICE_RE_ATTACH), MV_NOT_IMPLEMENTED(NODE_DEVICE_RESET),
};
const struct mv_dispatch_table nodedevd_detach_table = MV_DISPATCH_TABLE(detach_procs);
