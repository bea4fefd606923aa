/*
 * Private to the domain XML parser (domain_parse*.c): the parse context and
 * the helpers every section parser uses.  domain_parse_util.c implements
 * the helpers, domain_parse_devices.c the <devices> section, domain_parse.c
 * the entry points and everything else.
 *
 * Conventions of the helpers: errors are -EINVAL with the message set in
 * the context (dp_fail), or -ENOMEM; attribute getters return 1 when the
 * attribute was found, 0 when it is absent (leaving *OUT alone), <0 on error.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "xml.h"

#define DOM_SECTION_MAX 32          /* children rules per element (bit mask) */

struct pctx {
    unsigned int flags;
    const char *name;               /* for messages, once validated */
    int errcode;
    char *errmsg;
};

/* One child element an element accepts; OBJ is what the parent fills. */
struct child_rule {
    const char *name;
    int (*parse)(struct pctx *c, xmlNodePtr n, void *obj);
    bool repeat;                    /* may appear more than once */
};

/* ---- errors ---- */

/* Sets the error once (the first explains) and returns -EINVAL; the domain
 * name is appended when it is known. */
int dp_fail(struct pctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Quoted copy of a user value for a message; NULL only without memory. */
char *dp_quote(const char *s);
/* N is not an element its parent accepts. */
int dp_fail_unknown_elem(struct pctx *c, xmlNodePtr n);
/* VALUE of attribute ATTR of N (ATTR NULL: N's text) is not acceptable. */
int dp_fail_value(struct pctx *c, xmlNodePtr n, const char *attr, const char *value);
/* N lacks the required attribute ATTR. */
int dp_fail_missing_attr(struct pctx *c, xmlNodePtr n, const char *attr);
/* Non-blank TEXT where PARENT allows only elements. */
int dp_fail_text(struct pctx *c, xmlNodePtr parent, const xmlChar *text);

/* ---- tree walk ---- */

/* True if S is empty or XML whitespace only. */
bool dp_is_blank(const xmlChar *s);
/* Strips surrounding XML whitespace in place (numbers and keywords in text). */
char *dp_trim(char *s);
/* Dispatches every child of PARENT to its rule in RULES; whitespace and
 * comments are fine, anything else unknown is refused.  Use WALK(). */
int dp_walk(struct pctx *c, xmlNodePtr parent, const struct child_rule *rules, size_t nrules, void *obj);

#define WALK(c, n, rules, obj) \
    ({ _Static_assert(MV_ARRAY_SIZE(rules) <= DOM_SECTION_MAX, "too many rules"); \
       dp_walk(c, n, rules, MV_ARRAY_SIZE(rules), obj); })

/* Refuses attributes of N not in the NULL-terminated ALLOWED. */
int dp_check_attrs(struct pctx *c, xmlNodePtr n, const char *const *allowed);

#define ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ATTRS ((const char *const *)NULL)

/* An element with attributes only (of ALLOWED): no child elements, no text. */
int dp_leaf(struct pctx *c, xmlNodePtr n, const char *const *allowed);

/* ---- values ---- */

/* Malloc'd value of attribute NAME: 1 found, 0 absent (*OUT NULL), -ENOMEM. */
int dp_attr_get(xmlNodePtr n, const char *name, char **out);
/* The text of an element that holds only text (and comments); malloc'd. */
int dp_text_get(struct pctx *c, xmlNodePtr n, char **out);
/* Text element with the given attributes, stored in *OUT (which must be unset). */
int dp_text_elem(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out);
/* Plain decimal digits, or 0x-prefixed hex when HEX; no sign, no spaces;
 * -EINVAL (no message) if S is not one. */
int dp_parse_ull(const char *s, bool hex, unsigned long long *out);
/* Unsigned attribute in [MIN, MAX]. */
int dp_attr_uint_range(struct pctx *c, xmlNodePtr n, const char *name, bool hex,
                       unsigned long long min, unsigned long long max, unsigned int *out);
/* Attribute that must be one of a table's names (FROM_STRING's). */
int dp_attr_enum(struct pctx *c, xmlNodePtr n, const char *name, int (*from_string)(const char *), int *out);
/* Attribute restricted to the NULL-terminated LIST, stored as the string. */
int dp_attr_choice(struct pctx *c, xmlNodePtr n, const char *name, const char *const *list, char **out);
/* yes|no attribute into a tristate. */
int dp_attr_yesno(struct pctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out);
/* on|off attribute into a bool. */
int dp_attr_onoff(struct pctx *c, xmlNodePtr n, const char *name, bool *out);
/* Absolute path attribute (QEMU resolves relative ones against its own cwd). */
int dp_attr_path(struct pctx *c, xmlNodePtr n, const char *name, char **out);
/* Text element holding an absolute path, into *OUT (which must be unset); 0 or <0. */
int dp_text_path(struct pctx *c, xmlNodePtr n, const char *const *allowed, char **out);
/* Names that end up in QEMU option strings: non-empty, alphanumerics and EXTRA. */
bool dp_token_ok(const char *s, const char *extra);
/* Attribute that must pass dp_token_ok(EXTRA). */
int dp_attr_token(struct pctx *c, xmlNodePtr n, const char *name, const char *extra, char **out);
/* Bytes per UNIT as the schema spells it (any case): b, bytes, k, KiB (1024),
 * KB (1000), and so on up to E; 0 if unknown. */
unsigned long long dp_unit_scale(const char *unit);

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

/* ---- sections (domain_parse_devices.c) ---- */

/* <devices> into OBJ, a struct mv_dom_def (child_rule parser). */
int dp_parse_devices(struct pctx *c, xmlNodePtr n, void *obj);
/* Cross-device checks once the whole domain is read (unique disk targets,
 * controller indexes, MACs, boot orders), then fills in controller indexes
 * and MAC addresses left out. */
int dp_check_devices(struct pctx *c, struct mv_dom_def *def);
