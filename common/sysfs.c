#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "sysfs.h"

char *mv_sysfs_path(const char *root, const char *path)
{
    char *full = NULL;

    if (!root)
        root = "";
    if (asprintf(&full, "%s%s", root, path) < 0)
        return NULL;
    return full;
}

int mv_sysfs_read(const char *root, const char *path, char **text)
{
    _cleanup_free_ char *full = mv_sysfs_path(root, path);

    if (!full)
        return -ENOMEM;
    return mv_file_read_all(full, MV_SYSFS_FILE_MAX, text, NULL);
}

static int read_filev(const char *root, char **text, const char *fmt, va_list ap)
{
    _cleanup_free_ char *path = NULL;

    if (vasprintf(&path, fmt, ap) < 0)
        return -ENOMEM;
    return mv_sysfs_read(root, path, text);
}

int mv_sysfs_readf(const char *root, char **text, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = read_filev(root, text, fmt, ap);
    va_end(ap);
    return r;
}

int mv_sysfs_read_linef(const char *root, char **line, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    va_list ap;
    size_t len;
    int r;

    va_start(ap, fmt);
    r = read_filev(root, &text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return r;
    text[strcspn(text, "\n")] = '\0';
    len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        text[--len] = '\0';
    *line = TAKE_PTR(text);
    return 0;
}

/* Parses an unsigned decimal after optional blanks; *endp is set past it. */
static int parse_ull(const char *s, unsigned long long *value, const char **endp)
{
    char *end;
    unsigned long long v;

    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -EINVAL;
    *value = v;
    *endp = end;
    return 0;
}

int mv_sysfs_read_ullf(const char *root, unsigned long long *value, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    unsigned long long v;
    const char *end;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = read_filev(root, &text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return r;
    r = parse_ull(text, &v, &end);
    if (r < 0)
        return r;
    end += strspn(end, " \t\n");
    if (*end)
        return -EINVAL;
    *value = v;
    return 0;
}

int mv_sysfs_existsf(const char *root, const char *fmt, ...)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *full = NULL;
    struct stat st;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&path, fmt, ap);
    va_end(ap);
    if (r < 0)
        return 0;
    full = mv_sysfs_path(root, path);
    return full && stat(full, &st) == 0;
}

static int parse_id(const char **p, int *id)
{
    unsigned long long v;
    const char *end;

    if (!isdigit((unsigned char)**p) || parse_ull(*p, &v, &end) < 0)
        return -EINVAL;
    if (v >= MV_SYSFS_ID_MAX)
        return -ERANGE;
    *id = (int)v;
    *p = end;
    return 0;
}

int mv_sysfs_parse_idlist(const char *list, int **ids, int *n)
{
    _cleanup_free_ unsigned char *seen = calloc(MV_SYSFS_ID_MAX, 1);
    _cleanup_free_ int *out = NULL;
    const char *p = list;
    int count = 0, k = 0;

    if (!seen)
        return -ENOMEM;
    while (*p && *p != '\n') {
        int lo, hi, r;

        r = parse_id(&p, &lo);
        if (r < 0)
            return r;
        hi = lo;
        if (*p == '-') {
            p++;
            r = parse_id(&p, &hi);
            if (r < 0)
                return r;
            if (hi < lo)
                return -EINVAL;
        }
        for (int i = lo; i <= hi; i++) {
            if (!seen[i])
                count++;
            seen[i] = 1;
        }
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            return -EINVAL;
    }
    if (*p == '\n' && p[1] != '\0')
        return -EINVAL;

    if (count) {
        out = calloc((size_t)count, sizeof(*out));
        if (!out)
            return -ENOMEM;
        for (int i = 0; i < MV_SYSFS_ID_MAX; i++)
            if (seen[i])
                out[k++] = i;
    }
    *ids = TAKE_PTR(out);
    *n = count;
    return 0;
}

int mv_sysfs_find_ull(const char *text, const char *prefix, const char *key,
                     unsigned long long *value)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t klen = strlen(key);

    for (const char *line = text; line && *line;) {
        const char *p = line;
        const char *nl = strchr(line, '\n');

        if (plen && strncmp(p, prefix, plen) == 0)
            p += plen;
        else if (plen)
            p = NULL;
        if (p && strncmp(p, key, klen) == 0 && p[klen] == ':') {
            unsigned long long v;
            const char *end;

            if (parse_ull(p + klen + 1, &v, &end) < 0)
                return -EINVAL;
            *value = v;
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    return -ENOENT;
}

int mv_sysfs_link_name(const char *path, char *out, size_t size)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    const char *base;

    if (n < 0)
        return -errno;
    target[n] = '\0';
    base = strrchr(target, '/');
    base = base ? base + 1 : target;
    if (!*base)
        return -EINVAL;
    if (strlen(base) >= size)
        return -ENAMETOOLONG;
    memcpy(out, base, strlen(base) + 1);
    return 0;
}

int mv_sysfs_write(const char *path, const char *value)
{
    size_t len = strlen(value);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    ssize_t n;
    int r = 0;

    if (fd < 0)
        return -errno;
    n = write(fd, value, len);
    if (n < 0)
        r = -errno;
    else if ((size_t)n != len)
        r = -EIO;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}
