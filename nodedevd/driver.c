/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "nodedevd.h"
struct nodedevd_driver nodedevd;
int nodedevd_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg) { (void)ctx; (void)conf; (void)errmsg; return 0; }
int nodedevd_driver_start(struct mv_daemon_ctx *ctx) { (void)ctx; return 0; }
void nodedevd_driver_cleanup(void) { }
void nodedevd_client_close(struct mv_client *client) { (void)client; }
struct nodedev_device *nodedevd_get_device(struct mv_call *call, const char *name) { (void)call; (void)name; return NULL; }
int nodedevd_bad_flags(struct mv_call *call, unsigned int flags, const char *api) { (void)call; (void)flags; (void)api; return -EINVAL; }
void nodedevd_device_changed(struct nodedev_device *dev, int result, void *opaque) { (void)dev; (void)result; (void)opaque; }
