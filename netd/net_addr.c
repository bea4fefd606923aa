/* IPv4/IPv6 address values: parse, print, compare, subnet arithmetic. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "net_addr.h"

int mv_inet_parse(const char *text, struct mv_inet *out)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        return -EINVAL;
    if (inet_pton(AF_INET, text, &out->v4) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &out->v6) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    return -EINVAL;
}

const char *mv_inet_format(const struct mv_inet *a, char buf[MV_INET_STRLEN])
{
    buf[0] = '\0';
    if (a->family && !inet_ntop(a->family, &a->v6, buf, MV_INET_STRLEN))
        buf[0] = '\0';
    return buf;
}

int mv_inet_netmask_to_prefix(const char *netmask, unsigned int *prefix)
{
    struct in_addr m;
    uint32_t v;
    unsigned int n = 0;

    if (inet_pton(AF_INET, netmask, &m) != 1)
        return -EINVAL;
    v = ntohl(m.s_addr);
    while (n < 32 && (v & (UINT32_C(1) << (31 - n))))
        n++;
    /* the remaining bits must all be zero: 255.0.255.0 is no netmask */
    if (n < 32 && (v << n) != 0)
        return -EINVAL;
    *prefix = n;
    return 0;
}

unsigned int mv_inet_max_prefix(const struct mv_inet *a)
{
    return a->family == AF_INET6 ? 128 : 32;
}

bool mv_inet_is_set(const struct mv_inet *a)
{
    return a->family == AF_INET || a->family == AF_INET6;
}

/* The address bytes in network order and their count. */
static const uint8_t *inet_bytes(const struct mv_inet *a, size_t *len)
{
    *len = a->family == AF_INET6 ? 16 : 4;
    return a->family == AF_INET6 ? a->v6.s6_addr : (const uint8_t *)&a->v4.s_addr;
}

bool mv_inet_equal(const struct mv_inet *a, const struct mv_inet *b)
{
    return a->family == b->family && mv_inet_compare(a, b) == 0;
}

int mv_inet_compare(const struct mv_inet *a, const struct mv_inet *b)
{
    size_t la, lb;
    const uint8_t *pa = inet_bytes(a, &la), *pb = inet_bytes(b, &lb);

    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(pa, pb, la);
}

/* Keeps the first PREFIX bits of A (SET false) or sets the rest (SET true). */
static struct mv_inet inet_mask(const struct mv_inet *a, unsigned int prefix, bool set)
{
    struct mv_inet r = *a;
    size_t len;
    uint8_t *p = (uint8_t *)inet_bytes(&r, &len);

    for (size_t i = 0; i < len; i++) {
        unsigned int bit = (unsigned int)i * 8;
        uint8_t keep = prefix >= bit + 8 ? 0xff : prefix <= bit ? 0 : (uint8_t)(0xff << (8 - (prefix - bit)));

        p[i] = set ? (uint8_t)(p[i] | ~keep) : (uint8_t)(p[i] & keep);
    }
    return r;
}

struct mv_inet mv_inet_network(const struct mv_inet *a, unsigned int prefix)
{
    return inet_mask(a, prefix, false);
}

bool mv_inet_in_subnet(const struct mv_inet *a, const struct mv_inet *net, unsigned int prefix)
{
    struct mv_inet x, y;

    if (a->family != net->family)
        return false;
    x = inet_mask(a, prefix, false);
    y = inet_mask(net, prefix, false);
    return mv_inet_compare(&x, &y) == 0;
}

bool mv_inet_subnets_overlap(const struct mv_inet *a, unsigned int pa,
                             const struct mv_inet *b, unsigned int pb)
{
    unsigned int p = pa < pb ? pa : pb;

    /* two prefixes overlap exactly when they agree on the shorter one */
    return a->family == b->family && mv_inet_in_subnet(a, b, p);
}

struct mv_inet mv_inet_broadcast(const struct mv_inet *net, unsigned int prefix)
{
    return net->family == AF_INET ? inet_mask(net, prefix, true) : inet_mask(net, prefix, false);
}

/* A's address as a 128-bit number (IPv4 in the low 32 bits). */
static unsigned __int128 inet_value(const struct mv_inet *a)
{
    size_t len;
    const uint8_t *p = inet_bytes(a, &len);
    unsigned __int128 v = 0;

    for (size_t i = 0; i < len; i++)
        v = (v << 8) | p[i];
    return v;
}

unsigned long long mv_inet_range_size(const struct mv_inet *start, const struct mv_inet *end)
{
    unsigned __int128 diff;

    if (start->family != end->family || mv_inet_compare(start, end) > 0)
        return 0;
    /* the whole difference, so ranges that cross a 64-bit boundary (two
     * addresses either side of a /64) count right */
    diff = inet_value(end) - inet_value(start);
    return diff >= UINT64_MAX ? UINT64_MAX : (unsigned long long)diff + 1;
}
