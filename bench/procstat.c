/* Per-process CPU counters from /proc/PID/task/TID/schedstat (see procstat.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "bench/procstat.h"

/* "time on CPU (ns)  time waiting for a CPU (ns)  timeslices" */
static int read_schedstat(const char *path, struct proc_counters *sum)
{
    FILE *f = fopen(path, "re");
    uint64_t run, wait, slices;
    int n;

    if (!f)
        return -errno;
    n = fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &run, &wait, &slices);
    fclose(f);
    if (n != 3)
        return -EPROTO;
    sum->cpu_ns += run;
    sum->runs += slices;
    return 0;
}

int proc_counters_read(pid_t pid, struct proc_counters *out)
{
    struct proc_counters sum = { 0 };
    char path[96];
    struct dirent *e;
    DIR *d;
    int r = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return -errno;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid, e->d_name);
        /* a thread that ended meanwhile is simply not counted */
        if ((r = read_schedstat(path, &sum)) < 0 && r != -ENOENT && r != -ESRCH)
            break;
        r = 0;
    }
    closedir(d);
    if (r < 0)
        return r;
    *out = sum;
    return 0;
}
