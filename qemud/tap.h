/*
 * Tap devices for type='bridge' and type='network' interfaces: created with
 * TUNSETIFF, given the guest's MAC (with the first byte set to 0xfe so the
 * bridge never takes it), enslaved to the bridge and set up over rtnetlink (common/netlink.h),
 * and passed to QEMU as an open fd.  The tap is not persistent: it
 * disappears when the last fd (QEMU's) closes; mv_tap_delete() removes it
 * explicitly all the same, by the ifindex it had at creation.
 */
#pragma once

#include <stddef.h>

/* Creates a tap named after TEMPLATE ("vnet%d": the kernel picks the number;
 * or an exact name) with vnet_hdr enabled, sets its MAC from GUEST_MAC,
 * attaches it to BRIDGE and brings it up.  Returns the open fd (O_CLOEXEC),
 * the chosen name in *IFNAME (malloc'd) and its ifindex in *IFINDEX, or
 * -errno with *ERRMSG naming the tap and the bridge ("cannot attach tap
 * 'vnet0' to bridge 'br0': No such device").  Nothing is left behind on failure.  An exact name that
 * already exists is refused (-EBUSY), never taken over; a TEMPLATE or BRIDGE
 * that is not a valid interface name (at most IFNAMSIZ-1 bytes, no '/', ':'
 * or spaces, at most one "%d" in TEMPLATE) gives -EINVAL; so does a BRIDGE
 * that is not a bridge. */
int mv_tap_create(const char *template, const unsigned char guest_mac[6], const char *bridge,
                  char **ifname, int *ifindex, char **errmsg);

/* Deletes the tap created as IFNAME with IFINDEX if it still exists; 0 if it
 * is gone, -errno otherwise.  Only the link IFINDEX is ever touched: once
 * our tap is gone, another guest's new tap may carry IFNAME already.
 * -EINVAL if IFINDEX now is not a tun/tap named IFNAME (left alone), or
 * IFNAME is not a valid name.  An IFINDEX <= 0 (not known) deletes nothing. */
int mv_tap_delete(const char *ifname, int ifindex);

/* Puts the tap created as IFNAME with IFINDEX back on BRIDGE if it is not a
 * port of it any more: a qemud re-attaching a running guest finds its tap
 * detached when the bridge was deleted and made anew meanwhile (the
 * network restarted), as libvirt does on reconnect.  1 re-attached, 0 it
 * already was; -errno with *ERRMSG: -EINVAL if IFINDEX now is not a tun
 * named IFNAME (left alone), or BRIDGE is not a bridge; -ENODEV if either
 * is gone. */
int mv_tap_reattach(const char *ifname, int ifindex, const char *bridge, char **errmsg);
