/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "nodedevd.h"
#include "events.h"
static const struct mv_dispatch_entry event_procs[] = {
    MV_NOT_IMPLEMENTED(CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY), MV_NOT_IMPLEMENTED(CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY),
};
const struct mv_dispatch_table nodedevd_event_table = MV_DISPATCH_TABLE(event_procs);
int nodedevd_events_init(void) { return 0; }
void nodedevd_events_cleanup(void) { }
void nodedevd_emit_lifecycle(const struct nodedev_device *dev, enum nodedev_event event) { (void)dev; (void)event; }
void nodedevd_emit_update(const struct nodedev_device *dev) { (void)dev; }
