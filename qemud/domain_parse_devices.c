/*
 * Domain XML <devices> -> struct mv_dom_devices: one parser per device
 * element (disk, controller, interface, serial/console/channel, graphics,
 * video, input, rng, watchdog, panic, memballoon, emulator), and the checks
 * across devices that can run only once all of them are read.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "validate.h"
#include "xml.h"

/* ------------------------------------------------------------ addresses */

static int parse_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_addr *a = obj;
    int type = MV_DOM_ADDR_NONE;
    int r;

    r = mv_xml_attr_enum(c, n, "type", mv_dom_addr_type_from_string, &type);
    if (r < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    a->type = type;
    if (type == MV_DOM_ADDR_PCI) {
        if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "domain", "bus", "slot", "function", "multifunction"))) < 0 ||
            (r = mv_xml_attr_uint_range(c, n, "domain", true, 0, 0xffff, &a->domain)) < 0 ||
            (r = mv_xml_attr_uint_range(c, n, "bus", true, 0, 0xff, &a->bus)) < 0 ||
            (r = mv_xml_attr_uint_range(c, n, "slot", true, 0, 0x1f, &a->slot)) < 0 ||
            (r = mv_xml_attr_uint_range(c, n, "function", true, 0, 7, &a->function)) < 0 ||
            (r = mv_xml_attr_onoff(c, n, "multifunction", &a->multifunction)) < 0)
            return r;
        return 0;
    }
    /* drive: the schema allows two digits for all but the unit */
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "controller", "bus", "target", "unit"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "controller", false, 0, 99, &a->controller)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "bus", false, 0, 99, &a->bus)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "target", false, 0, 99, &a->target)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "unit", false, 0, 99999, &a->unit)) < 0)
        return r;
    return 0;
}

#define ALIAS_MAX 64

/* A user alias becomes a QEMU id: "ua-", then letters, digits, '_', '-'. */
static bool user_alias_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 3 && n <= ALIAS_MAX && strncmp(s, "ua-", 3) == 0 &&
           strspn(s + 3, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n - 3;
}

/* The alias a status file (our own live XML) carries: a QEMU id. */
static bool live_alias_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= ALIAS_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* <alias name=.../> into *ALIAS.  A running domain's aliases are the ids
 * the daemon chose (domain_address.c): a configuration drops them, as
 * libvirt does when it parses an inactive definition, so that dumpxml of a
 * running guest defines again; user aliases ("ua-...") stay. */
int dom_parse_alias(struct mv_xml_ctx *c, xmlNodePtr n, char **alias)
{
    _cleanup_free_ char *name = NULL;
    bool status = c->flags & MV_DOM_PARSE_STATUS;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name"))) < 0 || (r = mv_xml_attr_get(n, "name", &name)) < 0)
        return r;
    if (!name)
        return mv_xml_fail_missing_attr(c, n, "name");
    if (strncmp(name, "ua-", 3) == 0 ? !user_alias_ok(name) : status && !live_alias_ok(name))
        return mv_xml_fail_value(c, n, "name", name);
    if (!status && strncmp(name, "ua-", 3) != 0)
        return 0;
    free(*alias);
    *alias = TAKE_PTR(name);
    return 0;
}

/* <boot order='N'/> of a device into the unsigned int at OBJ. */
static int parse_boot_order(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("order"));

    if (r < 0)
        return r;
    r = mv_xml_attr_uint_range(c, n, "order", false, 1, UINT32_MAX, obj);
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "order");
    return r < 0 ? r : 0;
}

/* ----------------------------------------------------------------- disks */

static int disk_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int v, r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "type", "cache", "discard", "iothread"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "name", (const char *const[]){ "qemu", NULL }, &d->driver_name)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "iothread", false, 1, UINT_MAX, &d->iothread)) < 0)
        return r;
    if ((r = mv_xml_attr_enum(c, n, "type", mv_dom_disk_format_from_string, &v)) < 0)
        return r;
    if (r)
        d->format = v;
    if ((r = mv_xml_attr_enum(c, n, "cache", mv_dom_disk_cache_from_string, &v)) < 0)
        return r;
    if (r)
        d->cache = v;
    if ((r = mv_xml_attr_enum(c, n, "discard", mv_dom_disk_discard_from_string, &v)) < 0)
        return r;
    if (r)
        d->discard = v;
    return 0;
}

/* A volume's name as storaged accepts it: one path component. */
static bool volume_name_ok(const char *s)
{
    return *s && strlen(s) <= 255 && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* <source pool= volume=/>: resolved at start; only our status file carries
 * the path it was resolved to (file=), a definition must not claim one. */
static int disk_source_volume(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_disk *d)
{
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("pool", "volume", "file"))) < 0 ||
        (r = mv_xml_attr_get(n, "pool", &d->pool)) < 0 ||
        (r = mv_xml_attr_get(n, "volume", &d->volume)) < 0 ||
        (r = mv_xml_attr_path(c, n, "file", &d->source)) < 0)
        return r;
    if (!d->pool)
        return mv_xml_fail_missing_attr(c, n, "pool");
    if (!d->volume)
        return mv_xml_fail_missing_attr(c, n, "volume");
    if (mv_validate_name("storage pool", d->pool, NULL) < 0)
        return mv_xml_fail_value(c, n, "pool", d->pool);
    if (!volume_name_ok(d->volume))
        return mv_xml_fail_value(c, n, "volume", d->volume);
    if (!(c->flags & MV_DOM_PARSE_STATUS))
        free(TAKE_PTR(d->source));
    return 0;
}

static int disk_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    const char *attr = d->type == MV_DOM_DISK_BLOCK ? "dev" : "file";
    int r;

    if (d->type == MV_DOM_DISK_VOLUME)
        return disk_source_volume(c, n, d);

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS(attr))) < 0 || (r = mv_xml_attr_path(c, n, attr, &d->source)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, attr) : 0;
}

static int disk_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int bus = -1;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("dev", "bus"))) < 0 ||
        (r = mv_xml_attr_get(n, "dev", &d->target)) < 0 ||
        (r = mv_xml_attr_enum(c, n, "bus", mv_dom_disk_bus_from_string, &bus)) < 0)
        return r;
    if (!d->target)
        return mv_xml_fail_missing_attr(c, n, "dev");
    /* the name picks the drive index: a known prefix and letters */
    if (strlen(d->target) < 3 || strspn(d->target + 2, "abcdefghijklmnopqrstuvwxyz") != strlen(d->target) - 2 ||
        (strncmp(d->target, "vd", 2) != 0 && strncmp(d->target, "sd", 2) != 0 &&
         strncmp(d->target, "hd", 2) != 0))
        return mv_xml_fail_value(c, n, "dev", d->target);
    if (bus >= 0)
        d->bus = bus;
    else if (d->target[0] == 'v')
        d->bus = MV_DOM_DISK_BUS_VIRTIO;
    else if (d->target[0] == 's')
        d->bus = MV_DOM_DISK_BUS_SATA;
    else
        d->bus = MV_DOM_DISK_BUS_IDE;
    return 0;
}

static int disk_readonly(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;

    d->readonly = true;
    return mv_xml_leaf(c, n, MV_XML_NO_ATTRS);
}

static int disk_boot(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_boot_order(c, n, &((struct mv_dom_disk *)obj)->boot_order);
}

static int disk_serial(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &d->serial);

    if (r < 0)
        return r;
    /* QEMU's option syntax and the guest's view allow only these */
    if (!mv_xml_token_ok(d->serial, "_ .+-"))
        return mv_xml_fail_value(c, n, NULL, d->serial);
    return 0;
}

/* <secret type='passphrase' uuid='U'/>: the only kind a LUKS image takes */
static int encryption_secret(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    _cleanup_free_ char *uuid = NULL, *type = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "uuid"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", (const char *const[]){ "passphrase", NULL }, &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if ((r = mv_xml_attr_get(n, "uuid", &uuid)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "uuid");
    if (mv_uuid_parse(uuid, d->secret_uuid) < 0 || mv_uuid_is_null(d->secret_uuid))
        return mv_xml_fail_value(c, n, "uuid", uuid);
    return 0;
}

static const struct mv_xml_rule encryption_rules[] = {
    { "secret", encryption_secret, false },
};

static int disk_encryption(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_disk *d = obj;
    int v, r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("format"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "format", mv_dom_disk_encryption_from_string, &v)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "format");
    d->encryption = v;
    if ((r = MV_XML_WALK(c, n, encryption_rules, d)) < 0)
        return r;
    if (mv_uuid_is_null(d->secret_uuid))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <secret> in the <encryption> of <disk> '%s'",
                           d->target ? d->target : "");
    return 0;
}

static int disk_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_disk *)obj)->addr);
}

static int disk_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_disk *)obj)->alias);
}

static const struct mv_xml_rule disk_rules[] = {
    { "driver", disk_driver, false },
    { "source", disk_source, false },
    { "target", disk_target, false },
    { "readonly", disk_readonly, false },
    { "boot", disk_boot, false },
    { "serial", disk_serial, false },
    { "encryption", disk_encryption, false },
    { "address", disk_address, false },
    { "alias", disk_alias, false },
};

static int parse_disk(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_disk *d = MV_XML_GROW(devs->disks, devs->ndisks);
    int v, r;

    if (!d)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "device"))) < 0)
        return r;
    if ((r = mv_xml_attr_enum(c, n, "type", mv_dom_disk_type_from_string, &v)) < 0)
        return r;
    d->type = r ? v : MV_DOM_DISK_FILE;
    if ((r = mv_xml_attr_enum(c, n, "device", mv_dom_disk_device_from_string, &v)) < 0)
        return r;
    d->device = r ? v : MV_DOM_DISK_DEVICE_DISK;
    if ((r = MV_XML_WALK(c, n, disk_rules, d)) < 0)
        return r;
    if (!d->target)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <target> of <disk>");
    if (!d->source && !d->volume && d->device == MV_DOM_DISK_DEVICE_DISK)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <source> of <disk> '%s'", d->target);
    return 0;
}

/* ----------------------------------------------------------- controllers */

/* index= left out: check_controllers() gives the lowest free one, like libvirt */
#define CONTROLLER_INDEX_UNSET UINT_MAX

static const char *const usb_models[] = {
    "qemu-xhci", "nec-xhci", "piix3-uhci", "piix4-uhci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2",
    "ich9-uhci3", "none", NULL
};
static const char *const scsi_models[] = { "virtio-scsi", "lsilogic", NULL };
static const char *const pci_models[] = {
    "pci-root", "pcie-root", "pcie-root-port", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge", NULL
};
static const char *const virtio_serial_models[] = { "virtio", NULL };
static const char *const no_models[] = { NULL };

static const char *const *controller_models(enum mv_dom_controller_type type)
{
    switch (type) {
    case MV_DOM_CONTROLLER_USB: return usb_models;
    case MV_DOM_CONTROLLER_SCSI: return scsi_models;
    case MV_DOM_CONTROLLER_PCI: return pci_models;
    case MV_DOM_CONTROLLER_VIRTIO_SERIAL: return virtio_serial_models;
    default: return no_models;
    }
}

static int controller_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_controller *)obj)->addr);
}

/* <master startport='N'/>: an ich9-uhciN is a companion of the ich9-ehci1
 * with its index, taking the ports from N on */
static int controller_master(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_controller *ctl = obj;
    int r;

    if (ctl->type != MV_DOM_CONTROLLER_USB || !ctl->model || strncmp(ctl->model, "ich9-uhci", 9) != 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<controller><master> is only for the USB companions ich9-uhci1..3");
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("startport"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "startport", false, 0, 5, &ctl->master_startport)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "startport");
    ctl->master = true;
    return 0;
}

static int controller_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_controller *)obj)->alias);
}

/* <driver iothread='N'/>: virtio-scsi only (the one model with iothreads) */
static int controller_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_controller *ctl = obj;
    int r;

    if (ctl->type != MV_DOM_CONTROLLER_SCSI)
        return mv_xml_fail_unknown_elem(c, n);
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("iothread"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "iothread", false, 1, UINT_MAX, &ctl->iothread)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "iothread") : 0;
}

static const struct mv_xml_rule controller_rules[] = {
    { "driver", controller_driver, false },
    { "master", controller_master, false },
    { "address", controller_address, false },
    { "alias", controller_alias, false },
};

static int parse_controller(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_controller *ctl = MV_XML_GROW(devs->controllers, devs->ncontrollers);
    int type, r;

    if (!ctl)
        return -ENOMEM;
    if ((r = mv_xml_attr_enum(c, n, "type", mv_dom_controller_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    ctl->type = type;
    /* ports= means something for these two only */
    if (type == MV_DOM_CONTROLLER_USB || type == MV_DOM_CONTROLLER_VIRTIO_SERIAL)
        r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "index", "model", "ports"));
    else
        r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "index", "model"));
    ctl->index = CONTROLLER_INDEX_UNSET;
    if (r < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "index", false, 0, 255, &ctl->index)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", controller_models(ctl->type), &ctl->model)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "ports", false, 1, 255, &ctl->ports)) < 0)
        return r;
    return MV_XML_WALK(c, n, controller_rules, ctl);
}

/* ------------------------------------------------------------ interfaces */

/* "52:54:00:12:34:56": two hex digits per byte, either case. */
static int mac_parse(const char *s, unsigned char mac[6])
{
    static const char hexdigits[] = "0123456789abcdefABCDEF";
    unsigned char m[6];

    for (int i = 0; i < 6; i++, s += 3) {
        char byte[3] = { s[0], s[0] ? s[1] : '\0', '\0' };

        if (!byte[0] || !byte[1] || !strchr(hexdigits, byte[0]) || !strchr(hexdigits, byte[1]) ||
            s[2] != (i < 5 ? ':' : '\0'))
            return -EINVAL;
        m[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
    memcpy(mac, m, 6);
    return 0;
}

static bool mac_is_zero(const unsigned char mac[6])
{
    static const unsigned char zero[6];

    return memcmp(mac, zero, 6) == 0;
}

static int net_mac(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *q = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("address"))) < 0 || (r = mv_xml_attr_get(n, "address", &s)) < 0)
        return r;
    if (!s)
        return mv_xml_fail_missing_attr(c, n, "address");
    /* all zeros would read as "generate one" */
    if (mac_parse(s, net->mac) < 0 || mac_is_zero(net->mac))
        return mv_xml_fail_value(c, n, "address", s);
    if (net->mac[0] & 1) {
        q = mv_xml_quote(s);
        return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "expected a unicast MAC address, found multicast '%s'", q)
                 : -ENOMEM;
    }
    return 0;
}

/* <source network= portid= bridge=/>: the port and its bridge are what a
 * running guest got from modvirt-netd; a definition carrying them (a dumped
 * running domain) must not claim them, only a status file keeps them. */
static int net_source_network(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_net *net)
{
    unsigned char uuid[MV_UUID_LEN];
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("network", "portid", "bridge"))) < 0 ||
        (r = mv_xml_attr_get(n, "network", &net->source)) < 0 ||
        (r = mv_xml_attr_get(n, "portid", &net->portid)) < 0 ||
        (r = mv_xml_attr_get(n, "bridge", &net->bridge)) < 0)
        return r;
    if (!net->source)
        return mv_xml_fail_missing_attr(c, n, "network");
    if (mv_validate_name("network", net->source, NULL) < 0)
        return mv_xml_fail_value(c, n, "network", net->source);
    if (net->portid && mv_uuid_parse(net->portid, uuid) < 0)
        return mv_xml_fail_value(c, n, "portid", net->portid);
    if (net->bridge && (strlen(net->bridge) > 15 || !mv_xml_token_ok(net->bridge, "_.-")))
        return mv_xml_fail_value(c, n, "bridge", net->bridge);
    if (!(c->flags & MV_DOM_PARSE_STATUS)) {
        free(TAKE_PTR(net->portid));
        free(TAKE_PTR(net->bridge));
    }
    return 0;
}

static int net_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    int r;

    if (net->type == MV_DOM_NET_USER)
        return mv_xml_fail_unknown_elem(c, n);
    if (net->type == MV_DOM_NET_NETWORK)
        return net_source_network(c, n, net);
    /* a bridge is an interface name */
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("bridge"))) < 0 || (r = mv_xml_attr_get(n, "bridge", &net->source)) < 0)
        return r;
    if (!net->source)
        return mv_xml_fail_missing_attr(c, n, "bridge");
    if (strlen(net->source) > 15 || !mv_xml_token_ok(net->source, "_.-"))
        return mv_xml_fail_value(c, n, "bridge", net->source);
    return 0;
}

static int net_model(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const models[] = { "virtio", "e1000", "e1000e", "rtl8139", NULL };
    struct mv_dom_net *net = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", models, &net->model)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "type") : 0;
}

static int net_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_net *net = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("dev"))) < 0 || (r = mv_xml_attr_get(n, "dev", &net->ifname)) < 0)
        return r;
    if (!net->ifname)
        return mv_xml_fail_missing_attr(c, n, "dev");
    if (strlen(net->ifname) > 15 || !mv_xml_token_ok(net->ifname, "_.-"))
        return mv_xml_fail_value(c, n, "dev", net->ifname);
    /* vnetN names are handed out when the guest starts; a definition
     * carrying one (a dumped running domain) must not claim it */
    if (!(c->flags & MV_DOM_PARSE_STATUS) && strncmp(net->ifname, "vnet", 4) == 0) {
        free(net->ifname);
        net->ifname = NULL;
    }
    return 0;
}

static int net_boot(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_boot_order(c, n, &((struct mv_dom_net *)obj)->boot_order);
}

static int net_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_net *)obj)->addr);
}

static int net_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_net *)obj)->alias);
}

static const struct mv_xml_rule net_rules[] = {
    { "mac", net_mac, false },
    { "source", net_source, false },
    { "model", net_model, false },
    { "target", net_target, false },
    { "boot", net_boot, false },
    { "address", net_address, false },
    { "alias", net_alias, false },
};

static int parse_interface(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_net *net = MV_XML_GROW(devs->nets, devs->nnets);
    int type, r;

    if (!net)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_dom_net_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    net->type = type;
    if ((r = MV_XML_WALK(c, n, net_rules, net)) < 0)
        return r;
    if (net->type != MV_DOM_NET_USER && !net->source)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <source> of <interface type='%s'>",
                           mv_dom_net_type_to_string(net->type));
    return 0;
}

/* ------------------------------------------------------ character devices */

/* What kind of <serial>/<console>/<channel> is being parsed. */
enum chr_kind { CHR_SERIAL, CHR_CONSOLE, CHR_CHANNEL };

struct chr_parse {
    struct mv_dom_chr *chr;
    enum chr_kind kind;
    bool mode_given;
};

static int chr_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct chr_parse *p = obj;
    struct mv_dom_chr *chr = p->chr;
    _cleanup_free_ char *mode = NULL;
    int r;

    switch (chr->type) {
    case MV_DOM_CHR_PTY:
        if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("path"))) < 0 ||
            (r = mv_xml_attr_path(c, n, "path", &chr->path)) < 0)
            return r;
        /* the pty is QEMU's choice when the guest starts: a running
         * guest's dumpxml shows it, a definition drops it (as libvirt) */
        if (!(c->flags & MV_DOM_PARSE_STATUS)) {
            free(chr->path);
            chr->path = NULL;
            return 0;
        }
        break;
    case MV_DOM_CHR_FILE:
        if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("path", "append"))) < 0 ||
            (r = mv_xml_attr_path(c, n, "path", &chr->path)) < 0 ||
            (r = mv_xml_attr_onoff(c, n, "append", &chr->append)) < 0)
            return r;
        chr->append_given = xmlHasProp(n, BAD_CAST "append") != NULL;
        break;
    case MV_DOM_CHR_UNIX:
        if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode", "path"))) < 0 ||
            (r = mv_xml_attr_path(c, n, "path", &chr->path)) < 0 ||
            (r = mv_xml_attr_choice(c, n, "mode", (const char *const[]){ "bind", "connect", NULL }, &mode)) < 0)
            return r;
        if (mode) {
            p->mode_given = true;
            chr->unix_listen = strcmp(mode, "bind") == 0;
        }
        if (mode && !chr->unix_listen && !chr->path)
            return mv_xml_fail_missing_attr(c, n, "path");
        break;
    default:
        return mv_xml_fail_unknown_elem(c, n);
    }
    if ((chr->type == MV_DOM_CHR_PTY || chr->type == MV_DOM_CHR_FILE) && !chr->path)
        return mv_xml_fail_missing_attr(c, n, "path");
    return 0;
}

static int chr_log(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_chr *chr = ((struct chr_parse *)obj)->chr;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("file", "append"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "file", &chr->log_file)) < 0 ||
        (r = mv_xml_attr_onoff(c, n, "append", &chr->log_append)) < 0)
        return r;
    chr->log_append_given = xmlHasProp(n, BAD_CAST "append") != NULL;
    return chr->log_file ? 0 : mv_xml_fail_missing_attr(c, n, "file");
}

static int chr_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const serial_types[] = { "isa-serial", "usb-serial", "pci-serial", NULL };
    static const char *const console_types[] = { "serial", "virtio", NULL };
    static const char *const channel_types[] = { "virtio", NULL };
    struct chr_parse *p = obj;
    struct mv_dom_chr *chr = p->chr;
    unsigned int port;
    int r;

    if (p->kind == CHR_CHANNEL) {
        if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "name"))) < 0 ||
            (r = mv_xml_attr_choice(c, n, "type", channel_types, &chr->target_type)) < 0 ||
            (r = mv_xml_attr_token(c, n, "name", "_.-", &chr->target_name)) < 0)
            return r;
        return chr->target_type ? 0 : mv_xml_fail_missing_attr(c, n, "type");
    }
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "port"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", p->kind == CHR_SERIAL ? serial_types : console_types,
                                &chr->target_type)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "port", false, 0, 255, &port)) < 0)
        return r;
    if (r)
        chr->target_port = (int)port;
    return 0;
}

static int chr_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct chr_parse *)obj)->chr->alias);
}

static const struct mv_xml_rule chr_rules[] = {
    { "source", chr_source, false },
    { "log", chr_log, false },
    { "target", chr_target, false },
    { "alias", chr_alias, false },
};

static int parse_chr(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_chr *chr, enum chr_kind kind)
{
    struct chr_parse p = { .chr = chr, .kind = kind };
    int type, r;

    chr->target_port = -1;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "type", mv_dom_chr_type_from_string, &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    chr->type = type;
    if (type == MV_DOM_CHR_SPICEVMC && kind != CHR_CHANNEL)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<%s type='spicevmc'> (only a <channel> can be one)",
                           n->name);
    if ((r = MV_XML_WALK(c, n, chr_rules, &p)) < 0)
        return r;
    if (chr->type == MV_DOM_CHR_FILE && !chr->path)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <source path=...> of <%s type='file'>", n->name);
    /* no path: QEMU listens on one the daemon picks */
    if (chr->type == MV_DOM_CHR_UNIX && !p.mode_given)
        chr->unix_listen = !chr->path;
    if (kind == CHR_CHANNEL && !chr->target_type)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <target type='virtio'> of <channel>");
    /* the SPICE agent's port, the only one spicevmc serves on virtio */
    if (chr->type == MV_DOM_CHR_SPICEVMC && !chr->target_name && !(chr->target_name = strdup("com.redhat.spice.0")))
        return -ENOMEM;
    if (chr->type == MV_DOM_CHR_SPICEVMC && strcmp(chr->target_name, "com.redhat.spice.0") != 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<channel type='spicevmc'> target name '%s' (only com.redhat.spice.0, the SPICE agent's)",
                           chr->target_name);
    return 0;
}

static int parse_serial(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = MV_XML_GROW(devs->serials, devs->nserials);

    return chr ? parse_chr(c, n, chr, CHR_SERIAL) : -ENOMEM;
}

static int parse_console(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = MV_XML_GROW(devs->consoles, devs->nconsoles);

    return chr ? parse_chr(c, n, chr, CHR_CONSOLE) : -ENOMEM;
}

static int parse_channel(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_chr *chr = MV_XML_GROW(devs->channels, devs->nchannels);

    return chr ? parse_chr(c, n, chr, CHR_CHANNEL) : -ENOMEM;
}

/* ------------------------------------------------------- other devices */

static int input_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_input *)obj)->alias);
}

static int input_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_input *)obj)->addr);
}

static const struct mv_xml_rule input_rules[] = {
    { "alias", input_alias, false },
    { "address", input_address, false },
};

static int parse_input(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const types[] = { "tablet", "mouse", "keyboard", NULL };
    static const char *const buses[] = { "usb", "ps2", "virtio", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_input *in = MV_XML_GROW(devs->inputs, devs->ninputs);
    int r;

    if (!in)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "bus"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", types, &in->type)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "bus", buses, &in->bus)) < 0)
        return r;
    if (!in->type)
        return mv_xml_fail_missing_attr(c, n, "type");
    return MV_XML_WALK(c, n, input_rules, in);
}

static int rng_backend(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_rng *rng = obj;
    _cleanup_free_ char *model = NULL;
    int r;

    if ((r = mv_xml_attr_choice(c, n, "model", (const char *const[]){ "random", NULL }, &model)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "model");
    return mv_xml_text_path(c, n, MV_XML_ATTRS("model"), &rng->backend);
}

static int rng_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_rng *)obj)->addr);
}

static int rng_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_rng *)obj)->alias);
}

static const struct mv_xml_rule rng_rules[] = {
    { "backend", rng_backend, false },
    { "address", rng_address, false },
    { "alias", rng_alias, false },
};

static int parse_rng(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_rng *rng = MV_XML_GROW(devs->rngs, devs->nrngs);
    int r;

    if (!rng)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", (const char *const[]){ "virtio", NULL }, &rng->model)) < 0)
        return r;
    if (!rng->model)
        return mv_xml_fail_missing_attr(c, n, "model");
    if ((r = MV_XML_WALK(c, n, rng_rules, rng)) < 0)
        return r;
    return rng->backend ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <backend> of <rng>");
}

static int balloon_stats(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memballoon *b = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("period"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "period", false, 1, INT32_MAX, &b->stats_period)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "period") : 0;
}

static int balloon_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_memballoon *)obj)->addr);
}

static int balloon_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_memballoon *)obj)->alias);
}

static const struct mv_xml_rule balloon_rules[] = {
    { "stats", balloon_stats, false },
    { "address", balloon_address, false },
    { "alias", balloon_alias, false },
};

static int parse_memballoon(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_memballoon *b = &((struct mv_dom_devices *)obj)->memballoon;
    int r;

    b->given = true;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", (const char *const[]){ "virtio", "none", NULL }, &b->model)) < 0)
        return r;
    if (!b->model)
        return mv_xml_fail_missing_attr(c, n, "model");
    return MV_XML_WALK(c, n, balloon_rules, b);
}

static int watchdog_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_watchdog *)obj)->addr);
}

static int watchdog_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_watchdog *)obj)->alias);
}

static const struct mv_xml_rule watchdog_rules[] = {
    { "address", watchdog_address, false },
    { "alias", watchdog_alias, false },
};

static int parse_watchdog(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* itco is libvirt 9.1's, after the 9.0 schema */
    static const char *const models[] = { "i6300esb", "ib700", "itco", NULL };
    static const char *const actions[] = {
        "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi", NULL
    };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_watchdog *w = MV_XML_GROW(devs->watchdogs, devs->nwatchdogs);
    int r;

    if (!w)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model", "action"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", models, &w->model)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "action", actions, &w->action)) < 0)
        return r;
    if (!w->model)
        return mv_xml_fail_missing_attr(c, n, "model");
    return MV_XML_WALK(c, n, watchdog_rules, w);
}

static int panic_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_panic *)obj)->alias);
}

static int panic_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return parse_address(c, n, &((struct mv_dom_panic *)obj)->addr);
}

static const struct mv_xml_rule panic_rules[] = {
    { "address", panic_address, false },
    { "alias", panic_alias, false },
};

static int parse_panic(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* pvpanic (the PCI device) is libvirt 9.1's, after the 9.0 schema */
    static const char *const models[] = { "isa", "pvpanic", "hyperv", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_panic *p = MV_XML_GROW(devs->panics, devs->npanics);
    int r;

    if (!p)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", models, &p->model)) < 0)
        return r;
    return MV_XML_WALK(c, n, panic_rules, p);
}

static int parse_emulator(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_path(c, n, MV_XML_NO_ATTRS, &((struct mv_dom_devices *)obj)->emulator);
}

int dom_parse_address(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_addr *addr)
{
    return parse_address(c, n, addr);
}

static const struct mv_xml_rule devices_rules[] = {
    { "emulator", parse_emulator, false },
    { "disk", parse_disk, true },
    { "controller", parse_controller, true },
    { "interface", parse_interface, true },
    { "serial", parse_serial, true },
    { "console", parse_console, true },
    { "channel", parse_channel, true },
    { "graphics", dom_parse_graphics, true },
    { "video", dom_parse_video, true },
    { "input", parse_input, true },
    { "rng", parse_rng, true },
    { "watchdog", parse_watchdog, false },      /* libvirt allows one */
    { "panic", parse_panic, true },
    { "sound", dom_parse_sound, true },
    { "audio", dom_parse_audio, true },
    { "redirdev", dom_parse_redirdev, true },
    { "memballoon", parse_memballoon, false },
    { "filesystem", dom_parse_filesystem, true },
    { "hostdev", dom_parse_hostdev, true },
    { "tpm", dom_parse_tpm, false },            /* one: QEMU has one TPM interface per machine */
};

int dom_parse_devices(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_def *def = obj;
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, devices_rules, &def->devices);
}

/* the shared pieces, for device parsers in other files */
int dom_parse_boot_order(struct mv_xml_ctx *c, xmlNodePtr n, void *order)
{
    return parse_boot_order(c, n, order);
}

/* ------------------------------------------------ checks across devices */

static int check_boot_orders(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    const struct mv_dom_devices *d = &def->devices;
    size_t n = d->ndisks + d->nnets + d->nhostdevs;
    _cleanup_free_ unsigned int *orders = calloc(n ? n : 1, sizeof(*orders));
    size_t k = 0;

    if (!orders)
        return -ENOMEM;
    for (size_t i = 0; i < d->ndisks; i++)
        orders[k++] = d->disks[i].boot_order;
    for (size_t i = 0; i < d->nnets; i++)
        orders[k++] = d->nets[i].boot_order;
    for (size_t i = 0; i < d->nhostdevs; i++)
        orders[k++] = d->hostdevs[i].boot_order;
    for (size_t i = 0; i < n; i++) {
        if (!orders[i])
            continue;
        if (def->os.nboot)
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                               "per-device <boot order=...> cannot be used together with <os><boot>");
        for (size_t j = 0; j < i; j++)
            if (orders[j] == orders[i])
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "boot order %u is used by more than one device",
                                   orders[i]);
    }
    return 0;
}

static bool controller_index_used(const struct mv_dom_devices *d, enum mv_dom_controller_type type,
                                  unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return true;
    return false;
}

/* USB companions share their EHCI's index; among them only the start ports differ. */
static bool controllers_clash(const struct mv_dom_controller *a, const struct mv_dom_controller *b)
{
    if (a->index == CONTROLLER_INDEX_UNSET || a->type != b->type || a->index != b->index)
        return false;
    return a->master == b->master && a->master_startport == b->master_startport;
}

/* An index left out: a USB companion takes the index of the EHCI before it
 * (virt-install writes the four without indexes), anything else the lowest free. */
static unsigned int controller_free_index(const struct mv_dom_devices *d, size_t i)
{
    const struct mv_dom_controller *ctl = &d->controllers[i];
    unsigned int index = 0;

    for (size_t j = i; ctl->master && j-- > 0;)
        if (d->controllers[j].type == MV_DOM_CONTROLLER_USB && !d->controllers[j].master)
            return d->controllers[j].index;
    while (controller_index_used(d, ctl->type, index))
        index++;
    return index;
}

static int check_controllers(struct mv_xml_ctx *c, struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        for (size_t j = 0; j < i; j++)
            if (controllers_clash(&d->controllers[i], &d->controllers[j]))
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "controller type '%s' index %u is given more than once",
                                   mv_dom_controller_type_to_string(d->controllers[i].type), d->controllers[i].index);
    for (size_t i = 0; i < d->ncontrollers; i++) {
        struct mv_dom_controller *ctl = &d->controllers[i];

        if (ctl->index == CONTROLLER_INDEX_UNSET)
            ctl->index = controller_free_index(d, i);
    }
    return 0;
}

static bool mac_used(const struct mv_dom_devices *d, const unsigned char mac[6], size_t skip)
{
    for (size_t i = 0; i < d->nnets; i++)
        if (i != skip && memcmp(d->nets[i].mac, mac, 6) == 0)
            return true;
    return false;
}

/* QEMU's own prefix 52:54:00 with three random bytes, like libvirt; after
 * all interfaces are read, so a new one cannot clash with a given one. */
static int generate_macs(struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nnets; i++) {
        unsigned char *mac = d->nets[i].mac;

        if (!mac_is_zero(mac))
            continue;
        do {
            if (getrandom(mac + 3, 3, 0) != 3)
                return -EIO;
            mac[0] = 0x52;
            mac[1] = 0x54;
            mac[2] = 0x00;
        } while (mac_used(d, mac, i));
    }
    return 0;
}

int dom_check_devices(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    const struct mv_dom_devices *d = &def->devices;
    const char *alias;
    int r;

    for (size_t i = 0; i < d->ndisks; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->disks[i].target, d->disks[j].target) == 0)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "disk target '%s' is used more than once",
                                   d->disks[i].target);
    if ((r = check_controllers(c, &def->devices)) < 0)
        return r;
    for (size_t i = 0; i < d->nnets; i++)
        for (size_t j = 0; j < i; j++)
            if (!mac_is_zero(d->nets[i].mac) && memcmp(d->nets[i].mac, d->nets[j].mac, 6) == 0)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                                   "MAC address %02x:%02x:%02x:%02x:%02x:%02x is used more than once",
                                   d->nets[i].mac[0], d->nets[i].mac[1], d->nets[i].mac[2], d->nets[i].mac[3],
                                   d->nets[i].mac[4], d->nets[i].mac[5]);
    if ((r = check_boot_orders(c, def)) < 0 || (r = dom_check_filesystems(c, &def->devices)) < 0 ||
        (r = dom_check_sound(c, def)) < 0)
        return r;
    if ((alias = mv_dom_duplicate_user_alias(def)))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "user alias '%s' is used by more than one device", alias);
    return generate_macs(&def->devices);
}
