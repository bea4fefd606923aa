/* What the daemon reads from /proc/PID/stat of a QEMU process. */
#pragma once

#include <sys/types.h>

struct qemud_proc_stat {
    char state;                         /* R, S, D, Z (zombie), X (dead), ... */
    unsigned long long utime, stime;    /* clock ticks spent in user / kernel mode */
    unsigned long long starttime;       /* clock ticks after boot: with the pid, names one process */
};

/* Reads /proc/PID/stat.  0; -ESRCH if there is no such process; -EINVAL if
 * the file cannot be parsed; another -errno if it cannot be read (which
 * does not tell whether the process exists). */
int qemud_proc_stat_read(pid_t pid, struct qemud_proc_stat *st);
