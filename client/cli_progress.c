/*
 * The progress bar of long transfers and jobs (vol-upload, vol-download,
 * vol-clone, vol-wipe): "LABEL [#####.....]  45%  450.00 MiB / 1.00 GiB
 * 120.3 MiB/s  ETA 0:04", redrawn in place with a carriage return.  It only
 * draws when stdout is a terminal and --json is off: a pipe, a file or a
 * script gets exactly the output it would get without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"

/* Redraws at most this often: more is flicker and wasted writes. */
#define REDRAW_NS (200 * 1000 * 1000LL)
#define BAR_WIDTH 24

struct cli_progress {
    char label[40];
    uint64_t total, done;
    long long start_ns, drawn_ns;
    size_t width;               /* of the last line drawn, to blank its rest */
};

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct cli_progress *cli_progress_new(const struct cli *cli, const char *label, uint64_t total)
{
    struct cli_progress *p;

    if (cli->json || !isatty(STDOUT_FILENO))
        return NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;    /* no bar is no failure */
    snprintf(p->label, sizeof(p->label), "%s", label);
    p->total = total;
    p->start_ns = now_ns();
    return p;
}

/* "1:02:03" or "2:03" for SECONDS. */
static void clock_string(long long seconds, char *buf, size_t len)
{
    if (seconds >= 3600)
        snprintf(buf, len, "%lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60, seconds % 60);
    else
        snprintf(buf, len, "%lld:%02lld", seconds / 60, seconds % 60);
}

/* The bar and percentage, or nothing when the total is unknown. */
static int format_bar(const struct cli_progress *p, char *buf, size_t len)
{
    char bar[BAR_WIDTH + 1];
    unsigned pct;
    size_t fill;

    if (!p->total)
        return 0;
    pct = p->done >= p->total ? 100 : (unsigned)(p->done * 100.0 / p->total);
    fill = (size_t)pct * BAR_WIDTH / 100;
    memset(bar, '#', fill);
    memset(bar + fill, '.', BAR_WIDTH - fill);
    bar[BAR_WIDTH] = '\0';
    return snprintf(buf, len, " [%s] %3u%%", bar, pct);
}

/* Rate so far and the time left (or spent, when the total is unknown). */
static void format_rate(const struct cli_progress *p, long long elapsed_ns, bool complete,
                        char *buf, size_t len)
{
    double secs = elapsed_ns / 1e9;
    double rate = secs > 0 ? p->done / secs : 0;
    char rs[32], when[24];

    bool eta = !complete && p->total && rate > 0 && p->done < p->total;

    cli_size_string((uint64_t)rate, rs, sizeof(rs));
    /* time left only once there is a rate to tell it by; else time spent */
    if (eta)
        clock_string((long long)((p->total - p->done) / rate) + 1, when, sizeof(when));
    else
        clock_string((long long)secs, when, sizeof(when));
    snprintf(buf, len, "  %s/s  %s %s", rs, eta ? "ETA" : complete ? "in" : "elapsed", when);
}

static void draw(struct cli_progress *p, long long now, bool complete)
{
    char bar[64] = "", done[32], total[32], rate[96], line[320];
    size_t n;

    format_bar(p, bar, sizeof(bar));
    cli_size_string(p->done, done, sizeof(done));
    cli_size_string(p->total, total, sizeof(total));
    format_rate(p, now - p->start_ns, complete, rate, sizeof(rate));
    if (!p->total && !p->done) {
        /* nothing counted (a wipe): the time spent is all there is to say */
        clock_string((now - p->start_ns) / 1000000000LL, total, sizeof(total));
        snprintf(line, sizeof(line), "%s  %s %s", p->label, complete ? "done in" : "elapsed",
                 total);
    } else {
        snprintf(line, sizeof(line), "%s%s  %s%s%s%s", p->label, bar, done,
                 p->total ? " / " : "", p->total ? total : "", rate);
    }
    n = strlen(line);
    /* blanks over whatever a longer previous line left behind */
    printf("\r%s%*s", line, p->width > n ? (int)(p->width - n) : 0, "");
    fflush(stdout);
    p->width = n;
    p->drawn_ns = now;
}

void cli_progress_update(struct cli_progress *p, uint64_t done)
{
    long long now;

    if (!p)
        return;
    p->done = done;
    now = now_ns();
    if (p->drawn_ns == 0 || now - p->drawn_ns >= REDRAW_NS)
        draw(p, now, false);
}

void cli_progress_set_total(struct cli_progress *p, uint64_t total)
{
    if (p)
        p->total = total;
}

void cli_progress_end(struct cli_progress *p, bool complete)
{
    if (!p)
        return;
    if (complete && p->total)
        p->done = p->total;
    draw(p, now_ns(), complete);
    putchar('\n');
    fflush(stdout);
}

void cli_progress_free(struct cli_progress *p)
{
    free(p);
}
