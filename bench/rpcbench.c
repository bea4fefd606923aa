/*
 * rpcbench: round-trip latency of CONNECT_GET_HOSTNAME and NODE_GET_INFO.
 *
 *   rpcbench [-n N] [-w W] [-c CALL] modvirt URI   through libmodvirt
 *   rpcbench [-n N] [-w W] [-c CALL] libvirt URI   through libvirt's client library
 *   rpcbench [-n N] [-w W] [-c CALL] [-H BYTES] raw
 *                 the floor: the same byte counts ping-ponged over a unix
 *                 socket with a trivial echo process, no XDR, no dispatch
 *
 * For each call (CALL: hostname, nodeinfo or both, the default) it makes W
 * untimed calls, then N calls each timed with CLOCK_MONOTONIC, sorts the
 * samples and prints one line of key=value pairs:
 *
 *   call=hostname mode=raw n=20000 median_us=9.8 p99_us=15.2 ... calls_per_s=98000
 *
 * bench/run starts the daemons and turns these lines into a table.  Nothing
 * here asserts a speed: it measures and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cleanup.h"
#include "client/modvirt.h"
#include "bench/timing.h"
#ifdef HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

/* Wire sizes (shared/docs/wire-protocol.md 1.2): a packet is a 4-byte length
 * word, a 24-byte header and the XDR payload.  Both calls have void
 * arguments; the replies carry a string (4-byte length, bytes padded to 4)
 * and remote_node_get_info_ret (char[32] widened to 128 bytes, a hyper and
 * six ints). */
#define PKT_HEADER_BYTES 28
#define CALL_BYTES PKT_HEADER_BYTES
#define NODEINFO_REPLY_BYTES (PKT_HEADER_BYTES + 32 * 4 + 8 + 6 * 4)
#define RAW_MAX_BYTES 4096

static size_t hostname_reply_bytes(size_t len)
{
    return PKT_HEADER_BYTES + 4 + ((len + 3) & ~(size_t)3);
}

enum call_kind { CALL_HOSTNAME, CALL_NODEINFO, CALL_COUNT };
static const char *const call_names[CALL_COUNT] = { "hostname", "nodeinfo" };

/* One way of making the two calls.  do_call returns 0 or -1 (with a message
 * already printed); it may set *reply_bytes to the size of the reply it got
 * (left alone when it cannot tell). */
struct target {
    const char *mode;
    void *ctx;
    int (*do_call)(void *ctx, enum call_kind call, size_t *reply_bytes);
};

/* Nearest-rank percentile P of the sorted samples, in µs. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
    return (double)percentile(sorted, n, p) / 1000.0;
}

static int run_call(const struct target *t, enum call_kind call, size_t n, size_t warmup)
{
    _cleanup_free_ uint64_t *samples = calloc(n, sizeof(*samples));
    size_t reply_bytes = 0;
    uint64_t start, end, sum = 0;

    if (!samples) {
        fprintf(stderr, "rpcbench: out of memory for %zu samples\n", n);
        return -1;
    }
    for (size_t i = 0; i < warmup; i++)
        if (t->do_call(t->ctx, call, &reply_bytes) < 0)
            return -1;
    start = now_ns();
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();

        if (t->do_call(t->ctx, call, &reply_bytes) < 0)
            return -1;
        samples[i] = now_ns() - t0;
    }
    end = now_ns();
    for (size_t i = 0; i < n; i++)
        sum += samples[i];
    qsort(samples, n, sizeof(*samples), cmp_u64);
    printf("call=%s mode=%s n=%zu warmup=%zu median_us=%.1f p99_us=%.1f "
           "min_us=%.1f mean_us=%.1f max_us=%.1f calls_per_s=%.0f req_bytes=%d reply_bytes=%zu\n",
           call_names[call], t->mode, n, warmup,
           percentile_us(samples, n, 50), percentile_us(samples, n, 99),
           (double)samples[0] / 1000.0, (double)sum / (double)n / 1000.0,
           (double)samples[n - 1] / 1000.0,
           (double)n * 1e9 / (double)(end - start), CALL_BYTES, reply_bytes);
    fflush(stdout);
    return 0;
}

/* ---- libmodvirt ---- */

static int modvirt_do_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    modvirt_conn *conn = ctx;
    modvirt_error *err = NULL;
    int r;

    if (call == CALL_HOSTNAME) {
        char *name = NULL;

        r = modvirt_conn_get_hostname(conn, &name, &err);
        if (r == 0) {
            *reply_bytes = hostname_reply_bytes(strlen(name));
            free(name);
        }
    } else {
        modvirt_node_info info;

        r = modvirt_node_get_info(conn, &info, &err);
        if (r == 0)
            *reply_bytes = NODEINFO_REPLY_BYTES;
    }
    if (r < 0) {
        fprintf(stderr, "rpcbench: modvirt %s: %s\n", call_names[call],
                err && err->message ? err->message : strerror(-r));
        modvirt_error_free(err);
        return -1;
    }
    return 0;
}

/* ---- libvirt's client library ---- */

#ifdef HAVE_LIBVIRT
static int libvirt_do_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    virConnectPtr conn = ctx;

    if (call == CALL_HOSTNAME) {
        char *name = virConnectGetHostname(conn);

        if (!name)
            goto fail;
        *reply_bytes = hostname_reply_bytes(strlen(name));
        free(name);
    } else {
        virNodeInfo info;

        if (virNodeGetInfo(conn, &info) < 0)
            goto fail;
        *reply_bytes = NODEINFO_REPLY_BYTES;
    }
    return 0;
fail:
    fprintf(stderr, "rpcbench: libvirt %s: %s\n", call_names[call], virGetLastErrorMessage());
    return -1;
}
#endif

/* ---- the floor: a unix-socket ping-pong of the same sizes ---- */

struct raw_ctx {
    int fd;
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
    if (len < PKT_HEADER_BYTES || len > RAW_MAX_BYTES)
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
        if (want < PKT_HEADER_BYTES || want > RAW_MAX_BYTES)
            _exit(1);
        memcpy(buf, &(uint32_t){ htonl(want) }, 4);
        if (write_full(fd, buf, want) < 0)
            _exit(1);
    }
}

static int raw_do_call(void *ctx, enum call_kind call, size_t *reply_bytes)
{
    struct raw_ctx *c = ctx;
    unsigned char req[CALL_BYTES] = { 0 };
    ssize_t len;
    int r;

    memcpy(req, &(uint32_t){ htonl(CALL_BYTES) }, 4);
    memcpy(req + 4, &(uint32_t){ htonl((uint32_t)c->reply_bytes[call]) }, 4);
    if ((r = write_full(c->fd, req, sizeof(req))) < 0 || (len = read_packet(c->fd, c->buf)) < 0) {
        fprintf(stderr, "rpcbench: raw %s: %s\n", call_names[call],
                strerror(r < 0 ? -r : EPROTO));
        return -1;
    }
    *reply_bytes = (size_t)len;
    return 0;
}

/* ---- main ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: rpcbench [OPTION]... modvirt URI\n"
            "       rpcbench [OPTION]... libvirt URI\n"
            "       rpcbench [OPTION]... raw\n"
            "\n"
            "  -n N        timed calls per procedure (default 20000)\n"
            "  -w W        untimed warm-up calls per procedure (default 1000)\n"
            "  -c CALL     hostname, nodeinfo or both (default both)\n"
            "  -H BYTES    raw: size of the hostname reply (default: from gethostname())\n"
            "  -L          only say whether the libvirt mode is built in (exit 0 or 77)\n"
            "  -h          this help\n");
}

static int parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        fprintf(stderr, "rpcbench: %s: '%s' is not a number from %zu to %zu\n", opt, s, min, max);
        return -EINVAL;
    }
    *out = (size_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 20000, warmup = 1000, raw_hostname = 0;
    bool want[CALL_COUNT] = { true, true };
    struct target t = { 0 };
    struct raw_ctx *raw = NULL;
    modvirt_conn *mconn = NULL;
    pid_t server = -1;
    const char *mode;
    int c, rc = 0;

    while ((c = getopt(argc, argv, "n:w:c:H:Lh")) != -1) {
        switch (c) {
        case 'n':
            if (parse_size("-n", optarg, 1, 100000000, &n) < 0)
                return 2;
            break;
        case 'w':
            if (parse_size("-w", optarg, 0, 100000000, &warmup) < 0)
                return 2;
            break;
        case 'H':
            if (parse_size("-H", optarg, hostname_reply_bytes(0), RAW_MAX_BYTES, &raw_hostname) < 0)
                return 2;
            break;
        case 'c':
            if (strcmp(optarg, "both") == 0) {
                want[CALL_HOSTNAME] = want[CALL_NODEINFO] = true;
            } else if (strcmp(optarg, "hostname") == 0 || strcmp(optarg, "nodeinfo") == 0) {
                want[CALL_HOSTNAME] = strcmp(optarg, "hostname") == 0;
                want[CALL_NODEINFO] = !want[CALL_HOSTNAME];
            } else {
                fprintf(stderr, "rpcbench: -c: '%s' is not hostname, nodeinfo or both\n", optarg);
                return 2;
            }
            break;
        case 'L':
#ifdef HAVE_LIBVIRT
            return 0;
#else
            return 77;
#endif
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    mode = argv[optind++];
    if (argc - optind != (strcmp(mode, "raw") == 0 ? 0 : 1)) {
        usage(stderr);
        return 2;
    }
    t.mode = mode;

    if (strcmp(mode, "modvirt") == 0) {
        modvirt_error *err = NULL;

        mconn = modvirt_conn_open(argv[optind], 0, &err);
        if (!mconn) {
            fprintf(stderr, "rpcbench: cannot open '%s': %s\n", argv[optind],
                    err && err->message ? err->message : "unknown error");
            modvirt_error_free(err);
            return 1;
        }
        t.ctx = mconn;
        t.do_call = modvirt_do_call;
    } else if (strcmp(mode, "libvirt") == 0) {
#ifdef HAVE_LIBVIRT
        virConnectPtr vconn = virConnectOpen(argv[optind]);

        if (!vconn) {
            fprintf(stderr, "rpcbench: cannot open '%s': %s\n", argv[optind],
                    virGetLastErrorMessage());
            return 1;
        }
        t.ctx = vconn;
        t.do_call = libvirt_do_call;
#else
        fprintf(stderr, "rpcbench: built without libvirt (configure found no libvirt >= 9.0)\n");
        return 77;
#endif
    } else if (strcmp(mode, "raw") == 0) {
        int sv[2];

        raw = calloc(1, sizeof(*raw));
        if (!raw)
            return 1;
        if (!raw_hostname) {
            char name[256] = "";

            gethostname(name, sizeof(name) - 1);
            raw_hostname = hostname_reply_bytes(strlen(name));
        }
        raw->reply_bytes[CALL_HOSTNAME] = raw_hostname;
        raw->reply_bytes[CALL_NODEINFO] = NODEINFO_REPLY_BYTES;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            fprintf(stderr, "rpcbench: socketpair: %s\n", strerror(errno));
            free(raw);
            return 1;
        }
        /* a separate process, as a daemon is: its wake-ups cost what a
         * daemon's do */
        server = fork();
        if (server < 0) {
            fprintf(stderr, "rpcbench: fork: %s\n", strerror(errno));
            free(raw);
            return 1;
        }
        if (server == 0) {
            close(sv[0]);
            raw_server(sv[1]);
        }
        close(sv[1]);
        raw->fd = sv[0];
        t.ctx = raw;
        t.do_call = raw_do_call;
    } else {
        fprintf(stderr, "rpcbench: unknown mode '%s'\n", mode);
        usage(stderr);
        return 2;
    }

    for (int k = 0; k < CALL_COUNT && rc == 0; k++)
        if (want[k] && run_call(&t, (enum call_kind)k, n, warmup) < 0)
            rc = 1;

    if (mconn)
        modvirt_conn_close(mconn);
#ifdef HAVE_LIBVIRT
    if (strcmp(mode, "libvirt") == 0)
        virConnectClose(t.ctx);
#endif
    if (raw) {
        int status;

        close(raw->fd);         /* the echo process sees EOF and exits */
        if (waitpid(server, &status, 0) == server && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "rpcbench: echo process failed\n");
            rc = 1;
        }
        free(raw);
    }
    return rc;
}
