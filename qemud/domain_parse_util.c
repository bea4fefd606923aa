/*
 * The domain XML parser's generic helpers: error messages that name the
 * element, the table-driven walk over an element's children, and getters
 * that check an attribute or text value and refuse it by name.  Nothing
 * here knows about a particular domain element.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "domain_parse_priv.h"
#include "errmsg.h"
#include "error_codes.h"
#include "xml.h"

/* ---------------------------------------------------------------- errors */

static const char *code_prefix(int code)
{
    return code == MV_ERR_CONFIG_UNSUPPORTED ? "unsupported configuration: " : "XML error: ";
}

/* Sets the error once (the first explains) and returns -EINVAL; the domain
 * name is appended when it is known. */
int dp_fail(struct pctx *c, int code, const char *fmt, ...)
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
char *dp_quote(const char *s)
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

int dp_fail_unknown_elem(struct pctx *c, xmlNodePtr n)
{
    _cleanup_free_ char *path = elem_path(n);

    if (!path)
        return -ENOMEM;
    return dp_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown element %s", path);
}

/* VALUE of attribute ATTR of N (ATTR NULL: N's text) is not acceptable. */
int dp_fail_value(struct pctx *c, xmlNodePtr n, const char *attr, const char *value)
{
    _cleanup_free_ char *q = dp_quote(value);

    if (!q)
        return -ENOMEM;
    if (attr)
        return dp_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s %s=...>", q, n->name, attr);
    return dp_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <%s>", q, n->name);
}

int dp_fail_missing_attr(struct pctx *c, xmlNodePtr n, const char *attr)
{
    return dp_fail(c, MV_ERR_XML_DETAIL, "missing attribute '%s' of <%s>", attr, n->name);
}

/* ------------------------------------------------------------ tree walk */

bool dp_is_blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Strips surrounding XML whitespace in place (numbers and keywords in text). */
char *dp_trim(char *s)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

int dp_fail_text(struct pctx *c, xmlNodePtr parent, const xmlChar *text)
{
    _cleanup_free_ char *copy = strdup((const char *)text);
    _cleanup_free_ char *q = copy ? dp_quote(dp_trim(copy)) : NULL;
    _cleanup_free_ char *path = elem_path(parent);

    if (!q || !path)
        return -ENOMEM;
    return dp_fail(c, MV_ERR_XML_DETAIL, "unexpected text '%s' in %s", q, path);
}

/* Dispatches every child of PARENT to its rule; whitespace and comments are
 * fine, anything else unknown is refused. */
int dp_walk(struct pctx *c, xmlNodePtr parent, const struct child_rule *rules, size_t nrules, void *obj)
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
            if (!dp_is_blank(n->content))
                return dp_fail_text(c, parent, n->content);
            continue;
        case XML_ELEMENT_NODE:
            break;
        case XML_PI_NODE:
            return dp_fail(c, MV_ERR_XML_DETAIL, "unexpected processing instruction <?%s?> in <%s>", n->name,
                           parent->name);
        default:
            return dp_fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", n->type, parent->name);
        }
        for (i = 0; i < nrules; i++)
            if (!n->ns && strcmp((const char *)n->name, rules[i].name) == 0)
                break;
        if (i == nrules)
            return dp_fail_unknown_elem(c, n);
        if ((seen & (1u << i)) && !rules[i].repeat) {
            _cleanup_free_ char *path = elem_path(n);

            return path ? dp_fail(c, MV_ERR_XML_DETAIL, "element %s given more than once", path) : -ENOMEM;
        }
        seen |= 1u << i;
        r = rules[i].parse(c, n, obj);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Refuses attributes of N not in the NULL-terminated ALLOWED. */
int dp_check_attrs(struct pctx *c, xmlNodePtr n, const char *const *allowed)
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
            return dp_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "unknown attribute '%s' of <%s>",
                           q ? q : (const char *)a->name, n->name);
        }
    }
    return 0;
}

/* An element with attributes only. */
int dp_leaf(struct pctx *c, xmlNodePtr n, const char *const *allowed)
{
    int r = dp_check_attrs(c, n, allowed);

    return r < 0 ? r : dp_walk(c, n, NULL, 0, NULL);
}

/* Malloc'd value of attribute NAME: 1 found, 0 absent, -ENOMEM. */
int dp_attr_get(xmlNodePtr n, const char *name, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

    *out = NULL;
    if (!v)
        return 0;
    *out = strdup((const char *)v);
    return *out ? 1 : -ENOMEM;
}

/* The text of an element that holds only text (and comments); malloc'd. */
int dp_text_get(struct pctx *c, xmlNodePtr n, char **out)
{
    _cleanup_xmlfree_ xmlChar *v = NULL;

    for (xmlNodePtr k = n->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE)
            return dp_fail_unknown_elem(c, k);
        if (k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE && k->type != XML_COMMENT_NODE)
            return dp_fail(c, MV_ERR_XML_DETAIL, "unexpected node of type %d in <%s>", k->type, n->name);
    }
    v = xmlNodeGetContent(n);
    *out = strdup(v ? (const char *)v : "");
    return *out ? 0 : -ENOMEM;
}

/* Text element with the given attributes, stored in *OUT (which must be unset). */
int dp_text_elem(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    int r = dp_check_attrs(c, n, allowed);

    return r < 0 ? r : dp_text_get(c, n, out);
}

/* Plain decimal digits, or 0x-prefixed hex when HEX; no sign, no spaces. */
int dp_parse_ull(const char *s, bool hex, unsigned long long *out)
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
int dp_attr_uint_range(struct pctx *c, xmlNodePtr n, const char *name, bool hex,
                       unsigned long long min, unsigned long long max, unsigned int *out)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (dp_parse_ull(s, hex, &v) < 0 || v < min || v > max)
        return dp_fail_value(c, n, name, s);
    *out = (unsigned int)v;
    return 1;
}

/* Attribute that must be one of a table's names: 1 found, 0 absent. */
int dp_attr_enum(struct pctx *c, xmlNodePtr n, const char *name, int (*from_string)(const char *),
                 int *out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);
    int v;

    if (r <= 0)
        return r;
    v = from_string(s);
    if (v < 0)
        return dp_fail_value(c, n, name, s);
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
int dp_attr_choice(struct pctx *c, xmlNodePtr n, const char *name, const char *const *list, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(list, s) < 0)
        return dp_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

static const char *const yes_no[] = { "yes", "no", NULL };
static const char *const on_off[] = { "on", "off", NULL };

/* yes|no attribute into a tristate; absent leaves *OUT alone. */
int dp_attr_yesno(struct pctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(yes_no, s) < 0)
        return dp_fail_value(c, n, name, s);
    *out = strcmp(s, "yes") == 0 ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return 1;
}

/* on|off attribute into a bool; absent leaves *OUT alone. */
int dp_attr_onoff(struct pctx *c, xmlNodePtr n, const char *name, bool *out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (choice_index(on_off, s) < 0)
        return dp_fail_value(c, n, name, s);
    *out = strcmp(s, "on") == 0;
    return 1;
}

/* Absolute paths only: QEMU resolves relative ones against its own cwd. */
static bool path_ok(const char *s)
{
    return s[0] == '/' && s[1] != '\0';
}

int dp_attr_path(struct pctx *c, xmlNodePtr n, const char *name, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!path_ok(s))
        return dp_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

int dp_text_path(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_text_elem(c, n, allowed, &s);

    if (r < 0)
        return r;
    if (!path_ok(s))
        return dp_fail_value(c, n, NULL, s);
    *out = TAKE_PTR(s);
    return 0;
}

/* Names that end up in QEMU option strings: a conservative character set. */
bool dp_token_ok(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

int dp_attr_token(struct pctx *c, xmlNodePtr n, const char *name, const char *extra, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r = dp_attr_get(n, name, &s);

    if (r <= 0)
        return r;
    if (!dp_token_ok(s, extra))
        return dp_fail_value(c, n, name, s);
    free(*out);
    *out = TAKE_PTR(s);
    return 1;
}

/* ----------------------------------------------------------------- units */

/* Bytes per UNIT as the schema spells it (any case): b, bytes, k, KiB (1024),
 * KB (1000), and so on up to E; 0 if unknown. */
unsigned long long dp_unit_scale(const char *unit)
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
