/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "pci_detach.h"
int nodedev_pci_detach(const struct nodedev_device *dev, const char *driver, struct mv_err *err) { (void)dev; (void)driver; (void)err; return -ENOSYS; }
int nodedev_pci_reattach(const struct nodedev_device *dev, struct mv_err *err) { (void)dev; (void)err; return -ENOSYS; }
int nodedev_pci_reset(const struct nodedev_device *dev, struct mv_err *err) { (void)dev; (void)err; return -ENOSYS; }
