/*
 * Networks as netd holds them: a reference-counted object per network with
 * its persistent and live definitions, run state, dnsmasq and ports, in a
 * registry by name and UUID (common/object.h, registry.h, job.h).
 *
 * Locking as for domains (qemud/domain_obj.h): net->lock guards the fields
 * for short non-blocking work; start, destroy, update and port changes hold
 * the network's job.  Definitions are not reference counted: a writer (with
 * the job) swaps the pointer under the lock and frees the old one, so a
 * reader formats or copies a definition while it holds the lock.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "network_def.h"
#include "object.h"
#include "port_def.h"
#include "server.h"

/* A guest NIC plugged into a network (NETWORK_PORT_*): owned by the network
 * object, persisted under <rundir>/network/ports/UUID.xml while active. */
struct netd_port {
    struct mv_port_def *def;        /* uuid, owner, mac, plug */
    char uuid_str[MV_UUID_STRING_LEN];
};

struct netd_net {
    /* refs, lock, job_cond, name, uuid, uuid_str, id, job, removed */
    MV_OBJ_EMBED;

    struct mv_net_def *def;         /* persistent definition (what the next start runs); NULL if transient */
    struct mv_net_def *live;        /* running definition; NULL while inactive */
    bool active;
    bool autostart;
    pid_t dnsmasq_pid;              /* 0: none */
    uint64_t dnsmasq_watch;         /* network_watch.c: fires when dnsmasq exits; 0 none */
    unsigned int dnsmasq_restarts;  /* restarts in the current window (network_start.c) */
    long long dnsmasq_window_ms;    /* when that window began (mv_now_ms) */
    /* The bridge a create is starting NET on, before NET has a live
     * definition: taken for the other networks' bridge names meanwhile
     * (network_life_procs.c), so no lock is held through the start. */
    char *starting_bridge;
    struct netd_port **ports;
    size_t nports;
};

extern const struct mv_obj_kind netd_net_kind;

/* The network embedding OBJ (an object of netd_net_kind). */
static inline struct netd_net *netd_net_of(struct mv_obj *obj) { return (struct netd_net *)obj; }

struct netd_net *netd_net_ref(struct netd_net *net);
void netd_net_unref(struct netd_net *net);   /* NULL is fine */
MV_DEFINE_CLEANUP(struct netd_net, netd_net_unref)
#define _cleanup_net_unref_ _cleanup_(netd_net_unrefp)

/* The definition clients see: live if active, else persistent.  Call with
 * net->lock held. */
const struct mv_net_def *netd_net_current(const struct netd_net *net);

/* Under net->lock: is NET active / the bridge its clients see. */
bool netd_net_is_active(struct netd_net *net);

/* Frees every port of NET and removes their status files (a destroy drops
 * the ports, as libvirt does).  Call with the job held, not the lock. */
void netd_net_drop_ports(struct netd_net *net);

/* ---- the registry (netd.networks) ---- */

int netd_registry_init(void);
void netd_registry_cleanup(void);

/* Creates a network object for NAME/UUID and adds it: 0 with *RET
 * referenced, LOCKED AND WITH ITS JOB TAKEN as JOB (see
 * mv_registry_add).  -EEXIST with *EXISTING (referenced) the holder of the
 * name or UUID; -ENOMEM. */
int netd_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                      struct netd_net **ret, struct netd_net **existing);
void netd_registry_remove(struct netd_net *net);
struct netd_net *netd_registry_find_name(const char *name);
struct netd_net *netd_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN]);
/* A referenced snapshot of every network in order of definition. */
int netd_registry_list(struct netd_net ***nets, size_t *n);
void netd_net_list_free(struct netd_net **nets, size_t n);
/* True if any network is active (keeps netd from exiting idle). */
bool netd_registry_any_active(void);

/* ---- calls ---- */

/* The network a call names (by UUID, libvirt's rule), referenced; NULL with
 * the call's error "Network not found: no network with matching uuid 'U' (NAME)". */
struct netd_net *netd_net_from_wire(struct mv_call *call, const mv_nonnull_network *wire);
/* Fills WIRE (name copied).  0 or -ENOMEM. */
int netd_net_to_wire(const struct netd_net *net, mv_nonnull_network *wire);

/* NET's job for JOB, waiting netd.job_wait_ms: 0, or -errno with ERR set
 * (busy: OPERATION_TIMEOUT; removed meanwhile: NO_NETWORK). */
int netd_job_begin(struct netd_net *net, const char *job, struct mv_err *err);
void netd_job_end(struct netd_net *net);
/* Hands ERR to CALL (and clears it); returns -EIO. */
int netd_call_fail(struct mv_call *call, struct mv_err *err);

/* The errors every procedure uses (code 55, domain 19). */
int netd_error_active(struct mv_err *err, const struct netd_net *net);
int netd_error_inactive(struct mv_err *err, const struct netd_net *net);
