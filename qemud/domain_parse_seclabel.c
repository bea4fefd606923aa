/*
 * Domain XML <seclabel type model relabel>: how QEMU is confined.
 *
 * modvirt runs QEMU as root with no LSM profile until guest isolation
 * lands, so what can be honoured is "no confinement": type='none', and
 * type='dynamic' model='dac', which libvirt would map onto a dynamic
 * user and which here maps onto root (the live XML says +0:+0).  The
 * parser keeps what was written; the command line builder refuses what
 * cannot run on this host (qemu_cmd_seclabel.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"

static const char *const seclabel_models[] = { "dac", "selinux", "apparmor", "none", NULL };

static int seclabel_label(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_seclabel *s = obj;
    char **out = strcmp((const char *)n->name, "label") == 0 ? &s->label : &s->imagelabel;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, out);

    if (r < 0)
        return r;
    /* labels end up in messages and status files: no control characters */
    if (!mv_xml_token_ok(*out, "_.:+-/"))
        return mv_xml_fail_value(c, n, NULL, *out);
    return 0;
}

static const struct mv_xml_rule seclabel_rules[] = {
    { "label", seclabel_label, false },
    { "imagelabel", seclabel_label, false },
};

/* libvirt's rules between type, relabel and labels. */
static int check_seclabel(struct mv_xml_ctx *c, struct mv_dom_seclabel *s)
{
    bool dynamic = s->type == MV_DOM_SECLABEL_DYNAMIC || s->type == MV_DOM_SECLABEL_DEFAULT;

    if (s->type == MV_DOM_SECLABEL_NONE && s->relabel == MV_TRISTATE_YES)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<seclabel type='none'> cannot have relabel='yes'");
    if (dynamic && s->relabel == MV_TRISTATE_NO)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<seclabel type='dynamic'> needs relabel='yes' "
                           "(a dynamic label must relabel the guest's files)");
    if (s->type == MV_DOM_SECLABEL_STATIC && !s->label)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<seclabel type='static'> needs a <label>");
    if (s->type == MV_DOM_SECLABEL_NONE && (s->label || s->imagelabel))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<seclabel type='none'> takes no <label> or <imagelabel>");
    /* a dynamic label is chosen at start: only our status file keeps it */
    if (dynamic && !(c->flags & MV_DOM_PARSE_STATUS)) {
        free(TAKE_PTR(s->label));
        free(TAKE_PTR(s->imagelabel));
    }
    return 0;
}

int dom_parse_seclabel(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    struct mv_dom_seclabel *s = MV_XML_GROW(def->seclabels, def->nseclabels);
    int type, r;

    if (!s)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "model", "relabel"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_dom_seclabel_type_from_string, &type)) < 0)
        return r;
    if (r)
        s->type = type;
    if ((r = mv_xml_attr_choice(c, n, "model", seclabel_models, &s->model)) < 0 ||
        (r = dom_attr_yesno(c, n, "relabel", &s->relabel)) < 0 ||
        (r = MV_XML_WALK(c, n, seclabel_rules, s)) < 0 ||
        (r = check_seclabel(c, s)) < 0)
        return r;
    for (size_t i = 0; i + 1 < def->nseclabels; i++)
        if ((!s->model && !def->seclabels[i].model) ||
            (s->model && def->seclabels[i].model && strcmp(s->model, def->seclabels[i].model) == 0))
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "more than one <seclabel> of model '%s'",
                               s->model ? s->model : "(default)");
    return 0;
}
