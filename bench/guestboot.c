/* Watching a guest boot for dombench; see guestboot.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/guestboot.h"
#include "bench/timing.h"

/* Reads PATH from *OFF (less the marker's length, so a marker split across
 * two reads is still found) to its end.  1: MARKER is there; 0: not yet
 * (or no file yet); -errno. */
static int scan_log(const char *path, const char *marker, off_t *off)
{
    size_t mlen = strlen(marker);
    char buf[65536];
    struct stat st;
    off_t pos;
    int fd, found = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstat(fd, &st) == 0 && st.st_size < *off)
        *off = 0;               /* truncated: a new boot's log */
    pos = *off > (off_t)mlen ? *off - (off_t)(mlen - 1) : 0;
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof(buf), pos);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            found = -errno;
            break;
        }
        *off = pos + r;
        if (memmem(buf, (size_t)r, marker, mlen)) {
            found = 1;
            break;
        }
        if ((size_t)r < sizeof(buf))
            break;
        pos += r - (off_t)(mlen - 1);
    }
    close(fd);
    return found;
}

int wait_marker(const char *path, const char *marker, uint64_t start_ns, unsigned timeout_s,
                pid_t child, volatile int *stop, uint64_t *found_ns)
{
    uint64_t deadline = start_ns + (uint64_t)timeout_s * 1000000000u, next = start_ns;
    off_t off = 0;

    for (;;) {
        int r = scan_log(path, marker, &off);

        if (r < 0)
            return r;
        if (r > 0) {
            *found_ns = now_ns();
            return 0;
        }
        if (*stop)
            return -EINTR;
        if (child > 0 && waitpid(child, NULL, WNOHANG) == child)
            return -ECHILD;
        if (now_ns() > deadline)
            return -ETIMEDOUT;
        while (next <= now_ns())
            next += MARKER_POLL_NS;
        struct timespec ts = { .tv_sec = (time_t)(next / 1000000000u),
                               .tv_nsec = (long)(next % 1000000000u) };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !*stop)
            ;
    }
}

/* Whether the NUL-separated command line CMD (LEN bytes) is a qemu-system
 * process for the guest NAME. */
static int cmdline_names_guest(const char *cmd, size_t len, const char *name)
{
    const char *argv0 = cmd, *slash = strrchr(argv0, '/');
    size_t nlen = strlen(name);

    if (strncmp(slash ? slash + 1 : argv0, "qemu-system", 11) != 0)
        return 0;
    for (const char *a = cmd; a < cmd + len; a += strlen(a) + 1)
        if (strncmp(a, "guest=", 6) == 0 && strncmp(a + 6, name, nlen) == 0 &&
            (a[6 + nlen] == ',' || a[6 + nlen] == '\0'))
            return 1;
    return 0;
}

pid_t find_qemu_pid(const char *name)
{
    static char cmd[65536];
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = -1;

    if (!d)
        return -1;
    while (found < 0 && (e = readdir(d))) {
        char path[300];
        ssize_t len;
        int fd;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        len = read(fd, cmd, sizeof(cmd) - 1);
        close(fd);
        if (len <= 0)
            continue;
        cmd[len] = '\0';
        if (cmdline_names_guest(cmd, (size_t)len, name))
            found = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return found;
}

void cpuset_format(const cpu_set_t *cpus, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
        int end = c;

        if (!CPU_ISSET(c, cpus))
            continue;
        while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, cpus))
            end++;
        used += (size_t)snprintf(buf + used, len - used, end > c ? "%s%d-%d" : "%s%d",
                                 used ? "," : "", c, end);
        c = end;
    }
}

int raw_qemu_start(const char *kernel, const char *initrd, const char *log,
                   const cpu_set_t *affinity, pid_t *pid)
{
    char serial[4096], out[4096];
    pid_t child;

    if ((size_t)snprintf(serial, sizeof(serial), "pty,id=charserial0,logfile=%s,logappend=off", log) >=
            sizeof(serial) ||
        (size_t)snprintf(out, sizeof(out), "%s.qemu", log) >= sizeof(out))
        return -ENAMETOOLONG;
    child = fork();
    if (child < 0)
        return -errno;
    if (child == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive dombench */
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            dup2(fd, STDIN_FILENO);
        sched_setaffinity(0, sizeof(*affinity), affinity);
        execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", "tcg", "-nodefaults",
               "-no-user-config", "-display", "none", "-no-reboot", "-m", "256", "-smp", "1",
               "-chardev", serial, "-device", "isa-serial,chardev=charserial0,id=serial0,index=0",
               "-kernel", kernel, "-initrd", initrd,
               "-append", "console=ttyS0 panic=-1", (char *)NULL);
        fprintf(stderr, "dombench: exec qemu-system-x86_64: %s\n", strerror(errno));
        _exit(127);
    }
    *pid = child;
    return 0;
}

void raw_qemu_kill(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGKILL);
    while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
        ;
    *pid = -1;
}

long proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}
