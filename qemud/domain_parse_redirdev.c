/*
 * Domain XML <redirdev bus='usb' type='spicevmc'/>: a USB port whose
 * device is on the SPICE client's machine.  Only the SPICE channel is a
 * source; a TCP usbredir server is refused by the type's name.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "xml.h"

static int redirdev_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_redirdev *)obj)->alias);
}

static const struct mv_xml_rule redirdev_rules[] = {
    { "alias", redirdev_alias, false },
};

int dom_parse_redirdev(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const types[] = { "spicevmc", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_redirdev *rd = MV_XML_GROW(devs->redirdevs, devs->nredirdevs);
    _cleanup_free_ char *type = NULL;
    int r;

    if (!rd)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("bus", "type"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "bus", (const char *const[]){ "usb", NULL }, &rd->bus)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", types, &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    rd->type = MV_DOM_CHR_SPICEVMC;
    return MV_XML_WALK(c, n, redirdev_rules, rd);
}
