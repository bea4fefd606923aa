/*
 * Procedures answered by the guest agent (agent.h): SET_USER_PASSWORD,
 * FSFREEZE / FSTHAW, GET_HOSTNAME, INTERFACE_ADDRESSES (agent and DHCP
 * lease sources), GET_GUEST_INFO.  None takes the domain's job: each holds
 * the agent's lock for the time its agent commands take, bounded by their
 * timeouts, so a hung agent never blocks the domain's other operations.
 */
#define MV_LOG_MODULE "qemud.agent"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_lease.h"
#include "cleanup.h"
#include "domain_wire.h"
#include "log.h"
#include "qemud.h"

/* virDomainGetHostnameFlags, virDomainInterfaceAddressesSource,
 * virDomainSetUserPasswordFlags, virDomainGuestInfoTypes */
enum { HOSTNAME_LEASE = 1, HOSTNAME_AGENT = 2 };
enum { ADDR_SOURCE_LEASE = 0, ADDR_SOURCE_AGENT = 1, ADDR_SOURCE_ARP = 2 };
enum { PASSWORD_ENCRYPTED = 1 };
enum { INFO_USERS = 1, INFO_OS = 2, INFO_TIMEZONE = 4, INFO_HOSTNAME = 8, INFO_FILESYSTEM = 16, INFO_DISKS = 32,
       INFO_INTERFACES = 64, INFO_ALL = 127 };
/* virIPAddrType */
enum { IP_V4 = 0, IP_V6 = 1 };

/* Evaluates EXPR with DOM the (referenced) domain WIRE names. */
#define WITH_DOM(call, wire, expr)                                              \
    do {                                                                        \
        _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire((call), (wire)); \
        if (!dom)                                                               \
            return -EIO;                                                        \
        return (expr);                                                          \
    } while (0)

static int run(struct mv_call *call, struct qemud_dom *dom, const char *cmd, json_object *args, json_object **reply)
{
    struct mv_err err = { 0 };

    if (qemud_agent_run(dom, cmd, args, QEMUD_AGENT_TIMEOUT_DEFAULT, false, reply, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static size_t jlen(json_object *a)
{
    return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static int bad_agent_reply(struct mv_call *call, struct qemud_dom *dom, const char *cmd)
{
    return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                         "internal error: malformed answer of the guest agent of domain '%s' to '%s'", dom->name, cmd);
}

/* ---- SET_USER_PASSWORD ---- */

/* The agent takes the password in base64 (RFC 4648, padded). */
static char *base64(const char *in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)in;
    size_t len = strlen(in), o = 0;
    char *out = malloc((len + 2) / 3 * 4 + 1);

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        unsigned int v = (unsigned int)s[i] << 16 | (i + 1 < len ? (unsigned int)s[i + 1] << 8 : 0) |
                         (i + 2 < len ? s[i + 2] : 0);

        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int do_set_password(struct mv_call *call, struct qemud_dom *dom, const char *user, const char *password,
                           unsigned int flags)
{
    _cleanup_free_ char *b64 = NULL;
    json_object *args;

    if (!user || !*user)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: user must not be empty");
    if (!password)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: password must not be NULL");
    if (!(b64 = base64(password)) ||
        !(args = json_object_new_object()))
        return -ENOMEM;
    json_object_object_add(args, "username", json_object_new_string(user));
    json_object_object_add(args, "password", json_object_new_string(b64));
    json_object_object_add(args, "crypted", json_object_new_boolean(flags & PASSWORD_ENCRYPTED));
    return run(call, dom, "guest-set-user-password", args, NULL);
}

static int set_user_password(struct mv_call *call, mv_domain_set_user_password_args *args, void *ret)
{
    if (args->flags & ~(unsigned int)PASSWORD_ENCRYPTED)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)PASSWORD_ENCRYPTED, "virDomainSetUserPassword");
    WITH_DOM(call, &args->dom, do_set_password(call, dom, args->user ? *args->user : NULL,
                                               args->password ? *args->password : NULL, args->flags));
}

/* ---- FSFREEZE / FSTHAW ---- */

static int do_freeze(struct mv_call *call, struct qemud_dom *dom, char **mounts, unsigned int n, int *count)
{
    json_object *args = NULL, *reply = NULL, *list;
    int r;

    if (n > 0) {
        if (!(args = json_object_new_object()) || !(list = json_object_new_array())) {
            json_object_put(args);
            return -ENOMEM;
        }
        for (unsigned int i = 0; i < n; i++)
            json_object_array_add(list, json_object_new_string(mounts[i]));
        json_object_object_add(args, "mountpoints", list);
    }
    r = run(call, dom, n > 0 ? "guest-fsfreeze-freeze-list" : "guest-fsfreeze-freeze", args, &reply);
    if (r < 0)
        return r;
    if (!json_object_is_type(reply, json_type_int)) {
        json_object_put(reply);
        return bad_agent_reply(call, dom, "guest-fsfreeze-freeze");
    }
    *count = json_object_get_int(reply);
    json_object_put(reply);
    return 0;
}

static int fsfreeze(struct mv_call *call, mv_domain_fsfreeze_args *args, mv_domain_fsfreeze_ret *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainFSFreeze");
    WITH_DOM(call, &args->dom, do_freeze(call, dom, args->mountpoints.mountpoints_val,
                                         args->mountpoints.mountpoints_len, &ret->filesystems));
}

static int do_thaw(struct mv_call *call, struct qemud_dom *dom, int *count)
{
    json_object *reply = NULL;
    int r = run(call, dom, "guest-fsfreeze-thaw", NULL, &reply);

    if (r < 0)
        return r;
    if (!json_object_is_type(reply, json_type_int)) {
        json_object_put(reply);
        return bad_agent_reply(call, dom, "guest-fsfreeze-thaw");
    }
    *count = json_object_get_int(reply);
    json_object_put(reply);
    return 0;
}

static int fsthaw(struct mv_call *call, mv_domain_fsthaw_args *args, mv_domain_fsthaw_ret *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainFSThaw");
    /* the agent thaws everything it froze: a list would promise more */
    if (args->mountpoints.mountpoints_len > 0)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                             "argument unsupported: specifying mountpoints is not supported");
    WITH_DOM(call, &args->dom, do_thaw(call, dom, &ret->filesystems));
}

/* ---- GET_HOSTNAME ---- */

static int do_hostname(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, char **out)
{
    struct mv_err err = { 0 };
    json_object *reply = NULL;
    const char *name;
    int r;

    if (flags & HOSTNAME_LEASE) {
        if (qemud_lease_hostname(dom, out, &err) < 0)
            return qemud_call_fail(call, &err);
        return 0;
    }
    if ((r = run(call, dom, "guest-get-host-name", NULL, &reply)) < 0)
        return r;
    name = jstr(reply, "host-name");
    if (!name || !*name) {
        json_object_put(reply);
        return mv_call_error(call, MV_ERR_NO_HOSTNAME, MV_FROM_QEMU,
                             "no hostname found: the guest agent of domain '%s' gave none", dom->name);
    }
    *out = strdup(name);
    json_object_put(reply);
    return *out ? 0 : -ENOMEM;
}

static int get_hostname(struct mv_call *call, mv_domain_get_hostname_args *args, mv_domain_get_hostname_ret *ret)
{
    const unsigned int known = HOSTNAME_LEASE | HOSTNAME_AGENT;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainGetHostname");
    if ((args->flags & known) == known)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'lease' and 'agent' are mutually exclusive");
    WITH_DOM(call, &args->dom, do_hostname(call, dom, args->flags, &ret->hostname));
}

/* ---- INTERFACE_ADDRESSES ---- */

/* One guest-network-get-interfaces entry into IFACE (zeroed). */
static int agent_iface(json_object *in, mv_domain_interface *iface)
{
    json_object *ips = jget(in, "ip-addresses");
    const char *name = jstr(in, "name"), *hw = jstr(in, "hardware-address");
    size_t n = jlen(ips);

    if (!name)
        return -EPROTO;
    if (!(iface->name = strdup(name)))
        return -ENOMEM;
    if (hw && (!(iface->hwaddr = calloc(1, sizeof(*iface->hwaddr))) || !(*iface->hwaddr = strdup(hw))))
        return -ENOMEM;
    if (n > MV_DOMAIN_IP_ADDR_MAX)
        n = MV_DOMAIN_IP_ADDR_MAX;
    if (n && !(iface->addrs.addrs_val = calloc(n, sizeof(*iface->addrs.addrs_val))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *ip = json_object_array_get_idx(ips, i);
        const char *type = jstr(ip, "ip-address-type"), *addr = jstr(ip, "ip-address");
        mv_domain_ip_addr *a = &iface->addrs.addrs_val[iface->addrs.addrs_len];

        if (!type || !addr)
            continue;
        a->type = strcmp(type, "ipv6") == 0 ? IP_V6 : IP_V4;
        a->prefix = (unsigned int)json_object_get_int(jget(ip, "prefix"));
        if (!(a->addr = strdup(addr)))
            return -ENOMEM;
        iface->addrs.addrs_len++;
    }
    return 0;
}

static int addresses_from_agent(struct mv_call *call, struct qemud_dom *dom, mv_domain_interface_addresses_ret *ret)
{
    json_object *reply = NULL;
    size_t n;
    int r;

    if ((r = run(call, dom, "guest-network-get-interfaces", NULL, &reply)) < 0)
        return r;
    n = jlen(reply);
    if (n > MV_DOMAIN_INTERFACE_MAX)
        n = MV_DOMAIN_INTERFACE_MAX;
    if (n && !(ret->ifaces.ifaces_val = calloc(n, sizeof(*ret->ifaces.ifaces_val)))) {
        json_object_put(reply);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        r = agent_iface(json_object_array_get_idx(reply, i), &ret->ifaces.ifaces_val[ret->ifaces.ifaces_len]);
        if (r == -EPROTO) {     /* an entry without a name: skipped */
            r = 0;
            continue;
        }
        ret->ifaces.ifaces_len++;
    }
    json_object_put(reply);
    if (r == -ENOMEM)
        return r;
    return 0;
}

static int do_addresses(struct mv_call *call, struct qemud_dom *dom, unsigned int source,
                        mv_domain_interface_addresses_ret *ret)
{
    struct mv_err err = { 0 };

    if (source == ADDR_SOURCE_AGENT)
        return addresses_from_agent(call, dom, ret);
    if (qemud_lease_addresses(dom, ret, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int interface_addresses(struct mv_call *call, mv_domain_interface_addresses_args *args,
                               mv_domain_interface_addresses_ret *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainInterfaceAddresses");
    if (args->source == ADDR_SOURCE_ARP)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                             "argument unsupported: source 'arp' is not supported (only 'lease' and 'agent')");
    if (args->source != ADDR_SOURCE_LEASE && args->source != ADDR_SOURCE_AGENT)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: unknown IP address data "
                             "source %u", args->source);
    /* the agent's answer is the guest's word: a read-only client may not ask the guest (libvirt's rule) */
    if (args->source == ADDR_SOURCE_AGENT && mv_call_identity(call)->readonly)
        return mv_call_error(call, MV_ERR_OPERATION_DENIED, MV_FROM_QEMU,
                             "operation forbidden: read only access prevents querying the guest agent");
    WITH_DOM(call, &args->dom, do_addresses(call, dom, args->source, ret));
}

/* ---- GET_GUEST_INFO ---- */

/* The typed parameters being built (the reply's array). */
struct params {
    mv_typed_param *v;
    unsigned int n, cap;
    bool oom;
};

static mv_typed_param *param_new(struct params *p, int type, const char *fmt, va_list ap)
{
    mv_typed_param *t;

    if (p->oom || p->n >= MV_DOMAIN_GUEST_INFO_PARAMS_MAX)
        return NULL;
    if (p->n == p->cap) {
        unsigned int cap = p->cap ? p->cap * 2 : 32;
        mv_typed_param *v = realloc(p->v, cap * sizeof(*v));

        if (!v) {
            p->oom = true;
            return NULL;
        }
        p->v = v;
        p->cap = cap;
    }
    t = &p->v[p->n];
    memset(t, 0, sizeof(*t));
    if (vasprintf(&t->field, fmt, ap) < 0) {
        p->oom = true;
        return NULL;
    }
    t->value.type = type;
    p->n++;
    return t;
}

__attribute__((format(printf, 3, 4)))
static void add_str(struct params *p, const char *val, const char *fmt, ...)
{
    mv_typed_param *t;
    va_list ap;

    if (!val)
        return;
    va_start(ap, fmt);
    t = param_new(p, 7, fmt, ap);
    va_end(ap);
    if (t && !(t->value.mv_typed_param_value_u.s = strdup(val)))
        p->oom = true;
}

__attribute__((format(printf, 4, 5)))
static void add_num(struct params *p, int type, long long val, const char *fmt, ...)
{
    mv_typed_param *t;
    va_list ap;

    va_start(ap, fmt);
    t = param_new(p, type, fmt, ap);
    va_end(ap);
    if (!t)
        return;
    switch (type) {
    case 1: t->value.mv_typed_param_value_u.i = (int)val; break;
    case 2: t->value.mv_typed_param_value_u.ui = (unsigned int)val; break;
    case 4: t->value.mv_typed_param_value_u.ul = (unsigned long long)val; break;
    default: t->value.mv_typed_param_value_u.b = val != 0; break;
    }
}
#define T_INT 1
#define T_UINT 2
#define T_ULLONG 4
#define T_BOOL 6

static void info_users(struct params *p, json_object *r)
{
    size_t n = jlen(r);

    add_num(p, T_UINT, (long long)n, "user.count");
    for (size_t i = 0; i < n; i++) {
        json_object *u = json_object_array_get_idx(r, i);

        add_str(p, jstr(u, "user"), "user.%zu.name", i);
        add_str(p, jstr(u, "domain"), "user.%zu.domain", i);
        add_num(p, T_ULLONG, (long long)(json_object_get_double(jget(u, "login-time")) * 1000), "user.%zu.login-time", i);
    }
}

static void info_os(struct params *p, json_object *r)
{
    static const char *const keys[] = { "id", "name", "pretty-name", "version", "version-id", "machine",
                                        "variant", "variant-id", "kernel-release", "kernel-version", NULL };

    for (size_t i = 0; keys[i]; i++)
        add_str(p, jstr(r, keys[i]), "os.%s", keys[i]);
}

static void info_timezone(struct params *p, json_object *r)
{
    add_str(p, jstr(r, "zone"), "timezone.name");
    add_num(p, T_INT, json_object_get_int(jget(r, "offset")), "timezone.offset");
}

static void info_filesystems(struct params *p, json_object *r)
{
    size_t n = jlen(r);

    add_num(p, T_UINT, (long long)n, "fs.count");
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(r, i), *disks = jget(f, "disk");

        add_str(p, jstr(f, "mountpoint"), "fs.%zu.mountpoint", i);
        add_str(p, jstr(f, "name"), "fs.%zu.name", i);
        add_str(p, jstr(f, "type"), "fs.%zu.fstype", i);
        if (jget(f, "total-bytes"))
            add_num(p, T_ULLONG, json_object_get_int64(jget(f, "total-bytes")), "fs.%zu.total-bytes", i);
        if (jget(f, "used-bytes"))
            add_num(p, T_ULLONG, json_object_get_int64(jget(f, "used-bytes")), "fs.%zu.used-bytes", i);
        add_num(p, T_UINT, (long long)jlen(disks), "fs.%zu.disk.count", i);
        for (size_t j = 0; j < jlen(disks); j++) {
            json_object *d = json_object_array_get_idx(disks, j);

            add_str(p, jstr(d, "serial"), "fs.%zu.disk.%zu.serial", i, j);
            add_str(p, jstr(d, "dev"), "fs.%zu.disk.%zu.device", i, j);
        }
    }
}

static void info_disks(struct params *p, json_object *r)
{
    size_t n = jlen(r);

    add_num(p, T_UINT, (long long)n, "disk.count");
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(r, i), *deps = jget(d, "dependencies"), *addr = jget(d, "address");

        add_str(p, jstr(d, "name"), "disk.%zu.name", i);
        add_num(p, T_BOOL, json_object_get_boolean(jget(d, "partition")), "disk.%zu.partition", i);
        if (deps) {
            add_num(p, T_UINT, (long long)jlen(deps), "disk.%zu.dependency.count", i);
            for (size_t j = 0; j < jlen(deps); j++)
                add_str(p, json_object_get_string(json_object_array_get_idx(deps, j)), "disk.%zu.dependency.%zu.name",
                        i, j);
        }
        add_str(p, jstr(addr, "serial"), "disk.%zu.serial", i);
        add_str(p, jstr(d, "alias"), "disk.%zu.guest_alias", i);
    }
}

static void info_interfaces(struct params *p, json_object *r)
{
    size_t n = jlen(r);

    add_num(p, T_UINT, (long long)n, "if.count");
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(r, i), *ips = jget(f, "ip-addresses");

        add_str(p, jstr(f, "name"), "if.%zu.name", i);
        add_str(p, jstr(f, "hardware-address"), "if.%zu.hwaddr", i);
        add_num(p, T_UINT, (long long)jlen(ips), "if.%zu.addr.count", i);
        for (size_t j = 0; j < jlen(ips); j++) {
            json_object *ip = json_object_array_get_idx(ips, j);

            add_str(p, jstr(ip, "ip-address-type"), "if.%zu.addr.%zu.type", i, j);
            add_str(p, jstr(ip, "ip-address"), "if.%zu.addr.%zu.addr", i, j);
            add_num(p, T_UINT, json_object_get_int(jget(ip, "prefix")), "if.%zu.addr.%zu.prefix", i, j);
        }
    }
}

static const struct info_kind {
    unsigned int type;
    const char *cmd;
    void (*fill)(struct params *p, json_object *reply);
} info_kinds[] = {
    { INFO_USERS, "guest-get-users", info_users },
    { INFO_OS, "guest-get-osinfo", info_os },
    { INFO_TIMEZONE, "guest-get-timezone", info_timezone },
    { INFO_HOSTNAME, "guest-get-host-name", NULL },
    { INFO_FILESYSTEM, "guest-get-fsinfo", info_filesystems },
    { INFO_DISKS, "guest-get-disks", info_disks },
    { INFO_INTERFACES, "guest-network-get-interfaces", info_interfaces },
};

static void params_free(struct params *p)
{
    for (unsigned int i = 0; i < p->n; i++) {
        free(p->v[i].field);
        if (p->v[i].value.type == 7)
            free(p->v[i].value.mv_typed_param_value_u.s);
    }
    free(p->v);
}

/* TYPES 0 asks for everything the agent has: a command it lacks (an older
 * agent, a guest OS without it) leaves its part out, as libvirt does; a type
 * asked for by name must work. */
static int do_guest_info(struct mv_call *call, struct qemud_dom *dom, unsigned int types,
                         mv_domain_get_guest_info_ret *ret)
{
    struct params p = { 0 };
    bool all = types == 0;

    for (size_t i = 0; i < MV_ARRAY_SIZE(info_kinds); i++) {
        const struct info_kind *k = &info_kinds[i];
        struct mv_err err = { 0 };
        json_object *reply = NULL;

        if (!all && !(types & k->type))
            continue;
        if (qemud_agent_run(dom, k->cmd, NULL, QEMUD_AGENT_TIMEOUT_DEFAULT, false, &reply, &err) < 0) {
            if (all && err.code == MV_ERR_INTERNAL_ERROR) {
                mv_debug("domain '%s': guest info without %s: %s", dom->name, k->cmd, err.message);
                mv_err_clear(&err);
                continue;
            }
            params_free(&p);
            return qemud_call_fail(call, &err);
        }
        if (k->fill)
            k->fill(&p, reply);
        else
            add_str(&p, jstr(reply, "host-name"), "hostname");
        json_object_put(reply);
    }
    if (p.oom) {
        params_free(&p);
        return -ENOMEM;
    }
    ret->params.params_val = p.v;
    ret->params.params_len = p.n;
    return 0;
}

static int get_guest_info(struct mv_call *call, mv_domain_get_guest_info_args *args,
                          mv_domain_get_guest_info_ret *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainGetGuestInfo");
    if (args->types & ~(unsigned int)INFO_ALL)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: unsupported guest "
                             "information types 0x%x", args->types & ~(unsigned int)INFO_ALL);
    WITH_DOM(call, &args->dom, do_guest_info(call, dom, args->types, ret));
}

/* ---- QEMU_AGENT_COMMAND (the QEMU program: virsh qemu-agent-command) ---- */

static int do_agent_command(struct mv_call *call, struct qemud_dom *dom, const char *cmd, int timeout,
                            mv_qemu_domain_agent_command_ret *ret)
{
    _cleanup_free_ char *reply = NULL;
    struct mv_err err = { 0 };

    if (qemud_agent_command(dom, cmd, timeout, &reply, &err) < 0)
        return qemud_call_fail(call, &err);
    /* no wait: no answer to give, but a result (virsh takes none for an error) */
    if (!reply && !(reply = strdup("")))
        return -ENOMEM;
    if (!(ret->result = malloc(sizeof(*ret->result))))
        return -ENOMEM;
    *ret->result = TAKE_PTR(reply);
    return 0;
}

static int agent_command(struct mv_call *call, mv_qemu_domain_agent_command_args *args,
                         mv_qemu_domain_agent_command_ret *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainQemuAgentCommand");
    if (args->timeout < QEMUD_AGENT_TIMEOUT_BLOCK)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: timeout %d is not valid "
                             "(-2 block, -1 default, 0 no wait, or seconds)", args->timeout);
    WITH_DOM(call, &args->dom, do_agent_command(call, dom, args->cmd, args->timeout, ret));
}

static const struct mv_dispatch_entry agent_procs[] = {
    MV_QEMU_HANDLER(DOMAIN_AGENT_COMMAND, agent_command),
    MV_HANDLER(DOMAIN_SET_USER_PASSWORD, set_user_password),
    MV_HANDLER(DOMAIN_FSFREEZE, fsfreeze),
    MV_HANDLER(DOMAIN_FSTHAW, fsthaw),
    MV_HANDLER(DOMAIN_GET_HOSTNAME, get_hostname),
    MV_HANDLER(DOMAIN_INTERFACE_ADDRESSES, interface_addresses),
    MV_HANDLER(DOMAIN_GET_GUEST_INFO, get_guest_info),
};
const struct mv_dispatch_table qemud_agent_table = { agent_procs, MV_ARRAY_SIZE(agent_procs) };
