/*
 * Formatting an object's XML (domain, network, pool...) in virsh dumpxml's
 * layout: a libxml2 writer (xml.h) whose failure is sticky, so a formatter
 * writes element after element without checking each call and checks once
 * at the end (mv_xml_out_finish).  Every call is a no-op after a failure.
 *
 *     _cleanup_xmlout_ struct mv_xml_out o = { 0 };
 *     mv_xml_out_open(&o);
 *     mv_xml_out_start(&o, "network");
 *     mv_xml_out_text_elem(&o, "name", def->name);
 *     mv_xml_out_uuid(&o, def->uuid);
 *     mv_xml_out_end(&o);
 *     return mv_xml_out_finish(&o, &xml);
 */
#pragma once

#include <stdbool.h>

#include "xml.h"

struct mv_xml_out {
    struct mv_xml_writer w;
    bool failed;
};

/* Opens O (zeroed or discarded before); 0 or -ENOMEM. */
int mv_xml_out_open(struct mv_xml_out *o);
/* <NAME ...; ended by mv_xml_out_end(). */
void mv_xml_out_start(struct mv_xml_out *o, const char *name);
void mv_xml_out_end(struct mv_xml_out *o);
/* Attribute NAME='VALUE' of the open element; nothing when VALUE is NULL. */
void mv_xml_out_attr(struct mv_xml_out *o, const char *name, const char *value);
void mv_xml_out_attrf(struct mv_xml_out *o, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Escaped text in the open element; nothing when TEXT is NULL. */
void mv_xml_out_text(struct mv_xml_out *o, const char *text);
/* <NAME>TEXT</NAME>; nothing when TEXT is NULL. */
void mv_xml_out_text_elem(struct mv_xml_out *o, const char *name, const char *text);
/* <NAME ATTR='VALUE'/>; nothing when VALUE is NULL. */
void mv_xml_out_leaf(struct mv_xml_out *o, const char *name, const char *attr, const char *value);
/* TEXT as it is: already XML (stored metadata). */
void mv_xml_out_raw(struct mv_xml_out *o, const char *text);
/* <uuid>...</uuid> in the canonical form. */
void mv_xml_out_uuid(struct mv_xml_out *o, const unsigned char uuid[16]);
/* <metadata> with CHILDREN as mv_xml_metadata() stored them, one per line,
 * for a <metadata> that is a child of the root; nothing when NULL. */
void mv_xml_out_metadata(struct mv_xml_out *o, const char *children);
/* The text (mv_xml_writer_finish's results), or -ENOMEM if any call
 * failed; O is released either way. */
int mv_xml_out_finish(struct mv_xml_out *o, char **out);
/* Releases O without output; fine on a zeroed or finished O. */
void mv_xml_out_discard(struct mv_xml_out *o);
#define _cleanup_xmlout_ _cleanup_(mv_xml_out_discard)
