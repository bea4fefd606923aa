/*
 * The legacy iptables (x_tables) filter table, which nftables cannot list:
 * Docker run with iptables-legacy leaves its FORWARD drop there, out of
 * sight of our JSON listings.  Read through the kernel's own getsockopt
 * interface (what iptables-legacy-save uses), read-only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>     /* before the kernel's headers, which defer to it */
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tables.h>

#include "cleanup.h"
#include "file.h"
#include "firewall.h"

/* The table may change between the two getsockopt calls (EAGAIN). */
#define GET_TRIES 3
#define TABLE_NAMES_MAX 4096

/* True if the kernel has a legacy "filter" table in this namespace: it
 * appears only once something (iptables-legacy) used it. */
static bool legacy_filter_exists(void)
{
    _cleanup_free_ char *names = NULL;

    if (mv_file_read_all("/proc/net/ip_tables_names", TABLE_NAMES_MAX, &names, NULL) < 0)
        return false;
    for (char *save = NULL, *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
        if (strcmp(n, "filter") == 0)
            return true;
    return false;
}

/* The standard verdict of the FORWARD policy entry in ENTRIES (SIZE
 * bytes), or 0 if it is not a well-formed standard target. */
static int policy_verdict(const struct ipt_get_entries *entries, size_t size, unsigned int off)
{
    const struct ipt_entry *e;
    const struct xt_standard_target *t;

    if (off > size || size - off < sizeof(*e))
        return 0;
    e = (const void *)((const char *)entries->entrytable + off);
    if (e->target_offset > size - off || size - off - e->target_offset < sizeof(*t))
        return 0;
    t = (const void *)((const char *)e + e->target_offset);
    if (strcmp(t->target.u.user.name, XT_STANDARD_TARGET) != 0)
        return 0;
    return t->verdict;
}

int mv_firewall_legacy_forward_drops(bool *drops)
{
    _cleanup_close_ int fd = -1;

    *drops = false;
    if (!legacy_filter_exists())
        return 0;
    fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0)
        return -errno;
    for (int tries = 0; tries < GET_TRIES; tries++) {
        struct ipt_getinfo info = { .name = "filter" };
        socklen_t len = sizeof(info);
        _cleanup_free_ struct ipt_get_entries *entries = NULL;

        if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
            return errno == ENOENT ? 0 : -errno;
        if (!(info.valid_hooks & (1u << NF_INET_FORWARD)))
            return 0;
        len = sizeof(*entries) + info.size;
        entries = calloc(1, len);
        if (!entries)
            return -ENOMEM;
        strcpy(entries->name, "filter");
        entries->size = info.size;
        if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, entries, &len) < 0) {
            if (errno == EAGAIN)
                continue;
            return -errno;
        }
        *drops = policy_verdict(entries, info.size, info.underflow[NF_INET_FORWARD]) == -NF_DROP - 1;
        return 0;
    }
    return -EAGAIN;
}
