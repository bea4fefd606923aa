/* Host network links over rtnetlink (see netlink.h). */
#include "config.h"

#include <errno.h>
#include <linux/if.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "cleanup.h"
#include "netlink.h"

MV_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
MV_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)

struct mv_netlink {
    struct nl_sock *sk;
};

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

int mv_netlink_open(struct mv_netlink **ret)
{
    _cleanup_free_ struct mv_netlink *nl = calloc(1, sizeof(*nl));
    int r;

    if (!nl || !(nl->sk = nl_socket_alloc()))
        return -ENOMEM;
    r = nl_connect(nl->sk, NETLINK_ROUTE);
    if (r < 0) {
        nl_socket_free(nl->sk);
        return nlerr_to_errno(r);
    }
    *ret = TAKE_PTR(nl);
    return 0;
}

void mv_netlink_close(struct mv_netlink *nl)
{
    if (!nl)
        return;
    nl_socket_free(nl->sk);
    free(nl);
}

bool mv_netlink_ifname_valid(const char *name, bool template)
{
    size_t len = name ? strlen(name) : 0;
    const char *pct;

    if (len == 0 || len > MV_IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    pct = strchr(name, '%');
    if (!pct)
        return true;
    return template && pct[1] == 'd' && !strchr(pct + 2, '%');
}

static int link_fetch(struct mv_netlink *nl, const char *name, int ifindex, struct rtnl_link **out)
{
    int r;

    if (name ? !mv_netlink_ifname_valid(name, false) : ifindex <= 0)
        return -EINVAL;
    r = rtnl_link_get_kernel(nl->sk, name ? 0 : ifindex, name, out);
    return r < 0 ? nlerr_to_errno(r) : 0;
}

int mv_netlink_link_get(struct mv_netlink *nl, const char *name, int ifindex, struct mv_link_info *info)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    const char *s;
    int r = link_fetch(nl, name, ifindex, &link);

    if (r < 0)
        return r;
    *info = (struct mv_link_info){ .ifindex = rtnl_link_get_ifindex(link),
                                   .mtu = rtnl_link_get_mtu(link),
                                   .master = rtnl_link_get_master(link) };
    if ((s = rtnl_link_get_name(link)))
        snprintf(info->name, sizeof(info->name), "%s", s);
    if ((s = rtnl_link_get_type(link)))
        snprintf(info->kind, sizeof(info->kind), "%s", s);
    return 0;
}

/* Applies the attributes set in CHANGES to link IFINDEX in one RTM_NEWLINK. */
static int link_change(struct mv_netlink *nl, int ifindex, struct rtnl_link *changes)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *orig = rtnl_link_alloc();
    int r;

    if (!orig)
        return -ENOMEM;
    rtnl_link_set_ifindex(orig, ifindex);
    r = rtnl_link_change(nl->sk, orig, changes, 0);
    return r < 0 ? nlerr_to_errno(r) : 0;
}

int mv_netlink_link_set_mac(struct mv_netlink *nl, int ifindex, const unsigned char mac[6])
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *addr = nl_addr_build(AF_LLC, mac, 6);

    if (!chg || !addr)
        return -ENOMEM;
    rtnl_link_set_addr(chg, addr);
    return link_change(nl, ifindex, chg);
}

int mv_netlink_link_enslave(struct mv_netlink *nl, int ifindex, int master, unsigned int mtu)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();

    if (!chg)
        return -ENOMEM;
    if (mtu)
        rtnl_link_set_mtu(chg, mtu);
    rtnl_link_set_master(chg, master);
    return link_change(nl, ifindex, chg);
}

int mv_netlink_link_set_up(struct mv_netlink *nl, int ifindex, bool up)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *chg = rtnl_link_alloc();

    if (!chg)
        return -ENOMEM;
    if (up)
        rtnl_link_set_flags(chg, IFF_UP);
    else
        rtnl_link_unset_flags(chg, IFF_UP);
    return link_change(nl, ifindex, chg);
}

int mv_netlink_link_delete(struct mv_netlink *nl, int ifindex, const char *name, const char *kind)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    _cleanup_(rtnl_link_putp) struct rtnl_link *del = NULL;
    const char *s;
    int r = link_fetch(nl, NULL, ifindex, &link);

    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    if (name && (!(s = rtnl_link_get_name(link)) || strcmp(s, name) != 0))
        return -EINVAL;
    if (kind && (!(s = rtnl_link_get_type(link)) || strcmp(s, kind) != 0))
        return -EINVAL;
    /* by ifindex only: the name may have moved to another link meanwhile */
    if (!(del = rtnl_link_alloc()))
        return -ENOMEM;
    rtnl_link_set_ifindex(del, ifindex);
    r = rtnl_link_delete(nl->sk, del);
    if (r < 0 && nlerr_to_errno(r) != -ENODEV)
        return nlerr_to_errno(r);
    return 0;
}
