/*
 * Networks as netd holds them: a reference-counted object per network with
 * its persistent and live definitions, run state, dnsmasq and ports, in a
 * registry by name and UUID (common/object.h, registry.h, job.h).
 *
 * Locking as for domains (qemud/domain_obj.h): net->lock guards the fields
 * for short non-blocking work; start, destroy, update and port changes hold
 * the network's job.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "network_def.h"
#include "object.h"
#include "port_def.h"

/* A guest NIC plugged into a network (NETWORK_PORT_*): owned by the network
 * object, persisted under <rundir>/network/ports/UUID.xml while active. */
struct netd_port {
    struct mv_port_def *def;        /* uuid, owner, mac, plug */
    char uuid_str[MV_UUID_STRING_LEN];
};

struct netd_net {
    /* refs, lock, job_cond, name, uuid, uuid_str, id, job, removed */
    MV_OBJ_EMBED;

    struct mv_net_def *def;         /* persistent definition; NULL if transient */
    struct mv_net_def *live;        /* running definition; NULL while inactive */
    struct mv_net_def *next;        /* config for the next start while active, or NULL */
    bool active;
    bool autostart;
    pid_t dnsmasq_pid;              /* 0: none */
    void *dnsmasq_watch;            /* the sd-event pidfd source (dnsmasq.c watch) */
    struct netd_port **ports;
    size_t nports;
};

extern const struct mv_obj_kind netd_net_kind;

/* The definition clients see: live if active, else persistent. */
const struct mv_net_def *netd_net_current(const struct netd_net *net);
