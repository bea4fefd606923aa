/*
 * Tap devices for type='bridge' interfaces (see tap.h).
 *
 * The tap is created with the tun driver's ioctl (no netlink message creates
 * a tun/tap with an fd attached) and configured over rtnetlink
 * (common/netlink.c).  It is
 * never made persistent, so on any failure closing our fd is enough to make
 * the kernel delete it: nothing is left behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cleanup.h"
#include "errmsg.h"
#include "netlink.h"
#include "tap.h"

#define TUN_DEVICE "/dev/net/tun"

static int invalid_name(char **errmsg, const char *what, const char *name)
{
    _cleanup_free_ char *q = name ? mv_errmsg_quote(name, strlen(name), MV_ERRMSG_QUOTE_MAX) : NULL;

    return mv_errmsg_set(errmsg, -EINVAL, "invalid %s '%s': at most %d bytes, no '/', ':' or spaces",
                         what, q ? q : "", IFNAMSIZ - 1);
}

/* The tap gets the guest's MAC with the first byte 0xfe: a bridge without a
 * fixed MAC takes the lowest MAC of its ports, and 0xfe keeps taps out of
 * the running, so the bridge's address does not change as guests come and
 * go (and is never a guest's own). */
static int tap_set_mac(struct mv_netlink *nl, int ifindex, const unsigned char guest_mac[6])
{
    unsigned char mac[6];

    memcpy(mac, guest_mac, sizeof(mac));
    mac[0] = 0xfe;
    return mv_netlink_link_set_mac(nl, ifindex, mac);
}

/* Opens the tun device and creates the tap; the kernel writes the chosen
 * name into NAME (IFNAMSIZ bytes).  IFF_TUN_EXCL: an existing tap of that
 * name is refused (EBUSY) instead of being taken over, so a failure path
 * that closes the fd never reconfigures or removes someone else's device. */
static int tap_open(const char *template, char name[IFNAMSIZ])
{
    _cleanup_close_ int fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC);
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL };

    if (fd < 0)
        return -errno;
    memcpy(ifr.ifr_name, template, strlen(template) + 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return -errno;
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = '\0';
    return TAKE_FD(fd);
}

/* Puts TAP on BR and brings it up; 1.  The bridge's MTU first: a smaller
 * port MTU would lower the whole bridge's. */
static int tap_enslave(struct mv_netlink *nl, const struct mv_link_info *tap, const struct mv_link_info *br,
                       char **errmsg)
{
    int r = mv_netlink_link_enslave(nl, tap->ifindex, br->ifindex, br->mtu);

    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot attach tap '%s' to bridge '%s': %s", tap->name, br->name,
                             strerror(-r));
    r = mv_netlink_link_set_up(nl, tap->ifindex, true);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot bring up tap '%s' on bridge '%s': %s", tap->name, br->name,
                             strerror(-r));
    return 1;
}

/* Everything after the tap exists: MAC, bridge, MTU, up; *IFINDEX the
 * tap's.  Each step's failure names the step, the tap and the bridge. */
static int tap_setup(const char *name, const unsigned char guest_mac[6], const char *bridge,
                     int *ifindex, char **errmsg)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    struct mv_link_info tap, br;
    int r;

    r = mv_netlink_open(&nl);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot open a netlink socket for tap '%s': %s",
                             name, strerror(-r));
    r = mv_netlink_link_get(nl, name, 0, &tap);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot find the new tap '%s': %s", name, strerror(-r));
    r = mv_netlink_link_get(nl, bridge, 0, &br);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot attach tap '%s' to bridge '%s': %s",
                             name, bridge, strerror(-r));
    if (strcmp(br.kind, "bridge") != 0)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot attach tap '%s' to '%s': it is not a bridge",
                             name, bridge);
    r = tap_set_mac(nl, tap.ifindex, guest_mac);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot set the MAC address of tap '%s': %s",
                             name, strerror(-r));
    r = tap_enslave(nl, &tap, &br, errmsg);
    if (r < 0)
        return r;
    *ifindex = tap.ifindex;
    return 0;
}

int mv_tap_create(const char *template, const unsigned char guest_mac[6], const char *bridge,
                  char **ifname, int *ifindex, char **errmsg)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *copy = NULL;
    char name[IFNAMSIZ];
    int r, index = 0;

    if (!mv_netlink_ifname_valid(template, true))
        return invalid_name(errmsg, "tap name template", template);
    if (!mv_netlink_ifname_valid(bridge, false))
        return invalid_name(errmsg, "bridge name", bridge);
    fd = tap_open(template, name);
    if (fd < 0)
        return mv_errmsg_set(errmsg, fd, "cannot create tap '%s' for bridge '%s': %s",
                             template, bridge, strerror(-fd));
    r = tap_setup(name, guest_mac, bridge, &index, errmsg);
    if (r < 0)
        return r;       /* closing FD deletes the tap */
    copy = strdup(name);
    if (!copy)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    *ifname = TAKE_PTR(copy);
    *ifindex = index;
    return TAKE_FD(fd);
}

int mv_tap_delete(const char *ifname, int ifindex)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    int r;

    if (!mv_netlink_ifname_valid(ifname, false))
        return -EINVAL;
    if (ifindex <= 0)
        return 0;       /* not known (an older status file): the kernel removes it with QEMU's fd */
    r = mv_netlink_open(&nl);
    if (r < 0)
        return r;
    return mv_netlink_link_delete(nl, ifindex, ifname, "tun");
}

int mv_tap_reattach(const char *ifname, int ifindex, const char *bridge, char **errmsg)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    struct mv_link_info tap, br;
    int r;

    if (!mv_netlink_ifname_valid(ifname, false))
        return invalid_name(errmsg, "tap name", ifname);
    if (!mv_netlink_ifname_valid(bridge, false))
        return invalid_name(errmsg, "bridge name", bridge);
    if (ifindex <= 0)
        return mv_errmsg_set(errmsg, -EINVAL, "the index of tap '%s' is not known", ifname);
    if ((r = mv_netlink_open(&nl)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot open a netlink socket for tap '%s': %s", ifname, strerror(-r));
    if ((r = mv_netlink_link_get(nl, NULL, ifindex, &tap)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot find tap '%s' (index %d): %s", ifname, ifindex, strerror(-r));
    /* the index names someone else's link now: leave it alone */
    if (strcmp(tap.name, ifname) != 0 || strcmp(tap.kind, "tun") != 0)
        return mv_errmsg_set(errmsg, -EINVAL, "link %d is '%s' (%s), not our tap '%s'", ifindex, tap.name,
                             tap.kind[0] ? tap.kind : "no kind", ifname);
    if ((r = mv_netlink_link_get(nl, bridge, 0, &br)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot attach tap '%s' to bridge '%s': %s", ifname, bridge, strerror(-r));
    if (strcmp(br.kind, "bridge") != 0)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot attach tap '%s' to '%s': it is not a bridge", ifname, bridge);
    if (tap.master == br.ifindex)
        return 0;
    return tap_enslave(nl, &tap, &br, errmsg);
}
