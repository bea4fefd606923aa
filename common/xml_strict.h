/*
 * Strict XML: a rule-table walk over an object's XML (domain, network,
 * pool, volume, node device) in which every element and attribute is either
 * honoured or refused by name.  libvirt's XPath lookups skip whatever they
 * do not ask for, so a setting the user wrote can be lost silently; here
 * each element has a table of the children it accepts, its parser names the
 * attributes it takes, and anything else, a second copy of a single-valued
 * child included, is an error that names the element and the object:
 *
 *     unsupported configuration: unknown element <ip><foo> in network 'lan'
 *
 * The object's kind ("network") and name come from the parse context, which
 * also carries the first error (message and libvirt error code).
 *
 * Conventions: errors are -EINVAL with the message set in the context
 * (mv_xml_fail), or -ENOMEM; attribute getters return 1 when the attribute
 * was found, 0 when it is absent (leaving *OUT alone), <0 on error.
 */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xml.h"

/* Child rules per element: the walk tracks "seen" in a bit mask. */
#define MV_XML_RULES_MAX 32

struct mv_xml_ctx {
    const char *kind;               /* "domain", "network": names the object in messages */
    const char *name;               /* the object's name, once validated (borrowed) */
    unsigned int flags;             /* the caller's parse flags, for its rule parsers */
    int errcode;                    /* libvirt error number of the first error */
    char *errmsg;                   /* the first error's message; the caller frees it */
};

/* One child element an element accepts; OBJ is what the parent fills. */
struct mv_xml_rule {
    const char *name;
    int (*parse)(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
    bool repeat;                    /* may appear more than once */
};

/* ---- errors ---- */

/* Sets the error once (the first explains) with libvirt error CODE and
 * returns -EINVAL: "XML error: WHAT in KIND 'NAME'" ("unsupported
 * configuration: " for MV_ERR_CONFIG_UNSUPPORTED); the name only once known. */
int mv_xml_fail(struct mv_xml_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Quoted copy of a user value for a message; NULL only without memory. */
char *mv_xml_quote(const char *s);
/* N is not an element its parent accepts: names its path below the root. */
int mv_xml_fail_unknown_elem(struct mv_xml_ctx *c, xmlNodePtr n);
/* VALUE of attribute ATTR of N (ATTR NULL: N's text) is not acceptable. */
int mv_xml_fail_value(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, const char *value);
/* N lacks the required attribute ATTR. */
int mv_xml_fail_missing_attr(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr);
/* Non-blank TEXT where PARENT allows only elements. */
int mv_xml_fail_text(struct mv_xml_ctx *c, xmlNodePtr parent, const xmlChar *text);

/* ---- tree walk ---- */

/* ROOT must be <ROOT_NAME> in no namespace (MV_ERR_XML_ERROR otherwise). */
int mv_xml_check_root(struct mv_xml_ctx *c, xmlNodePtr root, const char *root_name);
/* True if S is empty or XML whitespace only. */
bool mv_xml_is_blank(const xmlChar *s);
/* Strips surrounding XML whitespace in place (numbers and keywords in text). */
char *mv_xml_trim(char *s);
/* Dispatches every child of PARENT to its rule in RULES; whitespace and
 * comments are fine, anything else unknown is refused, namespaced elements
 * included.  Use MV_XML_WALK(). */
int mv_xml_walk(struct mv_xml_ctx *c, xmlNodePtr parent, const struct mv_xml_rule *rules, size_t nrules,
                void *obj);

#define MV_XML_WALK(c, n, rules, obj) \
    ({ _Static_assert(MV_ARRAY_SIZE(rules) <= MV_XML_RULES_MAX, "too many rules"); \
       mv_xml_walk(c, n, rules, MV_ARRAY_SIZE(rules), obj); })

/* Refuses attributes of N not in the NULL-terminated ALLOWED (namespaced
 * ones always). */
int mv_xml_check_attrs(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed);

#define MV_XML_ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define MV_XML_NO_ATTRS ((const char *const *)NULL)

/* An element with attributes only (of ALLOWED): no child elements, no text. */
int mv_xml_leaf(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed);

/* Appends a zeroed element to ARR (of N elements) and returns it, or NULL
 * without memory: for repeated children.  N counts it at once, so the
 * owner's destructor frees whatever the element gets before a later failure. */
#define MV_XML_GROW(arr, n) \
    ({ __typeof__(arr) _g = reallocarray((arr), (n) + 1, sizeof(*(arr))); \
       if (_g) { \
           (arr) = _g; \
           memset(&_g[(n)], 0, sizeof(*_g)); \
           _g = &_g[(n)++]; \
       } \
       _g; })

/* ---- values ---- */

/* Malloc'd value of attribute NAME: 1 found, 0 absent (*OUT NULL), -ENOMEM. */
int mv_xml_attr_get(xmlNodePtr n, const char *name, char **out);
/* The text of an element that holds only text (and comments); malloc'd. */
int mv_xml_text_get(struct mv_xml_ctx *c, xmlNodePtr n, char **out);
/* Text element with the given attributes, stored in *OUT (which must be unset). */
int mv_xml_text_elem(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed, char **out);
/* Plain decimal digits, or 0x-prefixed hex when HEX; no sign, no spaces;
 * -EINVAL (no message) if S is not one. */
int mv_xml_parse_ull(const char *s, bool hex, unsigned long long *out);
/* Unsigned attribute in [MIN, MAX]. */
int mv_xml_attr_uint_range(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool hex,
                           unsigned long long min, unsigned long long max, unsigned int *out);
/* Attribute that must be one of a table's names (FROM_STRING's, <0 if unknown). */
int mv_xml_attr_enum(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, int (*from_string)(const char *),
                     int *out);
/* Attribute restricted to the NULL-terminated LIST, stored as the string. */
int mv_xml_attr_choice(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, const char *const *list,
                       char **out);
/* yes|no attribute into a bool. */
int mv_xml_attr_yesno(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool *out);
/* on|off attribute into a bool. */
int mv_xml_attr_onoff(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, bool *out);
/* Absolute path attribute: a relative one would resolve against whatever
 * directory the program using it runs in. */
int mv_xml_attr_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, char **out);
/* Text element holding an absolute path, into *OUT (which must be unset); 0 or <0. */
int mv_xml_text_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed, char **out);
/* Names that end up in option strings and interface names: non-empty,
 * ASCII alphanumerics and the characters of EXTRA. */
bool mv_xml_token_ok(const char *s, const char *extra);
/* Attribute that must pass mv_xml_token_ok(EXTRA). */
int mv_xml_attr_token(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, const char *extra, char **out);

/* ---- units ---- */

/* Bytes per UNIT as libvirt's schema spells it (any case): b, bytes, k, KiB
 * (1024), KB (1000), and so on up to E; 0 if unknown. */
unsigned long long mv_xml_unit_scale(const char *unit);
/* <N unit='U'>VALUE</N> (unit= only among ALLOWED) scaled to multiples of
 * SCALE bytes (1024: KiB), rounded up; DEFAULT_UNIT applies without unit=.
 * Zero is refused unless ZERO_OK; a value that overflows is refused by name. */
int mv_xml_text_scaled(struct mv_xml_ctx *c, xmlNodePtr n, const char *const *allowed,
                       const char *default_unit, unsigned long long scale, bool zero_ok,
                       unsigned long long *out);

/* ---- the parts every libvirt object shares ---- */

/* Finds <name> among ROOT's children before the walk, so that every later
 * message can name the object, and checks it (mv_validate_name, and room for
 * ".NAME.xml.XXXXXX", the temporary copy of its configuration file, in a
 * file name).  Malloc'd into *NAME; the caller sets c->name. */
int mv_xml_prescan_name(struct mv_xml_ctx *c, xmlNodePtr root, char **name);
/* <uuid> text: a valid, non-null UUID. */
int mv_xml_text_uuid(struct mv_xml_ctx *c, xmlNodePtr n, unsigned char uuid[16]);
/* <title>: one line of text (list views show it on one line). */
int mv_xml_text_title(struct mv_xml_ctx *c, xmlNodePtr n, char **out);
/* <metadata>: its children, each in an XML namespace, kept verbatim (one per
 * line, with the namespace declarations they need) in *OUT. */
int mv_xml_metadata(struct mv_xml_ctx *c, xmlNodePtr n, char **out);
