/* A device fragment parsed inside a whole definition (domain_fragment.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cleanup.h"
#include "domain_fragment.h"
#include "errmsg.h"
#include "error_codes.h"
#include "xml.h"

static const struct {
    const char *element;
    enum mv_dom_device_kind kind;
} device_elements[] = {
    { "disk", MV_DOM_DEVICE_DISK },
    { "interface", MV_DOM_DEVICE_NET },
    { "controller", MV_DOM_DEVICE_CONTROLLER },
};

/* Sets *ERRCODE to CODE and *ERRMSG to the message; returns R. */
#define fail(errcode, errmsg, code, r, ...) (*(errcode) = (code), mv_errmsg_set((errmsg), (r), __VA_ARGS__))

/* The device element of the fragment and its kind. */
static int fragment_root(xmlDocPtr doc, enum mv_dom_device_kind *kind, xmlNodePtr *root, int *errcode,
                         char **errmsg)
{
    xmlNodePtr n = xmlDocGetRootElement(doc);
    _cleanup_free_ char *quoted = NULL;

    for (size_t i = 0; n && i < MV_ARRAY_SIZE(device_elements); i++)
        if (!n->ns && strcmp((const char *)n->name, device_elements[i].element) == 0) {
            *kind = device_elements[i].kind;
            *root = n;
            return 0;
        }
    quoted = n ? mv_errmsg_quote((const char *)n->name, strlen((const char *)n->name), MV_ERRMSG_QUOTE_MAX) : NULL;
    return fail(errcode, errmsg, MV_ERR_CONFIG_UNSUPPORTED, -ENOTSUP,
                "unsupported configuration: device <%s> cannot be attached, detached or updated here; "
                "only <disk>, <interface> and <controller>", quoted ? quoted : "?");
}

/* BASE as XML, or the smallest definition the parser accepts. */
static int base_xml(const struct mv_dom_def *base, const char *name, unsigned int flags, char **xml)
{
    _cleanup_free_ char *esc = NULL;
    unsigned int fmt = MV_DOM_FORMAT_SECURE;

    if (base) {
        if (flags & MV_DOM_PARSE_STATUS)
            fmt |= MV_DOM_FORMAT_STATUS;
        return mv_dom_def_format(base, NULL, fmt, xml);
    }
    esc = (char *)xmlEncodeSpecialChars(NULL, (const xmlChar *)(name ? name : "fragment"));
    if (!esc)
        return -ENOMEM;
    if (asprintf(xml, "<domain type='qemu'><name>%s</name><memory>1048576</memory>"
                 "<os><type arch='x86_64'>hvm</type></os><devices/></domain>", esc) < 0) {
        *xml = NULL;
        return -ENOMEM;
    }
    return 0;
}

static xmlNodePtr devices_node(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "devices") == 0)
            return n;
    return root ? xmlNewChild(root, NULL, (const xmlChar *)"devices", NULL) : NULL;
}

static size_t kind_count(const struct mv_dom_def *def, enum mv_dom_device_kind kind)
{
    switch (kind) {
    case MV_DOM_DEVICE_DISK:
        return def->devices.ndisks;
    case MV_DOM_DEVICE_NET:
        return def->devices.nnets;
    case MV_DOM_DEVICE_CONTROLLER:
        return def->devices.ncontrollers;
    }
    return 0;
}

int mv_dom_device_parse(const char *xml, const struct mv_dom_def *base, const char *name, unsigned int flags,
                        struct mv_dom_def **out, enum mv_dom_device_kind *kind, size_t *index, int *errcode,
                        char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr frag = NULL;
    _cleanup_xmldoc_ xmlDocPtr whole = NULL;
    _cleanup_free_ char *text = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    xmlNodePtr root = NULL, devices, copy;
    xmlChar *dump = NULL;
    int r, len = 0;

    r = mv_xml_parse_reported(xml, "device definition", &frag, errmsg);
    if (r < 0) {
        *errcode = r == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_XML_ERROR;
        return r;
    }
    if ((r = fragment_root(frag, kind, &root, errcode, errmsg)) < 0)
        return r;
    if ((r = base_xml(base, name, flags, &text)) < 0 ||
        (r = mv_xml_parse_reported(text, "domain definition", &whole, errmsg)) < 0)
        return fail(errcode, errmsg, r == -ENOMEM ? MV_ERR_NO_MEMORY : MV_ERR_INTERNAL_ERROR, r,
                    "internal error: cannot place the device into domain '%s'", name ? name : "?");
    devices = devices_node(whole);
    copy = devices ? xmlDocCopyNode(root, whole, 1) : NULL;
    if (!copy || !xmlAddChild(devices, copy)) {
        xmlFreeNode(copy);
        *errcode = MV_ERR_NO_MEMORY;
        return -ENOMEM;
    }
    xmlDocDumpMemory(whole, &dump, &len);
    if (!dump) {
        *errcode = MV_ERR_NO_MEMORY;
        return -ENOMEM;
    }
    r = mv_dom_def_parse((const char *)dump, flags, &def, errcode, errmsg);
    xmlFree(dump);
    if (r < 0)
        return r;
    /* the element went last into <devices>, and each kind is read in document order */
    *index = kind_count(def, *kind) - 1;
    if (base && kind_count(def, *kind) != kind_count(base, *kind) + 1)
        return fail(errcode, errmsg, MV_ERR_INTERNAL_ERROR, -EINVAL,
                    "internal error: the device did not become one more device of domain '%s'", name ? name : "?");
    /* the new device has no alias yet, so it takes nothing of BASE's */
    if (base)
        mv_dom_def_carry_runtime(def, base);
    *out = TAKE_PTR(def);
    return 0;
}

static const char *alias_at(const struct mv_dom_def *def, enum mv_dom_device_kind kind, size_t i)
{
    switch (kind) {
    case MV_DOM_DEVICE_DISK:
        return def->devices.disks[i].alias;
    case MV_DOM_DEVICE_NET:
        return def->devices.nets[i].alias;
    case MV_DOM_DEVICE_CONTROLLER:
        return def->devices.controllers[i].alias;
    }
    return NULL;
}

int mv_dom_device_by_alias(const struct mv_dom_def *def, const char *alias, enum mv_dom_device_kind *kind,
                           size_t *index)
{
    for (size_t k = 0; def && alias && k < MV_ARRAY_SIZE(device_elements); k++) {
        enum mv_dom_device_kind kd = device_elements[k].kind;

        for (size_t i = 0; i < kind_count(def, kd); i++)
            if (alias_at(def, kd, i) && strcmp(alias_at(def, kd, i), alias) == 0) {
                *kind = kd;
                *index = i;
                return 0;
            }
    }
    return -ENOENT;
}

static const char *kind_element(enum mv_dom_device_kind kind)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(device_elements); i++)
        if (device_elements[i].kind == kind)
            return device_elements[i].element;
    return "?";
}

struct mv_dom_def *mv_dom_def_without_device(const struct mv_dom_def *def, enum mv_dom_device_kind kind,
                                             size_t index, unsigned int flags)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *element = kind_element(kind);
    struct mv_dom_def *out = NULL;
    xmlNodePtr devices, victim = NULL;
    xmlChar *dump = NULL;
    size_t seen = 0;
    int len = 0, code;

    if (base_xml(def, def->name, flags, &text) < 0 || mv_xml_parse_reported(text, "domain definition", &doc, &msg) < 0)
        return NULL;
    devices = devices_node(doc);
    for (xmlNodePtr n = devices ? devices->children : NULL; n && !victim; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, element) == 0 && seen++ == index)
            victim = n;
    if (!victim)
        return NULL;
    xmlUnlinkNode(victim);
    xmlFreeNode(victim);
    xmlDocDumpMemory(doc, &dump, &len);
    if (!dump)
        return NULL;
    mv_dom_def_parse((const char *)dump, flags, &out, &code, &msg);
    xmlFree(dump);
    if (!out)
        return NULL;
    mv_dom_def_carry_runtime(out, def);
    return out;
}
