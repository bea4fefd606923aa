#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "testutil.h"
#include "file.h"
#include "xml.h"

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_common_xml");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

/* Parses TEXT, which must fail with -EINVAL; returns the message. */
static char *parse_bad(const char *text)
{
    xmlDocPtr doc = (xmlDocPtr)0x1;
    char *err = NULL;

    ck_assert_int_eq(mv_xml_parse(text, "domain definition", &doc, &err), -EINVAL);
    ck_assert_ptr_eq(doc, (xmlDocPtr)0x1);
    ck_assert_ptr_nonnull(err);
    return err;
}

static xmlXPathContextPtr context_for(xmlDocPtr doc)
{
    xmlXPathContextPtr ctxt = NULL;

    ck_assert_int_eq(mv_xpath_context_new(doc, &ctxt), 0);
    ck_assert_ptr_nonnull(ctxt);
    return ctxt;
}

START_TEST(test_parse_good)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctxt = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *name = NULL;
    _cleanup_free_ char *desc = NULL;

    ck_assert_int_eq(mv_xml_parse("<?xml version='1.0'?>\n"
                                  "<domain type='kvm'>\n"
                                  "  <name>vm&amp;1</name>\n"
                                  "  <description>&lt;&#65;&#x42;&gt; caf\xc3\xa9</description>\n"
                                  "  <!-- a comment -->\n"
                                  "  <memory unit='KiB'>1048576</memory>\n"
                                  "</domain>\n", "domain definition", &doc, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq((const char *)xmlDocGetRootElement(doc)->name, "domain");
    ctxt = context_for(doc);
    name = mv_xpath_string(ctxt, "string(./name)");
    ck_assert_str_eq(name, "vm&1");
    desc = mv_xpath_string(ctxt, "./description");
    ck_assert_str_eq(desc, "<AB> caf\xc3\xa9");
}
END_TEST

START_TEST(test_parse_syntax_errors)
{
    char *err;

    err = parse_bad("<domain>\n  <name>x\n</domain>");
    ck_assert_str_eq(err, "XML error in domain definition: line 3: "
                          "Opening and ending tag mismatch: name line 2 and domain");
    free(err);
    err = parse_bad("<domain><name>x</name>");          /* truncated */
    ck_assert_str_eq(err, "XML error in domain definition: line 1: "
                          "Premature end of data in tag domain line 1");
    free(err);
    err = parse_bad("<domain><na");                      /* cut inside a tag */
    ck_assert_ptr_nonnull(strstr(err, "XML error in domain definition: line 1: "));
    free(err);
    err = parse_bad("");
    ck_assert_str_eq(err, "XML error in domain definition: line 1: Document is empty");
    free(err);
    err = parse_bad("   \n  ");
    ck_assert_str_eq(err, "XML error in domain definition: line 2: Start tag expected, '<' not found");
    free(err);
    err = parse_bad("<a/><b/>");
    ck_assert_str_eq(err, "XML error in domain definition: line 1: Extra content at the end of the document");
    free(err);
    err = parse_bad("<a>&undefined;</a>");
    ck_assert_str_eq(err, "XML error in domain definition: line 1: Entity 'undefined' not defined");
    free(err);
    err = parse_bad("<a>bad \xff byte</a>");
    ck_assert_ptr_nonnull(strstr(err, "XML error in domain definition: line 1: Input is not proper UTF-8"));
    ck_assert_ptr_null(strchr(err, '\n'));
    free(err);
    err = parse_bad("<a b='1' b='2'/>");
    ck_assert_str_eq(err, "XML error in domain definition: line 1: Attribute b redefined");
    free(err);
}
END_TEST

START_TEST(test_billion_laughs)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<lolz a=\"&lol9;\">&lol9;</lolz>\n";
    char *err;

    /* refused at the door, by our check, not after expanding a gigabyte */
    err = parse_bad(bomb);
    ck_assert_str_eq(err, "XML error in domain definition: line 2: DOCTYPE declarations are not allowed");
    free(err);
}
END_TEST

START_TEST(test_external_entities)
{
    _cleanup_free_ char *secret = NULL;
    _cleanup_free_ char *doc1 = NULL;
    _cleanup_free_ char *doc2 = NULL;
    _cleanup_free_ char *doc3 = NULL;
    const char *marker = "TOP-SECRET-MARKER-4711";
    char *err;

    ck_assert_int_gt(asprintf(&secret, "%s/secret", tmpdir), 0);
    ck_assert_int_eq(mv_file_write_atomic(secret, marker, strlen(marker), 0644), 0);

    err = parse_bad("<?xml version=\"1.0\"?>\n"
                    "<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                    "<foo>&xxe;</foo>\n");
    ck_assert_str_eq(err, "XML error in domain definition: line 2: DOCTYPE declarations are not allowed");
    ck_assert_ptr_null(strstr(err, "root:"));
    free(err);

    ck_assert_int_gt(asprintf(&doc1, "<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file://%s\"> ]>\n"
                                     "<foo a=\"x\">&xxe;</foo>", secret), 0);
    err = parse_bad(doc1);
    ck_assert_ptr_null(strstr(err, marker));
    ck_assert_ptr_nonnull(strstr(err, "DOCTYPE declarations are not allowed"));
    free(err);

    /* parameter entity pulled into the internal subset */
    ck_assert_int_gt(asprintf(&doc2, "<!DOCTYPE foo [ <!ENTITY %% p SYSTEM \"%s\"> %%p; ]>\n"
                                     "<foo/>", secret), 0);
    err = parse_bad(doc2);
    ck_assert_ptr_null(strstr(err, marker));
    ck_assert_ptr_nonnull(strstr(err, "DOCTYPE declarations are not allowed"));
    free(err);

    /* external DTD subset only */
    ck_assert_int_gt(asprintf(&doc3, "<!DOCTYPE foo SYSTEM \"%s\">\n<foo/>", secret), 0);
    err = parse_bad(doc3);
    ck_assert_ptr_nonnull(strstr(err, "DOCTYPE declarations are not allowed"));
    free(err);

    err = parse_bad("<!DOCTYPE foo PUBLIC \"-//x//y\" \"http://127.0.0.1:1/evil.dtd\"><foo/>");
    ck_assert_ptr_nonnull(strstr(err, "DOCTYPE declarations are not allowed"));
    free(err);
}
END_TEST

START_TEST(test_xinclude_not_processed)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctxt = NULL;
    _cleanup_free_ char *text = NULL;

    ck_assert_int_eq(mv_xml_parse("<a xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
                                  "<xi:include href=\"/etc/passwd\" parse=\"text\"/></a>",
                                  "domain definition", &doc, NULL), 0);
    ctxt = context_for(doc);
    text = mv_xpath_string(ctxt, "string(/a)");
    ck_assert_ptr_null(text);                   /* nothing was pulled in */
    ck_assert_int_eq(mv_xpath_nodes(ctxt, "/a/*", NULL), 1);
}
END_TEST

START_TEST(test_deep_nesting)
{
    size_t depth = 100000;
    _cleanup_free_ char *text = malloc(depth * 7 + 1);
    char *p = text;
    char *err;

    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < depth; i++)
        p = stpcpy(p, "<a>");
    for (size_t i = 0; i < depth; i++)
        p = stpcpy(p, "</a>");
    err = parse_bad(text);
    ck_assert_ptr_nonnull(strstr(err, "XML error in domain definition: line 1: "));
    ck_assert_ptr_nonnull(strstr(err, "Excessive depth"));
    free(err);
}
END_TEST

/* TEXT: <a/> with N attributes, each value holding an '=' and a '>', after
 * a comment and a CDATA section full of '=' (none of which count). */
static char *attrs_doc(size_t n)
{
    char *text = malloc(n * 24 + 256), *p = text;

    ck_assert_ptr_nonnull(text);
    p = stpcpy(p, "<!-- a=1 b=2 c=3 d=4 --><r><![CDATA[x=1 y=2 z=3]]>\n<a");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, " a%zu='=>%zu'", i, i);
    stpcpy(p, "/></r>");
    return text;
}

START_TEST(test_attribute_flood)
{
    _cleanup_free_ char *ok = attrs_doc(256), *flood = attrs_doc(100000);
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    char *err = NULL;

    ck_assert_int_eq(mv_xml_parse(ok, "domain definition", &doc, &err), 0);
    ck_assert_ptr_null(err);
    /* our count refuses it before libxml2 sees it (libxml2 2.9 alone takes
     * minutes: each attribute is compared with all before it); the speed
     * itself is for benchmarks, the message shows whose check answered */
    err = parse_bad(flood);
    ck_assert_str_eq(err, "XML error in domain definition: line 2: an element with more than 256 attributes");
    free(err);
}
END_TEST

START_TEST(test_size_limit)
{
    /* a valid document of exactly MV_XML_DOC_MAX bytes, then one byte more */
    size_t len = MV_XML_DOC_MAX;
    _cleanup_free_ char *text = malloc(len + 2);
    _cleanup_free_ char *err = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    xmlDocPtr none = NULL;

    ck_assert_ptr_nonnull(text);
    memcpy(text, "<a>", 3);
    memset(text + 3, 'x', len - 7);
    memcpy(text + len - 4, "</a>", 5);
    ck_assert_uint_eq(strlen(text), MV_XML_DOC_MAX);
    ck_assert_int_eq(mv_xml_parse(text, "domain definition", &doc, &err), 0);
    ck_assert_ptr_nonnull(doc);

    memcpy(text + len - 4, "x</a>", 6);
    ck_assert_int_eq(mv_xml_parse(text, "domain definition", &none, &err), -EFBIG);
    ck_assert_str_eq(err, "XML error in domain definition: document larger than 10485760 bytes");
    ck_assert_ptr_null(none);
}
END_TEST

START_TEST(test_xpath)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctxt = NULL;
    _cleanup_free_ xmlNodePtr *nodes = NULL;
    _cleanup_free_ char *s = NULL;
    unsigned long long v = 12345;
    xmlNodePtr *none = (xmlNodePtr *)0x1;

    ck_assert_int_eq(mv_xml_parse("<domain>\n"
                                  "  <name>vm1</name>\n"
                                  "  <empty/>\n"
                                  "  <memory unit='KiB'>1048576</memory>\n"
                                  "  <vcpu>4</vcpu>\n"
                                  "  <max>18446744073709551615</max>\n"
                                  "  <over>18446744073709551616</over>\n"
                                  "  <neg>-1</neg>\n"
                                  "  <hex>0x10</hex>\n"
                                  "  <spaced> 7</spaced>\n"
                                  "  <mixed>12abc</mixed>\n"
                                  "  <disk dev='vda'/><disk dev='vdb'/><disk dev='vdc'/>\n"
                                  "</domain>", "domain definition", &doc, NULL), 0);
    ctxt = context_for(doc);

    s = mv_xpath_string(ctxt, "./name");
    ck_assert_str_eq(s, "vm1");
    free(s);
    s = mv_xpath_string(ctxt, "string(./memory/@unit)");
    ck_assert_str_eq(s, "KiB");
    free(s);
    s = mv_xpath_string(ctxt, "./disk/@dev");           /* first in document order */
    ck_assert_str_eq(s, "vda");
    free(s);
    s = NULL;
    ck_assert_ptr_null(mv_xpath_string(ctxt, "./empty"));
    ck_assert_ptr_null(mv_xpath_string(ctxt, "./missing"));
    ck_assert_ptr_null(mv_xpath_string(ctxt, "./name/@nope"));
    ck_assert_ptr_null(mv_xpath_string(ctxt, "((bad expression"));

    ck_assert_int_eq(mv_xpath_ulong(ctxt, "string(./memory)", &v), 1);
    ck_assert(v == 1048576ULL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./vcpu", &v), 1);
    ck_assert(v == 4);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./max", &v), 1);
    ck_assert(v == 18446744073709551615ULL);
    v = 99;
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./missing", &v), 0);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./empty", &v), 0);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./over", &v), -EINVAL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./neg", &v), -EINVAL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./hex", &v), -EINVAL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./spaced", &v), -EINVAL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./mixed", &v), -EINVAL);
    ck_assert_int_eq(mv_xpath_ulong(ctxt, "./name", &v), -EINVAL);
    ck_assert(v == 99);

    ck_assert_int_eq(mv_xpath_nodes(ctxt, "./disk", &nodes), 3);
    ck_assert_ptr_nonnull(nodes);
    for (int i = 0; i < 3; i++) {
        _cleanup_xmlfree_ xmlChar *dev = xmlGetProp(nodes[i], BAD_CAST "dev");
        char want[4] = { 'v', 'd', (char)('a' + i), '\0' };

        ck_assert_str_eq((const char *)dev, want);
    }
    ck_assert_int_eq(mv_xpath_nodes(ctxt, "./nothing", &none), 0);
    ck_assert_ptr_null(none);
    ck_assert_int_eq(mv_xpath_nodes(ctxt, "//disk", NULL), 3);
    none = (xmlNodePtr *)0x1;
    ck_assert_int_eq(mv_xpath_nodes(ctxt, "count(./disk)", &none), -EINVAL);
    ck_assert_int_eq(mv_xpath_nodes(ctxt, "][", &none), -EINVAL);
    ck_assert_ptr_eq(none, (xmlNodePtr *)0x1);
}
END_TEST

START_TEST(test_writer)
{
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_free_ char *out = NULL;
    xmlTextWriterPtr x;

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    x = w.writer;
    ck_assert_int_ge(xmlTextWriterStartElement(x, BAD_CAST "domain"), 0);
    ck_assert_int_ge(xmlTextWriterWriteAttribute(x, BAD_CAST "type", BAD_CAST "kvm"), 0);
    ck_assert_int_ge(xmlTextWriterWriteElement(x, BAD_CAST "name", BAD_CAST "a<b>&\"c'"), 0);
    ck_assert_int_ge(xmlTextWriterStartElement(x, BAD_CAST "devices"), 0);
    ck_assert_int_ge(xmlTextWriterStartElement(x, BAD_CAST "disk"), 0);
    ck_assert_int_ge(xmlTextWriterWriteAttribute(x, BAD_CAST "file", BAD_CAST "/x/\"q\"<&>.img"), 0);
    ck_assert_int_ge(xmlTextWriterEndElement(x), 0);
    ck_assert_int_ge(xmlTextWriterWriteElement(x, BAD_CAST "title", BAD_CAST "caf\xc3\xa9"), 0);
    /* devices and domain left open: finish closes them */
    ck_assert_int_eq(mv_xml_writer_finish(&w, &out), 0);
    ck_assert_ptr_null(w.writer);
    ck_assert_ptr_null(w.buf);
    ck_assert_str_eq(out,
                     "<domain type=\"kvm\">\n"
                     "  <name>a&lt;b&gt;&amp;&quot;c'</name>\n"
                     "  <devices>\n"
                     "    <disk file=\"/x/&quot;q&quot;&lt;&amp;&gt;.img\"/>\n"
                     "    <title>caf\xc3\xa9</title>\n"
                     "  </devices>\n"
                     "</domain>\n");
}
END_TEST

START_TEST(test_writer_roundtrip)
{
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_free_ char *out = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctxt = NULL;
    _cleanup_free_ char *back = NULL;
    const char *nasty = "]]><!DOCTYPE x [<!ENTITY e \"&amp;\">]>&e;\t<\"'>\xe2\x82\xac";

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    ck_assert_int_ge(xmlTextWriterStartElement(w.writer, BAD_CAST "r"), 0);
    ck_assert_int_ge(xmlTextWriterWriteAttribute(w.writer, BAD_CAST "v", BAD_CAST nasty), 0);
    ck_assert_int_ge(xmlTextWriterWriteElement(w.writer, BAD_CAST "t", BAD_CAST nasty), 0);
    ck_assert_int_eq(mv_xml_writer_finish(&w, &out), 0);
    ck_assert_int_eq(mv_xml_parse(out, "round trip", &doc, NULL), 0);
    ctxt = context_for(doc);
    back = mv_xpath_string(ctxt, "/r/@v");
    ck_assert_str_eq(back, nasty);
    free(back);
    back = mv_xpath_string(ctxt, "/r/t");
    ck_assert_str_eq(back, nasty);
}
END_TEST

START_TEST(test_writer_empty_and_discard)
{
    struct mv_xml_writer w = { 0 };
    char *out = (char *)0x1;

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    ck_assert_int_eq(mv_xml_writer_finish(&w, &out), -EINVAL);
    ck_assert_ptr_eq(out, (char *)0x1);
    ck_assert_ptr_null(w.writer);
    /* finishing a released writer is an error, not a crash */
    ck_assert_int_eq(mv_xml_writer_finish(&w, &out), -EINVAL);

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    ck_assert_int_ge(xmlTextWriterStartElement(w.writer, BAD_CAST "x"), 0);
    mv_xml_writer_discard(&w);
    ck_assert_ptr_null(w.writer);
    ck_assert_ptr_null(w.buf);
    mv_xml_writer_discard(&w);          /* twice is fine */

    /* a single empty element */
    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    ck_assert_int_ge(xmlTextWriterStartElement(w.writer, BAD_CAST "x"), 0);
    ck_assert_int_eq(mv_xml_writer_finish(&w, &out), 0);
    ck_assert_str_eq(out, "<x/>\n");
    free(out);
}
END_TEST

START_TEST(test_writer_refuses_unparseable)
{
    static const char *const bad[] = { "ctl\x01", "esc\x1b[0m", "del-is-fine\x7f-but-stx-is-not\x02", "broken\xff" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
        char *out = (char *)0x1;

        ck_assert_int_eq(mv_xml_writer_open(&w), 0);
        ck_assert_int_ge(xmlTextWriterStartElement(w.writer, BAD_CAST "a"), 0);
        ck_assert_int_ge(xmlTextWriterWriteString(w.writer, BAD_CAST bad[i]), 0);
        ck_assert_int_eq(mv_xml_writer_finish(&w, &out), -EILSEQ);
        ck_assert_ptr_eq(out, (char *)0x1);
        ck_assert_ptr_null(w.writer);
    }
    {
        /* control characters in attributes too */
        _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
        char *out = (char *)0x1;

        ck_assert_int_eq(mv_xml_writer_open(&w), 0);
        ck_assert_int_ge(xmlTextWriterStartElement(w.writer, BAD_CAST "a"), 0);
        ck_assert_int_ge(xmlTextWriterWriteAttribute(w.writer, BAD_CAST "v", BAD_CAST "x\x01"), 0);
        ck_assert_int_eq(mv_xml_writer_finish(&w, &out), -EILSEQ);
        ck_assert_ptr_eq(out, (char *)0x1);
    }
}
END_TEST

static Suite *xml_suite(void)
{
    Suite *s = suite_create("common_xml");
    TCase *tp = tcase_create("parse");
    TCase *tx = tcase_create("xpath");
    TCase *tw = tcase_create("writer");

    tcase_add_unchecked_fixture(tp, tmpdir_setup, tmpdir_teardown);
    tcase_set_timeout(tp, 30);          /* the 10 MiB documents under sanitizers */
    tcase_add_test(tp, test_parse_good);
    tcase_add_test(tp, test_parse_syntax_errors);
    tcase_add_test(tp, test_billion_laughs);
    tcase_add_test(tp, test_external_entities);
    tcase_add_test(tp, test_xinclude_not_processed);
    tcase_add_test(tp, test_deep_nesting);
    tcase_add_test(tp, test_attribute_flood);
    tcase_add_test(tp, test_size_limit);
    suite_add_tcase(s, tp);
    tcase_add_test(tx, test_xpath);
    suite_add_tcase(s, tx);
    tcase_add_test(tw, test_writer);
    tcase_add_test(tw, test_writer_roundtrip);
    tcase_add_test(tw, test_writer_empty_and_discard);
    tcase_add_test(tw, test_writer_refuses_unparseable);
    suite_add_tcase(s, tw);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xml_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
