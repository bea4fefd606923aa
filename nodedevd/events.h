/* Node device events (events.c): lifecycle and update, through rpc/events.h. */
#pragma once

#include "device.h"

/* libvirt's VIR_NODE_DEVICE_EVENT_* */
enum nodedev_event { NODEDEV_EVENT_CREATED, NODEDEV_EVENT_DELETED, NODEDEV_EVENT_DEFINED, NODEDEV_EVENT_UNDEFINED };
enum { NODEDEV_EVENT_ID_LIFECYCLE, NODEDEV_EVENT_ID_UPDATE };

int nodedevd_events_init(void);     /* nodedevd.events */
void nodedevd_events_cleanup(void);
void nodedevd_emit_lifecycle(const struct nodedev_device *dev, enum nodedev_event event);
void nodedevd_emit_update(const struct nodedev_device *dev);
