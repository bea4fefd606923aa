/*
 * Secret XML -> struct mv_secret_def (secret.rng).  The value is never in
 * the XML.  Until the <uuid> is read, messages cannot name the secret; from
 * then on they do, by UUID (secrets have no name).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "secret_def.h"
#include "storxml_priv.h"
#include "xml.h"

struct secret_parse {
    struct mv_secret_def *def;
    char uuid[MV_UUID_STRING_LEN];  /* names the secret in messages */
};

static int parse_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct secret_parse *p = obj;
    int r = mv_xml_text_uuid(c, n, p->def->uuid);

    if (r < 0)
        return r;
    mv_uuid_format(p->def->uuid, p->uuid);
    c->name = p->uuid;
    return 0;
}

static int parse_description(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct secret_parse *)obj)->def->description);
}

/* <volume>, <name> or <target>: which one the usage type takes is checked
 * after the walk */
static int usage_id(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_secret_def *def = obj;
    int r;

    if (def->usage_id)
        return mv_xml_fail_unknown_elem(c, n);
    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->usage_id)) < 0)
        return r;
    /* a lookup key, shown in secret-list: one line, not empty */
    if (!*def->usage_id || strpbrk(def->usage_id, "\r\n"))
        return mv_xml_fail_value(c, n, NULL, def->usage_id);
    /* a volume's secret is found by the volume's path */
    if (def->usage == MV_SECRET_USAGE_VOLUME && strcmp((const char *)n->name, "volume") == 0)
        return mv_stor_check_path(c, n, NULL, &def->usage_id);
    return 0;
}

static const struct mv_xml_rule usage_rules[] = {
    { "volume", usage_id, false },
    { "name", usage_id, false },
    { "target", usage_id, false },
};

/* the child element each usage type takes */
static const char *usage_child(enum mv_secret_usage usage)
{
    return usage == MV_SECRET_USAGE_VOLUME ? "volume" : usage == MV_SECRET_USAGE_ISCSI ? "target" : "name";
}

static int usage_check(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_secret_def *def)
{
    const char *want = usage_child(def->usage);
    xmlNodePtr k;

    for (k = n->children; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, want) != 0)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<usage type='%s'> takes <%s>, not <%s>",
                               mv_secret_usage_to_string(def->usage), want, k->name);
    if (!def->usage_id)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<usage type='%s'> needs <%s>",
                           mv_secret_usage_to_string(def->usage), want);
    return 0;
}

static int parse_usage(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_secret_def *def = ((struct secret_parse *)obj)->def;
    int usage, r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_secret_usage_from_string, &usage)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    /* "none" is what no <usage> means; the XML has no such type */
    if (usage == MV_SECRET_USAGE_NONE)
        return mv_xml_fail_value(c, n, "type", "none");
    def->usage = usage;
    if ((r = MV_XML_WALK(c, n, usage_rules, def)) < 0)
        return r;
    return usage_check(c, n, def);
}

static const struct mv_xml_rule secret_rules[] = {
    { "uuid", parse_uuid, false },
    { "description", parse_description, false },
    { "usage", parse_usage, false },
};

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct secret_parse *p)
{
    struct mv_secret_def *def = p->def;
    int r;

    if ((r = mv_xml_check_root(c, root, "secret")) < 0 ||
        (r = mv_xml_check_attrs(c, root, MV_XML_ATTRS("ephemeral", "private"))) < 0 ||
        (r = mv_xml_attr_yesno(c, root, "ephemeral", &def->ephemeral)) < 0 ||
        (r = mv_xml_attr_yesno(c, root, "private", &def->private_)) < 0 ||
        (r = MV_XML_WALK(c, root, secret_rules, p)) < 0)
        return r;
    if (mv_uuid_is_null(def->uuid) && (r = mv_uuid_generate(def->uuid)) < 0)
        return r;
    return 0;
}

int mv_secret_def_parse(const char *xml, struct mv_secret_def **out, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_secret_def_ struct mv_secret_def *def = NULL;
    struct mv_xml_ctx c = { .kind = "secret" };
    struct secret_parse p = { 0 };
    int r;

    *errmsg = NULL;
    r = mv_xml_parse_reported(xml, "secret definition", &doc, errmsg);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    p.def = def;
    r = parse_root(&c, xmlDocGetRootElement(doc), &p);
    if (r < 0 && c.errmsg) {
        *errmsg = c.errmsg;
        return -EINVAL;
    }
    if (r < 0) {
        *errmsg = r == -ENOMEM ? NULL : strdup("internal error: cannot generate a uuid");
        return r == -ENOMEM ? r : -EIO;
    }
    *out = TAKE_PTR(def);
    return 0;
}
