/*
 * LD_PRELOAD shim for qemud-domain-nopidfd.sh: pidfd_open() fails with
 * ENOSYS, as on a kernel older than 5.3 (or a seccomp filter refusing it),
 * whether it is called through glibc's wrapper or through syscall().
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static long (*real_syscall)(long, ...);

/* resolved before main(): syscall() may be called between fork and exec,
 * where dlsym() is not safe */
__attribute__((constructor)) static void resolve(void)
{
    real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
}

long syscall(long number, ...)
{
    long a[6];
    va_list ap;

    if (number == SYS_pidfd_open || !real_syscall) {
        errno = ENOSYS;
        return -1;
    }
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int pidfd_open(pid_t pid, unsigned int flags)
{
    (void)pid;
    (void)flags;
    errno = ENOSYS;
    return -1;
}
