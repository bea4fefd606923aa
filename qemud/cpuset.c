/* CPU set syntax (cpuset.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cpuset.h"

bool mv_cpuset_has(const struct mv_cpuset *set, unsigned int cpu)
{
    return cpu < MV_CPUSET_MAX && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static void put(struct mv_cpuset *set, unsigned int cpu, bool on)
{
    if (on)
        set->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
    else
        set->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

/* Decimal digits at *P below MV_CPUSET_MAX; advances *P. */
static int number(const char **p, unsigned int *out)
{
    unsigned int v = 0;

    if (**p < '0' || **p > '9')
        return -EINVAL;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (unsigned int)(**p - '0');
        if (v >= MV_CPUSET_MAX)
            return -EINVAL;
        (*p)++;
    }
    *out = v;
    return 0;
}

/* One item at *P: N, N-M or ^N. */
static int item(const char **p, struct mv_cpuset *set)
{
    bool negate = **p == '^';
    unsigned int lo, hi;

    if (negate)
        (*p)++;
    if (number(p, &lo) < 0)
        return -EINVAL;
    hi = lo;
    if (**p == '-') {
        (*p)++;
        if (negate || number(p, &hi) < 0 || hi < lo)
            return -EINVAL;
    }
    for (unsigned int cpu = lo; cpu <= hi; cpu++)
        put(set, cpu, !negate);
    return 0;
}

int mv_cpuset_parse(const char *s, struct mv_cpuset *set)
{
    const char *p = s;

    memset(set, 0, sizeof(*set));
    if (!s)
        return -EINVAL;
    for (;;) {
        if (item(&p, set) < 0)
            return -EINVAL;
        if (*p == '\0')
            break;
        if (*p++ != ',')
            return -EINVAL;
    }
    return mv_cpuset_first_outside(set, &(struct mv_cpuset){ 0 }) < 0 ? -EINVAL : 0;
}

int mv_cpuset_first_outside(const struct mv_cpuset *a, const struct mv_cpuset *b)
{
    for (unsigned int w = 0; w < MV_CPUSET_MAX / 64; w++) {
        uint64_t extra = a->bits[w] & ~b->bits[w];

        if (extra)
            return (int)(w * 64 + (unsigned int)__builtin_ctzll(extra));
    }
    return -1;
}
