/*
 * Tap devices for type='bridge' interfaces (see tap.h).
 *
 * The tap is created with the tun driver's ioctl (no netlink message creates
 * a tun/tap with an fd attached) and configured with libnl-route-3.  It is
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

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "cleanup.h"
#include "errmsg.h"
#include "tap.h"

MV_DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
MV_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
MV_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)

#define TUN_DEVICE "/dev/net/tun"

/* libnl reports its own NLE_* codes; modvirt returns -errno.  libnl maps the
 * kernel's errno to NLE_* many-to-one, so this is the closest errno back. */
static int nlerr_to_errno(int nlerr)
{
    static const struct { int nle, err; } map[] = {
        { NLE_NODEV, ENODEV },       { NLE_OBJ_NOTFOUND, ENODEV },
        { NLE_EXIST, EEXIST },       { NLE_INVAL, EINVAL },
        { NLE_NOMEM, ENOMEM },       { NLE_PERM, EPERM },
        { NLE_NOACCESS, EACCES },    { NLE_BUSY, EBUSY },
        { NLE_RANGE, ERANGE },       { NLE_OPNOTSUPP, EOPNOTSUPP },
        { NLE_AGAIN, EAGAIN },       { NLE_INTR, EINTR },
        { NLE_AF_NOSUPPORT, EAFNOSUPPORT }, { NLE_BAD_SOCK, EBADF },
    };
    int nle = nlerr < 0 ? -nlerr : nlerr;

    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (map[i].nle == nle)
            return -map[i].err;
    return -EIO;
}

/* The kernel's rules for interface names (dev_valid_name()), plus no control
 * characters: names end up in log lines and error messages.  A template may
 * hold one "%d", which the kernel replaces with the first free number. */
static bool ifname_valid(const char *name, bool template)
{
    size_t len = name ? strlen(name) : 0;
    const char *pct;

    if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    pct = strchr(name, '%');
    if (!pct)
        return true;
    return template && pct[1] == 'd' && !strchr(pct + 2, '%');
}

static int invalid_name(char **errmsg, const char *what, const char *name)
{
    _cleanup_free_ char *q = name ? mv_errmsg_quote(name, strlen(name), MV_ERRMSG_QUOTE_MAX) : NULL;

    return mv_errmsg_set(errmsg, -EINVAL, "invalid %s '%s': at most %d bytes, no '/', ':' or spaces",
                         what, q ? q : "", IFNAMSIZ - 1);
}

static int nl_open(struct nl_sock **out)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
    int r;

    if (!sk)
        return -ENOMEM;
    r = nl_connect(sk, NETLINK_ROUTE);
    if (r < 0)
        return nlerr_to_errno(r);
    *out = TAKE_PTR(sk);
    return 0;
}

static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
    int r = rtnl_link_get_kernel(sk, 0, name, out);

    return r < 0 ? nlerr_to_errno(r) : 0;
}

/* Applies the attributes set in CHANGES to LINK in one RTM_NEWLINK. */
static int link_change(struct nl_sock *sk, struct rtnl_link *link, struct rtnl_link *changes)
{
    int r = rtnl_link_change(sk, link, changes, 0);

    return r < 0 ? nlerr_to_errno(r) : 0;
}

/* The tap gets the guest's MAC with the first byte 0xfe: a bridge without a
 * fixed MAC takes the lowest MAC of its ports, and 0xfe keeps taps out of
 * the running, so the bridge's address does not change as guests come and
 * go (and is never a guest's own). */
static int tap_set_mac(struct nl_sock *sk, struct rtnl_link *tap, const unsigned char guest_mac[6])
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *addr = NULL;
    unsigned char mac[6];

    memcpy(mac, guest_mac, sizeof(mac));
    mac[0] = 0xfe;
    addr = nl_addr_build(AF_LLC, mac, sizeof(mac));
    if (!chg || !addr)
        return -ENOMEM;
    rtnl_link_set_addr(chg, addr);
    return link_change(sk, tap, chg);
}

/* The tap takes the bridge's MTU before joining it: a smaller port MTU would
 * silently lower the MTU of the whole bridge. */
static int tap_attach(struct nl_sock *sk, struct rtnl_link *tap, struct rtnl_link *br)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();

    if (!chg)
        return -ENOMEM;
    rtnl_link_set_mtu(chg, rtnl_link_get_mtu(br));
    rtnl_link_set_master(chg, rtnl_link_get_ifindex(br));
    return link_change(sk, tap, chg);
}

static int tap_set_up(struct nl_sock *sk, struct rtnl_link *tap)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();

    if (!chg)
        return -ENOMEM;
    rtnl_link_set_flags(chg, IFF_UP);
    return link_change(sk, tap, chg);
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

/* Everything after the tap exists: MAC, bridge, MTU, up.  Each step's
 * failure names the step, the tap and the bridge. */
static int tap_setup(const char *name, const unsigned char guest_mac[6], const char *bridge,
                     char **errmsg)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
    _cleanup_(rtnl_link_putp) struct rtnl_link *tap = NULL;
    _cleanup_(rtnl_link_putp) struct rtnl_link *br = NULL;
    int r;

    r = nl_open(&sk);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot open a netlink socket for tap '%s': %s",
                             name, strerror(-r));
    r = link_get(sk, name, &tap);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot find the new tap '%s': %s", name, strerror(-r));
    r = link_get(sk, bridge, &br);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot attach tap '%s' to bridge '%s': %s",
                             name, bridge, strerror(-r));
    if (!rtnl_link_is_bridge(br))
        return mv_errmsg_set(errmsg, -EINVAL, "cannot attach tap '%s' to '%s': it is not a bridge",
                             name, bridge);
    r = tap_set_mac(sk, tap, guest_mac);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot set the MAC address of tap '%s': %s",
                             name, strerror(-r));
    r = tap_attach(sk, tap, br);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot attach tap '%s' to bridge '%s': %s",
                             name, bridge, strerror(-r));
    r = tap_set_up(sk, tap);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot bring up tap '%s' on bridge '%s': %s",
                             name, bridge, strerror(-r));
    return 0;
}

int mv_tap_create(const char *template, const unsigned char guest_mac[6], const char *bridge,
                  char **ifname, char **errmsg)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *copy = NULL;
    char name[IFNAMSIZ];
    int r;

    if (!ifname_valid(template, true))
        return invalid_name(errmsg, "tap name template", template);
    if (!ifname_valid(bridge, false))
        return invalid_name(errmsg, "bridge name", bridge);
    fd = tap_open(template, name);
    if (fd < 0)
        return mv_errmsg_set(errmsg, fd, "cannot create tap '%s' for bridge '%s': %s",
                             template, bridge, strerror(-fd));
    r = tap_setup(name, guest_mac, bridge, errmsg);
    if (r < 0)
        return r;       /* closing FD deletes the tap */
    copy = strdup(name);
    if (!copy)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    *ifname = TAKE_PTR(copy);
    return TAKE_FD(fd);
}

int mv_tap_delete(const char *ifname)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    const char *kind;
    int r;

    if (!ifname_valid(ifname, false))
        return -EINVAL;
    r = nl_open(&sk);
    if (r < 0)
        return r;
    r = link_get(sk, ifname, &link);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    /* a name can be reused once our tap is gone: never delete a bridge or a
     * NIC that happens to carry it now */
    kind = rtnl_link_get_type(link);
    if (!kind || strcmp(kind, "tun") != 0)
        return -EINVAL;
    r = rtnl_link_delete(sk, link);
    if (r < 0 && nlerr_to_errno(r) != -ENODEV)
        return nlerr_to_errno(r);
    return 0;
}
