/*
 * Domain XML -> struct mv_dom_def.
 *
 * The tree is walked element by element: every element and attribute is
 * either stored or refused by name, so a setting the user wrote is never
 * silently lost (libvirt's XPath lookups skip whatever they do not ask
 * for).  Each element has a table of the children it accepts; anything
 * else, including a second copy of a single-valued child, is an error.
 *
 * This file has the entry points and every section but <devices>
 * (domain_parse_devices.c), <cpu> (domain_parse_cpu.c), <memoryBacking>
 * with <numatune> (domain_parse_memory.c), <features> with <clock>
 * (domain_parse_features.c), <os> (domain_parse_os.c) and <sysinfo>
 * (domain_parse_sysinfo.c); the walk and the value getters are the strict
 * XML core's (common/xml_strict.h).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "xml.h"

/* -------------------------------------------------------------------- pm */

static int pm_state(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_pm *pm = obj;
    enum mv_tristate *t = strcmp((const char *)n->name, "suspend-to-mem") == 0 ? &pm->suspend_to_mem
                                                                              : &pm->suspend_to_disk;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("enabled"))) < 0 || (r = dom_attr_yesno(c, n, "enabled", t)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "enabled") : 0;
}

static const struct mv_xml_rule pm_rules[] = {
    { "suspend-to-mem", pm_state, false },
    { "suspend-to-disk", pm_state, false },
};

static int parse_pm(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, pm_rules, &((struct mv_dom_def *)obj)->pm);
}

static int parse_lifecycle(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    const char *name = (const char *)n->name;
    enum mv_dom_lifecycle_action *a = strcmp(name, "on_poweroff") == 0 ? &def->on_poweroff
                                      : strcmp(name, "on_reboot") == 0 ? &def->on_reboot
                                                                       : &def->on_crash;
    _cleanup_free_ char *text = NULL;
    int v, r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    v = mv_dom_lifecycle_action_from_string(mv_xml_trim(text));
    if (v < 0)
        return mv_xml_fail_value(c, n, NULL, text);
    *a = v;
    return 0;
}

/* ---------------------------------------------------- top-level scalars */

static int parse_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* validated before the walk, so that every message can name the domain */
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_def *)obj)->name);
}

static int parse_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_uuid(c, n, ((struct mv_dom_def *)obj)->uuid);
}

static int parse_title(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_title(c, n, &((struct mv_dom_def *)obj)->title);
}

static int parse_description(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_def *)obj)->description);
}

static int parse_metadata(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_metadata(c, n, &((struct mv_dom_def *)obj)->metadata);
}

/* <memory unit=...>N</memory> into KiB, rounded up; KiB without unit=. */
static int parse_mem_value(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *attrs, unsigned long long *kib)
{
    return mv_xml_text_scaled(c, n, attrs, "KiB", 1024, false, kib);
}

static int parse_memory(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_mem_value(c, n, MV_XML_ATTRS("unit"), &((struct mv_dom_def *)obj)->memory_kib);
}

static int parse_current_memory(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_mem_value(c, n, MV_XML_ATTRS("unit"), &((struct mv_dom_def *)obj)->current_memory_kib);
}

static int parse_max_memory(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r;

    if ((r = parse_mem_value(c, n, MV_XML_ATTRS("unit", "slots"), &def->max_memory_kib)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "slots", false, 1, 255, &def->max_memory_slots)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "slots") : 0;
}

static int parse_vcpu(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *placement = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_ATTRS("placement", "current"), &text)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "placement", (const char *const[]){ "static", NULL }, &placement)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "current", false, 1, DOM_VCPUS_MAX, &def->vcpus_current)) < 0)
        return r;
    def->vcpu_placement_given = placement != NULL;
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0 || v == 0 || v > DOM_VCPUS_MAX)
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(text));
    def->vcpus = (unsigned int)v;
    return 0;
}

static const struct mv_xml_rule domain_rules[] = {
    { "name", parse_name, false },
    { "uuid", parse_uuid, false },
    { "title", parse_title, false },
    { "description", parse_description, false },
    { "metadata", parse_metadata, false },
    { "maxMemory", parse_max_memory, false },
    { "memory", parse_memory, false },
    { "currentMemory", parse_current_memory, false },
    { "vcpu", parse_vcpu, false },
    { "iothreads", dom_parse_iothreads, false },
    { "iothreadids", dom_parse_iothreadids, false },
    { "cputune", dom_parse_cputune, false },
    { "sysinfo", dom_parse_sysinfo, false },
    { "os", dom_parse_os, false },
    { "features", dom_parse_features, false },
    { "cpu", dom_parse_cpu, false },
    { "memoryBacking", dom_parse_memory_backing, false },
    { "numatune", dom_parse_numatune, false },
    { "clock", dom_parse_clock, false },
    { "pm", parse_pm, false },
    { "on_poweroff", parse_lifecycle, false },
    { "on_reboot", parse_lifecycle, false },
    { "on_crash", parse_lifecycle, false },
    { "devices", dom_parse_devices, false },
    { "seclabel", dom_parse_seclabel, true },
};

/* --------------------------------------------------- whole-domain checks */

static int check_memory(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    if (def->memory_kib == 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <memory>");
    if (def->current_memory_kib == 0)
        def->current_memory_kib = def->memory_kib;
    if (def->current_memory_kib > def->memory_kib)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<currentMemory> %llu KiB is larger than <memory> %llu KiB",
                           def->current_memory_kib, def->memory_kib);
    if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<maxMemory> %llu KiB is smaller than <memory> %llu KiB",
                           def->max_memory_kib, def->memory_kib);
    return 0;
}

static int check_vcpus(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    /* libvirt's default when <vcpu> is left out */
    if (def->vcpus == 0)
        def->vcpus = 1;
    if (def->vcpus_current == 0)
        def->vcpus_current = def->vcpus;
    if (def->vcpus_current > def->vcpus)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<vcpu current='%u'> is larger than the maximum of %u vcpus",
                           def->vcpus_current, def->vcpus);
    return 0;
}

/* --------------------------------------------------------------- entry */

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_dom_def *def)
{
    _cleanup_free_ char *name = NULL;
    int virt, r;

    if ((r = mv_xml_check_root(c, root, "domain")) < 0 || (r = mv_xml_prescan_name(c, root, &name)) < 0)
        return r;
    c->name = name;
    /* id= is what a running domain's dumpxml carries: not part of the definition */
    if ((r = mv_xml_check_attrs(c, root, MV_XML_ATTRS("type", "id"))) < 0 ||
        (r = mv_xml_attr_enum(c, root, "type", mv_dom_virt_from_string, &virt)) < 0)
        goto out;
    if (r == 0) {
        r = mv_xml_fail_missing_attr(c, root, "type");
        goto out;
    }
    def->virt = virt;
    if ((r = MV_XML_WALK(c, root, domain_rules, def)) < 0)
        goto out;
    if (!def->os.type) {
        r = mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <os><type>");
        goto out;
    }
    if ((r = check_memory(c, def)) < 0 || (r = check_vcpus(c, def)) < 0 || (r = dom_check_cpu(c, def)) < 0 ||
        (r = dom_check_memory_backing(c, def)) < 0 || (r = dom_check_devices(c, def)) < 0 ||
        (r = dom_check_tuning(c, def)) < 0 || (r = dom_check_sysinfo(c, def)) < 0)
        goto out;
    if (mv_uuid_is_null(def->uuid))
        r = mv_uuid_generate(def->uuid);
out:
    c->name = NULL;             /* NAME is freed here */
    return r;
}

int mv_dom_def_parse(const char *xml, unsigned int flags, struct mv_dom_def **def, int *errcode, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_dom_def_ struct mv_dom_def *d = NULL;
    struct mv_xml_ctx c = { .kind = "domain", .flags = flags };
    int r;

    r = mv_xml_parse_reported(xml, "domain definition", &doc, errmsg);
    if (r < 0) {
        *errcode = r == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_XML_ERROR;
        return r;
    }
    d = calloc(1, sizeof(*d));
    if (!d)
        r = -ENOMEM;
    else
        r = parse_root(&c, xmlDocGetRootElement(doc), d);
    if (r < 0 && c.errmsg) {
        *errcode = c.errcode;
        *errmsg = c.errmsg;
        return -EINVAL;
    }
    if (r < 0) {
        /* out of memory, or no random bytes for a uuid or MAC */
        *errcode = r == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_INTERNAL_ERROR;
        *errmsg = r == -ENOMEM ? NULL : strdup("internal error: cannot generate a uuid or MAC address");
        return r;
    }
    *def = TAKE_PTR(d);
    return 0;
}

struct mv_dom_def *mv_dom_def_copy(const struct mv_dom_def *def)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *copy = NULL;
    int code;

    /* STATUS keeps what a running domain carries (pty paths, tap names,
     * ports, volume paths) */
    if (mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE | MV_DOM_FORMAT_STATUS, &xml) < 0 ||
        mv_dom_def_parse(xml, MV_DOM_PARSE_STATUS, &copy, &code, &msg) < 0)
        return NULL;
    mv_dom_def_carry_runtime(copy, def);
    return copy;
}

/* The same device in OUT and BASE: by alias when both have one (a device
 * may have been added or removed between them), else by position. */
static bool same_device(const char *a, const char *b, size_t i, size_t k)
{
    if (a && b)
        return strcmp(a, b) == 0;
    return !a && !b && i == k;
}

void mv_dom_def_carry_runtime(struct mv_dom_def *out, const struct mv_dom_def *base)
{
    for (size_t i = 0; i < out->devices.nnets; i++)
        for (size_t k = 0; k < base->devices.nnets; k++)
            if (same_device(out->devices.nets[i].alias, base->devices.nets[k].alias, i, k))
                out->devices.nets[i].ifindex = base->devices.nets[k].ifindex;
    for (size_t i = 0; i < out->devices.nhostdevs; i++)
        for (size_t k = 0; k < base->devices.nhostdevs; k++)
            if (same_device(out->devices.hostdevs[i].alias, base->devices.hostdevs[k].alias, i, k))
                out->devices.hostdevs[i].detached = base->devices.hostdevs[k].detached;
}
