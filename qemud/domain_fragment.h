/*
 * One device's XML (what virsh attach-device, detach-device and
 * update-device send), read by the strict domain parser: the fragment is
 * placed into a whole definition and that is parsed, so a device is held to
 * exactly the rules it would meet in <devices>, the checks across devices
 * (a target or MAC used twice) included.
 */
#pragma once

#include <stddef.h>

#include "domain_def.h"

/* The device elements a fragment may be. */
enum mv_dom_device_kind { MV_DOM_DEVICE_DISK, MV_DOM_DEVICE_NET, MV_DOM_DEVICE_CONTROLLER };

/* Parses the device element XML (<disk>, <interface> or <controller>; any
 * other is refused by name) as a device of BASE: *OUT is a new definition,
 * BASE with the device appended as the last of its kind, at *INDEX.  BASE
 * NULL: the device alone in a skeleton definition named NAME (to find a
 * device by its description).  FLAGS are mv_dom_parse_flags: with
 * MV_DOM_PARSE_STATUS, BASE is a live definition and keeps what it carries
 * (aliases, taps, volume paths).  0, or <0 with *ERRCODE and *ERRMSG as
 * mv_dom_def_parse(). */
int mv_dom_device_parse(const char *xml, const struct mv_dom_def *base, const char *name, unsigned int flags,
                        struct mv_dom_def **out, enum mv_dom_device_kind *kind, size_t *index, int *errcode,
                        char **errmsg);

/* A new definition: DEF without its device KIND number INDEX (what the
 * format/parse round trip of mv_dom_def_copy keeps, it keeps: FLAGS as
 * there, MV_DOM_PARSE_STATUS for a live definition).  NULL if out of
 * memory or the index is out of range. */
struct mv_dom_def *mv_dom_def_without_device(const struct mv_dom_def *def, enum mv_dom_device_kind kind,
                                             size_t index, unsigned int flags);

/* The disk, interface or controller of DEF whose alias is ALIAS (what
 * hotplug adds and removes): 0 with *KIND and *INDEX, -ENOENT if none (a
 * vCPU "vcpu1", a device QEMU made itself, one already removed). */
int mv_dom_device_by_alias(const struct mv_dom_def *def, const char *alias, enum mv_dom_device_kind *kind,
                           size_t *index);
