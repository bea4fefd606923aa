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
 * belong to the caller (free(), modvirt_domain_ref_list_free(),
 * modvirt_string_list_free()), handles too (modvirt_domain_free()).
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
    int state;                  /* enum modvirt_domain_state; -1 if not asked or unknown */
    int reason;                 /* the state's reason (libvirt's per-state enums), or -1 */
} modvirt_domain_ref;

/* Filters for the listings (libvirt's VIR_CONNECT_LIST_DOMAINS_* values). */
enum modvirt_list_domains_flags {
    MODVIRT_LIST_DOMAINS_ACTIVE = 1 << 0,
    MODVIRT_LIST_DOMAINS_INACTIVE = 1 << 1,
};

/* A handle on one domain of a connection: its name, UUID and id.  The
 * connection must outlive it; one thread at a time may use a handle. */
typedef struct modvirt_domain modvirt_domain;

/* virDomainState. */
enum modvirt_domain_state {
    MODVIRT_DOMAIN_NOSTATE = 0,
    MODVIRT_DOMAIN_RUNNING = 1,
    MODVIRT_DOMAIN_BLOCKED = 2,
    MODVIRT_DOMAIN_PAUSED = 3,
    MODVIRT_DOMAIN_SHUTDOWN = 4,        /* being shut down */
    MODVIRT_DOMAIN_SHUTOFF = 5,
    MODVIRT_DOMAIN_CRASHED = 6,
    MODVIRT_DOMAIN_PMSUSPENDED = 7,
};

/* What DOMAIN_GET_INFO reports. */
typedef struct modvirt_domain_info {
    int state;                  /* enum modvirt_domain_state */
    uint64_t max_memory;        /* KiB */
    uint64_t memory;            /* KiB in use */
    unsigned int vcpus;
    uint64_t cpu_time;          /* ns */
} modvirt_domain_info;

enum modvirt_domain_define_flags {
    MODVIRT_DOMAIN_DEFINE_VALIDATE = 1 << 0,    /* check the XML against the schema */
};

enum modvirt_domain_start_flags {
    MODVIRT_DOMAIN_START_PAUSED = 1 << 0,       /* leave the vCPUs paused */
};

enum modvirt_domain_xml_flags {
    MODVIRT_DOMAIN_XML_SECURE = 1 << 0,         /* include passwords */
    MODVIRT_DOMAIN_XML_INACTIVE = 1 << 1,       /* the persistent config, not the live one */
};

enum modvirt_domain_console_flags {
    MODVIRT_DOMAIN_CONSOLE_FORCE = 1 << 0,      /* take the console from its current user */
};

/* virDomainEventType: the lifecycle event kinds (details in libvirt's enums). */
enum modvirt_domain_event_type {
    MODVIRT_DOMAIN_EVENT_DEFINED = 0,
    MODVIRT_DOMAIN_EVENT_UNDEFINED = 1,
    MODVIRT_DOMAIN_EVENT_STARTED = 2,
    MODVIRT_DOMAIN_EVENT_SUSPENDED = 3,
    MODVIRT_DOMAIN_EVENT_RESUMED = 4,
    MODVIRT_DOMAIN_EVENT_STOPPED = 5,
    MODVIRT_DOMAIN_EVENT_SHUTDOWN = 6,
    MODVIRT_DOMAIN_EVENT_PMSUSPENDED = 7,
    MODVIRT_DOMAIN_EVENT_CRASHED = 8,
};

/* The events modvirt_domain_events_register() subscribes to (VIR_DOMAIN_EVENT_ID_*). */
enum modvirt_domain_event_id {
    MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE = 0,
    MODVIRT_DOMAIN_EVENT_ID_REBOOT = 1,
};

/* One event as the callback sees it; valid only during the callback. */
typedef struct modvirt_domain_event {
    int event_id;               /* enum modvirt_domain_event_id */
    modvirt_domain_ref dom;     /* name, uuid and id; state and reason are -1 */
    int type;                   /* lifecycle: enum modvirt_domain_event_type; else 0 */
    int detail;                 /* lifecycle: the type's detail; else 0 */
} modvirt_domain_event;

typedef void (*modvirt_domain_event_fn)(modvirt_conn *conn, const modvirt_domain_event *ev,
                                        void *opaque);

/* An open domain console (a stream on the domain's daemon connection). */
typedef struct modvirt_console modvirt_console;

/* Console output: DATA/LEN bytes from the guest; DATA NULL and LEN 0 at the
 * end (the guest side closed); ERR non-NULL (borrowed) if the console failed.
 * After the end or a failure no more calls come; close the console then. */
typedef void (*modvirt_console_fn)(modvirt_console *con, const void *data, size_t len,
                                   const modvirt_error *err, void *opaque);

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

/* The security driver of the host (NODE_GET_SECURITY_MODEL): *MODEL is ""
 * when there is none; both malloc'd. */
int modvirt_node_get_security_model(modvirt_conn *conn, char **model, char **doi,
                                    modvirt_error **err);

/* ---- domain listings ---- */

/* Every domain matching FLAGS (0: all); *LIST (malloc'd, *N entries, NULL
 * when empty) is freed with modvirt_domain_ref_list_free().  State and
 * reason are -1: one call, however many domains. */
int modvirt_conn_list_all_domains(modvirt_conn *conn, unsigned int flags,
                                  modvirt_domain_ref **list, size_t *n, modvirt_error **err);

/* The same with state and reason filled in by one DOMAIN_GET_STATE per
 * domain (as virsh list does); a domain that vanished in between keeps -1. */
int modvirt_conn_list_domains_with_state(modvirt_conn *conn, unsigned int flags,
                                         modvirt_domain_ref **list, size_t *n,
                                         modvirt_error **err);

/* Frees LIST and its N names; NULL is fine. */
void modvirt_domain_ref_list_free(modvirt_domain_ref *list, size_t n);

/* ---- domain handles ---- */

/* The domain KEY names, tried the way virsh does: as an id if KEY is all
 * digits, then as a UUID if it parses as one, then as a name.  Only "no such
 * domain" moves on to the next try; if all fail, the name lookup's error. */
int modvirt_domain_lookup(modvirt_conn *conn, const char *key, modvirt_domain **dom,
                          modvirt_error **err);
int modvirt_domain_lookup_by_name(modvirt_conn *conn, const char *name, modvirt_domain **dom,
                                  modvirt_error **err);
int modvirt_domain_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                  modvirt_domain **dom, modvirt_error **err);
/* A running domain by its id. */
int modvirt_domain_lookup_by_id(modvirt_conn *conn, int id, modvirt_domain **dom,
                                modvirt_error **err);

/* Frees a handle (the domain is not touched); NULL is fine. */
void modvirt_domain_free(modvirt_domain *dom);

/* The name; valid as long as DOM. */
const char *modvirt_domain_get_name(const modvirt_domain *dom);
/* The 16-byte UUID; valid as long as DOM. */
const unsigned char *modvirt_domain_get_uuid(const modvirt_domain *dom);
/* The UUID in dashed lowercase form in BUF; returns BUF. */
const char *modvirt_domain_get_uuid_string(const modvirt_domain *dom, char buf[37]);
/* The id as last seen by this handle (updated by start and destroy); -1 if inactive. */
int modvirt_domain_get_id(const modvirt_domain *dom);

/* ---- defining and removing ---- */

/* Defines (or redefines) a persistent domain from XML; *DOM is its handle.
 * FLAGS: modvirt_domain_define_flags. */
int modvirt_domain_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                              modvirt_domain **dom, modvirt_error **err);

/* Removes the persistent config (a running domain goes on, transient).
 * FLAGS: libvirt's VIR_DOMAIN_UNDEFINE_* values, 0 for none. */
int modvirt_domain_undefine(modvirt_domain *dom, unsigned int flags, modvirt_error **err);

/* ---- lifecycle ---- */

/* Starts a defined domain and updates the handle's id.  FLAGS:
 * modvirt_domain_start_flags. */
int modvirt_domain_start(modvirt_domain *dom, unsigned int flags, modvirt_error **err);

/* Powers the domain off at once; the handle's id becomes -1.  FLAGS:
 * libvirt's VIR_DOMAIN_DESTROY_* (1 GRACEFUL), 0 for none. */
int modvirt_domain_destroy(modvirt_domain *dom, unsigned int flags, modvirt_error **err);

/* Asks the guest to shut down; returns before it is off.  FLAGS: libvirt's
 * method bits (1 ACPI, 2 GUEST_AGENT, ...), 0 for the default. */
int modvirt_domain_shutdown(modvirt_domain *dom, unsigned int flags, modvirt_error **err);

/* Asks the guest to reboot; FLAGS as for shutdown. */
int modvirt_domain_reboot(modvirt_domain *dom, unsigned int flags, modvirt_error **err);

/* Resets the domain as the reset button would. */
int modvirt_domain_reset(modvirt_domain *dom, modvirt_error **err);

/* Pauses the domain's vCPUs. */
int modvirt_domain_suspend(modvirt_domain *dom, modvirt_error **err);

/* modvirt_domain_qemu_monitor_command flags: CMD is HMP text, not QMP JSON. */
#define MODVIRT_DOMAIN_QEMU_MONITOR_COMMAND_HMP 1u

/* Runs CMD on the running domain's QEMU monitor, as written (libvirt's
 * QEMU program): a QMP command as JSON, or HMP text with the flag.  0 with
 * *RESULT (free() it) QEMU's whole JSON reply ("return" or QEMU's
 * "error") or HMP's text. */
int modvirt_domain_qemu_monitor_command(modvirt_domain *dom, const char *cmd, unsigned int flags,
                                        char **result, modvirt_error **err);

/* Lets a paused domain run again. */
int modvirt_domain_resume(modvirt_domain *dom, modvirt_error **err);

/* ---- queries ---- */

/* The state (enum modvirt_domain_state) and its reason. */
int modvirt_domain_get_state(modvirt_domain *dom, int *state, int *reason, modvirt_error **err);

int modvirt_domain_get_info(modvirt_domain *dom, modvirt_domain_info *info, modvirt_error **err);

/* The domain XML; *XML is malloc'd.  FLAGS: modvirt_domain_xml_flags. */
int modvirt_domain_get_xml(modvirt_domain *dom, unsigned int flags, char **xml,
                           modvirt_error **err);

/* The guest OS type, e.g. "hvm"; *TYPE is malloc'd. */
int modvirt_domain_get_os_type(modvirt_domain *dom, char **type, modvirt_error **err);

/* *ACTIVE is 1 while the domain runs (or is paused), else 0. */
int modvirt_domain_is_active(modvirt_domain *dom, int *active, modvirt_error **err);

/* *PERSISTENT is 1 if the domain has a persistent config, else 0. */
int modvirt_domain_is_persistent(modvirt_domain *dom, int *persistent, modvirt_error **err);

/* *AUTOSTART is 1 if the domain starts with the daemon, else 0. */
int modvirt_domain_get_autostart(modvirt_domain *dom, int *autostart, modvirt_error **err);
int modvirt_domain_set_autostart(modvirt_domain *dom, int autostart, modvirt_error **err);

/* *HAS is 1 if a managed save image exists, else 0. */
int modvirt_domain_has_managed_save(modvirt_domain *dom, int *has, modvirt_error **err);

/* The security label of a running domain (*LABEL "" if none, malloc'd) and
 * whether it is enforced. */
int modvirt_domain_get_security_label(modvirt_domain *dom, char **label, int *enforcing,
                                      modvirt_error **err);

/* Taint and deprecation messages: *MSGS is a NULL-terminated malloc'd array
 * (freed with modvirt_string_list_free()). */
int modvirt_domain_get_messages(modvirt_domain *dom, char ***msgs, modvirt_error **err);

/* ---- tuning (domain_tuning.c) ---- */

/* What a tuning change affects: neither bit is the domain's current state
 * (live if it runs, else its persistent config). */
enum modvirt_domain_affect_flags {
    MODVIRT_DOMAIN_AFFECT_LIVE = 1 << 0,
    MODVIRT_DOMAIN_AFFECT_CONFIG = 1 << 1,
    MODVIRT_DOMAIN_AFFECT_MAXIMUM = 1 << 2,     /* setvcpus/setmem: the maximum (config only) */
};

/* Sets the vCPU count to N: live, vCPUs are plugged or unplugged up to
 * <vcpu>'s maximum.  FLAGS: modvirt_domain_affect_flags. */
int modvirt_domain_set_vcpus(modvirt_domain *dom, unsigned int n, unsigned int flags, modvirt_error **err);

/* Pins vCPU VCPU to the host CPUs of CPUMAP (MAPLEN bytes, CPU i at bit
 * i%8 of byte i/8).  FLAGS: LIVE and/or CONFIG. */
int modvirt_domain_pin_vcpu(modvirt_domain *dom, unsigned int vcpu, const unsigned char *cpumap, size_t maplen,
                            unsigned int flags, modvirt_error **err);

/* Sets the memory to KIB (live through the balloon; MAXIMUM: the maximum,
 * config only). */
int modvirt_domain_set_memory(modvirt_domain *dom, unsigned long long kib, unsigned int flags,
                              modvirt_error **err);

/* The migration bandwidth limit of a running domain, in MiB/s. */
int modvirt_domain_migrate_set_max_speed(modvirt_domain *dom, unsigned long long mib, modvirt_error **err);
int modvirt_domain_migrate_get_max_speed(modvirt_domain *dom, unsigned long long *mib, modvirt_error **err);

/* ---- devices (domain_device.c) ---- */

/* Adds, removes or changes (a CD-ROM's medium) the device described by
 * XML (<disk>, <interface>, <controller>).  FLAGS:
 * modvirt_domain_affect_flags LIVE and/or CONFIG; neither: the legacy
 * call, the running domain (update: its current state).  A detach returns
 * once the guest let the device go, or after the daemon's wait with the
 * device still there (DEVICE_REMOVED comes when it goes). */
int modvirt_domain_attach_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err);
int modvirt_domain_detach_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err);
int modvirt_domain_update_device(modvirt_domain *dom, const char *xml, unsigned int flags, modvirt_error **err);
/* Removes the device whose alias is ALIAS ("vdb", "net0", "ua-data"). */
int modvirt_domain_detach_device_alias(modvirt_domain *dom, const char *alias, unsigned int flags,
                                       modvirt_error **err);

/* ---- statistics (domain_stats.c) ---- */

/* One statistic as virsh domstats prints it: FIELD ("cpu.time") and its
 * value of TYPE (VIR_TYPED_PARAM_*: 1 int, 2 uint, 3 long long, 4 unsigned
 * long long, 5 double, 6 boolean, 7 string in S). */
typedef struct modvirt_stat {
    char *field;
    int type;
    long long i;                    /* types 1, 3, 6 */
    unsigned long long u;           /* types 2, 4 */
    double d;
    char *s;
} modvirt_stat;

typedef struct modvirt_domain_stats {
    char *name;
    modvirt_stat *stats;
    size_t nstats;
} modvirt_domain_stats;

/* The statistics GROUPS (VIR_DOMAIN_STATS_*: 1 state, 2 cpu-total, 4
 * balloon, 8 vcpu, 16 interface, 32 block; 0 all) of the NDOMS domains
 * DOMS, or of every domain FLAGS selects (VIR_CONNECT_GET_ALL_DOMAINS_STATS_*)
 * when NDOMS is 0; one round trip.  Free with modvirt_domain_stats_free. */
int modvirt_connect_get_all_domain_stats(modvirt_conn *conn, modvirt_domain *const *doms, size_t ndoms,
                                         unsigned int groups, unsigned int flags, modvirt_domain_stats **recs,
                                         size_t *nrecs, modvirt_error **err);
void modvirt_domain_stats_free(modvirt_domain_stats *recs, size_t n);

/* ---- guest agent (domain_agent.c) ---- */

/* An address of a guest interface: TYPE 0 IPv4, 1 IPv6, ADDR and PREFIX. */
typedef struct modvirt_ip_addr {
    int type;
    char *addr;
    unsigned int prefix;
} modvirt_ip_addr;

typedef struct modvirt_domain_iface {
    char *name;                     /* the guest's name ("eth0"), or the host's for leases ("vnet0") */
    char *hwaddr;                   /* may be NULL */
    modvirt_ip_addr *addrs;
    size_t naddrs;
} modvirt_domain_iface;

/* The guest's interfaces and addresses from SOURCE
 * (VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_*: 0 the DHCP leases, 1 the guest
 * agent), as virsh domifaddr.  Free with modvirt_domain_ifaces_free. */
int modvirt_domain_interface_addresses(modvirt_domain *dom, unsigned int source, modvirt_domain_iface **ifaces,
                                       size_t *nifaces, modvirt_error **err);
void modvirt_domain_ifaces_free(modvirt_domain_iface *ifaces, size_t n);

/* What the guest agent tells (virsh guestinfo): TYPES
 * (VIR_DOMAIN_GUEST_INFO_*, 0 all it has) as typed parameters like the
 * statistics'.  Free with modvirt_guest_info_free. */
int modvirt_domain_get_guest_info(modvirt_domain *dom, unsigned int types, modvirt_stat **params, size_t *nparams,
                                  modvirt_error **err);
void modvirt_guest_info_free(modvirt_stat *params, size_t n);

/* ---- snapshots (a snapshot is its domain and its name) ---- */

/* virDomainSnapshotCreateFlags, virDomainSnapshotRevertFlags,
 * virDomainSnapshotDeleteFlags: the ones the modvirt tool uses. */
enum modvirt_snapshot_flags {
    MODVIRT_SNAPSHOT_CREATE_DISK_ONLY = 16,
    MODVIRT_SNAPSHOT_REVERT_RUNNING = 1,
    MODVIRT_SNAPSHOT_REVERT_PAUSED = 2,
    MODVIRT_SNAPSHOT_DELETE_CHILDREN = 1,
    MODVIRT_SNAPSHOT_DELETE_METADATA_ONLY = 2,
};

/* Creates a snapshot of DOM from <domainsnapshot> XML; its name (malloc'd)
 * in *NAME if NAME is not NULL. */
int modvirt_domain_snapshot_create(modvirt_domain *dom, const char *xml, unsigned int flags, char **name,
                                   modvirt_error **err);
/* The names of DOM's snapshots (FLAGS: virDomainSnapshotListFlags), parents
 * first, in a NULL-terminated array freed with modvirt_string_list_free(). */
int modvirt_domain_snapshot_list(modvirt_domain *dom, unsigned int flags, char ***names, modvirt_error **err);
/* The <domainsnapshot> XML of snapshot NAME (malloc'd). */
int modvirt_domain_snapshot_get_xml(modvirt_domain *dom, const char *name, unsigned int flags, char **xml,
                                    modvirt_error **err);
/* The name of DOM's current snapshot (malloc'd). */
int modvirt_domain_snapshot_current(modvirt_domain *dom, char **name, modvirt_error **err);
int modvirt_domain_snapshot_revert(modvirt_domain *dom, const char *name, unsigned int flags,
                                   modvirt_error **err);
int modvirt_domain_snapshot_delete(modvirt_domain *dom, const char *name, unsigned int flags,
                                   modvirt_error **err);

/* Frees a NULL-terminated string array and its strings; NULL is fine. */
void modvirt_string_list_free(char **list);

/* ---- names, in virsh's wording ---- */

/* "running", "shut off", ...; "no state" for values it does not know. */
const char *modvirt_domain_state_name(int state);
/* "booted", "destroyed", ... for a state's reason; "unknown" if not known. */
const char *modvirt_domain_state_reason_name(int state, int reason);
/* "Started", "Stopped", ... for a lifecycle event type; "unknown" if not known. */
const char *modvirt_domain_event_type_name(int type);
/* "Booted", "Destroyed", ... for a lifecycle event's detail; "unknown" if not known. */
const char *modvirt_domain_event_detail_name(int type, int detail);

/* ---- events ---- */

/* Subscribes CONN to the lifecycle and reboot events of every domain; FN
 * runs for each (with OPAQUE) inside modvirt_domain_events_process() or any
 * other call on the same daemon connection.  One subscription per
 * connection: -EBUSY if there is one.  If the daemon connection is lost the
 * subscription is gone; process then fails with -ENOTCONN. */
int modvirt_domain_events_register(modvirt_conn *conn, modvirt_domain_event_fn fn, void *opaque,
                                   modvirt_error **err);

/* Ends the subscription (telling the daemon); 0 also if there was none. */
int modvirt_domain_events_deregister(modvirt_conn *conn, modvirt_error **err);

/* The descriptor to poll() for readability before calling
 * modvirt_domain_events_process(), or -1 without a subscription. */
int modvirt_domain_events_fd(modvirt_conn *conn);

/* Reads what the daemon sent, waiting up to TIMEOUT_MS (< 0: forever) for
 * something to arrive, and runs the callback for each event.  Returns the
 * number of events delivered; -ENOTCONN once the connection is lost, -EINVAL
 * without a subscription. */
int modvirt_domain_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err);

/* ---- consoles ---- */

/* Opens the console DEVNAME of a running domain (NULL: the first console or
 * serial port) as a stream; FN receives the output (see modvirt_console_fn),
 * inside modvirt_domain_console_process() or any other call on the same
 * daemon connection.  FLAGS: modvirt_domain_console_flags. */
int modvirt_domain_console_open(modvirt_domain *dom, const char *devname, unsigned int flags,
                                modvirt_console_fn fn, void *opaque, modvirt_console **con,
                                modvirt_error **err);

/* Sends LEN bytes of input to the guest. */
int modvirt_domain_console_send(modvirt_console *con, const void *data, size_t len,
                                modvirt_error **err);

/* The descriptor to poll() for readability before calling
 * modvirt_domain_console_process(). */
int modvirt_domain_console_fd(modvirt_console *con);

/* Reads what the daemon sent, waiting up to TIMEOUT_MS (< 0: forever), and
 * hands console output to the callback.  -ENOTCONN once the connection is lost. */
int modvirt_domain_console_process(modvirt_console *con, int timeout_ms, modvirt_error **err);

/* Ends the session cleanly (a stream finish, waiting for the daemon to
 * confirm; an abort if the console already failed) and frees CON, also on
 * failure.  NULL is fine. */
int modvirt_domain_console_close(modvirt_console *con, modvirt_error **err);

/* ---- networks ---- */

/* A handle on one virtual network of a connection (served by modvirt-netd):
 * its name and UUID.  The connection must outlive it; one thread at a time
 * may use a handle. */
typedef struct modvirt_network modvirt_network;

/* Filters for modvirt_conn_list_all_networks() (VIR_CONNECT_LIST_NETWORKS_*);
 * within a pair (active/inactive, ...) setting both or neither means either. */
enum modvirt_list_networks_flags {
    MODVIRT_LIST_NETWORKS_INACTIVE = 1 << 0,
    MODVIRT_LIST_NETWORKS_ACTIVE = 1 << 1,
    MODVIRT_LIST_NETWORKS_PERSISTENT = 1 << 2,
    MODVIRT_LIST_NETWORKS_TRANSIENT = 1 << 3,
    MODVIRT_LIST_NETWORKS_AUTOSTART = 1 << 4,
    MODVIRT_LIST_NETWORKS_NO_AUTOSTART = 1 << 5,
};

enum modvirt_network_define_flags {
    MODVIRT_NETWORK_DEFINE_VALIDATE = 1 << 0,   /* check the XML against the schema */
};

enum modvirt_network_xml_flags {
    MODVIRT_NETWORK_XML_INACTIVE = 1 << 0,      /* the persistent config, not the live one */
};

/* virNetworkUpdateCommand: what NETWORK_UPDATE does with the XML. */
enum modvirt_network_update_command {
    MODVIRT_NETWORK_UPDATE_COMMAND_MODIFY = 1,
    MODVIRT_NETWORK_UPDATE_COMMAND_DELETE = 2,
    MODVIRT_NETWORK_UPDATE_COMMAND_ADD_LAST = 3,
    MODVIRT_NETWORK_UPDATE_COMMAND_ADD_FIRST = 4,
};

/* virNetworkUpdateSection: which part of the network the XML is. */
enum modvirt_network_update_section {
    MODVIRT_NETWORK_SECTION_BRIDGE = 1,
    MODVIRT_NETWORK_SECTION_DOMAIN = 2,
    MODVIRT_NETWORK_SECTION_IP = 3,
    MODVIRT_NETWORK_SECTION_IP_DHCP_HOST = 4,
    MODVIRT_NETWORK_SECTION_IP_DHCP_RANGE = 5,
    MODVIRT_NETWORK_SECTION_FORWARD = 6,
    MODVIRT_NETWORK_SECTION_FORWARD_INTERFACE = 7,
    MODVIRT_NETWORK_SECTION_FORWARD_PF = 8,
    MODVIRT_NETWORK_SECTION_PORTGROUP = 9,
    MODVIRT_NETWORK_SECTION_DNS_HOST = 10,
    MODVIRT_NETWORK_SECTION_DNS_TXT = 11,
    MODVIRT_NETWORK_SECTION_DNS_SRV = 12,
};

/* virNetworkUpdateFlags: which definition an update changes (0: the live
 * one of a running network, else the persistent one). */
enum modvirt_network_update_flags {
    MODVIRT_NETWORK_UPDATE_AFFECT_CURRENT = 0,
    MODVIRT_NETWORK_UPDATE_AFFECT_LIVE = 1 << 0,
    MODVIRT_NETWORK_UPDATE_AFFECT_CONFIG = 1 << 1,
};

/* virIPAddrType: a lease's address family. */
enum modvirt_ip_addr_type {
    MODVIRT_IP_ADDR_TYPE_IPV4 = 0,
    MODVIRT_IP_ADDR_TYPE_IPV6 = 1,
};

/* One DHCP lease of a network, as GET_DHCP_LEASES reports it.  Strings the
 * daemon did not know are NULL. */
typedef struct modvirt_network_dhcp_lease {
    char *iface;                /* the network's bridge */
    int64_t expiry_time;        /* seconds since the epoch; 0 for an infinite lease */
    int type;                   /* enum modvirt_ip_addr_type */
    char *mac;                  /* IPv4 leases; may be NULL for IPv6 */
    char *iaid;                 /* IPv6 only */
    char *ipaddr;
    unsigned int prefix;
    char *hostname;
    char *clientid;             /* client id (IPv4) or DUID (IPv6) */
} modvirt_network_dhcp_lease;

/* Every network matching FLAGS (0: all): *NETS (malloc'd, *N handles, NULL
 * when empty) is freed with modvirt_network_list_free(). */
int modvirt_conn_list_all_networks(modvirt_conn *conn, unsigned int flags,
                                   modvirt_network ***nets, size_t *n, modvirt_error **err);

/* Frees LIST and its N handles; NULL is fine. */
void modvirt_network_list_free(modvirt_network **list, size_t n);

/* The network KEY names: as a UUID if it parses as one, then as a name (as
 * virsh does).  Only "no such network" moves on to the name; if both fail,
 * the name lookup's error. */
int modvirt_network_lookup(modvirt_conn *conn, const char *key, modvirt_network **net,
                           modvirt_error **err);
int modvirt_network_lookup_by_name(modvirt_conn *conn, const char *name, modvirt_network **net,
                                   modvirt_error **err);
int modvirt_network_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                   modvirt_network **net, modvirt_error **err);

/* Frees a handle (the network is not touched); NULL is fine. */
void modvirt_network_free(modvirt_network *net);

/* The name; valid as long as NET. */
const char *modvirt_network_get_name(const modvirt_network *net);
/* The 16-byte UUID; valid as long as NET. */
const unsigned char *modvirt_network_get_uuid(const modvirt_network *net);
/* The UUID in dashed lowercase form in BUF; returns BUF. */
const char *modvirt_network_get_uuid_string(const modvirt_network *net, char buf[37]);

/* Defines (or redefines) a persistent network from XML; *NET is its handle.
 * FLAGS: modvirt_network_define_flags. */
int modvirt_network_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                               modvirt_network **net, modvirt_error **err);

/* Creates and starts a transient network from XML; FLAGS as for define. */
int modvirt_network_create_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                               modvirt_network **net, modvirt_error **err);

/* Removes the persistent config (a running network goes on, transient). */
int modvirt_network_undefine(modvirt_network *net, modvirt_error **err);

/* Starts a defined, inactive network (NETWORK_CREATE). */
int modvirt_network_start(modvirt_network *net, modvirt_error **err);

/* Stops a running network; a transient one is gone afterwards. */
int modvirt_network_destroy(modvirt_network *net, modvirt_error **err);

/* The network XML; *XML is malloc'd.  FLAGS: modvirt_network_xml_flags. */
int modvirt_network_get_xml(modvirt_network *net, unsigned int flags, char **xml,
                            modvirt_error **err);

/* The name of the network's bridge; *BRIDGE is malloc'd. */
int modvirt_network_get_bridge_name(modvirt_network *net, char **bridge, modvirt_error **err);

/* *AUTOSTART is 1 if the network starts with the daemon, else 0. */
int modvirt_network_get_autostart(modvirt_network *net, int *autostart, modvirt_error **err);
int modvirt_network_set_autostart(modvirt_network *net, int autostart, modvirt_error **err);

/* *ACTIVE is 1 while the network runs, else 0. */
int modvirt_network_is_active(modvirt_network *net, int *active, modvirt_error **err);

/* *PERSISTENT is 1 if the network has a persistent config, else 0. */
int modvirt_network_is_persistent(modvirt_network *net, int *persistent, modvirt_error **err);

/* Changes one SECTION of the network (enum modvirt_network_update_section)
 * with COMMAND (enum modvirt_network_update_command) and the element XML;
 * PARENT_INDEX picks the <ip> element for the ip-* sections (-1: the first
 * that fits).  FLAGS: modvirt_network_update_flags. */
int modvirt_network_update(modvirt_network *net, unsigned int command, unsigned int section,
                           int parent_index, const char *xml, unsigned int flags,
                           modvirt_error **err);

/* The DHCP leases of a running network, only those of MAC if not NULL:
 * *LEASES (malloc'd, *N entries, NULL when empty) is freed with
 * modvirt_network_dhcp_lease_list_free(). */
int modvirt_network_get_dhcp_leases(modvirt_network *net, const char *mac,
                                    modvirt_network_dhcp_lease **leases, size_t *n,
                                    modvirt_error **err);

/* Frees LIST and its N leases' strings; NULL is fine. */
void modvirt_network_dhcp_lease_list_free(modvirt_network_dhcp_lease *list, size_t n);

/* ---- network names, in virsh net-update's words ---- */

/* "add" (= "add-last"), "add-last", "add-first", "delete", "modify" as enum
 * modvirt_network_update_command; -1 for any other word. */
int modvirt_network_update_command_from_name(const char *name);
/* "bridge", "domain", "ip", "ip-dhcp-host", "ip-dhcp-range", "forward",
 * "forward-interface", "forward-pf", "portgroup", "dns-host", "dns-txt",
 * "dns-srv" as enum modvirt_network_update_section; -1 for any other word. */
int modvirt_network_update_section_from_name(const char *name);

/* ---- network events ---- */

/* virNetworkEventLifecycleType. */
enum modvirt_network_event_type {
    MODVIRT_NETWORK_EVENT_DEFINED = 0,
    MODVIRT_NETWORK_EVENT_UNDEFINED = 1,
    MODVIRT_NETWORK_EVENT_STARTED = 2,
    MODVIRT_NETWORK_EVENT_STOPPED = 3,
};

/* One network lifecycle event as the callback sees it; valid only during
 * the callback. */
typedef struct modvirt_network_event {
    const char *name;
    unsigned char uuid[16];
    int type;                   /* enum modvirt_network_event_type */
    int detail;                 /* always 0 in libvirt 9.0 */
} modvirt_network_event;

typedef void (*modvirt_network_event_fn)(modvirt_conn *conn, const modvirt_network_event *ev,
                                         void *opaque);

/* Subscribes CONN to the lifecycle events of every network (on netd's
 * connection); FN runs for each inside modvirt_network_events_process() or
 * any other call on that connection.  One subscription per connection:
 * -EBUSY if there is one.  If the connection is lost so is the
 * subscription; process then fails with -ENOTCONN. */
int modvirt_network_events_register(modvirt_conn *conn, modvirt_network_event_fn fn, void *opaque,
                                    modvirt_error **err);

/* Ends the subscription (telling the daemon); 0 also if there was none. */
int modvirt_network_events_deregister(modvirt_conn *conn, modvirt_error **err);

/* The descriptor to poll() before modvirt_network_events_process(), or -1
 * without a subscription. */
int modvirt_network_events_fd(modvirt_conn *conn);

/* As modvirt_domain_events_process(), for the network subscription. */
int modvirt_network_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err);

/* "Defined", "Undefined", "Started", "Stopped" as virsh net-event words
 * them; "unknown" for other values. */
const char *modvirt_network_event_type_name(int type);

/* ---- storage pools and volumes (served by modvirt-storaged) ---- */

/* Handles on one storage pool / one volume of a connection, as the wire
 * names them (pool: name and UUID; volume: pool name, name and key).  The
 * connection must outlive them; one thread at a time may use a handle. */
typedef struct modvirt_storage_pool modvirt_storage_pool;
typedef struct modvirt_storage_vol modvirt_storage_vol;

/* Filters for modvirt_conn_list_all_storage_pools() (VIR_CONNECT_LIST_STORAGE_POOLS_*);
 * 0 lists every pool. */
enum modvirt_list_pools_flags {
    MODVIRT_LIST_POOLS_INACTIVE = 1 << 0,
    MODVIRT_LIST_POOLS_ACTIVE = 1 << 1,
    MODVIRT_LIST_POOLS_PERSISTENT = 1 << 2,
    MODVIRT_LIST_POOLS_TRANSIENT = 1 << 3,
    MODVIRT_LIST_POOLS_AUTOSTART = 1 << 4,
    MODVIRT_LIST_POOLS_NO_AUTOSTART = 1 << 5,
};

/* virStoragePoolState. */
enum modvirt_storage_pool_state {
    MODVIRT_POOL_INACTIVE = 0,
    MODVIRT_POOL_BUILDING = 1,
    MODVIRT_POOL_RUNNING = 2,
    MODVIRT_POOL_DEGRADED = 3,
    MODVIRT_POOL_INACCESSIBLE = 4,
};

/* virStoragePoolBuildFlags: how pool-build treats what is already there. */
enum modvirt_pool_build_flags {
    MODVIRT_POOL_BUILD_NO_OVERWRITE = 1 << 2,
    MODVIRT_POOL_BUILD_OVERWRITE = 1 << 3,
};

/* virStorageVolType. */
enum modvirt_storage_vol_type {
    MODVIRT_VOL_FILE = 0,
    MODVIRT_VOL_BLOCK = 1,
    MODVIRT_VOL_DIR = 2,
    MODVIRT_VOL_NETWORK = 3,
    MODVIRT_VOL_NETDIR = 4,
    MODVIRT_VOL_PLOOP = 5,
};

/* virStorageVolResizeFlags. */
enum modvirt_vol_resize_flags {
    MODVIRT_VOL_RESIZE_ALLOCATE = 1 << 0,
    MODVIRT_VOL_RESIZE_DELTA = 1 << 1,
    MODVIRT_VOL_RESIZE_SHRINK = 1 << 2,
};

/* What STORAGE_POOL_GET_INFO reports; sizes in bytes. */
typedef struct modvirt_storage_pool_info {
    int state;                  /* enum modvirt_storage_pool_state */
    uint64_t capacity, allocation, available;
} modvirt_storage_pool_info;

/* What STORAGE_VOL_GET_INFO reports; sizes in bytes. */
typedef struct modvirt_storage_vol_info {
    int type;                   /* enum modvirt_storage_vol_type */
    uint64_t capacity, allocation;
} modvirt_storage_vol_info;

/* Every pool matching FLAGS (0: all); *POOLS (malloc'd, *N handles, NULL
 * when empty) is freed with modvirt_storage_pool_list_free(). */
int modvirt_conn_list_all_storage_pools(modvirt_conn *conn, unsigned int flags,
                                        modvirt_storage_pool ***pools, size_t *n,
                                        modvirt_error **err);
void modvirt_storage_pool_list_free(modvirt_storage_pool **list, size_t n);

/* The pool KEY names: as a UUID if it parses as one, then as a name (as
 * virsh does); only "no such pool" moves on to the name. */
int modvirt_storage_pool_lookup(modvirt_conn *conn, const char *key, modvirt_storage_pool **pool,
                                modvirt_error **err);
int modvirt_storage_pool_lookup_by_name(modvirt_conn *conn, const char *name,
                                        modvirt_storage_pool **pool, modvirt_error **err);
int modvirt_storage_pool_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                        modvirt_storage_pool **pool, modvirt_error **err);

/* Frees a handle (the pool is not touched); NULL is fine. */
void modvirt_storage_pool_free(modvirt_storage_pool *pool);
const char *modvirt_storage_pool_get_name(const modvirt_storage_pool *pool);
const unsigned char *modvirt_storage_pool_get_uuid(const modvirt_storage_pool *pool);
const char *modvirt_storage_pool_get_uuid_string(const modvirt_storage_pool *pool, char buf[37]);

/* Defines (or redefines) a persistent pool from XML; *POOL is its handle. */
int modvirt_storage_pool_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                                    modvirt_storage_pool **pool, modvirt_error **err);
/* Creates what the pool stands on (directory, filesystem); FLAGS:
 * modvirt_pool_build_flags. */
int modvirt_storage_pool_build(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err);
/* Starts a defined, inactive pool (STORAGE_POOL_CREATE). */
int modvirt_storage_pool_start(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err);
int modvirt_storage_pool_destroy(modvirt_storage_pool *pool, modvirt_error **err);
/* Removes what build created (the pool must be inactive). */
int modvirt_storage_pool_delete(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err);
int modvirt_storage_pool_undefine(modvirt_storage_pool *pool, modvirt_error **err);
int modvirt_storage_pool_refresh(modvirt_storage_pool *pool, unsigned int flags, modvirt_error **err);
int modvirt_storage_pool_get_info(modvirt_storage_pool *pool, modvirt_storage_pool_info *info,
                                  modvirt_error **err);
/* The pool XML; *XML is malloc'd.  FLAGS: 1 for the inactive definition. */
int modvirt_storage_pool_get_xml(modvirt_storage_pool *pool, unsigned int flags, char **xml,
                                 modvirt_error **err);
int modvirt_storage_pool_get_autostart(modvirt_storage_pool *pool, int *autostart,
                                       modvirt_error **err);
int modvirt_storage_pool_set_autostart(modvirt_storage_pool *pool, int autostart,
                                       modvirt_error **err);
int modvirt_storage_pool_is_active(modvirt_storage_pool *pool, int *active, modvirt_error **err);
int modvirt_storage_pool_is_persistent(modvirt_storage_pool *pool, int *persistent,
                                       modvirt_error **err);

/* Every volume of POOL; *VOLS (malloc'd, *N handles, NULL when empty) is
 * freed with modvirt_storage_vol_list_free(). */
int modvirt_storage_pool_list_all_volumes(modvirt_storage_pool *pool, modvirt_storage_vol ***vols,
                                          size_t *n, modvirt_error **err);
void modvirt_storage_vol_list_free(modvirt_storage_vol **list, size_t n);

/* The volume NAME of POOL; by key; by path. */
int modvirt_storage_vol_lookup_by_name(modvirt_storage_pool *pool, const char *name,
                                       modvirt_storage_vol **vol, modvirt_error **err);
int modvirt_storage_vol_lookup_by_key(modvirt_conn *conn, const char *key,
                                      modvirt_storage_vol **vol, modvirt_error **err);
int modvirt_storage_vol_lookup_by_path(modvirt_conn *conn, const char *path,
                                       modvirt_storage_vol **vol, modvirt_error **err);

void modvirt_storage_vol_free(modvirt_storage_vol *vol);
const char *modvirt_storage_vol_get_name(const modvirt_storage_vol *vol);
const char *modvirt_storage_vol_get_key(const modvirt_storage_vol *vol);
const char *modvirt_storage_vol_get_pool_name(const modvirt_storage_vol *vol);

/* Creates a volume in POOL from XML; *VOL is its handle. */
int modvirt_storage_vol_create_xml(modvirt_storage_pool *pool, const char *xml, unsigned int flags,
                                   modvirt_storage_vol **vol, modvirt_error **err);
/* Creates a volume in POOL from XML with the content of FROM (vol-clone). */
int modvirt_storage_vol_create_xml_from(modvirt_storage_pool *pool, const char *xml,
                                        modvirt_storage_vol *from, unsigned int flags,
                                        modvirt_storage_vol **vol, modvirt_error **err);
int modvirt_storage_vol_delete(modvirt_storage_vol *vol, unsigned int flags, modvirt_error **err);
/* Overwrites the volume's data with zeros. */
int modvirt_storage_vol_wipe(modvirt_storage_vol *vol, unsigned int flags, modvirt_error **err);
/* New CAPACITY in bytes; FLAGS: modvirt_vol_resize_flags. */
int modvirt_storage_vol_resize(modvirt_storage_vol *vol, uint64_t capacity, unsigned int flags,
                               modvirt_error **err);
int modvirt_storage_vol_get_info(modvirt_storage_vol *vol, modvirt_storage_vol_info *info,
                                 modvirt_error **err);
/* The volume XML / path; malloc'd. */
int modvirt_storage_vol_get_xml(modvirt_storage_vol *vol, char **xml, modvirt_error **err);
int modvirt_storage_vol_get_path(modvirt_storage_vol *vol, char **path, modvirt_error **err);

/* "file", "block", "dir", "network", "netdir", "ploop" as virsh words
 * volume types; "unknown" for others. */
const char *modvirt_storage_vol_type_name(int type);
/* "inactive", "building", "running", "degraded", "inaccessible"; "unknown". */
const char *modvirt_storage_pool_state_name(int state);

/* ---- volume upload and download (storaged streams) ---- */

enum modvirt_vol_transfer_flags {
    /* holes travel as holes (wire-protocol.md 7.3): a mostly empty image
     * moves in about the time of its data, and stays sparse on arrival */
    MODVIRT_VOL_TRANSFER_SPARSE = 1 << 0,
};

/* Progress of a transfer: DONE bytes of the stream so far (holes count),
 * of TOTAL (0 if not known).  Called often; a display should throttle. */
typedef void (*modvirt_progress_fn)(uint64_t done, uint64_t total, void *opaque);

/* Uploads into volume VOL the bytes of FD from its current
 * position: LENGTH bytes, or to its end if LENGTH is 0, written at OFFSET
 * of the volume (0 and 0: the whole volume).  With
 * MODVIRT_VOL_TRANSFER_SPARSE a regular file's holes are sent as holes.
 * The daemon replaces the volume only once all of it arrived: on any
 * failure the volume is unchanged.  A raw volume refuses data past its
 * capacity (-EIO, "...goes past the volume's capacity..."). */
int modvirt_storage_vol_upload(modvirt_storage_vol *vol, int fd, uint64_t offset, uint64_t length,
                               unsigned int flags, modvirt_progress_fn progress, void *opaque,
                               modvirt_error **err);

/* Downloads LENGTH bytes (0: to the end) of volume VOL from
 * OFFSET into FD at its current position.  With
 * MODVIRT_VOL_TRANSFER_SPARSE holes are skipped with lseek() in a
 * regular file (which is then extended to its full size), written as
 * zeros elsewhere. */
int modvirt_storage_vol_download(modvirt_storage_vol *vol, int fd, uint64_t offset, uint64_t length,
                                 unsigned int flags, modvirt_progress_fn progress, void *opaque,
                                 modvirt_error **err);

/* ---- node devices (served by modvirt-nodedevd) ---- */

/* Host devices are named as libvirt names them ("computer",
 * "pci_0000_00_1f_2", "net_eth0_52_54_00_12_34_56", "block_vda"); the wire
 * names a device by that string alone, so every call here takes the name
 * and no handle is needed.  Names handed out are malloc'd; lists of them
 * are NULL-terminated arrays freed with modvirt_string_list_free(). */

/* virNodeDevCapType: what a device is; a device may have several. */
enum modvirt_node_device_cap {
    MODVIRT_NODE_DEVICE_CAP_SYSTEM = 0,
    MODVIRT_NODE_DEVICE_CAP_PCI_DEV = 1,
    MODVIRT_NODE_DEVICE_CAP_USB_DEV = 2,
    MODVIRT_NODE_DEVICE_CAP_USB_INTERFACE = 3,
    MODVIRT_NODE_DEVICE_CAP_NET = 4,
    MODVIRT_NODE_DEVICE_CAP_SCSI_HOST = 5,
    MODVIRT_NODE_DEVICE_CAP_SCSI_TARGET = 6,
    MODVIRT_NODE_DEVICE_CAP_SCSI = 7,
    MODVIRT_NODE_DEVICE_CAP_STORAGE = 8,
    MODVIRT_NODE_DEVICE_CAP_FC_HOST = 9,
    MODVIRT_NODE_DEVICE_CAP_VPORTS = 10,
    MODVIRT_NODE_DEVICE_CAP_SCSI_GENERIC = 11,
    MODVIRT_NODE_DEVICE_CAP_DRM = 12,
    MODVIRT_NODE_DEVICE_CAP_MDEV_TYPES = 13,
    MODVIRT_NODE_DEVICE_CAP_MDEV = 14,
    MODVIRT_NODE_DEVICE_CAP_CCW_DEV = 15,
    MODVIRT_NODE_DEVICE_CAP_CSS_DEV = 16,
    MODVIRT_NODE_DEVICE_CAP_VDPA = 17,
    MODVIRT_NODE_DEVICE_CAP_AP_CARD = 18,
    MODVIRT_NODE_DEVICE_CAP_AP_QUEUE = 19,
    MODVIRT_NODE_DEVICE_CAP_AP_MATRIX = 20,
    MODVIRT_NODE_DEVICE_CAP_VPD = 21,
};

/* Filters for modvirt_conn_list_all_node_devices()
 * (VIR_CONNECT_LIST_NODE_DEVICES_*): MODVIRT_LIST_NODE_DEVICES_CAP(c) for
 * each wanted capability (none: any), and the state bits (neither or both:
 * either state). */
#define MODVIRT_LIST_NODE_DEVICES_CAP(cap) (1u << (cap))
enum modvirt_list_node_devices_flags {
    MODVIRT_LIST_NODE_DEVICES_INACTIVE = 1u << 30,      /* defined mdevs not started */
    MODVIRT_LIST_NODE_DEVICES_ACTIVE = 1u << 31,
};

/* The names of every device matching FLAGS (0: all), sorted by name:
 * *NAMES (malloc'd, NULL-terminated, *N names) is freed with
 * modvirt_string_list_free(). */
int modvirt_conn_list_all_node_devices(modvirt_conn *conn, unsigned int flags, char ***names,
                                       size_t *n, modvirt_error **err);

/* 0 if device NAME exists; -EIO with code 53 (NO_NODE_DEVICE) if not. */
int modvirt_node_device_lookup(modvirt_conn *conn, const char *name, modvirt_error **err);

/* The scsi_host device with fibre channel names WWNN and WWPN; *NAME is malloc'd. */
int modvirt_node_device_lookup_scsi_host_by_wwn(modvirt_conn *conn, const char *wwnn,
                                                const char *wwpn, char **name,
                                                modvirt_error **err);

/* The device XML (libvirt's nodedev format); *XML is malloc'd.  FLAGS: 0. */
int modvirt_node_device_get_xml(modvirt_conn *conn, const char *name, unsigned int flags,
                                char **xml, modvirt_error **err);

/* The parent's name (malloc'd), or NULL for the root device "computer". */
int modvirt_node_device_get_parent(modvirt_conn *conn, const char *name, char **parent,
                                   modvirt_error **err);

/* The device's capability names ("pci", "net", ...), NULL-terminated,
 * freed with modvirt_string_list_free(). */
int modvirt_node_device_list_caps(modvirt_conn *conn, const char *name, char ***caps,
                                  modvirt_error **err);

/* *ACTIVE is 1 for a device that exists now (0: a defined mdev not started). */
int modvirt_node_device_is_active(modvirt_conn *conn, const char *name, int *active,
                                  modvirt_error **err);
/* *PERSISTENT is 1 for a device with a definition that outlives it. */
int modvirt_node_device_is_persistent(modvirt_conn *conn, const char *name, int *persistent,
                                      modvirt_error **err);
/* *AUTOSTART is 1 for a defined mdev started with the daemon. */
int modvirt_node_device_get_autostart(modvirt_conn *conn, const char *name, int *autostart,
                                      modvirt_error **err);

/* Detaches PCI device NAME from its host driver for passthrough, binding
 * it to DRIVER ("vfio"; NULL: the daemon's default, vfio).  As virsh does,
 * without DRIVER and FLAGS this is the old NODE_DEVICE_DETTACH call, else
 * NODE_DEVICE_DETACH_FLAGS.  FLAGS: 0. */
int modvirt_node_device_detach(modvirt_conn *conn, const char *name, const char *driver,
                               unsigned int flags, modvirt_error **err);
/* Gives a detached PCI device back to the driver it had. */
int modvirt_node_device_reattach(modvirt_conn *conn, const char *name, modvirt_error **err);
/* Resets a detached PCI device (function or bus reset). */
int modvirt_node_device_reset(modvirt_conn *conn, const char *name, modvirt_error **err);

/* The capability CAP's name as the XML and virsh --cap write it ("pci",
 * "usb_device", "scsi_host", ...); NULL for values it does not know. */
const char *modvirt_node_device_cap_name(int cap);
/* The enum modvirt_node_device_cap for NAME; -1 for any other word. */
int modvirt_node_device_cap_from_name(const char *name);

/* ---- node device events ---- */

/* virNodeDeviceEventID: what a subscription delivers. */
enum modvirt_node_device_event_id {
    MODVIRT_NODE_DEVICE_EVENT_ID_LIFECYCLE = 0,
    MODVIRT_NODE_DEVICE_EVENT_ID_UPDATE = 1,
};

/* virNodeDeviceEventLifecycleType. */
enum modvirt_node_device_event_type {
    MODVIRT_NODE_DEVICE_EVENT_CREATED = 0,
    MODVIRT_NODE_DEVICE_EVENT_DELETED = 1,
    MODVIRT_NODE_DEVICE_EVENT_DEFINED = 2,
    MODVIRT_NODE_DEVICE_EVENT_UNDEFINED = 3,
};

/* One event as the callback sees it; valid only during the callback. */
typedef struct modvirt_node_device_event {
    int event_id;               /* enum modvirt_node_device_event_id */
    const char *name;           /* the device */
    int type;                   /* lifecycle: enum modvirt_node_device_event_type; else 0 */
    int detail;                 /* lifecycle: always 0 in libvirt 9.0; else 0 */
} modvirt_node_device_event;

typedef void (*modvirt_node_device_event_fn)(modvirt_conn *conn, const modvirt_node_device_event *ev,
                                             void *opaque);

/* Subscribes CONN to the lifecycle and update events of every node device
 * (on nodedevd's connection); FN runs for each inside
 * modvirt_node_device_events_process() or any other call on that
 * connection.  One subscription per connection: -EBUSY if there is one.
 * If the connection is lost so is the subscription; process then fails
 * with -ENOTCONN. */
int modvirt_node_device_events_register(modvirt_conn *conn, modvirt_node_device_event_fn fn,
                                        void *opaque, modvirt_error **err);
/* Ends the subscription (telling the daemon); 0 also if there was none. */
int modvirt_node_device_events_deregister(modvirt_conn *conn, modvirt_error **err);
/* The descriptor to poll() before modvirt_node_device_events_process(), or
 * -1 without a subscription. */
int modvirt_node_device_events_fd(modvirt_conn *conn);
/* As modvirt_domain_events_process(), for the node device subscription. */
int modvirt_node_device_events_process(modvirt_conn *conn, int timeout_ms, modvirt_error **err);

/* "Created", "Deleted", "Defined", "Undefined" as virsh nodedev-event words
 * them; "unknown" for other values. */
const char *modvirt_node_device_event_type_name(int type);

#ifdef __cplusplus
}
#endif
