/*
 * The strict XML core (common/xml_strict.h) on a small made-up "network"
 * schema, so that netd, storaged and nodedevd can rely on its behaviour
 * without the domain parser: everything written is honoured or refused by
 * name, with the object's kind and name in the message.
 *
 *   <network>
 *     <name/> <uuid/> <title/> <description/> <metadata/>
 *     <forward mode='nat|route|open'/>
 *     <bridge name='TOKEN' stp='on|off' delay='0..60' managed='yes|no'/>
 *     <quota unit='...'>N</quota>            (KiB)
 *     <ip address='...' prefix='0..32'>      (repeated)
 *       <dhcp><range start='...' end='...'/>...</dhcp>
 *       <tftp root='/abs/path'/>
 *     </ip>
 *   </network>
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "uuid.h"
#include "xml.h"
#include "xml_format.h"
#include "xml_strict.h"

enum fwd { FWD_NONE, FWD_NAT, FWD_ROUTE, FWD_OPEN };

struct tip {
    char *address;
    unsigned int prefix;
    unsigned int nranges;
    char *tftp_root;
};

struct tnet {
    char *name;
    unsigned char uuid[16];
    char *title;
    char *description;
    char *metadata;
    int forward;
    char *bridge;
    bool stp;
    bool managed;
    unsigned int delay;
    unsigned long long quota_kib;
    struct tip *ips;
    size_t nips;
};

static void tnet_free(struct tnet *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nips; i++) {
        free(n->ips[i].address);
        free(n->ips[i].tftp_root);
    }
    free(n->ips);
    free(n->name);
    free(n->title);
    free(n->description);
    free(n->metadata);
    free(n->bridge);
    free(n);
}

static int fwd_from_string(const char *s)
{
    static const char *const names[] = { "nat", "route", "open" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(names); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i + 1;
    return -1;
}

/* ---- the made-up schema's rule parsers ---- */

static int range_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct tip *ip = obj;
    int r = mv_xml_leaf(c, n, MV_XML_ATTRS("start", "end"));

    if (r < 0)
        return r;
    ip->nranges++;
    return 0;
}

static const struct mv_xml_rule dhcp_rules[] = {
    { "range", range_rule, true },
};

static int dhcp_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, dhcp_rules, obj);
}

static int tftp_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct tip *ip = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("root"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "root", &ip->tftp_root)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "root") : 0;
}

static const struct mv_xml_rule ip_rules[] = {
    { "dhcp", dhcp_rule, false },
    { "tftp", tftp_rule, false },
};

static int ip_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct tnet *net = obj;
    struct tip *ip = MV_XML_GROW(net->ips, net->nips);
    int r;

    if (!ip)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("address", "prefix"))) < 0 ||
        (r = mv_xml_attr_get(n, "address", &ip->address)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "prefix", false, 0, 32, &ip->prefix)) < 0)
        return r;
    if (!ip->address)
        return mv_xml_fail_missing_attr(c, n, "address");
    return MV_XML_WALK(c, n, ip_rules, ip);
}

static int forward_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct tnet *net = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = mv_xml_attr_enum(c, n, "mode", fwd_from_string, &net->forward)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "mode") : 0;
}

static int bridge_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct tnet *net = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "stp", "delay", "managed"))) < 0 ||
        (r = mv_xml_attr_token(c, n, "name", "_.-", &net->bridge)) < 0 ||
        (r = mv_xml_attr_onoff(c, n, "stp", &net->stp)) < 0 ||
        (r = mv_xml_attr_yesno(c, n, "managed", &net->managed)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "delay", false, 0, 60, &net->delay)) < 0)
        return r;
    return 0;
}

static int quota_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_scaled(c, n, MV_XML_ATTRS("unit"), "KiB", 1024, false, &((struct tnet *)obj)->quota_kib);
}

static int name_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct tnet *)obj)->name);
}

static int uuid_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_uuid(c, n, ((struct tnet *)obj)->uuid);
}

static int title_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_title(c, n, &((struct tnet *)obj)->title);
}

static int description_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &((struct tnet *)obj)->description);
}

static int metadata_rule(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_metadata(c, n, &((struct tnet *)obj)->metadata);
}

static const struct mv_xml_rule network_rules[] = {
    { "name", name_rule, false },
    { "uuid", uuid_rule, false },
    { "title", title_rule, false },
    { "description", description_rule, false },
    { "metadata", metadata_rule, false },
    { "forward", forward_rule, false },
    { "bridge", bridge_rule, false },
    { "quota", quota_rule, false },
    { "ip", ip_rule, true },
};

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct tnet *net)
{
    _cleanup_free_ char *name = NULL;
    int r;

    if ((r = mv_xml_check_root(c, root, "network")) < 0 || (r = mv_xml_prescan_name(c, root, &name)) < 0)
        return r;
    c->name = name;
    if ((r = mv_xml_check_attrs(c, root, MV_XML_NO_ATTRS)) == 0)
        r = MV_XML_WALK(c, root, network_rules, net);
    c->name = NULL;
    return r;
}

/* Parses XML as an object of KIND: 0 and *OUT, or <0 with *CODE and *MSG. */
static int tnet_parse(const char *xml, const char *kind, struct tnet **out, int *code, char **msg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    struct mv_xml_ctx c = { .kind = kind };
    struct tnet *net;
    int r;

    ck_assert_int_eq(mv_xml_parse(xml, "network definition", &doc, msg), 0);
    net = calloc(1, sizeof(*net));
    ck_assert_ptr_nonnull(net);
    r = parse_root(&c, xmlDocGetRootElement(doc), net);
    if (r < 0) {
        tnet_free(net);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_nonnull(c.errmsg);
        *code = c.errcode;
        *msg = c.errmsg;
        return r;
    }
    ck_assert_ptr_null(c.errmsg);
    *out = net;
    return 0;
}

static struct tnet *parse_ok(const char *xml)
{
    struct tnet *net = NULL;
    char *msg = NULL;
    int code = 0;

    if (tnet_parse(xml, "network", &net, &code, &msg) < 0)
        ck_abort_msg("unexpected error %d: %s", code, msg);
    return net;
}

/* XML must be refused with CODE and exactly MSG. */
static void refused(const char *kind, const char *xml, int code, const char *msg)
{
    struct tnet *net = NULL;
    _cleanup_free_ char *got = NULL;
    int got_code = 0;

    ck_assert_int_eq(tnet_parse(xml, kind, &net, &got_code, &got), -EINVAL);
    ck_assert_str_eq(got, msg);
    ck_assert_int_eq(got_code, code);
}

#define NET(body) "<network>\n  <name>lan</name>\n" body "</network>\n"

/* ---- tests ---- */

START_TEST(test_accepts_and_stores)
{
    struct tnet *net = parse_ok("<network xmlns:app='urn:app'>\n"
                                "  <!-- comments and blank text are fine anywhere -->\n"
                                "  <name> lan </name>\n"
                                "  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>\n"
                                "  <title>LAN</title>\n"
                                "  <description>two\nlines</description>\n"
                                "  <metadata><app:x a='1'/><y xmlns='urn:y'>t</y></metadata>\n"
                                "  <forward mode='route'/>\n"
                                "  <bridge name='virbr0' stp='off' delay='5' managed='yes'/>\n"
                                "  <quota unit='MiB'>2</quota>\n"
                                "  <ip address='10.0.0.1' prefix='24'>\n"
                                "    <dhcp><range start='a' end='b'/><range start='c' end='d'/></dhcp>\n"
                                "    <tftp root='/srv/tftp'/>\n"
                                "  </ip>\n"
                                "  <ip address='fd00::1'/>\n"
                                "</network>\n");
    char uuid[MV_UUID_STRING_LEN];

    /* the text as written: only mv_xml_prescan_name checks it */
    ck_assert_str_eq(net->name, " lan ");
    mv_uuid_format(net->uuid, uuid);
    ck_assert_str_eq(uuid, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    ck_assert_str_eq(net->title, "LAN");
    ck_assert_str_eq(net->description, "two\nlines");
    ck_assert_str_eq(net->metadata, "<app:x xmlns:app=\"urn:app\" a=\"1\"/>\n    <y xmlns=\"urn:y\">t</y>");
    ck_assert_int_eq(net->forward, FWD_ROUTE);
    ck_assert_str_eq(net->bridge, "virbr0");
    ck_assert(!net->stp);
    ck_assert(net->managed);
    ck_assert_uint_eq(net->delay, 5);
    ck_assert_uint_eq(net->quota_kib, 2048);
    ck_assert_uint_eq(net->nips, 2);
    ck_assert_str_eq(net->ips[0].address, "10.0.0.1");
    ck_assert_uint_eq(net->ips[0].prefix, 24);
    ck_assert_uint_eq(net->ips[0].nranges, 2);
    ck_assert_str_eq(net->ips[0].tftp_root, "/srv/tftp");
    ck_assert_str_eq(net->ips[1].address, "fd00::1");
    ck_assert_ptr_null(net->ips[1].tftp_root);
    tnet_free(net);
}
END_TEST

START_TEST(test_unknown_element)
{
    refused("network", NET("  <foo/>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown element <foo> in network 'lan'");
    /* deep ones name their path below the root */
    refused("network", NET("  <ip address='a'><dhcp><host mac='x'/></dhcp></ip>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown element <ip><dhcp><host> in network 'lan'");
    /* a leaf takes no children */
    refused("network", NET("  <bridge name='b'><x/></bridge>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown element <bridge><x> in network 'lan'");
    /* the kind comes from the context, not from the root element */
    refused("pool", NET("  <foo/>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown element <foo> in pool 'lan'");
}
END_TEST

START_TEST(test_namespaced_element)
{
    /* a known name in a namespace is not the element the rule means */
    refused("network", "<network xmlns:q='urn:q'><name>lan</name><q:extra/></network>",
            MV_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: unknown element <q:extra> in network 'lan'");
    refused("network", "<network xmlns:q='urn:q'><name>lan</name><q:bridge name='b'/></network>",
            MV_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: unknown element <q:bridge> in network 'lan'");
    /* a default namespace counts too */
    refused("network", "<network><name>lan</name><bridge xmlns='urn:d' name='b'/></network>",
            MV_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: unknown element <bridge> in network 'lan'");
}
END_TEST

START_TEST(test_unknown_attribute)
{
    refused("network", NET("  <bridge name='b' colour='red'/>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown attribute 'colour' of <bridge> in network 'lan'");
    refused("network", NET("  <ip address='a'><dhcp when='now'/></ip>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown attribute 'when' of <dhcp> in network 'lan'");
    refused("network", "<network xmlns:x='urn:x'><name>lan</name><bridge x:stp='on'/></network>",
            MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown attribute 'x:stp' of <bridge> in network 'lan'");
    refused("network", "<network mode='x'><name>lan</name></network>", MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown attribute 'mode' of <network> in network 'lan'");
}
END_TEST

START_TEST(test_enums_and_values)
{
    refused("network", NET("  <forward mode='teleport'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'teleport' of <forward mode=...> in network 'lan'");
    refused("network", NET("  <forward/>\n"), MV_ERR_XML_DETAIL,
            "XML error: missing attribute 'mode' of <forward> in network 'lan'");
    refused("network", NET("  <bridge stp='yes'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'yes' of <bridge stp=...> in network 'lan'");
    refused("network", NET("  <bridge managed='on'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'on' of <bridge managed=...> in network 'lan'");
    refused("network", NET("  <bridge delay='61'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value '61' of <bridge delay=...> in network 'lan'");
    refused("network", NET("  <bridge delay='-1'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value '-1' of <bridge delay=...> in network 'lan'");
    refused("network", NET("  <bridge delay=' 5'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value ' 5' of <bridge delay=...> in network 'lan'");
    refused("network", NET("  <bridge name='vir br0'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'vir br0' of <bridge name=...> in network 'lan'");
    refused("network", NET("  <ip address='a'><tftp root='srv'/></ip>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'srv' of <tftp root=...> in network 'lan'");
    refused("network", NET("  <uuid>not-a-uuid</uuid>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'not-a-uuid' of <uuid> in network 'lan'");
    refused("network", NET("  <uuid>00000000-0000-0000-0000-000000000000</uuid>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value '00000000-0000-0000-0000-000000000000' of <uuid> in network 'lan'");
    refused("network", NET("  <title>a\nb</title>\n"), MV_ERR_XML_DETAIL,
            "XML error: <title> must be a single line in network 'lan'");
    refused("network", NET("  <metadata><plain/></metadata>\n"), MV_ERR_XML_DETAIL,
            "XML error: element <plain> in <metadata> needs an XML namespace in network 'lan'");
    /* values in messages are quoted with control characters escaped */
    refused("network", NET("  <forward mode='a\x7f" "b'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'a\\x7fb' of <forward mode=...> in network 'lan'");
}
END_TEST

START_TEST(test_units)
{
    static const struct { const char *elem; unsigned long long kib; } ok[] = {
        { "<quota>7</quota>", 7 },                              /* KiB without unit= */
        { "<quota unit='b'>1</quota>", 1 },                     /* rounded up */
        { "<quota unit='bytes'>2048</quota>", 2 },
        { "<quota unit='KB'>1024</quota>", 1000 },              /* 1000-based */
        { "<quota unit='k'>3</quota>", 3 },
        { "<quota unit='kib'>3</quota>", 3 },                   /* any case */
        { "<quota unit='G'>1</quota>", 1024 * 1024 },
        { "<quota unit='GB'>1</quota>", 976563 },
        { "<quota unit='TiB'>1</quota>", 1024ull * 1024 * 1024 },
        { "<quota unit='EiB'>15</quota>", 15ull << 50 },
        { "<quota> 12 </quota>", 12 },                          /* whitespace around text */
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(ok); i++) {
        _cleanup_free_ char *xml = NULL;
        struct tnet *net;

        ck_assert_int_ge(asprintf(&xml, "<network><name>lan</name>%s</network>", ok[i].elem), 0);
        net = parse_ok(xml);
        ck_assert_msg(net->quota_kib == ok[i].kib, "%s: %llu", ok[i].elem, net->quota_kib);
        tnet_free(net);
    }
    ck_assert_uint_eq(mv_xml_unit_scale("PB"), 1000ull * 1000 * 1000 * 1000 * 1000);
    ck_assert_uint_eq(mv_xml_unit_scale("kiB"), 1024);
    ck_assert_uint_eq(mv_xml_unit_scale("KiBi"), 0);
    ck_assert_uint_eq(mv_xml_unit_scale(""), 0);
    ck_assert_uint_eq(mv_xml_unit_scale("Z"), 0);

    refused("network", NET("  <quota unit='parsec'>1</quota>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value 'parsec' of <quota unit=...> in network 'lan'");
    refused("network", NET("  <quota unit='EiB'>16</quota>\n"), MV_ERR_XML_DETAIL,
            "XML error: value '16' EiB of <quota> is too large in network 'lan'");
    refused("network", NET("  <quota>18446744073709551615</quota>\n"), MV_ERR_XML_DETAIL,
            "XML error: value '18446744073709551615' KiB of <quota> is too large in network 'lan'");
    refused("network", NET("  <quota>0</quota>\n"), MV_ERR_XML_DETAIL,
            "XML error: <quota> must be greater than zero in network 'lan'");
    refused("network", NET("  <quota>1.5</quota>\n"), MV_ERR_XML_DETAIL,
            "XML error: invalid value '1.5' of <quota> in network 'lan'");
    refused("network", NET("  <quota size='1'>1</quota>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown attribute 'size' of <quota> in network 'lan'");
}
END_TEST

START_TEST(test_duplicates)
{
    refused("network", NET("  <bridge name='a'/>\n  <bridge name='b'/>\n"), MV_ERR_XML_DETAIL,
            "XML error: element <bridge> given more than once in network 'lan'");
    refused("network", NET("  <ip address='a'><tftp root='/a'/><tftp root='/b'/></ip>\n"), MV_ERR_XML_DETAIL,
            "XML error: element <ip><tftp> given more than once in network 'lan'");
    refused("network", NET("  <name>lan</name>\n"), MV_ERR_XML_DETAIL,
            "XML error: element <name> given more than once in network 'lan'");
}
END_TEST

START_TEST(test_text_where_none_allowed)
{
    refused("network", NET("  stray\n"), MV_ERR_XML_DETAIL,
            "XML error: unexpected text 'stray' in <network> in network 'lan'");
    refused("network", NET("  <bridge name='b'>hello</bridge>\n"), MV_ERR_XML_DETAIL,
            "XML error: unexpected text 'hello' in <bridge> in network 'lan'");
    refused("network", NET("  <ip address='a'><dhcp><![CDATA[x]]></dhcp></ip>\n"), MV_ERR_XML_DETAIL,
            "XML error: unexpected text 'x' in <ip><dhcp> in network 'lan'");
    refused("network", NET("  <?pi data?>\n"), MV_ERR_XML_DETAIL,
            "XML error: unexpected processing instruction <?pi?> in <network> in network 'lan'");
    /* a text element holds no elements */
    refused("network", NET("  <title>a<b/></title>\n"), MV_ERR_CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown element <title><b> in network 'lan'");
}
END_TEST

START_TEST(test_root_and_name)
{
    refused("network", "<domain><name>lan</name></domain>", MV_ERR_XML_ERROR,
            "XML error: expected <network> as the root element, not <domain>");
    refused("network", "<network xmlns='urn:n'><name>lan</name></network>", MV_ERR_XML_ERROR,
            "XML error: the root element <network> must not be in an XML namespace");
    /* no name known yet: the message cannot name the object */
    refused("network", "<network><bridge/></network>", MV_ERR_XML_DETAIL, "XML error: missing <name> of the network");
    refused("pool", "<network><name>a/b</name></network>", MV_ERR_XML_DETAIL,
            "XML error: invalid pool name 'a/b': names must not contain '/'");
    refused("network", "<network><name></name></network>", MV_ERR_XML_DETAIL,
            "XML error: invalid network name: names must not be empty");
}
END_TEST

START_TEST(test_name_length)
{
    char name[300];
    _cleanup_free_ char *xml = NULL;
    struct tnet *net;

    /* .NAME.xml.XXXXXX, the temporary copy of NAME.xml, must fit in a file name */
    memset(name, 'n', 243);
    name[243] = '\0';
    ck_assert_int_ge(asprintf(&xml, "<network><name>%s</name></network>", name), 0);
    net = parse_ok(xml);
    ck_assert_uint_eq(strlen(net->name), 243);
    tnet_free(net);
    free(xml);
    name[243] = 'n';
    name[244] = '\0';
    ck_assert_int_ge(asprintf(&xml, "<network><name>%s</name></network>", name), 0);
    refused("network", xml, MV_ERR_XML_DETAIL,
            "XML error: invalid network name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...': "
            "names must be at most 243 bytes long (the configuration file's temporary copy, '.NAME.xml.XXXXXX', "
            "adds 12 bytes)");
}
END_TEST

START_TEST(test_first_error_wins)
{
    struct mv_xml_ctx c = { .kind = "network", .name = "lan" };

    ck_assert_int_eq(mv_xml_fail(&c, MV_ERR_XML_DETAIL, "first %d", 1), -EINVAL);
    ck_assert_int_eq(mv_xml_fail(&c, MV_ERR_CONFIG_UNSUPPORTED, "second"), -EINVAL);
    ck_assert_str_eq(c.errmsg, "XML error: first 1 in network 'lan'");
    ck_assert_int_eq(c.errcode, MV_ERR_XML_DETAIL);
    free(c.errmsg);
}
END_TEST

START_TEST(test_value_helpers)
{
    unsigned long long v = 99;

    ck_assert_int_eq(mv_xml_parse_ull("0x1F", true, &v), 0);
    ck_assert_uint_eq(v, 31);
    ck_assert_int_eq(mv_xml_parse_ull("0x1F", false, &v), -EINVAL);
    ck_assert_int_eq(mv_xml_parse_ull("", false, &v), -EINVAL);
    ck_assert_int_eq(mv_xml_parse_ull("0x", true, &v), -EINVAL);
    ck_assert_int_eq(mv_xml_parse_ull("+1", false, &v), -EINVAL);
    ck_assert_int_eq(mv_xml_parse_ull("18446744073709551616", false, &v), -EINVAL);
    ck_assert_uint_eq(v, 31);
    ck_assert(mv_xml_token_ok("a-b.c", "-."));
    ck_assert(!mv_xml_token_ok("a b", "-."));
    ck_assert(!mv_xml_token_ok("", "-."));
    ck_assert(mv_xml_is_blank(BAD_CAST " \t\r\n"));
    ck_assert(!mv_xml_is_blank(BAD_CAST " x "));
}
END_TEST

/* ---- formatting (xml_format.h): what was parsed comes back ---- */

static const char *const fwd_names[] = { NULL, "nat", "route", "open" };

static int tnet_format(const struct tnet *net, char **xml)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    int r = mv_xml_out_open(&o);

    if (r < 0)
        return r;
    mv_xml_out_start(&o, "network");
    mv_xml_out_text_elem(&o, "name", net->name);
    mv_xml_out_uuid(&o, net->uuid);
    mv_xml_out_text_elem(&o, "title", net->title);
    mv_xml_out_text_elem(&o, "description", net->description);
    mv_xml_out_metadata(&o, net->metadata);
    mv_xml_out_leaf(&o, "forward", "mode", fwd_names[net->forward]);
    if (net->bridge) {
        mv_xml_out_start(&o, "bridge");
        mv_xml_out_attr(&o, "name", net->bridge);
        mv_xml_out_attr(&o, "stp", net->stp ? "on" : "off");
        mv_xml_out_attrf(&o, "delay", "%u", net->delay);
        mv_xml_out_end(&o);
    }
    for (size_t i = 0; i < net->nips; i++)
        mv_xml_out_leaf(&o, "ip", "address", net->ips[i].address);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, xml);
}

START_TEST(test_format_roundtrip)
{
    static const char *const expected =
        "<network>\n"
        "  <name>lan</name>\n"
        "  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>\n"
        "  <title>A &amp; B</title>\n"
        "  <description>two\nlines &lt;x&gt;</description>\n"
        "  <metadata>\n"
        "    <app:x xmlns:app=\"urn:app\" a=\"1\"/>\n"
        "    <y xmlns=\"urn:y\">t</y>\n"
        "  </metadata>\n"
        "  <forward mode=\"nat\"/>\n"
        "  <bridge name=\"virbr0\" stp=\"on\" delay=\"0\"/>\n"
        "  <ip address=\"10.0.0.1\"/>\n"
        "  <ip address=\"fd00::1\"/>\n"
        "</network>\n";
    struct tnet *net = parse_ok("<network xmlns:app='urn:app'>\n"
                                "  <name>lan</name>\n"
                                "  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>\n"
                                "  <title>A &amp; B</title>\n"
                                "  <description>two\nlines &lt;x&gt;</description>\n"
                                "  <metadata>\n"
                                "    <app:x a='1'/>\n"
                                "    <y xmlns='urn:y'>t</y>\n"
                                "  </metadata>\n"
                                "  <forward mode='nat'/>\n"
                                "  <bridge name='virbr0' stp='on'/>\n"
                                "  <ip address='10.0.0.1'/><ip address='fd00::1'/>\n"
                                "</network>\n");
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *again = NULL;
    struct tnet *back;

    ck_assert_int_eq(tnet_format(net, &xml), 0);
    ck_assert_str_eq(xml, expected);
    /* and it parses back to the same text */
    back = parse_ok(xml);
    ck_assert_int_eq(tnet_format(back, &again), 0);
    ck_assert_str_eq(again, xml);
    tnet_free(back);
    tnet_free(net);
}
END_TEST

START_TEST(test_format_refuses_unparseable)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = (char *)"untouched";

    /* a control character would not parse back: refused, not written */
    ck_assert_int_eq(mv_xml_out_open(&o), 0);
    mv_xml_out_start(&o, "network");
    mv_xml_out_text_elem(&o, "name", "a\001b");
    mv_xml_out_end(&o);
    ck_assert_int_eq(mv_xml_out_finish(&o, &xml), -EILSEQ);
    ck_assert_str_eq(xml, "untouched");
    /* calls after a failure are no-ops, and the failure is reported once */
    ck_assert_int_eq(mv_xml_out_open(&o), 0);
    mv_xml_out_end(&o);             /* nothing open: fails */
    ck_assert(o.failed);
    mv_xml_out_start(&o, "network");
    mv_xml_out_end(&o);
    ck_assert_int_eq(mv_xml_out_finish(&o, &xml), -ENOMEM);
    ck_assert_str_eq(xml, "untouched");
}
END_TEST

static Suite *strict_suite(void)
{
    Suite *s = suite_create("xml_strict");
    TCase *tc = tcase_create("network-like schema");

    tcase_add_test(tc, test_accepts_and_stores);
    tcase_add_test(tc, test_unknown_element);
    tcase_add_test(tc, test_namespaced_element);
    tcase_add_test(tc, test_unknown_attribute);
    tcase_add_test(tc, test_enums_and_values);
    tcase_add_test(tc, test_units);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_text_where_none_allowed);
    tcase_add_test(tc, test_root_and_name);
    tcase_add_test(tc, test_name_length);
    tcase_add_test(tc, test_first_error_wins);
    tcase_add_test(tc, test_value_helpers);
    suite_add_tcase(s, tc);
    tc = tcase_create("formatting");
    tcase_add_test(tc, test_format_roundtrip);
    tcase_add_test(tc, test_format_refuses_unparseable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(strict_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
