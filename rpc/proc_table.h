/*
 * What every procedure is, in one table per program shared by the daemons,
 * the proxy and libmodvirt: which subsystem serves it, whether a read-only
 * connection may call it, whether it may come before authentication or
 * before CONNECT_OPEN, where its handler runs and how its arguments and
 * reply are encoded.  The programs are libvirt's remote program
 * (remote_protocol.x) and its QEMU program (qemu_protocol.x); the tables are
 * generated from the annotations in the .x files (rpc/gen-procs.awk);
 * handlers live with the daemons.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemu_protocol.h"
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
    uint32_t prog;                  /* the program: MV_REMOTE_PROGRAM, MV_QEMU_PROGRAM */
};

/* One program a libvirt client may speak to a daemon: its number and
 * version (the packet header's prog and vers) and its procedures. */
struct mv_program {
    uint32_t prog;
    uint32_t vers;
    const char *name;               /* "remote", "qemu" */
    const struct mv_proc_info *facts;   /* indexed by procedure number */
    size_t nfacts;
};

/* The most programs the generated table may hold (the server indexes its
 * handlers by program; proc_facts.c does not compile with more). */
#define MV_PROGRAMS_MAX 4

/* Generated (proc_facts.c), indexed by procedure number; use mv_proc_lookup(). */
extern const struct mv_proc_info mv_proc_facts[];
extern const size_t mv_proc_facts_len;
/* Every program modvirt knows, the remote program first (proc_facts.c). */
extern const struct mv_program mv_programs[];
extern const size_t mv_programs_len;

/* The program PROG, whatever its version; NULL if modvirt does not know it. */
const struct mv_program *mv_program_lookup(uint32_t prog);
/* Its position in mv_programs (< MV_PROGRAMS_MAX), or -1. */
int mv_program_index(uint32_t prog);
/* The facts about procedure PROC of program PROG, or NULL if modvirt does
 * not know it. */
const struct mv_proc_info *mv_program_proc_lookup(uint32_t prog, int proc);
/* The same for a procedure a client may call: NULL for a message only the
 * server sends (an event), which is no call. */
const struct mv_proc_info *mv_program_call_lookup(uint32_t prog, int proc);
/* The two above for the remote program. */
const struct mv_proc_info *mv_proc_lookup(int proc);
const struct mv_proc_info *mv_proc_call_lookup(int proc);
/* Name of a subsystem ("qemu", "network", ...). */
const char *mv_subsystem_name(enum mv_subsystem s);
/* The error domain a subsystem reports read-only denials under. */
int mv_subsystem_error_domain(enum mv_subsystem s);
/* The error domain a read-only denial of INFO's procedure comes from: its
 * subsystem's, except the secret driver's own (30) for the secret APIs
 * storaged serves beside pools and volumes, as libvirt's virtsecretd. */
int mv_proc_denial_domain(const struct mv_proc_info *info);
