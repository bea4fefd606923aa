/* The ways rpcbench makes a remote call: through libmodvirt, through
 * libvirt's client library, or the raw floor (the same byte counts over a
 * socketpair to an echo process, no XDR, no dispatch). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Wire sizes (shared/docs/wire-protocol.md 1.2): a packet is a 4-byte length
 * word, a 24-byte header and the XDR payload. */
#define RPC_PKT_HEADER_BYTES 28

enum call_kind {
    CALL_HOSTNAME,      /* CONNECT_GET_HOSTNAME (59): the qemu subsystem's cheapest */
    CALL_NODEINFO,      /* NODE_GET_INFO (6) */
    CALL_LIBVERSION,    /* CONNECT_GET_LIB_VERSION (157): connection level */
    CALL_LOOKUP,        /* DOMAIN_LOOKUP_BY_NAME (23) of the -d domain */
    CALL_LISTALL,       /* CONNECT_LIST_ALL_DOMAINS (273), flags 0 */
    CALL_COUNT,
};

extern const char *const call_names[CALL_COUNT];

/* What a call needs besides the connection. */
struct call_args {
    const char *domain;         /* CALL_LOOKUP */
    size_t raw_hostname_bytes;  /* raw: size of the hostname reply */
};

/* One way of calling.  open makes a connection to URI (NULL for raw) and
 * returns its context, or NULL after saying why on stderr; call returns 0
 * or -1 (after saying why), and sets *REPLY_BYTES to the size of the reply
 * on the wire; close ends the connection (-1 if it went wrong). */
struct rpc_mode {
    const char *name;
    bool needs_uri;
    void *(*open)(const char *uri, const struct call_args *args);
    int (*call)(void *ctx, enum call_kind call, size_t *reply_bytes);
    int (*close)(void *ctx);
    /* The processes a connection started (raw: "echo", "relay"): up to MAX
     * names and pids, returns how many; NULL for modes that start none. */
    size_t (*helpers)(void *ctx, const char **names, pid_t *pids, size_t max);
};

/* The mode called NAME ("modvirt", "libvirt", "raw"); NULL if unknown.  A
 * mode not built in (libvirt without libvirt at configure time) is found,
 * and its open says so and sets errno to ENOSYS. */
const struct rpc_mode *rpc_mode_find(const char *name);
/* Whether the libvirt mode is built in. */
bool rpc_mode_have_libvirt(void);
/* Whether MODE can make CALL (raw: only the fixed-size calls). */
bool rpc_mode_supports(const struct rpc_mode *mode, enum call_kind call);
/* The size of CALL's request on the wire. */
size_t rpc_call_request_bytes(enum call_kind call, const struct call_args *args);
