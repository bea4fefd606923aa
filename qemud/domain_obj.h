/*
 * Domains as the daemon holds them: a reference-counted object per domain
 * with its persistent and live definitions, run state and job, and the
 * registry that finds them by name, UUID and id.
 *
 * The object base, registry and jobs are the driver core's (common/object.h,
 * registry.h, job.h); this file adds what a domain is.
 *
 * Locking: dom->lock guards every field below and is only ever held for
 * short, non-blocking work (never across a QMP command or a wait).  Long
 * operations hold the domain's job instead (domain_job.c), which serialises
 * modifying work on one domain without blocking any other domain.  The
 * registry lock is a leaf: nothing else is locked while it is held.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain_def.h"
#include "guest_isolation.h"
#include "object.h"
#include "sidecar.h"

struct mv_qmp;
struct qemud_agent;
struct qemud_console;
struct qemud_mon_ctx;

/* virDomainState values and the reasons used here (wire-protocol.md 6.4). */
enum qemud_state {
    QEMUD_STATE_NOSTATE = 0,
    QEMUD_STATE_RUNNING = 1,
    QEMUD_STATE_PAUSED = 3,
    QEMUD_STATE_SHUTDOWN = 4,
    QEMUD_STATE_SHUTOFF = 5,
    QEMUD_STATE_CRASHED = 6,
};

/* The state reasons used here, named STATE_REASON. */
enum qemud_reason {
    QEMUD_RUNNING_BOOTED = 1, QEMUD_RUNNING_RESTORED = 3, QEMUD_RUNNING_UNPAUSED = 5,
    QEMUD_RUNNING_SAVE_CANCELED = 7, QEMUD_PAUSED_SAVE = 3, QEMUD_SHUTOFF_SAVED = 5,
    QEMUD_PAUSED_UNKNOWN = 0, QEMUD_PAUSED_USER = 1, QEMUD_PAUSED_STARTING_UP = 11,
    QEMUD_SHUTDOWN_USER = 1,
    QEMUD_SHUTOFF_SHUTDOWN = 1, QEMUD_SHUTOFF_DESTROYED = 2, QEMUD_SHUTOFF_CRASHED = 3,
    QEMUD_SHUTOFF_FAILED = 6,
    QEMUD_CRASHED_PANICKED = 1,
};

struct qemud_dom {
    /* refs, lock, job_cond, name, uuid, uuid_str, id (-1 while shut off),
     * job and removed: the object base (common/object.h) */
    MV_OBJ_EMBED;

    /* immutable snapshots (domain_def.h): replaced, never changed in place */
    struct mv_dom_def *def;         /* persistent definition; NULL for a transient domain */
    struct mv_dom_def *live;        /* running definition; NULL while shut off */
    bool autostart;
    bool updated;                   /* persistent def changed while running */
    unsigned int undefine_flags;    /* of an undefine while running: applied when it stops (TPM state) */

    int state, reason;
    pid_t pid;
    int pidfd;
    bool own_child;                 /* our child, not reaped yet: reap it, and only then forget pid */
    unsigned long long starttime;   /* /proc/PID/stat field 22: guards against PID reuse */
    char *monitor_path;
    /* processes beside QEMU (swtpm, virtiofsd): changed only with the job held */
    struct qemud_sidecars sidecars;
    /* the guest's identity and grants (guest_isolation.h): changed only
     * with the job held, read under the lock for the status file */
    struct qemud_isolation iso;
    struct mv_qmp *mon;
    struct qemud_mon_ctx *mon_ctx;  /* the monitor callbacks' reference to us */
    bool mon_eof;                   /* the monitor saw QEMU hang up (job_cond is signalled) */
    uint64_t run_gen;               /* bumped on every start: stale events compare it */

    bool starting;                  /* between spawn and the first resume */
    bool restoring;                 /* the start loads a saved state (RUNNING_RESTORED) */
    bool pause_requested;           /* DOMAIN_SUSPEND sent "stop" */
    bool shutdown_requested;        /* DOMAIN_SHUTDOWN sent the power button */
    bool shutdown_seen;             /* QEMU reported SHUTDOWN */
    bool fake_reboot;               /* reboot in progress: on SHUTDOWN, reset instead of stopping */
    bool stopping;                  /* a destroy/stop owns the cleanup */

    struct qemud_console *console;  /* open console stream, loop thread's */
    struct qemud_agent *agent;      /* guest agent connection (agent.h), referenced */
};

/* The domain embedding OBJ (an object of qemud_dom_kind). */
static inline struct qemud_dom *qemud_dom_of(struct mv_obj *obj)
{
    return (struct qemud_dom *)obj;
}

/* References; unref frees at zero.  NULL is fine for unref. */
struct qemud_dom *qemud_dom_ref(struct qemud_dom *dom);
void qemud_dom_unref(struct qemud_dom *dom);
MV_DEFINE_CLEANUP(struct qemud_dom, qemud_dom_unref)
#define _cleanup_dom_unref_ _cleanup_(qemud_dom_unrefp)

/* Sets state and reason; call with dom->lock held. */
void qemud_dom_set_state(struct qemud_dom *dom, int state, int reason);
static inline bool qemud_dom_is_active(const struct qemud_dom *dom) { return dom->id >= 0; }
/* The definition callers see now: live while running, else persistent. */
static inline struct mv_dom_def *qemud_dom_current_def(const struct qemud_dom *dom)
{
    return dom->live ? dom->live : dom->def;
}

/* A reference to DOM's persistent definition (PERSISTENT) or to the one
 * callers see now; NULL if there is none.  Takes dom->lock only for the
 * reference: copying or formatting the snapshot happens outside it. */
struct mv_dom_def *qemud_dom_snapshot(struct qemud_dom *dom, bool persistent);

/* ---- registry: the driver's (qemud.domains), see common/registry.h ---- */

int qemud_registry_init(void);
void qemud_registry_cleanup(void);

/* Creates a domain object for NAME/UUID (no definition yet) and adds it:
 * 0 with *RET referenced, LOCKED AND WITH ITS JOB TAKEN as JOB, so its
 * creator sets the definition before anyone else sees it (then unlocks) and
 * persists or starts it before anyone else acts on it (then ends the job).
 * -EEXIST if the name or UUID is taken (*EXISTING, referenced, is the
 * holder); -ENOMEM. */
int qemud_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                       struct qemud_dom **ret, struct qemud_dom **existing);
/* Removes DOM (no-op if already removed); jobs waiting on it fail. */
void qemud_registry_remove(struct qemud_dom *dom);

/* Lookups return a reference or NULL. */
struct qemud_dom *qemud_registry_find_name(const char *name);
struct qemud_dom *qemud_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN]);
struct qemud_dom *qemud_registry_find_id(int id);

/* A referenced snapshot of every domain, in definition order; free with
 * qemud_dom_list_free.  0 or -ENOMEM. */
int qemud_registry_list(struct qemud_dom ***doms, size_t *n);
void qemud_dom_list_free(struct qemud_dom **doms, size_t n);

/* Index of a running domain's id; call with dom->lock held (takes the registry lock). */
int qemud_registry_assign_id(struct qemud_dom *dom, int id);
void qemud_registry_release_id(struct qemud_dom *dom);
/* Next free domain id (ids grow and are not reused while the daemon runs). */
int qemud_registry_next_id(void);
/* Makes later ids start above ID (re-attached domains keep theirs). */
void qemud_registry_note_id(int id);
/* True if any domain is running (the idle timeout waits for it). */
bool qemud_registry_any_active(void);
