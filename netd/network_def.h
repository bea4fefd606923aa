/*
 * A virtual network's definition: the parsed form of libvirt's network XML
 * for what netd can honour.  network_parse.c fills it (refusing anything
 * else by name), network_format.c writes it back; dnsmasq_conf.c and
 * firewall_rules.c turn it into dnsmasq's configuration and nftables rules.
 *
 * Ownership: a struct mv_net_def owns every string and array below; free it
 * with mv_net_def_free().  A definition a network object publishes is
 * immutable: a change (net-update, a new define) builds a new one.
 * Enum fields use 0 for "not given" where the XML allows leaving the
 * attribute out, so formatting writes back what the user wrote plus what the
 * parser fills in (uuid, bridge name, mac).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "net_addr.h"
#include "uuid.h"

/* Longest interface name netd accepts (IFNAMSIZ - 1). */
#define MV_NET_IFNAME_MAX 15

enum mv_net_forward {
    MV_NET_FWD_NONE,        /* no <forward>: isolated */
    MV_NET_FWD_NAT,
    MV_NET_FWD_ROUTE,
    MV_NET_FWD_OPEN,
    MV_NET_FWD_BRIDGE,      /* an existing host bridge; no DHCP, no rules of ours */
    MV_NET_FWD_LAST
};
const char *mv_net_forward_to_string(int value);    /* "nat"...; NULL for NONE */
int mv_net_forward_from_string(const char *s);      /* -1 if unknown */

enum mv_net_tristate { MV_NET_UNSET, MV_NET_YES, MV_NET_NO };

/* <nat><address start end/><port start end/></nat>; 0/unset = not given */
struct mv_net_nat {
    struct mv_inet addr_start, addr_end;
    unsigned int port_start, port_end;
};

struct mv_net_forward_def {
    enum mv_net_forward mode;
    char *dev;                      /* <forward dev=>: uplink for nat/route, NULL = any */
    struct mv_net_nat nat;
};

/* <bridge name stp delay/> */
struct mv_net_bridge {
    char *name;                     /* filled in (virbrN) when absent, except mode bridge */
    enum mv_net_tristate stp;       /* stp='on'/'off'; unset = on, as libvirt */
    unsigned int delay;             /* forward delay in seconds */
    bool has_delay;
};

/* <lease expiry='N' unit='seconds|minutes|hours'/>; expiry 0 = infinite */
struct mv_net_lease {
    bool given;
    unsigned long expiry;           /* as written, in UNIT */
    char *unit;                     /* NULL = minutes (libvirt's default) */
};

struct mv_net_dhcp_range {
    struct mv_inet start, end;
    struct mv_net_lease lease;
};

/* <host mac id name ip/>: IPv4 hosts are keyed by mac, IPv6 by id (DUID) */
struct mv_net_dhcp_host {
    char *mac;                      /* normalised lower-case aa:bb:cc:dd:ee:ff, or NULL */
    char *id;                       /* DUID / client id, or NULL */
    char *name;                     /* hostname, or NULL */
    struct mv_inet ip;              /* unset = none */
    struct mv_net_lease lease;
};

/* <ip address netmask|prefix family localPtr><dhcp>...</dhcp></ip> */
struct mv_net_ip {
    struct mv_inet address;
    unsigned int prefix;            /* from prefix= or netmask= */
    bool netmask_given;             /* written as netmask= (format writes it back so) */
    bool family_given;              /* family= was written */
    enum mv_net_tristate local_ptr;
    bool has_dhcp;                  /* <dhcp> present (even empty) */
    struct mv_net_dhcp_range *ranges;
    size_t nranges;
    struct mv_net_dhcp_host *hosts;
    size_t nhosts;
};

/* <route address prefix|netmask gateway metric family/> */
struct mv_net_route {
    struct mv_inet address;
    unsigned int prefix;
    bool netmask_given;
    bool family_given;
    struct mv_inet gateway;
    unsigned int metric;            /* 0 = not given */
};

struct mv_net_dns_forwarder {
    struct mv_inet addr;            /* unset = none */
    char *domain;                   /* NULL = all domains */
};

struct mv_net_dns_host {
    struct mv_inet ip;
    char **hostnames;               /* at least one */
    size_t nhostnames;
};

struct mv_net_dns_srv {
    char *service, *protocol;       /* both required */
    char *domain, *target;          /* NULL = not given */
    unsigned int port, priority, weight;
    bool has_port, has_priority, has_weight;
};

struct mv_net_dns_txt {
    char *name, *value;
};

struct mv_net_dns {
    enum mv_net_tristate enable;            /* enable='no' turns DNS off */
    enum mv_net_tristate forward_plain_names;
    struct mv_net_dns_forwarder *forwarders;
    size_t nforwarders;
    struct mv_net_dns_host *hosts;
    size_t nhosts;
    struct mv_net_dns_srv *srvs;
    size_t nsrvs;
    struct mv_net_dns_txt *txts;
    size_t ntxts;
};

struct mv_net_def {
    char *name;
    unsigned char uuid[MV_UUID_LEN];
    char *title, *description;
    char *metadata;                 /* the <metadata> element as XML text, or NULL */

    struct mv_net_forward_def forward;
    struct mv_net_bridge bridge;
    char *mac;                      /* bridge MAC, lower-case; generated for nat/route/isolated */
    unsigned int mtu;               /* 0 = not given */
    char *domain_name;              /* <domain name=> */
    enum mv_net_tristate domain_local_only;
    bool has_dns;                   /* <dns> present */
    struct mv_net_dns dns;
    struct mv_net_ip *ips;
    size_t nips;
    struct mv_net_route *routes;
    size_t nroutes;
};

void mv_net_def_free(struct mv_net_def *def);
static inline void mv_net_def_freep(struct mv_net_def **def) { mv_net_def_free(*def); }
#define _cleanup_net_def_ _cleanup_(mv_net_def_freep)

/* The first <ip> of FAMILY (AF_INET/AF_INET6), or NULL. */
const struct mv_net_ip *mv_net_def_ip(const struct mv_net_def *def, int family);
/* True if the network runs our dnsmasq: any mode but bridge, and either DNS
 * is not disabled or some <ip> has <dhcp>. */
bool mv_net_def_wants_dnsmasq(const struct mv_net_def *def);
/* A lease's length in seconds (0 = infinite, -1 = not given). */
long long mv_net_lease_seconds(const struct mv_net_lease *lease);

/* Deep copy (NULL on out of memory). */
struct mv_net_def *mv_net_def_copy(const struct mv_net_def *def);

/* ---- network_parse.c ---- */
/* Parses network XML strictly: every element and attribute is kept or
 * refused by name ("unsupported configuration: unknown element <bandwidth>
 * in network 'n1'").  Fills in a UUID and, for modes with a bridge of ours,
 * a MAC when absent; the bridge name stays NULL when absent (the driver
 * picks virbrN).  0 or -EINVAL/-ENOMEM with *ERRMSG. */
int mv_net_def_parse(const char *xml, struct mv_net_def **out, char **errmsg);

/* ---- network_format.c ---- */
/* The XML of DEF; CONNECTIONS > 0 adds connections='N' (live XML with
 * ports plugged).  NULL on out of memory. */
char *mv_net_def_format(const struct mv_net_def *def, int connections);

/* ---- network_update.c ---- */
/* virNetworkUpdate's command and section numbers (libvirt's public ABI). */
enum mv_net_update_command {
    MV_NET_UPDATE_NONE = 0, MV_NET_UPDATE_MODIFY = 1, MV_NET_UPDATE_DELETE = 2,
    MV_NET_UPDATE_ADD_LAST = 3, MV_NET_UPDATE_ADD_FIRST = 4,
};
enum mv_net_update_section {
    MV_NET_SECTION_NONE = 0, MV_NET_SECTION_BRIDGE = 1, MV_NET_SECTION_DOMAIN = 2,
    MV_NET_SECTION_IP = 3, MV_NET_SECTION_IP_DHCP_HOST = 4, MV_NET_SECTION_IP_DHCP_RANGE = 5,
    MV_NET_SECTION_FORWARD = 6, MV_NET_SECTION_FORWARD_INTERFACE = 7,
    MV_NET_SECTION_FORWARD_PF = 8, MV_NET_SECTION_PORTGROUP = 9, MV_NET_SECTION_DNS_HOST = 10,
    MV_NET_SECTION_DNS_TXT = 11, MV_NET_SECTION_DNS_SRV = 12,
};
/* A new definition: DEF with COMMAND applied to SECTION (dhcp host and dns
 * host are supported; others refused by name) using the XML fragment XML;
 * PARENT_INDEX picks the <ip> (-1: the first with <dhcp>, else the first
 * IPv4, then IPv6, <ip>, as libvirt).  Duplicates, missing entries and
 * unsupported sections get libvirt-like messages.  0, or with *ERRMSG:
 * -ENOENT no matching entry or <ip>, -EEXIST a clashing entry, -EOPNOTSUPP
 * a section netd does not update, -EINVAL bad XML or arguments, -ENOMEM. */
int mv_net_def_update(const struct mv_net_def *def, unsigned int command, unsigned int section,
                      int parent_index, const char *xml, struct mv_net_def **out, char **errmsg);
