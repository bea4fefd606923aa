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

/* What /proc says of the process PID that started at STARTTIME (proc_presence.c). */
enum qemud_presence {
    QEMUD_PRESENCE_GONE,        /* no such process, a zombie, or the pid names another process now */
    QEMUD_PRESENCE_SAME,        /* that process, running */
    QEMUD_PRESENCE_UNKNOWN,     /* /proc/PID/stat unreadable or unparsable (out of fds or memory):
                                 * says nothing about the process */
};

/* The presence of PID started at STARTTIME; *WHY is qemud_proc_stat_read's
 * result (the -errno behind UNKNOWN, for the log). */
enum qemud_presence qemud_proc_presence(pid_t pid, unsigned long long starttime, int *why);
