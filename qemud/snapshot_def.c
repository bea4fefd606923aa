/*
 * <domainsnapshot> XML: the strict parser and the formatter (snapshot_def.h).
 * The domain copy inside is kept as text: the parser checks it with the
 * domain parser and the formatter writes it back as it was stored.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cleanup.h"
#include "domain_def.h"
#include "error_codes.h"
#include "snapshot_def.h"
#include "validate.h"
#include "xml_format.h"
#include "xml_strict.h"

static const char *const state_names[QEMUD_SNAP_STATE_LAST] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended",
    "disk-snapshot",
};
static const char *const kind_names[QEMUD_SNAP_KIND_LAST] = { "default", "no", "internal", "external" };

const char *qemud_snap_state_name(enum qemud_snap_state s)
{
    return (unsigned int)s < QEMUD_SNAP_STATE_LAST ? state_names[s] : "nostate";
}

const char *qemud_snap_kind_name(enum qemud_snap_kind k)
{
    return (unsigned int)k < QEMUD_SNAP_KIND_LAST ? kind_names[k] : "default";
}

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

void qemud_snap_def_free(struct qemud_snap_def *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->description);
    free(def->memory_file);
    for (size_t i = 0; i < def->ndisks; i++) {
        free(def->disks[i].name);
        free(def->disks[i].file);
        free(def->disks[i].driver);
    }
    free(def->disks);
    free(def->parent);
    free(def->domain_xml);
    free(def);
}

bool qemud_snap_def_is_external(const struct qemud_snap_def *def)
{
    if (def->memory == QEMUD_SNAP_KIND_EXTERNAL)
        return true;
    for (size_t i = 0; i < def->ndisks; i++)
        if (def->disks[i].kind == QEMUD_SNAP_KIND_EXTERNAL)
            return true;
    return false;
}

/* ---- parse ---- */

static bool redefining(const struct mv_xml_ctx *c)
{
    return c->flags & (QEMUD_SNAP_PARSE_REDEFINE | QEMUD_SNAP_PARSE_STORED);
}

/* Elements that describe a snapshot that exists already: only with REDEFINE. */
static int need_redefine(struct mv_xml_ctx *c, xmlNodePtr n)
{
    if (redefining(c))
        return 0;
    return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                       "element <%s> describes an existing snapshot: it is accepted only with the REDEFINE flag",
                       (const char *)n->name);
}

static int p_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->name)) < 0)
        return r;
    if (mv_validate_name("domain snapshot", def->name, &msg) < 0)
        return msg ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s", msg) : -ENOMEM;
    if (strlen(def->name) > QEMUD_SNAP_NAME_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "domain snapshot name is %zu bytes long: at most %d",
                           strlen(def->name), QEMUD_SNAP_NAME_MAX);
    c->name = def->name;
    return 0;
}

static int p_description(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct qemud_snap_def *)obj)->description);
}

static int p_state(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *s = NULL;
    int r, v;

    if ((r = need_redefine(c, n)) < 0 || (r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    /* libvirt's schema knows neither "nostate" nor "pmsuspended" */
    v = lookup(state_names, QEMUD_SNAP_STATE_LAST, mv_xml_trim(s));
    if (v < 0 || v == QEMUD_SNAP_NOSTATE || v == QEMUD_SNAP_PMSUSPENDED)
        return mv_xml_fail_value(c, n, NULL, s);
    def->state = (enum qemud_snap_state)v;
    return 0;
}

static int p_creation_time(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r;

    if ((r = need_redefine(c, n)) < 0 || (r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    if (mv_xml_parse_ull(mv_xml_trim(s), false, &v) < 0 || v > (unsigned long long)INT64_MAX)
        return mv_xml_fail_value(c, n, NULL, s);
    def->creation_time = (long long)v;
    return 0;
}

static int parse_kind(struct mv_xml_ctx *c, xmlNodePtr n, enum qemud_snap_kind *out)
{
    _cleanup_free_ char *s = NULL;
    int r, v;

    if ((r = mv_xml_attr_get(n, "snapshot", &s)) <= 0)
        return r;
    /* "manual" exists in libvirt too; nothing here would honour it */
    if ((v = lookup(kind_names, QEMUD_SNAP_KIND_LAST, s)) <= 0)
        return mv_xml_fail_value(c, n, "snapshot", s);
    *out = (enum qemud_snap_kind)v;
    return 0;
}

static int p_memory(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("snapshot", "file"))) < 0 || (r = parse_kind(c, n, &def->memory)) < 0)
        return r;
    if ((r = mv_xml_attr_path(c, n, "file", &def->memory_file)) < 0)
        return r;
    if (def->memory_file && def->memory == QEMUD_SNAP_KIND_DEFAULT)
        def->memory = QEMUD_SNAP_KIND_EXTERNAL;
    if (def->memory_file && def->memory != QEMUD_SNAP_KIND_EXTERNAL)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<memory file='...'> needs snapshot='external'");
    return 0;
}

static int p_disk_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_disk *d = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("file"))) < 0)
        return r;
    if ((r = mv_xml_attr_path(c, n, "file", &d->file)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "file") : 0;
}

static int p_disk_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_disk *d = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0)
        return r;
    /* an overlay on a guest's disk: qcow2 is the one format with a backing file */
    if ((r = mv_xml_attr_choice(c, n, "type", MV_XML_ATTRS("qcow2"), &d->driver)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "type") : 0;
}

static const struct mv_xml_rule disk_rules[] = {
    { "source", p_disk_source, false },
    { "driver", p_disk_driver, false },
};

static int p_disk(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    struct qemud_snap_disk *d;
    _cleanup_free_ char *type = NULL;
    int r;

    if (!(d = MV_XML_GROW(def->disks, def->ndisks)))
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("name", "snapshot", "type"))) < 0 ||
        (r = parse_kind(c, n, &d->kind)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", MV_XML_ATTRS("file"), &type)) < 0)
        return r;
    if ((r = mv_xml_attr_get(n, "name", &d->name)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "name");
    if (!mv_xml_token_ok(d->name, ""))
        return mv_xml_fail_value(c, n, "name", d->name);
    if ((r = MV_XML_WALK(c, n, disk_rules, d)) < 0)
        return r;
    if ((d->file || d->driver) && d->kind == QEMUD_SNAP_KIND_DEFAULT)
        d->kind = QEMUD_SNAP_KIND_EXTERNAL;
    if ((d->file || d->driver) && d->kind != QEMUD_SNAP_KIND_EXTERNAL)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "disk '%s': <source> and <driver> need snapshot='external'",
                           d->name);
    for (size_t i = 0; i + 1 < def->ndisks; i++)
        if (strcmp(def->disks[i].name, d->name) == 0)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "disk '%s' is named twice in <disks>", d->name);
    return 0;
}

static const struct mv_xml_rule disks_rules[] = {
    { "disk", p_disk, true },
};

static int p_disks(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0)
        return r;
    return MV_XML_WALK(c, n, disks_rules, obj);
}

static int p_parent_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->parent)) < 0)
        return r;
    if (mv_validate_name("domain snapshot", def->parent, &msg) < 0)
        return msg ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "<parent>: %s", msg) : -ENOMEM;
    return 0;
}

static const struct mv_xml_rule parent_rules[] = {
    { "name", p_parent_name, false },
};

static int p_parent(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    int r;

    if ((r = need_redefine(c, n)) < 0 || (r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0 ||
        (r = MV_XML_WALK(c, n, parent_rules, obj)) < 0)
        return r;
    return def->parent ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "<parent> without <name>");
}

/* Whitespace-only text below N goes: the copy is indented afresh. */
static void strip_blanks(xmlNodePtr n)
{
    xmlNodePtr c = n->children, next;

    for (; c; c = next) {
        next = c->next;
        if (c->type == XML_TEXT_NODE && mv_xml_is_blank(c->content)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            strip_blanks(c);
        }
    }
}

/* <domain> N as text, indented from column 0 whatever its depth was, so
 * that parse and format give the same text again. */
static int dump_domain(xmlNodePtr n, char **out)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy = doc ? xmlDocCopyNode(n, doc, 1) : NULL;
    xmlBufferPtr buf = copy ? xmlBufferCreate() : NULL;
    int r = -ENOMEM;

    if (buf) {
        xmlDocSetRootElement(doc, copy);
        strip_blanks(copy);
        if (xmlNodeDump(buf, doc, copy, 0, 1) >= 0 && (*out = strdup((const char *)xmlBufferContent(buf))))
            r = 0;
        xmlBufferFree(buf);
    } else if (copy) {
        xmlFreeNode(copy);
    }
    xmlFreeDoc(doc);
    return r;
}

/* The domain parser's message without its kind prefix: ours comes first. */
static const char *unprefixed(const char *msg)
{
    static const char *const prefixes[] = { "unsupported configuration: ", "XML error: " };

    for (size_t i = 0; i < MV_ARRAY_SIZE(prefixes); i++)
        if (strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0)
            return msg + strlen(prefixes[i]);
    return msg;
}

/* The domain copy: checked with the domain parser, kept as text. */
static int p_domain(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *msg = NULL;
    _cleanup_dom_def_ struct mv_dom_def *dom = NULL;
    int r, code = 0;

    if ((r = need_redefine(c, n)) < 0)
        return r;
    if ((r = dump_domain(n, &def->domain_xml)) < 0)
        return r;
    /* the copy of a running domain holds live-only values (aliases, ptys) */
    if (mv_dom_def_parse(def->domain_xml, MV_DOM_PARSE_STATUS, &dom, &code, &msg) < 0)
        return msg ? mv_xml_fail(c, code ? code : MV_ERR_XML_DETAIL, "<domain>: %s", unprefixed(msg)) : -ENOMEM;
    return 0;
}

static int p_active(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct qemud_snap_def *def = obj;
    _cleanup_free_ char *s = NULL;
    int r;

    if (!(c->flags & QEMUD_SNAP_PARSE_STORED))
        return mv_xml_fail_unknown_elem(c, n);
    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    mv_xml_trim(s);
    if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
        return mv_xml_fail_value(c, n, NULL, s);
    def->current = s[0] == '1';
    return 0;
}

static const struct mv_xml_rule root_rules[] = {
    { "name", p_name, false },
    { "description", p_description, false },
    { "state", p_state, false },
    { "creationTime", p_creation_time, false },
    { "memory", p_memory, false },
    { "disks", p_disks, false },
    { "parent", p_parent, false },
    { "domain", p_domain, false },
    { "active", p_active, false },
};

int qemud_snap_def_parse(const char *xml, unsigned int flags, struct qemud_snap_def **ret, int *errcode,
                         char **errmsg)
{
    struct mv_xml_ctx c = { .kind = "domain snapshot", .flags = flags };
    _cleanup_snap_def_ struct qemud_snap_def *def = NULL;
    xmlDocPtr doc = NULL;
    int r;

    *errcode = MV_ERR_XML_ERROR;
    if ((r = mv_xml_parse_reported(xml, "domain snapshot", &doc, errmsg)) < 0)
        return r;
    if (!(def = calloc(1, sizeof(*def)))) {
        xmlFreeDoc(doc);
        return -ENOMEM;
    }
    r = mv_xml_check_root(&c, xmlDocGetRootElement(doc), "domainsnapshot");
    if (r == 0)
        r = mv_xml_check_attrs(&c, xmlDocGetRootElement(doc), MV_XML_NO_ATTRS);
    if (r == 0)
        r = MV_XML_WALK(&c, xmlDocGetRootElement(doc), root_rules, def);
    if (r == 0 && redefining(&c) && !def->name)
        r = mv_xml_fail(&c, MV_ERR_XML_DETAIL, "a redefined snapshot needs its <name>");
    if (r == 0 && def->parent && def->name && strcmp(def->parent, def->name) == 0)
        r = mv_xml_fail(&c, MV_ERR_XML_DETAIL, "a snapshot cannot be its own parent");
    xmlFreeDoc(doc);
    if (r < 0) {
        *errcode = c.errcode ? c.errcode : MV_ERR_XML_DETAIL;
        *errmsg = c.errmsg;
        return r;
    }
    *ret = TAKE_PTR(def);
    return 0;
}

/* ---- format ---- */

/* The stored domain copy, each line indented to sit below <domainsnapshot>
 * (the writer does not indent raw text; it has ended the line before). */
static void out_domain(struct mv_xml_out *o, const char *xml)
{
    const char *p = xml;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        _cleanup_free_ char *line = strndup(p, len);

        if (!line) {
            o->failed = true;
            return;
        }
        if (*line) {
            mv_xml_out_raw(o, "  ");
            mv_xml_out_raw(o, line);
            mv_xml_out_raw(o, "\n");
        }
        p += len + (nl ? 1 : 0);
    }
}

static void out_disks(struct mv_xml_out *o, const struct qemud_snap_def *def)
{
    if (!def->ndisks)
        return;
    mv_xml_out_start(o, "disks");
    for (size_t i = 0; i < def->ndisks; i++) {
        const struct qemud_snap_disk *d = &def->disks[i];

        mv_xml_out_start(o, "disk");
        mv_xml_out_attr(o, "name", d->name);
        if (d->kind != QEMUD_SNAP_KIND_DEFAULT)
            mv_xml_out_attr(o, "snapshot", qemud_snap_kind_name(d->kind));
        if (d->kind == QEMUD_SNAP_KIND_EXTERNAL) {
            mv_xml_out_attr(o, "type", "file");
            mv_xml_out_leaf(o, "driver", "type", d->driver);
            mv_xml_out_leaf(o, "source", "file", d->file);
        }
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

int qemud_snap_def_format(const struct qemud_snap_def *def, unsigned int flags, char **xml)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char when[32];

    if (mv_xml_out_open(&o) < 0)
        return -ENOMEM;
    mv_xml_out_start(&o, "domainsnapshot");
    mv_xml_out_text_elem(&o, "name", def->name);
    mv_xml_out_text_elem(&o, "description", def->description);
    if (def->state != QEMUD_SNAP_NOSTATE)
        mv_xml_out_text_elem(&o, "state", qemud_snap_state_name(def->state));
    if (def->parent) {
        mv_xml_out_start(&o, "parent");
        mv_xml_out_text_elem(&o, "name", def->parent);
        mv_xml_out_end(&o);
    }
    snprintf(when, sizeof(when), "%lld", def->creation_time);
    mv_xml_out_text_elem(&o, "creationTime", when);
    if (def->memory != QEMUD_SNAP_KIND_DEFAULT) {
        mv_xml_out_start(&o, "memory");
        mv_xml_out_attr(&o, "snapshot", qemud_snap_kind_name(def->memory));
        mv_xml_out_attr(&o, "file", def->memory_file);
        mv_xml_out_end(&o);
    }
    out_disks(&o, def);
    if (flags & QEMUD_SNAP_FORMAT_STORED)
        mv_xml_out_text_elem(&o, "active", def->current ? "1" : "0");
    if (def->domain_xml)
        out_domain(&o, def->domain_xml);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, xml);
}

/* ---- copy ---- */

static int dup_str(char **dst, const char *src)
{
    if (!src)
        return 0;
    return (*dst = strdup(src)) ? 0 : -ENOMEM;
}

struct qemud_snap_def *qemud_snap_def_copy(const struct qemud_snap_def *def)
{
    _cleanup_snap_def_ struct qemud_snap_def *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->state = def->state;
    c->creation_time = def->creation_time;
    c->memory = def->memory;
    c->current = def->current;
    if (dup_str(&c->name, def->name) < 0 || dup_str(&c->description, def->description) < 0 ||
        dup_str(&c->memory_file, def->memory_file) < 0 || dup_str(&c->parent, def->parent) < 0 ||
        dup_str(&c->domain_xml, def->domain_xml) < 0)
        return NULL;
    if (def->ndisks && !(c->disks = calloc(def->ndisks, sizeof(*c->disks))))
        return NULL;
    for (size_t i = 0; i < def->ndisks; i++) {
        c->ndisks++;
        c->disks[i].kind = def->disks[i].kind;
        if (dup_str(&c->disks[i].name, def->disks[i].name) < 0 || dup_str(&c->disks[i].file, def->disks[i].file) < 0 ||
            dup_str(&c->disks[i].driver, def->disks[i].driver) < 0)
            return NULL;
    }
    return TAKE_PTR(c);
}
