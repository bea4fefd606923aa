/*
 * QMP: one asynchronous JSON client per domain (json-c), all of them served
 * by one monitor thread with its own sd-event loop, so a hung QEMU never
 * delays the daemon's RPC loop or any other domain.
 *
 * Threading: mv_qmp_open/command/close may be called from any thread except
 * the monitor thread itself (callbacks must not call them, except
 * mv_qmp_close which is allowed there).  Callbacks run on the monitor thread
 * and must not block.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

struct mv_qmp_loop;
struct mv_qmp;

/* Starts / stops the monitor thread.  Stop closes every monitor still open. */
int mv_qmp_loop_start(struct mv_qmp_loop **ret);
void mv_qmp_loop_stop(struct mv_qmp_loop *loop);

struct mv_qmp_callbacks {
    /* An asynchronous event: NAME ("SHUTDOWN"), DATA (may be NULL; borrowed). */
    void (*event)(struct mv_qmp *mon, const char *name, struct json_object *data, void *opaque);
    /* The socket reached EOF or failed (QEMU exited or was killed).  Called
     * once; commands in flight fail with -ECONNRESET. */
    void (*closed)(struct mv_qmp *mon, void *opaque);
};

/* Connects to the QMP socket at PATH, reads the greeting and negotiates
 * capabilities, waiting at most TIMEOUT_MS.  While the socket does not exist
 * yet or refuses, it retries every 10 ms; if PIDFD (>= 0) becomes readable
 * (the QEMU process exited) it gives up with -ESRCH.  Returns 0, -ETIMEDOUT,
 * -ESRCH, or -errno with *ERRMSG saying what failed. */
int mv_qmp_open(struct mv_qmp_loop *loop, const char *path, int pidfd, int timeout_ms,
                const struct mv_qmp_callbacks *cb, void *opaque,
                struct mv_qmp **ret, char **errmsg);

/* mv_qmp_open_flags's options. */
enum {
    /* The peer is the QEMU guest agent on a channel socket, which speaks
     * QMP's framing without its handshake: no greeting is read and no
     * capabilities negotiated; a 0xFF byte in the input drops whatever came
     * before it (guest-sync-delimited's sentinel); a reply without an "id"
     * answers the oldest command sent; a line that is not a JSON object is
     * dropped rather than fatal (an agent restarted in mid-line). */
    MV_QMP_OPEN_AGENT = 1 << 0,
};

/* mv_qmp_open with FLAGS (MV_QMP_OPEN_*); FLAGS 0 is mv_qmp_open. */
int mv_qmp_open_flags(struct mv_qmp_loop *loop, const char *path, int pidfd, int timeout_ms, unsigned int flags,
                      const struct mv_qmp_callbacks *cb, void *opaque, struct mv_qmp **ret, char **errmsg);

/* Runs CMD with ARGS (may be NULL; the reference is taken over) and waits up
 * to TIMEOUT_MS for its answer.  0 with *REPLY the "return" value (the caller
 * json_object_put()s it; REPLY may be NULL); -ETIMEDOUT (a late answer is
 * dropped); -ECONNRESET if the monitor closed; -EREMOTEIO with *ERRMSG the
 * QMP error's "desc".  Commands on one monitor are answered in order. */
int mv_qmp_command(struct mv_qmp *mon, const char *cmd, struct json_object *args, int timeout_ms,
                   struct json_object **reply, char **errmsg);

/* Inside an event callback of MON: QEMU's timestamp of that event. */
void mv_qmp_event_time(const struct mv_qmp *mon, long long *seconds, unsigned int *micros);

/* Sends CMD, a whole QMP command object ({"execute": ..., "arguments":
 * ...}; borrowed, its "id" replaced by ours), as it is, for a client's
 * passthrough (virsh qemu-monitor-command).  0 with *REPLY QEMU's whole
 * answer as JSON text, a QMP error as much as a "return" (its id shown as
 * "libvirt-N"); -ETIMEDOUT, -ECONNRESET or -EINVAL as mv_qmp_command. */
int mv_qmp_command_raw(struct mv_qmp *mon, struct json_object *cmd, int timeout_ms, char **reply);

/* mv_qmp_command() sending FD (>= 0; a copy: the caller keeps FD) with the
 * command, for QEMU's getfd and add-fd. */
int mv_qmp_command_fd(struct mv_qmp *mon, const char *cmd, struct json_object *args, int fd, int timeout_ms,
                      struct json_object **reply, char **errmsg);

/* One command of a batch: CMD with ARGS (may be NULL; taken over by
 * mv_qmp_commands); on return R is its result as mv_qmp_command's (0 with
 * REPLY, -EREMOTEIO with ERRMSG, -ETIMEDOUT, -ECONNRESET), REPLY and ERRMSG
 * the caller's to free. */
struct mv_qmp_batch {
    const char *cmd;
    struct json_object *args;
    int r;
    struct json_object *reply;
    char *errmsg;
};

/* Runs the N commands of CMDS in one round trip: they are written together
 * and answered in order, and it waits up to TIMEOUT_MS for the last answer
 * (statistics of many domains ask each QEMU several things at once).
 * Returns 0 when every command has its result in CMDS[i].r, or -ENOMEM /
 * -EINVAL before anything was sent (every ARGS freed). */
int mv_qmp_commands(struct mv_qmp *mon, struct mv_qmp_batch *cmds, size_t n, int timeout_ms);

/* mv_qmp_command_flags's options. */
enum {
    /* send a 0xFF byte before the command: the guest agent drops any
     * partial input of an earlier client (guest-sync-delimited) */
    MV_QMP_CMD_FLUSH = 1 << 0,
    /* the peer never answers (the agent's guest-shutdown): 0 once the
     * command is handed to the socket */
    MV_QMP_CMD_NO_REPLY = 1 << 1,
};

/* mv_qmp_command with FLAGS (MV_QMP_CMD_*); FLAGS 0 is mv_qmp_command. */
int mv_qmp_command_flags(struct mv_qmp *mon, const char *cmd, struct json_object *args, int timeout_ms,
                         unsigned int flags, struct json_object **reply, char **errmsg);

/* Fails MON as if its peer had gone, without freeing it: callers waiting
 * in mv_qmp_command (even with no timeout) and any later command get
 * -ECONNRESET, the closed callback runs once (on the monitor thread, soon
 * after this returns, which it does not wait for).  For an owner that must
 * end calls other threads are blocked in before it can close MON (the
 * daemon shutting down while an agent call waits forever).  NULL is fine. */
void mv_qmp_abort(struct mv_qmp *mon);

/* Closes the socket and frees MON; no callback runs after it returns (when
 * called from a callback: after that callback returns).  Callers waiting in
 * mv_qmp_command get -ECONNRESET.  NULL is fine. */
void mv_qmp_close(struct mv_qmp *mon);
