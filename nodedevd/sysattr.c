/* numbers from sysfs attributes and uevent properties (sysattr.h) */
#include "sysattr.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* TEXT (a trailing newline allowed) as an unsigned long long in BASE.  A
 * leading '-' wraps as strtoull does; to_uint keeps what libvirt keeps. */
static int parse_ull(const char *text, int base, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, base);
    if (errno || end == text)
        return -EINVAL;
    while (*end == '\n' || *end == ' ')
        end++;
    if (*end)
        return -EINVAL;
    *out = v;
    return 0;
}

static int to_uint(const char *text, int base, unsigned int *out)
{
    unsigned long long v;
    int r = parse_ull(text, base, &v);
    if (r < 0)
        return r;
    /* a negative number wrapped by strtoull: libvirt's unsigned int parser
     * keeps its low 32 bits ("-1" is UINT_MAX) */
    if (v >= ULLONG_MAX - UINT_MAX)
        v &= UINT_MAX;
    if (v > UINT_MAX)
        return -EINVAL;
    *out = (unsigned int)v;
    return 0;
}

int nodedev_attr_uint(sd_device *d, const char *attr, int base, unsigned int *out)
{
    const char *value;
    if (sd_device_get_sysattr_value(d, attr, &value) < 0)
        return -ENOENT;
    return to_uint(value, base, out);
}

int nodedev_attr_ull(sd_device *d, const char *attr, unsigned long long *out)
{
    const char *value;
    if (sd_device_get_sysattr_value(d, attr, &value) < 0)
        return -ENOENT;
    return parse_ull(value, 0, out);
}

int nodedev_prop_uint(sd_device *d, const char *key, int base, unsigned int *out)
{
    const char *value;
    if (sd_device_get_property_value(d, key, &value) < 0)
        return -ENOENT;
    return to_uint(value, base, out);
}

bool nodedev_prop_true(sd_device *d, const char *key)
{
    unsigned int v;
    return nodedev_prop_uint(d, key, 0, &v) == 0 && v != 0;
}

bool nodedev_prop_has(sd_device *d, const char *key)
{
    const char *value;
    return sd_device_get_property_value(d, key, &value) >= 0;
}

void nodedev_trim(char **sp)
{
    char *s = *sp;
    if (!s)
        return;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t lead = 0;
    while (isspace((unsigned char)s[lead]))
        lead++;
    memmove(s, s + lead, n - lead + 1);
    if (!*s) {
        free(s);
        *sp = NULL;
    }
}
