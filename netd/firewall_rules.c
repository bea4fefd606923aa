/*
 * A network definition as nftables ruleset text (see firewall.h for the
 * table's shape).  Pure: the same definition always gives the same text,
 * which the golden tests in tests/firewall/ pin down.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "errmsg.h"
#include "firewall.h"

#define T MV_FIREWALL_FAMILY " " MV_FIREWALL_TABLE

/* The per-network chain kinds, each with its map and the key that jumps
 * to it. */
enum chain_kind { K_IN, K_TO, K_FROM, K_NAT, K_LAST };
static const char *const kind_name[K_LAST] = { "in", "to", "from", "nat" };

/* libvirt leaves these destinations unNATed: local multicast and limited
 * broadcast never leave the link, and rewriting their source breaks
 * protocols (mDNS, DHCP) that guests run among themselves. */
static const char *const nat_exempt[] = { "224.0.0.0/24", "255.255.255.255" };

#define NAT_PORT_MIN 1024u
#define NAT_PORT_MAX 65535u

/* Interface names go into quoted nft strings and chain names: only a
 * conservative alphabet is safe there ('*' would be a wildcard, '"' and
 * '\\' break the quoting). */
static bool ifname_ok(const char *name)
{
    if (!name || !*name || strlen(name) > MV_NET_IFNAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *p))
            return false;
    return true;
}

static int check_names(const struct mv_net_def *def, char **errmsg)
{
    _cleanup_free_ char *q = NULL;
    const char *bad = NULL, *what = NULL;

    if (!def->bridge.name)
        return mv_errmsg_set(errmsg, -EINVAL, "network '%s' has no bridge name for its firewall rules",
                             def->name);
    if (!ifname_ok(def->bridge.name))
        bad = def->bridge.name, what = "bridge name";
    else if (def->forward.dev && !ifname_ok(def->forward.dev))
        bad = def->forward.dev, what = "forward dev";
    if (!bad)
        return 0;
    q = mv_errmsg_quote(bad, strlen(bad), MV_ERRMSG_QUOTE_MAX);
    return mv_errmsg_set(errmsg, -EINVAL,
                         "network '%s': %s '%s' cannot be used in nftables rules "
                         "(letters, digits, '_', '-' and '.' only)", def->name, what, q ? q : "?");
}

/* "192.168.122.0/24" of IP's subnet into BUF. */
static const char *subnet(const struct mv_net_ip *ip, char buf[MV_CIDR_STRLEN])
{
    char a[MV_INET_STRLEN];
    struct mv_inet net = mv_inet_network(&ip->address, ip->prefix);

    snprintf(buf, MV_CIDR_STRLEN, "%s/%u", mv_inet_format(&net, a), ip->prefix);
    return buf;
}

static const char *l3(const struct mv_net_ip *ip)
{
    return ip->address.family == AF_INET6 ? "ip6" : "ip";
}

static bool has_family(const struct mv_net_def *def, int family)
{
    return mv_net_def_ip(def, family) != NULL;
}

/* Which chains DEF's mode needs. */
static bool wants(const struct mv_net_def *def, enum chain_kind k)
{
    switch (def->forward.mode) {
    case MV_NET_FWD_NAT:
        return k != K_NAT || has_family(def, AF_INET);
    case MV_NET_FWD_ROUTE:
    case MV_NET_FWD_NONE:
        return k != K_NAT;
    default:
        return false;
    }
}

static bool wants_any(const struct mv_net_def *def)
{
    for (int k = 0; k < K_LAST; k++)
        if (wants(def, k))
            return true;
    return false;
}

/* ---- the shared skeleton ------------------------------------------------ */

/* Creates what is missing of the table, maps and base chains, and rewrites
 * the base chains' single vmap rules (flush + add in the same transaction,
 * so no packet sees them empty): repeating it is harmless. */
static void emit_skeleton(FILE *f)
{
    fputs("table " T " {\n", f);
    for (int k = 0; k < K_LAST; k++)
        fprintf(f, "\tmap %s_if { type ifname : verdict; }\n", kind_name[k]);
    fputs("\tchain input { type filter hook input priority filter; policy accept; }\n"
          "\tchain forward { type filter hook forward priority filter; policy accept; }\n"
          "\tchain postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
          "}\n"
          "flush chain " T " input\n"
          "flush chain " T " forward\n"
          "flush chain " T " postrouting\n"
          "add rule " T " input iifname vmap @in_if\n"
          /* into a bridge first: what its network admits is checked even
           * for traffic another network lets out */
          "add rule " T " forward oifname vmap @to_if\n"
          "add rule " T " forward iifname vmap @from_if\n"
          "add rule " T " postrouting iifname vmap @nat_if\n", f);
}

/* Removes every chain and element of bridge BR.  nft has no "delete if
 * present" before 1.0.8, so each part is first added (a no-op when it
 * exists) and then deleted. */
static void emit_purge(FILE *f, const char *br)
{
    for (int k = 0; k < K_LAST; k++)
        fprintf(f,
                "add chain " T " %1$s_%2$s\n"
                "add element " T " %1$s_if { \"%2$s\" : jump %1$s_%2$s }\n"
                "delete element " T " %1$s_if { \"%2$s\" }\n"
                "flush chain " T " %1$s_%2$s\n"
                "delete chain " T " %1$s_%2$s\n",
                kind_name[k], br);
}

/* ---- one network's chains ----------------------------------------------- */

/* "iifname \"eth0\" " when the network forwards through DEV only. */
static void emit_dev(FILE *f, const char *dir, const struct mv_net_def *def)
{
    if (def->forward.dev)
        fprintf(f, "%sname \"%s\" ", dir, def->forward.dev);
}

static void emit_in(FILE *f, const struct mv_net_def *def)
{
    fputs("\t\tudp dport { 53, 67 } accept\n"
          "\t\ttcp dport 53 accept\n", f);
    if (has_family(def, AF_INET6))
        fputs("\t\tudp dport 547 accept\n", f);
}

/* Forwarded into the bridge: guests of the same bridge, then per subnet
 * what the mode admits from the uplink. */
static void emit_to(FILE *f, const struct mv_net_def *def)
{
    char net[MV_CIDR_STRLEN];

    fprintf(f, "\t\tiifname \"%s\" return\n", def->bridge.name);
    for (size_t i = 0; def->forward.mode != MV_NET_FWD_NONE && i < def->nips; i++) {
        const struct mv_net_ip *ip = &def->ips[i];
        bool natted = def->forward.mode == MV_NET_FWD_NAT && ip->address.family == AF_INET;

        fputs("\t\t", f);
        emit_dev(f, "iif", def);
        fprintf(f, "%s daddr %s %sreturn\n", l3(ip), subnet(ip, net),
                natted ? "ct state established,related " : "");
    }
    fputs("\t\treject\n", f);
}

/* Forwarded out of the bridge: the network's own subnets only (no spoofed
 * sources), to the forward dev if it has one. */
static void emit_from(FILE *f, const struct mv_net_def *def)
{
    char net[MV_CIDR_STRLEN];

    fprintf(f, "\t\toifname \"%s\" return\n", def->bridge.name);
    for (size_t i = 0; def->forward.mode != MV_NET_FWD_NONE && i < def->nips; i++) {
        fputs("\t\t", f);
        emit_dev(f, "oif", def);
        fprintf(f, "%s saddr %s return\n", l3(&def->ips[i]), subnet(&def->ips[i], net));
    }
    fputs("\t\treject\n", f);
}

/* The SNAT target: "masquerade[ to :P-Q]" or "snat ip to A[-B][:P-Q]". */
static void emit_nat_target(FILE *f, const struct mv_net_nat *nat, bool ports)
{
    char a[MV_INET_STRLEN], b[MV_INET_STRLEN];
    unsigned int p0 = nat->port_start ? nat->port_start : NAT_PORT_MIN;
    unsigned int p1 = nat->port_end ? nat->port_end : NAT_PORT_MAX;

    if (!mv_inet_is_set(&nat->addr_start))
        fputs("masquerade", f);
    else if (!mv_inet_is_set(&nat->addr_end) || mv_inet_equal(&nat->addr_start, &nat->addr_end))
        fprintf(f, "snat ip to %s", mv_inet_format(&nat->addr_start, a));
    else
        fprintf(f, "snat ip to %s-%s", mv_inet_format(&nat->addr_start, a),
                mv_inet_format(&nat->addr_end, b));
    if (ports)
        fprintf(f, "%s:%u-%u", mv_inet_is_set(&nat->addr_start) ? "" : " to ", p0, p1);
    fputc('\n', f);
}

static void emit_nat(FILE *f, const struct mv_net_def *def)
{
    char net[MV_CIDR_STRLEN];

    for (size_t i = 0; i < def->nips; i++) {
        if (def->ips[i].address.family != AF_INET)
            continue;
        subnet(&def->ips[i], net);
        for (size_t j = 0; j < MV_ARRAY_SIZE(nat_exempt); j++)
            fprintf(f, "\t\tip saddr %s ip daddr %s return\n", net, nat_exempt[j]);
        for (int ports = 1; ports >= 0; ports--) {
            fputs("\t\t", f);
            emit_dev(f, "oif", def);
            fprintf(f, "%sip saddr %s ip daddr != %s ", ports ? "meta l4proto { tcp, udp } " : "",
                    net, net);
            emit_nat_target(f, &def->forward.nat, ports);
        }
    }
}

static void (*const emit_chain[K_LAST])(FILE *, const struct mv_net_def *) = {
    [K_IN] = emit_in, [K_TO] = emit_to, [K_FROM] = emit_from, [K_NAT] = emit_nat,
};

static void emit_network(FILE *f, const struct mv_net_def *def)
{
    const char *br = def->bridge.name;

    fputs("table " T " {\n", f);
    for (int k = 0; k < K_LAST; k++) {
        if (!wants(def, k))
            continue;
        fprintf(f, "\tchain %s_%s {\n", kind_name[k], br);
        emit_chain[k](f, def);
        fputs("\t}\n", f);
    }
    fputs("}\n", f);
    for (int k = 0; k < K_LAST; k++)
        if (wants(def, k))
            fprintf(f, "add element " T " %1$s_if { \"%2$s\" : jump %1$s_%2$s }\n", kind_name[k], br);
}

/* ---- the texts ------------------------------------------------------------ */

static void emit_header(FILE *f, const struct mv_net_def *def, const char *what)
{
    _cleanup_free_ char *q = mv_errmsg_quote(def->name, strlen(def->name), MV_ERRMSG_QUOTE_MAX);
    const char *mode = mv_net_forward_to_string(def->forward.mode);

    /* the name is quoted (no newline can end the comment early) */
    fprintf(f, "# modvirt: %s network '%s', %s, bridge %s\n", what, q ? q : "?",
            mode ? mode : "isolated", def->bridge.name);
}

typedef void (*emit_fn)(FILE *, const struct mv_net_def *);

static int build(const struct mv_net_def *def, emit_fn fn, char **text, char **errmsg)
{
    _cleanup_fclose_ FILE *f = NULL;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r;

    assert(def && def->name && text);
    if (def->forward.mode == MV_NET_FWD_BRIDGE || def->forward.mode == MV_NET_FWD_OPEN) {
        *text = strdup("");
        return *text ? 0 : mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    }
    r = check_names(def, errmsg);
    if (r < 0)
        return r;
    f = open_memstream(&buf, &len);
    if (!f)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory building the firewall rules of network '%s'",
                             def->name);
    fn(f, def);
    r = ferror(f);
    if (fclose(TAKE_PTR(f)) != 0 || r)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory building the firewall rules of network '%s'",
                             def->name);
    *text = TAKE_PTR(buf);
    return 0;
}

static void emit_add(FILE *f, const struct mv_net_def *def)
{
    emit_header(f, def, "rules of");
    emit_skeleton(f);
    fputs("# leftovers of an earlier run\n", f);
    emit_purge(f, def->bridge.name);
    if (wants_any(def)) {
        fputs("# this run\n", f);
        emit_network(f, def);
    }
}

static void emit_remove(FILE *f, const struct mv_net_def *def)
{
    emit_header(f, def, "removal of");
    emit_purge(f, def->bridge.name);
}

int mv_firewall_rules(const struct mv_net_def *def, char **text, char **errmsg)
{
    return build(def, emit_add, text, errmsg);
}

int mv_firewall_rules_remove(const struct mv_net_def *def, char **text, char **errmsg)
{
    return build(def, emit_remove, text, errmsg);
}

int mv_firewall_chains(const struct mv_net_def *def, char ***names, char **errmsg)
{
    _cleanup_strv_free_ char **v = calloc(K_LAST + 1, sizeof(*v));
    size_t n = 0;
    int r = 0;

    if (!v)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    if (def->forward.mode != MV_NET_FWD_BRIDGE && def->forward.mode != MV_NET_FWD_OPEN)
        r = check_names(def, errmsg);
    if (r < 0)
        return r;
    for (int k = 0; k < K_LAST; k++) {
        if (!wants(def, k))
            continue;
        if (asprintf(&v[n++], "%s_%s", kind_name[k], def->bridge.name) < 0) {
            v[--n] = NULL;
            return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
        }
    }
    *names = TAKE_PTR(v);
    return 0;
}
