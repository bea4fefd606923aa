/*
 * Tap devices for type='bridge' interfaces: created with TUNSETIFF, given
 * the guest's MAC (with the first byte set to 0xfe so the bridge never takes
 * it), enslaved to the bridge and set up through libnl3, and passed to QEMU
 * as an open fd.  The tap is not persistent: it disappears when the last fd
 * (QEMU's) closes; mv_tap_delete() removes it explicitly all the same.
 */
#pragma once

#include <stddef.h>

/* Creates a tap named after TEMPLATE ("vnet%d": the kernel picks the number;
 * or an exact name) with vnet_hdr enabled, sets its MAC from GUEST_MAC,
 * attaches it to BRIDGE and brings it up.  Returns the open fd (O_CLOEXEC)
 * and the chosen name in *IFNAME (malloc'd), or -errno with *ERRMSG naming
 * the tap and the bridge ("cannot attach tap 'vnet0' to bridge 'br0': No
 * such device").  Nothing is left behind on failure.  An exact name that
 * already exists is refused (-EBUSY), never taken over; a TEMPLATE or BRIDGE
 * that is not a valid interface name (at most IFNAMSIZ-1 bytes, no '/', ':'
 * or spaces, at most one "%d" in TEMPLATE) gives -EINVAL; so does a BRIDGE
 * that is not a bridge. */
int mv_tap_create(const char *template, const unsigned char guest_mac[6], const char *bridge,
                  char **ifname, char **errmsg);

/* Deletes the link IFNAME if it still exists; 0 if it is gone, -errno otherwise.
 * -EINVAL if IFNAME now names something that is not a tun/tap (the name was
 * reused): that link is left alone. */
int mv_tap_delete(const char *ifname);
