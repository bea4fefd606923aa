/*
 * <capability type='net'>: a network interface as libvirt 9.0 shows it --
 * its name, MAC address, link state and speed, the offload features the
 * driver reports through the ethtool ioctl, and 80203 or 80211.
 *
 * The features are asked of the kernel in the daemon's own
 * network namespace (a daemon in a test netns sees that netns's links).
 */
#include "caps.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "sysattr.h"

/* libvirt's virNetDevFeature: the bit order is the order of <feature> */
enum net_feature {
    NET_FEAT_RX, NET_FEAT_TX, NET_FEAT_SG, NET_FEAT_TSO, NET_FEAT_GSO, NET_FEAT_GRO,
    NET_FEAT_LRO, NET_FEAT_RXVLAN, NET_FEAT_TXVLAN, NET_FEAT_NTUPLE, NET_FEAT_RXHASH,
    NET_FEAT_RDMA, NET_FEAT_TXUDPTNL, NET_FEAT_SWITCHDEV, NET_FEAT_LAST
};

static const char *const feature_names[NET_FEAT_LAST] = {
    "rx", "tx", "sg", "tso", "gso", "gro", "lro", "rxvlan", "txvlan", "ntuple", "rxhash",
    "rdma", "txudptnl", "switchdev",
};

/* operstate values libvirt knows (virNetDevIfState); others are left out */
static const char *const link_states[] = {
    "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up",
};

struct net_cap {
    char *ifname;
    char *address;          /* NULL when sysfs has none */
    const char *state;      /* one of link_states, NULL if unknown to libvirt */
    unsigned int speed;     /* Mb/s; 0: not shown (link not up, or no speed) */
    unsigned int features;  /* 1u << enum net_feature */
    bool wlan;              /* 80211 rather than 80203 */
};

static void net_free(void *data)
{
    struct net_cap *net = data;
    if (!net)
        return;
    free(net->ifname);
    free(net->address);
    free(net);
}

static void net_format(struct mv_xml_out *o, const void *data)
{
    const struct net_cap *net = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "net");
    mv_xml_out_text_elem(o, "interface", net->ifname);
    mv_xml_out_text_elem(o, "address", net->address);
    if (net->speed || net->state) {
        mv_xml_out_start(o, "link");
        if (net->speed)
            mv_xml_out_attrf(o, "speed", "%u", net->speed);
        mv_xml_out_attr(o, "state", net->state);
        mv_xml_out_end(o);
    }
    for (int i = 0; i < NET_FEAT_LAST; i++)
        if (net->features & (1u << i))
            mv_xml_out_leaf(o, "feature", "name", feature_names[i]);
    mv_xml_out_leaf(o, "capability", "type", net->wlan ? "80211" : "80203");
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops net_ops = { .format = net_format, .free = net_free };

/* operstate, and the speed only when the link is up: drivers report
 * nonsense (65535, 10) for a link that is down, so libvirt shows none. */
static void read_link(sd_device *d, struct net_cap *net)
{
    _cleanup_free_ char *state = NULL;
    if (nodedev_attr_str(d, "operstate", &state) < 0 || !state)
        return;
    for (size_t i = 0; i < MV_ARRAY_SIZE(link_states); i++)
        if (strcmp(state, link_states[i]) == 0)
            net->state = link_states[i];
    if (!net->state || strcmp(net->state, "up") != 0)
        return;
    /* reading "speed" fails (EINVAL) on devices without one: no speed */
    if (nodedev_attr_uint(d, "speed", 10, &net->speed) < 0)
        net->speed = 0;
}

/* One legacy ethtool getter: true when the driver answers it with a
 * nonzero value (or, for GFLAGS, DATA gets the flags). */
static bool ethtool_get(int fd, struct ifreq *ifr, uint32_t cmd, uint32_t *data)
{
    struct ethtool_value v = { .cmd = cmd };
    ifr->ifr_data = (void *)&v;
    if (ioctl(fd, SIOCETHTOOL, ifr) < 0)
        return false;
    if (data)
        *data = v.data;
    return v.data != 0;
}

/* libvirt tests bit 25 of the first ETHTOOL_GFEATURES block (active) for
 * txudptnl, whatever the running kernel numbers that feature: the same
 * bit gives the same XML. */
#define NET_GFEATURE_TXUDPTNL 25
#define NET_GFEATURES_BLOCKS 2

static bool ethtool_txudptnl(int fd, struct ifreq *ifr)
{
    struct {
        struct ethtool_gfeatures hdr;
        struct ethtool_get_features_block blocks[NET_GFEATURES_BLOCKS];
    } g = { .hdr = { .cmd = ETHTOOL_GFEATURES, .size = NET_GFEATURES_BLOCKS } };

    ifr->ifr_data = (void *)&g;
    if (ioctl(fd, SIOCETHTOOL, ifr) < 0)
        return false;
    return g.blocks[NET_GFEATURE_TXUDPTNL / 32].active & (1u << (NET_GFEATURE_TXUDPTNL % 32));
}

static unsigned int ethtool_features(const char *ifname)
{
    static const struct { uint32_t cmd; enum net_feature feat; } getters[] = {
        { ETHTOOL_GRXCSUM, NET_FEAT_RX }, { ETHTOOL_GTXCSUM, NET_FEAT_TX },
        { ETHTOOL_GSG, NET_FEAT_SG }, { ETHTOOL_GTSO, NET_FEAT_TSO },
        { ETHTOOL_GGSO, NET_FEAT_GSO }, { ETHTOOL_GGRO, NET_FEAT_GRO },
    };
    static const struct { uint32_t flag; enum net_feature feat; } flags[] = {
        { ETH_FLAG_LRO, NET_FEAT_LRO }, { ETH_FLAG_RXVLAN, NET_FEAT_RXVLAN },
        { ETH_FLAG_TXVLAN, NET_FEAT_TXVLAN }, { ETH_FLAG_NTUPLE, NET_FEAT_NTUPLE },
        { ETH_FLAG_RXHASH, NET_FEAT_RXHASH },
    };
    struct ifreq ifr = { 0 };
    unsigned int features = 0;
    uint32_t value = 0;

    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || strlen(ifname) >= sizeof(ifr.ifr_name))
        return 0;
    strcpy(ifr.ifr_name, ifname);

    for (size_t i = 0; i < MV_ARRAY_SIZE(getters); i++)
        if (ethtool_get(fd, &ifr, getters[i].cmd, NULL))
            features |= 1u << getters[i].feat;
    if (ethtool_get(fd, &ifr, ETHTOOL_GFLAGS, &value))
        for (size_t i = 0; i < MV_ARRAY_SIZE(flags); i++)
            if (value & flags[i].flag)
                features |= 1u << flags[i].feat;
    if (ethtool_txudptnl(fd, &ifr))
        features |= 1u << NET_FEAT_TXUDPTNL;
    return features;
}

/* rdma: an InfiniBand device on the same PCI function, i.e. with the same
 * "resource" (BAR list) as the interface's device. */
static bool has_rdma(sd_device *d)
{
    /* most hosts have none: skip the enumeration */
    if (access("/sys/class/infiniband", F_OK) < 0)
        return false;
    _cleanup_free_ char *mine = NULL;
    if (nodedev_attr_str(d, "device/resource", &mine) < 0 || !mine)
        return false;

    _cleanup_(sd_device_enumerator_unrefp) sd_device_enumerator *e = NULL;
    if (sd_device_enumerator_new(&e) < 0 ||
        sd_device_enumerator_add_match_subsystem(e, "infiniband", true) < 0)
        return false;
    for (sd_device *ib = sd_device_enumerator_get_device_first(e); ib;
         ib = sd_device_enumerator_get_device_next(e)) {
        _cleanup_free_ char *theirs = NULL;
        if (nodedev_attr_str(ib, "device/resource", &theirs) == 0 && theirs &&
            strcmp(mine, theirs) == 0)
            return true;
    }
    return false;
}

/* The ethtool ioctl names an interface of the daemon's network namespace;
 * it describes D only if that interface is D (same ifindex).  A fixture's
 * "eth0" is not the host's, and a link of another netns is not ours. */
static bool is_our_link(sd_device *d, const char *ifname)
{
    int ifindex;
    unsigned int attr;
    if (sd_device_get_ifindex(d, &ifindex) >= 0)
        attr = (unsigned int)ifindex;
    else if (nodedev_attr_uint(d, "ifindex", 10, &attr) < 0)
        return false;
    return if_nametoindex(ifname) == attr;
}

static int read_net(sd_device *d, struct net_cap *net)
{
    const char *sysname;
    int r = sd_device_get_sysname(d, &sysname);
    if (r < 0)
        return r;
    if (nodedev_prop_str(d, "INTERFACE", &net->ifname) < 0)
        return -ENOMEM;
    if (!net->ifname && !(net->ifname = strdup(sysname)))
        return -ENOMEM;

    const char *devtype;
    net->wlan = sd_device_get_devtype(d, &devtype) >= 0 && strcmp(devtype, "wlan") == 0;
    if (nodedev_attr_str(d, "address", &net->address) < 0)
        return -ENOMEM;
    read_link(d, net);
    if (is_our_link(d, net->ifname)) {
        net->features = ethtool_features(net->ifname);
        if (has_rdma(d))
            net->features |= 1u << NET_FEAT_RDMA;
    }
    return 0;
}

int nodedev_cap_net(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    struct net_cap *net = calloc(1, sizeof(*net));
    if (!net)
        return -ENOMEM;

    int r = read_net(d, net);
    if (r < 0 || (r = nodedev_set_str(&dev->ifname, net->ifname)) < 0) {
        net_free(net);
        return r;
    }
    return nodedev_device_add_cap(dev, NODEDEV_CAP_NET, &net_ops, net);
}
