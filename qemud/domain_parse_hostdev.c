/*
 * Domain XML <hostdev mode='subsystem' type='pci'>: a host PCI function
 * given to the guest through VFIO.  The parser checks only the XML; whether
 * the host can hand the device over is checked when the domain starts
 * (qemud/hostdev_pci.c), as devices come and go.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"

/* <source><address domain bus slot function/>: the host's PCI function. */
static int source_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hostdev *h = obj;
    static const char *const required[] = { "bus", "slot", "function" };
    unsigned int *fields[] = { &h->bus, &h->slot, &h->function };
    static const unsigned int max[] = { 0xff, 0x1f, 7 };
    _cleanup_free_ char *type = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "domain", "bus", "slot", "function"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", (const char *const[]){ "pci", NULL }, &type)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "domain", true, 0, 0xffff, &h->domain)) < 0)
        return r;
    for (size_t i = 0; i < MV_ARRAY_SIZE(required); i++) {
        r = mv_xml_attr_uint_range(c, n, required[i], true, 0, max[i], fields[i]);
        if (r < 0)
            return r;
        if (r == 0)
            return mv_xml_fail_missing_attr(c, n, required[i]);
    }
    return 0;
}

static const struct mv_xml_rule source_rules[] = {
    { "address", source_address, false },
};

static int hostdev_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    if (r < 0 || (r = MV_XML_WALK(c, n, source_rules, obj)) < 0)
        return r;
    if (!xmlFirstElementChild(n))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <address> in <hostdev><source>");
    return 0;
}

/* <driver name='vfio'/>: the only backend QEMU 7.2 has (legacy KVM
 * assignment is gone). */
static int hostdev_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hostdev *h = obj;
    _cleanup_free_ char *name = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "name", (const char *const[]){ "vfio", NULL }, &name)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "name");
    h->driver_vfio = true;
    return 0;
}

static int hostdev_boot(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_boot_order(c, n, &((struct mv_dom_hostdev *)obj)->boot_order);
}

static int hostdev_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_hostdev *h = obj;
    int r = dom_parse_address(c, n, &h->addr);

    if (r < 0)
        return r;
    if (h->addr.type != MV_DOM_ADDR_PCI)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "a PCI <hostdev> needs a guest <address type='pci'>");
    return 0;
}

static int hostdev_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_hostdev *)obj)->alias);
}

static const struct mv_xml_rule hostdev_rules[] = {
    { "driver", hostdev_driver, false },
    { "source", hostdev_source, false },
    { "boot", hostdev_boot, false },
    { "address", hostdev_address, false },
    { "alias", hostdev_alias, false },
};

/* mode and type: only what QEMU's vfio-pci can do, the others by name. */
static int hostdev_kind(struct mv_xml_ctx *c, xmlNodePtr n)
{
    _cleanup_free_ char *mode = NULL, *type = NULL, *q = NULL;
    int r;

    if ((r = mv_xml_attr_get(n, "mode", &mode)) < 0 || (r = mv_xml_attr_get(n, "type", &type)) < 0)
        return r;
    if (mode && strcmp(mode, "subsystem") != 0) {
        q = mv_xml_quote(mode);
        return q ? mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<hostdev mode='%s'> is not supported "
                               "(only mode='subsystem')", q) : -ENOMEM;
    }
    if (!type)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(type, "pci") != 0) {
        q = mv_xml_quote(type);
        return q ? mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<hostdev type='%s'> is not supported "
                               "(only type='pci')", q) : -ENOMEM;
    }
    return 0;
}

static bool same_host_device(const struct mv_dom_hostdev *a, const struct mv_dom_hostdev *b)
{
    return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot && a->function == b->function;
}

int dom_parse_hostdev(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_hostdev *h = MV_XML_GROW(devs->hostdevs, devs->nhostdevs);
    int r;

    if (!h)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("mode", "type", "managed"))) < 0 ||
        (r = hostdev_kind(c, n)) < 0 ||
        (r = dom_attr_yesno(c, n, "managed", &h->managed)) < 0)
        return r;
    /* an impossible host address marks "no <source>" until the walk sets it */
    h->bus = UINT32_MAX;
    if ((r = MV_XML_WALK(c, n, hostdev_rules, h)) < 0)
        return r;
    if (h->bus == UINT32_MAX)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <source> of <hostdev type='pci'>");
    for (size_t i = 0; i + 1 < devs->nhostdevs; i++)
        if (same_host_device(&devs->hostdevs[i], h))
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "host PCI device %04x:%02x:%02x.%x is given to the "
                               "domain more than once", h->domain, h->bus, h->slot, h->function);
    return 0;
}
