/*
 * Running helper programs (qemu-img, dnsmasq, nft, mount, QEMU itself): the
 * one way a daemon starts a child.  argv only, never a shell; a minimal
 * environment; every fd the caller did not name is closed in the child, so
 * a client socket or a listening socket opened without O_CLOEXEC never leaks
 * into a helper; signals reset to their defaults and an empty signal mask.
 *
 * mv_process_run() waits: stdout is captured up to a cap, the end of stderr
 * is kept for the error message, the child is killed (with its process
 * group) at the timeout and always reaped before it returns; a killed
 * group's other processes have exited by then too (zombies for PID 1 at
 * most), unless one is stuck in the kernel for more than 5 s.
 * mv_process_spawn() starts a long-lived child (QEMU) and returns its pid.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "confine.h"

/* The environment a child gets unless the caller passes one. */
#define MV_PROCESS_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* How much of stderr mv_process_run() keeps (the end: tools say why last). */
#define MV_PROCESS_STDERR_KEEP 4096

struct mv_process_spawn_opts {
    const char *const *env;         /* NULL: LC_ALL=C, PATH, HOME=/ */
    int stdin_fd, stdout_fd, stderr_fd;     /* -1: /dev/null */
    const int *keep_fds;            /* inherited at the same numbers; -1 entries ignored */
    size_t nkeep;
    bool new_session;               /* setsid(); otherwise a process group of its own */
    /* Applied in the child after its fds are arranged, before execve()
     * (confine.h); NULL: none.  Its src_fds must be >= 3. */
    const struct mv_confine *confine;
    /* When not NULL: on failure *ERRMSG is set (malloc'd) to a message naming
     * argv[0] and the cause; for a confinement that failed, the step and its
     * target: "cannot confine '/usr/bin/qemu-system-x86_64': bind-mount of
     * '/dev/kvm' failed: No such file or directory".  NULL on success. */
    char **errmsg;
};

/* Starts ARGV (argv[0] an absolute path) as OPTS says.  0 with *PID once
 * execve() succeeded; -errno of the failed confinement step or execve()
 * (-ENOENT, -EACCES...) or of fork(). */
int mv_process_spawn(const char *const argv[], const struct mv_process_spawn_opts *opts, pid_t *pid);

struct mv_process_run_opts {
    const char *const *env;         /* NULL: the minimal environment above */
    const char *input;              /* written to stdin, then EOF; NULL: /dev/null */
    int timeout_ms;                 /* > 0 */
    size_t stdout_max;              /* more stdout than this: killed, -EFBIG; 0: 1 MiB */
    /* Called with each chunk of stdout as it arrives (progress output such
     * as qemu-img -p); the chunk is in RES->out too. */
    void (*on_stdout)(const char *chunk, size_t len, void *opaque);
    void *opaque;
    const int *keep_fds;            /* inherited at the same numbers (a memfd holding a key) */
    size_t nkeep;
};

struct mv_process_result {
    int status;                     /* waitpid() status, valid when exited */
    bool exited;                    /* the child ran and was reaped */
    char *out;                      /* stdout, NUL-terminated (never NULL after a run) */
    size_t out_len;
    char err[MV_PROCESS_STDERR_KEEP + 1];   /* the last bytes of stderr, NUL-terminated */
};

/* Frees what a run left in RES. */
void mv_process_result_clear(struct mv_process_result *res);

/*
 * Runs ARGV to completion.  0 if it exited with status 0.  Otherwise -errno
 * and, if ERRMSG, a message naming argv[0] and what happened, ending with the
 * tool's own last stderr line: "'/usr/bin/qemu-img' exited with status 1:
 * qemu-img: Could not open 'x': No such file or directory"; -EIO for a
 * non-zero exit or a signal (RES is filled: status, out, err), -ETIMEDOUT
 * (killed), -EFBIG (too much output, killed), -ENOENT etc. (execve failed).
 */
int mv_process_run(const char *const argv[], const struct mv_process_run_opts *opts,
                   struct mv_process_result *res, char **errmsg);

/* The last non-empty line of RES's stderr (points into RES, whose trailing
 * newlines it trims; may be ""). */
const char *mv_process_last_line(struct mv_process_result *res);

/* A pidfd for PID (pidfd_open(2)), or -1 with errno (ENOSYS where the
 * kernel headers have no such call). */
int mv_pidfd_open(pid_t pid);

/* Waits at most MS for the child PID (ours) to exit and reaps it: 1 reaped
 * (*STATUS if not NULL), 0 still running, -errno.  Uses a pidfd when the
 * kernel has them, else polls. */
int mv_process_reap(pid_t pid, int ms, int *status);

/* SIGKILL to PID, then mv_process_reap() for at most MS. */
int mv_process_kill_reap(pid_t pid, int ms);
