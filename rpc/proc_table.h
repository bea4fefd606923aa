/*
 * What every remote procedure is, in one table shared by the daemons, the
 * proxy and libmodvirt: which subsystem serves it, whether a read-only
 * connection may call it, whether it may come before authentication or
 * before CONNECT_OPEN, where its handler runs and how its arguments and
 * reply are encoded.  The table is generated from the annotations in
 * remote_protocol.x (rpc/gen-procs.awk); handlers live with the daemons.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "remote_protocol.h"

enum mv_subsystem {
    MV_SUBSYS_CONNECT,      /* connection level: every daemon answers it */
    MV_SUBSYS_QEMU,         /* hypervisor and host: modvirt-qemud */
    MV_SUBSYS_NETWORK,
    MV_SUBSYS_STORAGE,
    MV_SUBSYS_NODEDEV,
    MV_SUBSYS_COUNT,
};

enum mv_proc_flags {
    MV_PROC_READONLY_OK = 1 << 0,   /* allowed on read-only connections */
    MV_PROC_BEFORE_AUTH = 1 << 1,   /* allowed before authentication */
    MV_PROC_BEFORE_OPEN = 1 << 2,   /* allowed before CONNECT_OPEN */
    MV_PROC_INLINE = 1 << 3,        /* cheap, never blocks: the handler runs on the event loop */
    MV_PROC_STREAM = 1 << 4,        /* the call opens a stream */
    MV_PROC_MESSAGE = 1 << 5,       /* sent by the server (an event), never called */
    /* An event callback registration: its reply begins with the int
     * callbackID, as every event MESSAGE of a subsystem does (the proxy
     * keeps ids unique per client across daemons by rewriting them). */
    MV_PROC_EVENT_REGISTER = 1 << 6,
    MV_PROC_EVENT_DEREGISTER = 1 << 7,  /* its arguments begin with the callbackID */
};

struct mv_proc_info {
    int proc;
    const char *name;               /* "CONNECT_OPEN" */
    const char *api;                /* "virConnectOpen", named in denials; NULL for messages */
    enum mv_subsystem subsystem;
    unsigned int flags;             /* enum mv_proc_flags */
    /* the call's arguments (a message's payload) and reply; void: mv_xdr_void, 0 */
    xdrproc_t args_filter;
    size_t args_size;
    xdrproc_t ret_filter;
    size_t ret_size;
};

/* Generated (proc_facts.c), indexed by procedure number; use mv_proc_lookup(). */
extern const struct mv_proc_info mv_proc_facts[];
extern const size_t mv_proc_facts_len;

/* The facts about remote procedure PROC, or NULL if modvirt does not know it. */
const struct mv_proc_info *mv_proc_lookup(int proc);
/* The same for a procedure a client may call: NULL for a message only the
 * server sends (an event), which is no call. */
const struct mv_proc_info *mv_proc_call_lookup(int proc);
/* Name of a subsystem ("qemu", "network", ...). */
const char *mv_subsystem_name(enum mv_subsystem s);
/* The error domain a subsystem reports read-only denials under. */
int mv_subsystem_error_domain(enum mv_subsystem s);
/* The error domain a read-only denial of INFO's procedure comes from: its
 * subsystem's, except the secret driver's own (30) for the secret APIs
 * storaged serves beside pools and volumes, as libvirt's virtsecretd. */
int mv_proc_denial_domain(const struct mv_proc_info *info);
