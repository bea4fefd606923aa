/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "device.h"
const char *nodedev_cap_name(enum nodedev_cap_type t) { (void)t; return NULL; }
int nodedev_cap_from_name(const char *name) { (void)name; return -1; }
struct nodedev_device *nodedev_device_new(const char *name) { (void)name; return NULL; }
struct nodedev_device *nodedev_device_ref(struct nodedev_device *dev) { return dev; }
void nodedev_device_unref(struct nodedev_device *dev) { (void)dev; }
int nodedev_device_add_cap(struct nodedev_device *dev, enum nodedev_cap_type type, const struct nodedev_cap_ops *ops, void *data) { (void)dev; (void)type; (void)ops; (void)data; return -ENOSYS; }
int nodedev_device_add_subcap(struct nodedev_device *dev, enum nodedev_cap_type type) { (void)dev; (void)type; return -ENOSYS; }
int nodedev_set_str(char **field, const char *value) { (void)field; (void)value; return -ENOSYS; }
