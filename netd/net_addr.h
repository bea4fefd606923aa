/*
 * IP addresses and prefixes as netd handles them: one value type for IPv4
 * and IPv6, parsed from and printed to the canonical text forms that
 * inet_pton/inet_ntop use, so XML, dnsmasq's config and nftables rules all
 * spell an address the same way.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>

/* Longest text form of an address (INET6_ADDRSTRLEN) and of "addr/prefix". */
#define MV_INET_STRLEN 46
#define MV_CIDR_STRLEN (MV_INET_STRLEN + 4)

struct mv_inet {
    int family;                         /* AF_INET, AF_INET6; 0 = unset */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    };
};

/* Parses TEXT as an IPv4 or IPv6 address (no prefix, no scope).  0 or -EINVAL. */
int mv_inet_parse(const char *text, struct mv_inet *out);
/* Writes the canonical text of A into BUF (MV_INET_STRLEN bytes); returns BUF. */
const char *mv_inet_format(const struct mv_inet *a, char buf[MV_INET_STRLEN]);
/* Parses a dotted IPv4 netmask into a prefix length; -EINVAL for a mask
 * that is not contiguous ones then zeros. */
int mv_inet_netmask_to_prefix(const char *netmask, unsigned int *prefix);
/* The largest prefix length of A's family (32 or 128). */
unsigned int mv_inet_max_prefix(const struct mv_inet *a);

bool mv_inet_is_set(const struct mv_inet *a);
bool mv_inet_equal(const struct mv_inet *a, const struct mv_inet *b);
/* <0, 0, >0 comparing A and B as unsigned numbers; families must match. */
int mv_inet_compare(const struct mv_inet *a, const struct mv_inet *b);
/* A with the bits after PREFIX cleared: the network address. */
struct mv_inet mv_inet_network(const struct mv_inet *a, unsigned int prefix);
/* True if A lies in NET/PREFIX (same family). */
bool mv_inet_in_subnet(const struct mv_inet *a, const struct mv_inet *net, unsigned int prefix);
/* True if the subnets A/PA and B/PB share any address. */
bool mv_inet_subnets_overlap(const struct mv_inet *a, unsigned int pa,
                             const struct mv_inet *b, unsigned int pb);
/* For IPv4 NET/PREFIX: the broadcast address; the network address itself
 * for IPv6 (which has none). */
struct mv_inet mv_inet_broadcast(const struct mv_inet *net, unsigned int prefix);
/* Number of addresses from START to END inclusive, saturating at UINT64_MAX;
 * 0 if END < START. */
unsigned long long mv_inet_range_size(const struct mv_inet *start, const struct mv_inet *end);
