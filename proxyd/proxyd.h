/*
 * modvirt-proxyd's shared types: its settings, a client's session and its
 * upstream legs (one connection to one daemon per subsystem the client
 * uses).  Everything runs on the event loop thread.  See proxyd/README.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "proc_table.h"
#include "server.h"

/* Bytes queued for one leg before the client's socket stops being read. */
#define MV_PROXY_LEG_TX_MAX (4u * 1024 * 1024)
/* Calls one leg may have outstanding: the client's max_client_requests
 * bound its own calls, but the proxy's event re-registrations (up to the
 * 256 registrations a client may hold, replayed when the leg comes back)
 * share the table; this is its hard ceiling, above both together. */
#define MV_PROXY_LEG_PENDING_MAX 1024u

/* Streams one client may have open through the proxy (consoles,
 * transfers): far more than a client uses, a bound on what one holds. */
#define MV_PROXY_STREAMS_MAX 64u

/* The settings (main.c reads them; defaults from the paths). */
struct proxy_config {
    char *socket[MV_SUBSYS_COUNT];      /* a daemon's rw socket; its ro one adds "-ro" */
    unsigned int upstream_timeout;      /* seconds for a handshake or a probe's answer */
    sd_event *event;                    /* the daemon's loop (borrowed) */
};

extern struct proxy_config proxy_config;

/* "qemud", "netd", "storaged", "nodedevd"; NULL for MV_SUBSYS_CONNECT. */
const char *proxy_daemon_name(enum mv_subsystem s);

/* One call forwarded on a leg and not answered yet. */
struct proxy_pending {
    uint32_t up_serial;                 /* the leg's serial */
    uint32_t client_serial;             /* the client's serial (0 for the proxy's own) */
    uint32_t prog;                      /* the call's program (remote, qemu) */
    int proc;
    unsigned int flags;                 /* the procedure's MV_PROC_* flags */
    bool own;                           /* the proxy's own call (handshake, replay): no client reply */
    int token;                          /* of an own call: what its sender asked back */
};

struct proxy_session;
struct upstream;
