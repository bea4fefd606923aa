/*
 * Sidecars: the processes a domain needs beside QEMU (swtpm for an emulated
 * TPM, virtiofsd for a virtiofs share).  They are started before QEMU with
 * the socket QEMU connects to listening, write their output into the
 * domain's log, and are stopped after QEMU is gone (and when a start fails,
 * so that nothing is left behind).
 *
 * Reaping: a sidecar we started is our child; a thread per child waits for
 * its exit and reaps it at once (PID 1 here reaps orphans only every few
 * seconds, and a zombie would keep its socket's peer hanging).  Signals to
 * our own child go through that thread's lock, so a signal never reaches a
 * process that took a reaped child's pid.
 *
 * Re-attach: every sidecar's id, pid, start time and socket are in the
 * domain's status file (qemud_sidecars_format/parse).  A restarted daemon
 * adopts those that still run (same pid and start time) and watches them
 * through a pidfd; they are no longer its children (PID 1 reaps them).
 *
 * A set belongs to one domain run and is changed only with the domain's job
 * held; the functions here are not thread-safe on one set.
 */
#pragma once

#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* How long a start waits for the socket by default, and how long a stop
 * waits after SIGTERM before SIGKILL. */
#define QEMUD_SIDECAR_READY_MS 10000
#define QEMUD_SIDECAR_TERM_MS 3000

struct qemud_sidecar_child;

struct qemud_sidecar {
    char *id;                       /* unique in its domain: "tpm0", "fs1"; the status file's key */
    char *prog;                     /* argv[0]: what messages call it */
    char *socket_path;              /* the socket it listens on (removed after a stop); may be NULL */
    pid_t pid;
    unsigned long long starttime;   /* /proc/PID/stat field 22: with the pid, names one process */
    int pidfd;                      /* adopted sidecars: -1 without one (no pidfds, out of fds, or
                                     * /proc could not tell it from another process) */
    struct qemud_sidecar_child *child;  /* our own child's reaper; NULL when adopted */
};

struct qemud_sidecars {
    struct qemud_sidecar *v;
    size_t n;
    /* Called by qemud_sidecar_start once a new member is in V (running,
     * its socket perhaps not listening yet), and again when its start
     * failed and took it out: the daemon writes the domain's status file
     * there, so that a daemon killed while a sidecar or QEMU starts finds
     * the process on its next start.  NULL: nothing is called.  Stop and
     * clear keep it. */
    void (*recorded)(void *opaque);
    void *opaque;
};

struct qemud_sidecar_spec {
    const char *id;                 /* as struct qemud_sidecar's */
    const char *const *argv;        /* argv[0] an absolute path; never a shell */
    /* A Unix socket the sidecar creates and listens on: the start returns
     * once it listens (read from /proc/net/unix: never by connecting, as
     * virtiofsd serves only its first connection).  NULL: no wait. */
    const char *socket_path;
    int ready_ms;                   /* 0: QEMUD_SIDECAR_READY_MS */
    int log_fd;                     /* stdout and stderr (the domain's log); -1: /dev/null */
    const int *keep_fds;            /* inherited at the same numbers */
    size_t nkeep;
};

/*
 * Starts SPEC for domain DOMNAME and adds it to SET (SET->recorded is told
 * at once).  Returns once its socket listens.  If it exits first, or the
 * deadline passes (then it is killed and reaped), or its start time cannot
 * be read (a restarted daemon could not adopt it), it is taken out again
 * and ERR names the domain, the program and the cause: its exit status,
 * or the timeout.  A SPEC->socket_path too long for a Unix socket is
 * refused before anything runs; a stale socket file there is removed
 * first.
 */
int qemud_sidecar_start(struct qemud_sidecars *set, const char *domname, const struct qemud_sidecar_spec *spec,
                        struct mv_err *err);

/* The sidecar ID of SET, or NULL. */
struct qemud_sidecar *qemud_sidecars_find(struct qemud_sidecars *set, const char *id);

/* Whether SC still runs (an exited own child is reaped already). */
bool qemud_sidecar_alive(struct qemud_sidecar *sc);

/*
 * Stops every sidecar of SET, last started first: those still running get
 * SIGTERM, then SIGKILL after QEMUD_SIDECAR_TERM_MS; each is waited for
 * (our own children reaped), its socket file removed.  SET is empty after.
 * A child stuck in the kernel past SIGKILL is logged and reaped by its
 * thread whenever it exits.
 */
void qemud_sidecars_stop(struct qemud_sidecars *set, const char *domname);

/* Forgets SET without stopping anything (the daemon exits and leaves them
 * to the next daemon, as it leaves QEMU). */
void qemud_sidecars_clear(struct qemud_sidecars *set);

/* The status file: one <sidecar id= prog= pid= starttime= socket=/> per
 * member, written with W (inside <domstatus>), read back from CTX's
 * /domstatus/sidecar.  Parse: -EINVAL with *ERRMSG for a damaged entry. */
int qemud_sidecars_format(const struct qemud_sidecars *set, xmlTextWriterPtr w);
int qemud_sidecars_parse(xmlXPathContextPtr ctx, struct qemud_sidecars *set, char **errmsg);

/*
 * After a daemon restart: keeps the members of SET (read from the status
 * file) that still run as the same process, opening a pidfd for each.
 * Only those known gone (no such process, a zombie, another process with
 * the pid, or a pidfd_open saying ESRCH) are dropped and their sockets
 * removed; one that /proc cannot tell from another process right now is
 * kept, without a pidfd, and logged (a stop then leaves it and its
 * socket, logging why).  Returns how many were dropped (a domain whose
 * QEMU runs but a sidecar died is logged).
 */
size_t qemud_sidecars_adopt(struct qemud_sidecars *set, const char *domname);

/* The domain's log, for SPEC.log_fd: opened for appending at PATH. */
int qemud_sidecar_open_log(const char *path);
