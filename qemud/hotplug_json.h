/*
 * One option of the QEMU command line builder as the QMP command that does
 * the same to a running QEMU (hotplug.h): "-blockdev" is blockdev-add,
 * "-netdev" netdev_add, "-object" object-add, "-device" device_add.
 */
#pragma once

#include <json-c/json.h>

struct hotplug_qmp {
    const char *cmd;            /* "blockdev-add" */
    json_object *args;          /* owned */
    const char *undo_cmd;       /* what takes it back ("blockdev-del"), NULL: nothing (device_add) */
    json_object *undo_args;     /* owned; {"node-name": ...} */
};

/* FLAG ("-blockdev") and its argument OPT ("driver=file,...") into *OUT.
 * 0; -ENOENT for a FLAG without a command, -EINVAL for an option it
 * cannot read (a part without "=", no id), -ENOMEM. */
int hotplug_option_qmp(const char *flag, const char *opt, struct hotplug_qmp *out);
