#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/virterror.h>

#include "bench/cliutil.h"
#include "bench/timing.h"

/* program_invocation_short_name: _GNU_SOURCE comes from config.h */
#define PROG program_invocation_short_name

volatile int bench_stop;

static void on_signal(int sig)
{
    (void)sig;
    bench_stop = 1;
}

void bench_catch_stop(void)
{
    struct sigaction sa = { .sa_handler = on_signal }, old_int;

    if (sigaction(SIGINT, NULL, &old_int) == 0 && old_int.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int bench_fail(const char *what, const char *name)
{
    fprintf(stderr, "%s: %s%s%s: %s\n", PROG, what, name ? " " : "", name ? name : "",
            virGetLastErrorMessage());
    return -1;
}

double bench_ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

char *bench_subst(const char *text, const char *key, const char *value)
{
    size_t n = 0, klen = strlen(key), vlen = strlen(value);
    const char *p;
    char *out, *o;

    for (p = text; (p = strstr(p, key)); p += klen)
        n++;
    if (!(out = malloc(strlen(text) + n * vlen + 1)))
        return NULL;
    for (o = out, p = text;;) {
        const char *at = strstr(p, key);

        if (!at)
            break;
        memcpy(o, p, (size_t)(at - p));
        o += at - p;
        memcpy(o, value, vlen);
        o += vlen;
        p = at + klen;
    }
    strcpy(o, p);
    return out;
}

char *bench_read_text(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0;

    if (!f || getdelim(&buf, &len, '\0', f) < 0) {
        fprintf(stderr, "%s: cannot read %s: %s\n", PROG, path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

void bench_print_ms(const char *key, uint64_t *s, size_t n, bool all, int decimals)
{
    if (all) {
        printf(" %s_all_ms=", key);
        for (size_t i = 0; i < n; i++)
            printf("%s%.1f", i ? "," : "", bench_ms(s[i]));
    }
    qsort(s, n, sizeof(*s), cmp_u64);
    printf(" %s_median_ms=%.*f", key, decimals, bench_ms(percentile(s, n, 50)));
}

int bench_parse_num(const char *opt, const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        fprintf(stderr, "%s: %s: '%s' is not a number from %zu to %zu\n", PROG, opt, s, min, max);
        return -EINVAL;
    }
    *out = (size_t)v;
    return 0;
}
