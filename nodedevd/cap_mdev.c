/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "caps.h"
int nodedev_cap_mdev(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev) { (void)d; (void)ctx; (void)dev; return NODEDEV_READ_SKIP; }
int nodedev_mdev_types_read(const char *syspath, struct nodedev_mdev_types **types) { (void)syspath; *types = NULL; return 0; }
void nodedev_mdev_types_format(struct mv_xml_out *o, const struct nodedev_mdev_types *types) { (void)o; (void)types; }
void nodedev_mdev_types_free(struct nodedev_mdev_types *types) { (void)types; }
