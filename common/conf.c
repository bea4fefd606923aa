#define MV_LOG_MODULE "conf"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "conf.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"

enum conf_type {
    CONF_STRING,
    CONF_INT,
    CONF_LIST,
};

struct conf_entry {
    char *key;
    enum conf_type type;
    unsigned line;
    char *str;                  /* CONF_STRING */
    long long num;              /* CONF_INT */
    char **list;                /* CONF_LIST, NULL-terminated */
};

struct mv_conf {
    char *origin;
    struct conf_entry *entries;
    size_t n, alloc;
};

struct parser {
    const char *p, *end;
    unsigned line;
    const char *origin;
    char **errmsg;
};

/* What the parser is building; freed on error. */
struct value {
    enum conf_type type;
    char *str;
    long long num;
    char **list;
    size_t nlist, alist;
};

static void value_clear(struct value *v)
{
    free(v->str);
    mv_strv_free(v->list);
    *v = (struct value){ 0 };
}

static void entry_clear(struct conf_entry *e)
{
    free(e->key);
    free(e->str);
    mv_strv_free(e->list);
}

void mv_conf_free(mv_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_clear(&c->entries[i]);
    free(c->entries);
    free(c->origin);
    free(c);
}

static int parse_error_at(struct parser *ps, unsigned line, const char *msg, const char *quoted)
{
    if (quoted)
        return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: %s '%s'", ps->origin, line, msg, quoted);
    return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: %s", ps->origin, line, msg);
}

static int parse_error(struct parser *ps, const char *msg)
{
    return parse_error_at(ps, ps->line, msg, NULL);
}

static bool at_end(const struct parser *ps)
{
    return ps->p >= ps->end;
}

static void skip_blanks(struct parser *ps)
{
    while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static void skip_comment(struct parser *ps)
{
    if (!at_end(ps) && *ps->p == '#')
        while (!at_end(ps) && *ps->p != '\n')
            ps->p++;
}

/* Inside a list: blanks, newlines and comments all separate. */
static void skip_space_multiline(struct parser *ps)
{
    for (;;) {
        skip_blanks(ps);
        skip_comment(ps);
        if (at_end(ps) || *ps->p != '\n')
            return;
        ps->p++;
        ps->line++;
    }
}

static bool is_key_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_key_start(c) || (c >= '0' && c <= '9');
}

/* Ends the word read as a key; NUL is not one (it is garbage to report). */
static bool is_key_stop(char c)
{
    static const char stops[] = " \t\r\n=#\"[";

    return memchr(stops, c, sizeof(stops) - 1) != NULL;
}

static int parse_key(struct parser *ps, char **key)
{
    const char *start = ps->p;
    size_t len;

    /* take the whole word first so the message shows what was written */
    while (!at_end(ps) && !is_key_stop(*ps->p))
        ps->p++;
    len = (size_t)(ps->p - start);
    bool ok = len > 0 && is_key_start(start[0]);
    for (size_t i = 1; ok && i < len; i++)
        ok = is_key_char(start[i]);
    if (!ok) {
        _cleanup_free_ char *q = NULL;

        if (len == 0)
            return parse_error(ps, "expected a setting name");
        q = mv_errmsg_quote(start, len, MV_ERRMSG_QUOTE_MAX);
        return parse_error_at(ps, ps->line, "invalid setting name", q ? q : "?");
    }
    *key = strndup(start, len);
    return *key ? 0 : -ENOMEM;
}

/* At the opening quote; a string never spans lines. */
static int parse_string(struct parser *ps, char **out)
{
    _cleanup_free_ char *buf = NULL;
    size_t n = 0;
    const char *close;

    ps->p++;
    /* the unescaped text is never longer than what is left of the line */
    close = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    buf = malloc((size_t)((close ? close : ps->end) - ps->p) + 1);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (at_end(ps) || *ps->p == '\n')
            return parse_error(ps, "unterminated string");
        char c = *ps->p++;
        if (c == '"')
            break;
        if (c == '\0')
            return parse_error(ps, "NUL byte in string");
        if (c == '\\') {
            if (at_end(ps) || *ps->p == '\n')
                return parse_error(ps, "unterminated string");
            c = *ps->p++;
            if (c != '"' && c != '\\') {
                _cleanup_free_ char *q = mv_errmsg_quote(ps->p - 2, 2, 2);

                return parse_error_at(ps, ps->line,
                                      "invalid escape in string (only \\\" and \\\\ are allowed):",
                                      q ? q : "?");
            }
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out = TAKE_PTR(buf);
    return 0;
}

static int parse_int(struct parser *ps, long long *out)
{
    const char *start = ps->p;
    char digits[32];
    size_t len;
    char *end;
    long long v;

    if (*ps->p == '-')
        ps->p++;
    while (!at_end(ps) && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    len = (size_t)(ps->p - start);
    if (!at_end(ps) && is_key_char(*ps->p)) {
        while (!at_end(ps) && is_key_char(*ps->p))
            ps->p++;
        _cleanup_free_ char *q = mv_errmsg_quote(start, (size_t)(ps->p - start), MV_ERRMSG_QUOTE_MAX);
        return parse_error_at(ps, ps->line, "invalid integer", q ? q : "?");
    }
    if (len == 1 && start[0] == '-')
        return parse_error(ps, "invalid integer '-'");
    if (len >= sizeof(digits))
        return parse_error(ps, "integer out of range");
    memcpy(digits, start, len);
    digits[len] = '\0';
    errno = 0;
    v = strtoll(digits, &end, 10);
    if (errno == ERANGE)
        return parse_error(ps, "integer out of range");
    *out = v;
    return 0;
}

static int list_append(struct value *v, char *s)
{
    if (v->nlist + 1 >= v->alist) {
        size_t want = v->alist ? v->alist * 2 : 8;
        char **p = realloc(v->list, want * sizeof(*p));

        if (!p)
            return -ENOMEM;
        v->list = p;
        v->alist = want;
    }
    v->list[v->nlist++] = s;
    v->list[v->nlist] = NULL;
    return 0;
}

/* At '['; strings separated by commas, a trailing comma is fine. */
static int parse_list(struct parser *ps, struct value *v)
{
    unsigned start_line = ps->line;
    int r;

    ps->p++;
    v->list = calloc(1, sizeof(char *));
    if (!v->list)
        return -ENOMEM;
    v->alist = 1;
    for (;;) {
        _cleanup_free_ char *s = NULL;

        skip_space_multiline(ps);
        if (at_end(ps))
            return parse_error_at(ps, start_line, "unterminated list", NULL);
        if (*ps->p == ']')
            break;
        if (*ps->p != '"')
            return parse_error(ps, "list elements must be strings");
        r = parse_string(ps, &s);
        if (r < 0)
            return r;
        r = list_append(v, s);
        if (r < 0)
            return r;
        TAKE_PTR(s);                    /* the list owns it now */
        skip_space_multiline(ps);
        if (at_end(ps))
            return parse_error_at(ps, start_line, "unterminated list", NULL);
        if (*ps->p == ']')
            break;
        if (*ps->p != ',')
            return parse_error(ps, "expected ',' or ']' in list");
        ps->p++;
    }
    ps->p++;
    return 0;
}

static int parse_value(struct parser *ps, const char *key, struct value *v)
{
    if (!at_end(ps) && *ps->p == '"') {
        v->type = CONF_STRING;
        return parse_string(ps, &v->str);
    }
    if (!at_end(ps) && *ps->p == '[') {
        v->type = CONF_LIST;
        return parse_list(ps, v);
    }
    if (!at_end(ps) && (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))) {
        v->type = CONF_INT;
        return parse_int(ps, &v->num);
    }
    return mv_errmsg_set(ps->errmsg, -EINVAL,
                         "%s:%u: invalid value for '%s': expected a \"string\", an integer or a [ list ]",
                         ps->origin, ps->line, key);
}

static const struct conf_entry *find(const mv_conf *c, const char *key)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

static int parse_statement(struct parser *ps, mv_conf *c)
{
    _cleanup_free_ char *key = NULL;
    _cleanup_(value_clear) struct value v = { 0 };
    unsigned line = ps->line;
    const struct conf_entry *dup;
    int r;

    r = parse_key(ps, &key);
    if (r < 0)
        return r;
    skip_blanks(ps);
    if (at_end(ps) || *ps->p != '=')
        return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: expected '=' after '%s'",
                             ps->origin, ps->line, key);
    ps->p++;
    skip_blanks(ps);
    r = parse_value(ps, key, &v);
    if (r < 0)
        return r;
    skip_blanks(ps);
    skip_comment(ps);
    if (!at_end(ps) && *ps->p != '\n')
        return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: unexpected text after the value of '%s'",
                             ps->origin, ps->line, key);
    dup = find(c, key);
    if (dup)
        return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: duplicate setting '%s' (first set on line %u)",
                             ps->origin, line, key, dup->line);
    if (c->n == MV_CONF_MAX_SETTINGS)
        return mv_errmsg_set(ps->errmsg, -EINVAL, "%s:%u: too many settings (at most %d)",
                             ps->origin, line, MV_CONF_MAX_SETTINGS);
    if (c->n == c->alloc) {
        size_t want = c->alloc ? c->alloc * 2 : 16;
        struct conf_entry *p = realloc(c->entries, want * sizeof(*p));

        if (!p)
            return -ENOMEM;
        c->entries = p;
        c->alloc = want;
    }
    c->entries[c->n++] = (struct conf_entry){
        .key = TAKE_PTR(key),
        .type = v.type,
        .line = line,
        .str = TAKE_PTR(v.str),
        .num = v.num,
        .list = TAKE_PTR(v.list),
    };
    return 0;
}

int mv_conf_parse(const char *text, size_t len, const char *origin, mv_conf **ret, char **errmsg)
{
    _cleanup_(mv_conf_freep) mv_conf *c = NULL;
    struct parser ps;
    int r;

    if (!origin)
        origin = "config";
    if (len > MV_CONF_MAX_SIZE)
        return mv_errmsg_set(errmsg, -EFBIG, "%s: file too large (over 1 MiB)", origin);
    if (!text) {
        if (len > 0)
            return -EINVAL;
        text = "";
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->origin = strdup(origin);
    if (!c->origin)
        return -ENOMEM;
    ps = (struct parser){ .p = text, .end = text + len, .line = 1, .origin = c->origin, .errmsg = errmsg };
    while (!at_end(&ps)) {
        skip_blanks(&ps);
        skip_comment(&ps);
        if (at_end(&ps))
            break;
        if (*ps.p == '\n') {
            ps.p++;
            ps.line++;
            continue;
        }
        r = parse_statement(&ps, c);
        if (r < 0)
            return r;
    }
    mv_debug("%s: %zu settings", c->origin, c->n);
    *ret = TAKE_PTR(c);
    return 0;
}

int mv_conf_load_file(const char *path, mv_conf **ret, char **errmsg)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r;

    r = mv_file_read_all(path, MV_CONF_MAX_SIZE, &text, &len);
    if (r == -ENOENT)
        return r;
    if (r == -EFBIG)
        return mv_errmsg_set(errmsg, r, "%s: file too large (over 1 MiB)", path);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "%s: cannot read: %s", path, strerror(-r));
    return mv_conf_parse(text, len, path, ret, errmsg);
}

static const char *const type_names[] = {
    [CONF_STRING] = "a string",
    [CONF_INT] = "an integer",
    [CONF_LIST] = "a list",
};

/* Finds KEY; 0 if absent, -EINVAL with a message if it is not of TYPE. */
static int lookup(const mv_conf *c, const char *key, enum conf_type type,
                  const struct conf_entry **e, char **errmsg)
{
    const struct conf_entry *f = find(c, key);

    if (!f)
        return 0;
    if (f->type != type)
        return mv_errmsg_set(errmsg, -EINVAL, "%s:%u: %s: expected %s, not %s",
                             c->origin, f->line, key, type_names[type], type_names[f->type]);
    *e = f;
    return 1;
}

int mv_conf_get_string(const mv_conf *c, const char *key, char **out, char **errmsg)
{
    const struct conf_entry *e = NULL;
    _cleanup_free_ char *s = NULL;
    int r = lookup(c, key, CONF_STRING, &e, errmsg);

    if (r <= 0)
        return r;
    s = strdup(e->str);
    if (!s)
        return -ENOMEM;
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

int mv_conf_get_int(const mv_conf *c, const char *key, long long min, long long max,
                    long long *out, char **errmsg)
{
    const struct conf_entry *e = NULL;
    int r = lookup(c, key, CONF_INT, &e, errmsg);

    if (r <= 0)
        return r;
    if (e->num < min || e->num > max)
        return mv_errmsg_set(errmsg, -ERANGE, "%s:%u: %s: value %lld out of range (%lld to %lld)",
                             c->origin, e->line, key, e->num, min, max);
    *out = e->num;
    return 1;
}

int mv_conf_get_bool(const mv_conf *c, const char *key, bool *out, char **errmsg)
{
    const struct conf_entry *e = NULL;
    int r = lookup(c, key, CONF_INT, &e, errmsg);

    if (r <= 0)
        return r;
    if (e->num != 0 && e->num != 1)
        return mv_errmsg_set(errmsg, -ERANGE, "%s:%u: %s: expected 0 or 1, not %lld",
                             c->origin, e->line, key, e->num);
    *out = e->num == 1;
    return 1;
}

int mv_conf_get_strv(const mv_conf *c, const char *key, char ***out, char **errmsg)
{
    const struct conf_entry *e = NULL;
    _cleanup_strv_free_ char **v = NULL;
    size_t n = 0;
    int r = lookup(c, key, CONF_LIST, &e, errmsg);

    if (r <= 0)
        return r;
    while (e->list[n])
        n++;
    v = calloc(n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(e->list[i]);
        if (!v[i])
            return -ENOMEM;
    }
    mv_strv_free(*out);
    *out = TAKE_PTR(v);
    return 1;
}

int mv_conf_check_keys(const mv_conf *c, const char *const *allowed, char **errmsg)
{
    if (!c)
        return 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *const *a;

        for (a = allowed; a && *a; a++)
            if (strcmp(*a, c->entries[i].key) == 0)
                break;
        if (!a || !*a)
            return mv_errmsg_set(errmsg, -EINVAL, "%s:%u: unknown setting '%s'",
                                 c->origin, c->entries[i].line, c->entries[i].key);
    }
    return 0;
}
