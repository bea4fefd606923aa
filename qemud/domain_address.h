/*
 * What a domain's devices are called and where they sit.  The assign pass
 * runs at define (domain_procs.c) and on a definition loaded from the store
 * (driver.c), so that the definition keeps its addresses, and on the live
 * copy before the QEMU command line is built (domain_process.c), so that
 * the live XML shows the alias (= QEMU device id) and the address of every
 * device, and the command line builder finds every address chosen already.
 */
#pragma once

#include "domain_def.h"

/* Fills, on DEF (a live copy), every device's alias when it has none, the
 * drive address of SATA/SCSI/IDE disks from their target name, a root-bus
 * PCI slot for every PCI device without an address (the lowest free one, in
 * command-line order, never one the machine has built in or the XML gives
 * another device), and adds the controllers QEMU has without being asked
 * (the root bus, the built-in IDE/SATA controller, and those the devices
 * need: SATA, SCSI, virtio-serial, USB).  Leaves alone what the command
 * line builder refuses, for it to name.  0, or <0 with *ERRCODE and
 * *ERRMSG (malloc'd) set: out of memory, no root-bus slot left, a given PCI
 * address taken twice or the machine's own, two disks at one drive address
 * (naming both).  On failure DEF may be half assigned: run it on a copy
 * where that matters. */
int mv_dom_assign(struct mv_dom_def *def, int *errcode, char **errmsg);

/* mv_dom_assign() but the aliases: what a definition keeps when it is
 * defined (as libvirt, which gives addresses at define), so that a device
 * added later never moves the ones there (a guest names its NICs by slot). */
int mv_dom_assign_addresses(struct mv_dom_def *def, int *errcode, char **errmsg);

/* A user alias ("ua-...") two devices of DEF have, or NULL: libvirt
 * requires them unique. */
const char *mv_dom_duplicate_user_alias(const struct mv_dom_def *def);
