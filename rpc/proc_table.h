/*
 * What every remote procedure is, in one table shared by the daemons, the
 * proxy and libmodvirt: which subsystem serves it, whether a read-only
 * connection may call it, and whether it may come before authentication or
 * before CONNECT_OPEN.  Handlers live with the daemons; this is only facts.
 */
#pragma once

#include <stdbool.h>

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
};

struct mv_proc_info {
    int proc;
    const char *name;               /* "CONNECT_OPEN" */
    const char *api;                /* "virConnectOpen", named in denials */
    enum mv_subsystem subsystem;
    unsigned int flags;             /* enum mv_proc_flags */
};

/* The facts about remote procedure PROC, or NULL if modvirt does not know it. */
const struct mv_proc_info *mv_proc_lookup(int proc);
/* Name of a subsystem ("qemu", "network", ...). */
const char *mv_subsystem_name(enum mv_subsystem s);
/* The error domain a subsystem reports read-only denials under. */
int mv_subsystem_error_domain(enum mv_subsystem s);
