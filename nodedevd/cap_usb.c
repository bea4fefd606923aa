/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "caps.h"
int nodedev_cap_usb_device(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev) { (void)d; (void)ctx; (void)dev; return NODEDEV_READ_SKIP; }
int nodedev_cap_usb_interface(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev) { (void)d; (void)ctx; (void)dev; return NODEDEV_READ_SKIP; }
