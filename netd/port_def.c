/*
 * Network port XML (<networkport>, libvirt's networkport.rng) <-> struct
 * mv_port_def, strictly as for networks: what netd cannot honour (virtual
 * port profiles, bandwidth, VLANs, macvtap and hostdev plugs) is refused by
 * name.  Messages name the port by its owner, the domain whose NIC it is.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "net_mac.h"
#include "network_def.h"
#include "port_def.h"
#include "validate.h"
#include "xml.h"
#include "xml_format.h"
#include "xml_strict.h"

void mv_port_def_free(struct mv_port_def *def)
{
    if (!def)
        return;
    free(def->owner_name);
    free(def->mac);
    free(def->bridge);
    free(def);
}

/* ---------------------------------------------------------------- parse */

struct port_parse {
    struct mv_port_def *def;
    bool has_owner_uuid;
};

static int port_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_port_def *def = ((struct port_parse *)obj)->def;

    def->has_uuid = true;
    return mv_xml_text_uuid(c, n, def->uuid);
}

static int owner_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_port_def *def = ((struct port_parse *)obj)->def;
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->owner_name)) < 0)
        return r;
    if (mv_validate_name("domain", def->owner_name, &msg) < 0)
        return msg ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s", msg) : -ENOMEM;
    return 0;
}

static int owner_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct port_parse *p = obj;

    p->has_owner_uuid = true;
    return mv_xml_text_uuid(c, n, p->def->owner_uuid);
}

static const struct mv_xml_rule owner_rules[] = {
    { "name", owner_name, false },
    { "uuid", owner_uuid, false },
};

static int port_owner(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct port_parse *p = obj;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0 || (r = MV_XML_WALK(c, n, owner_rules, p)) < 0)
        return r;
    if (!p->def->owner_name)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <owner><name>");
    if (!p->has_owner_uuid)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <owner><uuid>");
    return 0;
}

static int port_mac(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_port_def *def = ((struct port_parse *)obj)->def;
    _cleanup_free_ char *s = NULL;
    char mac[MV_MAC_STRLEN];
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("address"))) < 0 || (r = mv_xml_attr_get(n, "address", &s)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "address");
    if (mv_mac_normalize(s, mac) < 0 || !mv_mac_is_unicast(mac))
        return mv_xml_fail_value(c, n, "address", s);
    def->mac = strdup(mac);
    return def->mac ? 0 : -ENOMEM;
}

static int plug_type(struct mv_xml_ctx *c, xmlNodePtr n, enum mv_port_plug *out)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *q = NULL;
    int r = mv_xml_attr_get(n, "type", &s);

    if (r < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(s, "network") == 0 || strcmp(s, "bridge") == 0) {
        *out = s[0] == 'n' ? MV_PORT_PLUG_NETWORK : MV_PORT_PLUG_BRIDGE;
        return 0;
    }
    q = mv_xml_quote(s);
    if (!q)
        return -ENOMEM;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<plug type='%s'> is not supported (only network and bridge)", q);
}

static int port_plug(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_port_def *def = ((struct port_parse *)obj)->def;
    _cleanup_free_ char *q = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "bridge"))) < 0 || (r = plug_type(c, n, &def->plug)) < 0 ||
        (r = mv_xml_attr_get(n, "bridge", &def->bridge)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "bridge");
    if (strlen(def->bridge) > MV_NET_IFNAME_MAX || !mv_xml_token_ok(def->bridge, "_.-")) {
        q = mv_xml_quote(def->bridge);
        return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid interface name '%s' in <plug bridge=...>", q)
                 : -ENOMEM;
    }
    return 0;
}

static const struct mv_xml_rule port_rules[] = {
    { "uuid", port_uuid, false },
    { "owner", port_owner, false },
    { "mac", port_mac, false },
    { "plug", port_plug, false },
};

/* The owner's name, looked up before the walk so that every message can
 * name the port by it; NULL (messages without a name) if there is none. */
static char *prescan_owner(xmlNodePtr root)
{
    for (xmlNodePtr n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || n->ns || strcmp((const char *)n->name, "owner") != 0)
            continue;
        for (xmlNodePtr k = n->children; k; k = k->next)
            if (k->type == XML_ELEMENT_NODE && !k->ns && strcmp((const char *)k->name, "name") == 0) {
                _cleanup_xmlfree_ xmlChar *v = xmlNodeGetContent(k);

                /* shown quoted, so any text is safe; checked by owner_name() */
                return v ? strdup((const char *)v) : NULL;
            }
    }
    return NULL;
}

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_port_def *def)
{
    struct port_parse p = { .def = def };
    int r;

    if ((r = mv_xml_check_root(c, root, "networkport")) < 0 || (r = mv_xml_check_attrs(c, root, MV_XML_NO_ATTRS)) < 0 ||
        (r = MV_XML_WALK(c, root, port_rules, &p)) < 0)
        return r;
    if (!def->owner_name)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <owner>");
    if (!def->mac)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <mac>");
    return 0;
}

int mv_port_def_parse(const char *xml, struct mv_port_def **out, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_port_def_ struct mv_port_def *def = NULL;
    _cleanup_free_ char *owner = NULL;
    struct mv_xml_ctx c = { .kind = "network port of domain" };
    int r;

    *errmsg = NULL;
    r = mv_xml_parse_reported(xml, "network port", &doc, errmsg);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    owner = prescan_owner(xmlDocGetRootElement(doc));
    c.name = owner;
    r = parse_root(&c, xmlDocGetRootElement(doc), def);
    if (r < 0) {
        *errmsg = c.errmsg;
        return r == -ENOMEM && !c.errmsg ? r : -EINVAL;
    }
    *out = TAKE_PTR(def);
    return 0;
}

/* --------------------------------------------------------------- format */

char *mv_port_def_format(const struct mv_port_def *def)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "networkport");
    /* a port qemud asks for has no uuid yet: netd gives it one */
    if (def->has_uuid || !mv_uuid_is_null(def->uuid))
        mv_xml_out_uuid(&o, def->uuid);
    mv_xml_out_start(&o, "owner");
    mv_xml_out_text_elem(&o, "name", def->owner_name);
    mv_xml_out_uuid(&o, def->owner_uuid);
    mv_xml_out_end(&o);
    mv_xml_out_leaf(&o, "mac", "address", def->mac);
    if (def->plug != MV_PORT_PLUG_NONE) {
        mv_xml_out_start(&o, "plug");
        mv_xml_out_attr(&o, "type", def->plug == MV_PORT_PLUG_NETWORK ? "network" : "bridge");
        mv_xml_out_attr(&o, "bridge", def->bridge);
        mv_xml_out_end(&o);
    }
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
