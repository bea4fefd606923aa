/* The <device> XML of a mediated device: strict parse and format (mdev_def.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error_codes.h"
#include "mdev_def.h"
#include "xml_format.h"
#include "xml_strict.h"

/* Characters besides alphanumerics in the names that become sysfs file
 * names: mdev types ("i915-GVTg_V5_4", "vfio_ap-passthrough") and
 * attributes ("assign_adapter").  No '/', so no name leaves its directory,
 * and no leading '.' (checked apart). */
#define TYPE_EXTRA "_-.:"
#define ATTR_EXTRA "_-"

struct mdev_parse {
    struct nodedev_mdev_def *def;
    bool seen_cap;
};

void nodedev_mdev_def_free(struct nodedev_mdev_def *def)
{
    if (!def)
        return;
    free(def->parent);
    free(def->type);
    free(def->parent_addr);
    nodedev_mdev_attrs_free(def->attrs, def->nattrs);
    free(def);
}

/* ---- <capability type='mdev'> ---- */

static int cap_type(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct nodedev_mdev_def *def = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("id"))) < 0)
        return r;
    if ((r = mv_xml_attr_get(n, "id", &def->type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "id");
    if (!mv_xml_token_ok(def->type, TYPE_EXTRA) || def->type[0] == '.')
        return mv_xml_fail_value(c, n, "id", def->type);
    return 0;
}

static int cap_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct nodedev_mdev_def *def = obj;
    _cleanup_free_ char *text = NULL, *q = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    if (mv_uuid_parse(text, def->uuid) < 0 || mv_uuid_is_null(def->uuid)) {
        if (!(q = mv_xml_quote(text)))
            return -ENOMEM;
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid uuid '%s' for a mediated device", q);
    }
    def->has_uuid = true;
    return 0;
}

static int cap_attr(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct nodedev_mdev_def *def = obj;
    struct nodedev_mdev_attr *a;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "value"))) < 0)
        return r;
    if (def->nattrs >= NODEDEV_MDEV_ATTRS_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "more than %d <attr> elements", NODEDEV_MDEV_ATTRS_MAX);
    if (!(a = MV_XML_GROW(def->attrs, def->nattrs)))
        return -ENOMEM;
    if ((r = mv_xml_attr_get(n, "name", &a->name)) < 0 || (r == 1 && (r = mv_xml_attr_get(n, "value", &a->value)) < 0))
        return r;
    if (!a->name)
        return mv_xml_fail_missing_attr(c, n, "name");
    if (!a->value)
        return mv_xml_fail_missing_attr(c, n, "value");
    /* the name is a file in the mdev's sysfs directory, not one of the
     * kernel's own (writing "remove" would take the new mdev away,
     * "uevent" would fake a hot-plug event; the others are links) */
    if (!mv_xml_token_ok(a->name, ATTR_EXTRA) || strcmp(a->name, "remove") == 0 || strcmp(a->name, "uevent") == 0)
        return mv_xml_fail_value(c, n, "name", a->name);
    /* the value is written whole, as one line */
    if (strlen(a->value) > NODEDEV_MDEV_ATTR_VALUE_MAX || strpbrk(a->value, "\n\r"))
        return mv_xml_fail_value(c, n, "value", a->value);
    return 0;
}

/* What the kernel decides and nodedev-dumpxml writes: accepted so that a
 * dumped device can be defined again, and not honoured (the kernel picks
 * the group; the parent is named by <parent>). */
static int cap_iommu_group(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    unsigned int number;
    int r;

    (void)obj;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("number"))) < 0)
        return r;
    r = mv_xml_attr_uint_range(c, n, "number", false, 0, 0xffffffffu, &number);
    return r < 0 ? r : 0;
}

static int cap_parent_addr(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct nodedev_mdev_def *def = obj;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->parent_addr)) < 0)
        return r;
    if (!mv_xml_token_ok(def->parent_addr, "_-.:"))
        return mv_xml_fail_value(c, n, NULL, def->parent_addr);
    return 0;
}

static const struct mv_xml_rule cap_rules[] = {
    { "type", cap_type, false },
    { "uuid", cap_uuid, false },
    { "attr", cap_attr, true },
    { "iommuGroup", cap_iommu_group, false },
    { "parent_addr", cap_parent_addr, false },
};

static int dev_capability(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mdev_parse *p = obj;
    _cleanup_free_ char *type = NULL, *q = NULL;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type"))) < 0 || (r = mv_xml_attr_get(n, "type", &type)) < 0)
        return r;
    if (!type)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(type, "mdev") != 0) {
        if (!(q = mv_xml_quote(type)))
            return -ENOMEM;
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "capability type '%s': only mediated devices (type 'mdev') can be created or defined", q);
    }
    p->seen_cap = true;
    if ((r = MV_XML_WALK(c, n, cap_rules, p->def)) < 0)
        return r;
    if (!p->def->type)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <type id=...> in <capability type='mdev'>");
    return 0;
}

/* ---- <device> ---- */

static int dev_parent(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mdev_parse *p = obj;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &p->def->parent)) < 0)
        return r;
    /* a node device name (pci_0000_00_02_0, ap_matrix, css_0_0_0072) */
    if (!mv_xml_token_ok(p->def->parent, "_-"))
        return mv_xml_fail_value(c, n, NULL, p->def->parent);
    return 0;
}

/* <name>, <path>, <driver>: nodedevd names the device and the kernel
 * binds it; a dumped device's are accepted and not honoured. */
static int dev_ignored_text(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    _cleanup_free_ char *text = NULL;

    (void)obj;
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text);
}

static int driver_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dev_ignored_text(c, n, obj);
}

static const struct mv_xml_rule driver_rules[] = {
    { "name", driver_name, false },
};

static int dev_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0)
        return r;
    return MV_XML_WALK(c, n, driver_rules, obj);
}

static const struct mv_xml_rule device_rules[] = {
    { "name", dev_ignored_text, false },
    { "path", dev_ignored_text, false },
    { "parent", dev_parent, false },
    { "driver", dev_driver, false },
    { "capability", dev_capability, false },
};

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct nodedev_mdev_def *def)
{
    struct mdev_parse p = { .def = def };
    int r;

    if ((r = mv_xml_check_root(c, root, "device")) < 0 || (r = mv_xml_check_attrs(c, root, MV_XML_NO_ATTRS)) < 0 ||
        (r = MV_XML_WALK(c, root, device_rules, &p)) < 0)
        return r;
    if (!p.seen_cap)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <capability type='mdev'>: only mediated devices can "
                           "be created or defined");
    return 0;
}

int nodedev_mdev_def_parse(const char *xml, struct nodedev_mdev_def **out, int *errcode, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = NULL;
    struct mv_xml_ctx c = { .kind = "node device" };
    int r;

    *errmsg = NULL;
    *errcode = MV_ERR_XML_ERROR;
    if ((r = mv_xml_parse_reported(xml, "node device", &doc, errmsg)) < 0)
        return r == -ENOMEM ? r : -EINVAL;
    if (!(def = calloc(1, sizeof(*def))))
        return -ENOMEM;
    if ((r = parse_root(&c, xmlDocGetRootElement(doc), def)) < 0) {
        *errmsg = c.errmsg;
        if (c.errcode)
            *errcode = c.errcode;
        return r == -ENOMEM && !c.errmsg ? r : -EINVAL;
    }
    *out = TAKE_PTR(def);
    return 0;
}

char *nodedev_mdev_def_format(const struct nodedev_mdev_def *def)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char uuid[MV_UUID_STRING_LEN];
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "device");
    mv_xml_out_text_elem(&o, "parent", def->parent);
    mv_xml_out_start(&o, "capability");
    mv_xml_out_attr(&o, "type", "mdev");
    mv_xml_out_leaf(&o, "type", "id", def->type);
    if (def->has_uuid) {
        mv_uuid_format(def->uuid, uuid);
        mv_xml_out_text_elem(&o, "uuid", uuid);
    }
    mv_xml_out_text_elem(&o, "parent_addr", def->parent_addr);
    for (size_t i = 0; i < def->nattrs; i++) {
        mv_xml_out_start(&o, "attr");
        mv_xml_out_attr(&o, "name", def->attrs[i].name);
        mv_xml_out_attr(&o, "value", def->attrs[i].value);
        mv_xml_out_end(&o);
    }
    mv_xml_out_end(&o);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
