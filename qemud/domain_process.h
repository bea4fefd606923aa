/*
 * QEMU processes: starting a domain (taps, command line, spawn, monitor,
 * resume), stopping it (SIGTERM, then SIGKILL after the grace period),
 * noticing that it exited, and re-attaching to it after a daemon restart.
 * Every function that changes a run is called with the domain's job held,
 * except the task entry points, which take the job themselves.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domain_obj.h"
#include "domain_store.h"
#include "error.h"

/* Starts DOM from LIVE (taken over; usually a copy of dom->def), paused if
 * PAUSED.  SHOWN (taken over) is what readers see while the start fills LIVE
 * in: a published, never changed definition that LIVE is a copy of (dom->def,
 * or a copy of its own), so that no start formats and reparses it again.
 * On failure nothing is left behind: no process, tap, status file or id, and
 * ERR carries QEMU's own message when QEMU refused to start. */
int qemud_process_start(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown,
                        bool paused, struct mv_err *err);

/* A start that loads a saved state instead of booting: QEMU runs with
 * "-incoming defer" and LOAD (with the job held, the monitor open, before
 * the guest resumes) feeds it its state; a failing LOAD (ERR set) fails
 * the start, leaving nothing behind.  The run is RUNNING_RESTORED and
 * announced STARTED/RESTORED. */
struct qemud_incoming {
    int (*load)(struct qemud_dom *dom, void *opaque, struct mv_err *err);
    void *opaque;
};
int qemud_process_start_incoming(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_dom_def *shown,
                                 bool paused, const struct qemud_incoming *in, struct mv_err *err);

/* Stops DOM: SIGTERM, then (unless GRACEFUL) SIGKILL after the grace
 * period; cleans up and sends STOPPED/DESTROYED. */
int qemud_process_destroy(struct qemud_dom *dom, bool graceful, struct mv_err *err);

/* Task: QEMU of run GEN closed its monitor (exited): clean up and report. */
void qemud_process_exited(struct qemud_dom *dom, uint64_t gen);
/* Task: the guest shut down during a reboot: reset and resume it. */
void qemud_process_finish_reboot(struct qemud_dom *dom, uint64_t gen);

/* At daemon start: takes over the QEMU described by ST (moved from) if it
 * still runs, else cleans up after it.  Returns 1 re-attached, 0 gone. */
int qemud_process_reattach(struct qemud_dom *dom, struct qemud_status *st);

/* Writes DOM's status file from its current state. */
void qemud_process_save_status(struct qemud_dom *dom);
