/*
 * A running domain's QMP monitor: opening it, running commands with the
 * configured timeout and error messages that name the domain, and turning
 * QEMU's events (STOP, RESUME, SHUTDOWN, RESET, GUEST_PANICKED, EOF) into
 * state changes and lifecycle events.
 */
#pragma once

#include <json-c/json.h>

#include "domain_obj.h"
#include "error.h"

/* Opens DOM's monitor at dom->monitor_path, giving up when dom->pidfd says
 * QEMU exited (-ESRCH) or after TIMEOUT_MS.  Call with DOM's job held and
 * dom->lock not held. */
int qemud_monitor_open(struct qemud_dom *dom, int timeout_ms, struct mv_err *err);

/* Closes DOM's monitor, if open; no event handler runs after it returns.
 * Call with the job held and dom->lock not held. */
void qemud_monitor_close(struct qemud_dom *dom);

/* Arguments of "set-action" choosing what a guest shutdown does: "pause"
 * (a reboot in progress) or "poweroff". */
json_object *qemud_monitor_shutdown_action(const char *action);

/* After QEMU exited: waits at most MS for the monitor thread to read what
 * QEMU said last (its SHUTDOWN event) and see the hang-up, so that no event
 * is lost to the cleanup.  Call with the job held, dom->lock not held. */
void qemud_monitor_wait_eof(struct qemud_dom *dom, int ms);

/* Runs CMD (ARGS may be NULL; taken over) on DOM's monitor.  0 with *REPLY
 * (may be NULL), or -errno with ERR: "Timed out during operation: QEMU of
 * domain 'vm1' did not answer 'stop' within 30 s", "operation failed: QEMU
 * of domain 'vm1' refused 'balloon': <QEMU's words>". */
int qemud_monitor_command(struct qemud_dom *dom, const char *cmd, json_object *args,
                          json_object **reply, struct mv_err *err);

/* qemud_monitor_command() passing FD (>= 0; the caller keeps it) with the
 * command: "getfd" and "add-fd" take it. */
int qemud_monitor_command_fd(struct qemud_dom *dom, const char *cmd, json_object *args, int fd,
                             json_object **reply, struct mv_err *err);

/* A handler of one more QMP event (DEVICE_DELETED, JOB_STATUS_CHANGE,
 * BALLOON_CHANGE...): called on the monitor thread for an event of DOM's
 * current run GEN, with no lock held; DATA is borrowed (may be NULL).  It
 * must not block: it records what it needs and pushes work to a task
 * (domain_task.h) or wakes a waiter. */
typedef void (*qemud_monitor_event_fn)(struct qemud_dom *dom, uint64_t gen, json_object *data);

/* Adds FN for QMP event NAME (a static string), before the daemon serves
 * (the table is read without a lock).  Several handlers of one event all
 * run, in the order they were added.  0, or -ENOSPC past the table's size. */
int qemud_monitor_on_event(const char *name, qemud_monitor_event_fn fn);

/* A handler of every QMP event, STOP and the others included (the qemu
 * program's monitor events forward them all): called on the monitor thread
 * before the event's own handling, with NAME and DATA (borrowed; may be
 * NULL) as QEMU sent them and QEMU's timestamp; same rules as above. */
typedef void (*qemud_monitor_any_event_fn)(struct qemud_dom *dom, uint64_t gen, const char *name,
                                           json_object *data, long long seconds, unsigned int micros);

/* Adds FN for every event, before the daemon serves.  0, or -ENOSPC. */
int qemud_monitor_on_any_event(qemud_monitor_any_event_fn fn);

/* Sends CMD (a whole QMP command object, borrowed) on DOM's monitor as a
 * client wrote it (virsh qemu-monitor-command).  0 with *REPLY QEMU's whole
 * answer as JSON text, whether "return" or "error" (malloc'd), or -errno
 * with ERR naming the domain.  Call with DOM's job held. */
int qemud_monitor_command_raw(struct qemud_dom *dom, json_object *cmd, char **reply, struct mv_err *err);
