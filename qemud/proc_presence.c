/* "Is the process that started at STARTTIME still PID?": the one answer
 * for QEMU and its sidecars, with "cannot tell" kept apart from "gone".
 * Its own file so that tests can inject /proc failures (--wrap of
 * qemud_proc_stat_read only reaches calls from another object). */
#include <errno.h>

#include "proc_stat.h"

enum qemud_presence qemud_proc_presence(pid_t pid, unsigned long long starttime, int *why)
{
    struct qemud_proc_stat st;
    int r = qemud_proc_stat_read(pid, &st);

    *why = r;
    if (r == -ESRCH)
        return QEMUD_PRESENCE_GONE;
    if (r < 0)
        return QEMUD_PRESENCE_UNKNOWN;
    return st.starttime == starttime && st.state != 'Z' && st.state != 'X' ? QEMUD_PRESENCE_SAME
                                                                          : QEMUD_PRESENCE_GONE;
}
