/*
 * Domain XML <iothreads>, <iothreadids> and <cputune>, and the checks that
 * tie them to the rest of the domain (vcpu numbers, the iothread ids that
 * disks, controllers and pins name).  Pinning is applied after start by
 * qemud/cputune.c; here only the syntax and the domain's own limits are
 * checked (the host's CPUs can change between define and start).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"

/* libvirt's limits: the kernel's CFS period and quota bounds, in us */
#define PERIOD_MIN 1000ULL
#define PERIOD_MAX 1000000ULL
#define QUOTA_MIN 1000LL
#define QUOTA_MAX 17592186044415LL
/* cgroup v1 cpu.shares bounds (libvirt keeps the v1 scale on v2) */
#define SHARES_MIN 2ULL
#define SHARES_MAX 262144ULL
#define IOTHREADS_MAX 1024

/* ------------------------------------------------------------ iothreads */

int dom_parse_iothreads(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    _cleanup_free_ char *text = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0 || v > IOTHREADS_MAX)
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(text));
    def->iothreads.count = (unsigned int)v;
    return 0;
}

static int iothread_id(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_iothreads *t = obj;
    unsigned int id;
    unsigned int *grown;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("id"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "id", false, 1, UINT_MAX, &id)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "id");
    for (size_t i = 0; i < t->nids; i++)
        if (t->ids[i] == id)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<iothread id='%u'> is given more than once", id);
    if (t->nids == IOTHREADS_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "more than %d <iothreadids><iothread>", IOTHREADS_MAX);
    grown = reallocarray(t->ids, t->nids + 1, sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    t->ids = grown;
    t->ids[t->nids++] = id;
    return 0;
}

static const struct mv_xml_rule iothreadids_rules[] = {
    { "iothread", iothread_id, true },
};

int dom_parse_iothreadids(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    def->iothreads.ids_given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, iothreadids_rules, &def->iothreads);
}

/* -------------------------------------------------------------- cputune */

/* A cpuset attribute (required), in libvirt's syntax. */
static int attr_cpuset(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_idset *out)
{
    int r = dom_attr_idset(c, n, "cpuset", MV_DOM_CPUSET_MAX, out);

    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "cpuset");
    return r < 0 ? r : 0;
}

static int tune_vcpupin(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cputune *t = obj;
    struct mv_dom_vcpupin *pin = MV_XML_GROW(t->vcpupins, t->nvcpupins);
    int r;

    if (!pin)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("vcpu", "cpuset"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "vcpu", false, 0, UINT_MAX - 1, &pin->vcpu)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "vcpu");
    for (size_t i = 0; i + 1 < t->nvcpupins; i++)
        if (t->vcpupins[i].vcpu == pin->vcpu)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<vcpupin vcpu='%u'> is given more than once", pin->vcpu);
    return attr_cpuset(c, n, &pin->cpuset);
}

static int tune_emulatorpin(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cputune *t = obj;
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("cpuset"));

    return r < 0 ? r : attr_cpuset(c, n, &t->emulatorpin);
}

static int tune_iothreadpin(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cputune *t = obj;
    struct mv_dom_iothreadpin *pin = MV_XML_GROW(t->iothreadpins, t->niothreadpins);
    int r;

    if (!pin)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("iothread", "cpuset"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "iothread", false, 1, UINT_MAX, &pin->iothread)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "iothread");
    for (size_t i = 0; i + 1 < t->niothreadpins; i++)
        if (t->iothreadpins[i].iothread == pin->iothread)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<iothreadpin iothread='%u'> is given more than once",
                               pin->iothread);
    return attr_cpuset(c, n, &pin->cpuset);
}

/* TEXT of <cputune><N> is out of RANGE (printf format and values). */
__attribute__((format(printf, 4, 5)))
static int fail_range(struct mv_xml_ctx *c, xmlNodePtr n, char *text, const char *range, ...)
{
    _cleanup_free_ char *q = mv_xml_quote(mv_xml_trim(text));
    _cleanup_free_ char *r = NULL;
    va_list ap;
    int len;

    va_start(ap, range);
    len = vasprintf(&r, range, ap);
    va_end(ap);
    if (!q || len < 0)
        return -ENOMEM;
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <cputune><%s> (%s)", q, n->name, r);
}

/* A number element in [MIN, MAX]. */
static int text_ull(struct mv_xml_ctx *c, xmlNodePtr n, unsigned long long min, unsigned long long max,
                    unsigned long long *out)
{
    _cleanup_free_ char *text = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0 || v < min || v > max)
        return fail_range(c, n, text, "%llu to %llu", min, max);
    *out = v;
    return 0;
}

/* A quota: -1 (no limit) or QUOTA_MIN..QUOTA_MAX. */
static int text_quota(struct mv_xml_ctx *c, xmlNodePtr n, long long *out)
{
    _cleanup_free_ char *text = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    if (strcmp(mv_xml_trim(text), "-1") == 0) {
        *out = -1;
        return 0;
    }
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0 || v < QUOTA_MIN || v > (unsigned long long)QUOTA_MAX)
        return fail_range(c, n, text, "-1, or %lld to %lld", QUOTA_MIN, QUOTA_MAX);
    *out = (long long)v;
    return 0;
}

static int tune_shares(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return text_ull(c, n, SHARES_MIN, SHARES_MAX, &((struct mv_dom_cputune *)obj)->shares);
}

static int tune_period(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return text_ull(c, n, PERIOD_MIN, PERIOD_MAX, &((struct mv_dom_cputune *)obj)->period);
}

static int tune_quota(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return text_quota(c, n, &((struct mv_dom_cputune *)obj)->quota);
}

static int tune_emulator_period(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return text_ull(c, n, PERIOD_MIN, PERIOD_MAX, &((struct mv_dom_cputune *)obj)->emulator_period);
}

static int tune_emulator_quota(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return text_quota(c, n, &((struct mv_dom_cputune *)obj)->emulator_quota);
}

static const struct mv_xml_rule cputune_rules[] = {
    { "shares", tune_shares, false },
    { "period", tune_period, false },
    { "quota", tune_quota, false },
    { "emulator_period", tune_emulator_period, false },
    { "emulator_quota", tune_emulator_quota, false },
    { "vcpupin", tune_vcpupin, true },
    { "emulatorpin", tune_emulatorpin, false },
    { "iothreadpin", tune_iothreadpin, true },
};

int dom_parse_cputune(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cputune *t = &((struct mv_dom_def *)obj)->cputune;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    t->given = true;
    return r < 0 ? r : MV_XML_WALK(c, n, cputune_rules, t);
}

/* ------------------------------------------------- checks on the whole */

static bool iothread_exists(const struct mv_dom_iothreads *t, unsigned int id)
{
    for (size_t i = 0; i < t->nids; i++)
        if (t->ids[i] == id)
            return true;
    return false;
}

/* As libvirt: <iothreadids> listing more threads than <iothreads> raises
 * the count; fewer get the lowest free ids added, so that every thread has
 * an id from here on. */
static int fill_iothread_ids(struct mv_dom_iothreads *t)
{
    unsigned int next = 1;
    unsigned int *grown;

    if (t->nids > t->count)
        t->count = (unsigned int)t->nids;
    if (t->nids == t->count)
        return 0;
    grown = reallocarray(t->ids, t->count, sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    t->ids = grown;
    while (t->nids < t->count) {
        while (iothread_exists(t, next))
            next++;
        t->ids[t->nids++] = next;
    }
    return 0;
}

static int check_iothread_ref(struct mv_xml_ctx *c, const struct mv_dom_iothreads *t, unsigned int id,
                              const char *who)
{
    if (id == 0 || iothread_exists(t, id))
        return 0;
    if (t->count == 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s names iothread %u, but the domain has no <iothreads>",
                           who, id);
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s names iothread %u, which is not among the domain's %u "
                       "iothreads", who, id, t->count);
}

static int check_iothread_refs(struct mv_xml_ctx *c, const struct mv_dom_def *def)
{
    const struct mv_dom_devices *d = &def->devices;
    char who[96];
    int r;

    for (size_t i = 0; i < d->ndisks; i++) {
        snprintf(who, sizeof(who), "<driver iothread> of disk '%s'", d->disks[i].target);
        if ((r = check_iothread_ref(c, &def->iothreads, d->disks[i].iothread, who)) < 0)
            return r;
    }
    for (size_t i = 0; i < d->ncontrollers; i++) {
        snprintf(who, sizeof(who), "<driver iothread> of controller type '%s' index %u",
                 mv_dom_controller_type_to_string(d->controllers[i].type), d->controllers[i].index);
        if ((r = check_iothread_ref(c, &def->iothreads, d->controllers[i].iothread, who)) < 0)
            return r;
    }
    for (size_t i = 0; i < def->cputune.niothreadpins; i++) {
        snprintf(who, sizeof(who), "<iothreadpin iothread='%u'>", def->cputune.iothreadpins[i].iothread);
        if ((r = check_iothread_ref(c, &def->iothreads, def->cputune.iothreadpins[i].iothread, who)) < 0)
            return r;
    }
    return 0;
}

int dom_check_tuning(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    int r = fill_iothread_ids(&def->iothreads);

    if (r < 0)
        return r;
    for (size_t i = 0; i < def->cputune.nvcpupins; i++)
        if (def->cputune.vcpupins[i].vcpu >= def->vcpus)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<vcpupin vcpu='%u'> is beyond the domain's %u vcpus "
                               "(numbered from 0)", def->cputune.vcpupins[i].vcpu, def->vcpus);
    return check_iothread_refs(c, def);
}
