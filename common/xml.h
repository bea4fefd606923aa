/*
 * Helpers over libxml2 for the XML that clients send and receive.  Parsing
 * and escaping are always libxml2's; these add the safe parser settings,
 * messages naming the document, cleanup attributes and small XPath getters.
 */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>

#include "cleanup.h"

/* Largest XML document accepted from anyone. */
#define MV_XML_DOC_MAX (10 * 1024 * 1024)
/* Most attributes one element may have (see mv_xml_parse). */
#define MV_XML_ATTRS_MAX 256

MV_DEFINE_CLEANUP(xmlDoc, xmlFreeDoc)
MV_DEFINE_CLEANUP(xmlXPathContext, xmlXPathFreeContext)
MV_DEFINE_CLEANUP(xmlXPathObject, xmlXPathFreeObject)
static inline void mv_xmlfreep(xmlChar **p) { if (*p) xmlFree(*p); }

#define _cleanup_xmldoc_ _cleanup_(xmlFreeDocp)
#define _cleanup_xpathctx_ _cleanup_(xmlXPathFreeContextp)
#define _cleanup_xpathobj_ _cleanup_(xmlXPathFreeObjectp)
/* for xmlChar strings libxml2 hands out (xmlGetProp, xmlNodeGetContent) */
#define _cleanup_xmlfree_ _cleanup_(mv_xmlfreep)

/* Parses untrusted TEXT into *DOC: no network, no DOCTYPE (so no entity
 * declarations, no external entities or DTDs, no entity expansion bombs), at
 * most MV_XML_DOC_MAX bytes, at most MV_XML_ATTRS_MAX attributes on an element
 * (libxml2 before 2.11 takes time quadratic in their number).  -EINVAL with
 * *ERRMSG "XML error in WHAT: line 3: Opening and ending tag mismatch: ...",
 * -EFBIG if too large, -ENOMEM. */
int mv_xml_parse(const char *text, const char *what, xmlDocPtr *doc, char **errmsg);
/* mv_xml_parse() for a caller that reports every failure but -ENOMEM to
 * its client: *ERRMSG is then "XML error: cannot parse the WHAT" where
 * libxml2 gave no message (NULL only if memory ran out for it). */
int mv_xml_parse_reported(const char *text, const char *what, xmlDocPtr *doc, char **errmsg);

/* New XPath context on DOC with the root element as context node; libxml2's
 * XPath error printing is silenced (the getters report failures). */
int mv_xpath_context_new(xmlDocPtr doc, xmlXPathContextPtr *ret);

/* Malloc'd string value of EXPR (first node of a node-set); NULL if absent,
 * empty, the expression is invalid, or out of memory. */
char *mv_xpath_string(xmlXPathContextPtr ctxt, const char *expr);

/* Decimal unsigned value of EXPR: 1 found, 0 absent or empty, -EINVAL if it
 * is not plain decimal digits or does not fit (*OUT untouched). */
int mv_xpath_ulong(xmlXPathContextPtr ctxt, const char *expr, unsigned long long *out);

/* Nodes matched by EXPR: returns the count and a malloc'd array in *NODES
 * (NULL when the count is 0; NODES may be NULL to only count); -EINVAL if
 * EXPR is invalid or not a node-set. */
int mv_xpath_nodes(xmlXPathContextPtr ctxt, const char *expr, xmlNodePtr **nodes);

/* Reads PATH, a file a daemon wrote and now reads back (at most MAX bytes),
 * into *DOC as mv_xml_parse() does, and an XPath context on it into *CTX.
 * -errno with *ERRMSG: "cannot read 'PATH': REASON", or the parser's. */
int mv_xml_read_file(const char *path, size_t max, xmlDocPtr *doc, xmlXPathContextPtr *ctx, char **errmsg);
/* The first child element NAME of DOC's root, as text (malloc'd) for a
 * parser of its own: how a status file's <domain> or <network> is read
 * back.  NULL if there is none or memory runs out. */
char *mv_xml_root_child_text(xmlDocPtr doc, const char *name);

/*
 * Writer: call libxml2's xmlTextWriter* functions on w->writer directly.
 * Output is UTF-8, indented by 2 spaces, with no XML declaration.
 *
 *     _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
 *     mv_xml_writer_open(&w);
 *     xmlTextWriterStartElement(w.writer, BAD_CAST "domain"); ...
 *     mv_xml_writer_finish(&w, &xml);
 */
struct mv_xml_writer {
    xmlBufferPtr buf;
    xmlTextWriterPtr writer;
};

/* Opens W (zeroed or discarded before); 0 or -ENOMEM. */
int mv_xml_writer_open(struct mv_xml_writer *w);

/* Ends all open elements and returns the malloc'd text (ending in "\n") in
 * *OUT; -EINVAL if nothing was written, -EILSEQ if the text holds control
 * characters or invalid UTF-8 (libxml2 writes them unescaped, and the result
 * would not parse back), -EIO/-ENOMEM on writer failure.  Always releases W,
 * which is then zeroed.  Validate strings before writing them: libxml2
 * silently mangles invalid UTF-8 inside attribute values. */
int mv_xml_writer_finish(struct mv_xml_writer *w, char **out);

/* Releases W without output; fine on a zeroed or finished W. */
void mv_xml_writer_discard(struct mv_xml_writer *w);
#define _cleanup_xmlwriter_ _cleanup_(mv_xml_writer_discard)
