/*
 * The QEMU guest agent of a running domain: a client on the unix socket of
 * its <channel> named org.qemu.guest_agent.0, served by the QMP thread
 * (qmp.h, MV_QMP_OPEN_AGENT: JSON lines, no greeting).
 *
 * Every command is preceded by guest-sync-delimited with a fresh number, so
 * an absent or hung agent fails fast (QEMUD_AGENT_SYNC_MS) and a stale answer
 * is never taken for the command's.  Agent calls take the agent's own lock
 * (libvirt's agent job), never the domain's job: a hung agent delays other
 * agent calls on its domain, bounded by the job wait, and nothing else.
 *
 * Lifetime: dom->agent (under dom->lock) holds a reference; qemud_agent_open
 * and qemud_agent_close are called with the domain's job held (start,
 * re-attach, stop).  A call in flight keeps its own reference; QEMU's exit
 * ends it (-ECONNRESET) and the socket is closed by the last reference.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "domain_obj.h"
#include "error.h"

/* The target name of the agent's channel. */
#define QEMUD_AGENT_CHANNEL "org.qemu.guest_agent.0"

/* virDomainAgentResponseTimeoutValues, and the values in seconds > 0. */
enum {
    QEMUD_AGENT_TIMEOUT_BLOCK = -2,     /* wait for as long as it takes */
    QEMUD_AGENT_TIMEOUT_DEFAULT = -1,   /* QEMUD_AGENT_DEFAULT_MS */
    QEMUD_AGENT_TIMEOUT_NOWAIT = 0,     /* send, do not wait for the answer */
};

/* How long guest-sync waits: an agent that does not answer this fast is
 * "not responding" (libvirt's 5 s). */
#define QEMUD_AGENT_SYNC_MS 5000
/* How long a command waits by default. */
#define QEMUD_AGENT_DEFAULT_MS 60000

/* Registers the VSERPORT_CHANGE handler (the guest opened or closed its end
 * of the channel); once, before the daemon serves. */
int qemud_agent_init(void);

/* Connects to the agent channel of DOM's live definition, if it has one.
 * REATTACH: a daemon restart (the guest side's state is asked of QEMU and
 * the AGENT_LIFECYCLE event says "unknown" rather than "domain started").
 * A failure is logged, never fatal: agent calls then say the agent is not
 * connected.  Job held, dom->lock not held; the monitor must be open. */
void qemud_agent_open(struct qemud_dom *dom, bool reattach);

/* Drops DOM's agent (job held, dom->lock not held).  NULL-safe. */
void qemud_agent_close(struct qemud_dom *dom);

/* The daemon is shutting down: fails every agent call in flight, even one
 * that waits forever (timeout -2), and any later one, so that the workers
 * running them can be joined before the QMP thread stops.  Agents opened
 * after it are failed at once.  From the main loop's exit. */
void qemud_agent_abort_all(void);

/* True if LIVE has an agent channel. */
bool qemud_agent_configured(const struct mv_dom_def *live);

/* Runs CMD with ARGS (may be NULL; taken over) on DOM's agent after a
 * guest-sync, waiting TIMEOUT (QEMUD_AGENT_TIMEOUT_* or seconds).  0 with
 * *REPLY its "return" value (may be NULL; REPLY may be NULL, and with
 * NOWAIT it stays NULL), or -errno with ERR: "argument unsupported: QEMU
 * guest agent is not configured", "Guest agent is not responding: ..."
 * (code 86: absent, hung, disconnected), "internal error: unable to execute
 * QEMU agent command 'x': <agent's words>".  NO_REPLY: CMD never answers
 * (guest-shutdown): 0 once it is sent after a good sync. */
int qemud_agent_run(struct qemud_dom *dom, const char *cmd, json_object *args, int timeout, bool no_reply,
                    json_object **reply, struct mv_err *err);

/* guest-shutdown, mode "reboot" if REBOOT else "powerdown": 0 once the
 * agent has it (the guest then goes down by itself); errors as
 * qemud_agent_run. */
int qemud_agent_shutdown(struct qemud_dom *dom, bool reboot, struct mv_err *err);

/* QEMU_AGENT_COMMAND's core: JSON is a whole command ({"execute": ...,
 * "arguments": ...}); *REPLY (malloc'd) the agent's answer as JSON
 * ({"return": ...}), NULL with NOWAIT.  Errors as qemud_agent_run, and
 * "internal error: cannot parse agent command" for bad JSON. */
int qemud_agent_command(struct qemud_dom *dom, const char *json, int timeout, char **reply, struct mv_err *err);
