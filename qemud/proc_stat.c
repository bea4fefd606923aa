/* /proc/PID/stat of QEMU processes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "proc_stat.h"

int qemud_proc_stat_read(pid_t pid, struct qemud_proc_stat *st)
{
    _cleanup_free_ char *stat = NULL;
    char path[64], *p;
    int r;

    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    /* the command (field 2) may hold spaces and ')': fields 3.. follow the last ')' */
    /* only a missing entry means "no such process": another error (out of
     * fds or memory) says nothing about the process, and callers that
     * would clean up after a gone one must be able to tell */
    if ((r = mv_file_read_all(path, 4096, &stat, NULL)) < 0)
        return r == -ENOENT || r == -ESRCH ? -ESRCH : r;
    if (!(p = strrchr(stat, ')')))
        return -EINVAL;
    /* state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
     * cmajflt utime(14) stime(15) cutime cstime priority nice num_threads
     * itrealvalue starttime(22) */
    if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
               &st->state, &st->utime, &st->stime, &st->starttime) != 4)
        return -EINVAL;
    return 0;
}
