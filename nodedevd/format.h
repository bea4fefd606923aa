/* A device's XML: libvirt's node device document (format.c). */
#pragma once

#include "device.h"

/* <device> with name, path, devnode(s), parent, driver and every
 * capability's element, in virsh nodedev-dumpxml's layout.  New string
 * (NUL-terminated) in *XML; 0 or -ENOMEM. */
int nodedev_format(const struct nodedev_device *dev, char **xml);
