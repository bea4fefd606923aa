#define MV_LOG_MODULE "log"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "log.h"

#define MV_LOG_FILTERS_MAX 32
#define MV_LOG_PREFIX_MAX 64

struct log_filter {
    enum mv_log_level level;
    char prefix[MV_LOG_PREFIX_MAX];     /* "*" matches every module */
};

static struct {
    pthread_mutex_t lock;
    const char *progname;
    enum mv_log_level level;
    struct log_filter filters[MV_LOG_FILTERS_MAX];
    size_t nfilters;
    FILE *out;                          /* NULL means stderr */
} log_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .progname = "modvirt",
    .level = MV_LOG_WARN,
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

int mv_log_set_output(const char *spec)
{
    FILE *f = NULL;

    if (strcmp(spec, "stderr") == 0) {
        f = NULL;
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        f = fopen(spec + 5, "ae");
        if (!f)
            return -errno;
        setvbuf(f, NULL, _IOLBF, 0);
    } else {
        return -EINVAL;
    }
    pthread_mutex_lock(&log_state.lock);
    if (log_state.out)
        fclose(log_state.out);
    log_state.out = f;
    pthread_mutex_unlock(&log_state.lock);
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

void mv_log_write(enum mv_log_level level, const char *module, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    va_list ap;
    int saved = errno;

    if (!mv_log_enabled(level, module))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);

    pthread_mutex_lock(&log_state.lock);
    FILE *out = log_state.out ? log_state.out : stderr;
    fprintf(out, "%s.%03ld %s[%d]: %s: %s: ", stamp, ts.tv_nsec / 1000000,
            log_state.progname, (int)getpid(), level_names[level], module);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    pthread_mutex_unlock(&log_state.lock);
    errno = saved;
}
