/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "scan.h"
int nodedev_scan(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx, nodedev_changed_fn changed, void *opaque) { (void)tree; (void)ctx; (void)changed; (void)opaque; return -ENOSYS; }
int nodedev_scan_one(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx, const char *syspath, nodedev_changed_fn changed, void *opaque) { (void)tree; (void)ctx; (void)syspath; (void)changed; (void)opaque; return -ENOSYS; }
