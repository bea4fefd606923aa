/*
 * Private to the domain XML parser (domain_parse*.c).  The walk, the value
 * getters and their error conventions are the strict XML core's
 * (common/xml_strict.h); domain_parse.c has the entry points and every
 * section but <devices>, which domain_parse_devices.c parses.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "xml_strict.h"

/* yes|no attribute into a tristate: 1 found, 0 absent (*OUT alone), <0 error. */
static inline int dom_attr_yesno(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out)
{
    bool yes;
    int r = mv_xml_attr_yesno(c, n, name, &yes);

    if (r == 1)
        *out = yes ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return r;
}

/* ---- sections (domain_parse_devices.c) ---- */

/* <alias name=...> of a device into *ALIAS: kept in status files and for
 * user aliases ("ua-..."), dropped otherwise (see domain_def.h, "Aliases
 * and addresses").  A device parser calls it from its "alias" rule. */
int dom_parse_alias(struct mv_xml_ctx *c, xmlNodePtr n, char **alias);

/* <devices> into OBJ, a struct mv_dom_def (mv_xml_rule parser). */
int dom_parse_devices(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Cross-device checks once the whole domain is read (unique disk targets,
 * controller indexes, MACs, boot orders), then fills in controller indexes
 * and MAC addresses left out. */
int dom_check_devices(struct mv_xml_ctx *c, struct mv_dom_def *def);
