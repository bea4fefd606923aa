#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "golden.h"

/* no golden file is larger; a runaway output is not read whole */
#define GOLDEN_MAX (1024 * 1024)

bool mv_test_regenerate(void)
{
    const char *v = getenv("MV_REGENERATE");

    return v && strcmp(v, "1") == 0;
}

char *mv_test_golden_path(const char *dir, const char *name, const char *suffix)
{
    const char *top = getenv("top_srcdir");
    char *p;

    ck_assert(asprintf(&p, "%s/tests/%s/%s%s", top ? top : ".", dir, name, suffix) > 0);
    return p;
}

char *mv_test_golden_read(const char *dir, const char *name, const char *suffix)
{
    char *path = mv_test_golden_path(dir, name, suffix);
    char *text = NULL;
    int r = mv_file_read_all(path, GOLDEN_MAX, &text, NULL);

    ck_assert_msg(r == 0, "cannot read %s (%s)%s", path, strerror(-r),
                  r == -ENOENT ? ": run with MV_REGENERATE=1 to create it" : "");
    free(path);
    return text;
}

void mv_test_golden_roundtrip(const char *dir, const char *name,
                              char *(*roundtrip)(const char *name, const char *text))
{
    char *input = mv_test_golden_read(dir, name, ".xml");
    char *out = roundtrip(name, input);
    char *again;

    mv_test_golden(dir, name, ".out.xml", out);
    again = roundtrip(name, out);
    ck_assert_msg(strcmp(out, again) == 0, "%s: output is not stable through parse + format (second pass "
                  "written to %s)", name, mv_test_write_actual(name, ".again.xml", again));
    free(again);
    free(out);
    free(input);
}

const char *mv_test_write_actual(const char *name, const char *suffix, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s%s", name, suffix);
    f = fopen(path, "we");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

void mv_test_golden(const char *dir, const char *name, const char *suffix, const char *text)
{
    char *path = mv_test_golden_path(dir, name, suffix);
    char *expected = NULL;
    char *actual = NULL;

    if (mv_test_regenerate()) {
        ck_assert_msg(mv_file_write_atomic(path, text, strlen(text), 0644) == 0, "cannot write %s", path);
        free(path);
        return;
    }
    free(path);
    expected = mv_test_golden_read(dir, name, suffix);
    if (strcmp(expected, text) == 0) {
        free(expected);
        return;
    }
    ck_assert(asprintf(&actual, "%s.actual", suffix) > 0);
    ck_abort_msg("tests/%s/%s%s differs from the output (written to %s); diff them, or rerun with "
                 "MV_REGENERATE=1 if the change is intended", dir, name, suffix,
                 mv_test_write_actual(name, actual, text));
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool selected(const char *name, enum mv_test_inputs which)
{
    if (which == MV_TEST_INPUTS_ALL)
        return true;
    return has_suffix(name, "-invalid") == (which == MV_TEST_INPUTS_INVALID);
}

static int input_only(const struct dirent *e)
{
    return has_suffix(e->d_name, ".xml") && !has_suffix(e->d_name, ".out.xml");
}

size_t mv_test_golden_inputs(const char *dir, enum mv_test_inputs which, size_t min, char ***names)
{
    const char *top = getenv("top_srcdir");
    struct dirent **list = NULL;
    char *path = NULL;
    size_t n = 0;
    int count;

    if (asprintf(&path, "%s/tests/%s", top ? top : ".", dir) < 0)
        abort();
    count = scandir(path, &list, input_only, alphasort);
    if (count < 0) {
        fprintf(stderr, "cannot list %s: %s\n", path, strerror(errno));
        exit(1);
    }
    *names = calloc((size_t)count + 1, sizeof(**names));
    if (!*names)
        abort();
    for (int i = 0; i < count; i++) {
        char *name = strndup(list[i]->d_name, strlen(list[i]->d_name) - 4);

        if (!name)
            abort();
        if (selected(name, which))
            (*names)[n++] = name;
        else
            free(name);
        free(list[i]);
    }
    free(list);
    if (n < min) {
        fprintf(stderr, "only %zu inputs found in %s\n", n, path);
        exit(1);
    }
    free(path);
    return n;
}

void mv_test_golden_inputs_free(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}
