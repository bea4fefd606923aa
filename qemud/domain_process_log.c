/* QEMU's log file: the command line written before it starts, its own
 * output after, and the part of it a failed start quotes. */
#define MV_LOG_MODULE "qemud.process"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_process_priv.h"
#include "domain_store.h"
#include "file.h"

/* QEMU output quoted in a failed start's error */
#define LOG_TAIL_MAX 1024

int qemud_qemu_log_open(const char *name, off_t *start)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    int fd;

    if (!path)
        return -ENOMEM;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    *start = lseek(fd, 0, SEEK_END);
    return fd;
}

void qemud_qemu_log_command(int fd, char *const *argv)
{
    char stamp[64];
    time_t now = time(NULL);
    struct tm tm;

    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S%z", gmtime_r(&now, &tm));
    dprintf(fd, "%s: starting up\n", stamp);
    for (size_t i = 0; argv[i]; i++)
        dprintf(fd, "%s%s", argv[i], argv[i + 1] ? " \\\n" : "\n");
}

/* QEMU's words since START, trimmed to the last LOG_TAIL_MAX bytes. */
char *qemud_qemu_log_tail(const char *name, off_t start)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char *from, *end;

    if (!path || mv_file_read_all(path, 16 * 1024 * 1024, &text, &len) < 0 || (size_t)start > len)
        return strdup("(no output)");
    from = text + start;
    /* skip our own header: the command line ends at the first line without " \" */
    for (char *nl; (nl = strchr(from, '\n'));) {
        bool continued = nl > from && nl[-1] == '\\';
        from = nl + 1;
        if (!continued && strncmp(from, "-", 1) != 0)
            break;
    }
    end = text + len;
    while (end > from && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    if ((size_t)(end - from) > LOG_TAIL_MAX)
        from = end - LOG_TAIL_MAX;
    return end > from ? strndup(from, (size_t)(end - from)) : strdup("(no output)");
}
