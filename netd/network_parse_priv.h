/*
 * Shared between network_parse.c (the root, forward, bridge, dns) and
 * network_parse_ip.c (<ip>, <dhcp>, <route> and the address checks).
 */
#pragma once

#include "network_def.h"
#include "xml_strict.h"

/* mv_xml_ctx.flags, for NETWORK_UPDATE's delete, which matches on what the
 * fragment gives: a <host> of <dhcp> may leave out ip=, a <host> of <dns>
 * ip= or its <hostname>s. */
#define NET_PARSE_PARTIAL_HOST 0x1

/* yes|no (or on|off when ONOFF) attribute into a tristate; 1/0/<0 as getters. */
int net_attr_tristate(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool onoff,
                      enum mv_net_tristate *out);
/* IPv4/IPv6 address attribute; REQUIRED refuses its absence.  1/0/<0. */
int net_attr_inet(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool required, struct mv_inet *out);
/* A DNS name attribute (letters, digits, '.', '-': libvirt's dnsName, and
 * safe on a dnsmasq option line).  1/0/<0. */
int net_attr_dnsname(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool required, char **out);
/* The <lease expiry unit/> child of a range or host. */
int net_parse_lease(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_lease *lease);

/* <ip> and <route> (repeatable children of <network>). */
int net_parse_ip(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int net_parse_route(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* A <host> of <ip><dhcp>, parsed for IP (its family and subnet); also used
 * by network_update.c on a lone <host> fragment. */
int net_parse_dhcp_host(struct mv_xml_ctx *c, xmlNodePtr n, const struct mv_net_ip *ip,
                        struct mv_net_dhcp_host *host);
/* True if host I of IP shares its mac, id, name or ip with another host;
 * WHAT then says which ("mac '52:54:00:00:00:01'"). */
#define NET_CLASH_STRLEN 512
bool net_dhcp_host_clash(const struct mv_net_ip *ip, size_t i, char what[NET_CLASH_STRLEN]);
/* A <host> of <dns>: also used by network_update.c. */
int net_parse_dns_host(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_net_dns_host *host);
/* The checks across the whole definition (modes, dhcp, routes). */
int net_check_ips(struct mv_xml_ctx *c, const struct mv_net_def *def);

/* Text of A for messages (static per call site: pass a buffer). */
#define NET_INET_STR(a, buf) mv_inet_format((a), (buf))
