/*
 * Connection URIs: "qemu:///system" or "modvirt:///system", optionally with
 * "?socket=PATH" or "?root=DIR".  Anything else is refused with a message
 * that says what would have been accepted, rather than guessed at.
 */
#define MV_LOG_MODULE "client.uri"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hex.h"
#include "internal.h"

/* Longest URI accepted: a socket path is far shorter. */
#define MV_URI_MAX 4096

static const char *const schemes[] = { "qemu", "modvirt" };

static int bad_uri(struct mv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_uri(struct mv_err *err, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_REMOTE, "%s", msg ? msg : "invalid URI");
    return -EINVAL;
}

/* Decodes %XX escapes of S[0..len) into a new string; NULL on a bad
 * escape, an embedded NUL or OOM. */
static char *unescape(const char *s, size_t len)
{
    _cleanup_free_ char *out = malloc(len + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= len)
            return NULL;
        int hi = mv_hex_digit(s[i + 1]), lo = mv_hex_digit(s[i + 2]);
        if (hi < 0 || lo < 0 || (hi | lo) == 0)
            return NULL;
        out[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[o] = '\0';
    return TAKE_PTR(out);
}

/* One "key=value" of the query. */
static int parse_param(const char *p, size_t len, struct mv_uri *u, struct mv_err *err)
{
    const char *eq = memchr(p, '=', len);
    _cleanup_free_ char *key = strndup(p, eq ? (size_t)(eq - p) : len);
    char **slot;
    char *value;

    if (!key)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
    if (strcmp(key, "socket") == 0)
        slot = &u->socket;
    else if (strcmp(key, "root") == 0)
        slot = &u->root;
    else
        return bad_uri(err, "unsupported parameter '%s' in URI '%s' (known: socket, root)",
                       key, u->uri);
    value = eq ? unescape(eq + 1, len - (size_t)(eq + 1 - p)) : NULL;
    if (!value || !*value || value[0] != '/') {
        free(value);
        return bad_uri(err, "parameter '%s' in URI '%s' needs an absolute path", key, u->uri);
    }
    free(*slot);
    *slot = value;
    return 0;
}

static int parse_query(const char *q, struct mv_uri *u, struct mv_err *err)
{
    while (*q) {
        size_t len = strcspn(q, "&;");
        int r = len ? parse_param(q, len, u, err) : 0;

        if (r < 0)
            return r;
        q += len;
        if (*q)
            q++;
    }
    if (u->socket && u->root)
        return bad_uri(err, "conflicting parameters in URI '%s': socket= and root= exclude "
                       "each other", u->uri);
    return 0;
}

static bool known_scheme(const char *s, size_t len)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(schemes); i++)
        if (strlen(schemes[i]) == len && strncmp(schemes[i], s, len) == 0)
            return true;
    return false;
}

/* scheme "://" authority path: only an empty authority and "/system". */
static int parse_base(const char *uri, struct mv_uri *u, const char **query, struct mv_err *err)
{
    const char *sep = strstr(uri, "://");
    const char *path, *end;
    _cleanup_free_ char *part = NULL;

    if (!sep || !known_scheme(uri, (size_t)(sep - uri))) {
        part = sep ? strndup(uri, (size_t)(sep - uri)) : NULL;
        return bad_uri(err, "unsupported URI scheme '%s' in '%s': use qemu:///system or "
                       "modvirt:///system", part ? part : "", u->uri);
    }
    path = sep + 3;
    if (*path != '/') {
        part = strndup(path, strcspn(path, "/?"));
        return bad_uri(err, "remote host '%s' in URI '%s': only local connections are "
                       "supported", part ? part : "", u->uri);
    }
    end = path + strcspn(path, "?");
    if ((size_t)(end - path) != strlen("/system") || strncmp(path, "/system", 7) != 0) {
        part = strndup(path, (size_t)(end - path));
        return bad_uri(err, "unsupported path '%s' in URI '%s': only /system is served",
                       part ? part : "", u->uri);
    }
    *query = *end ? end + 1 : end;
    return 0;
}

int mv_uri_parse(const char *uri, struct mv_uri *out, struct mv_err *err)
{
    struct mv_uri u = { 0 };
    const char *query = NULL;
    int r;

    if (strlen(uri) > MV_URI_MAX) {
        mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_REMOTE, "URI longer than %d bytes", MV_URI_MAX);
        return -EINVAL;
    }
    u.uri = strdup(uri);
    if (!u.uri)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
    r = parse_base(uri, &u, &query, err);
    if (r == 0)
        r = parse_query(query, &u, err);
    if (r < 0) {
        mv_uri_clear(&u);
        return r;
    }
    *out = u;
    return 0;
}

void mv_uri_clear(struct mv_uri *u)
{
    free(u->uri);
    free(u->socket);
    free(u->root);
    *u = (struct mv_uri){ 0 };
}
