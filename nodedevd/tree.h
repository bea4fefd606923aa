/*
 * The set of devices nodedevd knows, by name and by sysfs path.  Devices
 * are immutable (device.h): a change puts a new device in place of the old
 * one.  Any thread; a lookup returns a reference, so no caller holds the
 * tree's lock (a leaf) while it works.
 */
#pragma once

#include <stddef.h>

#include "device.h"

struct nodedev_tree;

/* What nodedev_tree_put did (the lifecycle or update event to send). */
enum nodedev_put_result { NODEDEV_PUT_CREATED, NODEDEV_PUT_UPDATED, NODEDEV_PUT_UNCHANGED };

int nodedev_tree_new(struct nodedev_tree **out);
void nodedev_tree_free(struct nodedev_tree *t);

/* Puts DEV (the tree takes the caller's reference, also on failure) in
 * place of the device with the same name.  A DEV without a parent gets its
 * nearest ancestor in sysfs that the tree holds, else "computer"; then its
 * XML is formatted (format.h).  Returns a nodedev_put_result (UPDATED only
 * if the XML changed) or -errno. */
int nodedev_tree_put(struct nodedev_tree *t, struct nodedev_device *dev);

/* Removes the device NAME / at SYSPATH and returns it (the caller's
 * reference), or NULL if there is none. */
struct nodedev_device *nodedev_tree_remove(struct nodedev_tree *t, const char *name);
struct nodedev_device *nodedev_tree_remove_syspath(struct nodedev_tree *t, const char *syspath);

/* Lookups return a reference or NULL. */
struct nodedev_device *nodedev_tree_find(struct nodedev_tree *t, const char *name);
struct nodedev_device *nodedev_tree_find_syspath(struct nodedev_tree *t, const char *syspath);
/* The scsi_host whose fc_host has these WWNs. */
struct nodedev_device *nodedev_tree_find_wwn(struct nodedev_tree *t, const char *wwnn, const char *wwpn);

/* Referenced devices having any capability in CAP_MASK (0: all) and, if
 * FLAGS has NODEDEV_LIST_ACTIVE / _INACTIVE, in that state; sorted by
 * name.  Free with nodedev_list_free.  0 or -ENOMEM. */
int nodedev_tree_list(struct nodedev_tree *t, unsigned int cap_mask, unsigned int flags,
                      struct nodedev_device ***devs, size_t *n);
void nodedev_list_free(struct nodedev_device **devs, size_t n);
size_t nodedev_tree_count(struct nodedev_tree *t);
