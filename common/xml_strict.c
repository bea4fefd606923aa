/*
 * Strict XML (xml_strict.h): error messages that name the element and the
 * object, the table-driven walk over an element's children, getters that
 * check an attribute or text value and refuse it by name, units, and the
 * elements every libvirt object has (name, uuid, title, metadata).  Nothing
 * here knows about a particular kind of object.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
/* libvirt's error numbers: protocol constants only, no link to rpc/ */
#include "error_codes.h"
#include "errmsg.h"
#include "uuid.h"
#include "validate.h"
#include "xml.h"
#include "xml_strict.h"

/* ---------------------------------------------------------------- errors */

static const char *code_prefix(int code)
{
    return code == MV_ERR_CONFIG_UNSUPPORTED ? "unsupported configuration: " : "XML error: ";
}

/* Sets the error once (the first explains) and returns -EINVAL; the
 * object's kind and name are appended once the name is known. */
int mv_xml_fail(struct mv_xml_ctx *c, int code, const char *fmt, ...)
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
        r = asprintf(&c->errmsg, "%s%s in %s '%s'", code_prefix(code), what, c->kind, qname);
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
char *mv_xml_quote(const char *s)
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

/* "<devices><disk><foo>": the element and its ancestors below the root. */
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

int mv_xml_fail_unknown_elem(struct mv_xml_ctx *c, xmlNodePtr n)
{
    _cleanup_free_ char *path = elem_path(n);

    if (!path)
        return -ENOMEM;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown element %s", path);
}

/* VALUE of attribute ATTR of N (ATTR NULL: N's text) is not acceptable. */
int mv_xml_fail_value(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, const char *value)
{
    _cleanup_free_ char *q = mv_xml_quote(value);

    if (!q)
        return -ENOMEM;
    if (attr)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s %s=...>", q, n->name, attr);
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s>", q, n->name);
}

int mv_xml_fail_missing_attr(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr)
{
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing attribute '%s' of <%s>", attr, n->name);
}

/* ------------------------------------------------------------ tree walk */

bool mv_xml_is_blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Strips surrounding XML whitespace in place (numbers and keywords in text). */
char *mv_xml_trim(char *s)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

int mv_xml_fail_text(struct mv_xml_ctx *c, xmlNodePtr parent, const xmlChar *text)
{
    _cleanup_free_ char *copy = strdup((const char *)text);
    _cleanup_free_ char *q = copy ? mv_xml_quote(mv_xml_trim(copy)) : NULL;
    _cleanup_free_ char *path = elem_path(parent);

    if (!q || !path)
        return -ENOMEM;
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "unexpected text '%s' in %s", q, path);
}

/* Dispatches every child of PARENT to its rule; whitespace and comments are
 * fine, anything else unknown is refused. */
int mv_xml_walk(struct mv_xml_ctx *c, xmlNodePtr parent, const struct mv_xml_rule *rules, size_t nrules, void *obj)
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
            if (!mv_xml_is_blank(n->content))
                return mv_xml_fail_text(c, parent, n->content);
            continue;
        case XML_ELEMENT_NODE:
            break;
        case XML_PI_NODE:
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "unexpected processing instruction <?%s?> in <%s>", n->name,
                               parent->name);
        default:
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", n->type, parent->name);
        }
        for (i = 0; i < nrules; i++)
            if (!n->ns && strcmp((const char *)n->name, rules[i].name) == 0)
                break;
        if (i == nrules)
            return mv_xml_fail_unknown_elem(c, n);
        if ((seen & (1u << i)) && !rules[i].repeat) {
            _cleanup_free_ char *path = elem_path(n);

            return path ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "element %s given more than once", path) : -ENOMEM;
        }
        seen |= 1u << i;
        r = rules[i].parse(c, n, obj);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Refuses attributes of N not in the NULL-terminated ALLOWED. */
int mv_xml_check_attrs(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed)
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
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown attribute '%s' of <%s>",
                               q ? q : (const char *)a->name, n->name);
        }
    }
    return 0;
}

/* An element with attributes only. */
int mv_xml_leaf(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed)
{
    int r = mv_xml_check_attrs(c, n, allowed);

    return r < 0 ? r : mv_xml_walk(c, n, NULL, 0, NULL);
}

/* Malloc'd value of attribute NAME: 1 found, 0 absent, -ENOMEM. */
int mv_xml_attr_get(xmlNodePtr n, const char *name, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

    *out = NULL;
    if (!v)
        return 0;
    *out = strdup((const char *)v);
    return *out ? 1 : -ENOMEM;
}

/* The text of an element that holds only text (and comments); malloc'd. */
int mv_xml_text_get(struct mv_xml_ctx *c, xmlNodePtr n, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = NULL;

    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE)
            return mv_xml_fail_unknown_elem(c, k);
        if (k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE && k->type != XML_COMMENT_NODE)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", k->type, n->name);
    }
    v = xmlNodeGetContent(n);
    *out = strdup(v ? (const char *)v : "");
    return *out ? 0 : -ENOMEM;
}

/* Text element with the given attributes, stored in *OUT (which must be unset). */
int mv_xml_text_elem(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    int r = mv_xml_check_attrs(c, n, allowed);

    return r < 0 ? r : mv_xml_text_get(c, n, out);
}

/* Plain decimal digits, or 0x-prefixed hex when HEX; no sign, no spaces. */
int mv_xml_parse_ull(const char *s, bool hex, unsigned long long *out)
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
int mv_xml_attr_uint_range(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool hex,
                           unsigned long long min, unsigned long long max, unsigned int *out)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (mv_xml_parse_ull(s, hex, &v) < 0 || v < min || v > max)
        return mv_xml_fail_value(c, n, name, s);
    *out = (unsigned int)v;
    return 1;
}

/* Attribute that must be one of a table's names: 1 found, 0 absent. */
int mv_xml_attr_enum(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, int (*from_string)(const char *),
                     int *out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);
    int v;

    if (r <= 0)
        return r;
    v = from_string(s);
    if (v < 0)
        return mv_xml_fail_value(c, n, name, s);
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
int mv_xml_attr_choice(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, const char *const *list, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(list, s) < 0)
        return mv_xml_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

/* Attribute NAME that is either YES or NO, into a bool; absent leaves *OUT alone. */
static int attr_bool(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, const char *yes, const char *no,
                     bool *out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (strcmp(s, yes) != 0 && strcmp(s, no) != 0)
        return mv_xml_fail_value(c, n, name, s);
    *out = strcmp(s, yes) == 0;
    return 1;
}

int mv_xml_attr_yesno(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool *out)
{
    return attr_bool(c, n, name, "yes", "no", out);
}

int mv_xml_attr_onoff(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool *out)
{
    return attr_bool(c, n, name, "on", "off", out);
}

/* Absolute paths only: a relative one resolves against whatever directory
 * the program that uses it (QEMU, dnsmasq) runs in. */
static bool path_ok(const char *s)
{
    return s[0] == '/' && s[1] != '\0';
}

int mv_xml_attr_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!path_ok(s))
        return mv_xml_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

int mv_xml_text_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_text_elem(c, n, allowed, &s);

    if (r < 0)
        return r;
    if (!path_ok(s))
        return mv_xml_fail_value(c, n, NULL, s);
    *out = TAKE_PTR(s);
    return 0;
}

/* Names that end up in option strings: a conservative character set. */
bool mv_xml_token_ok(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

int mv_xml_attr_token(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, const char *extra, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!mv_xml_token_ok(s, extra))
        return mv_xml_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

/* ----------------------------------------------------------------- units */

/* Bytes per UNIT as libvirt's schema spells it (any case): b, bytes, k, KiB (1024),
 * KB (1000), and so on up to E; 0 if unknown. */
unsigned long long mv_xml_unit_scale(const char *unit)
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

/* <N unit='U'>VALUE</N> in multiples of SCALE bytes, rounded up. */
int mv_xml_text_scaled(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed,
                       const char *default_unit, unsigned long long scale, bool zero_ok,
                       unsigned long long *out)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *unit = NULL;
    unsigned long long v, unit_scale, bytes;
    int r;

    if ((r = mv_xml_text_elem(c, n, allowed, &text)) < 0 || (r = mv_xml_attr_get(n, "unit", &unit)) < 0)
        return r;
    unit_scale = mv_xml_unit_scale(unit ? unit : default_unit);
    if (unit_scale == 0)
        return mv_xml_fail_value(c, n, "unit", unit ? unit : default_unit);
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0)
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(text));
    if (v > ULLONG_MAX / unit_scale)
        goto overflow;
    bytes = v * unit_scale;
    v = bytes / scale + (bytes % scale != 0);
    /* the result must convert back to bytes */
    if (v > ULLONG_MAX / scale)
        goto overflow;
    if (v == 0 && !zero_ok)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s> must be greater than zero", n->name);
    *out = v;
    return 0;
overflow:
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "value '%s' %s of <%s> is too large", mv_xml_trim(text),
                       unit ? unit : default_unit, n->name);
}

/* ------------------------------------------------- parts of every object */

int mv_xml_check_root(struct mv_xml_ctx *c, xmlNodePtr root, const char *root_name)
{
    if (strcmp((const char *)root->name, root_name) != 0)
        return mv_xml_fail(c, MV_ERR_XML_ERROR, "expected <%s> as the root element, not <%s>", root_name,
                           root->name);
    if (root->ns)
        return mv_xml_fail(c, MV_ERR_XML_ERROR, "the root element <%s> must not be in an XML namespace",
                           root_name);
    return 0;
}

int mv_xml_prescan_name(struct mv_xml_ctx *c, xmlNodePtr root, char **name)
{
    /* the configuration file NAME.xml is written as .NAME.xml.XXXXXX and
     * renamed (mv_file_write_atomic): that must fit in a file name */
    const size_t name_max = MV_NAME_MAX - 12;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *q = NULL;
    xmlNodePtr n;
    int r;

    for (n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, "name") == 0)
            break;
    if (!n)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <name> of the %s", c->kind);
    if ((r = mv_xml_text_get(c, n, name)) < 0)
        return r;
    /* before mv_validate_name(), whose limit is the plain file name's */
    if (strlen(*name) > name_max) {
        q = mv_xml_quote(*name);
        return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL,
                               "invalid %s name '%s': names must be at most %zu bytes long (the configuration "
                               "file's temporary copy, '.NAME.xml.XXXXXX', adds 12 bytes)", c->kind, q, name_max)
                 : -ENOMEM;
    }
    if (mv_validate_name(c->kind, *name, &msg) < 0)
        return msg ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s", msg) : -ENOMEM;
    return 0;
}

int mv_xml_text_uuid(struct mv_xml_ctx *c, xmlNodePtr n, unsigned char uuid[16])
{
    _cleanup_free_ char *text = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &text)) < 0)
        return r;
    if (mv_uuid_parse(text, uuid) < 0 || mv_uuid_is_null(uuid))
        return mv_xml_fail_value(c, n, NULL, text);
    return 0;
}

int mv_xml_text_title(struct mv_xml_ctx *c, xmlNodePtr n, char **out)
{
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, out);

    if (r < 0)
        return r;
    /* virsh list --title shows it on one line */
    if (strpbrk(*out, "\r\n"))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<title> must be a single line");
    return 0;
}

/* Appends the element K, with the namespace declarations it needs, to BUF. */
static int metadata_dump(xmlBufferPtr buf, xmlNodePtr k)
{
    _cleanup_xmldoc_ xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy;

    if (!doc)
        return -ENOMEM;
    /* copying into a document of its own declares namespaces that were
     * declared further up (on the root) on the copy itself */
    copy = xmlDocCopyNode(k, doc, 1);
    if (!copy)
        return -ENOMEM;
    xmlDocSetRootElement(doc, copy);
    if (xmlReconciliateNs(doc, copy) < 0 || xmlNodeDump(buf, doc, copy, 0, 0) < 0)
        return -ENOMEM;
    return 0;
}

int mv_xml_metadata(struct mv_xml_ctx *c, xmlNodePtr n, char **out)
{
    xmlBufferPtr buf;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    if (r < 0)
        return r;
    buf = xmlBufferCreate();
    if (!buf)
        return -ENOMEM;
    for (xmlNodePtr k = n->children; k && r == 0; k = k->next) {
        if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
            if (!mv_xml_is_blank(k->content))
                r = mv_xml_fail_text(c, n, k->content);
        } else if (k->type == XML_ELEMENT_NODE) {
            /* libvirt keys metadata by namespace and drops elements without one */
            if (!k->ns || !k->ns->href)
                r = mv_xml_fail(c, MV_ERR_XML_DETAIL, "element <%s> in <metadata> needs an XML namespace",
                                k->name);
            /* children separated as formatting indents them */
            else if (xmlBufferLength(buf) > 0 && xmlBufferCat(buf, BAD_CAST "\n    ") != 0)
                r = -ENOMEM;
            else
                r = metadata_dump(buf, k);
        }
    }
    if (r == 0) {
        *out = strdup((const char *)xmlBufferContent(buf));
        if (!*out)
            r = -ENOMEM;
    }
    xmlBufferFree(buf);
    return r;
}
