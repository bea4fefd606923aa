/*
 * Domain XML -> struct mv_dom_def.
 *
 * The tree is walked element by element: every element and attribute is
 * either stored or refused by name, so a setting the user wrote is never
 * silently lost (libvirt's XPath lookups skip whatever they do not ask
 * for).  Each element has a table of the children it accepts; anything
 * else, including a second copy of a single-valued child, is an error.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "cleanup.h"
#include "domain_def.h"
#include "errmsg.h"
#include "error_codes.h"
#include "validate.h"
#include "xml.h"

/* The config file is NAME.xml, which must fit in a file name. */
#define DOM_NAME_MAX (MV_NAME_MAX - 4)
/* Far above what QEMU accepts; keeps the topology product in range. */
#define DOM_VCPUS_MAX 4096
#define DOM_SECTION_MAX 32          /* children rules per element (bit mask) */

struct pctx {
    unsigned int flags;
    const char *name;               /* for messages, once validated */
    int errcode;
    char *errmsg;
};

/* ---------------------------------------------------------------- errors */

static const char *code_prefix(int code)
{
    return code == MV_ERR_CONFIG_UNSUPPORTED ? "unsupported configuration: " : "XML error: ";
}

/* Sets the error once (the first explains) and returns -EINVAL; the domain
 * name is appended when it is known. */
static int fail(struct pctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pctx *c, int code, const char *fmt, ...)
{
    _cleanup_free_ char *what = NULL;
    _cleanup_free_ char *qname = NULL;
    va_list ap;
    int r;

    if (c->errmsg)
        return -EINVAL;
    va_start(ap, fmt);
    r = vasprintf(&what, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    if (c->name) {
        qname = mv_errmsg_quote(c->name, strlen(c->name), MV_ERRMSG_QUOTE_MAX);
        if (!qname)
            return -ENOMEM;
        r = asprintf(&c->errmsg, "%s%s in domain '%s'", code_prefix(code), what, qname);
    } else {
        r = asprintf(&c->errmsg, "%s%s", code_prefix(code), what);
    }
    if (r < 0) {
        c->errmsg = NULL;
        return -ENOMEM;
    }
    c->errcode = code;
    return -EINVAL;
}

/* Quoted copy of a user value for a message; NULL only without memory. */
static char *quote(const char *s)
{
    return mv_errmsg_quote(s, strlen(s), MV_ERRMSG_QUOTE_MAX);
}

/* "<disk>", or "<qemu:commandline>" for a namespaced element. */
static char *elem_label(xmlNodePtr n)
{
    char *s = NULL;

    if (n->ns && n->ns->prefix)
        return asprintf(&s, "<%s:%s>", n->ns->prefix, n->name) < 0 ? NULL : s;
    return asprintf(&s, "<%s>", n->name) < 0 ? NULL : s;
}

/* "<devices><disk><foo>": the element's ancestors below <domain>. */
static char *elem_path(xmlNodePtr n)
{
    _cleanup_free_ char *label = elem_label(n);
    _cleanup_free_ char *up = NULL;
    char *s = NULL;

    if (!label)
        return NULL;
    if (!n->parent || n->parent->type != XML_ELEMENT_NODE || !n->parent->parent ||
        n->parent->parent->type != XML_ELEMENT_NODE)
        return TAKE_PTR(label);
    up = elem_path(n->parent);
    if (!up)
        return NULL;
    return asprintf(&s, "%s%s", up, label) < 0 ? NULL : s;
}

static int fail_unknown_elem(struct pctx *c, xmlNodePtr n)
{
    _cleanup_free_ char *path = elem_path(n);

    if (!path)
        return -ENOMEM;
    return fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown element %s", path);
}

/* VALUE of attribute ATTR of N (ATTR NULL: N's text) is not acceptable. */
static int fail_value(struct pctx *c, xmlNodePtr n, const char *attr, const char *value)
{
    _cleanup_free_ char *q = quote(value);

    if (!q)
        return -ENOMEM;
    if (attr)
        return fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s %s=...>", q, n->name, attr);
    return fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s>", q, n->name);
}

static int fail_missing_attr(struct pctx *c, xmlNodePtr n, const char *attr)
{
    return fail(c, MV_ERR_XML_DETAIL, "missing attribute '%s' of <%s>", attr, n->name);
}

/* ------------------------------------------------------------ tree walk */

/* One child element an element accepts; OBJ is what the parent fills. */
struct child_rule {
    const char *name;
    int (*parse)(struct pctx *c, xmlNodePtr n, void *obj);
    bool repeat;                    /* may appear more than once */
};

static bool is_blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Strips surrounding XML whitespace in place (numbers and keywords in text). */
static char *trim(char *s)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

static int fail_text(struct pctx *c, xmlNodePtr parent, const xmlChar *text)
{
    _cleanup_free_ char *copy = strdup((const char *)text);
    _cleanup_free_ char *q = copy ? quote(trim(copy)) : NULL;
    _cleanup_free_ char *path = elem_path(parent);

    if (!q || !path)
        return -ENOMEM;
    return fail(c, MV_ERR_XML_DETAIL, "unexpected text '%s' in %s", q, path);
}

/* Dispatches every child of PARENT to its rule; whitespace and comments are
 * fine, anything else unknown is refused. */
static int walk(struct pctx *c, xmlNodePtr parent, const struct child_rule *rules, size_t nrules, void *obj)
{
    uint32_t seen = 0;

    for (xmlNodePtr n = parent->children; n; n = n->next) {
        size_t i;
        int r;

        switch (n->type) {
        case XML_COMMENT_NODE:
            continue;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!is_blank(n->content))
                return fail_text(c, parent, n->content);
            continue;
        case XML_ELEMENT_NODE:
            break;
        case XML_PI_NODE:
            return fail(c, MV_ERR_XML_DETAIL, "unexpected processing instruction <?%s?> in <%s>", n->name,
                        parent->name);
        default:
            return fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", n->type, parent->name);
        }
        for (i = 0; i < nrules; i++)
            if (!n->ns && strcmp((const char *)n->name, rules[i].name) == 0)
                break;
        if (i == nrules)
            return fail_unknown_elem(c, n);
        if ((seen & (1u << i)) && !rules[i].repeat) {
            _cleanup_free_ char *path = elem_path(n);

            return path ? fail(c, MV_ERR_XML_DETAIL, "element %s given more than once", path) : -ENOMEM;
        }
        seen |= 1u << i;
        r = rules[i].parse(c, n, obj);
        if (r < 0)
            return r;
    }
    return 0;
}

#define WALK(c, n, rules, obj) \
    ({ _Static_assert(MV_ARRAY_SIZE(rules) <= DOM_SECTION_MAX, "too many rules"); \
       walk(c, n, rules, MV_ARRAY_SIZE(rules), obj); })

/* Refuses attributes of N not in the NULL-terminated ALLOWED. */
static int check_attrs(struct pctx *c, xmlNodePtr n, const char *const *allowed)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        bool ok = false;

        for (size_t i = 0; !a->ns && allowed && allowed[i]; i++)
            if (strcmp((const char *)a->name, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            _cleanup_free_ char *q = NULL;

            if (a->ns && a->ns->prefix && asprintf(&q, "%s:%s", a->ns->prefix, a->name) < 0)
                return -ENOMEM;
            return fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown attribute '%s' of <%s>",
                        q ? q : (const char *)a->name, n->name);
        }
    }
    return 0;
}

#define ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ATTRS ((const char *const *)NULL)

/* An element with attributes only. */
static int leaf(struct pctx *c, xmlNodePtr n, const char *const *allowed)
{
    int r = check_attrs(c, n, allowed);

    return r < 0 ? r : walk(c, n, NULL, 0, NULL);
}

/* Malloc'd value of attribute NAME: 1 found, 0 absent, -ENOMEM. */
static int attr_get(xmlNodePtr n, const char *name, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

    *out = NULL;
    if (!v)
        return 0;
    *out = strdup((const char *)v);
    return *out ? 1 : -ENOMEM;
}

/* The text of an element that holds only text (and comments); malloc'd. */
static int text_get(struct pctx *c, xmlNodePtr n, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = NULL;

    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE)
            return fail_unknown_elem(c, k);
        if (k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE && k->type != XML_COMMENT_NODE)
            return fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", k->type, n->name);
    }
    v = xmlNodeGetContent(n);
    *out = strdup(v ? (const char *)v : "");
    return *out ? 0 : -ENOMEM;
}

/* Text element with the given attributes, stored in *OUT (which must be unset). */
static int text_elem(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    int r = check_attrs(c, n, allowed);

    return r < 0 ? r : text_get(c, n, out);
}

/* Plain decimal digits, or 0x-prefixed hex when HEX; no sign, no spaces. */
static int parse_ull(const char *s, bool hex, unsigned long long *out)
{
    unsigned long long v;
    int base = 10;
    char *end;

    if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -EINVAL;
    for (const char *p = s; *p; p++)
        if (!(*p >= '0' && *p <= '9') &&
            !(base == 16 && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))))
            return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, base);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Unsigned attribute in [MIN, MAX]: 1 found, 0 absent, <0 error. */
static int attr_uint_range(struct pctx *c, xmlNodePtr n, const char *name, bool hex,
                           unsigned long long min, unsigned long long max, unsigned int *out)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (parse_ull(s, hex, &v) < 0 || v < min || v > max)
        return fail_value(c, n, name, s);
    *out = (unsigned int)v;
    return 1;
}

/* Attribute that must be one of a table's names: 1 found, 0 absent. */
static int attr_enum(struct pctx *c, xmlNodePtr n, const char *name, int (*from_string)(const char *),
                     int *out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);
    int v;

    if (r <= 0)
        return r;
    v = from_string(s);
    if (v < 0)
        return fail_value(c, n, name, s);
    *out = v;
    return 1;
}

/* Looks S up in the NULL-terminated LIST; -1 if absent. */
static int choice_index(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return i;
    return -1;
}

/* Attribute restricted to LIST, stored as the string: 1 found, 0 absent. */
static int attr_choice(struct pctx *c, xmlNodePtr n, const char *name, const char *const *list, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(list, s) < 0)
        return fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

static const char *const yes_no[] = { "yes", "no", NULL };
static const char *const on_off[] = { "on", "off", NULL };

/* yes|no attribute into a tristate; absent leaves *OUT alone. */
static int attr_yesno(struct pctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(yes_no, s) < 0)
        return fail_value(c, n, name, s);
    *out = strcmp(s, "yes") == 0 ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return 1;
}

/* on|off attribute into a bool; absent leaves *OUT alone. */
static int attr_onoff(struct pctx *c, xmlNodePtr n, const char *name, bool *out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(on_off, s) < 0)
        return fail_value(c, n, name, s);
    *out = strcmp(s, "on") == 0;
    return 1;
}

/* Absolute paths only: QEMU resolves relative ones against its own cwd. */
static bool path_ok(const char *s)
{
    return s[0] == '/' && s[1] != '\0';
}

static int attr_path(struct pctx *c, xmlNodePtr n, const char *name, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!path_ok(s))
        return fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

static int text_path(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = text_elem(c, n, allowed, &s);

    if (r < 0)
        return r;
    if (!path_ok(s))
        return fail_value(c, n, NULL, s);
    *out = TAKE_PTR(s);
    return 0;
}

/* Names that end up in QEMU option strings: a conservative character set. */
static bool token_ok(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

static int attr_token(struct pctx *c, xmlNodePtr n, const char *name, const char *extra, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!token_ok(s, extra))
        return fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

/* Appends a zeroed element to ARR (of N elements) and returns it, or NULL
 * without memory.  N counts it at once, so the destructor frees whatever
 * the element gets before a later failure. */
#define GROW(arr, n) \
    ({ __typeof__(arr) _g = reallocarray((arr), (n) + 1, sizeof(*(arr))); \
       if (_g) { \
           (arr) = _g; \
           memset(&_g[(n)], 0, sizeof(*_g)); \
           _g = &_g[(n)++]; \
       } \
       _g; })

/* ------------------------------------------------------------ addresses */

static int parse_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_addr *a = obj;
    int type = MV_DOM_ADDR_NONE;
    int r;

    r = attr_enum(c, n, "type", mv_dom_addr_type_from_string, &type);
    if (r < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    a->type = type;
    if (type == MV_DOM_ADDR_PCI) {
        if ((r = leaf(c, n, ATTRS("type", "domain", "bus", "slot", "function", "multifunction"))) < 0 ||
            (r = attr_uint_range(c, n, "domain", true, 0, 0xffff, &a->domain)) < 0 ||
            (r = attr_uint_range(c, n, "bus", true, 0, 0xff, &a->bus)) < 0 ||
            (r = attr_uint_range(c, n, "slot", true, 0, 0x1f, &a->slot)) < 0 ||
            (r = attr_uint_range(c, n, "function", true, 0, 7, &a->function)) < 0 ||
            (r = attr_onoff(c, n, "multifunction", &a->multifunction)) < 0)
            return r;
        return 0;
    }
    /* drive: the schema allows two digits for all but the unit */
    if ((r = leaf(c, n, ATTRS("type", "controller", "bus", "target", "unit"))) < 0 ||
        (r = attr_uint_range(c, n, "controller", false, 0, 99, &a->controller)) < 0 ||
        (r = attr_uint_range(c, n, "bus", false, 0, 99, &a->bus)) < 0 ||
        (r = attr_uint_range(c, n, "target", false, 0, 99, &a->target)) < 0 ||
        (r = attr_uint_range(c, n, "unit", false, 0, 99999, &a->unit)) < 0)
        return r;
    return 0;
}

/* <alias name=.../>: live-only, written by libvirt's dumpxml; accepted and dropped. */
static int parse_alias(struct pctx *c, xmlNodePtr n, void *obj)
{
    return leaf(c, n, ATTRS("name"));
}

/* <boot order='N'/> of a device into the unsigned int at OBJ. */
static int parse_boot_order(struct pctx *c, xmlNodePtr n, void *obj)
{
    int r = leaf(c, n, ATTRS("order"));

    if (r < 0)
        return r;
    r = attr_uint_range(c, n, "order", false, 1, UINT32_MAX, obj);
    if (r == 0)
        return fail_missing_attr(c, n, "order");
    return r < 0 ? r : 0;
}

/* ----------------------------------------------------------------- disks */

static int disk_driver(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int v, r;

    if ((r = leaf(c, n, ATTRS("name", "type", "cache", "discard"))) < 0 ||
        (r = attr_choice(c, n, "name", (const char *const[]){ "qemu", NULL }, &d->driver_name)) < 0)
        return r;
    if ((r = attr_enum(c, n, "type", mv_dom_disk_format_from_string, &v)) < 0)
        return r;
    if (r)
        d->format = v;
    if ((r = attr_enum(c, n, "cache", mv_dom_disk_cache_from_string, &v)) < 0)
        return r;
    if (r)
        d->cache = v;
    if ((r = attr_enum(c, n, "discard", mv_dom_disk_discard_from_string, &v)) < 0)
        return r;
    if (r)
        d->discard = v;
    return 0;
}

static int disk_source(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    const char *attr = d->type == MV_DOM_DISK_BLOCK ? "dev" : "file";
    int r;

    if ((r = leaf(c, n, ATTRS(attr))) < 0 || (r = attr_path(c, n, attr, &d->source)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, attr) : 0;
}

static int disk_target(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int bus = -1;
    int r;

    if ((r = leaf(c, n, ATTRS("dev", "bus"))) < 0 ||
        (r = attr_get(n, "dev", &d->target)) < 0 ||
        (r = attr_enum(c, n, "bus", mv_dom_disk_bus_from_string, &bus)) < 0)
        return r;
    if (!d->target)
        return fail_missing_attr(c, n, "dev");
    /* the name picks the drive index: a known prefix and letters */
    if (strlen(d->target) < 3 || strspn(d->target + 2, "abcdefghijklmnopqrstuvwxyz") != strlen(d->target) - 2 ||
        (strncmp(d->target, "vd", 2) != 0 && strncmp(d->target, "sd", 2) != 0 &&
         strncmp(d->target, "hd", 2) != 0))
        return fail_value(c, n, "dev", d->target);
    if (bus >= 0)
        d->bus = bus;
    else if (d->target[0] == 'v')
        d->bus = MV_DOM_DISK_BUS_VIRTIO;
    else if (d->target[0] == 's')
        d->bus = MV_DOM_DISK_BUS_SATA;
    else
        d->bus = MV_DOM_DISK_BUS_IDE;
    return 0;
}

static int disk_readonly(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;

    d->readonly = true;
    return leaf(c, n, NO_ATTRS);
}

static int disk_boot(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_boot_order(c, n, &((struct mv_dom_disk *)obj)->boot_order);
}

static int disk_serial(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int r = text_elem(c, n, NO_ATTRS, &d->serial);

    if (r < 0)
        return r;
    /* QEMU's option syntax and the guest's view allow only these */
    if (!token_ok(d->serial, "_ .+-"))
        return fail_value(c, n, NULL, d->serial);
    return 0;
}

static int disk_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_disk *)obj)->addr);
}

static const struct child_rule disk_rules[] = {
    { "driver", disk_driver, false },
    { "source", disk_source, false },
    { "target", disk_target, false },
    { "readonly", disk_readonly, false },
    { "boot", disk_boot, false },
    { "serial", disk_serial, false },
    { "address", disk_address, false },
    { "alias", parse_alias, false },
};

static int parse_disk(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_disk *d = GROW(devs->disks, devs->ndisks);
    int v, r;

    if (!d)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("type", "device"))) < 0)
        return r;
    if ((r = attr_enum(c, n, "type", mv_dom_disk_type_from_string, &v)) < 0)
        return r;
    d->type = r ? v : MV_DOM_DISK_FILE;
    if ((r = attr_enum(c, n, "device", mv_dom_disk_device_from_string, &v)) < 0)
        return r;
    d->device = r ? v : MV_DOM_DISK_DEVICE_DISK;
    if ((r = WALK(c, n, disk_rules, d)) < 0)
        return r;
    if (!d->target)
        return fail(c, MV_ERR_XML_DETAIL, "missing <target> of <disk>");
    if (!d->source && d->device == MV_DOM_DISK_DEVICE_DISK)
        return fail(c, MV_ERR_XML_DETAIL, "missing <source> of <disk> '%s'", d->target);
    return 0;
}

/* ----------------------------------------------------------- controllers */

/* index= left out: check_controllers() gives the lowest free one, like libvirt */
#define CONTROLLER_INDEX_UNSET UINT_MAX

static const char *const usb_models[] = {
    "qemu-xhci", "nec-xhci", "piix3-uhci", "piix4-uhci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2",
    "ich9-uhci3", "none", NULL
};
static const char *const scsi_models[] = { "virtio-scsi", "lsilogic", NULL };
static const char *const pci_models[] = {
    "pci-root", "pcie-root", "pcie-root-port", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge", NULL
};
static const char *const virtio_serial_models[] = { "virtio", NULL };
static const char *const no_models[] = { NULL };

static const char *const *controller_models(enum mv_dom_controller_type type)
{
    switch (type) {
    case MV_DOM_CONTROLLER_USB: return usb_models;
    case MV_DOM_CONTROLLER_SCSI: return scsi_models;
    case MV_DOM_CONTROLLER_PCI: return pci_models;
    case MV_DOM_CONTROLLER_VIRTIO_SERIAL: return virtio_serial_models;
    default: return no_models;
    }
}

static int controller_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_controller *)obj)->addr);
}

static const struct child_rule controller_rules[] = {
    { "address", controller_address, false },
    { "alias", parse_alias, false },
};

static int parse_controller(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_controller *ctl = GROW(devs->controllers, devs->ncontrollers);
    int type, r;

    if (!ctl)
        return -ENOMEM;
    if ((r = attr_enum(c, n, "type", mv_dom_controller_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    ctl->type = type;
    /* ports= means something for these two only */
    if (type == MV_DOM_CONTROLLER_USB || type == MV_DOM_CONTROLLER_VIRTIO_SERIAL)
        r = check_attrs(c, n, ATTRS("type", "index", "model", "ports"));
    else
        r = check_attrs(c, n, ATTRS("type", "index", "model"));
    ctl->index = CONTROLLER_INDEX_UNSET;
    if (r < 0 ||
        (r = attr_uint_range(c, n, "index", false, 0, 255, &ctl->index)) < 0 ||
        (r = attr_choice(c, n, "model", controller_models(ctl->type), &ctl->model)) < 0 ||
        (r = attr_uint_range(c, n, "ports", false, 1, 255, &ctl->ports)) < 0)
        return r;
    return WALK(c, n, controller_rules, ctl);
}

/* ------------------------------------------------------------ interfaces */

/* "52:54:00:12:34:56": two hex digits per byte, either case. */
static int mac_parse(const char *s, unsigned char mac[6])
{
    static const char hexdigits[] = "0123456789abcdefABCDEF";
    unsigned char m[6];

    for (int i = 0; i < 6; i++, s += 3) {
        char byte[3] = { s[0], s[0] ? s[1] : '\0', '\0' };

        if (!byte[0] || !byte[1] || !strchr(hexdigits, byte[0]) || !strchr(hexdigits, byte[1]) ||
            s[2] != (i < 5 ? ':' : '\0'))
            return -EINVAL;
        m[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
    memcpy(mac, m, 6);
    return 0;
}

static bool mac_is_zero(const unsigned char mac[6])
{
    static const unsigned char zero[6];

    return memcmp(mac, zero, 6) == 0;
}

static int net_mac(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *q = NULL;
    int r;

    if ((r = leaf(c, n, ATTRS("address"))) < 0 || (r = attr_get(n, "address", &s)) < 0)
        return r;
    if (!s)
        return fail_missing_attr(c, n, "address");
    /* all zeros would read as "generate one" */
    if (mac_parse(s, net->mac) < 0 || mac_is_zero(net->mac))
        return fail_value(c, n, "address", s);
    if (net->mac[0] & 1) {
        q = quote(s);
        return q ? fail(c, MV_ERR_XML_DETAIL, "expected a unicast MAC address, found multicast '%s'", q)
                 : -ENOMEM;
    }
    return 0;
}

static int net_source(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    const char *attr = net->type == MV_DOM_NET_BRIDGE ? "bridge" : "network";
    int r;

    if (net->type == MV_DOM_NET_USER)
        return fail_unknown_elem(c, n);
    /* a bridge is an interface name; a network is a libvirt object name */
    if ((r = leaf(c, n, ATTRS(attr))) < 0 || (r = attr_get(n, attr, &net->source)) < 0)
        return r;
    if (!net->source)
        return fail_missing_attr(c, n, attr);
    if (net->type == MV_DOM_NET_BRIDGE ? (strlen(net->source) > 15 || !token_ok(net->source, "_.-"))
                                       : mv_validate_name("network", net->source, NULL) < 0)
        return fail_value(c, n, attr, net->source);
    return 0;
}

static int net_model(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const models[] = { "virtio", "e1000", "e1000e", "rtl8139", NULL };
    struct mv_dom_net *net = obj;
    int r;

    if ((r = leaf(c, n, ATTRS("type"))) < 0 || (r = attr_choice(c, n, "type", models, &net->model)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, "type") : 0;
}

static int net_target(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    int r;

    if ((r = leaf(c, n, ATTRS("dev"))) < 0 || (r = attr_get(n, "dev", &net->ifname)) < 0)
        return r;
    if (!net->ifname)
        return fail_missing_attr(c, n, "dev");
    if (strlen(net->ifname) > 15 || !token_ok(net->ifname, "_.-"))
        return fail_value(c, n, "dev", net->ifname);
    /* vnetN names are handed out when the guest starts; a definition
     * carrying one (a dumped running domain) must not claim it */
    if (!(c->flags & MV_DOM_PARSE_STATUS) && strncmp(net->ifname, "vnet", 4) == 0) {
        free(net->ifname);
        net->ifname = NULL;
    }
    return 0;
}

static int net_boot(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_boot_order(c, n, &((struct mv_dom_net *)obj)->boot_order);
}

static int net_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_net *)obj)->addr);
}

static const struct child_rule net_rules[] = {
    { "mac", net_mac, false },
    { "source", net_source, false },
    { "model", net_model, false },
    { "target", net_target, false },
    { "boot", net_boot, false },
    { "address", net_address, false },
    { "alias", parse_alias, false },
};

static int parse_interface(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_net *net = GROW(devs->nets, devs->nnets);
    int type, r;

    if (!net)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("type"))) < 0 ||
        (r = attr_enum(c, n, "type", mv_dom_net_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    net->type = type;
    if ((r = WALK(c, n, net_rules, net)) < 0)
        return r;
    if (net->type != MV_DOM_NET_USER && !net->source)
        return fail(c, MV_ERR_XML_DETAIL, "missing <source> of <interface type='%s'>",
                    mv_dom_net_type_to_string(net->type));
    return 0;
}

/* ------------------------------------------------------ character devices */

/* What kind of <serial>/<console>/<channel> is being parsed. */
enum chr_kind { CHR_SERIAL, CHR_CONSOLE, CHR_CHANNEL };

struct chr_parse {
    struct mv_dom_chr *chr;
    enum chr_kind kind;
    bool mode_given;
};

static int chr_source(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct chr_parse *p = obj;
    struct mv_dom_chr *chr = p->chr;
    _cleanup_free_ char *mode = NULL;
    int r;

    switch (chr->type) {
    case MV_DOM_CHR_PTY:
        /* the pty is QEMU's choice when the guest starts */
        if (!(c->flags & MV_DOM_PARSE_STATUS))
            return fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                        "<source path=...> of <%s type='pty'> (the pty is chosen when the domain starts)",
                        n->parent->name);
        if ((r = leaf(c, n, ATTRS("path"))) < 0 || (r = attr_path(c, n, "path", &chr->path)) < 0)
            return r;
        break;
    case MV_DOM_CHR_FILE:
        if ((r = leaf(c, n, ATTRS("path", "append"))) < 0 || (r = attr_path(c, n, "path", &chr->path)) < 0 ||
            (r = attr_onoff(c, n, "append", &chr->append)) < 0)
            return r;
        break;
    case MV_DOM_CHR_UNIX:
        if ((r = leaf(c, n, ATTRS("mode", "path"))) < 0 || (r = attr_path(c, n, "path", &chr->path)) < 0 ||
            (r = attr_choice(c, n, "mode", (const char *const[]){ "bind", "connect", NULL }, &mode)) < 0)
            return r;
        if (mode) {
            p->mode_given = true;
            chr->unix_listen = strcmp(mode, "bind") == 0;
        }
        if (mode && !chr->unix_listen && !chr->path)
            return fail_missing_attr(c, n, "path");
        break;
    default:
        return fail_unknown_elem(c, n);
    }
    if ((chr->type == MV_DOM_CHR_PTY || chr->type == MV_DOM_CHR_FILE) && !chr->path)
        return fail_missing_attr(c, n, "path");
    return 0;
}

static int chr_log(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_chr *chr = ((struct chr_parse *)obj)->chr;
    int r;

    if ((r = leaf(c, n, ATTRS("file", "append"))) < 0 || (r = attr_path(c, n, "file", &chr->log_file)) < 0 ||
        (r = attr_onoff(c, n, "append", &chr->log_append)) < 0)
        return r;
    return chr->log_file ? 0 : fail_missing_attr(c, n, "file");
}

static int chr_target(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const serial_types[] = { "isa-serial", "usb-serial", "pci-serial", NULL };
    static const char *const console_types[] = { "serial", "virtio", NULL };
    static const char *const channel_types[] = { "virtio", NULL };
    struct chr_parse *p = obj;
    struct mv_dom_chr *chr = p->chr;
    unsigned int port;
    int r;

    if (p->kind == CHR_CHANNEL) {
        if ((r = leaf(c, n, ATTRS("type", "name"))) < 0 ||
            (r = attr_choice(c, n, "type", channel_types, &chr->target_type)) < 0 ||
            (r = attr_token(c, n, "name", "_.-", &chr->target_name)) < 0)
            return r;
        return chr->target_type ? 0 : fail_missing_attr(c, n, "type");
    }
    if ((r = leaf(c, n, ATTRS("type", "port"))) < 0 ||
        (r = attr_choice(c, n, "type", p->kind == CHR_SERIAL ? serial_types : console_types,
                         &chr->target_type)) < 0 ||
        (r = attr_uint_range(c, n, "port", false, 0, 255, &port)) < 0)
        return r;
    if (r)
        chr->target_port = (int)port;
    return 0;
}

static const struct child_rule chr_rules[] = {
    { "source", chr_source, false },
    { "log", chr_log, false },
    { "target", chr_target, false },
    { "alias", parse_alias, false },
};

static int parse_chr(struct pctx *c, xmlNodePtr n, struct mv_dom_chr *chr, enum chr_kind kind)
{
    struct chr_parse p = { .chr = chr, .kind = kind };
    int type, r;

    chr->target_port = -1;
    if ((r = check_attrs(c, n, ATTRS("type"))) < 0 ||
        (r = attr_enum(c, n, "type", mv_dom_chr_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    chr->type = type;
    if ((r = WALK(c, n, chr_rules, &p)) < 0)
        return r;
    if (chr->type == MV_DOM_CHR_FILE && !chr->path)
        return fail(c, MV_ERR_XML_DETAIL, "missing <source path=...> of <%s type='file'>", n->name);
    /* no path: QEMU listens on one the daemon picks */
    if (chr->type == MV_DOM_CHR_UNIX && !p.mode_given)
        chr->unix_listen = !chr->path;
    if (kind == CHR_CHANNEL && !chr->target_type)
        return fail(c, MV_ERR_XML_DETAIL, "missing <target type='virtio'> of <channel>");
    return 0;
}

static int parse_serial(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = GROW(devs->serials, devs->nserials);

    return chr ? parse_chr(c, n, chr, CHR_SERIAL) : -ENOMEM;
}

static int parse_console(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = GROW(devs->consoles, devs->nconsoles);

    return chr ? parse_chr(c, n, chr, CHR_CONSOLE) : -ENOMEM;
}

static int parse_channel(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = GROW(devs->channels, devs->nchannels);

    return chr ? parse_chr(c, n, chr, CHR_CHANNEL) : -ENOMEM;
}

/* --------------------------------------------------------------- graphics */

/* An IP address or host name to listen on. */
static bool listen_ok(const char *s)
{
    return token_ok(s, ".:-") && strlen(s) <= 255;
}

static int graphics_listen(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_graphics *g = obj;
    _cleanup_free_ char *addr = NULL;
    _cleanup_free_ char *type = NULL;
    int r;

    /* network, socket and none listens are not supported */
    if ((r = leaf(c, n, ATTRS("type", "address"))) < 0 ||
        (r = attr_choice(c, n, "type", (const char *const[]){ "address", NULL }, &type)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    if ((r = attr_get(n, "address", &addr)) < 0)
        return r;
    if (!addr)
        return fail_missing_attr(c, n, "address");
    if (!listen_ok(addr))
        return fail_value(c, n, "address", addr);
    /* the listen= attribute is the same setting written twice */
    if (g->listen && strcmp(g->listen, addr) != 0)
        return fail(c, MV_ERR_XML_DETAIL, "<graphics listen=...> and <listen address=...> differ");
    free(g->listen);
    g->listen = TAKE_PTR(addr);
    return 0;
}

static const struct child_rule graphics_rules[] = {
    { "listen", graphics_listen, false },
    { "alias", parse_alias, false },
};

static int graphics_port(struct pctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    _cleanup_free_ char *s = NULL;
    enum mv_tristate autoport = MV_TRISTATE_ABSENT;
    unsigned long long v;
    int r;

    g->port = -1;
    if ((r = attr_get(n, "port", &s)) < 0)
        return r;
    if (s && strcmp(s, "-1") != 0) {
        if (parse_ull(s, false, &v) < 0 || v > 65535)
            return fail_value(c, n, "port", s);
        g->port = (int)v;
    }
    if ((r = attr_yesno(c, n, "autoport", &autoport)) < 0)
        return r;
    if (autoport == MV_TRISTATE_ABSENT)
        g->autoport = g->port == -1;
    else
        g->autoport = autoport == MV_TRISTATE_YES;
    if (!g->autoport && g->port == -1)
        return fail(c, MV_ERR_XML_DETAIL, "<graphics autoport='no'> needs a port");
    /* a chosen port belongs to the running guest only */
    if (g->autoport && !(c->flags & MV_DOM_PARSE_STATUS))
        g->port = -1;
    return 0;
}

static int parse_graphics(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_graphics *g = GROW(devs->graphics, devs->ngraphics);
    int type, r;

    if (!g)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("type", "port", "autoport", "listen", "passwd"))) < 0 ||
        (r = attr_enum(c, n, "type", mv_dom_graphics_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "type");
    g->type = type;
    if ((r = graphics_port(c, n, g)) < 0 || (r = attr_get(n, "listen", &g->listen)) < 0 ||
        (r = attr_get(n, "passwd", &g->passwd)) < 0)
        return r;
    if (g->listen && !listen_ok(g->listen))
        return fail_value(c, n, "listen", g->listen);
    return WALK(c, n, graphics_rules, g);
}

/* ------------------------------------------------------- other devices */

static int video_model(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const models[] = { "vga", "cirrus", "virtio", "qxl", "bochs", "ramfb", "none", NULL };
    struct mv_dom_video *v = obj;
    enum mv_tristate primary = MV_TRISTATE_ABSENT;
    int r;

    if ((r = leaf(c, n, ATTRS("type", "vram", "heads", "primary"))) < 0 ||
        (r = attr_choice(c, n, "type", models, &v->model)) < 0 ||
        (r = attr_uint_range(c, n, "vram", false, 1, UINT32_MAX, &v->vram)) < 0 ||
        (r = attr_uint_range(c, n, "heads", false, 1, 16, &v->heads)) < 0 ||
        (r = attr_yesno(c, n, "primary", &primary)) < 0)
        return r;
    v->primary = primary == MV_TRISTATE_YES;
    return v->model ? 0 : fail_missing_attr(c, n, "type");
}

static int video_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_video *)obj)->addr);
}

static const struct child_rule video_rules[] = {
    { "model", video_model, false },
    { "address", video_address, false },
    { "alias", parse_alias, false },
};

static int parse_video(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_video *v = GROW(devs->videos, devs->nvideos);
    int r;

    if (!v)
        return -ENOMEM;
    if ((r = check_attrs(c, n, NO_ATTRS)) < 0 || (r = WALK(c, n, video_rules, v)) < 0)
        return r;
    return v->model ? 0 : fail(c, MV_ERR_XML_DETAIL, "missing <model type=...> of <video>");
}

static const struct child_rule alias_only_rules[] = {
    { "alias", parse_alias, false },
};

static int parse_input(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const types[] = { "tablet", "mouse", "keyboard", NULL };
    static const char *const buses[] = { "usb", "ps2", "virtio", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_input *in = GROW(devs->inputs, devs->ninputs);
    int r;

    if (!in)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("type", "bus"))) < 0 ||
        (r = attr_choice(c, n, "type", types, &in->type)) < 0 ||
        (r = attr_choice(c, n, "bus", buses, &in->bus)) < 0)
        return r;
    if (!in->type)
        return fail_missing_attr(c, n, "type");
    return WALK(c, n, alias_only_rules, NULL);
}

static int rng_backend(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_rng *rng = obj;
    _cleanup_free_ char *model = NULL;
    int r;

    if ((r = attr_choice(c, n, "model", (const char *const[]){ "random", NULL }, &model)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "model");
    return text_path(c, n, ATTRS("model"), &rng->backend);
}

static int rng_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_rng *)obj)->addr);
}

static const struct child_rule rng_rules[] = {
    { "backend", rng_backend, false },
    { "address", rng_address, false },
    { "alias", parse_alias, false },
};

static int parse_rng(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_rng *rng = GROW(devs->rngs, devs->nrngs);
    int r;

    if (!rng)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("model"))) < 0 ||
        (r = attr_choice(c, n, "model", (const char *const[]){ "virtio", NULL }, &rng->model)) < 0)
        return r;
    if (!rng->model)
        return fail_missing_attr(c, n, "model");
    if ((r = WALK(c, n, rng_rules, rng)) < 0)
        return r;
    return rng->backend ? 0 : fail(c, MV_ERR_XML_DETAIL, "missing <backend> of <rng>");
}

static int balloon_stats(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memballoon *b = obj;
    int r;

    if ((r = leaf(c, n, ATTRS("period"))) < 0 ||
        (r = attr_uint_range(c, n, "period", false, 1, INT32_MAX, &b->stats_period)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, "period") : 0;
}

static int balloon_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_memballoon *)obj)->addr);
}

static const struct child_rule balloon_rules[] = {
    { "stats", balloon_stats, false },
    { "address", balloon_address, false },
    { "alias", parse_alias, false },
};

static int parse_memballoon(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memballoon *b = &((struct mv_dom_devices *)obj)->memballoon;
    int r;

    b->given = true;
    if ((r = check_attrs(c, n, ATTRS("model"))) < 0 ||
        (r = attr_choice(c, n, "model", (const char *const[]){ "virtio", "none", NULL }, &b->model)) < 0)
        return r;
    if (!b->model)
        return fail_missing_attr(c, n, "model");
    return WALK(c, n, balloon_rules, b);
}

static int watchdog_address(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_watchdog *)obj)->addr);
}

static const struct child_rule watchdog_rules[] = {
    { "address", watchdog_address, false },
    { "alias", parse_alias, false },
};

static int parse_watchdog(struct pctx *c, xmlNodePtr n, void *obj)
{
    /* libvirt 9.0's schema knows no itco yet */
    static const char *const models[] = { "i6300esb", "ib700", NULL };
    static const char *const actions[] = {
        "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi", NULL
    };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_watchdog *w = GROW(devs->watchdogs, devs->nwatchdogs);
    int r;

    if (!w)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("model", "action"))) < 0 ||
        (r = attr_choice(c, n, "model", models, &w->model)) < 0 ||
        (r = attr_choice(c, n, "action", actions, &w->action)) < 0)
        return r;
    if (!w->model)
        return fail_missing_attr(c, n, "model");
    return WALK(c, n, watchdog_rules, w);
}

static int parse_panic(struct pctx *c, xmlNodePtr n, void *obj)
{
    /* libvirt 9.0's schema knows no pvpanic yet */
    static const char *const models[] = { "isa", "hyperv", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_panic *p = GROW(devs->panics, devs->npanics);
    int r;

    if (!p)
        return -ENOMEM;
    if ((r = check_attrs(c, n, ATTRS("model"))) < 0 || (r = attr_choice(c, n, "model", models, &p->model)) < 0)
        return r;
    return WALK(c, n, alias_only_rules, NULL);
}

static int parse_emulator(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_path(c, n, NO_ATTRS, &((struct mv_dom_devices *)obj)->emulator);
}

static const struct child_rule devices_rules[] = {
    { "emulator", parse_emulator, false },
    { "disk", parse_disk, true },
    { "controller", parse_controller, true },
    { "interface", parse_interface, true },
    { "serial", parse_serial, true },
    { "console", parse_console, true },
    { "channel", parse_channel, true },
    { "graphics", parse_graphics, true },
    { "video", parse_video, true },
    { "input", parse_input, true },
    { "rng", parse_rng, true },
    { "watchdog", parse_watchdog, false },      /* libvirt allows one */
    { "panic", parse_panic, true },
    { "memballoon", parse_memballoon, false },
};

static int parse_devices(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r = check_attrs(c, n, NO_ATTRS);

    return r < 0 ? r : WALK(c, n, devices_rules, &def->devices);
}

/* -------------------------------------------------------------------- os */

static int os_type(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *q = NULL;
    int r;

    if ((r = text_elem(c, n, ATTRS("arch", "machine"), &text)) < 0 ||
        (r = attr_token(c, n, "arch", "_", &os->arch)) < 0 ||
        (r = attr_token(c, n, "machine", "_.-", &os->machine)) < 0)
        return r;
    if (strcmp(trim(text), "hvm") != 0) {
        q = quote(trim(text));
        return q ? fail(c, MV_ERR_CONFIG_UNSUPPORTED, "os type '%s' (only 'hvm' is supported)", q)
                 : -ENOMEM;
    }
    os->type = strdup("hvm");
    return os->type ? 0 : -ENOMEM;
}

static int os_loader(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int type, r;

    if ((r = text_path(c, n, ATTRS("readonly", "type"), &os->loader)) < 0 ||
        (r = attr_yesno(c, n, "readonly", &os->loader_readonly)) < 0 ||
        (r = attr_enum(c, n, "type", mv_dom_loader_type_from_string, &type)) < 0)
        return r;
    if (r)
        os->loader_type = type;
    return 0;
}

static int os_kernel(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_path(c, n, NO_ATTRS, &((struct mv_dom_os *)obj)->kernel);
}

static int os_initrd(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_path(c, n, NO_ATTRS, &((struct mv_dom_os *)obj)->initrd);
}

static int os_dtb(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_path(c, n, NO_ATTRS, &((struct mv_dom_os *)obj)->dtb);
}

static int os_cmdline(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_elem(c, n, NO_ATTRS, &((struct mv_dom_os *)obj)->cmdline);
}

static int os_boot(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int dev, r;

    if ((r = leaf(c, n, ATTRS("dev"))) < 0 || (r = attr_enum(c, n, "dev", mv_dom_boot_dev_from_string, &dev)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "dev");
    if (os->nboot == MV_DOM_BOOT_DEVS_MAX)
        return fail(c, MV_ERR_XML_DETAIL, "at most %d <os><boot> elements are allowed", MV_DOM_BOOT_DEVS_MAX);
    os->boot[os->nboot++] = dev;
    return 0;
}

static int os_bootmenu(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = obj;
    int r;

    if ((r = leaf(c, n, ATTRS("enable"))) < 0 || (r = attr_yesno(c, n, "enable", &os->bootmenu)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, "enable") : 0;
}

static const struct child_rule os_rules[] = {
    { "type", os_type, false },
    { "loader", os_loader, false },
    { "kernel", os_kernel, false },
    { "initrd", os_initrd, false },
    { "cmdline", os_cmdline, false },
    { "dtb", os_dtb, false },
    { "boot", os_boot, true },
    { "bootmenu", os_bootmenu, false },
};

static int parse_os(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_os *os = &((struct mv_dom_def *)obj)->os;
    int r;

    if ((r = check_attrs(c, n, NO_ATTRS)) < 0 || (r = WALK(c, n, os_rules, os)) < 0)
        return r;
    if (!os->type)
        return fail(c, MV_ERR_XML_DETAIL, "missing <os><type>");
    /* QEMU takes these only together with a kernel */
    if (!os->kernel && (os->initrd || os->cmdline || os->dtb))
        return fail(c, MV_ERR_XML_DETAIL, "<os><%s> needs <os><kernel>",
                    os->initrd ? "initrd" : os->cmdline ? "cmdline" : "dtb");
    return 0;
}

/* -------------------------------------------------- features, cpu, clock */

static int feature_flag(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = obj;
    const char *name = (const char *)n->name;

    if (strcmp(name, "acpi") == 0)
        f->acpi = true;
    else if (strcmp(name, "apic") == 0)
        f->apic = true;
    else
        f->pae = true;
    return leaf(c, n, NO_ATTRS);
}

static const struct child_rule features_rules[] = {
    { "acpi", feature_flag, false },
    { "apic", feature_flag, false },
    { "pae", feature_flag, false },
};

static int parse_features(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_features *f = &((struct mv_dom_def *)obj)->features;
    int r = check_attrs(c, n, NO_ATTRS);

    f->given = true;
    return r < 0 ? r : WALK(c, n, features_rules, f);
}

static int cpu_model(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = obj;
    int r;

    if ((r = text_elem(c, n, ATTRS("fallback"), &cpu->model)) < 0 ||
        (r = attr_choice(c, n, "fallback", (const char *const[]){ "allow", "forbid", NULL },
                         &cpu->model_fallback)) < 0)
        return r;
    if (!token_ok(cpu->model, "_.+-"))
        return fail_value(c, n, NULL, cpu->model);
    return 0;
}

static int cpu_topology(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const attrs[] = { "sockets", "dies", "cores", "threads", NULL };
    struct mv_dom_cpu *cpu = obj;
    unsigned int *fields[] = { &cpu->sockets, &cpu->dies, &cpu->cores, &cpu->threads };
    int r;

    if ((r = leaf(c, n, attrs)) < 0)
        return r;
    for (size_t i = 0; attrs[i]; i++) {
        r = attr_uint_range(c, n, attrs[i], false, 1, DOM_VCPUS_MAX, fields[i]);
        if (r < 0)
            return r;
        /* dies alone may be left out (one per socket) */
        if (r == 0 && i != 1)
            return fail_missing_attr(c, n, attrs[i]);
    }
    return 0;
}

static const struct child_rule cpu_rules[] = {
    { "model", cpu_model, false },
    { "topology", cpu_topology, false },
};

static int parse_cpu(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_cpu *cpu = &((struct mv_dom_def *)obj)->cpu;
    int mode, r;

    if ((r = check_attrs(c, n, ATTRS("mode", "match", "check"))) < 0 ||
        (r = attr_enum(c, n, "mode", mv_dom_cpu_mode_from_string, &mode)) < 0)
        return r;
    cpu->mode_given = r == 1;
    cpu->mode = r ? mode : MV_DOM_CPU_MODE_CUSTOM;
    if ((r = attr_choice(c, n, "match", (const char *const[]){ "exact", "minimum", "strict", NULL },
                         &cpu->match)) < 0 ||
        (r = attr_choice(c, n, "check", (const char *const[]){ "none", "partial", "full", NULL },
                         &cpu->check)) < 0)
        return r;
    return WALK(c, n, cpu_rules, cpu);
}

static int clock_timer(struct pctx *c, xmlNodePtr n, void *obj)
{
    static const char *const names[] = { "rtc", "pit", "hpet", "kvmclock", "tsc", "hypervclock", NULL };
    static const char *const policies[] = { "delay", "catchup", "merge", "discard", NULL };
    struct mv_dom_clock *clock = obj;
    struct mv_dom_timer *t = GROW(clock->timers, clock->ntimers);
    int r;

    if (!t)
        return -ENOMEM;
    if ((r = leaf(c, n, ATTRS("name", "tickpolicy", "present"))) < 0 ||
        (r = attr_choice(c, n, "name", names, &t->name)) < 0 ||
        (r = attr_choice(c, n, "tickpolicy", policies, &t->tickpolicy)) < 0 ||
        (r = attr_yesno(c, n, "present", &t->present)) < 0)
        return r;
    if (!t->name)
        return fail_missing_attr(c, n, "name");
    /* paravirtual clocks have no ticks to lose */
    if (t->tickpolicy && (strcmp(t->name, "kvmclock") == 0 || strcmp(t->name, "hypervclock") == 0))
        return fail(c, MV_ERR_XML_DETAIL, "<timer name='%s'> takes no tickpolicy", t->name);
    for (size_t i = 0; i + 1 < clock->ntimers; i++)
        if (strcmp(clock->timers[i].name, t->name) == 0)
            return fail(c, MV_ERR_XML_DETAIL, "timer '%s' given more than once", t->name);
    return 0;
}

static const struct child_rule clock_rules[] = {
    { "timer", clock_timer, true },
};

static int parse_clock(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_clock *clock = &((struct mv_dom_def *)obj)->clock;
    int offset, r;

    clock->given = true;
    if ((r = check_attrs(c, n, ATTRS("offset"))) < 0 ||
        (r = attr_enum(c, n, "offset", mv_dom_clock_offset_from_string, &offset)) < 0)
        return r;
    if (r == 0)
        return fail_missing_attr(c, n, "offset");
    clock->offset = offset;
    return WALK(c, n, clock_rules, clock);
}

static int pm_state(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_pm *pm = obj;
    enum mv_tristate *t = strcmp((const char *)n->name, "suspend-to-mem") == 0 ? &pm->suspend_to_mem
                                                                              : &pm->suspend_to_disk;
    int r;

    if ((r = leaf(c, n, ATTRS("enabled"))) < 0 || (r = attr_yesno(c, n, "enabled", t)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, "enabled") : 0;
}

static const struct child_rule pm_rules[] = {
    { "suspend-to-mem", pm_state, false },
    { "suspend-to-disk", pm_state, false },
};

static int parse_pm(struct pctx *c, xmlNodePtr n, void *obj)
{
    int r = check_attrs(c, n, NO_ATTRS);

    return r < 0 ? r : WALK(c, n, pm_rules, &((struct mv_dom_def *)obj)->pm);
}

static int parse_lifecycle(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    const char *name = (const char *)n->name;
    enum mv_dom_lifecycle_action *a = strcmp(name, "on_poweroff") == 0 ? &def->on_poweroff
                                      : strcmp(name, "on_reboot") == 0 ? &def->on_reboot
                                                                       : &def->on_crash;
    _cleanup_free_ char *text = NULL;
    int v, r;

    if ((r = text_elem(c, n, NO_ATTRS, &text)) < 0)
        return r;
    v = mv_dom_lifecycle_action_from_string(trim(text));
    if (v < 0)
        return fail_value(c, n, NULL, text);
    *a = v;
    return 0;
}

/* ---------------------------------------------------- top-level scalars */

static int parse_name(struct pctx *c, xmlNodePtr n, void *obj)
{
    /* validated before the walk, so that every message can name the domain */
    return text_elem(c, n, NO_ATTRS, &((struct mv_dom_def *)obj)->name);
}

static int parse_uuid(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    _cleanup_free_ char *text = NULL;
    int r;

    if ((r = text_elem(c, n, NO_ATTRS, &text)) < 0)
        return r;
    if (mv_uuid_parse(text, def->uuid) < 0 || mv_uuid_is_null(def->uuid))
        return fail_value(c, n, NULL, text);
    return 0;
}

static int parse_title(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r = text_elem(c, n, NO_ATTRS, &def->title);

    if (r < 0)
        return r;
    /* virsh list --title shows it on one line */
    if (strpbrk(def->title, "\r\n"))
        return fail(c, MV_ERR_XML_DETAIL, "<title> must be a single line");
    return 0;
}

static int parse_description(struct pctx *c, xmlNodePtr n, void *obj)
{
    return text_elem(c, n, NO_ATTRS, &((struct mv_dom_def *)obj)->description);
}

/* Appends the element K, with the namespace declarations it needs, to BUF. */
static int metadata_dump(xmlBufferPtr buf, xmlNodePtr k)
{
    _cleanup_xmldoc_ xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy;

    if (!doc)
        return -ENOMEM;
    /* copying into a document of its own declares namespaces that were
     * declared further up (on <domain>) on the copy itself */
    copy = xmlDocCopyNode(k, doc, 1);
    if (!copy)
        return -ENOMEM;
    xmlDocSetRootElement(doc, copy);
    if (xmlReconciliateNs(doc, copy) < 0 || xmlNodeDump(buf, doc, copy, 0, 0) < 0)
        return -ENOMEM;
    return 0;
}

static int parse_metadata(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    xmlBufferPtr buf;
    int r = check_attrs(c, n, NO_ATTRS);

    if (r < 0)
        return r;
    buf = xmlBufferCreate();
    if (!buf)
        return -ENOMEM;
    for (xmlNodePtr k = n->children; k && r == 0; k = k->next) {
        if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
            if (!is_blank(k->content))
                r = fail_text(c, n, k->content);
        } else if (k->type == XML_ELEMENT_NODE) {
            /* libvirt keys metadata by namespace and drops elements without one */
            if (!k->ns || !k->ns->href)
                r = fail(c, MV_ERR_XML_DETAIL, "element <%s> in <metadata> needs an XML namespace", k->name);
            /* children separated as formatting indents them */
            else if (xmlBufferLength(buf) > 0 && xmlBufferCat(buf, BAD_CAST "\n    ") != 0)
                r = -ENOMEM;
            else
                r = metadata_dump(buf, k);
        }
    }
    if (r == 0) {
        def->metadata = strdup((const char *)xmlBufferContent(buf));
        if (!def->metadata)
            r = -ENOMEM;
    }
    xmlBufferFree(buf);
    return r;
}

/* Bytes per UNIT as the schema spells it (any case): b, bytes, k, KiB (1024),
 * KB (1000), and so on up to E; 0 if unknown. */
static unsigned long long unit_scale(const char *unit)
{
    static const char prefixes[] = "kmgtpe";
    const char *p;
    unsigned long long scale = 1;
    unsigned long long base;

    if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 || strcasecmp(unit, "bytes") == 0)
        return 1;
    p = unit[0] ? strchr(prefixes, (char)(unit[0] | 0x20)) : NULL;
    if (!p)
        return 0;
    if (unit[1] == '\0' || strcasecmp(unit + 1, "iB") == 0)
        base = 1024;
    else if (strcasecmp(unit + 1, "B") == 0)
        base = 1000;
    else
        return 0;
    for (const char *q = prefixes; q <= p; q++)
        scale *= base;
    return scale;
}

/* <memory unit=...>N</memory> into KiB, rounded up. */
static int parse_mem_value(struct pctx *c, xmlNodePtr n, const char *const *attrs, unsigned long long *kib)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *unit = NULL;
    unsigned long long v, scale = 1024, bytes;
    int r;

    if ((r = text_elem(c, n, attrs, &text)) < 0 || (r = attr_get(n, "unit", &unit)) < 0)
        return r;
    if (unit && (scale = unit_scale(unit)) == 0)
        return fail_value(c, n, "unit", unit);
    if (parse_ull(trim(text), false, &v) < 0)
        return fail_value(c, n, NULL, trim(text));
    if (v > ULLONG_MAX / scale)
        goto overflow;
    bytes = v * scale;
    v = bytes / 1024 + (bytes % 1024 != 0);
    /* KiB must convert back to bytes */
    if (v > ULLONG_MAX / 1024)
        goto overflow;
    if (v == 0)
        return fail(c, MV_ERR_XML_DETAIL, "<%s> must be greater than zero", n->name);
    *kib = v;
    return 0;
overflow:
    return fail(c, MV_ERR_XML_DETAIL, "value '%s' %s of <%s> is too large", trim(text), unit ? unit : "KiB",
                n->name);
}

static int parse_memory(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_mem_value(c, n, ATTRS("unit"), &((struct mv_dom_def *)obj)->memory_kib);
}

static int parse_current_memory(struct pctx *c, xmlNodePtr n, void *obj)
{
    return parse_mem_value(c, n, ATTRS("unit"), &((struct mv_dom_def *)obj)->current_memory_kib);
}

static int parse_max_memory(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r;

    if ((r = parse_mem_value(c, n, ATTRS("unit", "slots"), &def->max_memory_kib)) < 0 ||
        (r = attr_uint_range(c, n, "slots", false, 1, 255, &def->max_memory_slots)) < 0)
        return r;
    return r == 0 ? fail_missing_attr(c, n, "slots") : 0;
}

static int parse_vcpu(struct pctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *placement = NULL;
    unsigned long long v;
    int r;

    if ((r = text_elem(c, n, ATTRS("placement", "current"), &text)) < 0 ||
        (r = attr_choice(c, n, "placement", (const char *const[]){ "static", NULL }, &placement)) < 0 ||
        (r = attr_uint_range(c, n, "current", false, 1, DOM_VCPUS_MAX, &def->vcpus_current)) < 0)
        return r;
    def->vcpu_placement_given = placement != NULL;
    if (parse_ull(trim(text), false, &v) < 0 || v == 0 || v > DOM_VCPUS_MAX)
        return fail_value(c, n, NULL, trim(text));
    def->vcpus = (unsigned int)v;
    return 0;
}

static const struct child_rule domain_rules[] = {
    { "name", parse_name, false },
    { "uuid", parse_uuid, false },
    { "title", parse_title, false },
    { "description", parse_description, false },
    { "metadata", parse_metadata, false },
    { "maxMemory", parse_max_memory, false },
    { "memory", parse_memory, false },
    { "currentMemory", parse_current_memory, false },
    { "vcpu", parse_vcpu, false },
    { "os", parse_os, false },
    { "features", parse_features, false },
    { "cpu", parse_cpu, false },
    { "clock", parse_clock, false },
    { "pm", parse_pm, false },
    { "on_poweroff", parse_lifecycle, false },
    { "on_reboot", parse_lifecycle, false },
    { "on_crash", parse_lifecycle, false },
    { "devices", parse_devices, false },
};

/* --------------------------------------------------- whole-domain checks */

static int check_memory(struct pctx *c, struct mv_dom_def *def)
{
    if (def->memory_kib == 0)
        return fail(c, MV_ERR_XML_DETAIL, "missing <memory>");
    if (def->current_memory_kib == 0)
        def->current_memory_kib = def->memory_kib;
    if (def->current_memory_kib > def->memory_kib)
        return fail(c, MV_ERR_XML_DETAIL, "<currentMemory> %llu KiB is larger than <memory> %llu KiB",
                    def->current_memory_kib, def->memory_kib);
    if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
        return fail(c, MV_ERR_XML_DETAIL, "<maxMemory> %llu KiB is smaller than <memory> %llu KiB",
                    def->max_memory_kib, def->memory_kib);
    return 0;
}

static int check_vcpus(struct pctx *c, struct mv_dom_def *def)
{
    const struct mv_dom_cpu *cpu = &def->cpu;
    unsigned long long product;

    /* libvirt's default when <vcpu> is left out */
    if (def->vcpus == 0)
        def->vcpus = 1;
    if (def->vcpus_current == 0)
        def->vcpus_current = def->vcpus;
    if (def->vcpus_current > def->vcpus)
        return fail(c, MV_ERR_XML_DETAIL, "<vcpu current='%u'> is larger than the maximum of %u vcpus",
                    def->vcpus_current, def->vcpus);
    if (cpu->sockets == 0)
        return 0;
    product = (unsigned long long)cpu->sockets * (cpu->dies ? cpu->dies : 1) * cpu->cores * cpu->threads;
    if (product != def->vcpus)
        return fail(c, MV_ERR_XML_DETAIL, "<cpu><topology> gives %llu vcpus, but <vcpu> is %u",
                    product, def->vcpus);
    return 0;
}

static int check_boot_orders(struct pctx *c, struct mv_dom_def *def)
{
    const struct mv_dom_devices *d = &def->devices;
    size_t n = d->ndisks + d->nnets;
    _cleanup_free_ unsigned int *orders = calloc(n ? n : 1, sizeof(*orders));
    size_t k = 0;

    if (!orders)
        return -ENOMEM;
    for (size_t i = 0; i < d->ndisks; i++)
        orders[k++] = d->disks[i].boot_order;
    for (size_t i = 0; i < d->nnets; i++)
        orders[k++] = d->nets[i].boot_order;
    for (size_t i = 0; i < n; i++) {
        if (!orders[i])
            continue;
        if (def->os.nboot)
            return fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                        "per-device <boot order=...> cannot be used together with <os><boot>");
        for (size_t j = 0; j < i; j++)
            if (orders[j] == orders[i])
                return fail(c, MV_ERR_XML_DETAIL, "boot order %u is used by more than one device", orders[i]);
    }
    return 0;
}

static bool controller_index_used(const struct mv_dom_devices *d, enum mv_dom_controller_type type,
                                  unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return true;
    return false;
}

static int check_controllers(struct pctx *c, struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        for (size_t j = 0; j < i; j++)
            if (d->controllers[i].index != CONTROLLER_INDEX_UNSET &&
                d->controllers[i].type == d->controllers[j].type &&
                d->controllers[i].index == d->controllers[j].index)
                return fail(c, MV_ERR_XML_DETAIL, "controller type '%s' index %u is given more than once",
                            mv_dom_controller_type_to_string(d->controllers[i].type), d->controllers[i].index);
    for (size_t i = 0; i < d->ncontrollers; i++) {
        struct mv_dom_controller *ctl = &d->controllers[i];
        unsigned int index = 0;

        if (ctl->index != CONTROLLER_INDEX_UNSET)
            continue;
        while (controller_index_used(d, ctl->type, index))
            index++;
        ctl->index = index;
    }
    return 0;
}

static bool mac_used(const struct mv_dom_devices *d, const unsigned char mac[6], size_t skip)
{
    for (size_t i = 0; i < d->nnets; i++)
        if (i != skip && memcmp(d->nets[i].mac, mac, 6) == 0)
            return true;
    return false;
}

/* QEMU's own prefix 52:54:00 with three random bytes, like libvirt; after
 * all interfaces are read, so a new one cannot clash with a given one. */
static int generate_macs(struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nnets; i++) {
        unsigned char *mac = d->nets[i].mac;

        if (!mac_is_zero(mac))
            continue;
        do {
            if (getrandom(mac + 3, 3, 0) != 3)
                return -EIO;
            mac[0] = 0x52;
            mac[1] = 0x54;
            mac[2] = 0x00;
        } while (mac_used(d, mac, i));
    }
    return 0;
}

static int check_devices(struct pctx *c, struct mv_dom_def *def)
{
    const struct mv_dom_devices *d = &def->devices;
    int r;

    for (size_t i = 0; i < d->ndisks; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->disks[i].target, d->disks[j].target) == 0)
                return fail(c, MV_ERR_XML_DETAIL, "disk target '%s' is used more than once", d->disks[i].target);
    if ((r = check_controllers(c, &def->devices)) < 0)
        return r;
    for (size_t i = 0; i < d->nnets; i++)
        for (size_t j = 0; j < i; j++)
            if (!mac_is_zero(d->nets[i].mac) && memcmp(d->nets[i].mac, d->nets[j].mac, 6) == 0)
                return fail(c, MV_ERR_XML_DETAIL,
                            "MAC address %02x:%02x:%02x:%02x:%02x:%02x is used more than once", d->nets[i].mac[0], d->nets[i].mac[1], d->nets[i].mac[2], d->nets[i].mac[3],
                            d->nets[i].mac[4], d->nets[i].mac[5]);
    if ((r = check_boot_orders(c, def)) < 0)
        return r;
    return generate_macs(&def->devices);
}

/* --------------------------------------------------------------- entry */

/* Finds and validates <name> first: every later message names the domain. */
static int prescan_name(struct pctx *c, xmlNodePtr root, char **name)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *q = NULL;
    xmlNodePtr n;
    int r;

    for (n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, "name") == 0)
            break;
    if (!n)
        return fail(c, MV_ERR_XML_DETAIL, "missing <name> of the domain");
    if ((r = text_get(c, n, name)) < 0)
        return r;
    /* before mv_validate_name(), whose limit is the plain file name's */
    if (strlen(*name) > DOM_NAME_MAX) {
        q = quote(*name);
        return q ? fail(c, MV_ERR_XML_DETAIL,
                        "invalid domain name '%s': names must be at most %d bytes long (the configuration "
                        "file adds '.xml')", q, DOM_NAME_MAX)
                 : -ENOMEM;
    }
    if (mv_validate_name("domain", *name, &msg) < 0)
        return msg ? fail(c, MV_ERR_XML_DETAIL, "%s", msg) : -ENOMEM;
    return 0;
}

static int parse_root(struct pctx *c, xmlNodePtr root, struct mv_dom_def *def)
{
    _cleanup_free_ char *name = NULL;
    int virt, r;

    if (strcmp((const char *)root->name, "domain") != 0)
        return fail(c, MV_ERR_XML_ERROR, "expected <domain> as the root element, not <%s>", root->name);
    if (root->ns)
        return fail(c, MV_ERR_XML_ERROR, "the root element <domain> must not be in an XML namespace");
    if ((r = prescan_name(c, root, &name)) < 0)
        return r;
    c->name = name;
    /* id= is what a running domain's dumpxml carries: not part of the definition */
    if ((r = check_attrs(c, root, ATTRS("type", "id"))) < 0 ||
        (r = attr_enum(c, root, "type", mv_dom_virt_from_string, &virt)) < 0)
        goto out;
    if (r == 0) {
        r = fail_missing_attr(c, root, "type");
        goto out;
    }
    def->virt = virt;
    if ((r = WALK(c, root, domain_rules, def)) < 0)
        goto out;
    if (!def->os.type) {
        r = fail(c, MV_ERR_XML_DETAIL, "missing <os><type>");
        goto out;
    }
    if ((r = check_memory(c, def)) < 0 || (r = check_vcpus(c, def)) < 0 || (r = check_devices(c, def)) < 0)
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
    _cleanup_free_ char *msg = NULL;
    struct pctx c = { .flags = flags };
    int r;

    r = mv_xml_parse(xml, "domain definition", &doc, &msg);
    if (r == -ENOMEM) {
        *errcode = MV_ERR_NO_MEMORY;
        *errmsg = NULL;
        return r;
    }
    if (r < 0) {
        *errcode = MV_ERR_XML_ERROR;
        *errmsg = msg ? TAKE_PTR(msg) : strdup("XML error: cannot parse the domain definition");
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

    /* STATUS keeps what a running domain carries (pty paths, tap names, ports) */
    if (mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, &xml) < 0 ||
        mv_dom_def_parse(xml, MV_DOM_PARSE_STATUS, &copy, &code, &msg) < 0)
        return NULL;
    return copy;
}
