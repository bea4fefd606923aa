/*
 * Between the files of a domain's run (domain_process.h is the API):
 *   domain_process_start.c     the start sequence
 *   domain_process_prepare.c   the live definition and host facts before the command line
 *   domain_process_runtime.c   what QEMU chose, read back once its monitor answers
 *   domain_process_net.c       taps, network ports and display ports
 *   domain_process_log.c       QEMU's log file
 *   domain_process_pid.c       waiting for QEMU's exit and signalling it
 *   domain_process_stop.c      destroy, exit, and the clean-up after either
 *   domain_process_reattach.c  after a daemon restart
 * Everything here is called with the domain's job held.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "domain_def.h"
#include "domain_obj.h"
#include "error.h"
#include "host_memory.h"
#include "host_sysinfo.h"
#include "qemu_command.h"

/* how long a SIGKILLed QEMU is waited for before a thread is left to reap it */
#define QEMUD_QEMU_KILL_WAIT_MS 5000
/* how long a stop waits for the monitor to read QEMU's last words */
#define QEMUD_MONITOR_DRAIN_MS 1000

/* ---- QEMU's process (domain_process_pid.c) ---- */

/* Reaps our child DOM->pid if it exited within MS (own_child cleared). */
bool qemud_qemu_reap_own(struct qemud_dom *dom, int ms);
/* True once DOM's QEMU exited, waiting at most MS. */
bool qemud_qemu_wait_exit(struct qemud_dom *dom, int ms);
/* Sends SIG to DOM's QEMU, never to a process that took its pid. */
void qemud_qemu_signal(struct qemud_dom *dom, int sig);
/* Our child PID survived SIGKILL's wait: a thread reaps it when it exits. */
void qemud_qemu_reap_later(const char *name, pid_t pid);

/* ---- the log (domain_process_log.c) ---- */

/* NAME's log opened for appending; *START its size now. */
int qemud_qemu_log_open(const char *name, off_t *start);
/* The header of a start: a time stamp and ARGV, one argument a line. */
void qemud_qemu_log_command(int fd, char *const *argv);
/* QEMU's words since START (malloc'd), trimmed, without our header. */
char *qemud_qemu_log_tail(const char *name, off_t start);

/* ---- interfaces (domain_process_net.c) ---- */

int qemud_process_create_taps(const char *name, struct mv_dom_def *live, int *fds, struct mv_err *err);
void qemud_process_release_interfaces(const struct mv_dom_def *live);
void qemud_process_reattach_taps(const char *name, const struct mv_dom_def *live);
/* LIVE's managed hostdevs given back to the host by nodedevd, unless
 * QEMU (LINGERING) has not exited: vfio-pci's unbind would wait for it
 * to let go of the device, holding the job (logged; a reattach of the
 * device later gives it back). */
void qemud_process_release_hostdevs(const char *name, const struct mv_dom_def *live, bool lingering);

/* ---- before the command line (domain_process_prepare.c) ---- */

/* Host facts the command line points to, held until QEMU runs. */
struct qemud_start_host {
    char *cpus_online;
    struct mv_dom_sysinfo sysinfo;
    struct mv_host_memory mem;
    char *ramdir;                   /* where file-backed RAM goes */
};
void qemud_start_host_clear(struct qemud_start_host *h);

/* Completes LIVE where it changes no host state but the firmware's
 * variable store (kept) and the display ports (reserved): channel
 * sockets, firmware, display, aliases and addresses. */
int qemud_process_prepare_def(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err);
/* Reads what CTX needs of the host into H, and checks the host devices. */
int qemud_process_host_facts(const struct mv_dom_def *live, struct qemud_start_host *h,
                             struct mv_qemu_cmd_ctx *ctx, struct mv_err *err);

/* ---- after the monitor answered (domain_process_runtime.c) ---- */

int qemud_process_query_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err);

/* ---- the end of a run (domain_process_stop.c) ---- */

/* A transient domain's TPM state goes with it (unless kept). */
void qemud_process_forget_transient(struct qemud_dom *dom, const struct mv_dom_def *live);
/* Everything after the process is gone; STOPPED with DETAIL. */
void qemud_process_cleanup_stopped(struct qemud_dom *dom, int reason, int detail);

/* ---- isolation (domain_process_isolation.c) ---- */
struct mv_confine;

/* DOM's identity, its run directory handed over and LIVE's host files
 * collected: nothing changed on them yet.  Nothing when isolation is off
 * (user = "root"). */
int qemud_process_isolate(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err);

/* The ACL grants of what qemud_process_isolate() collected: only once the
 * status file records them (a daemon killed from then on takes them back;
 * taking back one never made is harmless). */
int qemud_process_grant(struct qemud_dom *dom, struct mv_err *err);

/* A file the daemon made for DOM's QEMU (a disk passphrase, a socket a
 * sidecar running as root listens on) made the guest identity's. */
int qemud_process_hand_over(const struct qemud_dom *dom, const char *path, struct mv_err *err);

/* C filled for DOM's QEMU (guest_sandbox.h); untouched when DOM runs as
 * root. */
int qemud_process_confine(const struct qemud_dom *dom, const char *emulator, const struct mv_dom_def *live, bool kvm,
                          struct mv_confine *c, struct mv_err *err);

/* The grants' fds are the spawn's bind sources only. */
void qemud_process_close_grant_fds(struct qemud_isolation *iso);

/* Every grant taken back, the identity released (kept held while the run's QEMU
 * is LINGERING: it has not exited yet), ISO emptied. */
void qemud_process_release_isolation(const char *name, struct qemud_isolation *iso, bool lingering);

/* A re-attached run holds its identity again. */
int qemud_process_readopt_isolation(struct qemud_dom *dom);
