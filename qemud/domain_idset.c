/*
 * Id sets in libvirt's list syntax; see domain_idset.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_idset.h"

/* One decimal number at *P below MAX, moving *P past it. */
static int parse_id(const char **p, unsigned int max, unsigned int *out)
{
    unsigned long long v = 0;
    const char *s = *p;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned int)(*s - '0');
        if (v >= max)
            return -ERANGE;
    }
    *p = s;
    *out = (unsigned int)v;
    return 0;
}

/* One item ("N", "N-M", "^N") at *P into the membership table IN. */
static int parse_item(const char **p, unsigned int max, bool *in)
{
    bool exclude = **p == '^';
    unsigned int first, last;
    int r;

    if (exclude)
        (*p)++;
    if ((r = parse_id(p, max, &first)) < 0)
        return r;
    last = first;
    if (!exclude && **p == '-') {
        (*p)++;
        if ((r = parse_id(p, max, &last)) < 0)
            return r;
        if (last < first)
            return -EINVAL;
    }
    for (unsigned int id = first; id <= last; id++)
        in[id] = !exclude;
    return 0;
}

int mv_dom_idset_parse(const char *s, unsigned int max, struct mv_dom_idset *out)
{
    _cleanup_free_ bool *in = calloc(max ? max : 1, sizeof(*in));
    _cleanup_free_ unsigned int *ids = NULL;
    size_t n = 0;
    int r;

    if (!in)
        return -ENOMEM;
    for (;;) {
        if ((r = parse_item(&s, max, in)) < 0)
            return r;
        if (*s == '\0')
            break;
        if (*s++ != ',')
            return -EINVAL;
    }
    for (unsigned int id = 0; id < max; id++)
        n += in[id];
    if (n == 0)
        return -EINVAL;
    ids = malloc(n * sizeof(*ids));
    if (!ids)
        return -ENOMEM;
    n = 0;
    for (unsigned int id = 0; id < max; id++)
        if (in[id])
            ids[n++] = id;
    out->ids = TAKE_PTR(ids);
    out->n = n;
    return 0;
}

bool mv_dom_idset_range(const struct mv_dom_idset *set, size_t *i, unsigned int *first, unsigned int *last)
{
    size_t j = *i;

    if (j >= set->n)
        return false;
    *first = *last = set->ids[j];
    while (j + 1 < set->n && set->ids[j + 1] == *last + 1)
        *last = set->ids[++j];
    *i = j + 1;
    return true;
}

char *mv_dom_idset_format(const struct mv_dom_idset *set, const char *sep)
{
    /* at most two 10-digit ids, a dash and a separator per range */
    size_t cap = set->n * (23 + strlen(sep)) + 1, len = 0, i = 0;
    char *out = malloc(cap);
    unsigned int first, last;

    if (!out)
        return NULL;
    out[0] = '\0';
    while (mv_dom_idset_range(set, &i, &first, &last)) {
        const char *s = len ? sep : "";

        if (first == last)
            len += (size_t)snprintf(out + len, cap - len, "%s%u", s, first);
        else
            len += (size_t)snprintf(out + len, cap - len, "%s%u-%u", s, first, last);
    }
    return out;
}

bool mv_dom_idset_has(const struct mv_dom_idset *set, unsigned int id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->ids[i] == id)
            return true;
    return false;
}

void mv_cpumap_set(unsigned char *map, size_t maplen, unsigned int cpu)
{
    if (cpu / 8 < maplen)
        map[cpu / 8] |= (unsigned char)(1u << (cpu % 8));
}

void mv_dom_idset_to_cpumap(const struct mv_dom_idset *set, unsigned char *map, size_t maplen)
{
    for (size_t i = 0; i < set->n; i++)
        mv_cpumap_set(map, maplen, set->ids[i]);
}
