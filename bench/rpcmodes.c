/* rpcbench's three ways of making a call (see rpcmodes.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "client/modvirt.h"
#include "bench/rpcmodes.h"
#ifdef HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

const char *const call_names[CALL_COUNT] = {
    [CALL_HOSTNAME] = "hostname", [CALL_NODEINFO] = "nodeinfo", [CALL_LIBVERSION] = "libversion",
    [CALL_LOOKUP] = "lookup",     [CALL_LISTALL] = "listall",
};

/* Reply sizes on the wire: the packet header, then the XDR of the return
 * value (strings are a length word and the bytes padded to 4). */
#define NODEINFO_REPLY_BYTES (RPC_PKT_HEADER_BYTES + 32 * 4 + 8 + 6 * 4) /* char[32] as 32 ints */
#define LIBVERSION_REPLY_BYTES (RPC_PKT_HEADER_BYTES + 8)                 /* a hyper */
#define RAW_MAX_BYTES 4096

static size_t xdr_string_bytes(size_t len)
{
    return 4 + ((len + 3) & ~(size_t)3);
}

static size_t hostname_reply_bytes(size_t len)
{
    return RPC_PKT_HEADER_BYTES + xdr_string_bytes(len);
}

/* remote_nonnull_domain: name, uuid[16], id */
static size_t domain_bytes(const char *name)
{
    return xdr_string_bytes(strlen(name)) + 16 + 4;
}

/* the array's length word, the domains, the uint ret */
static size_t listall_reply_bytes(size_t body)
{
    return RPC_PKT_HEADER_BYTES + 4 + body + 4;
}

/* ---- libmodvirt ---- */

struct modvirt_ctx {
    modvirt_conn *conn;
    const char *domain;
};

static int modvirt_fail(enum call_kind call, modvirt_error *err, int r)
{
    fprintf(stderr, "rpcbench: modvirt %s: %s\n", call_names[call],
            err && err->message ? err->message : strerror(-r));
    modvirt_error_free(err);
    return -1;
}

static void *modvirt_open(const char *uri, const struct call_args *args)
{
    struct modvirt_ctx *c = calloc(1, sizeof(*c));
    modvirt_error *err = NULL;

    if (!c)
        return NULL;
    c->domain = args->domain;
    if (!(c->conn = modvirt_conn_open(uri, 0, &err))) {
        fprintf(stderr, "rpcbench: cannot open '%s': %s\n", uri,
                err && err->message ? err->message : "unknown error");
        modvirt_error_free(err);
        free(c);
        return NULL;
    }
    return c;
}

static int modvirt_list(struct modvirt_ctx *c, size_t *reply_bytes, modvirt_error **err)
{
    modvirt_domain_ref *list = NULL;
    size_t n = 0, body = 0;
    int r = modvirt_conn_list_all_domains(c->conn, 0, &list, &n, err);

    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        body += domain_bytes(list[i].name);
    *reply_bytes = listall_reply_bytes(body);
    modvirt_domain_ref_list_free(list, n);
    return 0;
}

static int modvirt_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    struct modvirt_ctx *c = ctx;
    modvirt_error *err = NULL;
    char *name = NULL;
    modvirt_node_info info;
    modvirt_domain *dom = NULL;
    uint64_t version;
    int r = -EINVAL;

    switch (call) {
    case CALL_HOSTNAME:
        if ((r = modvirt_conn_get_hostname(c->conn, &name, &err)) == 0)
            *reply_bytes = hostname_reply_bytes(strlen(name));
        free(name);
        break;
    case CALL_NODEINFO:
        if ((r = modvirt_node_get_info(c->conn, &info, &err)) == 0)
            *reply_bytes = NODEINFO_REPLY_BYTES;
        break;
    case CALL_LIBVERSION:
        if ((r = modvirt_conn_get_lib_version(c->conn, &version, &err)) == 0)
            *reply_bytes = LIBVERSION_REPLY_BYTES;
        break;
    case CALL_LOOKUP:
        if ((r = modvirt_domain_lookup_by_name(c->conn, c->domain, &dom, &err)) == 0)
            *reply_bytes = RPC_PKT_HEADER_BYTES + domain_bytes(c->domain);
        modvirt_domain_free(dom);
        break;
    case CALL_LISTALL:
        r = modvirt_list(c, reply_bytes, &err);
        break;
    case CALL_COUNT:
        break;
    }
    return r < 0 ? modvirt_fail(call, err, r) : 0;
}

static int modvirt_close(void *ctx)
{
    struct modvirt_ctx *c = ctx;

    modvirt_conn_close(c->conn);
    free(c);
    return 0;
}

/* ---- libvirt's client library ---- */

#ifdef HAVE_LIBVIRT
struct libvirt_ctx {
    virConnectPtr conn;
    const char *domain;
};

static void *libvirt_open(const char *uri, const struct call_args *args)
{
    struct libvirt_ctx *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->domain = args->domain;
    if (!(c->conn = virConnectOpen(uri))) {
        fprintf(stderr, "rpcbench: cannot open '%s': %s\n", uri, virGetLastErrorMessage());
        free(c);
        return NULL;
    }
    return c;
}

static int libvirt_list(struct libvirt_ctx *c, size_t *reply_bytes)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(c->conn, &doms, 0);
    size_t body = 0;

    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        body += domain_bytes(virDomainGetName(doms[i]));
        virDomainFree(doms[i]);
    }
    free(doms);
    *reply_bytes = listall_reply_bytes(body);
    return 0;
}

static int libvirt_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    struct libvirt_ctx *c = ctx;
    unsigned long version;
    virNodeInfo info;
    virDomainPtr dom;
    char *name;
    int r = -1;

    switch (call) {
    case CALL_HOSTNAME:
        if ((name = virConnectGetHostname(c->conn))) {
            *reply_bytes = hostname_reply_bytes(strlen(name));
            free(name);
            r = 0;
        }
        break;
    case CALL_NODEINFO:
        if ((r = virNodeGetInfo(c->conn, &info)) == 0)
            *reply_bytes = NODEINFO_REPLY_BYTES;
        break;
    case CALL_LIBVERSION:
        if ((r = virConnectGetLibVersion(c->conn, &version)) == 0)
            *reply_bytes = LIBVERSION_REPLY_BYTES;
        break;
    case CALL_LOOKUP:
        if ((dom = virDomainLookupByName(c->conn, c->domain))) {  /* virDomainFree is local */
            *reply_bytes = RPC_PKT_HEADER_BYTES + domain_bytes(c->domain);
            virDomainFree(dom);
            r = 0;
        }
        break;
    case CALL_LISTALL:
        r = libvirt_list(c, reply_bytes);
        break;
    case CALL_COUNT:
        break;
    }
    if (r < 0)
        fprintf(stderr, "rpcbench: libvirt %s: %s\n", call_names[call], virGetLastErrorMessage());
    return r < 0 ? -1 : 0;
}

static int libvirt_close(void *ctx)
{
    struct libvirt_ctx *c = ctx;
    int r = virConnectClose(c->conn);

    free(c);
    return r < 0 ? -1 : 0;
}
#else
static void *libvirt_open(const char *uri, const struct call_args *args)
{
    (void)uri;
    (void)args;
    fprintf(stderr, "rpcbench: built without libvirt (configure found no libvirt >= 9.0)\n");
    errno = ENOSYS;
    return NULL;
}

static int libvirt_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    (void)ctx;
    (void)call;
    (void)reply_bytes;
    return -1;
}

static int libvirt_close(void *ctx)
{
    (void)ctx;
    return 0;
}
#endif

/* ---- the floor: a unix-socket ping-pong of the same sizes ---- */

struct raw_ctx {
    int fd;
    pid_t server, relay;        /* relay: -1 without one */
    size_t reply_bytes[CALL_COUNT];
    unsigned char buf[RAW_MAX_BYTES];
};

static int read_full(int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, (char *)buf + got, len - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EPIPE;
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t r = write(fd, (const char *)buf + done, len - done);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        done += (size_t)r;
    }
    return 0;
}

/* Reads one packet the way libvirt does (the length word, then exactly the
 * rest) into BUF; returns its total length or -errno. */
static ssize_t read_packet(int fd, unsigned char *buf)
{
    uint32_t len;
    int r;

    if ((r = read_full(fd, buf, 4)) < 0)
        return r;
    memcpy(&len, buf, 4);
    len = ntohl(len);
    if (len < RPC_PKT_HEADER_BYTES || len > RAW_MAX_BYTES)
        return -EBADMSG;
    if ((r = read_full(fd, buf + 4, len - 4)) < 0)
        return r;
    return len;
}

/* The echo process: for each packet, a reply of the size named in the
 * packet's second word, until the other end closes. */
static _Noreturn void raw_server(int fd)
{
    unsigned char buf[RAW_MAX_BYTES] = { 0 };

    for (;;) {
        ssize_t len = read_packet(fd, buf);
        uint32_t want;

        if (len < 0)
            _exit(len == -EPIPE ? 0 : 1);
        memcpy(&want, buf + 4, 4);
        want = ntohl(want);
        if (want < RPC_PKT_HEADER_BYTES || want > RAW_MAX_BYTES)
            _exit(1);
        memcpy(buf, &(uint32_t){ htonl(want) }, 4);
        if (write_full(fd, buf, want) < 0)
            _exit(1);
    }
}

/* Forks a process that runs FN on the sockets FDS[0..N-1] (as fds 3, 4, ...)
 * and holds no other descriptor: a copy of another connection's end would
 * keep that connection's processes from ever seeing EOF. */
static pid_t spawn(void (*fn)(void), const int *fds, int n)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    int high[2];

    for (int i = 0; i < n; i++)
        if ((high[i] = fcntl(fds[i], F_DUPFD, 100)) < 0)
            _exit(1);
    for (int i = 0; i < n; i++)
        if (dup2(high[i], 3 + i) < 0)
            _exit(1);
    close_range((unsigned)(3 + n), ~0U, 0);
    fn();
    _exit(1);
}

static void echo_main(void)
{
    raw_server(3);
}

/* The relay: each packet from the client (fd 3) to the echo process (fd 4)
 * and its reply back, read as libvirt reads (length word, then the rest),
 * blocking: the least work a process in the middle can do. */
static void relay_main(void)
{
    unsigned char buf[RAW_MAX_BYTES];

    for (;;) {
        ssize_t len = read_packet(3, buf);

        if (len < 0)
            _exit(len == -EPIPE ? 0 : 1);
        if (write_full(4, buf, (size_t)len) < 0 || (len = read_packet(4, buf)) < 0 ||
            write_full(3, buf, (size_t)len) < 0)
            _exit(1);
    }
}

static void *raw_open_common(const struct call_args *args, bool relay)
{
    struct raw_ctx *c = calloc(1, sizeof(*c));
    int a[2] = { -1, -1 }, b[2] = { -1, -1 };

    if (!c)
        return NULL;
    c->server = c->relay = -1;
    c->reply_bytes[CALL_HOSTNAME] = args->raw_hostname_bytes;
    c->reply_bytes[CALL_NODEINFO] = NODEINFO_REPLY_BYTES;
    c->reply_bytes[CALL_LIBVERSION] = LIBVERSION_REPLY_BYTES;
    if (!c->reply_bytes[CALL_HOSTNAME]) {
        char name[256] = "";

        gethostname(name, sizeof(name) - 1);
        c->reply_bytes[CALL_HOSTNAME] = hostname_reply_bytes(strlen(name));
    }
    /* separate processes, as daemons are: their wake-ups cost what a
     * daemon's do.  a: the client's socket, b: relay to echo */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0 ||
        (relay && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) < 0)) {
        fprintf(stderr, "rpcbench: socketpair: %s\n", strerror(errno));
        goto fail;
    }
    if ((c->server = spawn(echo_main, relay ? &b[1] : &a[1], 1)) < 0 ||
        (relay && (c->relay = spawn(relay_main, (int[]){ a[1], b[0] }, 2)) < 0)) {
        fprintf(stderr, "rpcbench: fork: %s\n", strerror(errno));
        goto fail;
    }
    close(a[1]);
    if (relay) {
        close(b[0]);
        close(b[1]);
    }
    c->fd = a[0];
    return c;
fail:
    for (int i = 0; i < 2; i++) {
        if (a[i] >= 0)
            close(a[i]);
        if (b[i] >= 0)
            close(b[i]);
    }
    free(c);
    return NULL;
}

static void *raw_open(const char *uri, const struct call_args *args)
{
    (void)uri;
    return raw_open_common(args, false);
}

static void *relay_open(const char *uri, const struct call_args *args)
{
    (void)uri;
    return raw_open_common(args, true);
}

static int raw_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    struct raw_ctx *c = ctx;
    unsigned char req[RPC_PKT_HEADER_BYTES] = { 0 };
    ssize_t len = 0;
    int r;

    memcpy(req, &(uint32_t){ htonl(RPC_PKT_HEADER_BYTES) }, 4);
    memcpy(req + 4, &(uint32_t){ htonl((uint32_t)c->reply_bytes[call]) }, 4);
    if ((r = write_full(c->fd, req, sizeof(req))) < 0 || (len = read_packet(c->fd, c->buf)) < 0) {
        fprintf(stderr, "rpcbench: raw %s: %s\n", call_names[call], strerror(r < 0 ? -r : (int)-len));
        return -1;
    }
    *reply_bytes = (size_t)len;
    return 0;
}

/* Whether PID (if any) exited with 0. */
static bool reaped_ok(pid_t pid)
{
    int status;

    return pid < 0 || (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int raw_close(void *ctx)
{
    struct raw_ctx *c = ctx;
    int rc = 0;

    close(c->fd);           /* the relay, then the echo process see EOF and exit */
    if (!reaped_ok(c->relay) || !reaped_ok(c->server)) {
        fprintf(stderr, "rpcbench: the echo or relay process failed\n");
        rc = -1;
    }
    free(c);
    return rc;
}

static size_t raw_helpers(void *ctx, const char **names, pid_t *pids, size_t max)
{
    struct raw_ctx *c = ctx;
    size_t n = 0;

    if (n < max) {
        names[n] = "echo";
        pids[n++] = c->server;
    }
    if (c->relay > 0 && n < max) {
        names[n] = "relay";
        pids[n++] = c->relay;
    }
    return n;
}

/* ---- the table of modes ---- */

static const struct rpc_mode modes[] = {
    { "modvirt", true, modvirt_open, modvirt_call, modvirt_close, NULL },
    { "libvirt", true, libvirt_open, libvirt_call, libvirt_close, NULL },
    { "raw", false, raw_open, raw_call, raw_close, raw_helpers },
    { "raw-relay", false, relay_open, raw_call, raw_close, raw_helpers },
};

const struct rpc_mode *rpc_mode_find(const char *name)
{
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(modes[i].name, name) == 0)
            return &modes[i];
    return NULL;
}

bool rpc_mode_have_libvirt(void)
{
#ifdef HAVE_LIBVIRT
    return true;
#else
    return false;
#endif
}

bool rpc_mode_supports(const struct rpc_mode *mode, enum call_kind call)
{
    /* raw sends a 28-byte call: only the calls with void arguments and a
     * reply of known size */
    return (mode->open != raw_open && mode->open != relay_open) || call == CALL_HOSTNAME || call == CALL_NODEINFO ||
           call == CALL_LIBVERSION;
}

size_t rpc_call_request_bytes(enum call_kind call, const struct call_args *args)
{
    switch (call) {
    case CALL_LOOKUP:
        return RPC_PKT_HEADER_BYTES + xdr_string_bytes(args->domain ? strlen(args->domain) : 0);
    case CALL_LISTALL:
        return RPC_PKT_HEADER_BYTES + 4 + 4;    /* need_results, flags */
    default:
        return RPC_PKT_HEADER_BYTES;            /* void arguments */
    }
}
