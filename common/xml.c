#define MV_LOG_MODULE "xml"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/xpathInternals.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "utf8.h"
#include "xml.h"

MV_DEFINE_CLEANUP(xmlParserCtxt, xmlFreeParserCtxt)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 wants one initialisation before threads use it. */
static void xml_init(void)
{
    xmlInitParser();
}

#if LIBXML_VERSION >= 21200
typedef const xmlError *mv_xml_error_ptr;
#else
typedef xmlErrorPtr mv_xml_error_ptr;
#endif

/* What the hooks below saw while parsing. */
struct parse_state {
    bool doctype;               /* a DOCTYPE stopped the parser */
    int line;
    bool no_memory;
    char *first_error;          /* the first error explains; later ones follow from it */
    int first_error_line;
};

/* Documents we accept never need a DOCTYPE, and refusing it at the door
 * shuts out every entity trick (billion laughs, external entities, parameter
 * entities) whatever the libxml2 version or its global defaults. */
static void reject_doctype(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;

    if (!st->doctype) {
        st->doctype = true;
        st->line = xmlSAX2GetLineNumber(ctxt);
    }
    ctxt->wellFormed = 0;
    xmlStopParser(ctxt);
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    reject_doctype(ctx);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
                           const xmlChar *sid, xmlChar *content)
{
    reject_doctype(ctx);
}

static void on_error(void *ctx, mv_xml_error_ptr err)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;

    if (!err || err->level < XML_ERR_ERROR)
        return;
    if (err->code == XML_ERR_NO_MEMORY)
        st->no_memory = true;
    if (!st->first_error && err->message) {
        st->first_error = strdup(err->message);
        st->first_error_line = err->line;
    }
}

/* libxml2 messages end in a newline and quote document text: keep them on
 * one clean line. */
static char *clean_message(const char *msg)
{
    char *s = strdup(msg ? msg : "unknown error");
    size_t len;

    if (!s)
        return NULL;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
        s[--len] = '\0';
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return s;
}

/* Where TEXT's markup section starting at I ends ("-->", "]]>", "?>"), or
 * NULL if I starts none: they may hold any number of '='. */
static const char *markup_end(const char *text, size_t i)
{
    static const char *const kinds[][2] = { { "<!--", "-->" }, { "<![CDATA[", "]]>" }, { "<?", "?>" } };

    for (size_t k = 0; k < MV_ARRAY_SIZE(kinds); k++)
        if (strncmp(text + i, kinds[k][0], strlen(kinds[k][0])) == 0)
            return kinds[k][1];
    return NULL;
}

/* libxml2 before 2.11 compares each attribute of a start tag with every
 * earlier one: an element with 100000 attributes takes minutes.  This
 * linear scan finds a start tag with more than MV_XML_ATTRS_MAX before
 * libxml2 sees it, counting the '=' outside quoted values, comments, CDATA
 * and processing instructions.  Its line, or 0 if there is none.  TEXT is
 * NUL-terminated at LEN. */
static int attr_flood_line(const char *text, size_t len)
{
    const char *end = NULL;
    char quote = 0;
    bool in_tag = false;
    int line = 1, tag_line = 0, count = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = text[i];

        if (ch == '\n')
            line++;
        if (end) {                      /* in a comment, CDATA or PI */
            if (strncmp(text + i, end, strlen(end)) == 0) {
                i += strlen(end) - 1;
                end = NULL;
            }
        } else if (quote) {
            if (ch == quote)
                quote = 0;
        } else if (in_tag) {
            if (ch == '"' || ch == '\'')
                quote = ch;
            else if (ch == '>')
                in_tag = false;
            else if (ch == '=' && ++count > MV_XML_ATTRS_MAX)
                return tag_line;
        } else if (ch == '<' && !(end = markup_end(text, i))) {
            in_tag = true;
            tag_line = line;
            count = 0;
        }
    }
    return 0;
}

int mv_xml_parse(const char *text, const char *what, xmlDocPtr *doc, char **errmsg)
{
    _cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
    _cleanup_xmldoc_ xmlDocPtr d = NULL;
    struct parse_state st = { 0 };
    _cleanup_free_ char *first = NULL;
    _cleanup_free_ char *msg = NULL;
    size_t len;
    int flood;

    if (!what)
        what = "document";
    if (!text)
        return -EINVAL;
    len = strnlen(text, (size_t)MV_XML_DOC_MAX + 1);
    if (len > MV_XML_DOC_MAX)
        return mv_errmsg_set(errmsg, -EFBIG, "XML error in %s: document larger than %d bytes",
                             what, MV_XML_DOC_MAX);
    if ((flood = attr_flood_line(text, len)) > 0)
        return mv_errmsg_set(errmsg, -EINVAL, "XML error in %s: line %d: an element with more than %d attributes",
                             what, flood, MV_XML_ATTRS_MAX);
    pthread_once(&xml_once, xml_init);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return -ENOMEM;
    ctxt->_private = &st;
    ctxt->sax->internalSubset = on_internal_subset;
    ctxt->sax->externalSubset = on_internal_subset;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->serror = on_error;
    /* NOENT, DTDLOAD, DTDATTR, XINCLUDE and HUGE stay off on purpose */
    d = xmlCtxtReadMemory(ctxt, text, (int)len, NULL, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    first = st.first_error;
    if (st.doctype)
        return mv_errmsg_set(errmsg, -EINVAL, "XML error in %s: line %d: DOCTYPE declarations are not allowed",
                             what, st.line);
    if (st.no_memory)
        return -ENOMEM;
    if (!d || !ctxt->wellFormed) {
        msg = clean_message(first);
        return mv_errmsg_set(errmsg, -EINVAL, "XML error in %s: line %d: %s",
                             what, st.first_error_line, msg ? msg : "unknown error");
    }
    if (!xmlDocGetRootElement(d))
        return mv_errmsg_set(errmsg, -EINVAL, "XML error in %s: no root element", what);
    *doc = TAKE_PTR(d);
    return 0;
}

/* Expressions are constants in our code; a bad one is reported by the
 * getter's return value, not by libxml2 printing to stderr. */
static void xpath_quiet(void *ctx, mv_xml_error_ptr err)
{
}

int mv_xml_parse_reported(const char *text, const char *what, xmlDocPtr *doc, char **errmsg)
{
    char *msg = NULL;
    int r = mv_xml_parse(text, what, doc, &msg);

    if (r == -ENOMEM) {
        free(msg);
        msg = NULL;
    } else if (r < 0 && !msg && asprintf(&msg, "XML error: cannot parse the %s", what) < 0) {
        msg = NULL;
    }
    *errmsg = msg;
    return r;
}

int mv_xpath_context_new(xmlDocPtr doc, xmlXPathContextPtr *ret)
{
    xmlXPathContextPtr ctxt;

    if (!doc)
        return -EINVAL;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt)
        return -ENOMEM;
    ctxt->node = xmlDocGetRootElement(doc);
    ctxt->error = xpath_quiet;
    *ret = ctxt;
    return 0;
}

char *mv_xpath_string(xmlXPathContextPtr ctxt, const char *expr)
{
    _cleanup_xpathobj_ xmlXPathObjectPtr obj = NULL;
    _cleanup_xmlfree_ xmlChar *s = NULL;

    if (!ctxt || !expr)
        return NULL;
    obj = xmlXPathEval(BAD_CAST expr, ctxt);
    if (!obj)
        return NULL;
    s = xmlXPathCastToString(obj);
    if (!s || !*s)
        return NULL;
    /* callers free with free(), which xmlFree need not be */
    return strdup((const char *)s);
}

int mv_xpath_ulong(xmlXPathContextPtr ctxt, const char *expr, unsigned long long *out)
{
    _cleanup_free_ char *s = mv_xpath_string(ctxt, expr);
    unsigned long long v;
    char *end;

    if (!s)
        return 0;
    /* strtoull alone would take "-1", " 7" and "0x10" */
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end)
        return -EINVAL;
    *out = v;
    return 1;
}

int mv_xpath_nodes(xmlXPathContextPtr ctxt, const char *expr, xmlNodePtr **nodes)
{
    _cleanup_xpathobj_ xmlXPathObjectPtr obj = NULL;
    xmlNodePtr *copy;
    int n;

    if (!ctxt || !expr)
        return -EINVAL;
    obj = xmlXPathEval(BAD_CAST expr, ctxt);
    if (!obj || obj->type != XPATH_NODESET)
        return -EINVAL;
    n = obj->nodesetval ? obj->nodesetval->nodeNr : 0;
    if (!nodes)
        return n;
    if (n == 0) {
        *nodes = NULL;
        return 0;
    }
    copy = malloc((size_t)n * sizeof(*copy));
    if (!copy)
        return -ENOMEM;
    memcpy(copy, obj->nodesetval->nodeTab, (size_t)n * sizeof(*copy));
    *nodes = copy;
    return n;
}

int mv_xml_read_file(const char *path, size_t max, xmlDocPtr *doc, xmlXPathContextPtr *ctx, char **errmsg)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_file_read_all(path, max, &text, NULL);

    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot read '%s': %s", path, strerror(-r));
    if ((r = mv_xml_parse(text, path, doc, errmsg)) < 0)
        return r;
    return mv_xpath_context_new(*doc, ctx);
}

char *mv_xml_root_child_text(xmlDocPtr doc, const char *name)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n;
    xmlBufferPtr buf;
    char *out = NULL;

    for (n = root ? root->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0)
            break;
    if (!n || !(buf = xmlBufferCreate()))
        return NULL;
    if (xmlNodeDump(buf, doc, n, 0, 0) >= 0)
        out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return out;
}

int mv_xml_writer_open(struct mv_xml_writer *w)
{
    _cleanup_xmlwriter_ struct mv_xml_writer n = { 0 };

    pthread_once(&xml_once, xml_init);
    n.buf = xmlBufferCreate();
    if (!n.buf)
        return -ENOMEM;
    n.writer = xmlNewTextWriterMemory(n.buf, 0);
    if (!n.writer)
        return -ENOMEM;
    if (xmlTextWriterSetIndent(n.writer, 1) < 0 ||
        xmlTextWriterSetIndentString(n.writer, BAD_CAST "  ") < 0)
        return -ENOMEM;
    *w = n;
    n = (struct mv_xml_writer){ 0 };    /* W owns them now */
    return 0;
}

void mv_xml_writer_discard(struct mv_xml_writer *w)
{
    /* the writer flushes into the buffer when freed: free it first */
    if (w->writer)
        xmlFreeTextWriter(w->writer);
    if (w->buf)
        xmlBufferFree(w->buf);
    *w = (struct mv_xml_writer){ 0 };
}

/* libxml2's writer copies control characters and broken UTF-8 in text
 * through unchanged; such output could not be parsed back (a state file
 * that fails to load at restart), so it is refused here. */
static bool xml_chars_ok(const char *s, size_t len)
{
    while (len > 0) {
        uint32_t cp;
        int n = mv_utf8_decode(s, len, &cp);

        if (n < 0)
            return false;
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff)
            return false;
        s += n;
        len -= (size_t)n;
    }
    return true;
}

int mv_xml_writer_finish(struct mv_xml_writer *w, char **out)
{
    /* W is released on every path */
    _cleanup_xmlwriter_ struct mv_xml_writer n = *w;
    _cleanup_free_ char *s = NULL;
    const char *content;
    size_t len;

    *w = (struct mv_xml_writer){ 0 };
    if (!n.writer || !n.buf)
        return -EINVAL;
    if (xmlTextWriterEndDocument(n.writer) < 0)
        return -EIO;
    xmlFreeTextWriter(n.writer);        /* flushes into buf */
    n.writer = NULL;
    content = (const char *)xmlBufferContent(n.buf);
    len = content ? strlen(content) : 0;
    if (len == 0)
        return -EINVAL;
    if (!xml_chars_ok(content, len))
        return -EILSEQ;
    s = malloc(len + 2);
    if (!s)
        return -ENOMEM;
    memcpy(s, content, len);
    if (s[len - 1] != '\n')
        s[len++] = '\n';
    s[len] = '\0';
    *out = TAKE_PTR(s);
    return 0;
}
