/* Signals as input for the CLI's long-running commands (console, events). */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"

int cli_signal_fd(const int *signals)
{
    sigset_t set;

    sigemptyset(&set);
    for (; *signals; signals++)
        sigaddset(&set, *signals);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

void cli_take_signal(int sigfd)
{
    struct signalfd_siginfo si;

    if (read(sigfd, &si, sizeof(si)) < 0)
        return;     /* nothing pending after all */
}
