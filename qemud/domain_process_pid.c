/*
 * QEMU's process as a stop or a re-attach sees it: waiting for its exit
 * and signalling it, never a process that took its pid.  Our own child is
 * reaped at once (until then it is a zombie that still answers kill -0 and
 * holds its pid); another daemon's QEMU (re-attached) is watched through
 * its pidfd or, without one, by its start time in /proc.
 */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain_process_priv.h"
#include "log.h"
#include "monotime.h"
#include "proc_stat.h"
#include "process.h"

/* how often a QEMU without a pidfd is looked at while waiting for its exit */
#define EXIT_POLL_MS 20

/* Whether the process PID of a run we did not start (re-attached) is known
 * gone: a zombie (its parent reaps it), missing, or its pid now names
 * another process (STARTTIME differs).  A /proc that cannot tell (out of
 * fds or memory) is not "gone": that would clean up after a running guest. */
static bool qemu_gone(pid_t pid, unsigned long long starttime)
{
    int why;

    return qemud_proc_presence(pid, starttime, &why) == QEMUD_PRESENCE_GONE;
}

/* Whether PID is still the process that started at STARTTIME: only then
 * is it signalled (a pid /proc cannot vouch for may name another process). */
static bool qemu_same(pid_t pid, unsigned long long starttime)
{
    int why;

    return qemud_proc_presence(pid, starttime, &why) == QEMUD_PRESENCE_SAME;
}

/* Reaps our child DOM->pid if it exited within MS: true once it is reaped.
 * From then on DOM's pid may name another process (even another child of
 * ours), so own_child is cleared and it is never waited for or signalled
 * as ours again. */
bool qemud_qemu_reap_own(struct qemud_dom *dom, int ms)
{
    int r = mv_process_reap(dom->pid, ms, NULL);

    if (r == 0)
        return false;
    if (r < 0)      /* -ECHILD: someone reaped it; it is gone all the same */
        mv_warn("domain '%s': cannot reap QEMU (pid %d): %s", dom->name, (int)dom->pid, strerror(-r));
    pthread_mutex_lock(&dom->lock);
    dom->own_child = false;
    pthread_mutex_unlock(&dom->lock);
    return true;
}

/* True once DOM's QEMU exited, waiting at most MS.  Our own child is also
 * reaped, at once: until then it is a zombie that still answers kill -0 and
 * holds its pid.  Another's QEMU (re-attached) is watched on its pidfd or,
 * when pidfd_open failed, by polling the pid, never by sleeping the whole MS.
 * Call with the job held (pid, pidfd and starttime do not change). */
bool qemud_qemu_wait_exit(struct qemud_dom *dom, int ms)
{
    struct pollfd p = { .fd = dom->pidfd, .events = POLLIN };
    long long deadline = mv_now_ms() + ms;
    int r;

    if (dom->own_child)
        return qemud_qemu_reap_own(dom, ms);
    if (dom->pidfd >= 0) {
        do
            r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r > 0;
    }
    for (;;) {
        if (qemu_gone(dom->pid, dom->starttime))
            return true;
        if (mv_now_ms() >= deadline)
            return false;
        poll(NULL, 0, EXIT_POLL_MS);
    }
}

/* Sends SIG to DOM's QEMU, never to a process that took its pid: our own
 * unreaped child cannot have lost it; another's QEMU is signalled through
 * its pidfd, or after checking its start time.  Call with the job held. */
void qemud_qemu_signal(struct qemud_dom *dom, int sig)
{
    if (dom->own_child)
        kill(dom->pid, sig);
    else if (dom->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, dom->pidfd, sig, NULL, 0);
    else if (qemu_same(dom->pid, dom->starttime))
        kill(dom->pid, sig);
}

static void *reap_thread(void *opaque)
{
    pid_t pid = (pid_t)(intptr_t)opaque;

    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* Our child PID outlived the bounded waits of a stop (stuck in the kernel
 * after SIGKILL): a thread of its own waits for it, so that it is reaped
 * whenever it does exit instead of staying a zombie until we exit. */
void qemud_qemu_reap_later(const char *name, pid_t pid)
{
    pthread_attr_t attr;
    pthread_t thread;
    int r;

    mv_error("domain '%s': QEMU (pid %d) did not exit within %d ms of SIGKILL; reaping it when it does",
             name, (int)pid, QEMUD_QEMU_KILL_WAIT_MS);
    if ((r = pthread_attr_init(&attr)) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&thread, &attr, reap_thread, (void *)(intptr_t)pid);
        pthread_attr_destroy(&attr);
    }
    if (r != 0)
        mv_error("domain '%s': no thread to reap QEMU (pid %d): %s", name, (int)pid, strerror(r));
}
