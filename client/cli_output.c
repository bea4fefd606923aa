/*
 * How the modvirt tool prints: errors on stderr with one prefix, tables laid
 * out like virsh's (so eyes and scripts used to virsh feel at home), JSON
 * through json-c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("modvirt: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(int r, modvirt_error *err)
{
    if (err && err->message)
        cli_error("%s", err->message);
    else
        cli_error("%s", strerror(r < 0 ? -r : r));
    modvirt_error_free(err);
    return r == -ENOTCONN ? CLI_EXIT_CONNECT : CLI_EXIT_FAILED;
}

int cli_failf(int r, modvirt_error *err, const char *fmt, ...)
{
    va_list ap;

    fputs("modvirt: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err && err->message)
        fprintf(stderr, ": %s\n", err->message);
    else
        fprintf(stderr, ": %s\n", strerror(r < 0 ? -r : r));
    modvirt_error_free(err);
    return r == -ENOTCONN ? CLI_EXIT_CONNECT : CLI_EXIT_FAILED;
}

const char *cli_uuid_string(const unsigned char uuid[16], char out[37])
{
    char *p = out;

    for (int i = 0; i < 16; i++) {
        p += sprintf(p, "%02x", uuid[i]);
        if (i == 3 || i == 5 || i == 7 || i == 9)
            *p++ = '-';
    }
    *p = '\0';
    return out;
}

const char *cli_size_string(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024 && u + 1 < MV_ARRAY_SIZE(units)) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.2f %s", v, units[u]);
    return buf;
}

const char *cli_version_string(unsigned long long v, char *buf, size_t len)
{
    snprintf(buf, len, "%llu.%llu.%llu", v / 1000000, v / 1000 % 1000, v % 1000);
    return buf;
}

int cli_json_print(json_object *obj)
{
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                                        JSON_C_TO_STRING_SPACED |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
    int r = s && puts(s) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;

    json_object_put(obj);
    return r;
}

int cli_print_xml(struct cli *cli, const char *xml)
{
    size_t len = strlen(xml);

    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "xml", json_object_new_string(xml));
        return cli_json_print(o);
    }
    fputs(xml, stdout);
    if (len == 0 || xml[len - 1] != '\n')
        putchar('\n');
    return CLI_EXIT_OK;
}

int cli_vreport(json_object *o, const char *action, const char *end, const char *fmt, va_list ap)
{
    if (o) {
        json_object_object_add(o, "action", json_object_new_string(action));
        return cli_json_print(o);
    }
    vprintf(fmt, ap);
    fputs(end, stdout);
    return CLI_EXIT_OK;
}

/* ---- tables ---- */

struct cli_table {
    size_t ncols;
    size_t nrows;               /* header included */
    size_t cap;
    char **cells;               /* nrows * ncols */
};

struct cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    struct cli_table *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->ncols = ncols;
    if (cli_table_add(t, headers) < 0) {
        cli_table_free(t);
        return NULL;
    }
    return t;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char **n = reallocarray(t->cells, cap * t->ncols, sizeof(*n));

        if (!n)
            return -ENOMEM;
        t->cells = n;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        char *s = strdup(cells[i] ? cells[i] : "");

        if (!s) {
            for (size_t j = 0; j < i; j++)
                free(t->cells[t->nrows * t->ncols + j]);
            return -ENOMEM;
        }
        t->cells[t->nrows * t->ncols + i] = s;
    }
    t->nrows++;
    return 0;
}

static void print_row(const struct cli_table *t, size_t row, const size_t *width)
{
    putchar(' ');
    for (size_t i = 0; i < t->ncols; i++) {
        const char *s = t->cells[row * t->ncols + i];

        /* no padding after the last column: no trailing blanks */
        if (i + 1 < t->ncols)
            printf("%-*s   ", (int)width[i], s);
        else
            printf("%s\n", s);
    }
}

/* virsh's layout: " Id   Name   State", a rule as wide as the columns plus
 * three per column, then the rows, then an empty line. */
void cli_table_print(const struct cli_table *t)
{
    _cleanup_free_ size_t *width = calloc(t->ncols, sizeof(*width));
    size_t rule = 0;

    if (!width)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t i = 0; i < t->ncols; i++) {
            size_t len = strlen(t->cells[r * t->ncols + i]);
            if (len > width[i])
                width[i] = len;
        }
    for (size_t i = 0; i < t->ncols; i++)
        rule += width[i] + 3;
    print_row(t, 0, width);
    for (size_t i = 0; i < rule; i++)
        putchar('-');
    putchar('\n');
    for (size_t r = 1; r < t->nrows; r++)
        print_row(t, r, width);
    putchar('\n');
}

void cli_table_free(struct cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

/* ---- typed values (domain statistics, guest info) ---- */

void cli_stat_print(const modvirt_stat *s)
{
    switch (s->type) {
    case 1: case 3: printf("%lld", s->i); break;
    case 2: case 4: printf("%llu", s->u); break;
    case 5: printf("%f", s->d); break;
    case 6: printf("%s", s->i ? "yes" : "no"); break;
    case 7: printf("%s", s->s ? s->s : ""); break;
    }
}

json_object *cli_stat_json(const modvirt_stat *s)
{
    switch (s->type) {
    case 1: case 3: return json_object_new_int64(s->i);
    case 2: case 4: return json_object_new_uint64(s->u);
    case 5: return json_object_new_double(s->d);
    case 6: return json_object_new_boolean(s->i != 0);
    default: return json_object_new_string(s->s ? s->s : "");
    }
}
