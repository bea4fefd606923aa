/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "read.h"
int nodedev_read_computer(struct nodedev_device **out) { *out = NULL; return -ENOSYS; }
