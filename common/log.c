#define MV_LOG_MODULE "log"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define MV_LOG_FILTERS_MAX 32
#define MV_LOG_PREFIX_MAX 64
/* A line longer than this is cut (a log line is not a data channel). */
#define MV_LOG_LINE_MAX 16384

struct log_filter {
    enum mv_log_level level;
    char prefix[MV_LOG_PREFIX_MAX];     /* "*" matches every module */
};

/*
 * Writing a line never waits for the reader of the log: a stalled journal
 * or a full pipe must not stop the daemon's event loop (or a thread holding
 * a lock the loop needs).  The output is written without blocking -- a
 * socket with MSG_DONTWAIT, a pipe or terminal through its own non-blocking
 * open file description (so stderr's flags, shared with others, are left
 * alone), a regular file as it is -- and a line that does not fit is
 * dropped and counted; the count is reported in the next line that fits.
 * Each line is formatted first and written with one call, so concurrent
 * lines do not interleave and no lock is held while writing.
 */
struct log_output {
    int fd;                             /* the output as we write it */
    bool is_socket;
    bool owned;                         /* fd is ours to close */
};

static struct {
    pthread_mutex_t lock;               /* filters and level */
    pthread_rwlock_t out_lock;          /* writers share it; replacing the output excludes them */
    const char *progname;
    enum mv_log_level level;
    struct log_filter filters[MV_LOG_FILTERS_MAX];
    size_t nfilters;
    struct log_output out;              /* fd -1: not set up yet, stderr is used as is */
    atomic_ulong dropped;               /* lines lost to a full output */
} log_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .out_lock = PTHREAD_RWLOCK_INITIALIZER,
    .progname = "modvirt",
    .level = MV_LOG_WARN,
    .out = { .fd = -1 },
};

static const char *const level_names[] = {
    [MV_LOG_DEBUG] = "debug", [MV_LOG_INFO] = "info",
    [MV_LOG_WARN] = "warning", [MV_LOG_ERROR] = "error",
};

void mv_log_init(const char *progname)
{
    log_state.progname = progname;
}

void mv_log_set_level(enum mv_log_level level)
{
    log_state.level = level;
}

static int parse_filter(const char *word, struct log_filter *f)
{
    char *end;
    long lvl = strtol(word, &end, 10);

    if (end == word || *end != ':' || lvl < MV_LOG_DEBUG || lvl > MV_LOG_ERROR)
        return -EINVAL;
    if (end[1] == '\0' || strlen(end + 1) >= MV_LOG_PREFIX_MAX)
        return -EINVAL;
    f->level = (enum mv_log_level)lvl;
    strcpy(f->prefix, end + 1);
    return 0;
}

int mv_log_set_filters(const char *spec)
{
    struct log_filter parsed[MV_LOG_FILTERS_MAX];
    size_t n = 0;
    _cleanup_free_ char *copy = strdup(spec);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
        if (n == MV_LOG_FILTERS_MAX || parse_filter(w, &parsed[n]) < 0)
            return -EINVAL;
        n++;
    }
    pthread_mutex_lock(&log_state.lock);
    memcpy(log_state.filters, parsed, n * sizeof(parsed[0]));
    log_state.nfilters = n;
    pthread_mutex_unlock(&log_state.lock);
    return 0;
}

/* A way to write FD that never blocks; FD itself stays as it is. */
static int output_for(int fd, bool owned, struct log_output *out)
{
    struct stat st;
    _cleanup_free_ char *path = NULL;
    int nfd;

    if (fstat(fd, &st) < 0)
        return -errno;
    *out = (struct log_output){ .fd = fd, .owned = owned };
    if (S_ISSOCK(st.st_mode)) {
        out->is_socket = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        if (asprintf(&path, "/proc/self/fd/%d", fd) < 0)
            return -ENOMEM;
        nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (nfd >= 0) {
            if (owned)
                close(fd);
            out->fd = nfd;
            out->owned = true;
        }
        /* else: written as it is; a pipe we cannot reopen may block */
    }
    return 0;
}

static void output_replace(const struct log_output *o)
{
    struct log_output old;

    pthread_rwlock_wrlock(&log_state.out_lock);
    old = log_state.out;
    log_state.out = *o;
    pthread_rwlock_unlock(&log_state.out_lock);
    if (old.owned)
        close(old.fd);
}

int mv_log_set_output(const char *spec)
{
    struct log_output o;
    int fd, r;

    if (strcmp(spec, "stderr") == 0) {
        r = output_for(STDERR_FILENO, false, &o);
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        fd = open(spec + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
        if (fd < 0)
            return -errno;
        r = output_for(fd, true, &o);
        if (r < 0)
            close(fd);
    } else {
        return -EINVAL;
    }
    if (r < 0)
        return r;
    output_replace(&o);
    return 0;
}

/* The most specific (longest) matching filter wins; "*" is the weakest. */
static enum mv_log_level threshold_for(const char *module)
{
    enum mv_log_level lvl = log_state.level;
    size_t best = 0;

    for (size_t i = 0; i < log_state.nfilters; i++) {
        const struct log_filter *f = &log_state.filters[i];
        size_t len = strlen(f->prefix);

        if (strcmp(f->prefix, "*") == 0) {
            if (best == 0)
                lvl = f->level;
        } else if (strncmp(module, f->prefix, len) == 0 && len > best) {
            lvl = f->level;
            best = len;
        }
    }
    return lvl;
}

int mv_log_enabled(enum mv_log_level level, const char *module)
{
    int on;

    pthread_mutex_lock(&log_state.lock);
    on = level >= threshold_for(module);
    pthread_mutex_unlock(&log_state.lock);
    return on;
}

/* Writes LINE without waiting; false if the output could not take it all. */
static bool output_write(const char *line, size_t len)
{
    bool done = false;

    pthread_rwlock_rdlock(&log_state.out_lock);
    if (log_state.out.fd < 0) {
        /* the default before mv_log_set_output(): stderr as it is */
        struct log_output o;

        pthread_rwlock_unlock(&log_state.out_lock);
        if (output_for(STDERR_FILENO, false, &o) == 0) {
            pthread_rwlock_wrlock(&log_state.out_lock);
            if (log_state.out.fd < 0) {
                log_state.out = o;
                o.owned = false;
            }
            pthread_rwlock_unlock(&log_state.out_lock);
            if (o.owned)
                close(o.fd);
        }
        pthread_rwlock_rdlock(&log_state.out_lock);
    }
    while (len > 0) {
        const struct log_output *o = &log_state.out;
        ssize_t n = o->is_socket ? send(o->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                                 : write(o->fd, line, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        line += n;
        len -= (size_t)n;
    }
    done = len == 0;
    pthread_rwlock_unlock(&log_state.out_lock);
    return done;
}

void mv_log_write(enum mv_log_level level, const char *module, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32], note[96] = "";
    _cleanup_free_ char *line = NULL;
    unsigned long lost;
    va_list ap;
    int saved = errno, n, m;

    if (!mv_log_enabled(level, module))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    lost = atomic_exchange(&log_state.dropped, 0);
    if (lost)
        snprintf(note, sizeof(note), " [%lu earlier log lines dropped: the log output was full]", lost);

    line = malloc(MV_LOG_LINE_MAX);
    if (!line) {
        atomic_fetch_add(&log_state.dropped, lost + 1);
        errno = saved;
        return;
    }
    n = snprintf(line, MV_LOG_LINE_MAX, "%s.%03ld %s[%d]: %s: %s: ", stamp, ts.tv_nsec / 1000000,
                 log_state.progname, (int)getpid(), level_names[level], module);
    va_start(ap, fmt);
    m = vsnprintf(line + n, MV_LOG_LINE_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + m >= MV_LOG_LINE_MAX - 1 ? MV_LOG_LINE_MAX - 1 : n + m;
    /* the note and the newline go at the end, cutting the message if need be */
    m = snprintf(NULL, 0, "%s\n", note);
    if ((size_t)n + (size_t)m >= MV_LOG_LINE_MAX)
        n = MV_LOG_LINE_MAX - 1 - m;
    n += snprintf(line + n, MV_LOG_LINE_MAX - (size_t)n, "%s\n", note);
    if (!output_write(line, (size_t)n))
        atomic_fetch_add(&log_state.dropped, lost + 1);
    errno = saved;
}
