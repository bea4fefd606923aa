/* Host network links over rtnetlink (see netlink.h). */
#include "config.h"

#include <errno.h>
#include <linux/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "cleanup.h"
#include "netlink.h"
#include "netlink_internal.h"

MV_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
MV_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)

/* libnl reports its own NLE_* codes; modvirt returns -errno.  libnl maps the
 * kernel's errno to NLE_* many-to-one, so this is the closest errno back. */
int mv_netlink_errno(int nlerr)
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
        return mv_netlink_errno(r);
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
    return r < 0 ? mv_netlink_errno(r) : 0;
}

int mv_netlink_link_get(struct mv_netlink *nl, const char *name, int ifindex, struct mv_link_info *info)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    struct nl_addr *addr;
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
    if ((addr = rtnl_link_get_addr(link)) && nl_addr_get_len(addr) == sizeof(info->mac)) {
        memcpy(info->mac, nl_addr_get_binary_addr(addr), sizeof(info->mac));
        info->has_mac = true;
    }
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
    return r < 0 ? mv_netlink_errno(r) : 0;
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
    if (r < 0 && mv_netlink_errno(r) != -ENODEV)
        return mv_netlink_errno(r);
    return 0;
}

static int request_ack(struct nl_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
    return NL_STOP;
}

static int request_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
    (void)who;
    *(int *)arg = e->error;
    return NL_STOP;
}

int mv_netlink_request(struct mv_netlink *nl, struct nl_msg *msg)
{
    /* nl_socket_get_cb() hands out a reference of its own */
    _cleanup_(nl_cb_putp) struct nl_cb *sock_cb = nl_socket_get_cb(nl->sk);
    _cleanup_(nl_cb_putp) struct nl_cb *cb = sock_cb ? nl_cb_clone(sock_cb) : NULL;
    int kernel_err = 0;
    int r;

    if (!cb)
        return -ENOMEM;
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, request_ack, NULL);
    nl_cb_err(cb, NL_CB_CUSTOM, request_error, &kernel_err);
    r = nl_send_auto(nl->sk, msg);
    if (r < 0)
        return mv_netlink_errno(r);
    r = nl_recvmsgs(nl->sk, cb);
    if (kernel_err < 0)
        return kernel_err;
    return r < 0 ? mv_netlink_errno(r) : 0;
}

/* IFLA_BR_* go in IFLA_INFO_DATA, which libnl 3.7's rtnl_link cannot carry
 * for bridges (its rtnl_link_bridge_* calls are about ports), so the request
 * is built by hand.  sysfs (/sys/class/net/BR/bridge/) is not the fallback:
 * a sysfs mount shows the network namespace it was mounted in, not the
 * caller's, and one message makes the bridge whole or not at all. */
static int bridge_add_msg(const struct mv_netlink_bridge *br, struct nl_msg **out)
{
    _cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    struct nlattr *info, *data;

    if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
        nla_put_string(msg, IFLA_IFNAME, br->name) < 0 ||
        (br->mac && nla_put(msg, IFLA_ADDRESS, 6, br->mac) < 0) ||
        (br->mtu && nla_put_u32(msg, IFLA_MTU, br->mtu) < 0) ||
        !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
        nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
        !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
        /* the kernel applies the delay before the STP state, so a delay
         * outside STP's 2..30 s range is still taken for a bridge with STP */
        nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, br->forward_delay_cs) < 0 ||
        nla_put_u32(msg, IFLA_BR_STP_STATE, br->stp ? 1 : 0) < 0)
        return -ENOMEM;
    nla_nest_end(msg, data);
    nla_nest_end(msg, info);
    *out = TAKE_PTR(msg);
    return 0;
}

int mv_netlink_bridge_add(struct mv_netlink *nl, const struct mv_netlink_bridge *br, int *ifindex)
{
    _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
    struct mv_link_info info;
    int r;

    if (!mv_netlink_ifname_valid(br->name, false))
        return -EINVAL;
    r = bridge_add_msg(br, &msg);
    if (r < 0)
        return r;
    r = mv_netlink_request(nl, msg);
    if (r < 0)
        return r;
    r = mv_netlink_link_get(nl, br->name, 0, &info);
    if (r < 0)
        return r;
    if (strcmp(info.kind, "bridge") != 0)     /* replaced already: not ours to report */
        return -EBUSY;
    if (ifindex)
        *ifindex = info.ifindex;
    return 0;
}
