/*
 * libmodvirt: a small client library for the modvirt daemons.
 *
 * One modvirt_conn stands for a host ("qemu:///system"); each call is routed
 * to the daemon that owns it (modvirt-qemud, -netd, -storaged, -nodedevd),
 * whose connection is opened on first use.  A connection may be used from
 * several threads at once.
 *
 * Conventions for every function returning int: 0 on success, otherwise a
 * negative errno and, if ERR is not NULL, *ERR set to a new error object the
 * caller frees with modvirt_error_free():
 *   -EIO       the daemon reported an error (code/domain say which);
 *   -ENOTCONN  the daemon could not be reached, refused the connection, or
 *              the connection broke;
 *   -ETIMEDOUT no answer in time;
 *   other      local failures (-ENOMEM, -EINVAL, -EPROTO for a daemon that
 *              breaks the protocol).
 * Out-parameters are only written on success.  Strings and lists handed out
 * belong to the caller (free(), modvirt_domain_ref_list_free()).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct modvirt_conn modvirt_conn;

/* An error: CODE and DOMAIN are libvirt's virErrorNumber / virErrorDomain,
 * MESSAGE the complete human-readable text. */
typedef struct modvirt_error {
    int code;
    int domain;
    char *message;
} modvirt_error;

enum modvirt_conn_flags {
    MODVIRT_CONN_READONLY = 1 << 0,     /* use the read-only sockets */
};

/* Host facts as NODE_GET_INFO reports them. */
typedef struct modvirt_node_info {
    char model[33];             /* CPU architecture, e.g. "x86_64" */
    uint64_t memory;            /* KiB */
    unsigned int cpus;          /* active CPUs */
    unsigned int mhz;
    unsigned int nodes;         /* NUMA cells */
    unsigned int sockets;       /* per NUMA cell */
    unsigned int cores;         /* per socket */
    unsigned int threads;       /* per core */
} modvirt_node_info;

/* A domain as listings return it. */
typedef struct modvirt_domain_ref {
    char *name;
    unsigned char uuid[16];
    int id;                     /* -1 while inactive */
} modvirt_domain_ref;

/* Filters for modvirt_conn_list_all_domains() (libvirt's values). */
enum modvirt_list_domains_flags {
    MODVIRT_LIST_DOMAINS_ACTIVE = 1 << 0,
    MODVIRT_LIST_DOMAINS_INACTIVE = 1 << 1,
};

/* ---- errors ---- */

/* Frees an error object; NULL is fine. */
void modvirt_error_free(modvirt_error *err);

/* ---- connections ---- */

/* Opens URI (NULL: $MODVIRT_DEFAULT_URI, else "qemu:///system").  Accepted:
 * qemu:///system or modvirt:///system, with the query parameters socket=PATH
 * (every call through that one socket) and root=DIR (a private instance
 * under DIR/run/modvirt/).  No daemon is contacted yet.  NULL on failure
 * with *ERR set (code 8, INVALID_ARG, for a URI it does not accept). */
modvirt_conn *modvirt_conn_open(const char *uri, unsigned int flags, modvirt_error **err);

/* Sends CONNECT_CLOSE on every daemon connection opened and frees CONN;
 * no call may be in flight.  NULL is fine. */
void modvirt_conn_close(modvirt_conn *conn);

/* The URI CONN was opened with, after defaults were applied (no call made);
 * valid as long as CONN. */
const char *modvirt_conn_get_uri(modvirt_conn *conn);

/* The version of this library, e.g. "0.1.0". */
const char *modvirt_version(void);

/* ---- host ---- */

/* The daemon host's name; *HOSTNAME is malloc'd. */
int modvirt_conn_get_hostname(modvirt_conn *conn, char **hostname, modvirt_error **err);

/* The hypervisor driver name, e.g. "QEMU"; *TYPE is malloc'd. */
int modvirt_conn_get_type(modvirt_conn *conn, char **type, modvirt_error **err);

/* Hypervisor version as major * 1000000 + minor * 1000 + micro. */
int modvirt_conn_get_version(modvirt_conn *conn, uint64_t *version, modvirt_error **err);

/* API level of the daemon in the same encoding (9000000 = libvirt 9.0.0). */
int modvirt_conn_get_lib_version(modvirt_conn *conn, uint64_t *version, modvirt_error **err);

/* The host capabilities XML; *XML is malloc'd. */
int modvirt_conn_get_capabilities(modvirt_conn *conn, char **xml, modvirt_error **err);

/* CPU, memory and topology of the host. */
int modvirt_node_get_info(modvirt_conn *conn, modvirt_node_info *info, modvirt_error **err);

/* ---- domains ---- */

/* Every domain matching FLAGS (0: all); *LIST (malloc'd, *N entries, NULL
 * when empty) is freed with modvirt_domain_ref_list_free(). */
int modvirt_conn_list_all_domains(modvirt_conn *conn, unsigned int flags,
                                  modvirt_domain_ref **list, size_t *n, modvirt_error **err);

/* Frees LIST and its N names; NULL is fine. */
void modvirt_domain_ref_list_free(modvirt_domain_ref *list, size_t n);

#ifdef __cplusplus
}
#endif
