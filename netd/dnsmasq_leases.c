/*
 * A network's leases, read from dnsmasq's own lease file (dhcp-leasefile),
 * which dnsmasq rewrites whole on each change and reads back when it
 * starts, so it is the one record that survives both a dnsmasq and a netd
 * restart.  Its lines:
 *   EXPIRY MAC IP HOSTNAME CLIENTID          an IPv4 lease
 *   duid SERVERDUID                          dnsmasq's own DUID, then
 *   EXPIRY IAID IP HOSTNAME DUID             IPv6 leases (IAID may carry a
 *                                            'T' for a temporary address)
 * "*" stands for an unknown hostname or client id; EXPIRY 0 is infinite.
 * dnsmasq does not record an IPv6 client's MAC; when the client's DUID is
 * built from an Ethernet address (DUID-LLT or DUID-LL, what most guests
 * send) that address is the lease's MAC, so a MAC filter finds IPv6
 * leases too.
 * The file is dnsmasq's, not ours: a line that does not parse is skipped,
 * never trusted, and lines and the file have a bounded size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "errmsg.h"
#include "file.h"

/* 250 leases take about 25 KiB; far more than any network of ours holds */
#define LEASES_FILE_MAX (4 * 1024 * 1024)
/* a lease line: a 255-byte hostname and a 130-byte client id fit easily */
#define LEASE_LINE_MAX 1024
#define LEASE_FIELDS 5

static void lease_clear(struct mv_dnsmasq_lease *l)
{
    free(l->mac);
    free(l->iaid);
    free(l->ip);
    free(l->hostname);
    free(l->clientid);
}

void mv_dnsmasq_leases_free(struct mv_dnsmasq_lease *leases, size_t n)
{
    for (size_t i = 0; leases && i < n; i++)
        lease_clear(&leases[i]);
    free(leases);
}

/* Splits LINE in place into exactly LEASE_FIELDS space-separated fields;
 * false if it has another number, or bytes that are not printable ASCII. */
static bool split_fields(char *line, char *field[LEASE_FIELDS])
{
    size_t n = 0;

    for (char *p = line; *p; p++)
        if (!isprint((unsigned char)*p))
            return false;
    for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (n == LEASE_FIELDS)
            return false;
        field[n++] = tok;
    }
    return n == LEASE_FIELDS;
}

static bool all_of(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

/* A hardware address as dnsmasq writes it: hex pairs with ':' (and a
 * "TT-" type prefix for non-Ethernet), at most 16 bytes. */
static bool valid_mac(const char *s)
{
    return strlen(s) <= 3 * 16 + 3 && all_of(s, "0123456789abcdefABCDEF:-");
}

static bool parse_expiry(const char *s, long long *out)
{
    char *end;

    if (!all_of(s, "0123456789") || strlen(s) > 18)
        return false;
    *out = strtoll(s, &end, 10);
    return *end == '\0';
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d;

    if (strcmp(s, "*") == 0)
        return NULL;
    if (!(d = strdup(s)))
        *oom = true;
    return d;
}

/* The Ethernet address in DUID (hex bytes with ':'), or NULL: type 1
 * (LLT: type, hw type, 4 bytes of time, address) or type 3 (LL: type, hw
 * type, address) with hardware type 1 and 6 address bytes. */
static char *duid_mac(const char *duid, bool *oom)
{
    unsigned int b[16];
    size_t n = 0, skip;
    char *mac;

    for (const char *p = duid; n < MV_ARRAY_SIZE(b); p += 3) {
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
            sscanf(p, "%2x", &b[n]) != 1)
            return NULL;
        n++;
        if (p[2] != ':')
            break;
    }
    if (n < 4 || b[0] != 0 || b[2] != 0 || b[3] != 1)
        return NULL;
    skip = b[1] == 1 ? 8 : b[1] == 3 ? 4 : 0;
    if (!skip || n != skip + 6)
        return NULL;
    if (asprintf(&mac, "%02x:%02x:%02x:%02x:%02x:%02x", b[skip], b[skip + 1], b[skip + 2],
                 b[skip + 3], b[skip + 4], b[skip + 5]) < 0) {
        *oom = true;
        return NULL;
    }
    return mac;
}

/* The prefix of the <ip> whose subnet holds A (0 if none does). */
static unsigned int lease_prefix(const struct mv_net_def *def, const struct mv_inet *a)
{
    for (size_t i = 0; i < def->nips; i++)
        if (mv_inet_in_subnet(a, &def->ips[i].address, def->ips[i].prefix))
            return def->ips[i].prefix;
    return 0;
}

/* Fills L from the fields F of an IPv4 (V6 false) or IPv6 lease line:
 * 1 parsed, 0 not a lease line, -ENOMEM. */
static int parse_lease(const struct mv_net_def *def, char *f[LEASE_FIELDS], bool v6,
                       struct mv_dnsmasq_lease *l)
{
    struct mv_inet a;
    bool oom = false;
    const char *iaid = f[1][0] == 'T' ? f[1] + 1 : f[1];

    *l = (struct mv_dnsmasq_lease){ .type = v6 };
    if (!parse_expiry(f[0], &l->expiry) || mv_inet_parse(f[2], &a) < 0 ||
        a.family != (v6 ? AF_INET6 : AF_INET))
        return 0;
    if (v6 ? !all_of(iaid, "0123456789") || strlen(iaid) > 10 : !valid_mac(f[1]))
        return 0;
    if (!valid_mac(f[4]) && strcmp(f[4], "*") != 0)
        return 0;
    l->prefix = lease_prefix(def, &a);
    l->ip = strdup(f[2]);
    if (v6) {
        l->iaid = strdup(iaid);
        l->mac = duid_mac(f[4], &oom);
    } else {
        l->mac = strdup(f[1]);
    }
    l->hostname = dup_or_null(f[3], &oom);
    l->clientid = dup_or_null(f[4], &oom);
    if (oom || !l->ip || !(v6 ? l->iaid : l->mac)) {
        lease_clear(l);
        return -ENOMEM;
    }
    return 1;
}

/* True if L is to be reported: not expired, and with MAC when filtering. */
static bool wanted(const struct mv_dnsmasq_lease *l, const char *mac, long long now)
{
    if (l->expiry != 0 && l->expiry <= now)
        return false;
    return !mac || (l->mac && strcasecmp(l->mac, mac) == 0);
}

struct lease_list {
    struct mv_dnsmasq_lease *v;
    size_t n, cap;
};

static int list_add(struct lease_list *list, struct mv_dnsmasq_lease *l)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        struct mv_dnsmasq_lease *v = reallocarray(list->v, cap, sizeof(*v));

        if (!v)
            return -ENOMEM;
        list->v = v, list->cap = cap;
    }
    list->v[list->n++] = *l;
    return 0;
}

/* One line of the file (NUL-terminated, without its newline). */
static int parse_line(const struct mv_net_def *def, char *line, bool *v6, const char *mac,
                      long long now, struct lease_list *list)
{
    char *f[LEASE_FIELDS];
    struct mv_dnsmasq_lease l;
    int r;

    if (strncmp(line, "duid ", 5) == 0) {
        *v6 = true;             /* every lease after the server's DUID is IPv6 */
        return 0;
    }
    if (strlen(line) > LEASE_LINE_MAX || !split_fields(line, f))
        return 0;
    r = parse_lease(def, f, *v6, &l);
    if (r <= 0)
        return r == -ENOMEM ? r : 0;
    if (!wanted(&l, mac, now)) {
        lease_clear(&l);
        return 0;
    }
    r = list_add(list, &l);
    if (r < 0)
        lease_clear(&l);
    return r;
}

int mv_dnsmasq_leases(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                      const char *mac, struct mv_dnsmasq_lease **leases, size_t *n, char **errmsg)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    struct lease_list list = { 0 };
    bool v6 = false;
    long long now = (long long)time(NULL);
    size_t len;
    int r;

    if (asprintf(&path, "%s/%s.leases", paths->dir, def->name) < 0)
        return -ENOMEM;
    r = mv_file_read_all(path, LEASES_FILE_MAX, &text, &len);
    if (r == -ENOENT) {
        *leases = NULL, *n = 0;
        return 0;
    }
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot read the leases of network '%s' from %s: %s",
                             def->name, path, strerror(-r));
    for (char *line = text, *nl; line < text + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(text + len - line));
        if (!nl)
            nl = text + len;    /* the last line, without its newline */
        *nl = '\0';
        /* a NUL inside a line makes it garbage, not the end of the file */
        if (strlen(line) != (size_t)(nl - line))
            continue;
        if ((r = parse_line(def, line, &v6, mac, now, &list)) < 0) {
            mv_dnsmasq_leases_free(list.v, list.n);
            return mv_errmsg_set(errmsg, r, "out of memory reading the leases of network '%s'",
                                 def->name);
        }
    }
    *leases = list.v, *n = list.n;
    return 0;
}
