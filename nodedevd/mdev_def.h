/*
 * The <device> XML a client gives CREATE_XML and DEFINE_XML for a mediated
 * device, and the one nodedevd keeps for a defined mdev:
 *
 *   <device>
 *     <parent>pci_0000_00_02_0</parent>
 *     <capability type='mdev'>
 *       <type id='i915-GVTg_V5_4'/>
 *       <uuid>...</uuid>                    optional: nodedevd picks one
 *       <attr name='NAME' value='VALUE'/>   repeated, written to sysfs in order
 *     </capability>
 *   </device>
 *
 * Strict (common/xml_strict.h): anything else is refused by name, except
 * what nodedev-dumpxml writes and the kernel decides (<name>, <path>,
 * <driver>, <parent_addr>, <iommuGroup>), so a dumped XML can be defined.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "caps.h"
#include "cleanup.h"
#include "uuid.h"

/* Most <attr> elements one mdev may have. */
#define NODEDEV_MDEV_ATTRS_MAX 64
/* Longest attribute value: a sysfs attribute holds a page. */
#define NODEDEV_MDEV_ATTR_VALUE_MAX 4095

struct nodedev_mdev_def {
    char *parent;                   /* the parent's node device name; NULL if absent */
    char *type;                     /* <type id=> */
    unsigned char uuid[MV_UUID_LEN];
    bool has_uuid;
    char *parent_addr;              /* the parent's sysfs name, as last seen (stored definitions) */
    struct nodedev_mdev_attr *attrs;
    size_t nattrs;
};

/* Parses XML into a new *DEF.  -EINVAL with *ERRMSG ("XML error: ...",
 * "unsupported configuration: ...": libvirt's phrase first) and *ERRCODE
 * (MV_ERR_*), or -ENOMEM (*ERRMSG may be NULL). */
int nodedev_mdev_def_parse(const char *xml, struct nodedev_mdev_def **def, int *errcode, char **errmsg);
/* DEF as the XML above (with <parent_addr> when known); NULL on ENOMEM. */
char *nodedev_mdev_def_format(const struct nodedev_mdev_def *def);
void nodedev_mdev_def_free(struct nodedev_mdev_def *def);
MV_DEFINE_CLEANUP(struct nodedev_mdev_def, nodedev_mdev_def_free)
#define _cleanup_mdev_def_ _cleanup_(nodedev_mdev_def_freep)
